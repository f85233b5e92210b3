"""Checks for notebook 03 (the minimax game and its loss).

Expected values come from :mod:`gancourse.theory` and :mod:`gancourse.losses` (numerical integration,
linear programming, PyTorch's own BCE), never from a copy of the solution.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from gancourse import theory
from gancourse.checks import call, given, run_check

_DATA, _GEN = theory.Gaussian(0.0, 1.0), theory.Gaussian(1.0, 1.5)
# The kicker's scoring probability (rows: kick left / right; columns: keeper dives left / right)
PENALTY_GAME = [[0.60, 0.95], [0.90, 0.70]]


def _close(a, b, tol) -> bool:
    return bool(np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=0, atol=tol))


def check_optimal_discriminator(my_optimal_discriminator) -> bool:
    """Exercise 1: D*(x) from the two density values p_data(x) and p_g(x) (NumPy arrays)."""

    def test():
        x = np.linspace(-4, 5, 37)
        got = call(my_optimal_discriminator, _DATA.pdf(x), _GEN.pdf(x))
        got = np.asarray(got, dtype=float)
        if got.shape != x.shape:
            return f"expected one value per x, shape {x.shape}, got shape {got.shape}."
        expected = theory.optimal_discriminator(x, _DATA, _GEN)
        if _close(got, 1 - expected, 1e-6):
            return "your D is high where the *generated* density dominates: that is 1 − D*."
        if not _close(got, expected, 1e-6):
            worst = float(np.abs(got - expected).max())
            return f"off by up to {worst:.3g} from the optimal discriminator."
        return None

    return run_check("Exercise 1 · optimal discriminator D*(x)",
                     "for each x, maximise a·log D + b·log(1 − D) over D in (0, 1), with a = p_data(x), b = p_g(x).",
                     test)


def check_value_at_half(value_at_half) -> bool:
    """Exercise 2: V(D, G) for the clueless discriminator D(x) = 1/2, for any p_data and p_g."""

    def test():
        answer = float(given(value_at_half))
        expected = theory.value_function(lambda x: np.full_like(x, 0.5), _DATA, _GEN)
        if math.isclose(answer, -expected, abs_tol=1e-4):
            return "right size, wrong sign: the log of a probability is never positive."
        if math.isclose(answer, expected / 2, abs_tol=1e-4):
            return "that is only one of the two terms of V."
        if not math.isclose(answer, expected, abs_tol=1e-4):
            return f"{answer:.6f} is not V(1/2, G)."
        return None

    return run_check("Exercise 2 · the value at D = 1/2",
                     "both expectations integrate a constant log(1/2) against a density (which integrates to 1).",
                     test)


def check_nonsaturating_loss(my_generator_loss) -> bool:
    """Exercise 3: the non-saturating generator loss −mean log D(G(z)) from raw logits, stable for any logit."""

    def test():
        logits = torch.tensor([-200.0, -30.0, -6.0, -1.0, 0.0, 0.5, 3.0, 40.0])
        got = call(my_generator_loss, logits.clone())
        if not isinstance(got, torch.Tensor) or got.numel() != 1:
            return "return a single-number tensor (the mean over the batch)."
        expected = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        if not torch.isfinite(got):
            return "the loss is not finite for a logit of −200: log(sigmoid(−200)) underflows to log 0."
        if torch.isclose(got.float(), -F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits)), atol=1e-3):
            return "that is the saturating loss log(1 − D(G(z))), not −log D(G(z))."
        if not torch.isclose(got.float(), expected, rtol=1e-4, atol=1e-4):
            return f"got {got.item():.4f}, expected {expected.item():.4f} on the test logits."
        probe = torch.full((4,), -6.0, requires_grad=True)
        loss = call(my_generator_loss, probe)
        no_graph = "the value is right but no gradient flows back: keep the computation in torch (no .item(), no NumPy)."
        if not loss.requires_grad:
            return no_graph
        (grad,) = torch.autograd.grad(loss, probe)
        if not torch.allclose(grad, -(1 - torch.sigmoid(probe.detach())) / 4, atol=1e-5):
            return "the value is right but its gradient with respect to the logits is not."
        return None

    return run_check("Exercise 3 · non-saturating generator loss from logits",
                     "stay on logits: −log σ(ℓ) = log(1 + e^(−ℓ)), and torch.nn.functional has a stable function for log(1 + e^x).",
                     test)


def check_penalty_equilibrium(kick_left, scoring_probability) -> bool:
    """Exercise 4: the kicker's mixed Nash equilibrium of :data:`PENALTY_GAME` and the game's value."""

    def test():
        p, value = float(given(kick_left)), float(given(scoring_probability))
        row, _, expected_value = theory.solve_zero_sum(PENALTY_GAME)
        if math.isclose(p, 0.5, abs_tol=1e-3):
            return "50/50 is the equilibrium of matching pennies, not of this asymmetric game."
        if math.isclose(p, row[1], abs_tol=1e-3):
            return "that is the probability of kicking *right*."
        if not math.isclose(p, row[0], abs_tol=1e-3):
            return f"with p = {p:.3f} the keeper can exploit you: one of the keeper's dives scores less than the other."
        if not math.isclose(value, expected_value, abs_tol=1e-3):
            return f"p is right, but {value:.4f} is not the scoring probability at equilibrium."
        return None

    return run_check("Exercise 4 · mixed equilibrium of the penalty-kick game",
                     "choose p so that the keeper gains nothing by diving one way rather than the other (the indifference principle).",
                     test)
