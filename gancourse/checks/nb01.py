"""Checks for notebook 01 (what is a GAN).

The expected answers are worked out inside each check, never read from a stored copy of the solution:
by matching the package's loss functions against binary cross-entropy, by classifying what the
notebook's own runs did (the samples and counts it passes in), and by reading :mod:`gancourse.timeline`.
"""

from __future__ import annotations

import re

import torch
import torch.nn.functional as F

from gancourse import timeline
from gancourse.checks import call, given, run_check
from gancourse.metrics import mode_coverage
from gancourse.losses import discriminator_loss, generator_loss_nonsaturating


def _bce_target_matches(logits: torch.Tensor, target: float, loss: torch.Tensor) -> bool:
    bce = F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, float(target)))
    return bool(torch.isclose(bce, loss, rtol=1e-5, atol=1e-6))


def check_fake_labels(fake_label_for_discriminator, fake_label_for_generator) -> bool:
    """Exercise 1: the BCE target attached to a *fake* sample in D's loss and in G's (non-saturating) loss."""

    def test():
        d_label, g_label = float(given(fake_label_for_discriminator)), float(given(fake_label_for_generator))
        fake_logits = torch.linspace(-4.0, 3.0, 15)
        certain_real = torch.full((15,), 40.0)  # D's loss on these real samples is ~1e-18: only the fake term is left
        d_fake_term = discriminator_loss(certain_real, fake_logits)
        g_loss = generator_loss_nonsaturating(fake_logits)
        if not _bce_target_matches(fake_logits, d_label, d_fake_term):
            if _bce_target_matches(fake_logits, d_label, g_loss):
                return "that is the label the generator uses; the discriminator is trained to call fakes the opposite."
            return f"with target {d_label:g} the BCE on fakes is not the discriminator's loss on fakes."
        if _bce_target_matches(fake_logits, g_label, d_fake_term):
            return ("with that label G would minimise D's own loss, i.e. help D. The minimax generator loss is the "
                    "*negative* of that BCE and saturates; the standard (non-saturating) loss flips the label instead.")
        if not _bce_target_matches(fake_logits, g_label, g_loss):
            return f"with target {g_label:g} the BCE on fakes is not the generator's non-saturating loss."
        return None

    return run_check("Exercise 1 · the labels of a fake sample",
                     "BCE with target t is −[t·log D + (1 − t)·log(1 − D)]; compare it with each loss's docstring "
                     "(help(discriminator_loss), help(generator_loss_nonsaturating)).", test)


# ---- Exercise 2: a discriminator that stops learning ----------------------------------------------------------
FROZEN_CHOICES = {
    "A": "G still ends up covering both peaks",
    "B": "G settles on one of the two peaks",
    "C": "G leaves the data: its samples move away from both peaks",
    "D": "G stays about where it was when D was frozen",
}


def frozen_outcome(before: torch.Tensor, after: torch.Tensor, modes, std: float) -> str:
    """Which of :data:`FROZEN_CHOICES` a run shows, from G's samples when D was frozen (``before``) and at the end.

    A: each peak holds over 25 % of the samples; else D: the mean and spread moved little (the mean by less
    than half a peak's std, the spread by a factor under 1.5); else B: one peak holds over half; else C.
    """
    before, after = torch.as_tensor(before, dtype=torch.float64).ravel(), torch.as_tensor(after, dtype=torch.float64).ravel()
    modes = torch.as_tensor(modes, dtype=torch.float64).reshape(-1, 1)
    shares = mode_coverage(after[:, None], modes, std=std).counts / len(after)
    if shares.min() > 0.25:
        return "A"
    ratio = float(after.std() / before.std())
    if abs(float(after.mean() - before.mean())) < 0.5 * std and 1 / 1.5 < ratio < 1.5:
        return "D"
    if shares.max() > 0.5:
        return "B"
    return "C"


def check_frozen_discriminator(my_prediction, before, after, modes, std: float) -> bool:
    """Exercise 2: predict what G does when D is frozen early and only G keeps training."""

    def test():
        choice = str(given(my_prediction)).strip().upper()
        if choice not in FROZEN_CHOICES:
            return f"answer one letter of {sorted(FROZEN_CHOICES)}, got {my_prediction!r}."
        measured = frozen_outcome(before, after, modes, std)
        if choice == measured:
            return None
        after_t = torch.as_tensor(after, dtype=torch.float64)
        what = (f"the run shows {measured} ({FROZEN_CHOICES[measured]}): G's samples moved from mean "
                f"{float(torch.as_tensor(before, dtype=torch.float64).mean()):+.1f} to {float(after_t.mean()):+.1f}.")
        if choice in ("A", "B"):
            return (f"you predicted {choice}, but {what} G never sees the data; it climbs D's verdict. A frozen D is a "
                    "fixed hill, and G keeps climbing it wherever it leads — whether or not the data is there.")
        return f"you predicted {choice}, but {what}"

    return run_check("Exercise 2 · a discriminator that stops learning",
                     "G's only signal is the slope of D(x) at its own samples. Look at D(x) in the second column of the "
                     "training figure: where is it highest, and what stops G once D no longer changes?", test)


