"""Checks for notebook 04 (adversarial training).

Expected values come from the package itself — :class:`gancourse.training.GAN` (its
discriminator step, counted with forward hooks) and :mod:`gancourse.losses` — or from the notebook's own
runs (passed in), never from a copy of the solution.  Exercises in reading order: 1 forward passes per
iteration, 2 the discriminator step, 3 predict the healthy run's D loss, 4 predict what k = 5 does to the
run whose generator learns 10× too fast.
"""

from __future__ import annotations

import copy
import math

import torch

from gancourse import losses, models, toy
from gancourse.checks import call, given, run_check
from gancourse.config import seeded
from gancourse.training import GAN

_SEED = 4


def _toy_pair() -> tuple[models.MLPGenerator, models.MLPDiscriminator]:
    with seeded(_SEED):  # the same networks every time, without touching the notebook's random state
        return models.MLPGenerator(2, 2, hidden=(16, 16), tanh_output=False), models.MLPDiscriminator(2, hidden=(16, 16))


def _params(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def _close(a: list[torch.Tensor], b: list[torch.Tensor], tol: float = 1e-6) -> bool:
    return all(torch.allclose(x, y, rtol=0, atol=tol) for x, y in zip(a, b))


def check_discriminator_step(my_discriminator_step) -> bool:
    """Exercise 2: one discriminator update ``my_discriminator_step(generator, discriminator, d_optimizer, real, z)``.

    Compared with ``GAN.discriminator_step`` on copies of the same networks, batch and noise.
    """

    def test():
        generator, discriminator = _toy_pair()
        real = toy.sample_2d("ring", 64, torch.Generator().manual_seed(_SEED))
        # the reference: the package's own D step, drawing the same z from a stream seeded alike
        ref_g, ref_d = copy.deepcopy(generator), copy.deepcopy(discriminator)
        reference = GAN(ref_g, ref_d, seed=_SEED)
        _, _, stats = reference.discriminator_step(real, None, keep_fake_graph=False)
        reference_loss = float(stats["loss_d"])
        ref_grads = [p.grad.clone() for p in ref_d.parameters()]
        z = torch.randn(len(real), generator.latent_dim, generator=torch.Generator().manual_seed(_SEED))

        d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        stale = [torch.ones_like(p) for p in discriminator.parameters()]  # left over from an earlier step
        for p, g in zip(discriminator.parameters(), stale):
            p.grad = g.clone()
        before_d, before_g = _params(discriminator), _params(generator)
        with torch.no_grad():
            loss_before = losses.discriminator_loss(discriminator(real), discriminator(generator(z))).item()
        loss = call(my_discriminator_step, generator, discriminator, d_optimizer, real.clone(), z.clone())

        if any(p.grad is not None and p.grad.abs().sum() > 0 for p in generator.parameters()):
            return ("gradient flowed into the generator's parameters: the fake batch must be detached "
                    "(discriminator(fake.detach())) so that the discriminator's loss only trains D.")
        if not _close(_params(generator), before_g, 0.0):
            return "the generator's weights changed: a discriminator step must update D only."
        if _close(_params(discriminator), before_d, 0.0):
            return "the discriminator's weights did not change: call loss.backward() and d_optimizer.step()."
        grads = [p.grad for p in discriminator.parameters()]
        if all(g is not None for g in grads) and _close(grads, [r + s for r, s in zip(ref_grads, stale)], 1e-5):
            return "old gradients were added to the new ones: call d_optimizer.zero_grad() before backward()."
        value = float(loss.detach() if isinstance(loss, torch.Tensor) else loss)
        if math.isclose(value, reference_loss / 2, rel_tol=1e-5):
            return ("your loss is half the reference: it averages the real and the fake terms (as PyTorch-GAN does). "
                    "The course's L_D = −V adds them, so that it equals log 4 ≈ 1.386 at the equilibrium.")
        if not _close(_params(discriminator), _params(ref_d), 1e-6):
            with torch.no_grad():
                loss_after = losses.discriminator_loss(discriminator(real), discriminator(generator(z))).item()
            if loss_after > loss_before:
                return "D moved the wrong way: real samples get label 1 (target 'real') and fakes label 0."
            return "the update differs from the reference discriminator step on the same batch and noise."
        if not math.isclose(value, reference_loss, rel_tol=1e-5, abs_tol=1e-6):
            return (f"the weights are right but the returned loss {value:.6f} is not the discriminator loss "
                    f"{stats['loss_d']:.6f}: return the sum of the real and the fake BCE terms.")
        return None

    return run_check("Exercise 2 · the discriminator step",
                     "zero D's gradients, score real and fake.detach(), BCE with targets 1 and 0, backward, step; "
                     "losses.discriminator_loss(real_logits, fake_logits) does the BCE part.",
                     test)


def _count_forward_passes(k: int) -> tuple[int, int]:
    """Forward calls of G and D during one ``GAN.train_step`` with ``critic_steps = k``."""
    generator, discriminator = _toy_pair()
    counts = {"G": 0, "D": 0}
    generator.register_forward_hook(lambda *_: counts.__setitem__("G", counts["G"] + 1))
    discriminator.register_forward_hook(lambda *_: counts.__setitem__("D", counts["D"] + 1))
    GAN(generator, discriminator, critic_steps=k, seed=_SEED).train_step(iter(toy.ToyStream.from_2d("ring", batch_size=8, seed=_SEED)))
    return counts["G"], counts["D"]


def check_forward_passes(my_forward_passes) -> bool:
    """Exercise 1: ``my_forward_passes(k)`` → (generator passes, discriminator passes) per training iteration."""

    def test():
        for k in (1, 2, 3, 5):
            got = call(my_forward_passes, k)
            if not (isinstance(got, (tuple, list)) and len(got) == 2):
                return "return a pair (generator_passes, discriminator_passes)."
            g_passes, d_passes = (int(v) for v in got)
            want_g, want_d = _count_forward_passes(k)
            if (g_passes, d_passes) == (want_g, want_d):
                continue
            if g_passes == want_g + 1:
                return (f"k = {k}: G runs {want_g} time{'s' * (want_g > 1)}, not {g_passes}: the generator step reuses the fake batch of "
                        "the last discriminator step (as the PyTorch DCGAN tutorial does) instead of drawing a new one.")
            if g_passes != want_g:
                return f"k = {k}: {g_passes} generator passes is not right; each discriminator step needs one fake batch."
            if d_passes == want_d - 1:
                return f"k = {k}: the generator step also runs D once, on the fakes, to get D(G(z))."
            return f"k = {k}: {d_passes} discriminator passes is not right; count the real and the fake batch separately."
        return None

    return run_check("Exercise 1 · forward passes per iteration",
                     "follow the arrows of Fig 5 and count the boxes G and D each step passes through; Table 5 "
                     "says where the generator step's input comes from.",
                     test)


# ---- Exercise 3: predict the healthy run's discriminator loss -------------------------------------------------
LOG_4 = math.log(4)
#: D-loss bands for Exercise 3: letter → (low, high, what the band means).
LOSS_BANDS = {
    "A": (0.0, 0.35, "near 0: D is sure of every sample"),
    "B": (0.35, 1.25, "clearly below log 4 ≈ 1.386, well above 0"),
    "C": (1.25, 1.55, "about log 4 ≈ 1.386"),
    "D": (1.55, math.inf, "above log 4"),
}


def tail_mean(history, key: str, share: float = 0.1) -> float:
    """Mean of ``history[key]`` over the last ``share`` of the run (at least one step)."""
    values = list(history[key])
    if not values:
        raise ValueError(f"the history holds no {key!r} values")
    tail = values[-max(1, int(len(values) * share)):]
    return float(sum(tail) / len(tail))


def check_loss_band(my_band, history) -> bool:
    """Exercise 3: predict the band (``LOSS_BANDS``) of the healthy run's discriminator loss over its last 10 %."""

    def test():
        band = str(given(my_band)).strip().upper()
        if band not in LOSS_BANDS:
            return f"answer with one letter of {sorted(LOSS_BANDS)}, got {my_band!r}."
        measured = tail_mean(history, "loss_d")
        right = next(letter for letter, (low, high, _) in LOSS_BANDS.items() if low <= measured < high)
        if band == right:
            return None
        said = f"you chose {band} ({LOSS_BANDS[band][2]}); the healthy run's D loss over its last 10 % is {measured:.3f} ({right})."
        if band == "C":
            return (f"{said} log 4 is D's loss at the equilibrium, where p_g = p_data and D says 1/2 everywhere. The "
                    "generator is still far from p_data (look at its samples), so D keeps a lead — D(x) above 1/2, "
                    "D(G(z)) below — and its loss stays below log 4. A healthy run is not at the equilibrium: it "
                    "is a game in which neither side runs away.")
        if band == "A":
            return (f"{said} A loss near 0 is a discriminator that has won: the failing run below. In a healthy run "
                    "G keeps moving its samples, so D never becomes sure.")
        if band == "D":
            return (f"{said} A loss above log 4 means D does worse than a constant guess of 1/2: it would be "
                    "fooled on average, and its next steps correct that quickly.")
        return f"{said} Compare with log 4 ≈ {LOG_4:.3f}, the loss of a discriminator that says 1/2 everywhere."

    return run_check("Exercise 3 · predict the healthy discriminator's loss",
                     "ask whether, after a few thousand steps, an MLP generator's samples are as good as the "
                     "real digits — and what D can do as long as they are not.",
                     test)


# ---- Exercise 4: predict what k = 5 does to the run whose generator learns 10× too fast ----------------------
#: Coverage outcomes for Exercise 4: letter → what it means, and a test on (modes covered, modes).
K_OUTCOMES = {
    "A": ("still collapsed: at most 1 mode covered", lambda covered, modes: covered <= 1),
    "B": ("partly rescued: 2 modes or more, but not all (allowing one miss)", lambda covered, modes: 2 <= covered < modes - 1),
    "C": ("rescued: all modes covered, or all but one", lambda covered, modes: covered >= max(2, modes - 1)),
}


def check_k_prediction(my_choice, run) -> bool:
    """Exercise 4: predict the mode coverage (``K_OUTCOMES``) of the playground run with lr_G = 10⁻² and k = 5."""

    def test():
        choice = str(given(my_choice)).strip().upper()
        if choice not in K_OUTCOMES:
            return f"answer with one letter of {sorted(K_OUTCOMES)}, got {my_choice!r}."
        if run.coverage is None or not run.n_modes:
            return "this run has no mode coverage to compare with: pass the k = 5 run on the ring."
        covered, modes = run.coverage.covered, run.n_modes
        right = next(letter for letter, (_, test_) in K_OUTCOMES.items() if test_(covered, modes))
        if choice == right:
            return None
        said = f"you chose {choice}; the k = 5 run covers {covered}/{modes} modes ({right}: {K_OUTCOMES[right][0]})."
        if choice == "A":
            return (f"{said} With k = 5 D takes five steps for each step of G, so a generator 10× too fast meets a "
                    "discriminator that keeps up: D's slope keeps pointing the points back towards the data.")
        if choice == "C" and right == "B":
            return (f"{said} More D steps let D keep up with the fast generator, so the points no longer sit on one "
                    "spot — but the generator's steps are still too large to settle on every mode.")
        return f"{said} Look at the panels: where do the orange points sit at the end?"

    return run_check("Exercise 4 · predict what k = 5 does",
                     "the generator's steps are 10× too large for D to follow; ask what five D steps per G step "
                     "change in that race.",
                     test)
