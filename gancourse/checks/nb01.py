"""Checks for notebook 01 (what is a GAN).

The expected answers are worked out inside each check from the package itself — by watching which
network a real batch reaches in one :class:`~gancourse.training.GAN` step, by matching the
package's loss functions against binary cross-entropy, and by reading :mod:`gancourse.timeline` — never
from a stored copy of the solution.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from gancourse import timeline
from gancourse.checks import given, run_check
from gancourse.config import seeded
from gancourse.losses import discriminator_loss, generator_loss_nonsaturating
from gancourse.models import MLPDiscriminator, MLPGenerator
from gancourse.training import GAN

NETWORKS = ("generator", "discriminator", "both", "neither")
_SYNONYMS = {"g": "generator", "生成器": "generator", "d": "discriminator", "判别器": "discriminator",
             "g and d": "both", "两者": "both", "都": "both", "none": "neither"}
YEAR_QUESTIONS = ("CGAN", "DCGAN", "BigGAN", "StyleGAN")


def _who_sees_real_data() -> str:
    """Run one real training step and record which network is handed the real batch."""
    with seeded(0):  # leaves the notebook's random state alone
        generator, discriminator = MLPGenerator(2, 1, hidden=(8,)), MLPDiscriminator(1, hidden=(8,))
    family = GAN(generator, discriminator)
    real = torch.full((16, 1), 7.0)  # a Tanh generator cannot produce 7, so this batch is unmistakable
    seen = set()

    def watch(name):
        def hook(_module, args):
            if any(isinstance(a, torch.Tensor) and a.shape == real.shape and torch.equal(a, real) for a in args):
                seen.add(name)
        return hook

    handles = [generator.register_forward_pre_hook(watch("generator")),
               discriminator.register_forward_pre_hook(watch("discriminator"))]
    try:
        family.train_step(iter([real]))
    finally:
        for handle in handles:
            handle.remove()
    if len(seen) == 1:
        return seen.pop()
    return "both" if seen else "neither"


def check_sees_real_data(answer) -> bool:
    """Exercise 1: which network is ever given a real training sample?"""

    def test():
        text = str(given(answer)).strip().lower().removeprefix("the ").strip()
        choice = _SYNONYMS.get(text, text)
        if choice not in NETWORKS:
            return f"answer one of {', '.join(repr(n) for n in NETWORKS)}, not {answer!r}."
        truth = _who_sees_real_data()
        if choice == truth:
            return None
        if choice in ("generator", "both"):
            return ("the generator never receives a real sample: its input is noise z, and everything it learns "
                    "about the data arrives as the gradient of D's verdict on its fakes.")
        return "someone has to look at the data, or nothing could ever be learned about it."

    return run_check("Exercise 1 · who sees the real data?",
                     "follow the arrows in Fig 1: where does the box 'real data x' point?", test)


def _bce_target_matches(logits: torch.Tensor, target: float, loss: torch.Tensor) -> bool:
    bce = F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, float(target)))
    return bool(torch.isclose(bce, loss, rtol=1e-5, atol=1e-6))


def check_fake_labels(fake_label_for_discriminator, fake_label_for_generator) -> bool:
    """Exercise 2: the BCE target attached to a *fake* sample in D's loss and in G's (non-saturating) loss."""

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

    return run_check("Exercise 2 · the labels of a fake sample",
                     "BCE with target t is −[t·log D + (1 − t)·log(1 − D)]; compare it with each loss's docstring "
                     "(help(discriminator_loss), help(generator_loss_nonsaturating)).", test)


def check_first_years(first_years) -> bool:
    """Exercise 3: the year each of :data:`YEAR_QUESTIONS` first became public (arXiv), not its venue year."""

    def test():
        answers = given(first_years)
        if not isinstance(answers, dict) or set(answers) != set(YEAR_QUESTIONS):
            return f"give a dict with exactly the keys {list(YEAR_QUESTIONS)}."
        for name in YEAR_QUESTIONS:
            year = given(answers[name])
            milestone = timeline.find(name)
            first = milestone.first_public[0]
            if not isinstance(year, (int, float)) or not math.isfinite(year) or int(year) != year:
                return f"{name}: give the year as a whole number, got {year!r}."
            if year == first:
                continue
            if year == milestone.year:
                return f"{name}: {int(year)} is the year of its venue ({milestone.venue}); it was public before that."
            return f"{name}: {int(year)} is not when it first appeared."
        return None

    return run_check("Exercise 3 · first-public years",
                     "Table 2's 'first public' column is read from the arXiv identifier (YYMM.NNNNN).", test)