# ---- Exercise 3: how often are the far peaks both found? --------------------------------------------------------
def check_far_peaks(my_share, found: int, runs: int) -> bool:
    """Exercise 3: predict the share of runs at ±4 in which the generator finds both peaks (``found`` of ``runs``)."""

    def test():
        answer = float(given(my_share))
        if not 0.0 <= answer <= 1.0:
            return f"a share of runs is between 0 and 1, got {answer}."
        if not (isinstance(runs, int) and runs >= 1 and 0 <= found <= runs):
            raise ValueError(f"found must be between 0 and runs ≥ 1, got {found} of {runs}")
        measured = found / runs
        if abs(answer - measured) <= 1 / runs + 1e-9:  # within one run
            return None
        if answer > measured:
            return (f"you predicted {answer:.0%}; both far peaks were found in {found} of {runs} runs ({measured:.0%}). "
                    "G feels only D's slope near its own samples: a peak far from where they start may never pull them.")
        return f"you predicted {answer:.0%}; both far peaks were found in {found} of {runs} runs ({measured:.0%})."

    return run_check("Exercise 3 · how often are the far peaks found?",
                     "look at the step-0 panel of the training figure: where does the untrained generator put its "
                     "samples, and how far is that from a peak at −4 or +4?", test)


# ---- Exercise 4: which samples are closest to real digits? --------------------------------------------------------
def check_closest_to_real(my_choice, distances: dict) -> bool:
    """Exercise 4: predict which source of new images has the lowest Fréchet distance to held-out real digits.
    ``distances`` maps each candidate's name (e.g. "AE", "AE fitted", "VAE", "GAN") to its measured distance."""

    def test():
        choice = str(given(my_choice)).strip()
        names = {name.lower(): name for name in distances}
        if choice.lower() not in names:
            return f"answer one of {list(distances)}, got {my_choice!r}."
        best = min(distances, key=distances.get)
        picked = names[choice.lower()]
        if picked == best:
            return None
        ranking = ", ".join(f"{name} {distances[name]:.1f}" for name in sorted(distances, key=distances.get))
        if picked == "VAE":
            return (f"the measured Fréchet distances, best first: {ranking}. The VAE's codes do follow N(0, I), so every "
                    "sample is a digit-like image, but its KL term makes nearby codes decode to averages: blurry strokes "
                    "that the classifier's features place far from real ink.")
        return f"the measured Fréchet distances, best first: {ranking}."

    return run_check("Exercise 4 · which samples are closest to real digits?",
                     "for each model ask which codes its decoder (or generator) was trained on, and what judged its "
                     "images during training.",
                     test)


# ---- Exercise 5: the first-public month from an arXiv identifier ------------------------------------------------
_ARXIV_CASES = ("1406.2661", "arXiv:1411.1784", "1511.06434v2", "arXiv:1812.04948v3", "2006.11239", "1701.07875")


def _first_public(identifier: str) -> tuple[int, int]:
    """(year, month) of a new-style arXiv identifier [arXiv:]YYMM.NNNN[N][vK], via :class:`timeline.Milestone`."""
    match = re.fullmatch(r"(?:arXiv:)?(\d{4}\.\d{4,5})(?:v\d+)?", identifier)
    if match is None:
        raise ValueError(f"not a new-style arXiv identifier: {identifier!r}")
    return timeline.Milestone("case", "key", "", "", 2100, arxiv=match.group(1)).first_public


def check_first_public(my_first_public) -> bool:
    """Exercise 5: ``my_first_public(identifier)`` = (year, month) the preprint first appeared, for identifiers
    with or without the ``arXiv:`` prefix and a version suffix; checked on the timeline's own identifiers too."""

    def test():
        cases = list(_ARXIV_CASES) + [m.arxiv for m in timeline.MILESTONES if m.arxiv]
        venue_years = {m.arxiv: m.year for m in timeline.MILESTONES if m.arxiv}
        for identifier in cases:
            answer = call(my_first_public, identifier)
            try:
                year, month = (int(v) for v in answer)
            except (TypeError, ValueError):
                return f"return a pair (year, month) of whole numbers; for {identifier!r} you returned {answer!r}."
            expected = _first_public(identifier)
            if (year, month) == expected:
                continue
            if (year, month) == expected[::-1]:
                return f"for {identifier!r} you return (month, year) = {answer!r}; the order is (year, month)."
            if year == expected[0] - 100:
                return f"for {identifier!r} you give the year {year}: the two digits count from 2000, not 1900."
            bare = re.sub(r"^arXiv:|v\d+$", "", identifier)
            if bare in venue_years and year == venue_years[bare] != expected[0]:
                return (f"for {identifier!r} you give {year}, the year of its venue; the identifier says when it "
                        f"first appeared: {expected[0]}.")
            return f"for {identifier!r} you return {answer!r}; expected {expected}."
        return None

    return run_check("Exercise 5 · first public, from the arXiv identifier",
                     "take off what is not the identifier itself (a leading 'arXiv:' and a trailing version such as "
                     "'v2'), then read the four digits before the dot.", test)
