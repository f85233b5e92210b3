"""Super-resolution of digits: low-resolution inputs, the bicubic baseline, a small SRResNet and the measures.

The task (:cite:`ledig2017srgan` in miniature): a 28×28 digit is averaged down by ``factor`` (4 → 7×7,
2 → 14×14) and a network must bring back the 28×28 original.  :func:`bicubic` is the classical
interpolation baseline; :class:`SRGenerator` is SRGAN's generator (SRResNet) at the size of a digit —
residual blocks at the low resolution, then sub-pixel convolutions (PixelShuffle) that double the size —
learning the *residual* on top of the bicubic upscaling.  :func:`sr_scores` measures a batch of
upscalings against the originals: PSNR and SSIM (distortion, higher = closer to the original pixel by
pixel, via torchmetrics) and the mean squared Sobel gradient (sharpness; the originals' value is the
target, a blur lowers it).  All images are (N, 1, H, W) tensors in [-1, 1].
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

from gancourse.data import ImageData
from gancourse.models import RecordsConfig
from gancourse.translation_data import PairedImages, gradient_energy

__all__ = ["FACTORS", "downscale", "bicubic", "lowres_pairs", "SRGenerator", "sr_scores"]

#: the upscaling factors of the course's task (28 = 4·7 = 2·14)
FACTORS = (2, 4)


def _check(images: torch.Tensor, what: str) -> torch.Tensor:
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or not images.is_floating_point():
        raise ValueError(f"{what} must be a float tensor of images (N, C, H, W) in [-1, 1], got "
                         f"{tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__}")
    return images


def _check_factor(factor: int) -> int:
    if factor not in FACTORS:
        raise ValueError(f"factor must be one of {FACTORS} (28×28 digits → 14×14 or 7×7), got {factor!r}")
    return factor


def downscale(images: torch.Tensor, factor: int = 4) -> torch.Tensor:
    """Each ``factor``×``factor`` block averaged into one pixel (area downsampling, as a camera's sensor does)."""
    _check(images, "images")
    _check_factor(factor)
    if images.shape[2] % factor or images.shape[3] % factor:
        raise ValueError(f"image size {tuple(images.shape[2:])} is not divisible by the factor {factor}")
    return F.avg_pool2d(images, factor)


def bicubic(lowres: torch.Tensor, factor: int = 4) -> torch.Tensor:
    """Bicubic interpolation by ``factor``, clipped to [-1, 1] (the cubic kernel overshoots at strokes)."""
    _check(lowres, "low-resolution images")
    _check_factor(factor)
    return F.interpolate(lowres, scale_factor=factor, mode="bicubic", align_corners=False).clamp(-1, 1)


def lowres_pairs(data: ImageData | torch.Tensor, factor: int = 4, labels: torch.Tensor | None = None) -> PairedImages:
    """(low-resolution input, original) pairs for super-resolution; ``.batches()`` feeds :class:`~gancourse.training.srgan.SRGAN`."""
    if isinstance(data, ImageData):
        if labels is not None:
            raise ValueError("labels come with the ImageData; pass labels only with a plain tensor of images")
        images, labels = data.images, data.labels
    else:
        images = _check(data, "images")
    return PairedImages(downscale(images, factor), images, labels, f"downscale ×{factor}")


class ResidualBlock(nn.Module):
    """conv 3×3 → PReLU → conv 3×3, added to its input (SRResNet's block without BatchNorm, as in ESRGAN)."""

    def __init__(self, width: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(width, width, 3, 1, 1), nn.PReLU(width), nn.Conv2d(width, width, 3, 1, 1))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.body(h)


class SRGenerator(RecordsConfig):
    """Low-resolution image → image ``factor`` times larger: bicubic(x) + a learned residual, clipped to [-1, 1].

    Feature extraction (conv 3×3 + PReLU), ``blocks`` residual blocks with a long skip, then one sub-pixel
    convolution (conv to 4·width channels + PixelShuffle(2) + PReLU) per doubling, and a 3×3 conv to the
    image.  Learning only the residual over bicubic makes the untrained network start at the baseline.
    """

    def __init__(self, factor: int = 4, channels: int = 1, width: int = 32, blocks: int = 2):
        super().__init__()
        _check_factor(factor)
        for name, value in (("channels", channels), ("width", width), ("blocks", blocks)):
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.factor, self.channels = factor, channels
        self.head = nn.Sequential(nn.Conv2d(channels, width, 3, 1, 1), nn.PReLU(width))
        self.body = nn.Sequential(*[ResidualBlock(width) for _ in range(blocks)], nn.Conv2d(width, width, 3, 1, 1))
        upsample = []
        for _ in range(int(math.log2(factor))):
            upsample += [nn.Conv2d(width, 4 * width, 3, 1, 1), nn.PixelShuffle(2), nn.PReLU(width)]
        self.upsample = nn.Sequential(*upsample)
        self.tail = nn.Conv2d(width, channels, 3, 1, 1)
        nn.init.zeros_(self.tail.weight)  # residual 0 at the start: the untrained network is bicubic
        nn.init.zeros_(self.tail.bias)

    def forward(self, lowres: torch.Tensor) -> torch.Tensor:
        if lowres.ndim != 4 or lowres.shape[1] != self.channels:
            raise ValueError(f"expected low-resolution images (N, {self.channels}, H, W), got {tuple(lowres.shape)}")
        h = self.head(lowres)
        h = h + self.body(h)
        residual = self.tail(self.upsample(h))
        base = F.interpolate(lowres, scale_factor=self.factor, mode="bicubic", align_corners=False)
        return (base + residual).clamp(-1, 1)


@torch.no_grad()
def sr_scores(outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
    """PSNR (dB) and SSIM against ``targets`` on the [0, 1] brightness scale, and the mean squared Sobel
    gradient of ``outputs`` (sharpness; compare with the targets' own value)."""
    _check(outputs, "outputs")
    _check(targets, "targets")
    if outputs.shape != targets.shape:
        raise ValueError(f"outputs and targets must have the same shape, got {tuple(outputs.shape)} and {tuple(targets.shape)}")
    a, b = (outputs.clamp(-1, 1) + 1) / 2, (targets + 1) / 2
    return {"psnr": float(peak_signal_noise_ratio(a, b, data_range=1.0)),
            "ssim": float(structural_similarity_index_measure(a, b, data_range=1.0)),
            "sharpness": float(gradient_energy(outputs.clamp(-1, 1)).mean())}
