"""The base of the paired families (pix2pix, SRGAN): G learns from (input, target) pairs by a reconstruction loss,
plus, when a discriminator is given, an adversarial term.

One step: one D update on the real targets and G's outputs (adversarial models only), then one G update on
``reconstruction_weight`` · reconstruction + ``adversarial_weight`` · adversarial.  With ``discriminator=None`` the
same G trains on the reconstruction loss alone: the baseline each paper compares against, on the same data and
budget.  A subclass names its loss, its weights and how D sees an output (:meth:`PairedGAN.judge`).
"""

from __future__ import annotations

import torch
from torch import nn

from gancourse.training.family import Family, frozen, model_config
from gancourse.training.objectives import OBJECTIVES, Objective, get_objective


def unconstrained_objective(objective: str | Objective, family: str) -> Objective:
    """The objective, checked to need no Lipschitz constraint (the translation families clip and penalise nothing)."""
    objective = get_objective(objective)
    if objective.lipschitz is not None:
        usable = [name for name, o in OBJECTIVES.items() if o.lipschitz is None]
        raise ValueError(f"{family} here keeps no critic Lipschitz (no weight clipping, no gradient penalty): "
                         f"objective {objective.name!r} does not apply; choose one of {usable}")
    return objective


class PairedGAN(Family):
    """G(input) ≈ target, judged by a reconstruction loss and, if ``discriminator`` is not None, by D.

    What a subclass sets: ``title`` (for messages), ``pair_names`` and ``batches_hint`` (what a batch holds and
    where to get one), ``reconstruction_name`` (its key in the log), :meth:`reconstruction_loss`, :meth:`judge`, the
    two weights, and ``default_lr_d`` (None: D's learning rate defaults to G's).
    """

    title = "a paired GAN"
    pair_names = ("inputs", "targets")
    batches_hint = ""
    reconstruction_name = "reconstruction"
    baseline_name = "the reconstruction-only baseline"
    default_lr_d: float | None = None
    discriminator_loss_scale = 1.0
    reconstruction_weight = 1.0
    adversarial_weight = 1.0

    def __init__(self, generator: nn.Module, discriminator: nn.Module | None, *, objective: str | Objective | None,
                 lr_g: float, lr_d: float | None, betas: tuple[float, float] | None, optimizer: str, seed: int):
        super().__init__(seed)
        if not isinstance(generator, nn.Module):
            raise TypeError(f"generator must be an nn.Module, got {type(generator).__name__}")
        if discriminator is None and (lr_d is not None or objective is not None):
            raise ValueError(f"lr_d and objective apply to the discriminator; {self.baseline_name} has none")
        self.objective = unconstrained_objective("gan" if objective is None else objective, self.title)
        self.generator, self.discriminator = generator, discriminator
        lr_d = lr_d if lr_d is not None else (lr_g if self.default_lr_d is None else self.default_lr_d)
        self.set_up_optimizers(generator.parameters(), None if discriminator is None else discriminator.parameters(),
                               optimizer=optimizer, lr_g=lr_g, lr_d=lr_d, betas=betas)

    @property
    def adversarial(self) -> bool:
        """True when a discriminator trains alongside, False for the reconstruction-only baseline."""
        return self.discriminator is not None

    def config(self) -> dict:
        optimizers = self.optimizer_config()
        if not self.adversarial:
            del optimizers["lr_d"]  # the baseline has no D, so no learning rate for one
        return {**super().config(), **optimizers, "generator": model_config(self.generator),
                **({"objective": self.objective.name, "discriminator": model_config(self.discriminator)}
                   if self.adversarial else {"discriminator": None})}

    # ---- what a subclass provides -------------------------------------------------------------------------
    def reconstruction_loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def judge(self, images: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """D's score for ``images`` (targets or outputs) that belong to ``inputs``."""
        raise NotImplementedError

    # ---- the algorithm ------------------------------------------------------------------------------------
    def train_step(self, batches) -> dict[str, torch.Tensor]:
        """One D update on real targets and G's outputs (adversarial models), then one G update."""
        inputs, targets = self.unpack(next(batches))
        self.generator.train()
        outputs = self.generator(inputs)
        stats = {}
        if self.adversarial:
            self.discriminator.train()
            real_out, fake_out = self.judge(targets, inputs), self.judge(outputs.detach(), inputs)
            loss_d = self.discriminator_loss_scale * self.objective.discriminator_loss(real_out, fake_out)
            stats = self.objective.monitor(real_out, fake_out)
            stats["grad_norm_d"] = self.descend(self.d_opt, loss_d, self._discriminator_params)
            stats["loss_d"] = loss_d.detach()
        loss_g, parts = self.generator_loss(inputs, targets, outputs)
        stats["grad_norm_g"] = self.descend(self.g_opt, loss_g, self._generator_params)
        return {**stats, "loss_g": loss_g.detach(), **parts}

    def generator_loss(self, inputs: torch.Tensor, targets: torch.Tensor,
                       outputs: torch.Tensor) -> tuple[torch.Tensor, dict]:
        """G's loss for ``outputs`` = G(inputs) and their ``targets``, and its parts (detached) for the log."""
        reconstruction = self.reconstruction_loss(outputs, targets)
        parts = {self.reconstruction_name: reconstruction.detach()}
        if not self.adversarial:
            return self.reconstruction_weight * reconstruction, parts
        with frozen(self._discriminator_params):  # G's step must not train D
            adversarial = self.objective.generator_loss(self.judge(outputs, inputs))
        loss = self.reconstruction_weight * reconstruction + self.adversarial_weight * adversarial
        return loss, {**parts, "adversarial_g": adversarial.detach()}

    # ---- helpers ------------------------------------------------------------------------------------------
    def unpack(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        """(inputs, targets) on the device, checked."""
        items = self.prepare(batch)
        first, second = self.pair_names
        if len(items) != 2 or items[1] is None:
            raise ValueError(f"{self.title} trains on pairs: each batch must be ({first}, {second}), e.g. from "
                             f"{self.batches_hint}")
        inputs, targets = items
        if len(inputs) != len(targets) or inputs.ndim != 4 or targets.ndim != 4:
            raise ValueError(f"{first} and {second} must be image batches of equal length, "
                             f"got {tuple(inputs.shape)} and {tuple(targets.shape)}")
        return inputs, targets

    @torch.no_grad()
    def translate(self, inputs: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """G(inputs) on the CPU, in eval mode, in batches."""
        return self.apply_in_eval_mode(self.sampler, inputs, batch_size)
