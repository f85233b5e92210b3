"""InfoGAN (:cite:`chen2016infogan`): codes in G's input that the discriminator's Q head must recover.

G's input is noise z and a code c — one categorical code with ``categories`` values and ``continuous``
codes ~ U(−1, 1).  The discriminator returns two things: its usual output, and Q's guess of c.  Both
players add λ·L_I, where L_I = cross-entropy of the categorical code + ``continuous_weight`` · squared
error of the continuous ones (a Gaussian log-likelihood with fixed variance, up to constants); lowering
L_I raises a lower bound of the mutual information I(c; G(z, c)), so each code must visibly change the
sample.  The loop is the GAN's (k D steps, one G step): only the two steps differ.
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import nn

from gancourse.training.family import frozen
from gancourse.training.gan import GAN


class InfoGAN(GAN):
    """The discriminator must return ``(score, q)`` with q of shape (N, categories + continuous): the
    categorical code's logits, then the predicted continuous codes.  The generator's ``latent_dim`` counts
    noise and codes; other keywords are the GAN's (objective, learning rates, k, …)."""

    name = "infogan"

    def __init__(self, generator: nn.Module, discriminator: nn.Module, *, categories: int = 10, continuous: int = 2,
                 info_weight: float = 1.0, continuous_weight: float = 0.1, **options):
        super().__init__(generator, discriminator, **options)
        if self.num_classes:
            raise ValueError("InfoGAN learns its own codes: use an unconditional generator (num_classes=None)")
        if categories < 2 or continuous < 0 or info_weight <= 0 or continuous_weight < 0:
            raise ValueError(f"need categories ≥ 2, continuous ≥ 0, info_weight > 0 and continuous_weight ≥ 0, "
                             f"got {categories}, {continuous}, {info_weight}, {continuous_weight}")
        self.noise_dim = self.latent_dim - categories - continuous
        if self.noise_dim < 1:
            raise ValueError(f"the generator's latent_dim ({self.latent_dim}) must exceed the {categories + continuous} "
                             "code dimensions: it holds the noise and the codes")
        self.categories, self.continuous = categories, continuous
        self.info_weight, self.continuous_weight = info_weight, continuous_weight

    def config(self) -> dict:
        return {**super().config(), "categories": self.categories, "continuous": self.continuous,
                "info_weight": self.info_weight, "continuous_weight": self.continuous_weight}

    # ---- the two steps ------------------------------------------------------------------------------------
    def discriminator_step(self, real: torch.Tensor, real_labels: torch.Tensor | None, keep_fake_graph: bool):
        """D learns real vs fake; its Q head learns to read the codes of the fakes."""
        z, codes = self.draw_noise(len(real))
        with contextlib.nullcontext() if keep_fake_graph else torch.no_grad():
            fake = self.generator(z)
        real_out, _ = self.discriminator(real)
        fake_out, q = self.discriminator(fake.detach())
        info = self.information_loss(q, codes)
        loss = self.objective.discriminator_loss(real_out, fake_out) + self.info_weight * info
        stats = self.objective.monitor(real_out, fake_out)
        stats["grad_norm_d"] = self.descend(self.d_opt, loss, self._discriminator_params)
        stats.update(loss_d=loss.detach(), info_d=info.detach())
        return fake, codes, stats

    def generator_step(self, fake: torch.Tensor, codes: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        """G fools D *and* makes its codes readable by Q."""
        with frozen(self._discriminator_params):
            fake_out, q = self.discriminator(fake)
        info = self.information_loss(q, codes)
        loss = self.objective.generator_loss(fake_out) + self.info_weight * info
        grad_norm = self.descend(self.g_opt, loss, self._generator_params)
        return {"loss_g": loss.detach(), "info_g": info.detach(), "grad_norm_g": grad_norm}

    def information_loss(self, q: torch.Tensor, codes: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """L_I: −log Q(c_cat | x) (cross-entropy) + continuous_weight · ‖c_cont − Q's guess‖² (mean)."""
        category, continuous = codes
        if q.shape != (len(category), self.categories + self.continuous):
            raise ValueError(f"the Q head must output (N, {self.categories + self.continuous}) values "
                             f"(categorical logits, then continuous codes), got {tuple(q.shape)}")
        loss = F.cross_entropy(q[:, :self.categories], category)
        if self.continuous:
            loss = loss + self.continuous_weight * F.mse_loss(q[:, self.categories:], continuous)
        return loss

    # ---- inputs -------------------------------------------------------------------------------------------
    def generator_input(self, z: torch.Tensor, category: torch.Tensor, continuous: torch.Tensor) -> torch.Tensor:
        """[z, one-hot(category), continuous] — what G reads."""
        return torch.cat([z, F.one_hot(category, self.categories).to(z.dtype), continuous], dim=1)

    def draw_noise(self, n: int):
        z = self.noise(n, self.noise_dim)
        category = torch.randint(self.categories, (n,), generator=self.rng).to(self.device)
        continuous = (torch.rand(n, self.continuous, generator=self.rng) * 2 - 1).to(self.device)
        return self.generator_input(z, category, continuous), (category, continuous)

    def fixed_inputs(self, count: int) -> tuple[torch.Tensor, None]:
        """Snapshot inputs: fixed noise, categories 0, 1, …, K−1, 0, …, continuous codes 0."""
        z = torch.randn(count, self.noise_dim, generator=torch.Generator().manual_seed(self.seed + 1)).to(self.device)
        category = torch.arange(count, device=self.device) % self.categories
        return self.generator_input(z, category, torch.zeros(count, self.continuous, device=self.device)), None

    @torch.no_grad()
    def sample(self, n: int, category: torch.Tensor | None = None, continuous: torch.Tensor | None = None,
               seed: int | None = None) -> torch.Tensor:
        """``n`` samples on the CPU; categories 0, 1, …, K−1, 0, … and continuous codes 0 unless given."""
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        z = torch.randn(n, self.noise_dim, generator=gen).to(self.device)
        category = (torch.arange(n) % self.categories if category is None else category).to(self.device)
        continuous = (torch.zeros(n, self.continuous) if continuous is None else continuous).to(self.device)
        return self.generate(self.generator_input(z, category, continuous)).cpu().contiguous()
