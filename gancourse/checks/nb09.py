"""Checks for notebook 09 (applications), its five exercises in reading order.

Expected answers are measured, never copied from a solution: the semi-supervised GAN's log D(x) from
:func:`gancourse.training.semi_supervised.real_log_probability`, the augmentation verdict from the accuracies the
notebook measured, the ranking of the super-resolution methods from the scores the notebook measured, the
Gumbel-softmax sample from :func:`gancourse.sequences.gumbel_softmax_sample` on the same uniform noise, and the
detector's rate on the images handed in.
"""

from __future__ import annotations

import numpy as np
import torch

from gancourse.checks import call, given, run_check

_CHOICES = ("A", "B", "C")


def _choice(answer) -> str:
    choice = str(given(answer)).strip().upper()
    if choice not in _CHOICES:
        raise ValueError(f"answer with one of {_CHOICES}, got {answer!r}")
    return choice


# ---- Exercise 1: log D(x) of the K+1-class discriminator -------------------------------------------------------
def _logit_cases():
    gen = torch.Generator().manual_seed(9)
    yield torch.randn(16, 10, generator=gen)
    yield 30 * torch.randn(16, 10, generator=gen)          # confident logits: exp overflows float32 beyond ~88
    yield torch.tensor([[100.0, 0.0, -5.0], [-100.0, -100.0, -100.0], [0.0, 0.0, 0.0]])


def check_log_real_probability(fn) -> bool:
    """Exercise 1: ``fn(logits)`` → log D(x) per sample, D(x) = Z / (Z + 1), Z = Σ exp(logits), computed stably."""
    from gancourse.training.semi_supervised import real_log_probability

    def test():
        for logits in _logit_cases():
            got = call(fn, logits.clone())
            if not isinstance(got, torch.Tensor):
                return f"return a tensor, got {type(got).__name__}."
            expected, _ = real_log_probability(logits)
            if got.shape != expected.shape:
                return f"expected one value per sample, shape {tuple(expected.shape)}, got {tuple(got.shape)}."
            if not torch.isfinite(got).all():
                return ("some values are inf or NaN for large logits (e.g. 100): exp(100) overflows in float32. "
                        "Write log(Z / (Z + 1)) with logsumexp and softplus instead of exp and log.")
            if (got > 1e-6).any():
                return "a log-probability cannot be positive: D(x) is a probability."
            if not torch.allclose(got, expected, atol=1e-4, rtol=1e-4):
                worst = (got - expected).abs().max().item()
                if (got.abs() < 1e-6).all():
                    return "all your values are 0: the (K+1)-th class, 'generated', has logit 0 and takes its share."
                return (f"off by up to {worst:.3g} from log D(x): D(x) sums the probabilities of the K real classes "
                        "in a (K+1)-way softmax whose extra logit is 0.")
        return None

    return run_check("Exercise 1 · log D(x) for the semi-supervised GAN",
                     "the K real classes share exp(l_1) + … + exp(l_K) = Z, the generated class has exp(0) = 1; "
                     "torch.logsumexp and torch.nn.functional.softplus keep it finite.", test)


# ---- Exercise 2: does adding CGAN samples help a few-label classifier? -----------------------------------------
def augmentation_verdict(baseline, augmented, margin: float = 0.02) -> str:
    """"A" if the mean accuracy rises by more than ``margin``, "C" if it falls by more, else "B"."""
    baseline, augmented = np.asarray(baseline, float), np.asarray(augmented, float)
    if baseline.shape != augmented.shape or baseline.size == 0:
        raise ValueError("baseline and augmented need one accuracy per seed each, the same number of seeds")
    gain = float(augmented.mean() - baseline.mean())
    return "A" if gain > margin else "C" if gain < -margin else "B"


def check_augmentation_prediction(my_choice, baseline, augmented) -> bool:
    """Exercise 2: A = helps by more than 2 points, B = within ±2 points, C = hurts by more than 2 points."""

    def test():
        choice = _choice(my_choice)
        gain = 100 * (np.mean(augmented) - np.mean(baseline))
        right = augmentation_verdict(baseline, augmented)
        spread = 100 * np.std(np.asarray(augmented) - np.asarray(baseline))
        if choice != right:
            return (f"you chose {choice}; measured here: a mean change of {gain:+.1f} points over {len(baseline)} seeds "
                    f"(std of the per-seed changes {spread:.1f} points), i.e. {right}.")
        print(f"measured: {gain:+.1f} points on average, per-seed std {spread:.1f} points.")
        return None

    return run_check("Exercise 2 · CGAN samples as extra training data",
                     "the CGAN learned from the same 100 labelled images: what can its samples tell the classifier "
                     "that those images do not? And what happens when some samples show the wrong digit?", test)


