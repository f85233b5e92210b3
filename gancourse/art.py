"""Generative art in miniature: CAN's style-ambiguity idea on digit classes (:cite:`elgammal2017can`).

A *creative adversarial network* (CAN) has a discriminator with two heads: one says "real or generated",
the other which *style* a real image belongs to (here: which digit).  The generator is rewarded for images
the first head accepts as real while the second cannot put into any one class — the **style-ambiguity
loss** :func:`style_ambiguity_loss`, the cross-entropy between the class posterior and the uniform
distribution.  :class:`ClassifyingDiscriminator` is that two-headed D for 28×28 images;
:func:`mean_class_entropy` measures how ambiguous images are to an independent classifier.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from gancourse.models import RecordsConfig, dcgan_init_

__all__ = ["ClassifyingDiscriminator", "style_ambiguity_loss", "mean_class_entropy"]


class ClassifyingDiscriminator(RecordsConfig):
    """Images (N, C, 28, 28) → (real/fake logit (N,), class logits (N, num_classes)) from one shared trunk:
    two strided convolutions (DCGAN style: LeakyReLU 0.2, BatchNorm inside) and two linear heads."""

    def __init__(self, channels: int = 1, num_classes: int = 10, width: int = 32):
        super().__init__()
        for name, value in (("channels", channels), ("width", width)):
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not (isinstance(num_classes, int) and num_classes >= 2):
            raise ValueError(f"num_classes must be an integer ≥ 2 (the styles to be ambiguous between), got {num_classes!r}")
        self.channels, self.num_classes = channels, num_classes
        self.trunk = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2, True),                                 # 28 → 14
            nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2, True),  # 14 → 7
            nn.Flatten())
        self.real_head = nn.Linear(2 * width * 49, 1)
        self.class_head = nn.Linear(2 * width * 49, num_classes)
        dcgan_init_(self)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if images.ndim != 4 or images.shape[1:] != (self.channels, 28, 28):
            raise ValueError(f"expected images of shape (N, {self.channels}, 28, 28), got {tuple(images.shape)}")
        h = self.trunk(images)
        return self.real_head(h).squeeze(1), self.class_head(h)


def style_ambiguity_loss(class_logits: torch.Tensor) -> torch.Tensor:
    """CAN's style-ambiguity loss (Eq. 3 of :cite:`elgammal2017can`), averaged over the batch:
    −Σ_k [ (1/K) log p_k + (1 − 1/K) log(1 − p_k) ], with p = softmax(class logits).

    Smallest when every class gets p_k = 1/K (D cannot tell which style the image is in); large when D
    is sure of one class.
    """
    if class_logits.ndim != 2 or class_logits.shape[1] < 2:
        raise ValueError(f"class_logits must have shape (N, K ≥ 2), got {tuple(class_logits.shape)}")
    k = class_logits.shape[1]
    log_p = F.log_softmax(class_logits, dim=1)
    log_not_p = torch.log1p(-log_p.exp().clamp(max=1 - 1e-6))
    return -((log_p / k) + (1 - 1 / k) * log_not_p).sum(1).mean()


def mean_class_entropy(logits: torch.Tensor) -> float:
    """Mean over images of the entropy (nats) of a classifier's softmax: 0 when it is sure of every image,
    ln K when every image looks equally like each of the K classes."""
    if logits.ndim != 2 or logits.shape[1] < 2:
        raise ValueError(f"logits must have shape (N, K ≥ 2), got {tuple(logits.shape)}")
    log_p = F.log_softmax(logits.double(), dim=1)
    return float(-(log_p.exp() * log_p).sum(1).mean()) + 0.0


#: the entropy of a uniform guess over the ten digits
MAX_DIGIT_ENTROPY = math.log(10)
