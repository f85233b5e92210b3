"""Small image-to-image networks for 28×28 images: a U-Net generator and a PatchGAN discriminator.

Both follow pix2pix :cite:`isola2017pix2pix` at the size of a digit.  The **U-Net** (:cite:`ronneberger2015unet`)
encodes 28 → 14 → 7 → 3 and decodes back, with skip connections that hand each decoder level the encoder's
features of the same size, so fine detail of the input (where the strokes are) need not squeeze through the
3×3 bottleneck.  The **PatchGAN** discriminator outputs a 7×7 map of logits, one per overlapping 18×18 patch:
it judges local texture and sharpness, and the L1 term of pix2pix takes care of the large-scale layout.
Instance normalisation (:cite:`ulyanov2016instancenorm`) everywhere — what pix2pix's batch-size-1 BatchNorm
amounts to and what CycleGAN uses — so a model behaves the same in train and eval mode.  Each records its
constructor arguments in ``config`` (checkpoints carry it, as for :mod:`gancourse.models`).
"""

from __future__ import annotations

import torch
from torch import nn

from gancourse.models import RecordsConfig, dcgan_init_

__all__ = ["UNetGenerator", "PatchDiscriminator", "receptive_field", "IMAGE_SIZE"]

#: the image size these networks are built for (MNIST and the course's upsampled digits)
IMAGE_SIZE = 28


def _check_channels(**counts: int) -> None:
    for name, value in counts.items():
        if not (isinstance(value, int) and value >= 0 and (value >= 1 or name == "condition_channels")):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _check_images(x: torch.Tensor, channels: int, what: str) -> None:
    if x.ndim != 4 or x.shape[1] != channels or x.shape[2:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"the {what} must be images of shape (N, {channels}, {IMAGE_SIZE}, {IMAGE_SIZE}), "
                         f"got {tuple(x.shape)}")


class UNetGenerator(RecordsConfig):
    """Image → image of the same size: encoder 28 → 14 → 7 → 3, decoder 3 → 7 → 14 → 28 with skips, Tanh output.

    No noise input: like pix2pix's generator it is a deterministic function of its input (the paper's
    dropout noise was largely ignored by the network, and is left out here).
    """

    def __init__(self, in_channels: int = 1, out_channels: int = 1, width: int = 32):
        super().__init__()
        _check_channels(in_channels=in_channels, out_channels=out_channels, width=width)
        self.in_channels, self.out_channels = in_channels, out_channels
        w = width

        def norm(c):
            return nn.InstanceNorm2d(c)

        # encoder: 4×4 stride-2 convolutions (no pooling), LeakyReLU; no normalisation on the input layer
        self.down1 = nn.Sequential(nn.Conv2d(in_channels, w, 4, 2, 1), nn.LeakyReLU(0.2, True))           # 28 → 14
        self.down2 = nn.Sequential(nn.Conv2d(w, 2 * w, 4, 2, 1), norm(2 * w), nn.LeakyReLU(0.2, True))    # 14 → 7
        self.down3 = nn.Sequential(nn.Conv2d(2 * w, 4 * w, 3, 2, 0), norm(4 * w), nn.LeakyReLU(0.2, True))  # 7 → 3
        # decoder: transposed convolutions, ReLU; each input is [decoder features, encoder features of that size]
        self.up3 = nn.Sequential(nn.ConvTranspose2d(4 * w, 2 * w, 3, 2, 0), norm(2 * w), nn.ReLU(True))        # 3 → 7
        self.up2 = nn.Sequential(nn.ConvTranspose2d(4 * w, w, 4, 2, 1), norm(w), nn.ReLU(True))                # 7 → 14
        self.up1 = nn.Sequential(nn.ConvTranspose2d(2 * w, out_channels, 4, 2, 1), nn.Tanh())                   # 14 → 28
        dcgan_init_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, self.in_channels, "generator's input")
        h1 = self.down1(x)
        h2 = self.down2(h1)
        h3 = self.down3(h2)
        u2 = self.up3(h3)
        u1 = self.up2(torch.cat([u2, h2], dim=1))   # skip connection at 7×7
        return self.up1(torch.cat([u1, h1], dim=1))  # skip connection at 14×14


class PatchDiscriminator(RecordsConfig):
    """Images → a (N, 1, 7, 7) map of raw scores (logits), each judging one 18×18 patch (PatchGAN).

    ``condition_channels`` > 0 makes it conditional, as pix2pix's D: it sees the input image and the
    (real or translated) output stacked as channels, so it can reject an output that does not fit its input.
    CycleGAN's discriminators are unconditional (``condition_channels=0``): there is no paired input.
    """

    def __init__(self, channels: int = 1, condition_channels: int = 0, width: int = 32):
        super().__init__()
        _check_channels(channels=channels, condition_channels=condition_channels, width=width)
        self.channels, self.condition_channels = channels, condition_channels
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(channels + condition_channels, w, 4, 2, 1), nn.LeakyReLU(0.2, True),   # 28 → 14
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.InstanceNorm2d(2 * w), nn.LeakyReLU(0.2, True),  # 14 → 7
            nn.Conv2d(2 * w, 1, 3, 1, 1),                                                       # one logit per patch
        )
        dcgan_init_(self)

    @property
    def conditional(self) -> bool:
        return self.condition_channels > 0

    def forward(self, images: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        _check_images(images, self.channels, "discriminator's images")
        if self.conditional:
            if condition is None:
                raise ValueError(f"this PatchGAN is conditional ({self.condition_channels} condition channels): "
                                 "pass the input image as `condition`")
            _check_images(condition, self.condition_channels, "discriminator's condition")
            images = torch.cat([condition, images], dim=1)
        elif condition is not None:
            raise ValueError("this PatchGAN is unconditional (condition_channels=0) but a condition was given")
        return self.net(images)


def receptive_field(model: PatchDiscriminator) -> int:
    """Side of the input patch that one output logit of ``model`` sees (from its convolutions' sizes)."""
    field, jump = 1, 1
    for layer in model.net:
        if isinstance(layer, nn.Conv2d):
            field += (layer.kernel_size[0] - 1) * jump
            jump *= layer.stride[0]
    return field
