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
from gancourse.training.family import Family, make_optimizer, model_config

__all__ = ["Autoencoder", "AutoencoderTraining"]


def encoder_decoder_shapes(input_shape, latent_dim: int, hidden, decoder: nn.Module | None) -> tuple[tuple, nn.Module]:
    """(input shape as a tuple, the decoder): a small MLP generator mirroring ``hidden`` unless one is given,
    checked to make samples of the input's shape (shared by the autoencoder and the VAE)."""
    shape = tuple([input_shape] if isinstance(input_shape, int) else input_shape)
    if decoder is None:
        decoder = MLPGenerator(latent_dim, shape, hidden=tuple(reversed(hidden)))
    if tuple(decoder.output_shape) != shape:
        raise ValueError(f"the decoder makes {tuple(decoder.output_shape)} samples but the inputs are {shape}")
    return shape, decoder


def mlp_encoder(input_shape: tuple, hidden, outputs: int) -> nn.Sequential:
    """Flatten → (Linear → ReLU) per width in ``hidden`` → Linear to ``outputs`` numbers."""
    layers, width = [nn.Flatten()], math.prod(input_shape)
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    return nn.Sequential(*layers, nn.Linear(width, outputs))


class Autoencoder(nn.Module):
    """x → encoder (MLP, ReLU) → code of ``decoder.latent_dim`` numbers → ``decoder`` → x̂.

    ``decoder`` is a generator (it needs ``latent_dim`` and ``output_shape``); by default a small
    :class:`~gancourse.models.MLPGenerator` for ``input_shape``.
    """

    def __init__(self, input_shape, latent_dim: int = 8, hidden=(256,), decoder: nn.Module | None = None):
        super().__init__()
        self.input_shape, self.decoder = encoder_decoder_shapes(input_shape, latent_dim, hidden, decoder)
        self.latent_dim = self.decoder.latent_dim
        self.encoder = mlp_encoder(self.input_shape, hidden, self.latent_dim)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"expected input of shape (N, {', '.join(map(str, self.input_shape))}), got {tuple(x.shape)}")
        return self.encoder(x)

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        return self.decoder(code)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class AutoencoderTraining(Family):
    """The autoencoder as a model family for :class:`~gancourse.training.Trainer` (its bar, history and stops):
    one step = one Adam step on the mean squared reconstruction error of a batch.  Batches may carry
    labels; they are ignored (an autoencoder is unsupervised)."""

    name = "autoencoder"
    model_class = Autoencoder  # what ``model`` must be (VAETraining reuses this family with the VAE)

    def __init__(self, model: nn.Module, *, lr: float = 1e-3, seed: int = 0):
        super().__init__(seed)
        if not isinstance(model, self.model_class):
            raise TypeError(f"model must be a {self.model_class.__module__}.{self.model_class.__name__}, "
                            f"got {type(model).__name__}")
        self.model, self.lr = model, lr
        self.optimizer = make_optimizer("adam", model.parameters(), lr, (0.9, 0.999))  # Adam's usual betas
        self.optimizers = {self.name: self.optimizer}
        self._params = list(model.parameters())

    def train_step(self, batches) -> dict[str, torch.Tensor]:
        x = self.prepare(next(batches))[0]
        loss = F.mse_loss(self.model(x), x)
        return {"loss": loss.detach(), "grad_norm": self.descend(self.optimizer, loss, self._params)}

    def config(self) -> dict:
        return {**super().config(), "lr": self.lr, "model": model_config(self.model)}
