"""Checks for notebook 02 (generator and discriminator).

Expected values come from PyTorch itself (``nn.Linear`` modules, ``F.binary_cross_entropy``,
``F.leaky_relu``), never from a copy of the solution.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gancourse.checks import call, run_check

# Width lists [input, hidden…, output] on which the parameter-count exercise is tested
LAYER_STACKS = ([8, 256, 256, 784], [784, 256, 256, 1], [2, 1], [100, 128, 64, 32, 3])


def _torch_count(widths) -> int:
    # on the meta device: shapes only, so no random initial weights are drawn from the notebook's generator
    stack = nn.Sequential(*(nn.Linear(a, b, device="meta") for a, b in zip(widths, widths[1:])))
    return sum(p.numel() for p in stack.parameters())


def check_linear_parameters(my_parameter_count) -> bool:
    """Exercise 1: number of parameters of a stack of ``nn.Linear`` layers (with biases) given its widths."""

    def test():
        for widths in LAYER_STACKS:
            got = call(my_parameter_count, list(widths))
            expected = _torch_count(widths)
            if got == expected:
                continue
            pairs = list(zip(widths, widths[1:]))
            if got == sum(a * b for a, b in pairs):
                return f"for widths {widths} you counted only the weights: every output unit also has a bias."
            if got == sum(a * b + a for a, b in pairs):
                return f"for widths {widths}: a layer has one bias per *output* unit, not per input."
            return f"for widths {widths} you got {got:,}; PyTorch counts {expected:,}."
        return None

    return run_check("Exercise 1 · parameters of a Linear stack",
                     "nn.Linear(a, b) holds a weight matrix of shape (b, a) and a bias of length b.",
                     test)


def check_bce(my_bce) -> bool:
    """Exercise 2: binary cross-entropy from its formula, on probabilities p and (possibly soft) targets y."""

    def test():
        gen = torch.Generator().manual_seed(2)
        p = torch.rand(64, generator=gen) * 0.98 + 0.01
        y = (torch.rand(64, generator=gen) > 0.5).float()
        y[:8] = 0.9  # soft "real" labels, as in one-sided label smoothing
        got = call(my_bce, p.clone(), y.clone())
        if not isinstance(got, torch.Tensor) or got.numel() != 1:
            return "return a single-number tensor: the mean over the batch."
        got = got.detach().float()
        expected = F.binary_cross_entropy(p, y)
        if not torch.isfinite(got):
            return "the loss is not finite: take the logs of the prediction p (here never 0 or 1), not of the targets y."
        if torch.isclose(got, -expected, rtol=1e-4):
            return "the sign is flipped: log p ≤ 0, so the loss needs a minus in front to be ≥ 0."
        if torch.isclose(got, expected * len(p), rtol=1e-4):
            return "that is the sum over the batch; PyTorch (and the formula's 1/n) take the mean."
        if not torch.isclose(got, expected, rtol=1e-4, atol=1e-6):
            return f"got {got.item():.6f}, PyTorch's binary_cross_entropy gives {expected.item():.6f}."
        return None

    return run_check("Exercise 2 · BCE from its formula",
                     "loss = −mean[ y·log p + (1 − y)·log(1 − p) ]; use torch.log and .mean().",
                     test)


def check_leaky_relu(my_leaky_relu) -> bool:
    """Exercise 3: LeakyReLU(x) = x for x ≥ 0 and slope·x for x < 0, with autograd gradients."""

    def test():
        x = torch.linspace(-3, 3, 25)
        for slope in (0.2, 0.01, 0.5):
            probe = x.clone().requires_grad_(True)
            got = call(my_leaky_relu, probe, slope)
            expected = F.leaky_relu(x, slope)
            if not isinstance(got, torch.Tensor) or got.shape != x.shape:
                return f"return a tensor of the input's shape {tuple(x.shape)}."
            if torch.allclose(got.detach(), F.relu(x)):
                return "negative inputs give 0: that is ReLU. LeakyReLU lets slope·x through for x < 0."
            if torch.allclose(got.detach(), torch.where(x > 0, slope * x, x)):
                return "the slope is on the wrong side: positive inputs pass unchanged, negative ones are scaled."
            if not torch.allclose(got.detach(), expected, atol=1e-6):
                return f"with slope {slope} the values differ from F.leaky_relu by up to {(got.detach() - expected).abs().max():.3g}."
            if not got.requires_grad:
                return "the values are right but no gradient flows back: use torch operations (no .item(), no NumPy)."
            (grad,) = torch.autograd.grad(got.sum(), probe)
            if not torch.allclose(grad[x != 0], torch.where(x > 0, 1.0, slope)[x != 0]):
                return "the values are right but the gradient is not 1 for x > 0 and slope for x < 0."
        return None

    return run_check("Exercise 3 · LeakyReLU",
                     "torch.where(x > 0, x, negative_slope * x) picks, element by element, one of two tensors.",
                     test)
