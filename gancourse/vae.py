"""A small variational autoencoder (VAE), to set beside the autoencoder and the GAN (notebook 01).

The VAE of :cite:`kingma2014vae` has the same two parts as :class:`~gancourse.autoencoder.Autoencoder` —
an MLP encoder and any generator from :mod:`gancourse.models` as the decoder — but its encoder outputs a
*distribution* q(z | x) = N(μ(x), diag σ²(x)) instead of one code.  Training maximises a lower bound on
log p(x) (the ELBO), i.e. minimises, per image,

    ‖x − decode(z)‖² / (2 s²)  +  KL(q(z | x) ‖ N(0, I)),    z = μ(x) + σ(x)·ε,  ε ~ N(0, I)

where s (``pixel_std``) is the assumed standard deviation of the pixel noise of the decoder's Gaussian
likelihood (constant terms dropped).  The KL term pulls every image's codes towards the N(0, I) prior,
so that decoding z ~ N(0, I) — which the plain autoencoder cannot do — gives images like the data.
A smaller ``pixel_std`` weights reconstruction more (sharper images, codes further from the prior).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from gancourse.autoencoder import AutoencoderTraining, encoder_decoder_shapes, mlp_encoder
from gancourse.models import eval_mode

__all__ = ["VAE", "VAELoss", "VAETraining"]


class VAELoss(NamedTuple):
    """The negative ELBO per image (``total``) and its two parts, averaged over a batch."""

    total: torch.Tensor
    reconstruction: torch.Tensor   # ‖x − x̂‖² / (2 s²), summed over pixels
    kl: torch.Tensor               # KL(q(z|x) ‖ N(0, I)) in nats, summed over code dimensions


class VAE(nn.Module):
    """x → MLP encoder → (μ, log σ²) of ``decoder.latent_dim`` numbers each → z = μ + σ·ε → ``decoder`` → x̂.

    ``decoder`` is a generator (it needs ``latent_dim`` and ``output_shape``); by default a small
    :class:`~gancourse.models.MLPGenerator`.  ``pixel_std`` is the likelihood's pixel noise s (> 0).
    """

    def __init__(self, input_shape, latent_dim: int = 8, hidden=(256,), decoder: nn.Module | None = None,
                 pixel_std: float = 0.7):
        super().__init__()
        if not pixel_std > 0:
            raise ValueError(f"pixel_std must be positive, got {pixel_std}")
        self.input_shape, self.decoder = encoder_decoder_shapes(input_shape, latent_dim, hidden, decoder)
        self.latent_dim = self.decoder.latent_dim
        self.pixel_std = float(pixel_std)
        self.encoder = mlp_encoder(self.input_shape, hidden, 2 * self.latent_dim)  # μ and log σ²

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(μ, log σ²) of q(z | x), each (N, latent_dim)."""
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"expected input of shape (N, {', '.join(map(str, self.input_shape))}), got {tuple(x.shape)}")
        mean, log_var = self.encoder(x).chunk(2, dim=1)
        return mean, log_var.clamp(-12.0, 8.0)  # keeps exp(log σ²) finite early in training

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        return self.decoder(code)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The reconstruction of x from the mean code μ(x) (no sampling)."""
        return self.decode(self.encode(x)[0])

    def loss(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> VAELoss:
        """The negative ELBO of a batch, with ε = ``noise`` (drawn from the global generator if None)."""
        mean, log_var = self.encode(x)
        eps = torch.randn_like(mean) if noise is None else noise
        if eps.shape != mean.shape:
            raise ValueError(f"noise must have shape {tuple(mean.shape)}, got {tuple(eps.shape)}")
        z = mean + torch.exp(0.5 * log_var) * eps            # the reparameterisation trick
        squared_error = (self.decode(z) - x).flatten(1).square().sum(1)
        reconstruction = squared_error / (2 * self.pixel_std ** 2)
        kl = 0.5 * (mean.square() + log_var.exp() - 1 - log_var).sum(1)
        return VAELoss((reconstruction + kl).mean(), reconstruction.mean(), kl.mean())

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        """Decode ``n`` codes z ~ N(0, I) (a seeded private generator when ``seed`` is given)."""
        device = next(self.parameters()).device
        gen = None if seed is None else torch.Generator().manual_seed(seed)
        with eval_mode(self):
            return self.decode(torch.randn(n, self.latent_dim, generator=gen).to(device))


class VAETraining(AutoencoderTraining):
    """The VAE as a model family for :class:`~gancourse.training.Trainer` (its bar, history and stops): one
    step = one Adam step on the negative ELBO of a batch, logged with its two parts.  The reparameterisation
    noise ε comes from the family's own seeded stream, so the global RNG is left alone.  Labels in a batch are
    ignored."""

    name = "vae"
    model_class = VAE

    def train_step(self, batches) -> dict[str, torch.Tensor]:
        x = self.prepare(next(batches))[0]
        parts = self.model.loss(x, self.noise(len(x), self.model.latent_dim))
        grad_norm = self.descend(self.optimizer, parts.total, self._params)
        return {"loss": parts.total.detach(), "reconstruction": parts.reconstruction.detach(),
                "kl": parts.kl.detach(), "grad_norm": grad_norm}
