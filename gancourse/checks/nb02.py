"""Checks for notebook 02 (generator and discriminator).

Expected values are measured, never copied from a solution: a fine scan of PyTorch's
``F.binary_cross_entropy``, the parameters of a real ``MLPGenerator``, and the image changes of the
notebook's own trained generator.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from gancourse.checks import given, run_check
from gancourse.config import seeded

# Width lists [input, hidden…, output] on which the parameter-count function is tested
# ---- Exercise 1: the lowest BCE against a soft label ------------------------------------------------------------
SOFT_LABEL = 0.9  # the "real" label of one-sided label smoothing


def measured_soft_label_minimum(target: float = SOFT_LABEL, points: int = 99_999) -> tuple[float, float]:
    """(p, loss) at the minimum of ``F.binary_cross_entropy(p, target)`` over a fine grid of p in (0, 1)."""
    p = torch.linspace(0.0, 1.0, points + 2, dtype=torch.float64)[1:-1]
    losses = F.binary_cross_entropy(p, torch.full_like(p, target), reduction="none")
    best = int(losses.argmin())
    return float(p[best]), float(losses[best])


def check_soft_label_minimum(best_p, lowest_loss) -> bool:
    """Exercise 1: predict where BCE against the soft target y = 0.9 is lowest, and its value there."""

    def test():
        p_answer, loss_answer = float(given(best_p)), float(given(lowest_loss))
        p_star, loss_star = measured_soft_label_minimum()
        measured = f"(measured: lowest at p = {p_star:.3f}, loss {loss_star:.4f})"
        if p_answer >= 0.995:
            return ("at p → 1 the term (1 − y)·log(1 − p) = 0.1·log(1 − p) goes to −∞, so the loss grows without "
                    f"bound: with a soft label, being certain is punished {measured}.")
        if abs(p_answer - p_star) > 0.01:
            return f"your p = {p_answer:.3f} is not where the loss is lowest {measured}."
        if abs(loss_answer) <= 0.01:
            return ("the loss does not reach 0 with a soft label: both terms are positive at any p in (0, 1) "
                    f"{measured}.")
        if math.isclose(loss_answer, -math.log(SOFT_LABEL), abs_tol=0.01):
            return f"that is only the y·log p term; the (1 − y)·log(1 − p) term adds to it {measured}."
        if loss_answer < 0:
            return "BCE is never negative: both logs are ≤ 0 and the formula puts a minus in front."
        if abs(loss_answer - loss_star) > 0.01:
            return f"your p is right, but the loss there is {loss_star:.4f}, not {loss_answer:.4f}."
        return None

    return run_check("Exercise 1 · the lowest BCE against a soft label",
                     "write the loss for y = 0.9 as a function of p, set its derivative with respect to p to zero, "
                     "then evaluate the loss there (natural logarithms).",
                     test)


# ---- Exercise 2: an MLP generator for 64×64 colour images ---------------------------------------------------------
def measured_generator_parameters(latent_dim: int, hidden: int, image_shape=(3, 64, 64)) -> int:
    """Trainable parameters of the notebook's generator design (two BatchNorm blocks) for ``image_shape``."""
    from gancourse.models import MLPGenerator, count_parameters

    with seeded(0):  # building the layers draws initial weights: keep the notebook's random state untouched
        generator = MLPGenerator(latent_dim, tuple(image_shape), hidden=(hidden, hidden), batch_norm=True)
    return count_parameters(generator)


