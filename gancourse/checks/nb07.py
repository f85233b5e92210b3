"""Checks for notebook 07 (WGAN and other objectives).

Expected values are measured, never copied from a solution: JS and W1 from samples
(:mod:`gancourse.divergences`), the gradient penalty from :func:`gancourse.losses.gradient_penalty` on the
same random mixing weights, and the share of clipped weights from the critic handed in.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from gancourse.checks import call, given, run_check
from gancourse.config import seeded


# ---- Exercise 1: predict JS and W1 for two disjoint segments ----------------------------------------------------
def measured_js_w1(theta: float) -> tuple[float, float]:
    """(JS, W1) between P₀ and P_θ, estimated from samples by :func:`gancourse.divergences.js_and_w1_under_shift`."""
    from gancourse.divergences import js_and_w1_under_shift

    result = js_and_w1_under_shift([theta])
    return float(result["js"][0]), float(result["w1"][0])


def check_js_w1_prediction(my_js, my_w1, theta: float = 0.5) -> bool:
    """Exercise 1: predict JS(P₀, P_θ) (nats) and W1(P₀, P_θ) for the two parallel segments θ apart."""

    def test():
        js, w1 = float(given(my_js)), float(given(my_w1))
        measured_js, measured_w1 = measured_js_w1(theta)
        problems = []
        if abs(js - measured_js) > 0.03:
            if abs(js - theta) <= 0.03 or abs(js) <= 0.03:
                problems.append(f"JS = {js:g} is not what the samples give ({measured_js:.3f}): with disjoint supports "
                                "M = (P + Q)/2 is half of P wherever P lives, whatever the gap.")
            else:
                problems.append(f"JS = {js:g} is off: the samples give {measured_js:.3f} nats.")
        if abs(w1 - measured_w1) > 0.03:
            if abs(w1 - math.log(2)) <= 0.03 or abs(w1 - 1.0) <= 0.03:
                problems.append(f"W1 = {w1:g} is off ({measured_w1:.3f} measured): W1 is a transport cost, it depends "
                                "on how far the mass must move.")
            else:
                problems.append(f"W1 = {w1:g} is off: the optimal transport of the samples costs {measured_w1:.3f}.")
        return " ".join(problems) or None

    return run_check(f"Exercise 1 · JS and W1 at θ = {theta:g}",
                     "JS compares the two densities point by point (where one is positive the other is 0); W1 is the "
                     "cheapest average distance the mass has to travel to turn one segment into the other.",
                     test)


# ---- Exercise 2: the gradient penalty -----------------------------------------------------------------------------
def _critics() -> list[tuple[nn.Module, tuple[int, ...]]]:
    """Small nonlinear critics (on 2-D points and on 1×8×8 images), built without touching the global RNG."""
    from gancourse.models import MLPDiscriminator

    with seeded(3):
        points = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Softplus(), nn.Linear(32, 1),
                               nn.Flatten(0))
        images = MLPDiscriminator((1, 8, 8), hidden=(32, 16))
    for layer in points:  # large weights: gradient norms on both sides of 1
        if isinstance(layer, nn.Linear):
            layer.weight.data.mul_(3.0)
    return [(points, (2,)), (images, (1, 8, 8))]


def _cases():
    gen = torch.Generator().manual_seed(11)
    for critic, shape in _critics():
        for n in (5, 16):
            real = torch.randn(n, *shape, generator=gen)
            fake = 0.5 * torch.randn(n, *shape, generator=gen) + 0.3
            seed = int(torch.randint(10_000, (1,), generator=gen))
            alpha = torch.rand(n, *([1] * len(shape)), generator=torch.Generator().manual_seed(seed))
            yield critic, real, fake, alpha, seed


def check_gradient_penalty(my_gradient_penalty) -> bool:
    """Exercise 2: ``my_gradient_penalty(critic, real, fake, alpha)`` against
    :func:`gancourse.losses.gradient_penalty` with the same mixing weights ``alpha`` (shape (N, 1, …))."""
    from gancourse.losses import gradient_penalty

    def test():
        for critic, real, fake, alpha, seed in _cases():
            answer = call(my_gradient_penalty, critic, real.clone(), fake.clone(), alpha.clone())
            if not isinstance(answer, torch.Tensor) or answer.numel() != 1:
                return f"return one number as a 0-d tensor (the mean over the batch), got {type(answer).__name__}" + (
                    f" of shape {tuple(answer.shape)}" if isinstance(answer, torch.Tensor) else "") + "."
            expected = gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(seed))
            if torch.allclose(answer.detach().double().reshape(()), expected.detach().double(), rtol=1e-4, atol=1e-6):
                if not answer.requires_grad:
                    return ("the value is right, but it cannot be back-propagated into the critic: compute the "
                            "gradient with create_graph=True, so the penalty trains the critic.")
                continue
            wrong = _diagnose(critic, real, fake, alpha, float(answer.detach()))
            return f"on a batch of {len(real)} the penalty is {float(expected.detach()):.5f}, you give {float(answer.detach()):.5f}" + (
                f": {wrong}" if wrong else ".")
        return None

    return run_check("Exercise 2 · the gradient penalty",
                     "the penalty is taken at points on the segments between paired real and fake samples; "
                     "torch.autograd.grad gives the critic's gradient with respect to its input, and the penalty "
                     "must itself be differentiable (it is part of the critic's loss).",
                     test)


def _gradients(critic, points):
    points = points.detach().requires_grad_(True)
    (grads,) = torch.autograd.grad(critic(points).sum(), points)
    return grads.flatten(1)


def _diagnose(critic, real, fake, alpha, answer: float) -> str | None:
    """Name a typical mistake when the answer equals what it computes."""
    mixed = alpha * real + (1 - alpha) * fake
    g = _gradients(critic, mixed)
    norms = g.norm(dim=1)
    known = {
        "the squared norm is compared with 1; take the norm itself, ‖∇‖ − 1 (sqrt of the sum of squares)":
            ((g.square().sum(1) - 1) ** 2).mean(),
        "that is the one-sided penalty max(0, ‖∇‖ − 1)²; WGAN-GP's is two-sided, (‖∇‖ − 1)²":
            torch.clamp(norms - 1, min=0).square().mean(),
        "the gradient is taken at the real points; take it at the mixed points x̂": (_gradients(critic, real).norm(dim=1) - 1).square().mean(),
        "α and 1 − α are swapped: x̂ = α·real + (1 − α)·fake":
            (_gradients(critic, (1 - alpha) * real + alpha * fake).norm(dim=1) - 1).square().mean(),
        "one norm over the whole batch; take one norm per sample (flatten(1), norm over dim 1)": (g.norm() - 1) ** 2,
        "the square is missing: (‖∇‖ − 1)²": (norms - 1).mean(),
    }
    for message, value in known.items():
        if math.isclose(answer, float(value), rel_tol=1e-4, abs_tol=1e-6):
            return message
    return None


# ---- Exercise 3: predict how many critic weights sit at the clipping bound ----------------------------------------
CLIP_CHOICES = {"A": (0.0, 0.10), "B": (0.10, 0.50), "C": (0.50, 1.0 + 1e-9)}


def fraction_at_bound(critic: nn.Module, clip_value: float, tolerance: float = 0.01) -> float:
    """Share of the critic's parameters whose magnitude is within ``tolerance``·c of the clipping bound c."""
    if not clip_value > 0:
        raise ValueError(f"clip_value must be positive, got {clip_value}")
    weights = torch.cat([p.detach().flatten() for p in critic.parameters()])
    return float((weights.abs() >= (1 - tolerance) * clip_value).float().mean())


def check_clip_prediction(my_choice, critic: nn.Module, clip_value: float) -> bool:
    """Exercise 3: predict the share of a weight-clipped critic's parameters at ±c after training:
    ``"A"`` under 10 %, ``"B"`` 10–50 %, ``"C"`` over 50 %."""

    def test():
        choice = str(given(my_choice)).strip().upper()
        if choice not in CLIP_CHOICES:
            return f"answer with one letter of {sorted(CLIP_CHOICES)}, got {my_choice!r}."
        share = fraction_at_bound(critic, clip_value)
        right = next(k for k, (lo, hi) in CLIP_CHOICES.items() if lo <= share < hi)
        if choice != right:
            return (f"you predicted {choice}; the trained critic has {100 * share:.1f} % of its weights at ±{clip_value:g}, "
                    f"which is {right}.")
        return None

    return run_check("Exercise 3 · weights at the clipping bound",
                     "the critic maximises E[f(x)] − E[f(G(z))], a linear function of its output; ask where gradient "
                     "ascent pushes a weight that the clamp stops.",
                     test)
