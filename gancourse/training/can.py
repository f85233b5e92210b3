"""CAN, the creative adversarial network (:cite:`elgammal2017can`), on digit classes as "styles".

D has two heads (:class:`gancourse.art.ClassifyingDiscriminator`): D_r says real or generated, D_c which
class a real image belongs to.  One step (the paper's Eq. 3, one D update then one G update):

- D: minimise BCE(D_r(x), real) + BCE(D_r(G(z)), fake) + CE(D_c(x), class of x) — it learns the styles
  from the real images only;
- G: minimise −log D_r(G(z)) (non-saturating) + λ · style-ambiguity(D_c(G(z))), the cross-entropy between
  D_c's posterior and the uniform distribution (:func:`gancourse.art.style_ambiguity_loss`).

``ambiguity_weight=0`` keeps the same networks and the same D but rewards G only for realism: the plain
GAN baseline of the comparison.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gancourse import losses
from gancourse.art import style_ambiguity_loss
from gancourse.training.family import Family, frozen, model_config


class CAN(Family):
    """A generator ``G(z)`` and a two-headed discriminator returning ``(real logit, class logits)``.
    Batches are ``(images, labels)`` (e.g. :class:`gancourse.data.Batches`).  Adam(2·10⁻⁴, β = (0.5, 0.999))
    as DCGAN unless given; ambiguity_weight: λ (1 in the paper; 0 = plain GAN with a classifying D)."""

    name = "can"

    def __init__(self, generator: nn.Module, discriminator: nn.Module, *, ambiguity_weight: float = 1.0,
                 lr_g: float = 2e-4, lr_d: float = 2e-4, betas: tuple[float, float] | None = (0.5, 0.999),
                 optimizer: str = "adam", seed: int = 0):
        super().__init__(seed)
        if not isinstance(generator, nn.Module) or not isinstance(discriminator, nn.Module):
            raise TypeError("generator and discriminator must be nn.Modules")
        if not hasattr(generator, "latent_dim"):
            raise ValueError("the generator must say its latent_dim (e.g. gancourse.models.DCGANGenerator)")
        if not isinstance(getattr(discriminator, "num_classes", None), int):
            raise ValueError("CAN's discriminator also classifies: it must have num_classes and return "
                             "(real logit, class logits), e.g. gancourse.art.ClassifyingDiscriminator")
        if not (isinstance(ambiguity_weight, (int, float)) and ambiguity_weight >= 0):
            raise ValueError(f"ambiguity_weight (λ) must be a number ≥ 0, got {ambiguity_weight!r}")
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim, self.num_classes = generator.latent_dim, discriminator.num_classes
        self.ambiguity_weight = float(ambiguity_weight)
        self.set_up_optimizers(generator.parameters(), discriminator.parameters(), optimizer=optimizer, lr_g=lr_g,
                               lr_d=lr_d, betas=betas)

    def config(self) -> dict:
        return {**super().config(), "ambiguity_weight": self.ambiguity_weight, **self.optimizer_config(),
                "generator": model_config(self.generator), "discriminator": model_config(self.discriminator)}

    def train_step(self, batches) -> dict[str, torch.Tensor]:
        """One D update (real/fake + class of the real images), then one G update (realism + λ · ambiguity)."""
        real, labels = self.unpack(next(batches))
        z = self.noise(len(real), self.latent_dim)
        self.generator.train()
        self.discriminator.train()
        fake = self.generator(z)
        real_out, real_classes = self.discriminator(real)
        fake_out, _ = self.discriminator(fake.detach())
        class_loss = F.cross_entropy(real_classes, labels)
        loss_d = losses.discriminator_loss(real_out, fake_out) + class_loss
        stats = {"grad_norm_d": self.descend(self.d_opt, loss_d, self._discriminator_params), "loss_d": loss_d.detach(),
                 "class_loss_d": class_loss.detach(),
                 "d_accuracy": 0.5 * ((real_out > 0).float().mean() + (fake_out < 0).float().mean()).detach()}
        with frozen(self._discriminator_params):  # G's step must not train D
            fake_out, fake_classes = self.discriminator(fake)
            realism = losses.generator_loss_nonsaturating(fake_out)
            ambiguity = style_ambiguity_loss(fake_classes)
        loss_g = realism + self.ambiguity_weight * ambiguity
        stats["grad_norm_g"] = self.descend(self.g_opt, loss_g, self._generator_params)
        return {**stats, "loss_g": loss_g.detach(), "realism_g": realism.detach(), "ambiguity_g": ambiguity.detach()}

    def unpack(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        items = self.prepare(batch)
        if len(items) != 2 or items[1] is None:
            raise ValueError("CAN's discriminator learns the classes of the real images: each batch must be "
                             "(images, labels), e.g. gancourse.data.Batches.from_data(data)")
        return items

    def fixed_inputs(self, count: int) -> tuple[torch.Tensor]:
        return (torch.randn(count, self.latent_dim, generator=torch.Generator().manual_seed(self.seed + 1)).to(self.device),)

    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        """n samples on the CPU (eval mode), from noise of ``seed`` (or the family's stream)."""
        gen = self.rng if seed is None else torch.Generator().manual_seed(seed)
        z = torch.randn(n, self.latent_dim, generator=gen).to(self.device)
        return self.generate(z).cpu()
