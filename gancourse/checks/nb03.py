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
    """Exercise 1: D*(x) from the two *log* densities log p_data(x) and log p_g(x) (NumPy arrays).

    The grid reaches far into the tails (|x| up to 60), where both densities are below the smallest
    float64 (e^(−1800)): a formula that exponentiates first divides 0 by 0 there.
    """

    def test():
        x = np.r_[np.linspace(-4, 5, 37), -60.0, -40.0, 40.0, 60.0]
        got = call(my_optimal_discriminator, _DATA.logpdf(x), _GEN.logpdf(x))
        got = np.asarray(got, dtype=float)
        if got.shape != x.shape:
            return f"expected one value per x, shape {x.shape}, got shape {got.shape}."
        expected = theory.optimal_discriminator(x, _DATA, _GEN)
        centre = slice(0, 37)
        if not np.isfinite(got).all():
            bad = x[~np.isfinite(got)]
            return (f"your D*(x) is not a number at x = {', '.join(f'{v:g}' for v in bad[:4])}: there both densities "
                    "are below the smallest float64 (e^(−1800) rounds to 0), and 0 / (0 + 0) is nan.")
        if _close(got, 1 - expected, 1e-6):
            return "your D is high where the *generated* density dominates: that is 1 − D*."
        if _close(got[centre], expected[centre], 1e-6) and not _close(got, expected, 1e-6):
            return "right near the data, wrong far in the tails: the limits there are 0 or 1, never 1/2 or nan."
        if not _close(got, expected, 1e-6):
            worst = float(np.abs(got - expected).max())
            return f"off by up to {worst:.3g} from the optimal discriminator."
        return None

    return run_check("Exercise 1 · optimal discriminator D*(x) from log densities",
                     "section 3 wrote D*'s logit in terms of the two log densities; turn a logit into a "
                     "probability without ever exponentiating a huge number.",
                     test)


# ---- Exercise 2: predict the saturating race with plain SGD ----------------------------------------------------------
SGD_RACE_CHOICES = {
    "A": "reaches the data (final W1 below 1)",
    "B": "moves part of the way (final W1 between 1 and 90 % of its start)",
    "C": "stays where it started (final W1 at least 90 % of its start)",
}


def sgd_race_outcome(w1_start: float, w1_end: float) -> str:
    """The letter of :data:`SGD_RACE_CHOICES` that a run from W1 = ``w1_start`` to ``w1_end`` falls under."""
    if not (w1_start > 0 and w1_end >= 0):
        raise ValueError(f"W1 values must be non-negative (start positive), got {w1_start}, {w1_end}")
    if w1_end < 1.0:
        return "A"
    return "B" if w1_end < 0.9 * w1_start else "C"


def check_sgd_race_prediction(my_prediction, w1_start: float, w1_end: float, control_w1_end: float | None = None) -> bool:
    """Exercise 2: predict (one letter of :data:`SGD_RACE_CHOICES`) what the *saturating* generator does when
    both players use plain SGD; compared with the W1 measured in the run (``control_w1_end``: the same
    run with the non-saturating loss, which shows the learning rate was not simply too small)."""

    def test():
        choice = str(given(my_prediction)).strip().upper()
        if choice not in SGD_RACE_CHOICES:
            return f"answer with one letter of {sorted(SGD_RACE_CHOICES)}, got {my_prediction!r}."
        outcome = sgd_race_outcome(w1_start, w1_end)
        if choice == outcome:
            return None
        measured = f"the saturating generator went from W1 = {w1_start:.2f} to {w1_end:.2f}, which is {outcome}"
        control = ("" if control_w1_end is None else
                   f" With the same SGD settings the non-saturating generator reached W1 = {control_w1_end:.2f}, "
                   "so the learning rate is not what held the saturating one back.")
        if outcome == "C":
            why = (" An SGD step is the learning rate times the gradient, and the saturating gradient is about D(G(z)) "
                   "per sample, tiny while D rejects the fakes; Adam divides by the gradient's running size, "
                   "so its steps stayed usable.")
        else:
            why = " Compare the gradient sizes printed above the plot with the ones of section 5."
        return f"you predicted {choice}; {measured}.{control}{why}"

    return run_check("Exercise 2 · the saturating race with plain SGD",
                     "an SGD step is (learning rate) × (gradient): look up in section 5 how large the saturating "
                     "generator's gradient is while D rejects the fakes, multiply, and compare with the distance to the data.",
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
