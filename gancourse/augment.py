"""Random small warps of image batches — rotation, shear, scaling, shift and stroke width — that gradients flow through.

A digit stays the same digit when it is tilted a little, sheared, made a bit wider, moved by a pixel or written
with a thicker or thinner pen, so a network asked to read the digit should read it through such warps (InfoGAN's Q
with ``q_invariance``, notebook 06).  Each image gets its own warp, drawn from the caller's ``torch.Generator``
(never the global stream), and the warps are differentiable (``grid_sample``, max-pooling), so G learns through
them.  Written out rather than taken from torchvision, whose ``RandomAffine`` warps a whole batch alike and draws
from the global random stream, and which has no stroke-width change.
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


def random_stroke_width(images: torch.Tensor, generator: torch.Generator, *, pixels: float = 1.0) -> torch.Tensor:
    """Each image of the (N, C, H, W) batch drawn with a pen up to ``pixels`` pixels thicker or thinner: an amount
    t ~ U(−pixels, pixels) per image, applied as |t| steps of a 3×3 grey dilation (t > 0: strokes grow by a pixel
    on each side per step) or erosion (t < 0), the last step blended by the fraction of t left.  Ink is bright on a
    dark background, as in MNIST; values stay within the image's own range."""
    if images.ndim != 4:
        raise ValueError(f"expected an image batch of shape (N, C, H, W), got {tuple(images.shape)}")
    if pixels < 0:
        raise ValueError(f"pixels must be ≥ 0, got {pixels}")
    amount = ((torch.rand(len(images), 1, 1, 1, generator=generator) * 2 - 1) * pixels).to(images.device, images.dtype)
    thicker = amount > 0
    out = images
    for step in range(math.ceil(pixels)):
        dilated = F.max_pool2d(out, 3, stride=1, padding=1)
        eroded = -F.max_pool2d(-out, 3, stride=1, padding=1)
        share = (amount.abs() - step).clamp(0, 1)  # 1 for the whole steps, the fraction for the last, then 0
        out = out + share * (torch.where(thicker, dilated, eroded) - out)
    return out


def random_warp(images: torch.Tensor, generator: torch.Generator, *, strength: float = 1.0) -> torch.Tensor:
    """:func:`random_affine` then :func:`random_stroke_width`, both scaled by ``strength`` (1: up to ±20° rotation
    and a pen up to a pixel thicker or thinner): the warps a digit is still the same digit through."""
    if strength < 0:
        raise ValueError(f"strength must be ≥ 0, got {strength}")
    return random_stroke_width(random_affine(images, generator, strength=strength), generator, pixels=strength)
