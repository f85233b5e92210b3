"""ipywidgets helpers for the course, each with a plain function behind it that draws the same picture.

Errors raised inside a widget callback are only shown in the widget (papermill and nbval never see
them), so every callback here is an ordinary, unit-tested function, and every widget has a static
figure computed by the same code for slides and CI.  The widgets use only ``ipywidgets`` features
that behave the same in 7.7.1 (Google Colab) and 8.x: sliders, ``interactive_output`` and boxes.

Also here: :func:`layer_summary` and :func:`layer_diagram`, which read a network's real layers so that
the structure diagrams of notebook 02 (Figs 3 and 4) cannot drift from the code.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
from torch import nn

from gancourse.diagrams import flow_diagram
from gancourse.models import eval_mode
from gancourse.viz import show_image_table, show_images, show_now

__all__ = [
    "latent_point", "generate", "latent_explorer_figure", "latent_sweep", "latent_sweep_figure",
    "latent_explorer", "layer_summary", "layer_diagram",
]


# ---- the latent-space explorer ----------------------------------------------------------------------
def _as_vector(base_z: torch.Tensor) -> torch.Tensor:
    base_z = torch.as_tensor(base_z, dtype=torch.float32)
    if base_z.ndim == 2 and len(base_z) == 1:
        base_z = base_z[0]
    if base_z.ndim != 1:
        raise ValueError(f"base_z must be one noise vector of shape (latent_dim,) or (1, latent_dim), got {tuple(base_z.shape)}")
    return base_z


def latent_point(base_z: torch.Tensor, dims: Sequence[int], values: Sequence[float]) -> torch.Tensor:
    """A copy of the noise vector ``base_z`` with coordinate ``dims[i]`` set to ``values[i]``; shape (1, latent_dim).

    Only the chosen coordinates move, so any change in G's output is caused by them alone.
    """
    z = _as_vector(base_z).clone()
    dims, values = list(dims), [float(v) for v in values]
    if len(dims) != len(values):
        raise ValueError(f"need one value per latent dimension: {len(dims)} dims but {len(values)} values")
    if len(set(dims)) != len(dims):
        raise ValueError(f"latent dimensions must be distinct, got {dims}")
    for d in dims:
        if not (isinstance(d, numbers.Integral) and 0 <= d < len(z)):
            raise ValueError(f"latent dimension {d!r} does not exist: the noise has {len(z)} coordinates (0..{len(z) - 1})")
    z[[int(d) for d in dims]] = torch.tensor(values, dtype=z.dtype)
    return z.unsqueeze(0)


@torch.no_grad()
def generate(generator: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """G(z) in eval mode (BatchNorm uses running statistics) as a CPU image batch (N, C, H, W).

    The generator's train/eval mode is restored afterwards, so exploring never disturbs training.
    """
    device = next(generator.parameters()).device
    with eval_mode(generator):
        images = generator(z.to(device)).cpu()
    if images.ndim != 4:
        raise ValueError(f"the explorer shows images: expected G's output (N, C, H, W), got {tuple(images.shape)}")
    return images


def latent_explorer_figure(generator: nn.Module, base_z: torch.Tensor, dims: Sequence[int], values: Sequence[float],
                           *, ax=None, title: str | None = None):
    """Draw G's output at ``base_z`` with the latent coordinates ``dims`` set to ``values`` (the widget's callback).

    Returns the axes; the title lists the coordinates so a screenshot says where in latent space it is.
    """
    z = latent_point(base_z, dims, values)
    if ax is None:
        _, ax = plt.subplots(figsize=(3, 3))
    show_images(generate(generator, z), nrow=1, ax=ax)
    coords = ", ".join(f"z[{d}]={float(v):+.2f}" for d, v in zip(dims, values))
    ax.set_title(title if title is not None else coords, fontsize=9)
    return ax


def latent_sweep(generator: nn.Module, base_z: torch.Tensor, dims: Sequence[int], values: Sequence[float]) -> torch.Tensor:
    """G's outputs when one coordinate at a time sweeps ``values``: row i moves ``dims[i]``, the others stay at base_z.

    Shape (len(dims) × len(values), C, H, W), row-major.  Each image is what the explorer shows after
    moving a single slider, so this grid is the widget's static twin.
    """
    base = _as_vector(base_z)
    points = [latent_point(base, [d], [v]) for d in dims for v in values]
    if not points:
        raise ValueError("need at least one dimension and one value to sweep")
    return generate(generator, torch.cat(points))


def latent_sweep_figure(generator: nn.Module, base_z: torch.Tensor, dims: Sequence[int], values: Sequence[float],
                        *, ax=None, title: str | None = None):
    """Grid of :func:`latent_sweep`: one row per latent dimension, one column per value; returns the axes."""
    return show_image_table(latent_sweep(generator, base_z, dims, values), [f"z[{d}]" for d in dims],
                            [f"{float(v):+.1f}" for v in values], ax=ax, title=title,
                            xlabel="value of the moved coordinate (the others stay at base z)")


def latent_explorer(generator: nn.Module, base_z: torch.Tensor, dims: Sequence[int] = (0, 1, 2, 3), *,
                    value_range: tuple[float, float] = (-3.0, 3.0), step: float = 0.1):
    """Sliders for the latent coordinates ``dims`` of ``base_z``, redrawing :func:`latent_explorer_figure`.

    Returns an ``ipywidgets.VBox`` (sliders, then the picture); display it in a notebook.  Each slider
    starts at base_z's own value, so the first picture is G(base_z).  Works on ipywidgets 7.7.1 and 8.x.
    """
    from ipywidgets import FloatSlider, HBox, Layout, VBox, interactive_output

    base = _as_vector(base_z)
    dims = list(dims)
    latent_point(base, dims, [0.0] * len(dims))  # validate the dimensions before building any widget
    low, high = value_range
    if not low < high:
        raise ValueError(f"value_range must be (low, high) with low < high, got {value_range}")
    sliders = {
        f"z{d}": FloatSlider(value=min(max(float(base[d]), low), high), min=low, max=high, step=step,
                             description=f"z[{d}]", continuous_update=False, readout_format=".2f",
                             layout=Layout(width="260px"))
        for d in dims
    }

    def redraw(**coordinates: float) -> None:
        ax = latent_explorer_figure(generator, base, dims, [coordinates[f"z{d}"] for d in dims])
        show_now(ax.figure)

    picture = interactive_output(redraw, sliders)
    rows = [HBox(list(sliders.values())[i:i + 2]) for i in range(0, len(sliders), 2)]
    return VBox([*rows, picture])


# ---- structure diagrams read from the real module ------------------------------------------------------
def _describe(module: nn.Module) -> str:
    """A short, human label for one layer, e.g. 'Linear 16→256' or 'LeakyReLU(0.2)'."""
    name = type(module).__name__
    if isinstance(module, nn.Linear):
        return f"{name} {module.in_features}→{module.out_features}"
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        return f"{name} {module.in_channels}→{module.out_channels}, k{module.kernel_size[0]} s{module.stride[0]}"
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return f"{name[:9]} {module.num_features}"  # "BatchNorm 256": short enough for a diagram box
    if isinstance(module, nn.LeakyReLU):
        return f"{name}({module.negative_slope:g})"
    return name


def layer_summary(model: nn.Module, example: torch.Tensor) -> list[dict]:
    """Run ``example`` through ``model`` and record every leaf layer that fires, in call order.

    Each entry: ``layer`` (label), ``module``, ``output_shape`` (without the batch size) and ``params``
    (trainable, in that layer).  Layers applied as functions inside ``forward`` (e.g. ``F.leaky_relu``)
    are not modules and so are not seen: build the model from ``nn`` modules to see every step.
    """
    records: list[dict] = []

    def hook(module, _inputs, output):
        records.append({"layer": _describe(module), "module": module, "output_shape": tuple(output.shape[1:]),
                        "params": sum(p.numel() for p in module.parameters(recurse=False) if p.requires_grad)})

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        with torch.no_grad(), eval_mode(model):
            model(example)
    finally:
        for handle in handles:
            handle.remove()
    return records


def _shape(shape: tuple) -> str:
    return "(N, " + ", ".join(map(str, shape)) + ")"


def layer_diagram(model: nn.Module, example: torch.Tensor, *, kind: str = "generator", input_label: str = "input",
                  output_label: str = "output", ax=None, title: str | None = None, spacing: float = 2.3,
                  fontsize: float = 7.5, rows: int = 1):
    """Box diagram of ``model``'s real layers (from :func:`layer_summary`), via ``flow_diagram``.

    Every box shows a layer, its output shape and its parameter count, so the picture always matches
    the code that trains.  ``rows=1`` draws one left-to-right chain; ``rows > 1`` wraps the chain into
    that many rows read like a snake (left to right, then right to left, …), joined by a downward turn
    arrow, so that long networks keep boxes large enough for a readable ``fontsize``.  Without ``ax``
    the figure is sized so that the text fits the boxes (about 0.6 inch per data unit at fontsize 7.5,
    scaled with the font when ``rows > 1``).  Returns the axes.
    """
    if not (isinstance(rows, int) and rows >= 1):
        raise ValueError(f"rows must be a positive integer, got {rows!r}")
    summary = layer_summary(model, example)
    if not summary:
        raise ValueError("the model ran no nn layers on the example; nothing to draw")
    labels = [(f"{input_label}\n{_shape(tuple(example.shape[1:]))}", "data")]
    labels += [(f"{entry['layer']}\n{_shape(entry['output_shape'])}\n{entry['params']:,} params", kind) for entry in summary]
    labels.append((output_label, "loss" if kind == "discriminator" else "data"))
    per_row = -(-len(labels) // rows)
    if rows > 1 and (rows - 1) * per_row >= len(labels):
        raise ValueError(f"{len(labels)} boxes do not fill {rows} rows; use at most {-(-len(labels) // per_row)} rows")
    row_gap = 2.0  # data units between row centres: the boxes are 1.2 high, the turn arrow gets the rest
    boxes = {}
    for i, (label, box_kind) in enumerate(labels):
        row, column = divmod(i, per_row)
        if row % 2:  # odd rows run right to left, so each turn is a short vertical arrow
            column = per_row - 1 - column
        name = "in" if i == 0 else "out" if i == len(labels) - 1 else f"l{i}"
        boxes[name] = (column * spacing, -row * row_gap, label, box_kind)
    last = len(summary) + 1
    if ax is None and rows == 1:
        _, ax = plt.subplots(figsize=(min(16.0, 0.75 * spacing * (last + 1)), 2.2))
    elif ax is None:
        inch = 0.6 * fontsize / 7.5  # inches per data unit, so that the text fits the boxes
        _, ax = plt.subplots(figsize=(inch * spacing * (per_row + 0.2), inch * (row_gap * (rows - 1) + 2.2) + 0.5))
    names = list(boxes)
    ax = flow_diagram(boxes, [(a, b, "") for a, b in zip(names, names[1:])], ax=ax, title=title,
                      box_size=(spacing - 0.5, 1.2), fontsize=fontsize)
    return ax
