"""pix2pix (:cite:`isola2017pix2pix`): paired image-to-image translation, a conditional GAN plus an L1 term.

G maps an input x to an output G(x); a conditional discriminator D sees x with either the real target y or
G(x).  One step (the paper's Sec. 3 and its training procedure, one D update then one G update):

- D: minimise ½ · [BCE(D(x, y), real) + BCE(D(x, G(x)), fake)]  (the paper halves D's objective);
- G: minimise L_cGAN = −log D(x, G(x)) (non-saturating)  +  λ · L1 = λ · mean |y − G(x)|, with λ = 100.

L1 alone gets the large-scale layout right but, where several outputs fit one input, predicts a blurry
compromise; the adversarial term makes G pick a sharp, plausible one.  ``discriminator=None`` trains G on
the L1 loss alone (the paper's "L1" baseline), on the same data and budget.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gancourse.training.family import Family, frozen, make_optimizer, model_config
from gancourse.training.objectives import OBJECTIVES, Objective, get_objective


def unconstrained_objective(objective: str | Objective, family: str) -> Objective:
    """The objective, checked to need no Lipschitz constraint (the translation families clip and penalise nothing)."""
    objective = get_objective(objective)
    if objective.lipschitz is not None:
        usable = [name for name, o in OBJECTIVES.items() if o.lipschitz is None]
        raise ValueError(f"{family} here keeps no critic Lipschitz (no weight clipping, no gradient penalty): "
                         f"objective {objective.name!r} does not apply; choose one of {usable}")
    return objective


class Pix2Pix(Family):
    """pix2pix: a generator ``G(x)`` and a conditional discriminator ``D(output, condition=x)`` (e.g.
    :class:`~gancourse.translation_models.PatchDiscriminator` with ``condition_channels``), or
    ``discriminator=None`` for the L1-only baseline.  Batches are ``(inputs, targets)``.

    objective: one without a Lipschitz constraint (default ``gan`` — BCE, the paper's —, ``gan-saturating``,
    ``hinge``, or an :class:`Objective`); lr_d defaults to 2e-4; l1_weight: λ (100 in the paper); l1_weight = 0 leaves the
    adversarial loss alone (the paper's "cGAN" ablation).
    """

    name = "pix2pix"

    def __init__(self, generator: nn.Module, discriminator: nn.Module | None, *, l1_weight: float = 100.0,
                 objective: str | Objective | None = None, lr_g: float = 2e-4, lr_d: float | None = None,
                 betas: tuple[float, float] | None = None, optimizer: str = "adam", seed: int = 0):
        super().__init__(seed)
        if not isinstance(generator, nn.Module):
            raise TypeError(f"generator must be an nn.Module, got {type(generator).__name__}")
        if not (isinstance(l1_weight, (int, float)) and l1_weight >= 0):
            raise ValueError(f"l1_weight (λ) must be a number ≥ 0, got {l1_weight!r}")
        if discriminator is None:
            if l1_weight == 0:
                raise ValueError("with no discriminator the L1 term is the only loss: l1_weight must be > 0")
            if lr_d is not None or objective is not None:
                raise ValueError("lr_d and objective apply to the discriminator; the L1-only baseline has none")
        elif getattr(discriminator, "conditional", True) is False:
            raise ValueError("pix2pix's discriminator sees the input too: build it conditional, e.g. "
                             "PatchDiscriminator(channels=…, condition_channels=<the input's channels>)")
        self.objective = unconstrained_objective("gan" if objective is None else objective, "pix2pix")
        lr_d = 2e-4 if lr_d is None else lr_d
        self.generator, self.discriminator = generator, discriminator
        self.l1_weight = float(l1_weight)
        self.lr_g, self.lr_d, self.betas, self.optimizer_name = lr_g, lr_d, betas, optimizer
        self.g_opt = make_optimizer(optimizer, generator.parameters(), lr_g, betas)
        self.optimizers = {"generator": self.g_opt}
        if discriminator is not None:
            self.d_opt = make_optimizer(optimizer, discriminator.parameters(), lr_d, betas)
            self.optimizers["discriminator"] = self.d_opt
            self._discriminator_params = list(discriminator.parameters())
        self._generator_params = list(generator.parameters())

    @property
    def adversarial(self) -> bool:
        """True when a discriminator trains alongside (L1 + cGAN), False for the L1-only baseline."""
        return self.discriminator is not None

    def config(self) -> dict:
        return {**super().config(), "l1_weight": self.l1_weight, "optimizer": self.optimizer_name, "lr_g": self.lr_g,
                "betas": self.betas, "generator": model_config(self.generator),
                **({"objective": self.objective.name, "lr_d": self.lr_d,
                    "discriminator": model_config(self.discriminator)} if self.adversarial else {"discriminator": None})}

    # ---- the algorithm ------------------------------------------------------------------------------------
    def train_step(self, batches) -> dict[str, torch.Tensor]:
        """One D update on (x, y) and (x, G(x)), then one G update on L_cGAN + λ·L1."""
        x, y = self.unpack(next(batches))
        self.generator.train()
        fake = self.generator(x)
        stats = {}
        if self.adversarial:
            self.discriminator.train()
            real_out = self.discriminator(y, x)
            fake_out = self.discriminator(fake.detach(), x)
            loss_d = 0.5 * self.objective.discriminator_loss(real_out, fake_out)
            stats = self.objective.monitor(real_out, fake_out)
            stats["grad_norm_d"] = self.descend(self.d_opt, loss_d, self._discriminator_params)
            stats["loss_d"] = loss_d.detach()
        loss_g, parts = self.generator_loss(x, y, fake)
        stats["grad_norm_g"] = self.descend(self.g_opt, loss_g, self._generator_params)
        return {**stats, "loss_g": loss_g.detach(), **parts}

    def generator_loss(self, x: torch.Tensor, y: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, dict]:
        """L_G = L_cGAN(G, D) + λ · L1(G) for translations ``fake`` = G(x) of inputs ``x`` with targets ``y``;
        returns the loss and its parts (detached) for the log."""
        l1 = F.l1_loss(fake, y)
        if not self.adversarial:
            return self.l1_weight * l1, {"l1": l1.detach()}
        with frozen(self._discriminator_params):  # G's step must not train D
            adversarial = self.objective.generator_loss(self.discriminator(fake, x))
        return adversarial + self.l1_weight * l1, {"l1": l1.detach(), "adversarial_g": adversarial.detach()}

    # ---- helpers ------------------------------------------------------------------------------------------
    def unpack(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        """(inputs, targets) on the device, checked."""
        items = self.prepare(batch)
        if len(items) != 2 or items[1] is None:
            raise ValueError("pix2pix trains on pairs: each batch must be (inputs, targets), e.g. from "
                             "gancourse.translation_data.paired(...).batches()")
        x, y = items
        if len(x) != len(y) or y.ndim != 4:
            raise ValueError(f"inputs and targets must be image batches of equal length, "
                             f"got {tuple(x.shape)} and {tuple(y.shape)}")
        return x, y

    @torch.no_grad()
    def translate(self, inputs: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """G(inputs) on the CPU, in eval mode, in batches."""
        return self.apply_in_eval_mode(self.sampler, inputs, batch_size)
