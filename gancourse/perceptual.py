"""Perceptual distance between images (LPIPS-style) and a diversity score built on it.

LPIPS (:cite:`zhang2018lpips`) compares two images through a network's layers: at each layer the feature
vector of every position is scaled to unit length over the channels, the two images' vectors are
subtracted and squared, each channel is weighted (weights *learned* from human similarity judgements) and
the result is averaged over positions and summed over layers.  The real ``lpips`` package needs AlexNet /
VGG backbone weights that torchvision downloads; offline, :class:`ClassifierPerceptual` applies the same
recipe to the course's digit classifier (:mod:`gancourse.classifier`) with *equal* channel weights —
learned-free, and named as such.  :func:`diversity` (mean pairwise distance of a generator's samples)
falls when a generator collapses onto a few outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gancourse.models import eval_mode

__all__ = ["ClassifierPerceptual", "LPIPSUnavailable", "lpips_status", "load_lpips", "perceptual_metric", "diversity"]

#: files torchvision stores for the backbones ``lpips.LPIPS(net=…)`` loads (it downloads them if absent)
BACKBONE_FILES = {"alex": "alexnet-owt-*.pth", "vgg": "vgg16-*.pth", "squeeze": "squeezenet1_1-*.pth"}


def _unit_normalise(x: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    """Scale each position's channel vector (dim 1) to unit length, as LPIPS does."""
    return x / (x.square().sum(dim=1, keepdim=True).sqrt() + eps)


class ClassifierPerceptual(nn.Module):
    """LPIPS recipe on the course classifier: unit-normalised features of three layers, squared differences,
    equal channel weights, mean over positions, mean over the layers.  ``forward(a, b)`` → (N,) distances.

    Layers used: after the first conv block (32 × 28 × 28), after the second (64 × 14 × 14), and the 128-d
    penultimate features (one "position").  Images are (N, 1, 28, 28) in [-1, 1].  Each layer's term lies
    in [0, 4] (two unit vectors are at most 2 apart); 0 for identical images.
    """

    #: indices in ``classifier.body`` after which a layer is read (the two conv ReLUs and the final ReLU)
    TAPS = (1, 4, 8)

    def __init__(self, classifier: nn.Module):
        super().__init__()
        if not hasattr(classifier, "body") or len(classifier.body) <= max(self.TAPS):
            raise ValueError("ClassifierPerceptual needs a gancourse.classifier.MNISTClassifier (with .body)")
        self.classifier = classifier  # used in eval mode, and left in the mode the caller gave it

    @torch.no_grad()
    def layers(self, images: torch.Tensor) -> list[torch.Tensor]:
        """The unit-normalised feature maps of ``images`` at each tapped layer, each (N, C, H, W)."""
        if images.ndim != 4:
            raise ValueError(f"expected images of shape (N, C, H, W), got {tuple(images.shape)}")
        out, x = [], images
        with eval_mode(self.classifier):
            for index, layer in enumerate(self.classifier.body):
                x = layer(x)
                if index in self.TAPS:
                    feature = x if x.ndim == 4 else x[:, :, None, None]
                    out.append(_unit_normalise(feature.clone()))  # clone: the next in-place ReLU must not change it
        return out

    @staticmethod
    def distance_from_layers(layers_a: list[torch.Tensor], layers_b: list[torch.Tensor]) -> torch.Tensor:
        terms = [(a - b).square().sum(dim=1).mean(dim=(1, 2)) for a, b in zip(layers_a, layers_b)]
        return torch.stack(terms).mean(dim=0)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if a.shape != b.shape:
            raise ValueError(f"the two image batches differ in shape: {tuple(a.shape)} vs {tuple(b.shape)}")
        return self.distance_from_layers(self.layers(a), self.layers(b))


class LPIPSUnavailable(RuntimeError):
    """The real ``lpips`` package, or the backbone weights it needs, cannot be used on this machine."""


