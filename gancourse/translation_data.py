"""Image-to-image data built from digits by fixed operations: pairs for pix2pix, two unpaired styles for CycleGAN.

Paired tasks (input → the digit itself), :func:`paired`:

- ``"edges"``: the Sobel edge map of the digit (pix2pix's edges → photo, in miniature);
- ``"lowres"``: the digit averaged down to 7×7 and blown back up to 28×28 in blocks;
- ``"top-half"``: only the upper half of the digit is shown, the lower half is blank (inpainting) —
  many completions fit one input, the case where an L1 loss alone averages them into a blur.

Styles for unpaired translation, :func:`restyle` / :func:`unpaired`: ``"thick"`` (strokes dilated by a 3×3
maximum, a morphological dilation), ``"inverted"`` (black on white) and ``"rotated"`` (a quarter turn).

:func:`gradient_energy` measures sharpness with the same Sobel filter: the mean squared gradient of an image,
high for crisp strokes and low for blurred ones.  All images are (N, C, 28, 28) tensors in [-1, 1].
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from gancourse.data import Batches, ImageData

__all__ = ["TASKS", "STYLES", "sobel", "edges", "degrade", "paired", "restyle", "unpaired", "gradient_energy",
           "PairedImages", "UnpairedImages", "UnpairedBatches"]

TASKS = ("edges", "lowres", "top-half")
STYLES = ("thick", "inverted", "rotated")

#: Sobel's horizontal derivative kernel; its transpose is the vertical one
_SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def _check_images(images: torch.Tensor) -> torch.Tensor:
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or not images.is_floating_point():
        raise ValueError(f"expected a float tensor of images (N, C, H, W) in [-1, 1], got "
                         f"{tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__}")
    return images


def sobel(images: torch.Tensor) -> torch.Tensor:
    """Per-channel Sobel gradient magnitude of images in [-1, 1], computed on their [0, 1] brightness."""
    x = (_check_images(images) + 1) / 2
    c = x.shape[1]
    kx = _SOBEL_X.to(x)[None, None].repeat(c, 1, 1, 1)
    padded = F.pad(x, (1, 1, 1, 1), mode="replicate")
    gx = F.conv2d(padded, kx, groups=c)
    gy = F.conv2d(padded, kx.transpose(2, 3), groups=c)
    return (gx.square() + gy.square()).sqrt()


def edges(images: torch.Tensor, threshold: float = 1.0) -> torch.Tensor:
    """Binary edge maps in {-1, 1}: white where the Sobel magnitude exceeds ``threshold`` (max 4√2 ≈ 5.7)."""
    return torch.where(sobel(images) > threshold, 1.0, -1.0).to(images.dtype)


def degrade(images: torch.Tensor, task: str) -> torch.Tensor:
    """The input that a paired ``task`` (one of :data:`TASKS`) makes from each target image."""
    _check_images(images)
    if task == "edges":
        return edges(images)
    if task == "lowres":
        return F.interpolate(F.avg_pool2d(images, 4, ceil_mode=True), size=images.shape[2:], mode="nearest")
    if task == "top-half":
        hidden = images.clone()
        hidden[:, :, images.shape[2] // 2:] = -1.0  # background
        return hidden
    raise ValueError(f"unknown paired task {task!r}; choose one of {TASKS}")


def restyle(images: torch.Tensor, style: str) -> torch.Tensor:
    """Images in another ``style`` (one of :data:`STYLES`)."""
    _check_images(images)
    if style == "thick":
        return F.max_pool2d(images, 3, stride=1, padding=1)  # grey-level dilation: each pixel takes its brightest neighbour
    if style == "inverted":
        return -images
    if style == "rotated":
        return torch.rot90(images, 1, dims=(2, 3))
    raise ValueError(f"unknown style {style!r}; choose one of {STYLES}")


def gradient_energy(images: torch.Tensor) -> torch.Tensor:
    """Mean squared Sobel gradient of each image, shape (N,): a sharpness measure (a blur lowers it)."""
    return sobel(images).square().flatten(1).mean(1)


def _as_tensors(data: ImageData | torch.Tensor, labels: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    if isinstance(data, ImageData):
        if labels is not None:
            raise ValueError("labels come with the ImageData; pass labels only with a plain tensor of images")
        return data.images, data.labels
    return _check_images(data), labels


@dataclass
class PairedImages:
    """Aligned pairs: ``inputs[i]`` was made from ``targets[i]`` by ``task``; ``labels`` are the digits' classes."""

    inputs: torch.Tensor
    targets: torch.Tensor
    labels: torch.Tensor | None
    task: str

    def __len__(self) -> int:
        return len(self.targets)

    def split_off(self, fraction: float, seed: int = 0) -> tuple["PairedImages", "PairedImages"]:
        """(the rest, a seeded random ``fraction`` held out), pairs kept together."""
        if not 0 < fraction < 1:
            raise ValueError(f"fraction must be between 0 and 1, got {fraction}")
        order = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))
        cut = len(self) - round(fraction * len(self))

        def pick(idx):
            labels = None if self.labels is None else self.labels[idx]
            return PairedImages(self.inputs[idx], self.targets[idx], labels, self.task)

        return pick(order[:cut]), pick(order[cut:])

    def batches(self, batch_size: int = 64, *, seed: int = 0, device: str | torch.device = "cpu") -> Batches:
        """Endless shuffled mini-batches of ``(inputs, targets)``, the pairs kept together."""
        return Batches(self.inputs, self.targets, batch_size, seed=seed, device=device)


