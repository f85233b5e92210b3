"""Toy distributions in 1-D and 2-D, small enough to watch a GAN learn in seconds.

The 2-D ring and grid follow the mode-coverage protocol of VEEGAN and PacGAN
(:cite:`srivastava2017veegan`, :cite:`lin2018pacgan`): 8 Gaussians on the unit circle with
std 0.01, and 25 Gaussians on {-4, -2, 0, 2, 4}^2 with std 0.05.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch

RING_STD = 0.01
GRID_STD = 0.05


def ring_modes(n_modes: int = 8, radius: float = 1.0) -> torch.Tensor:
    """Centres of ``n_modes`` Gaussians evenly spaced on a circle, shape (n_modes, 2)."""
    angles = torch.arange(n_modes, dtype=torch.float64) * (2 * math.pi / n_modes)
    return (radius * torch.stack([angles.cos(), angles.sin()], dim=1)).float()


def grid_modes() -> torch.Tensor:
    """Centres of the 25 grid Gaussians, shape (25, 2)."""
    axis = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
    xs, ys = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([xs.flatten(), ys.flatten()], dim=1)


def _mixture(centres: torch.Tensor, std: float, n: int, generator: torch.Generator | None) -> torch.Tensor:
    which = torch.randint(len(centres), (n,), generator=generator)
    return centres[which] + std * torch.randn(n, 2, generator=generator)


def moons(n: int, noise: float = 0.05, generator: torch.Generator | None = None) -> torch.Tensor:
    """Two interleaving half circles (as scikit-learn's ``make_moons``), centred near the origin."""
    upper = torch.rand(n, generator=generator) < 0.5
    angle = torch.rand(n, generator=generator) * math.pi
    x = torch.where(upper, angle.cos(), 1 - angle.cos())
    y = torch.where(upper, angle.sin(), 0.5 - angle.sin())
    points = torch.stack([x - 0.5, y - 0.25], dim=1)
    return points + noise * torch.randn(n, 2, generator=generator)


TOY_2D = {
    "ring": (lambda n, g: _mixture(ring_modes(), RING_STD, n, g), ring_modes, RING_STD),
    "grid": (lambda n, g: _mixture(grid_modes(), GRID_STD, n, g), grid_modes, GRID_STD),
    "moons": (lambda n, g: moons(n, generator=g), None, None),
}


def sample_2d(name: str, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw ``n`` points, shape (n, 2), from the 2-D toy distribution ``name`` (ring, grid, moons)."""
    if name not in TOY_2D:
        raise ValueError(f"Unknown 2-D toy dataset {name!r}; choose one of {sorted(TOY_2D)}.")
    if n < 1:
        raise ValueError(f"n must be a positive number of samples, got {n}")
    return TOY_2D[name][0](n, generator)


def modes_2d(name: str) -> tuple[torch.Tensor, float]:
    """Mode centres and per-mode std of a mixture toy dataset (ring or grid)."""
    if name not in TOY_2D or TOY_2D[name][1] is None:
        mixtures = sorted(k for k, v in TOY_2D.items() if v[1] is not None)
        raise ValueError(f"{name!r} is not a Gaussian mixture with known modes; choose one of {mixtures}.")
    _, centres, std = TOY_2D[name]
    return centres(), std


def sample_1d(n: int, means=(0.0,), stds=(1.0,), weights=None, generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` draws, shape (n, 1), from a 1-D Gaussian mixture (a single Gaussian by default)."""
    means, stds = torch.as_tensor(means, dtype=torch.float32), torch.as_tensor(stds, dtype=torch.float32)
    if means.shape != stds.shape or means.ndim != 1 or len(means) == 0:
        raise ValueError(f"means and stds must be equal-length 1-D sequences, got {tuple(means.shape)} and {tuple(stds.shape)}")
    if (stds <= 0).any():
        raise ValueError(f"every std must be positive, got {stds.tolist()}")
    probs = torch.ones(len(means)) if weights is None else torch.as_tensor(weights, dtype=torch.float32)
    which = torch.multinomial(probs / probs.sum(), n, replacement=True, generator=generator)
    return (means[which] + stds[which] * torch.randn(n, generator=generator)).unsqueeze(1)


class ToyStream:
    """An endless stream of fresh toy batches, the way the original papers feed their 2-D GANs.

    ``sampler(n, generator)`` returns a tensor of ``n`` samples; every batch is new data.
    """

    def __init__(self, sampler, batch_size: int, seed: int = 0):
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.sampler, self.batch_size = sampler, batch_size
        self.generator = torch.Generator().manual_seed(seed)

    def __iter__(self) -> Iterator[torch.Tensor]:
        while True:
            yield self.sampler(self.batch_size, self.generator)

    @classmethod
    def from_2d(cls, name: str, batch_size: int = 256, seed: int = 0) -> "ToyStream":
        sample_2d(name, 1, torch.Generator())  # fail now, with the list of names, not inside the training loop
        return cls(lambda n, g: sample_2d(name, n, g), batch_size, seed)
