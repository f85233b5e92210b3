"""SRGAN (:cite:`ledig2017srgan`): super-resolution with a content loss plus an adversarial loss.

G upscales a low-resolution image I_LR to G(I_LR); D tells real high-resolution images I_HR from upscaled
ones.  One step (the paper's Sec. 2, one D update then one G update):

- D: minimise BCE(D(I_HR), real) + BCE(D(G(I_LR)), fake);
- G: minimise the perceptual loss l_SR = l_content + w · l_adv, with the content loss
  l_content = mean (I_HR − G(I_LR))² (the paper's "SRGAN-MSE" variant; its best model compares VGG features
  instead, which need downloaded ImageNet weights) and l_adv = −log D(G(I_LR)) (non-saturating); w = 10⁻³.

``discriminator=None`` trains G on the content loss alone (the paper's SRResNet), on the same data and budget.
The content loss alone is minimised by the average of all high-resolution images that fit the input — a
blur; the adversarial term pushes G towards one sharp, plausible image instead, at some cost in PSNR.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gancourse.training.objectives import Objective
from gancourse.training.paired import PairedGAN


class SRGAN(PairedGAN):
    """SRGAN: a generator ``G(lowres)`` (e.g. :class:`~gancourse.superres.SRGenerator`) and an unconditional
    discriminator on high-resolution images (e.g. :class:`~gancourse.models.DCGANDiscriminator`), or
    ``discriminator=None`` for the content-only baseline.  Batches are ``(lowres, highres)``
    (:func:`gancourse.superres.lowres_pairs` ``(…).batches()``).

    adversarial_weight: w in l_content + w · l_adv (10⁻³ in the paper).  Adam(lr 10⁻⁴, β = (0.9, 0.999)) as
    in the paper unless given; lr_d defaults to lr_g.
    """

    name, title = "srgan", "SRGAN"
    pair_names = ("lowres", "highres")
    batches_hint = "gancourse.superres.lowres_pairs(...).batches()"
    reconstruction_name, baseline_name = "content", "the content-only baseline"

    def __init__(self, generator: nn.Module, discriminator: nn.Module | None, *, adversarial_weight: float = 1e-3,
                 objective: str | Objective | None = None, lr_g: float = 1e-4, lr_d: float | None = None,
                 betas: tuple[float, float] | None = (0.9, 0.999), optimizer: str = "adam", seed: int = 0):
        if not (isinstance(adversarial_weight, (int, float)) and adversarial_weight > 0):
            raise ValueError(f"adversarial_weight must be a number > 0, got {adversarial_weight!r} "
                             "(for the content loss alone pass discriminator=None)")
        if discriminator is not None and getattr(discriminator, "num_classes", None):
            raise ValueError("SRGAN's discriminator judges high-resolution images alone: build it unconditional")
        super().__init__(generator, discriminator, objective=objective, lr_g=lr_g, lr_d=lr_d, betas=betas,
                         optimizer=optimizer, seed=seed)
        self.adversarial_weight = float(adversarial_weight)

    def config(self) -> dict:
        config = super().config()
        return {**config, "adversarial_weight": self.adversarial_weight} if self.adversarial else config

    def reconstruction_loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """l_content = mean (I_HR − G(I_LR))²."""
        return F.mse_loss(outputs, targets)

    def judge(self, images: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """D sees the high-resolution image alone."""
        return self.discriminator(images)

    def perceptual_loss(self, upscaled: torch.Tensor, highres: torch.Tensor) -> tuple[torch.Tensor, dict]:
        """l_SR = l_content + w · l_adv for upscalings ``upscaled`` of the originals ``highres`` (the paper's name
        for :meth:`generator_loss`); returns the loss and its parts (detached) for the log."""
        return self.generator_loss(None, highres, upscaled)

    def upscale(self, lowres: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """G(lowres) on the CPU, in eval mode, in batches."""
        return self.translate(lowres, batch_size)