def check_generator_parameters(my_count, latent_dim: int, hidden: int, image_shape=(3, 64, 64)) -> bool:
    """Exercise 2: predict the parameter count of the MLP generator for 3×64×64 images."""

    def test():
        answer = int(given(my_count))
        expected = measured_generator_parameters(latent_dim, hidden, image_shape)
        if answer == expected:
            return None
        pixels = math.prod(image_shape)
        h, d = hidden, latent_dim
        blocks = (d * h + h) + 2 * h + (h * h + h) + 2 * h
        if answer == h * pixels + pixels:
            return ("that is the output layer alone (it does hold most of them); the two hidden blocks are still "
                    "there.")
        if answer == d * h + 2 * h + h * h + 2 * h + h * pixels:
            return "you left out the biases: every Linear layer also has one bias per output unit."
        if answer == blocks - 4 * h + h * pixels + pixels:
            return f"each BatchNorm layer learns a scale and a shift per unit: 2·{h} parameters each."
        if answer == blocks + h * (pixels // image_shape[0]) + pixels // image_shape[0]:
            return (f"a colour image has {image_shape[0]} channels: the last layer needs {pixels:,} outputs, "
                    f"not {pixels // image_shape[0]:,}.")
        if answer == measured_generator_parameters(latent_dim, hidden, (1, 28, 28)):
            return "that is the 28×28 generator of this notebook: only its last layer changes for a bigger image."
        return f"you predict {answer:,}; a real MLPGenerator for {'×'.join(map(str, image_shape))} images has {expected:,}."

    return run_check("Exercise 2 · parameters of a generator for 64×64 colour images",
                     "only the layers whose size depends on the image change; count each with the formulas "
                     "of section 2 (Linear and BatchNorm).",
                     test)


# ---- Exercise 3: one coordinate against a fresh noise vector -------------------------------------------------------
def latent_changes(generator: nn.Module, base_z: torch.Tensor, *, low: float = -3.0, high: float = 3.0,
                   pairs: int = 500, seed: int = 11) -> tuple[torch.Tensor, float]:
    """How much G's image moves: per coordinate, and between independent noise vectors.

    Returns ``(per_coordinate, fresh)``: ``per_coordinate[i]`` is the mean |Δpixel| between G(base_z with
    z[i] = low) and G(base_z with z[i] = high), the ends of the notebook's latent sweep; ``fresh`` is the
    mean |Δpixel| between G(z) and G(z') for ``pairs`` independent z, z' ~ N(0, I) drawn from ``seed``.
    """
    from gancourse.widgets import generate, latent_sweep

    base = torch.as_tensor(base_z, dtype=torch.float32).flatten()
    ends = latent_sweep(generator, base, range(len(base)), [low, high])
    per_coordinate = (ends[1::2] - ends[0::2]).abs().flatten(1).mean(1)
    noise = torch.randn(2, pairs, len(base), generator=torch.Generator().manual_seed(seed))
    fresh = (generate(generator, noise[0]) - generate(generator, noise[1])).abs().mean().item()
    return per_coordinate, fresh


def check_sweep_against_fresh_noise(my_ratio, generator: nn.Module, base_z: torch.Tensor) -> bool:
    """Exercise 3: predict (mean image change of a −3 → +3 sweep of one coordinate) / (change between fresh z)."""

    def test():
        answer = float(given(my_ratio))
        per_coordinate, fresh = latent_changes(generator, base_z)
        ratio = per_coordinate.mean().item() / fresh
        measured = (f"(measured: one coordinate moves the image by {per_coordinate.mean().item():.3f} on average, "
                    f"a fresh z by {fresh:.3f}: ratio {ratio:.2f})")
        if abs(answer - ratio) <= 0.25 * ratio:
            return None
        latent_dim = len(torch.as_tensor(base_z).flatten())
        if answer <= 1.5 / latent_dim:
            return (f"one coordinate of {latent_dim} does not carry 1/{latent_dim} of the change: a sweep from −3 to +3 "
                    f"is a step of length 6 in z, while two fresh z are only about √(2·{latent_dim}) ≈ "
                    f"{math.sqrt(2 * latent_dim):.1f} apart {measured}.")
        if answer < ratio:
            return f"your prediction {answer:.2f} is too small {measured}."
        return (f"your prediction {answer:.2f} is too large: the pixels are bounded by Tanh, so a longer step in z "
                f"does not keep adding change {measured}.")

    return run_check("Exercise 3 · one coordinate against a fresh noise vector",
                     "compare the length of the step in z: 6 along one axis, versus the typical distance between "
                     "two independent vectors of N(0, I) (each coordinate of z − z' has variance 2).",
                     test)
