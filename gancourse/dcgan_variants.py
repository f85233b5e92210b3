"""DCGANs with one of Radford et al.'s architecture rules broken, for notebook 05 (:cite:`radford2016dcgan`).

Each variant differs from the course DCGAN (:class:`gancourse.models.DCGANGenerator` /
:class:`~gancourse.models.DCGANDiscriminator`, 1×28×28) in exactly one rule, so that training both on the
same data, seed and step budget shows what the rule is for:

- :class:`PoolingDiscriminator` — *strided convolutions instead of pooling* broken: every stride-2 4×4
  convolution of D becomes a stride-1 3×3 convolution followed by 2×2 max-pooling (same widths, same
  BatchNorm and LeakyReLU, same 7×7 head).
- :func:`without_batchnorm` — *BatchNorm in G* broken: every ``BatchNorm2d`` of a network replaced by an
  identity (the convolutions keep ``bias=False``, exactly what deleting the BatchNorm lines does).
"""

from __future__ import annotations

import torch
from torch import nn

from gancourse.models import dcgan_init_

__all__ = ["PoolingDiscriminator", "without_batchnorm"]


class PoolingDiscriminator(nn.Module):
    """The course DCGAN discriminator for 1×28×28 images with max-pooling instead of strided convolutions.

    28×28 → conv 3×3 + LeakyReLU → max-pool → 14×14 → conv 3×3 + BatchNorm + LeakyReLU → max-pool → 7×7 →
    conv 7×7 → one logit per image, shape (N,).  DCGAN initialisation N(0, 0.02).
    """

    def __init__(self, channels: int = 1, width: int = 64):
        super().__init__()
        self.num_classes = None
        self.input_shape = (channels, 28, 28)
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 3, 1, 1), nn.LeakyReLU(0.2, True), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, 1, 1, bias=False), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2, True),
            nn.MaxPool2d(2),
            nn.Conv2d(2 * width, 1, 7, 1, 0),
        )
        dcgan_init_(self)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is not None:
            raise ValueError("PoolingDiscriminator is unconditional: it takes no labels")
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"expected images of shape (N, {', '.join(map(str, self.input_shape))}), got {tuple(x.shape)}")
        return self.net(x).flatten()


def without_batchnorm(model: nn.Module) -> nn.Module:
    """Replace every ``BatchNorm1d/2d`` inside ``model`` by ``nn.Identity`` (in place); returns ``model``.

    Raises ValueError when there is no BatchNorm to remove, so a variant cannot silently equal the original.
    """
    replaced = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, (nn.BatchNorm1d, nn.BatchNorm2d)):
                setattr(parent, name, nn.Identity())
                replaced += 1
    if not replaced:
        raise ValueError(f"{type(model).__name__} has no BatchNorm layer to remove")
    return model