def lpips_status(net: str = "alex") -> str | None:
    """None when ``lpips.LPIPS(net=net)`` can be built offline; otherwise the reason, in one sentence."""
    if net not in BACKBONE_FILES:
        raise ValueError(f"net must be one of {sorted(BACKBONE_FILES)}, got {net!r}")
    try:
        import lpips  # noqa: F401
    except ImportError:
        return ("the `lpips` package is not installed (pip install lpips; its AlexNet/VGG backbone weights are then "
                "downloaded by torchvision on first use, which needs internet)")
    checkpoints = Path(torch.hub.get_dir()) / "checkpoints"
    if not list(checkpoints.glob(BACKBONE_FILES[net])):
        return (f"the `lpips` package is installed but the {net} backbone weights are not in {checkpoints.name}/ of the "
                "torch hub cache; torchvision downloads them on first use, which needs internet")
    return None


def load_lpips(net: str = "alex") -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The real LPIPS as a function of two (N, 1, 28, 28) batches in [-1, 1] → (N,) distances.

    Grey digits are repeated to 3 channels and upsampled to 64 × 64 (AlexNet's strides leave almost nothing
    of a 28 × 28 image).  Raises :class:`LPIPSUnavailable` with the reason when it cannot be loaded offline.
    """
    problem = lpips_status(net)
    if problem:
        raise LPIPSUnavailable(f"LPIPS unavailable: {problem}. Use gancourse.perceptual.ClassifierPerceptual instead.")
    import lpips

    model = lpips.LPIPS(net=net, verbose=False).eval()

    @torch.no_grad()
    def distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        def prepare(x):
            return F.interpolate(x.expand(-1, 3, -1, -1), size=64, mode="bilinear", align_corners=False)

        return model(prepare(a), prepare(b)).flatten()

    return distance


def perceptual_metric(classifier: nn.Module, *, prefer_lpips: bool = True, net: str = "alex"
                      ) -> tuple[Callable[[torch.Tensor, torch.Tensor], torch.Tensor], str]:
    """(distance function, one-line description): the real LPIPS when it loads, else :class:`ClassifierPerceptual`."""
    if prefer_lpips:
        try:
            return load_lpips(net), f"LPIPS ({net}, learned weights)"
        except LPIPSUnavailable as exc:
            reason = str(exc).split(": ", 1)[1].split(". Use")[0]
            return ClassifierPerceptual(classifier), f"course classifier, learned-free LPIPS recipe — real LPIPS not used: {reason}"
    return ClassifierPerceptual(classifier), "course classifier, learned-free LPIPS recipe"


@torch.no_grad()
def diversity(images: torch.Tensor, distance: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], *,
              groups: torch.Tensor | None = None, max_pairs: int = 5000, seed: int = 0, batch_size: int = 500) -> float:
    """Mean perceptual distance between two *different* samples of ``images`` (all pairs i < j, or
    ``max_pairs`` random ones).  Near 0 when a generator keeps returning the same few images.

    ``groups`` (N,) (e.g. the predicted class of each image) restricts the pairs to images of the same group:
    a generator that draws one image per class has large distances *between* classes, which hide its collapse;
    *within* a class its diversity is 0.
    """
    n = len(images)
    if n < 2:
        raise ValueError(f"diversity needs at least 2 images, got {n}")
    first, second = torch.triu_indices(n, n, offset=1)
    if groups is not None:
        groups = torch.as_tensor(groups).cpu()
        if groups.shape != (n,):
            raise ValueError(f"groups must have one entry per image, shape ({n},), got {tuple(groups.shape)}")
        same = groups[first] == groups[second]
        first, second = first[same], second[same]
        if len(first) == 0:
            raise ValueError("no two images share a group: within-group diversity is undefined")
    if len(first) > max_pairs:
        keep = torch.randperm(len(first), generator=torch.Generator().manual_seed(seed))[:max_pairs]
        first, second = first[keep], second[keep]
    if isinstance(distance, ClassifierPerceptual):  # each image's layers once, not once per pair
        layers = distance.layers(images)

        def pair_distance(i, j):
            return distance.distance_from_layers([layer[i] for layer in layers], [layer[j] for layer in layers])
    else:
        def pair_distance(i, j):
            return distance(images[i], images[j])
    values = [pair_distance(first[i:i + batch_size], second[i:i + batch_size]) for i in range(0, len(first), batch_size)]
    return float(torch.cat(values).double().mean())
