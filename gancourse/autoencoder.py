"""A small MLP autoencoder, to contrast *reconstructing* data with *generating* it (notebook 01).

The decoder is any generator from :mod:`gancourse.models` (an MLP or a DCGAN generator): the very
network a GAN uses.  Only the training signal differs.  An autoencoder trains it to reproduce the input from
the encoder's code (loss ‖x − D(E(x))‖², as on the seed-003 slide), so it learns nothing about codes
the encoder never produces.  A GAN trains it on codes drawn from N(0, I), so every such code is meant
to decode to a plausible sample (:cite:`goodfellow2014gan`).  A VAE (:mod:`gancourse.vae`) closes the gap by making the codes
match a prior (:cite:`kingma2014vae`).
"""

from __future__ import annotations

import math

import torch
from torch import nn
import torch.nn.functional as F

from gancourse.models import MLPGenerator

__all__ = ["Autoencoder", "train_autoencoder"]


class Autoencoder(nn.Module):
    """x → encoder (MLP, ReLU) → code of ``decoder.latent_dim`` numbers → ``decoder`` → x̂.

    ``decoder`` is a generator (it needs ``latent_dim`` and ``output_shape``); by default a small
    :class:`~gancourse.models.MLPGenerator` for ``input_shape``.
    """

    def __init__(self, input_shape, latent_dim: int = 8, hidden=(256,), decoder: nn.Module | None = None):
        super().__init__()
        self.input_shape = tuple([input_shape] if isinstance(input_shape, int) else input_shape)
        if decoder is None:
            decoder = MLPGenerator(latent_dim, self.input_shape, hidden=tuple(reversed(hidden)))
        if tuple(decoder.output_shape) != self.input_shape:
            raise ValueError(f"the decoder makes {tuple(decoder.output_shape)} samples but the inputs are {self.input_shape}")
        self.latent_dim = decoder.latent_dim
        layers, width = [nn.Flatten()], math.prod(self.input_shape)
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.encoder = nn.Sequential(*layers, nn.Linear(width, self.latent_dim))
        self.decoder = decoder

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"expected input of shape (N, {', '.join(map(str, self.input_shape))}), got {tuple(x.shape)}")
        return self.encoder(x)

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        return self.decoder(code)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def train_autoencoder(model: Autoencoder, batches, steps: int, lr: float = 1e-3) -> list[float]:
    """Minimise the mean squared reconstruction error with Adam for ``steps`` batches; returns the losses.

    ``batches`` is an iterable of image tensors or of (images, labels) pairs (labels are ignored:
    an autoencoder is unsupervised).
    """
    if steps < 0:
        raise ValueError(f"steps must be non-negative, got {steps}")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    stream, losses = iter(batches), []
    model.train()
    for _ in range(steps):
        batch = next(stream)
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        loss = F.mse_loss(model(x), x)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses

