"""Unrolled GAN (:cite:`metz2017unrolled`): the generator is trained against where D *will be* after K more
of its own steps, not against D as it is now.

Plain training lets G jump to whichever mode D currently rates best; D then follows, and the two chase
each other around the modes (mode hopping, collapse).  Unrolling makes G's loss
L_G(θ_G, θ_D^K(θ_G)), where θ_D^K comes from K gradient steps of D that start from today's D and see
G's samples.  Back-propagating through those K steps (``second_order=True``, as in the paper) tells G that
crowding onto one mode will be punished by D's next steps.  D itself is updated exactly as in
:class:`~gancourse.training.gan.GAN`; the unrolled copies are thrown away.

The paper differentiates through D's Adam updates; here the unrolled steps are plain gradient steps with
their own learning rate ``unroll_lr`` (simpler, and the same idea).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call

from gancourse.training.gan import GAN


class UnrolledGAN(GAN):
    """A :class:`GAN` whose generator step looks ``unroll_steps`` (K) discriminator steps ahead.

    Every other argument is :class:`GAN`'s; the unrolled steps use the objective's discriminator loss only
    (no penalties), each on a fresh real batch and fresh fakes.
    """

    name = "unrolled-gan"

    def __init__(self, generator: nn.Module, discriminator: nn.Module, *, unroll_steps: int = 5,
                 unroll_lr: float = 0.01, second_order: bool = True, **kwargs):
        for trick in ("feature_matching", "historical_weight", "instance_noise"):
            if kwargs.get(trick):
                raise ValueError(f"{trick} is not combined with unrolling here: use GAN for it")
        super().__init__(generator, discriminator, **kwargs)
        if not (isinstance(unroll_steps, int) and unroll_steps >= 1) or not unroll_lr > 0:
            raise ValueError(f"unroll_steps must be an integer ≥ 1 and unroll_lr > 0, got {unroll_steps!r} and {unroll_lr}")
        if self.num_classes:
            raise ValueError("UnrolledGAN is unconditional: build the models without num_classes")
        self.unroll_steps, self.unroll_lr, self.second_order = unroll_steps, unroll_lr, second_order

    def config(self) -> dict:
        return {**super().config(), "unroll_steps": self.unroll_steps, "unroll_lr": self.unroll_lr,
                "second_order": self.second_order}

    def train_step(self, batches) -> dict[str, torch.Tensor]:
        """k discriminator steps as in :class:`GAN`, then G's step through K unrolled D steps."""
        self.generator.train()
        self.discriminator.train()
        for _ in range(self.critic_steps):
            real, _labels = self.unpack(next(batches))
            _, _, d_stats = self.discriminator_step(real, None, keep_fake_graph=False)
        reals = [self.unpack(next(batches))[0] for _ in range(self.unroll_steps)]
        return {**d_stats, **self.unrolled_generator_step(reals)}

    def unrolled_discriminator(self, reals: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        """θ_D^K: K gradient steps of D from its current weights, each on one real batch of ``reals`` and
        fresh fakes; with ``second_order`` the result stays differentiable with respect to G's weights."""
        params = {name: p.detach().requires_grad_(True) for name, p in self.discriminator.named_parameters()}
        for real in reals:
            fake = self.generator(self.noise(len(real), self.latent_dim))
            if not self.second_order:
                fake = fake.detach()
            loss = self.objective.discriminator_loss(functional_call(self.discriminator, params, (real,)),
                                                     functional_call(self.discriminator, params, (fake,)))
            grads = torch.autograd.grad(loss, list(params.values()), create_graph=self.second_order)
            params = {name: p - self.unroll_lr * g for (name, p), g in zip(params.items(), grads)}
        return params

    def unrolled_generator_step(self, reals: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        """G's loss on fresh fakes, judged by the unrolled D; one update of G (D's own weights untouched)."""
        params = self.unrolled_discriminator(reals)
        fake = self.generator(self.noise(len(reals[0]), self.latent_dim))
        loss = self.objective.generator_loss(functional_call(self.discriminator, params, (fake,)))
        return {"loss_g": loss.detach(), "grad_norm_g": self.descend(self.g_opt, loss, self._generator_params)}
