"""Checks for notebook 06 (conditional GANs, InfoGAN, pix2pix and CycleGAN).

Expected values are measured, never copied from a solution: the notebook's own measurement (passed in),
a simulation of the assignment metric, and ``torch.distributions.Normal``'s log-density.
"""

from __future__ import annotations

import math

import torch

from gancourse.checks import call, given, run_check
from gancourse.codes import best_assignment_accuracy


def check_label_only_in_generator(my_prediction, measured: float, chance: float = 0.1) -> bool:
    """Exercise 1: predict the asked-digit rate of a CGAN whose discriminator never sees the label."""

    def test():
        answer = float(given(my_prediction))
        if not 0.0 <= answer <= 1.0:
            return f"a rate is a share between 0 and 1, got {answer}."
        if abs(answer - measured) <= 0.1:
            return None
        if answer > measured + 0.1 and answer >= 0.5:
            return (f"you predicted {answer:.0%}, the measurement is {measured:.0%} (chance: {chance:.0%}). G does read the "
                    "label, but nothing rewards it for obeying: D's verdict is the same whichever label G was given, so "
                    "the label is just more noise to G.")
        return f"you predicted {answer:.0%}, the measurement is {measured:.0%} (chance: {chance:.0%})."

    return run_check("Exercise 1 · the label only in G",
                     "ask what in the loss changes when G draws a 7 although a 3 was asked for — if D cannot see the "
                     "label, does anything?",
                     test)


def measured_chance_accuracy(samples: int, codes: int = 10, classes: int = 10, repeats: int = 100, seed: int = 0) -> float:
    """Mean best one-to-one assignment accuracy of a code drawn independently of the class (uniform both), simulated."""
    gen = torch.Generator().manual_seed(seed)
    return sum(best_assignment_accuracy(torch.randint(codes, (samples,), generator=gen),
                                        torch.randint(classes, (samples,), generator=gen), codes, classes).accuracy
               for _ in range(repeats)) / repeats


def check_chance_accuracy(my_prediction, samples: int, codes: int = 10) -> bool:
    """Exercise 3: predict the best-assignment accuracy of a categorical code that ignores the digit."""

    def test():
        answer = float(given(my_prediction))
        measured = measured_chance_accuracy(samples, codes, codes)
        if abs(answer - measured) <= 0.012:
            return None
        if math.isclose(answer, 1 / codes, abs_tol=0.005):
            return (f"1/{codes} is the accuracy of one assignment fixed in advance; the best of all {math.factorial(codes):,} "
                    f"assignments is chosen *after* seeing the counts, so it collects lucky fluctuations: with "
                    f"{samples:,} samples the measured chance level is {measured:.3f}. (It falls towards 1/{codes} as the "
                    "sample grows.)")
        if answer < 1 / codes:
            return (f"even a useless code gets every sample whose class happens to match its code's class: at least "
                    f"about 1/{codes}; measured {measured:.3f}.")
        return f"you predicted {answer:.3f}; the measured chance level for {samples:,} samples is {measured:.3f}."

    return run_check("Exercise 3 · the chance level of the assignment accuracy",
                     f"a code unrelated to the digit puts about samples/{codes ** 2} samples in each cell of the "
                     f"{codes}×{codes} table, give or take a few (counting noise); the assignment picks one cell per row "
                     "and column, as large as possible.",
                     test)


def check_gaussian_code_nll(my_nll) -> bool:
    """Exercise 2: ``my_nll(c, mean, log_std)`` = −log N(c; mean, exp(log_std)²) for each sample (summed over codes)."""

    def test():
        gen = torch.Generator().manual_seed(3)
        for n, k in ((6, 2), (5, 1), (4, 3)):
            c = torch.rand(n, k, generator=gen) * 2 - 1
            mean = torch.randn(n, k, generator=gen) * 0.5
            log_std = torch.randn(n, k, generator=gen) * 0.7
            answer = torch.as_tensor(call(my_nll, c.clone(), mean.clone(), log_std.clone()), dtype=torch.float64)
            normal = torch.distributions.Normal(mean.double(), log_std.double().exp())
            expected = -normal.log_prob(c.double()).sum(1)
            if answer.shape != expected.shape:
                return (f"for {n} samples with {k} codes your result has shape {tuple(answer.shape)}; expected one value "
                        f"per sample, shape ({n},) (sum over the codes).")
            if torch.allclose(answer, expected, atol=1e-4):
                continue
            if torch.allclose(answer, -expected, atol=1e-4):
                return "the sign is flipped: that is the log-likelihood, the loss is its negative."
            constant = 0.5 * math.log(2 * math.pi) * k
            if torch.allclose(answer, expected - constant, atol=1e-4):
                return "only the constant ½·log(2π) per code is missing — include it so the value is a true log-density."
            std = log_std.double().exp()
            if torch.allclose(answer, (0.5 * ((c - mean).double() / std) ** 2).sum(1) + constant, atol=1e-4):
                return "the log σ term is missing: a Q that claims a large σ must pay for it, else it would always claim one."
            if torch.allclose(answer, (0.5 * (c - mean).double() ** 2).sum(1) + constant, atol=1e-4):
                return "that is the fixed-variance version (σ = 1): use exp(log_std) as σ."
            return f"for {n} samples with {k} codes your values differ from −log N(c; μ, σ²): compare term by term."
        return None

    return run_check("Exercise 2 · the Gaussian Q head for a continuous code",
                     "start from the density N(c; μ, σ²) = exp(−(c − μ)² / (2σ²)) / (σ·√(2π)) with σ = exp(log_std), "
                     "take −log of it, one term per code, and sum over the codes (dimension 1).",
                     test)

