"""gancourse.vae: shapes, the negative ELBO against a hand computation, training, sampling and bad input."""

import math

import pytest
import torch

from gancourse.models import DCGANGenerator
from gancourse.training import Trainer
from gancourse.vae import VAE, VAETraining


def test_shapes_and_decoder_choice():
    vae = VAE((1, 28, 28), latent_dim=5)
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    mean, log_var = vae.encode(x)
    assert mean.shape == log_var.shape == (3, 5) and vae(x).shape == x.shape
    dc = VAE((1, 28, 28), decoder=DCGANGenerator(16, width=8))
    assert dc.latent_dim == 16 and dc.sample(4, seed=0).shape == (4, 1, 28, 28)


def test_loss_is_the_negative_elbo_computed_by_hand():
    torch.manual_seed(0)
    vae = VAE((1, 8, 8), latent_dim=3, hidden=(16,), pixel_std=0.5)
    x = torch.rand(4, 1, 8, 8) * 2 - 1
    eps = torch.randn(4, 3)
    parts = vae.loss(x, eps)
    mean, log_var = vae.encode(x)
    z = mean + (0.5 * log_var).exp() * eps
    reconstruction = ((vae.decode(z) - x) ** 2).flatten(1).sum(1) / (2 * 0.5 ** 2)
    q = torch.distributions.Normal(mean, (0.5 * log_var).exp())
    kl = torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0)).sum(1)
    assert torch.allclose(parts.reconstruction, reconstruction.mean(), rtol=1e-5)
    assert torch.allclose(parts.kl, kl.mean(), rtol=1e-5)
    assert torch.allclose(parts.total, (reconstruction + kl).mean(), rtol=1e-5)


def test_kl_is_zero_when_the_codes_are_the_prior():
    vae = VAE((4,), latent_dim=2, hidden=(8,))
    with torch.no_grad():
        last = vae.encoder[-1]
        last.weight.zero_()
        last.bias.zero_()  # μ = 0 and log σ² = 0 for every input: q(z|x) = N(0, I)
    assert vae.loss(torch.randn(5, 4), torch.zeros(5, 2)).kl.item() == pytest.approx(0.0, abs=1e-7)


def test_training_lowers_the_loss_and_leaves_the_global_rng_alone():
    torch.manual_seed(0)
    images = torch.rand(32, 1, 8, 8).round() * 2 - 1
    vae = VAE((1, 8, 8), latent_dim=4, hidden=(32,), pixel_std=0.5)
    state = torch.get_rng_state()
    trainer = Trainer(VAETraining(vae, lr=3e-3, seed=1), device="cpu")
    trainer.fit(iter([(images, torch.zeros(32))] * 300), 300, progress=False)
    assert torch.equal(torch.get_rng_state(), state), "the VAE's noise comes from the family's own generator"
    history = {key: [float(v) for v in trainer.history[key]] for key in ("loss", "reconstruction", "kl")}
    assert len(history["loss"]) == 300 and sum(history["loss"][-20:]) < 0.5 * sum(history["loss"][:20])
    assert all(math.isfinite(v) for v in history["kl"]) and min(history["kl"]) >= 0


def test_training_is_reproducible_with_a_seed():
    def run():
        torch.manual_seed(2)
        vae = VAE((1, 8, 8), latent_dim=3, hidden=(16,))
        trainer = Trainer(VAETraining(vae, seed=3), device="cpu")
        trainer.fit(iter([torch.rand(8, 1, 8, 8)] * 5), 5, progress=False)
        return [float(v) for v in trainer.history["loss"]]

    assert run() == run()


def test_sampling_is_seeded_and_keeps_the_mode():
    vae = VAE((1, 28, 28), decoder=DCGANGenerator(8, width=8))
    vae.train()
    a, b = vae.sample(3, seed=4), vae.sample(3, seed=4)
    assert torch.equal(a, b) and a.abs().max() <= 1 and vae.training


def test_bad_input_raises():
    with pytest.raises(ValueError, match="pixel_std"):
        VAE((1, 8, 8), pixel_std=0.0)
    with pytest.raises(ValueError, match="decoder makes"):
        VAE((1, 32, 32), decoder=DCGANGenerator(16, width=8))
    vae = VAE((1, 28, 28), latent_dim=4)
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        vae.encode(torch.zeros(3, 784))
    with pytest.raises(ValueError, match="noise must have shape"):
        vae.loss(torch.zeros(3, 1, 28, 28), torch.zeros(3, 5))
    with pytest.raises(TypeError, match="VAE"):
        VAETraining(torch.nn.Linear(2, 2))
