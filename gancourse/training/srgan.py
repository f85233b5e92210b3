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

from gancourse.training.family import Family, frozen, make_optimizer, model_config
from gancourse.training.objectives import Objective
from gancourse.training.pix2pix import unconstrained_objective


class SRGAN(Family):
    """SRGAN: a generator ``G(lowres)`` (e.g. :class:`~gancourse.superres.SRGenerator`) and an unconditional
    discriminator on high-resolution images (e.g. :class:`~gancourse.models.DCGANDiscriminator`), or
    ``discriminator=None`` for the content-only baseline.  Batches are ``(lowres, highres)``
    (:func:`gancourse.superres.lowres_pairs` ``(…).batches()``).

    adversarial_weight: w in l_content + w · l_adv (10⁻³ in the paper).  Adam(lr 10⁻⁴, β = (0.9, 0.999)) as
    in the paper unless given.
    """

    name = "srgan"

    def __init__(self, generator: nn.Module, discriminator: nn.Module | None, *, adversarial_weight: float = 1e-3,
                 objective: str | Objective | None = None, lr_g: float = 1e-4, lr_d: float | None = None,
                 betas: tuple[float, float] | None = (0.9, 0.999), optimizer: str = "adam", seed: int = 0):
        super().__init__(seed)
        if not isinstance(generator, nn.Module):
            raise TypeError(f"generator must be an nn.Module, got {type(generator).__name__}")
        if not (isinstance(adversarial_weight, (int, float)) and adversarial_weight > 0):
            raise ValueError(f"adversarial_weight must be a number > 0, got {adversarial_weight!r} "
                             "(for the content loss alone pass discriminator=None)")
        if discriminator is None and (lr_d is not None or objective is not None):
            raise ValueError("lr_d and objective apply to the discriminator; the content-only baseline has none")
        if discriminator is not None and getattr(discriminator, "num_classes", None):
            raise ValueError("SRGAN's discriminator judges high-resolution images alone: build it unconditional")
        self.objective = unconstrained_objective("gan" if objective is None else objective, "SRGAN")
        self.generator, self.discriminator = generator, discriminator
        self.adversarial_weight = float(adversarial_weight)
        self.lr_g, self.lr_d = lr_g, (lr_g if lr_d is None else lr_d)
        self.betas, self.optimizer_name = betas, optimizer
        self.g_opt = make_optimizer(optimizer, generator.parameters(), lr_g, betas)
        self.optimizers = {"generator": self.g_opt}
        self._generator_params = list(generator.parameters())
        if discriminator is not None:
            self.d_opt = make_optimizer(optimizer, discriminator.parameters(), self.lr_d, betas)
            self.optimizers["discriminator"] = self.d_opt
            self._discriminator_params = list(discriminator.parameters())

    @property
    def adversarial(self) -> bool:
        """True for SRGAN (content + adversarial loss), False for the content-only baseline."""
        return self.discriminator is not None

    def config(self) -> dict:
        return {**super().config(), "optimizer": self.optimizer_name, "lr_g": self.lr_g, "betas": self.betas,
                "generator": model_config(self.generator),
                **({"adversarial_weight": self.adversarial_weight, "objective": self.objective.name, "lr_d": self.lr_d,
                    "discriminator": model_config(self.discriminator)} if self.adversarial else {"discriminator": None})}

    # ---- the algorithm ------------------------------------------------------------------------------------
    def train_step(self, batches) -> dict[str, torch.Tensor]:
        """One D update on I_HR and G(I_LR), then one G update on l_content + w · l_adv."""
        lowres, highres = self.unpack(next(batches))
        self.generator.train()
        upscaled = self.generator(lowres)
        stats = {}
        if self.adversarial:
            self.discriminator.train()
            real_out, fake_out = self.discriminator(highres), self.discriminator(upscaled.detach())
            loss_d = self.objective.discriminator_loss(real_out, fake_out)
            stats = self.objective.monitor(real_out, fake_out)
            stats["grad_norm_d"] = self.descend(self.d_opt, loss_d, self._discriminator_params)
            stats["loss_d"] = loss_d.detach()
        loss_g, parts = self.perceptual_loss(upscaled, highres)
        stats["grad_norm_g"] = self.descend(self.g_opt, loss_g, self._generator_params)
        return {**stats, "loss_g": loss_g.detach(), **parts}

    def perceptual_loss(self, upscaled: torch.Tensor, highres: torch.Tensor) -> tuple[torch.Tensor, dict]:
        """l_SR = l_content + w · l_adv for upscalings ``upscaled`` of the originals ``highres``; returns the
        loss and its parts (detached) for the log."""
        content = F.mse_loss(upscaled, highres)
        if not self.adversarial:
            return content, {"content": content.detach()}
        with frozen(self._discriminator_params):  # G's step must not train D
            adversarial = self.objective.generator_loss(self.discriminator(upscaled))
        return content + self.adversarial_weight * adversarial, {"content": content.detach(),
                                                                 "adversarial_g": adversarial.detach()}

    # ---- helpers ------------------------------------------------------------------------------------------
    def unpack(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        """(lowres, highres) on the device, checked."""
        items = self.prepare(batch)
        if len(items) != 2 or items[1] is None:
            raise ValueError("SRGAN trains on pairs: each batch must be (lowres, highres), e.g. from "
                             "gancourse.superres.lowres_pairs(...).batches()")
        lowres, highres = items
        if len(lowres) != len(highres) or lowres.ndim != 4 or highres.ndim != 4:
            raise ValueError(f"lowres and highres must be image batches of equal length, "
                             f"got {tuple(lowres.shape)} and {tuple(highres.shape)}")
        return lowres, highres

    @torch.no_grad()
    def upscale(self, lowres: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """G(lowres) on the CPU, in eval mode, in batches."""
        return self.apply_in_eval_mode(self.sampler, lowres, batch_size)
