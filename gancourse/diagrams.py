"""Box-and-arrow diagrams drawn with matplotlib (network structures, training flowcharts, timelines)."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

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
