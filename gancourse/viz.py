"""Matplotlib pictures used across the notebooks: image grids, training curves, 1-D and 2-D samples."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import torch
from torchvision.utils import make_grid

from gancourse.models import eval_mode


def _axes(ax, figsize=(5, 5)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def image_grid(images: torch.Tensor, nrow: int = 8) -> np.ndarray:
    """Images in [-1, 1], shape (N, C, H, W) → one H×W×C array in [0, 1] laid out by ``make_grid``."""
    if images.ndim != 4:
        raise ValueError(f"expected images of shape (N, C, H, W), got {tuple(images.shape)}")
    grid = make_grid(images.detach().float().cpu(), nrow=nrow, padding=2, normalize=True, value_range=(-1, 1), pad_value=1.0)
    return grid.permute(1, 2, 0).numpy()


def show_images(images: torch.Tensor, nrow: int = 8, title: str | None = None, ax=None):
    """Show a grid of images in [-1, 1]; returns the axes."""
    ax = _axes(ax)
    grid = image_grid(images, nrow)
    ax.imshow(grid[..., 0] if grid.shape[-1] == 1 or images.shape[1] == 1 else grid, cmap="gray", vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def show_image_table(images: torch.Tensor, row_labels: list[str], column_labels: list[str], *, ax=None,
                     xlabel: str | None = None, title: str | None = None, fontsize: float = 8):
    """Images (rows × columns, row-major) as one grid with a label per row and per column; returns the axes."""
    if len(images) != len(row_labels) * len(column_labels):
        raise ValueError(f"{len(images)} images do not fill {len(row_labels)} rows × {len(column_labels)} columns")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.9 * len(column_labels) + 1.2, 0.9 * len(row_labels) + 0.8))
    grid = image_grid(images, nrow=len(column_labels))
    ax.imshow(grid[..., 0] if images.shape[1] == 1 else grid, cmap="gray", vmin=0, vmax=1)
    height, width = images.shape[2] + 2, images.shape[3] + 2  # make_grid pads every tile by 2 pixels
    ax.set_xticks([2 + width * i + images.shape[3] / 2 for i in range(len(column_labels))], column_labels)
    ax.set_yticks([2 + height * i + images.shape[2] / 2 for i in range(len(row_labels))], row_labels)
    ax.tick_params(length=0, labelsize=fontsize)
    for side in ax.spines.values():
        side.set_visible(False)
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=fontsize)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def show_snapshots(history, every: int = 1, nrow: int = 8, max_images: int = 32, columns: int = 4):
    """Fixed-noise samples from ``history.snapshots`` side by side: the same z over training."""
    snaps = history.snapshots[::every]
    if not snaps:
        raise ValueError("this history holds no snapshots: train with a Snapshots callback (GANTrainer(..., snapshot_every=N))")
    rows = -(-len(snaps) // columns)
    fig, axes = plt.subplots(rows, min(columns, len(snaps)), figsize=(3.2 * min(columns, len(snaps)), 3.4 * rows), squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, (step, images) in zip(axes.flat, snaps):
        show_images(images[:max_images], nrow=nrow, title=f"step {step}", ax=ax)
    fig.tight_layout()
    return fig


def plot_history(history, smooth: int = 1, axes=None):
    """Losses (left) and the discriminator's view of real and fake data (right)."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    steps = np.asarray(history["step"])

    def curve(key):
        values = np.asarray(history[key], dtype=float)
        if smooth > 1 and len(values) >= smooth:
            kernel = np.ones(smooth) / smooth
            return steps[smooth - 1:], np.convolve(values, kernel, mode="valid")
        return steps, values

    for key, label in (("loss_d", "discriminator / critic loss"), ("loss_g", "generator loss")):
        axes[0].plot(*curve(key), label=label)
    axes[0].set(xlabel="generator step", ylabel="loss", title="Losses")
    axes[0].legend()
    probabilities = "d_real" in history  # logged for a logit D; a critic's scores are critic_real / critic_fake
    real_key, fake_key = ("d_real", "d_fake") if probabilities else ("critic_real", "critic_fake")
    axes[1].plot(*curve(real_key), label="D(x), real" if probabilities else "critic score, real")
    axes[1].plot(*curve(fake_key), label="D(G(z)), fake" if probabilities else "critic score, fake")
    if probabilities:
        axes[1].axhline(0.5, color="grey", ls=":", lw=1, label="1/2 (equilibrium)")
        axes[1].set_ylim(-0.02, 1.02)
    axes[1].set(xlabel="generator step", title="What the discriminator says")
    axes[1].legend()
    return axes


