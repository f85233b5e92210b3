"""What a generator's input codes control (notebook 06): a CGAN's class label, InfoGAN's categorical and continuous codes.

- :func:`asked_class_rates` — how often the independent classifier sees the class that was asked for.
- :func:`code_class_counts` and :func:`best_assignment_accuracy` — how well an *unlabelled* code (InfoGAN's
  categorical code) matches the classes: the best one-to-one code → class assignment (the Hungarian
  method, ``scipy.optimize.linear_sum_assignment``), the usual clustering accuracy.
- :func:`slant` and :func:`width` — two measured digit attributes (image moments of the ink), to tell what a
  continuous code changes.
- :func:`class_picker` — an ipywidgets dropdown "draw the digit I ask for" (ipywidgets 7.7 and 8), drawn by
  :func:`class_samples_figure`, the plain function that also makes the static figure beside it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from gancourse.viz import show_images

__all__ = ["ClassRates", "asked_class_rates", "code_class_counts", "Assignment", "best_assignment_accuracy",
           "slant", "width", "class_samples_figure", "class_picker"]


def _labels(x, name: str) -> torch.Tensor:
    x = torch.as_tensor(x)
    if x.ndim != 1 or x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
        raise ValueError(f"{name} must be a 1-D integer tensor of class numbers, got {tuple(x.shape)} {x.dtype}")
    if len(x) and x.min() < 0:
        raise ValueError(f"{name} must be ≥ 0, got {x.min().item()}")
    return x.long().cpu()


class ClassRates(NamedTuple):
    overall: float             #: share of all samples classified as the class asked for
    per_class: list[float]     #: the same share for each asked class (nan for a class never asked for)


def asked_class_rates(asked, predicted, num_classes: int = 10) -> ClassRates:
    """How often ``predicted[i] == asked[i]``: over all samples and for each asked class."""
    asked, predicted = _labels(asked, "asked"), _labels(predicted, "predicted")
    if asked.shape != predicted.shape or not len(asked):
        raise ValueError(f"asked and predicted must be non-empty and of equal length, got {len(asked)} and {len(predicted)}")
    hit = (asked == predicted).double()
    per_class = [hit[asked == c].mean().item() if (asked == c).any() else float("nan") for c in range(num_classes)]
    return ClassRates(hit.mean().item(), per_class)


def code_class_counts(codes, classes, num_codes: int | None = None, num_classes: int | None = None) -> np.ndarray:
    """Contingency table: ``counts[k, j]`` = how many samples drawn with code k were classified as class j."""
    codes, classes = _labels(codes, "codes"), _labels(classes, "classes")
    if codes.shape != classes.shape or not len(codes):
        raise ValueError(f"codes and classes must be non-empty and of equal length, got {len(codes)} and {len(classes)}")
    rows = int(codes.max()) + 1 if num_codes is None else num_codes
    cols = int(classes.max()) + 1 if num_classes is None else num_classes
    if codes.max() >= rows or classes.max() >= cols:
        raise ValueError(f"codes must lie in 0..{rows - 1} and classes in 0..{cols - 1}")
    counts = np.zeros((rows, cols), dtype=np.int64)
    np.add.at(counts, (codes.numpy(), classes.numpy()), 1)
    return counts


class Assignment(NamedTuple):
    accuracy: float            #: share of samples whose class is the one assigned to their code
    mapping: dict[int, int]    #: code → class, one-to-one
    counts: np.ndarray         #: the contingency table it was computed from (codes × classes)


def best_assignment_accuracy(codes, classes, num_codes: int | None = None, num_classes: int | None = None) -> Assignment:
    """The best one-to-one code → class assignment and its accuracy (Hungarian method on the counts).

    Each class may be used by at most one code, so a code that merges two digits cannot score both — unlike
    a majority vote per code, which can map every code to the same class.
    """
    counts = code_class_counts(codes, classes, num_codes, num_classes)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return Assignment(float(counts[rows, cols].sum() / counts.sum()), {int(r): int(c) for r, c in zip(rows, cols)}, counts)


def _ink_moments(images: torch.Tensor):
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"expected grey images of shape (N, 1, H, W), got {tuple(images.shape)}")
    ink = ((images[:, 0].double() + 1) / 2).clamp(0, 1)          # [-1, 1] → ink in [0, 1]
    total = ink.sum((1, 2)).clamp_min(1e-8)
    h, w = ink.shape[1:]
    y = torch.arange(h, dtype=torch.float64)[None, :, None]       # rows, downwards
    x = torch.arange(w, dtype=torch.float64)[None, None, :]
    mx, my = (ink * x).sum((1, 2)) / total, (ink * y).sum((1, 2)) / total
    dx, dy = x - mx[:, None, None], y - my[:, None, None]
    return ink, total, dx, dy


def slant(images: torch.Tensor) -> torch.Tensor:
    """How far each digit leans right: −cov(x, y) / var(y) of its ink (x to the right, y downwards), i.e. the
    shift to the right per row upwards; 0 for an upright digit, about +0.3 for a digit leaning right by 17°."""
    ink, total, dx, dy = _ink_moments(images)
    cov = (ink * dx * dy).sum((1, 2)) / total
    var_y = (ink * dy * dy).sum((1, 2)) / total
    return (-cov / var_y.clamp_min(1e-8)).float()


def width(images: torch.Tensor) -> torch.Tensor:
    """How wide each digit is: 2 × the ink-weighted standard deviation of its columns, in pixels, after the
    slant is taken out (so a leaning 1 is still narrow)."""
    ink, total, dx, dy = _ink_moments(images)
    shear = slant(images).double()[:, None, None]
    upright = dx + shear * dy                                      # undo the lean: x + slant · y
    return (2 * ((ink * upright * upright).sum((1, 2)) / total).sqrt()).float()


def class_samples_figure(draw: Callable[[int, int], torch.Tensor], digit: int, count: int = 8, *, ax=None,
                         title: str | None = None, judge: Callable[[torch.Tensor], torch.Tensor] | None = None):
    """``count`` samples of ``draw(digit, count)`` in one row; with ``judge`` (images → predicted classes) the
    title says how many the classifier reads as ``digit``.  Returns the axes."""
    images = draw(int(digit), count)
    if images.ndim != 4 or len(images) != count:
        raise ValueError(f"draw(digit, count) must return {count} images of shape (N, C, H, W), got {tuple(images.shape)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(1.1 * count, 1.9))
    if title is None:
        title = f"asked for {digit}"
        if judge is not None:
            read = judge(images)
            title += f": the classifier reads {int((read == digit).sum())} of {count} as {digit}"
    show_images(images, nrow=count, ax=ax, title=title)
    return ax


def class_picker(draw: Callable[[int, int], torch.Tensor], classes: Sequence[str] = tuple(str(i) for i in range(10)), *,
                 count: int = 8, judge: Callable[[torch.Tensor], torch.Tensor] | None = None):
    """A dropdown of ``classes`` redrawing :func:`class_samples_figure`; returns an ``ipywidgets.VBox``.

    Uses only ``Dropdown``, ``Output`` (its ``outputs`` and ``append_display_data``) and boxes, which behave alike in
    ipywidgets 7.7.1 and 8.x.  The picture is put into the ``Output`` as a PNG rather than captured with
    ``with output:``, so executing the notebook headless (papermill, nbval) never routes outputs through a widget.
    """
    from IPython.display import Image
    from ipywidgets import Dropdown, Output, VBox

    if not len(classes):
        raise ValueError("classes must name at least one class")
    menu = Dropdown(options=[(name, i) for i, name in enumerate(classes)], value=0, description="draw a")
    picture = Output()

    def redraw(change=None) -> None:
        ax = class_samples_figure(draw, menu.value, count, judge=judge)
        buffer = io.BytesIO()
        ax.figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
        plt.close(ax.figure)
        picture.outputs = ()
        picture.append_display_data(Image(data=buffer.getvalue(), format="png"))

    menu.observe(redraw, names="value")
    redraw()
    return VBox([menu, picture])
