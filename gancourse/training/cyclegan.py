"""CycleGAN (:cite:`zhu2017cyclegan`): unpaired translation between two image domains A and B.

Two generators, G: A → B and F: B → A, and two discriminators, D_B (real B vs G(a)) and D_A (real A vs F(b)).
With no pairs to compare against, the **cycle-consistency loss** ties each image to its translation:
translating there and back must return the original,

    L_cyc = E_a ‖F(G(a)) − a‖₁ + E_b ‖G(F(b)) − b‖₁.

One step, as in the authors' code: G and F together minimise L_GAN(G, D_B) + L_GAN(F, D_A) + λ · L_cyc
(λ = 10), optionally + λ_id · (‖G(b) − b‖₁ + ‖F(a) − a‖₁) (the identity loss); then D_A and D_B each
minimise half their loss on real images and the just-made translations.  The paper uses a least-squares
objective (LSGAN, :cite:`mao2017lsgan`) and a buffer of 50 past translations for D
(:cite:`shrivastava2017simgan`); the course defaults to the BCE objective ``gan`` (``objective="lsgan"`` gives
the paper's) and the newest translations.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.functional import l1_loss

from gancourse.training.family import Family, frozen, model_config
from gancourse.training.objectives import Objective
from gancourse.training.paired import unconstrained_objective


def cycle_consistency_loss(real_a: torch.Tensor, real_b: torch.Tensor, generator_ab: nn.Module,
                           generator_ba: nn.Module) -> torch.Tensor:
    """L_cyc = mean |F(G(a)) − a| + mean |G(F(b)) − b| (G = ``generator_ab``, F = ``generator_ba``)."""
    return l1_loss(generator_ba(generator_ab(real_a)), real_a) + l1_loss(generator_ab(generator_ba(real_b)), real_b)


class CycleGAN(Family):
    """Generators ``generator_ab`` (G: A → B) and ``generator_ba`` (F: B → A), unconditional discriminators
    ``discriminator_a`` and ``discriminator_b`` (e.g. :class:`~gancourse.translation_models.PatchDiscriminator`).
    Batches are ``(a, b)`` with unrelated images, e.g. from :func:`gancourse.translation_data.unpaired`.

    cycle_weight: λ (10 in the paper); identity_weight: λ_id of the identity loss (the paper uses 0.5 λ for
    some tasks; 0 = off); objective: one without a Lipschitz constraint (``gan``, ``gan-saturating``,
    ``hinge``, or an :class:`Objective`); betas default to Adam's (0.5, 0.999), as in the paper.
    """

    name = "cyclegan"

    def __init__(self, generator_ab: nn.Module, generator_ba: nn.Module, discriminator_a: nn.Module,
                 discriminator_b: nn.Module, *, cycle_weight: float = 10.0, identity_weight: float = 0.0,
                 objective: str | Objective = "gan", lr_g: float = 2e-4, lr_d: float = 2e-4,
                 betas: tuple[float, float] | None = None, optimizer: str = "adam", seed: int = 0):
        super().__init__(seed)
        networks = {"generator_ab": generator_ab, "generator_ba": generator_ba,
                    "discriminator_a": discriminator_a, "discriminator_b": discriminator_b}
        for name, network in networks.items():
            if not isinstance(network, nn.Module):
                raise TypeError(f"{name} must be an nn.Module, got {type(network).__name__}")
        if len({id(n) for n in networks.values()}) < 4:
            raise ValueError("CycleGAN needs four separate networks: pass a new module for each generator and discriminator")
        for name in ("discriminator_a", "discriminator_b"):
            if getattr(networks[name], "conditional", False):
                raise ValueError(f"{name} must be unconditional (there are no input–output pairs to condition on): "
                                 "build it with condition_channels=0")
        for name, value in (("cycle_weight", cycle_weight), ("identity_weight", identity_weight)):
            if not (isinstance(value, (int, float)) and value >= 0):
                raise ValueError(f"{name} must be a number ≥ 0, got {value!r}")
        self.objective = unconstrained_objective(objective, "CycleGAN")
        self.generator_ab, self.generator_ba = generator_ab, generator_ba
        self.discriminator_a, self.discriminator_b = discriminator_a, discriminator_b
        self.cycle_weight, self.identity_weight = float(cycle_weight), float(identity_weight)
        # one optimiser per player, each over both of its networks (as in the authors' code)
        self.set_up_optimizers([*generator_ab.parameters(), *generator_ba.parameters()],
                               [*discriminator_a.parameters(), *discriminator_b.parameters()], optimizer=optimizer,
                               lr_g=lr_g, lr_d=lr_d, betas=betas, names=("generators", "discriminators"))

    @property
    def generator(self) -> nn.Module:
        """G: A → B (what samples and snapshots use)."""
        return self.generator_ab

    def config(self) -> dict:
        return {**super().config(), "objective": self.objective.name, "cycle_weight": self.cycle_weight,
                "identity_weight": self.identity_weight, **self.optimizer_config(),
                **{name: model_config(getattr(self, name))
                   for name in ("generator_ab", "generator_ba", "discriminator_a", "discriminator_b")}}

    # ---- the algorithm ------------------------------------------------------------------------------------
    def train_step(self, batches) -> dict[str, torch.Tensor]:
        """One update of both generators (adversarial + λ·cycle [+ λ_id·identity]), then of both discriminators."""
        real_a, real_b = self.unpack(next(batches))
        self.train()
        G, F, D_A, D_B = self.generator_ab, self.generator_ba, self.discriminator_a, self.discriminator_b
        # generators: fool both discriminators, and come back where they started
        fake_b, fake_a = G(real_a), F(real_b)
        with frozen(self._discriminator_params):
            adversarial = self.objective.generator_loss(D_B(fake_b)) + self.objective.generator_loss(D_A(fake_a))
        cycle = l1_loss(F(fake_b), real_a) + l1_loss(G(fake_a), real_b)
        loss_g = adversarial + self.cycle_weight * cycle
        stats = {"adversarial_g": adversarial.detach(), "cycle": cycle.detach()}
        if self.identity_weight:
            identity = l1_loss(G(real_b), real_b) + l1_loss(F(real_a), real_a)
            loss_g = loss_g + self.identity_weight * identity
            stats["identity"] = identity.detach()
        stats["grad_norm_g"] = self.descend(self.g_opt, loss_g, self._generator_params)
        # discriminators: real images of their domain against the translations just made
        real_out_a, fake_out_a = D_A(real_a), D_A(fake_a.detach())
        real_out_b, fake_out_b = D_B(real_b), D_B(fake_b.detach())
        loss_d = 0.5 * (self.objective.discriminator_loss(real_out_a, fake_out_a)
                        + self.objective.discriminator_loss(real_out_b, fake_out_b))
        stats["grad_norm_d"] = self.descend(self.d_opt, loss_d, self._discriminator_params)
        monitor_a = self.objective.monitor(real_out_a, fake_out_a)
        monitor_b = self.objective.monitor(real_out_b, fake_out_b)
        stats.update({f"{k}_a": v for k, v in monitor_a.items()})
        stats.update({f"{k}_b": v for k, v in monitor_b.items()})
        return {**stats, "loss_g": loss_g.detach(), "loss_d": loss_d.detach()}

    # ---- helpers ------------------------------------------------------------------------------------------
    def unpack(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        """(a, b) on the device, checked."""
        items = self.prepare(batch)
        if len(items) != 2 or items[1] is None:
            raise ValueError("CycleGAN trains on two domains: each batch must be (a, b), e.g. from "
                             "gancourse.translation_data.unpaired(...).batches()")
        return items

    @torch.no_grad()
    def translate(self, images: torch.Tensor, direction: str = "ab", batch_size: int = 500) -> torch.Tensor:
        """Images translated A → B (``direction="ab"``, by G) or B → A (``"ba"``, by F), on the CPU, in eval mode."""
        if direction not in ("ab", "ba"):
            raise ValueError(f"direction must be 'ab' (A → B, by G) or 'ba' (B → A, by F), got {direction!r}")
        return self.apply_in_eval_mode(self.generator_ab if direction == "ab" else self.generator_ba, images, batch_size)
