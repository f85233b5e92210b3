"""A "real or fake?" quiz: the student judges images one by one and sees their own accuracy.

:class:`RealOrFakeQuiz` holds the shuffled rounds and the score (plain Python, testable without a browser);
:meth:`RealOrFakeQuiz.widget` wraps it in basic ipywidgets (Button, HTML, Image, HBox, VBox — the same in
ipywidgets 7.7 and 8).  Building and displaying the widget never waits for a click, so a notebook that
shows it runs straight through under papermill.  :func:`chance_accuracy_interval` says which scores a
coin-flipping judge reaches anyway, as in the human studies of HYPE (:cite:`zhou2019hype`).
"""

from __future__ import annotations

import io
import math

import numpy as np
import torch

__all__ = ["RealOrFakeQuiz", "chance_accuracy_interval", "png_bytes"]


def png_bytes(image: torch.Tensor, scale: int = 6) -> bytes:
    """One grey image (1, H, W) or (H, W) in [-1, 1] as PNG bytes, enlarged ``scale`` times (nearest pixels)."""
    from PIL import Image

    x = image.detach().cpu().float().squeeze()
    if x.ndim != 2:
        raise ValueError(f"expected one grey image (1, H, W) or (H, W), got shape {tuple(image.shape)}")
    pixels = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    picture = Image.fromarray(pixels, mode="L").resize((pixels.shape[1] * scale, pixels.shape[0] * scale), Image.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def chance_accuracy_interval(rounds: int, level: float = 0.95) -> tuple[float, float]:
    """Central ``level`` range of the accuracy a judge who guesses at random reaches in ``rounds`` rounds (binomial)."""
    from scipy.stats import binom

    if rounds < 1:
        raise ValueError(f"rounds must be ≥ 1, got {rounds}")
    low, high = binom.ppf((1 - level) / 2, rounds, 0.5), binom.ppf(1 - (1 - level) / 2, rounds, 0.5)
    return float(low / rounds), float(high / rounds)


class RealOrFakeQuiz:
    """``rounds`` images, half real and half generated in a seeded random order; :meth:`answer` scores a guess."""

    def __init__(self, real: torch.Tensor, fake: torch.Tensor, rounds: int = 20, seed: int = 0):
        if rounds < 2 or rounds % 2:
            raise ValueError(f"rounds must be an even number ≥ 2 (half real, half fake), got {rounds}")
        if len(real) < rounds // 2 or len(fake) < rounds // 2:
            raise ValueError(f"need at least {rounds // 2} real and {rounds // 2} fake images, got {len(real)} and {len(fake)}")
        gen = torch.Generator().manual_seed(seed)
        half = rounds // 2
        real_pick = real[torch.randperm(len(real), generator=gen)[:half]]
        fake_pick = fake[torch.randperm(len(fake), generator=gen)[:half]]
        order = torch.randperm(rounds, generator=gen)
        self.images = torch.cat([real_pick, fake_pick])[order].cpu()
        self.is_real = torch.cat([torch.ones(half, dtype=torch.bool), torch.zeros(half, dtype=torch.bool)])[order].tolist()
        self.guesses: list[bool] = []

    @property
    def rounds(self) -> int:
        return len(self.is_real)

    @property
    def finished(self) -> bool:
        return len(self.guesses) >= self.rounds

    def answer(self, says_real: bool) -> bool:
        """Record the guess for the current image; True when it was right."""
        if self.finished:
            raise RuntimeError("the quiz is over: every image has been judged (make a new RealOrFakeQuiz to play again)")
        self.guesses.append(bool(says_real))
        return self.guesses[-1] == self.is_real[len(self.guesses) - 1]

    def score(self) -> dict:
        """Accuracy so far, and the error rates on fakes (fakes called real: what HYPE∞ counts) and on reals."""
        judged = len(self.guesses)
        truth, guess = np.array(self.is_real[:judged], dtype=bool), np.array(self.guesses, dtype=bool)
        fakes, reals = ~truth, truth
        return {"judged": judged, "correct": int((truth == guess).sum()),
                "accuracy": float((truth == guess).mean()) if judged else math.nan,
                "fakes_called_real": float(guess[fakes].mean()) if fakes.any() else math.nan,
                "reals_called_fake": float((~guess[reals]).mean()) if reals.any() else math.nan}

    def summary(self) -> str:
        s = self.score()
        if not s["judged"]:
            return "No image judged yet."
        low, high = chance_accuracy_interval(s["judged"])
        verdict = ("within what random guessing gives" if low <= s["accuracy"] <= high else
                   "better than random guessing" if s["accuracy"] > high else "worse than random guessing")
        return (f"{s['correct']} of {s['judged']} right ({100 * s['accuracy']:.0f} %) — {verdict} "
                f"(a coin-flipper lands in {100 * low:.0f}–{100 * high:.0f} % 95 % of the time over {s['judged']} images). "
                + (f"Fakes you called real: {100 * s['fakes_called_real']:.0f} %." if not math.isnan(s["fakes_called_real"])
                   else "No fake judged yet."))

    def widget(self, scale: int = 6):
        """The quiz as an ipywidgets box: the image, "real" / "fake" buttons, feedback and the running score."""
        import ipywidgets as w

        image = w.Image(value=png_bytes(self.images[0], scale), format="png")
        progress = w.HTML()
        feedback = w.HTML()
        real_button, fake_button = w.Button(description="real"), w.Button(description="fake (generated)")

        def show_state():
            shown = min(len(self.guesses), self.rounds - 1)
            image.value = png_bytes(self.images[shown], scale)
            progress.value = (f"<b>Image {shown + 1} of {self.rounds}</b>" if not self.finished
                              else "<b>Done.</b>")

        def on_click(says_real: bool):
            def handler(_button):
                if self.finished:
                    return
                right = self.answer(says_real)
                truth = "real" if self.is_real[len(self.guesses) - 1] else "generated"
                feedback.value = (f"{'✅ right' if right else '❌ wrong'} — that one was {truth}. " + self.summary())
                if self.finished:
                    real_button.disabled = fake_button.disabled = True
                show_state()
            return handler

        real_button.on_click(on_click(True))
        fake_button.on_click(on_click(False))
        show_state()
        feedback.value = "Is this digit real or generated? Click a button."
        return w.VBox([progress, image, w.HBox([real_button, fake_button]), feedback])
