"""Walking in a generator's latent space (notebook 05): interpolation, attribute vectors, principal directions.

- :func:`lerp` and :func:`slerp` — straight-line and spherical interpolation between two noise vectors
  (slerp for Gaussian noise: :cite:`radford2016dcgan` interpolate linearly; the spherical version keeps the
  norm where Gaussian samples live).
- :func:`ink_fraction` — a measurable digit attribute (stroke thickness): the share of bright pixels.
- :func:`attribute_direction` — mean latent of the samples scoring highest on an attribute minus the
  mean latent of those scoring lowest (DCGAN's "vector arithmetic").
- :func:`image_pca_directions` — latent directions that move G's output along the main directions of
  variation of its images (least-squares regression of the images' principal-component scores on z).
- :func:`direction_point`, :func:`direction_sweep_figure` and :func:`direction_explorer` — sliders over such
  directions (ipywidgets 7.7 and 8) and the static figure that stands beside the widget in slides.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
from torch import nn

from gancourse.viz import show_image_table, show_images, show_now
from gancourse.widgets import generate

__all__ = ["lerp", "slerp", "ink_fraction", "attribute_direction", "image_pca_directions", "direction_point",
           "direction_sweep", "direction_sweep_figure", "direction_explorer"]


def _pair(z0: torch.Tensor, z1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    z0, z1 = torch.as_tensor(z0, dtype=torch.float32).flatten(), torch.as_tensor(z1, dtype=torch.float32).flatten()
    if z0.shape != z1.shape:
        raise ValueError(f"the two noise vectors differ in size: {tuple(z0.shape)} vs {tuple(z1.shape)}")
    return z0, z1


def _fractions(t) -> torch.Tensor:
    return torch.as_tensor(t, dtype=torch.float32).reshape(-1, 1)


def lerp(z0: torch.Tensor, z1: torch.Tensor, t) -> torch.Tensor:
    """(1 − t)·z0 + t·z1 for each fraction in ``t``; shape (len(t), d)."""
    z0, z1 = _pair(z0, z1)
    t = _fractions(t)
    return (1 - t) * z0 + t * z1


def slerp(z0: torch.Tensor, z1: torch.Tensor, t) -> torch.Tensor:
    """Spherical interpolation: sin((1 − t)θ)/sin θ · z0 + sin(tθ)/sin θ · z1, θ the angle between z0 and z1.

    Shape (len(t), d).  For (nearly) parallel vectors, sin θ → 0 and the formula becomes :func:`lerp`.
    """
    z0, z1 = _pair(z0, z1)
    t = _fractions(t)
    cos = torch.dot(z0, z1) / (z0.norm() * z1.norm())
    theta = torch.arccos(cos.clamp(-1.0, 1.0))
    if theta.abs() < 1e-4:
        return lerp(z0, z1, t)
    return (torch.sin((1 - t) * theta) * z0 + torch.sin(t * theta) * z1) / torch.sin(theta)


def ink_fraction(images: torch.Tensor, threshold: float = 0.0) -> torch.Tensor:
    """Share of pixels brighter than ``threshold`` (images in [−1, 1], ink bright): stroke thickness; shape (N,)."""
    if images.ndim != 4:
        raise ValueError(f"expected images (N, C, H, W), got {tuple(images.shape)}")
    return (images > threshold).float().flatten(1).mean(1)


def attribute_direction(z: torch.Tensor, scores: torch.Tensor, fraction: float = 0.1, groups: torch.Tensor | None = None) -> torch.Tensor:
    """Mean of the latents whose ``scores`` are in the top ``fraction`` minus the mean of the bottom ``fraction``.

    With ``groups`` (e.g. each sample's predicted digit) the top and bottom are taken within each group and the
    differences averaged, weighted by group size: an attribute that differs *between* groups (a 1 has less ink
    than a 0) then does not leak into the direction.  Groups with fewer than 2 / ``fraction`` members are skipped.
    """
    scores = torch.as_tensor(scores).flatten()
    if len(z) != len(scores):
        raise ValueError(f"one score per latent needed: {len(z)} latents, {len(scores)} scores")
    if not 0 < fraction <= 0.5:
        raise ValueError(f"fraction must be in (0, 0.5], got {fraction}")
    if groups is None:
        n = max(1, int(round(fraction * len(z))))
        order = torch.argsort(scores)
        return z[order[-n:]].mean(0) - z[order[:n]].mean(0)
    groups = torch.as_tensor(groups).flatten()
    if len(groups) != len(z):
        raise ValueError(f"one group per latent needed: {len(z)} latents, {len(groups)} groups")
    total, weight = torch.zeros_like(z[0]), 0
    for g in torch.unique(groups):
        members = (groups == g).nonzero().flatten()
        if len(members) * fraction < 1:
            continue
        total = total + len(members) * attribute_direction(z[members], scores[members], fraction)
        weight += len(members)
    if weight == 0:
        raise ValueError("no group is large enough for this fraction")
    return total / weight


@torch.no_grad()
def image_pca_directions(generator: nn.Module, z: torch.Tensor, k: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit latent directions (k, d) along which G's images change most, and each one's share of the image variance.

    The images G(z) are flattened and centred; their top-k principal components give scores s_k per sample;
    the direction for component k is the least-squares solution w of Z·w ≈ s_k (Z the centred latents),
    scaled to unit length and signed so that moving along it raises s_k.
    """
    images = generate(generator, z).flatten(1).double()
    images = images - images.mean(0)
    _, singular, vh = torch.linalg.svd(images, full_matrices=False)
    scores = images @ vh[:k].T                                     # (N, k)
    zc = z.double().cpu() - z.double().cpu().mean(0)
    w = torch.linalg.lstsq(zc, scores).solution.T                  # (k, d)
    directions = (w / w.norm(dim=1, keepdim=True)).float()
    explained = (singular[:k] ** 2 / (singular ** 2).sum()).float()
    return directions, explained


def direction_point(base_z: torch.Tensor, directions: torch.Tensor, coefficients: Sequence[float]) -> torch.Tensor:
    """base_z + Σ cᵢ · directions[i]; shape (1, d)."""
    base = torch.as_tensor(base_z, dtype=torch.float32).flatten()
    directions = torch.as_tensor(directions, dtype=torch.float32)
    coefficients = torch.as_tensor([float(c) for c in coefficients], dtype=torch.float32)
    if directions.ndim != 2 or directions.shape[1] != len(base):
        raise ValueError(f"directions must be (k, {len(base)}), got {tuple(directions.shape)}")
    if len(coefficients) != len(directions):
        raise ValueError(f"one coefficient per direction needed: {len(directions)} directions, {len(coefficients)} coefficients")
    return (base + coefficients @ directions).unsqueeze(0)


def direction_sweep(generator: nn.Module, base_z: torch.Tensor, directions: torch.Tensor, values: Sequence[float]) -> torch.Tensor:
    """G's images when one direction at a time moves by each of ``values`` (row i: direction i), row-major."""
    k = len(directions)
    points = [direction_point(base_z, directions, [v if j == i else 0.0 for j in range(k)]) for i in range(k) for v in values]
    if not points:
        raise ValueError("need at least one direction and one value")
    return generate(generator, torch.cat(points))


def direction_sweep_figure(generator: nn.Module, base_z: torch.Tensor, directions: torch.Tensor, values: Sequence[float],
                           *, ax=None, title: str | None = None):
    """Grid of :func:`direction_sweep`: one row per direction, one column per step along it; returns the axes."""
    return show_image_table(direction_sweep(generator, base_z, directions, values),
                            [f"PC {i + 1}" for i in range(len(directions))], [f"{float(v):+.1f}" for v in values],
                            ax=ax, title=title, fontsize=9,
                            xlabel="step along the direction (unit-length directions; z has std 1 along each)")


def direction_explorer(generator: nn.Module, base_z: torch.Tensor, directions: torch.Tensor, *,
                       value_range: tuple[float, float] = (-4.0, 4.0), step: float = 0.25):
    """Sliders for the coefficients along ``directions``, redrawing G(base_z + Σ cᵢ dᵢ); an ``ipywidgets.VBox``.

    Uses only sliders, boxes and ``interactive_output``, which behave alike in ipywidgets 7.7.1 and 8.x.
    """
    from ipywidgets import FloatSlider, HBox, Layout, VBox, interactive_output

    direction_point(base_z, directions, [0.0] * len(directions))  # validate before building any widget
    low, high = value_range
    if not low < high:
        raise ValueError(f"value_range must be (low, high) with low < high, got {value_range}")
    sliders = {f"c{i}": FloatSlider(value=0.0, min=low, max=high, step=step, description=f"PC {i + 1}",
                                    continuous_update=False, readout_format=".2f", layout=Layout(width="260px"))
               for i in range(len(directions))}

    def redraw(**coefficients: float) -> None:
        values = [coefficients[f"c{i}"] for i in range(len(directions))]
        fig, ax = plt.subplots(figsize=(3, 3))
        show_images(generate(generator, direction_point(base_z, directions, values)), nrow=1, ax=ax)
        ax.set_title(", ".join(f"PC{i + 1} {v:+.1f}" for i, v in enumerate(values)), fontsize=8)
        show_now(fig)

    picture = interactive_output(redraw, sliders)
    rows = [HBox(list(sliders.values())[i:i + 2]) for i in range(0, len(sliders), 2)]
    return VBox([*rows, picture])
