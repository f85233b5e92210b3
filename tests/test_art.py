"""Generative art: CAN's style-ambiguity loss, the two-headed discriminator, the class-entropy measure and the CAN
family."""

import math

import pytest
import torch

from gancourse import art
from gancourse.config import seeded
from gancourse.data import Batches
from gancourse.models import DCGANGenerator, MLPGenerator
from gancourse.training.can import CAN
from gancourse.training.loop import Trainer


def test_ambiguity_loss_is_smallest_for_the_uniform_posterior():
    k = 10
    uniform = art.style_ambiguity_loss(torch.zeros(1, k))
    expected = -(math.log(1 / k) + (k - 1) * math.log(1 - 1 / k))  # K · [(1/K) log(1/K) + (1 − 1/K) log(1 − 1/K)]
    assert uniform.item() == pytest.approx(expected, rel=1e-5)
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        assert art.style_ambiguity_loss(3 * torch.randn(4, k, generator=gen)).item() > uniform.item()
    confident = torch.tensor([[6.0] + [0.0] * (k - 1)], requires_grad=True)
    art.style_ambiguity_loss(confident).backward()
    assert confident.grad[0, 0] > 0 and (confident.grad[0, 1:] < 0).all()  # descent lowers the sure class
    with pytest.raises(ValueError, match="K ≥ 2"):
        art.style_ambiguity_loss(torch.zeros(3))


def test_mean_class_entropy_bounds():
    assert art.mean_class_entropy(torch.zeros(5, 10)) == pytest.approx(math.log(10))
    assert art.mean_class_entropy(torch.tensor([[50.0] + [0.0] * 9])) == pytest.approx(0.0, abs=1e-12)


def test_classifying_discriminator_shapes_and_errors():
    with seeded(0):
        d = art.ClassifyingDiscriminator(num_classes=10, width=8)
    real, classes = d(torch.zeros(3, 1, 28, 28))
    assert real.shape == (3,) and classes.shape == (3, 10)
    with pytest.raises(ValueError, match="28, 28"):
        d(torch.zeros(3, 1, 32, 32))
    with pytest.raises(ValueError, match="num_classes"):
        art.ClassifyingDiscriminator(num_classes=1)


def _data(n=64):
    gen = torch.Generator().manual_seed(0)
    return torch.rand(n, 1, 28, 28, generator=gen) * 2 - 1, torch.randint(10, (n,), generator=gen)


def _can(weight, seed=0):
    with seeded(seed):
        g = DCGANGenerator(latent_dim=16, width=8)
        d = art.ClassifyingDiscriminator(width=8)
    return CAN(g, d, ambiguity_weight=weight, seed=seed)


def test_can_trains_logs_and_the_weight_changes_the_generator():
    images, labels = _data()
    weights = {}
    for weight in (0.0, 1.0):
        family = _can(weight)
        trainer = Trainer(family, device="cpu")
        trainer.fit(Batches(images, labels, 16, seed=0), 3, progress=False)
        assert {"loss_d", "class_loss_d", "realism_g", "ambiguity_g", "d_accuracy"} <= set(trainer.history.keys())
        weights[weight] = torch.cat([p.detach().flatten() for p in family.generator.parameters()])
        assert family.sample(4, seed=1).shape == (4, 1, 28, 28)
    assert not torch.equal(weights[0.0], weights[1.0])
    # the same seed gives the same run
    again = _can(1.0)
    Trainer(again, device="cpu").fit(Batches(images, labels, 16, seed=0), 3, progress=False)
    assert torch.equal(weights[1.0], torch.cat([p.detach().flatten() for p in again.generator.parameters()]))


def test_can_rejects_bad_settings():
    with seeded(0):
        g, d = DCGANGenerator(latent_dim=16, width=8), art.ClassifyingDiscriminator(width=8)
    with pytest.raises(ValueError, match="ambiguity_weight"):
        CAN(g, d, ambiguity_weight=-1)
    with pytest.raises(ValueError, match="classifies"):
        CAN(g, torch.nn.Linear(2, 1))
    family = CAN(g, d)
    with pytest.raises(ValueError, match="labels"):
        family.train_step(iter([(torch.zeros(4, 1, 28, 28), None)]))
    with pytest.raises(ValueError, match="latent_dim"):
        CAN(torch.nn.Linear(2, 2), d)
    assert isinstance(MLPGenerator(8, (1, 28, 28)).latent_dim, int)  # MLP generators qualify too
