"""Random small warps of image batches — rotation, shear, scaling and shift — that gradients flow through.

A digit stays the same digit when it is tilted a little, sheared, made a bit wider or moved by a pixel, so a
network asked to read the digit should read it through such warps (InfoGAN's Q with ``q_invariance``, notebook
06).  Each image gets its own warp, drawn from the caller's ``torch.Generator`` (never the global stream), and
the warp is differentiable (``grid_sample``), so G learns through it.  Written out rather than taken from
torchvision, whose ``RandomAffine`` warps a whole batch alike and draws from the global random stream.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def random_affine(images: torch.Tensor, generator: torch.Generator, *, rotation: float = 20.0, shear: float = 0.3,
                  scale: float = 0.2, shift: float = 0.1, strength: float = 1.0, background: float = -1.0) -> torch.Tensor:
    """Each image of the (N, C, H, W) batch rotated by up to ±``rotation`` degrees, sheared by up to ±``shear``,
    scaled by a factor within 1 ± ``scale`` along each axis and shifted by up to ±``shift`` of the image's half-width,
    each drawn uniformly; ``strength`` multiplies all four limits.  Uncovered pixels take the ``background`` value
    (−1: black for images in [−1, 1])."""
    if images.ndim != 4:
        raise ValueError(f"expected an image batch of shape (N, C, H, W), got {tuple(images.shape)}")
    if strength < 0:
        raise ValueError(f"strength must be ≥ 0, got {strength}")
    rotation, shear, scale, shift = (strength * limit for limit in (rotation, shear, scale, shift))
    if min(rotation, shear, scale, shift) < 0 or scale >= 1:
        raise ValueError(f"need rotation, shear, scale and shift ≥ 0 and scale < 1, got {rotation}, {shear}, {scale}, "
                         f"{shift}")
    n = len(images)

    def uniform(limit: float) -> torch.Tensor:  # U(−limit, limit), one value per image
        return (torch.rand(n, generator=generator) * 2 - 1) * limit

    angle, slope = uniform(math.radians(rotation)), uniform(shear)
    scale_x, scale_y = 1 + uniform(scale), 1 + uniform(scale)
    shift_x, shift_y = uniform(shift), uniform(shift)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # rotation · shear · scaling, mapping output coordinates to input coordinates (what affine_grid expects)
    theta = torch.stack([torch.stack([cos * scale_x, (cos * slope - sin) * scale_y, shift_x], 1),
                         torch.stack([sin * scale_x, (sin * slope + cos) * scale_y, shift_y], 1)], 1)
    grid = F.affine_grid(theta.to(images.device, images.dtype), list(images.shape), align_corners=False)
    # grid_sample fills uncovered pixels with 0: shift so that 0 is the background, then shift back
    return F.grid_sample(images - background, grid, align_corners=False) + background