def plot_samples_2d(real: torch.Tensor, fake: torch.Tensor, ax=None, modes: torch.Tensor | None = None,
                    discriminator=None, extent: float | None = None, title: str | None = None,
                    verdict_label: str = "D(x)", legend_kw: dict | None = None,
                    axis_labels: tuple[str, str] | None = None):
    """Real and generated 2-D points; optionally sigmoid of the discriminator's output as a background heat
    map (D(x) for a logit D; pass the objective's ``verdict_label`` for a critic).

    ``legend_kw`` overrides the legend's defaults (``loc="upper right", fontsize=8, markerscale=3``), e.g.
    ``dict(fontsize=12, loc="upper left", bbox_to_anchor=(1.02, 1))`` puts a readable legend outside the axes;
    ``axis_labels`` labels the two axes (e.g. ``("x₁", "x₂")``)."""
    ax = _axes(ax)
    real, fake = np.asarray(real), np.asarray(fake)
    if extent is None:
        extent = float(np.abs(real).max()) * 1.3 + 0.1
    if discriminator is not None:
        axis = np.linspace(-extent, extent, 120)
        xx, yy = np.meshgrid(axis, axis)
        grid = torch.tensor(np.stack([xx.ravel(), yy.ravel()], 1), dtype=torch.float32)
        device = next(discriminator.parameters()).device
        with torch.no_grad(), eval_mode(discriminator):
            prob = torch.sigmoid(discriminator(grid.to(device))).cpu().numpy().reshape(xx.shape)
        mesh = ax.pcolormesh(xx, yy, prob, cmap="RdBu", vmin=0, vmax=1, shading="auto", alpha=0.6)
        plt.colorbar(mesh, ax=ax, fraction=0.046, label=verdict_label)
    ax.scatter(real[:, 0], real[:, 1], s=4, c="black", alpha=0.4, label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=4, c="tab:orange", alpha=0.6, label="generated")
    if modes is not None:
        modes = np.asarray(modes)
        ax.scatter(modes[:, 0], modes[:, 1], marker="x", c="tab:green", s=40, label="modes")
    ax.set(xlim=(-extent, extent), ylim=(-extent, extent), aspect="equal")
    ax.legend(**{"loc": "upper right", "fontsize": 8, "markerscale": 3, **(legend_kw or {})})
    if axis_labels is not None:
        ax.set(xlabel=axis_labels[0], ylabel=axis_labels[1])
    if title:
        ax.set_title(title)
    return ax


def plot_hist_1d(real: torch.Tensor, fake: torch.Tensor, ax=None, bins: int = 60, title: str | None = None,
                 value_range: tuple[float, float] | None = None):
    """Histograms of real and generated 1-D samples on shared bins."""
    ax = _axes(ax, figsize=(5, 3))
    real, fake = np.asarray(real).ravel(), np.asarray(fake).ravel()
    lo, hi = value_range or (min(real.min(), fake.min()), max(real.max(), fake.max()))
    edges = np.linspace(lo, hi, bins + 1)
    ax.hist(real, bins=edges, density=True, alpha=0.5, color="black", label="real data")
    ax.hist(fake, bins=edges, density=True, alpha=0.6, color="tab:orange", label="generated")
    ax.set(xlabel="x", ylabel="density")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def show_now(fig) -> None:
    """Display ``fig`` at once and close it (what a widget callback needs).

    Inside an ipywidgets callback the inline backend does not always flush new figures into the widget's
    output area (matplotlib ≥ 3.10 with ipywidgets 8), so the figure is displayed explicitly; closing it
    keeps the same figure from being shown a second time at the end of the cell.
    """
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python: no rich display
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(fig)
        plt.close(fig)
    else:
        plt.show()


# matplotlib's JavaScript animation loads its button icons (Font Awesome) from a CDN, so offline — and on the
# course's book site, which loads nothing from other hosts — its buttons are blank.  Plain Unicode symbols drawn
# by CSS stand in for the icons; the rest of matplotlib's HTML is unchanged.
_ICON_CDN = re.compile(r'<link rel="stylesheet"\s+href="https://maxcdn\.bootstrapcdn\.com/font-awesome/[^"]*">')
_ICON_SYMBOLS = {"minus": "−", "fast-backward": "⇤", "step-backward": "‹", "pause": "❚❚", "play": "▶",
                 "step-forward": "›", "fast-forward": "⇥", "plus": "+"}
_ICON_CSS = ("<style>.fa{font-style:normal;font-family:sans-serif}"
             ".fa-flip-horizontal{display:inline-block;transform:scaleX(-1)}"
             + "".join(f'.fa-{name}:before{{content:"{symbol}"}}' for name, symbol in _ICON_SYMBOLS.items())
             + "</style>")


def animation_html(movie, **to_jshtml_options) -> str:
    """``movie.to_jshtml(...)`` with its buttons drawn without the Font Awesome download (works offline)."""
    html, replaced = _ICON_CDN.subn(_ICON_CSS, movie.to_jshtml(**to_jshtml_options))
    if replaced != 1:
        raise RuntimeError("matplotlib's animation HTML changed: its Font Awesome link was not found once; "
                           "update gancourse.viz.animation_html")
    return html