# ---- pix2pix and CycleGAN (translation) ----
# Expected values come from gancourse.training.cyclegan.cycle_consistency_loss on seeded networks and from the
# errors that the notebook measures (passed in).


def _translation_pair():
    """Two small seeded U-Nets, G: A → B and F: B → A, and a batch of each domain (the caller's RNG untouched)."""
    from gancourse.config import seeded
    from gancourse.translation_models import UNetGenerator

    with seeded(6):
        generator_ab, generator_ba = UNetGenerator(width=8), UNetGenerator(width=8)
        real_a, real_b = torch.rand(2, 6, 1, 28, 28) * 2 - 1
    return generator_ab, generator_ba, real_a, real_b


def check_cycle_loss(my_cycle_loss) -> bool:
    """``my_cycle_loss(real_a, real_b, G, F)`` = mean |F(G(a)) − a| + mean |G(F(b)) − b|, differentiable."""
    from torch.nn.functional import l1_loss, mse_loss

    from gancourse.training.cyclegan import cycle_consistency_loss

    def test():
        G, F, a, b = _translation_pair()
        answer = call(my_cycle_loss, a.clone(), b.clone(), G, F)
        if not isinstance(answer, torch.Tensor) or answer.numel() != 1:
            return (f"return one number as a 0-d tensor (a loss to back-propagate), got {type(answer).__name__}"
                    f"{tuple(answer.shape) if isinstance(answer, torch.Tensor) else ''}.")
        if not answer.requires_grad:
            return "your loss carries no gradient (detached, .item() or torch.no_grad()?): the generators could not learn from it."
        expected = cycle_consistency_loss(a, b, G, F)
        value = answer.detach().reshape(())
        if torch.allclose(value, expected, atol=1e-5):
            return None
        with torch.no_grad():
            wrong = {
                "only the A → B → A cycle: add the B → A → B cycle, G(F(b)) against b.": l1_loss(F(G(a)), a),
                "only the B → A → B cycle: add the A → B → A cycle, F(G(a)) against a.": l1_loss(G(F(b)), b),
                "that is a squared error (L2); the cycle loss is an L1 distance, mean |F(G(a)) − a|.":
                    mse_loss(F(G(a)), a) + mse_loss(G(F(b)), b),
                "the networks are composed the wrong way round: a goes through G (A → B) first, then back through F.":
                    l1_loss(G(F(a)), a) + l1_loss(F(G(b)), b),
                "that compares one translation with its input (the identity loss); the cycle goes there *and back*.":
                    l1_loss(G(a), a) + l1_loss(F(b), b),
                "use the mean absolute difference over all pixels, not the sum.":
                    (F(G(a)) - a).abs().sum() + (G(F(b)) - b).abs().sum(),
            }
        for message, candidate in wrong.items():
            if torch.allclose(value, candidate, atol=1e-5, rtol=1e-5):
                return message
        return f"your loss is {value.item():.4f}; the cycle-consistency loss of this batch is {expected.item():.4f}."

    return run_check("Exercise · the cycle-consistency loss",
                     "translate a to B with G and back with F, compare with a by the mean absolute difference "
                     "(F.l1_loss); do the same starting from b; add the two.",
                     test)


def _model_name(answer, names) -> str | None:
    """The measured model that ``answer`` names (case, spaces and '+'/'and' spelling ignored), or None."""
    def key(text) -> str:
        return "".join(ch for ch in str(text).lower().replace("and", "+") if ch.isalnum() or ch == "+")

    matches = [name for name in names if key(name) == key(answer)]
    return matches[0] if matches else None


def check_l1_prediction(my_prediction, measured_l1: dict) -> bool:
    """Predict-then-measure: which pix2pix model has the lower L1 error on held-out pairs.

    ``measured_l1`` maps each model ("L1 alone", "L1 + adversarial") to its measured mean |G(x) − y|.
    """
    if set(measured_l1) != {"L1 alone", "L1 + adversarial"}:
        raise ValueError(f"measured_l1 must map 'L1 alone' and 'L1 + adversarial' to errors, got {sorted(measured_l1)}")

    def test():
        answer = given(my_prediction)
        named = _model_name(answer, measured_l1)
        if named is None:
            return f"answer with one of the two names, {sorted(measured_l1)}; got {answer!r}."
        lower = min(measured_l1, key=measured_l1.get)
        numbers = ", ".join(f"{name} {error:.4f}" for name, error in measured_l1.items())
        if named == lower:
            return None
        if lower == "L1 alone":
            return (f"measured: {numbers}. The L1-only model minimises exactly this error; the adversarial term "
                    "trades a little of it for sharp, committed strokes. Looking right and being close on average differ.")
        return (f"measured: {numbers}. Here the adversarial model is closer to the targets as well: at this budget "
                "the discriminator also helped G learn the layout.")

    return run_check("Exercise · predict the L1 error",
                     "ask which loss each model is trained to make small, and what the adversarial term adds to it.",
                     test)
