"""Checks for notebook 09 (applications): the super-resolution prediction and the Gumbel-softmax sample.

Expected values are measured or computed by the package, never copied from a solution: the ranking of the
super-resolution methods from the scores the notebook measured, the Gumbel-softmax sample from
:func:`gancourse.sequences.gumbel_softmax_sample` on the same uniform noise.
"""

from __future__ import annotations

import torch

from gancourse.checks import call, given, run_check

SR_METHODS = ("bicubic", "content-only", "SRGAN")


# ---- Exercise: predict the super-resolution ranking ---------------------------------------------------------------
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

    return run_check("Exercise · super-resolution: PSNR and sharpness",
                     "PSNR = 10·log10(1 / MSE): compare what each method was trained (or not trained) to minimise. "
                     "Sharpness: what happens to the edges when several plausible images are averaged?",
                     test)


# ---- Exercise: the Gumbel-softmax sample ----------------------------------------------------------------------------
def _cases():
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
        for logits, temperature, uniform in _cases():
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

    return run_check("Exercise · the Gumbel-softmax sample",
                     "the formula is in the text above the exercise: Gumbel noise from the uniforms, added to the "
                     "logits, divided by τ, then a softmax over the last dimension.",
                     test)
