"""Box-and-arrow diagrams drawn with matplotlib (network structures, training flowcharts, timelines)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from torch import nn

PALETTE = {"data": "#dbe9f6", "generator": "#fde0c5", "discriminator": "#d9f0d3", "loss": "#f4cccc", "neutral": "#eeeeee"}


def flow_diagram(boxes: dict, arrows: list, ax=None, size=(10, 4), title: str | None = None, box_size=(1.6, 0.7),
                 fontsize: float = 10):
    """Draw named boxes and labelled arrows between them; returns the axes.

    boxes:  {name: (x, y, label, kind)} with kind a key of ``PALETTE`` (or any matplotlib colour).
    arrows: [(from_name, to_name, label)] or [(from_name, to_name, label, style)]; label may be "";
            style is a dict with any of ``color``, ``rad`` (curvature, 0 = straight) and ``ls`` (line style).
    Arrows start and end on the box outlines, so wide boxes placed close together stay readable.
    Coordinates are in data units; the axes are fitted around the boxes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    w, h = box_size
    patches = {}
    for name, (x, y, label, kind) in boxes.items():
        patches[name] = FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05",
                                       fc=PALETTE.get(kind, kind), ec="black", lw=1.2)
        ax.add_patch(patches[name])
        ax.text(x, y, label, ha="center", va="center", fontsize=fontsize)
    for start, end, label, *rest in arrows:
        if start not in boxes or end not in boxes:
            raise KeyError(f"arrow {start!r} → {end!r} names a box that does not exist; boxes: {sorted(boxes)}")
        style = rest[0] if rest else {}
        unknown = set(style) - {"color", "rad", "ls"}
        if unknown:
            raise ValueError(f"unknown arrow style keys {sorted(unknown)}; use color, rad and ls")
        (x0, y0), (x1, y1) = boxes[start][:2], boxes[end][:2]
        # patchA/patchB make matplotlib clip the arrow where it leaves and enters the two boxes
        ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), patchA=patches[start], patchB=patches[end], shrinkA=2,
                                     shrinkB=2, arrowstyle="-|>", mutation_scale=14, lw=1.3,
                                     color=style.get("color", "black"), linestyle=style.get("ls", "-"),
                                     connectionstyle=f"arc3,rad={style.get('rad', 0.0)}"))
        if label:
            ax.text((x0 + x1) / 2, (y0 + y1) / 2, label, ha="center", va="center", fontsize=fontsize - 1,
                    color=style.get("color", "black"), bbox={"fc": "white", "ec": "none", "alpha": 0.9, "pad": 1})
    xs = [b[0] for b in boxes.values()]
    ys = [b[1] for b in boxes.values()]
    ax.set(xlim=(min(xs) - w, max(xs) + w), ylim=(min(ys) - 1.2 * h, max(ys) + 1.2 * h), aspect="equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


# ---- Fig 7: the structure of a DCGAN, read from the real modules -------------------------------------------
_CONV = (nn.Conv2d, nn.ConvTranspose2d)
_SHORT = {"BatchNorm2d": "BN", "ReLU": "ReLU", "LeakyReLU": "LReLU", "Tanh": "Tanh", "MaxPool2d": "MaxPool",
          "Identity": None}


def architecture_blocks(model: nn.Module, example: torch.Tensor) -> list[dict]:
    """The model's layers grouped into blocks — each convolution with the layers after it — with the real shapes.

    Returns ``[{"layers": "ConvT 4×4 s2\\nBN · ReLU", "output_shape": (64, 14, 14), "params": …}, …]``; the shapes
    come from forward hooks on a pass over ``example`` (eval mode, no gradient), so they cannot drift from the code.
    """
    from gancourse.widgets import layer_summary

    blocks: list[dict] = []
    for row in layer_summary(model, example):
        module = row["module"]
        name = type(module).__name__
        if isinstance(module, _CONV) or not blocks:
            if isinstance(module, _CONV):
                kind = "ConvT" if isinstance(module, nn.ConvTranspose2d) else "Conv"
                k, s = module.kernel_size[0], module.stride[0]
                label = f"{kind} {k}×{k}" + (f" s{s}" if s != 1 else "")
            else:
                label = _SHORT.get(name, name) or ""
            blocks.append({"layers": label, "output_shape": tuple(row["output_shape"]), "params": row["params"]})
            continue
        short = _SHORT.get(name, name)
        if short:
            sep = "\n" if "\n" not in blocks[-1]["layers"] else " · "
            blocks[-1]["layers"] += f"{sep}{short}"
        blocks[-1]["output_shape"] = tuple(row["output_shape"])
        blocks[-1]["params"] += row["params"]
    return blocks


def _shape(shape: tuple) -> str:
    return "×".join(str(s) for s in shape)


def architecture_diagram(generator: nn.Module, discriminator: nn.Module, ax=None):
    """Fig 7: G (top row) and D (bottom row, right to left) as blocks with their real output shapes; returns the axes."""
    from gancourse.models import count_parameters

    if ax is None:
        _, ax = plt.subplots(figsize=(16, 5))
    latent = generator.latent_dim
    g_blocks = architecture_blocks(generator, torch.zeros(2, latent))
    image_shape = g_blocks[-1]["output_shape"]
    d_blocks = architecture_blocks(discriminator, torch.zeros(2, *image_shape))
    dx, last = 4.0, len(g_blocks)
    boxes = {"z": (0.0, 3.0, f"noise z\n{latent}", "data"),
             "fake": (dx * (last + 1), 1.5, f"fake image\n{_shape(image_shape)}", "generator"),
             "real": (dx * last, 0.0, f"real image\n{_shape(image_shape)}", "data"),
             "logit": (dx * (last - 1 - len(d_blocks)), 0.0, "one logit\nper image\n(real or fake?)", "loss")}
    g_names = ["z"] + [f"g{i}" for i in range(len(g_blocks))] + ["fake"]
    d_names = [f"d{i}" for i in range(len(d_blocks))]
    for i, block in enumerate(g_blocks):
        boxes[g_names[i + 1]] = (dx * (i + 1), 3.0, f"{block['layers']}\n→ {_shape(block['output_shape'])}", "generator")
    for i, block in enumerate(d_blocks):  # the image enters D on the right, the logit leaves on the left
        boxes[d_names[i]] = (dx * (last - 1 - i), 0.0, f"{block['layers']}\n→ {_shape(block['output_shape'])}", "discriminator")
    arrows = [(a, b, "") for a, b in zip(g_names, g_names[1:])]
    arrows += [("real", d_names[0], ""), ("fake", d_names[0], "")]
    d_chain = d_names + ["logit"]
    arrows += [(a, b, "") for a, b in zip(d_chain, d_chain[1:])]
    flow_diagram(boxes, arrows, ax=ax, box_size=(3.0, 1.5), fontsize=11)
    ax.text(dx * (last + 1) / 2, 4.1, f"generator G  ({count_parameters(generator):,} parameters)", ha="center",
            fontsize=11, color="tab:orange")
    ax.text(dx * (last - 1 - len(d_blocks) / 2), -1.2, f"discriminator D  ({count_parameters(discriminator):,} parameters)",
            ha="center", fontsize=11, color="tab:green")
    return ax