def paired(data: ImageData | torch.Tensor, task: str, labels: torch.Tensor | None = None) -> PairedImages:
    """Pairs (degraded input, digit) for pix2pix from ``data`` (an ImageData, or images and optional labels)."""
    if task not in TASKS:
        raise ValueError(f"unknown paired task {task!r}; choose one of {TASKS}")
    images, labels = _as_tensors(data, labels)
    return PairedImages(degrade(images, task), images, labels, task)


@dataclass
class UnpairedImages:
    """Two domains made of *different* digits: A in the original style, B restyled (no image has a partner)."""

    a: torch.Tensor
    b: torch.Tensor
    a_labels: torch.Tensor | None
    b_labels: torch.Tensor | None
    style: str

    def batches(self, batch_size: int = 64, *, seed: int = 0, device: str | torch.device = "cpu") -> "UnpairedBatches":
        """Endless mini-batches ``(a, b)``, each domain shuffled on its own."""
        return UnpairedBatches(self.a, self.b, batch_size, seed=seed, device=device)


def unpaired(data: ImageData | torch.Tensor, style: str, labels: torch.Tensor | None = None, seed: int = 0) -> UnpairedImages:
    """Split ``data`` at random into two halves: A keeps its style, B (the other half) is :func:`restyle`-d."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; choose one of {STYLES}")
    images, labels = _as_tensors(data, labels)
    if len(images) < 2:
        raise ValueError("need at least two images to make two domains")
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
    a, b = order[: len(images) // 2], order[len(images) // 2:]
    return UnpairedImages(images[a], restyle(images[b], style), None if labels is None else labels[a],
                          None if labels is None else labels[b], style)


class UnpairedBatches:
    """Endless ``(a, b)`` mini-batches from two image sets, each with its own seeded shuffle: which a meets
    which b changes from pass to pass, so no pairing can be learned."""

    def __init__(self, a: torch.Tensor, b: torch.Tensor, batch_size: int = 64, *, seed: int = 0,
                 device: str | torch.device = "cpu"):
        self.a = Batches(_check_images(a), None, batch_size, seed=seed, device=device)
        self.b = Batches(_check_images(b), None, batch_size, seed=seed + 1, device=device)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for (a, _), (b, _) in zip(self.a, self.b):
            yield a, b
