"""Checks for notebook 05 (DCGAN).

Expected values are measured, never copied from a solution: the output sizes of real
``torch.nn.ConvTranspose2d`` layers, and the norms of interpolated Gaussian noise vectors.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from gancourse.checks import call, given, run_check
from gancourse.config import seeded

#: (input size, kernel, stride, padding) — the course DCGAN's three layers first, then others
CONV_TRANSPOSE_CASES = [(1, 7, 1, 0), (7, 4, 2, 1), (14, 4, 2, 1), (1, 4, 1, 0), (4, 4, 2, 1), (5, 3, 2, 1),
                        (8, 5, 3, 2), (3, 2, 2, 0), (10, 3, 1, 1)]


def measured_conv_transpose_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Height of the output of a real ``ConvTranspose2d`` applied to a size×size input."""
    with seeded(0):  # the layer's random init must not move the notebook's random state
        layer = nn.ConvTranspose2d(1, 1, kernel, stride, padding)
    with torch.no_grad():
        return int(layer(torch.zeros(1, 1, size, size)).shape[-1])


def check_conv_transpose_size(my_output_size) -> bool:
    """Exercise 1: ``my_output_size(size, kernel, stride, padding)`` = the output height of ConvTranspose2d."""

    def test():
        for size, kernel, stride, padding in CONV_TRANSPOSE_CASES:
            answer = call(my_output_size, size, kernel, stride, padding)
            expected = measured_conv_transpose_size(size, kernel, stride, padding)
            if answer != expected:
                conv = (size + 2 * padding - kernel) // stride + 1
                if answer == conv:
                    return (f"for input {size}, kernel {kernel}, stride {stride}, padding {padding} you give {answer}, "
                            f"the size of an ordinary Conv2d (which shrinks); the transposed layer gives {expected}.")
                return (f"for input {size}, kernel {kernel}, stride {stride}, padding {padding} you give {answer}; "
                        f"a real ConvTranspose2d gives {expected}.")
        return None

    return run_check("Exercise 1 · the output size of ConvTranspose2d",
                     "a transposed convolution runs the ordinary convolution's size rule backwards: start from "
                     "the Conv2d formula out = ⌊(in + 2p − k)/s⌋ + 1 and solve it for `in`.",
                     test)


def measured_midpoint_ratio(latent_dim: int, pairs: int = 20_000, seed: int = 5) -> float:
    """Mean ‖(z0 + z1)/2‖ / mean ‖z‖ for independent z0, z1 ~ N(0, I_d), measured."""
    gen = torch.Generator().manual_seed(seed)
    z0 = torch.randn(pairs, latent_dim, generator=gen, dtype=torch.float64)
    z1 = torch.randn(pairs, latent_dim, generator=gen, dtype=torch.float64)
    return float(((z0 + z1) / 2).norm(dim=1).mean() / z0.norm(dim=1).mean())


def check_midpoint_norm(my_ratio, latent_dim: int) -> bool:
    """Exercise 2: predict ‖lerp midpoint‖ / ‖z‖ for two independent Gaussian noise vectors."""

    def test():
        answer = float(given(my_ratio))
        measured = measured_midpoint_ratio(latent_dim)
        if abs(answer - measured) <= 0.02:
            return None
        if math.isclose(answer, 1.0, abs_tol=0.02):
            return ("the midpoint is not as long as its ends: two independent vectors in many dimensions are "
                    f"nearly orthogonal, and the measured ratio is {measured:.3f}.")
        if math.isclose(answer, 0.5, abs_tol=0.02):
            return ("halving the sum halves the length only if z0 and z1 point the same way; independent noise "
                    f"vectors are nearly orthogonal (measured ratio {measured:.3f}).")
        return f"your prediction {answer:.3f} is off: the measured ratio is {measured:.3f}."

    return run_check("Exercise 2 · the length of the midpoint",
                     "in high dimension two independent Gaussian vectors are almost orthogonal and about equally "
                     "long; use Pythagoras for |z0 + z1|, then halve.",
                     test)


def check_slerp(my_slerp) -> bool:
    """Exercise 3: ``my_slerp(z0, z1, t)`` against :func:`gancourse.latent.slerp` on several pairs of noise vectors."""
    from gancourse.latent import lerp, slerp

    def test():
        gen = torch.Generator().manual_seed(7)
        t = torch.linspace(0, 1, 7)
        for _ in range(4):
            z0, z1 = torch.randn(2, 16, generator=gen)
            answer = torch.as_tensor(call(my_slerp, z0.clone(), z1.clone(), t.clone()), dtype=torch.float32)
            expected = slerp(z0, z1, t)
            if answer.shape != expected.shape:
                return f"your result has shape {tuple(answer.shape)}; expected one row per fraction, {tuple(expected.shape)}."
            if torch.allclose(answer, expected, atol=1e-4):
                continue
            if torch.allclose(answer, lerp(z0, z1, t), atol=1e-4):
                return "that is linear interpolation (lerp): its middle points are shorter than z0 and z1."
            if torch.allclose(answer, slerp(z0, z1, 1 - t), atol=1e-4):
                return "the two ends are swapped: t = 0 must give z0 and t = 1 must give z1."
            if torch.allclose(answer[0], z0, atol=1e-4) and torch.allclose(answer[-1], z1, atol=1e-4):
                return "the ends are right but the path between them is not the great circle."
            return "the result differs from spherical interpolation (check θ: the angle between z0 and z1, in radians)."
        return None

    return run_check("Exercise 3 · spherical interpolation",
                     "θ = arccos(z0·z1 / (|z0| |z1|)); reshape t to a column (t[:, None]) so that each fraction "
                     "gives one row.",
                     test)