# ---- Exercise 3: predict the super-resolution ranking -------------------------------------------------------------
def check_sr_prediction(my_highest_psnr, my_sharpest, scores: dict[str, dict[str, float]]) -> bool:
    """Which of bicubic / content-only / SRGAN has the highest PSNR, and which the sharpest images (largest mean
    squared gradient)?  ``scores`` maps each method to the measured ``{"psnr": …, "sharpness": …}``."""
    missing = [m for m in SR_METHODS if m not in scores]
    if missing:
        raise ValueError(f"scores must hold the measured results of {SR_METHODS}; missing {missing}")

    def test():
        psnr_pick, sharp_pick = given(my_highest_psnr), given(my_sharpest)
        for pick in (psnr_pick, sharp_pick):
            if pick not in SR_METHODS:
                return f"answer with one of {SR_METHODS}, got {pick!r}."
        best_psnr = max(SR_METHODS, key=lambda m: scores[m]["psnr"])
        sharpest = max(SR_METHODS, key=lambda m: scores[m]["sharpness"])
        problems = []
        if psnr_pick != best_psnr:
            problems.append(f"the highest PSNR is {best_psnr}'s ({scores[best_psnr]['psnr']:.2f} dB), not "
                            f"{psnr_pick}'s ({scores[psnr_pick]['psnr']:.2f} dB).")
        if sharp_pick != sharpest:
            problems.append(f"the sharpest are {sharpest}'s images ({scores[sharpest]['sharpness']:.2f}), not "
                            f"{sharp_pick}'s ({scores[sharp_pick]['sharpness']:.2f}).")
        return " ".join(problems) or None

    return run_check("Exercise 3 · super-resolution: PSNR and sharpness",
                     "PSNR = 10·log10(1 / MSE): compare what each method was trained (or not trained) to minimise. "
                     "Sharpness: what happens to the edges when several plausible images are averaged?",
                     test)


# ---- Exercise 4: the Gumbel-softmax sample --------------------------------------------------------------------------
def _gumbel_cases():
    gen = torch.Generator().manual_seed(9)
    for shape, temperature in (((5, 4), 1.0), ((3, 7, 6), 0.5), ((8, 3), 2.0)):
        logits = 2 * torch.randn(shape, generator=gen)
        uniform = torch.rand(shape, generator=gen).clamp(1e-4, 1 - 1e-4)
        yield logits, temperature, uniform


def check_gumbel_softmax(my_gumbel_softmax) -> bool:
    """``my_gumbel_softmax(logits, temperature, uniform)`` must return softmax((logits + g)/τ), g = −log(−log u),
    over the last dimension, differentiable in the logits."""
    from gancourse.sequences import gumbel_softmax_sample

    def test():
        for logits, temperature, uniform in _gumbel_cases():
            logits = logits.clone().requires_grad_(True)
            sample = call(my_gumbel_softmax, logits, temperature, uniform.clone())
            if not isinstance(sample, torch.Tensor) or sample.shape != logits.shape:
                return f"return a tensor of the logits' shape {tuple(logits.shape)}."
            expected = gumbel_softmax_sample(logits.detach(), temperature, uniform)
            if not torch.allclose(sample.detach().sum(-1), torch.ones(logits.shape[:-1]), atol=1e-4):
                return "each sample must be a probability vector over the last dimension (sum to 1): a softmax."
            if sample.grad_fn is None:
                return "your sample carries no gradient back to the logits — an argmax or a one-hot cuts it."
            if not torch.allclose(sample.detach(), expected, atol=1e-4):
                if torch.allclose(sample.detach(), torch.softmax(logits.detach() / temperature, -1), atol=1e-4):
                    return "the Gumbel noise is missing: without it the result is not a sample, just the softmax."
                return (f"with τ = {temperature:g} your values differ from softmax((logits + g)/τ) by up to "
                        f"{(sample.detach() - expected).abs().max():.3f}: check the noise g = −log(−log u) and that "
                        "the temperature divides the sum of logits and noise.")
            (grad,) = torch.autograd.grad(sample[..., 0].sum(), logits)
            if not torch.isfinite(grad).all() or grad.abs().sum() == 0:
                return "the gradient back to the logits is zero or not finite."
        return None

    return run_check("Exercise 4 · the Gumbel-softmax sample",
                     "work on whole tensors (no loops): the logits may have any number of leading dimensions and the "
                     "vocabulary is the last one; the uniforms are already drawn for you, so draw no new noise; and "
                     "keep every operation differentiable in the logits (no argmax, no one-hot).",
                     test)


# ---- Exercise 5: a detector facing a generator it never saw ------------------------------------------------------
def detection_band(rate: float) -> str:
    """"A" for ≥ 90 % of fakes flagged, "B" for 60–90 %, "C" below 60 %."""
    return "A" if rate >= 0.9 else "B" if rate >= 0.6 else "C"


def check_detector_prediction(my_choice, flags_fake, unseen_fakes: torch.Tensor) -> bool:
    """Exercise 5: which share of ``unseen_fakes`` does the detector flag as fake?  ``flags_fake(images)`` returns
    a boolean tensor (True = "generated")."""

    def test():
        choice = _choice(my_choice)
        rate = torch.as_tensor(flags_fake(unseen_fakes)).float().mean().item()
        right = detection_band(rate)
        if choice != right:
            return f"you chose {choice}; the detector flags {rate:.1%} of this generator's samples, i.e. {right}."
        print(f"measured: {rate:.1%} of the unseen generator's samples flagged as fake.")
        return None

    return run_check("Exercise 5 · a detector against a generator it never saw",
                     "the detector learned whatever separated one generator's samples from real digits; another "
                     "generator makes other mistakes.", test)

SR_METHODS = ("bicubic", "content-only", "SRGAN")
