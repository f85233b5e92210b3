"""Notebook 09 (applications): the exercise checks both ways, the notebook's semi-supervised GAN step against the
package's, and the semi-supervised and few-label training code."""

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from gancourse.checks import nb09
from gancourse.config import seeded
from gancourse.data import ImageData
from gancourse.few_labels import RealAndExtra, Supervised, accuracy, balanced_subset
from gancourse.models import MLPGenerator
from gancourse.training import Trainer
from gancourse.training.semi_supervised import (LabelledAndUnlabelled, SemiSupervisedDiscriminator, SemiSupervisedGAN,
                                                real_log_probability, semi_supervised_discriminator_loss)
from notebook_code import notebook_function

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "09_applications.ipynb"


# ---- Exercise 1: log D(x) ---------------------------------------------------------------------------------------
def test_log_real_probability_check_accepts_a_correct_answer(capsys):
    right = lambda logits: torch.logsumexp(logits, 1) - F.softplus(torch.logsumexp(logits, 1))  # noqa: E731
    assert nb09.check_log_real_probability(right)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda l: torch.log(l.exp().sum(1) / (l.exp().sum(1) + 1)), "inf or NaN"),      # right formula, overflows
    (lambda l: torch.zeros(len(l)), "all your values are 0"),                           # forgets the generated class
    (lambda l: torch.log_softmax(l, 1).max(1).values, "off by up to"),                  # the most likely class only
    (lambda l: torch.logsumexp(l, 1), "cannot be positive"),                             # log Z, not log Z/(Z+1)
    (lambda l: F.logsigmoid(l).sum(1), "off by up to"),
])
def test_log_real_probability_check_rejects_typical_mistakes(wrong, message, capsys):
    assert not nb09.check_log_real_probability(wrong)
    assert message in capsys.readouterr().out


def test_log_real_probability_check_not_attempted(capsys):
    def unattempted(logits):
        ...

    assert not nb09.check_log_real_probability(unattempted)
    assert "not attempted" in capsys.readouterr().out


def test_real_log_probability_is_the_k_plus_1_softmax():
    logits = torch.randn(7, 10, generator=torch.Generator().manual_seed(0))
    with_fake = torch.cat([logits, torch.zeros(7, 1)], dim=1)           # the (K+1)-th logit fixed at 0
    p_real = torch.softmax(with_fake, 1)[:, :10].sum(1)
    log_real, log_fake = real_log_probability(logits)
    assert torch.allclose(log_real.exp(), p_real, atol=1e-6)
    assert torch.allclose(log_fake.exp(), 1 - p_real, atol=1e-6)
    big_real, big_fake = real_log_probability(torch.tensor([[200.0, 0.0], [-200.0, -300.0]]))
    assert torch.isfinite(big_real).all() and torch.isfinite(big_fake).all()
    assert big_real[0].abs() < 1e-6 and big_fake[1].abs() < 1e-6


# ---- Exercise 2: the augmentation prediction ---------------------------------------------------------------------
def test_augmentation_check_both_ways(capsys):
    baseline, worse = [0.75, 0.76, 0.74], [0.72, 0.73, 0.72]
    assert nb09.augmentation_verdict(baseline, worse) == "C"
    assert nb09.check_augmentation_prediction("c", baseline, worse)
    assert not nb09.check_augmentation_prediction("A", baseline, worse)   # "more data always helps"
    assert "points" in capsys.readouterr().out
    assert nb09.check_augmentation_prediction("B", baseline, [0.74, 0.75, 0.74])         # −1 point: no clear change
    assert nb09.check_augmentation_prediction("A", baseline, [0.80, 0.79, 0.78])
    assert not nb09.check_augmentation_prediction("D", baseline, worse)
    assert not nb09.check_augmentation_prediction(..., baseline, worse)
    assert "not attempted" in capsys.readouterr().out


# ---- Exercise 5: the detector prediction --------------------------------------------------------------------------
def test_detector_check_measures_the_rate_it_is_given(capsys):
    images = torch.arange(10.0).view(10, 1, 1, 1)
    flags_three = lambda x: x.flatten() < 3        # noqa: E731 — flags 30 %
    assert nb09.check_detector_prediction("C", flags_three, images)
    assert not nb09.check_detector_prediction("A", flags_three, images)  # "a detector is a detector"
    assert "30.0%" in capsys.readouterr().out
    assert nb09.check_detector_prediction("A", lambda x: x.flatten() >= 0, images)
    assert nb09.check_detector_prediction("B", lambda x: x.flatten() < 7, images)
    assert not nb09.check_detector_prediction(..., flags_three, images)
    assert "not attempted" in capsys.readouterr().out


# ---- the notebook's step equals the package's --------------------------------------------------------------------
def _notebook_function(name: str):
    return notebook_function(NOTEBOOK, name, {"torch": torch, "F": F, "real_log_probability": real_log_probability})


def _networks(seed=0):
    with seeded(seed):
        return (MLPGenerator(8, (1, 6, 6), hidden=(32,), batch_norm=True),
                SemiSupervisedDiscriminator((1, 6, 6), num_classes=3, hidden=(24, 16)))


def _copy(generator: torch.Generator) -> torch.Generator:
    copy = torch.Generator()
    copy.set_state(generator.get_state())
    return copy


def test_notebook_sgan_step_equals_the_package():
    sgan_step = _notebook_function("sgan_step")
    gen = torch.Generator().manual_seed(1)
    labelled, labels = torch.rand(6, 1, 6, 6, generator=gen) * 2 - 1, torch.tensor([0, 1, 2, 0, 1, 2])
    unlabelled = torch.rand(12, 1, 6, 6, generator=gen) * 2 - 1
    family = SemiSupervisedGAN(*_networks(), lr_g=1e-3, lr_d=1e-3, seed=5)
    generator, discriminator = _networks()
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=1e-3, betas=(0.5, 0.999))
    g_opt = torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.999))
    for step in range(3):
        noise = _copy(family.rng)
        z_d, z_g = torch.randn(12, 8, generator=noise), torch.randn(12, 8, generator=noise)
        with seeded(100 + step):   # D's Gaussian noise layers draw from the global stream
            stats = family.train_step(iter([(labelled, labels, unlabelled)]))
        with seeded(100 + step):
            loss_d, loss_g = sgan_step(generator, discriminator, d_opt, g_opt, labelled, labels, unlabelled, z_d, z_g)
        assert math.isclose(loss_d, stats["loss_d"].item(), rel_tol=1e-5)
        assert math.isclose(loss_g, stats["loss_g"].item(), rel_tol=1e-4, abs_tol=1e-7)
    start_g, start_d = _networks()
    assert max((a - b).abs().max() for a, b in zip(discriminator.parameters(), start_d.parameters())) > 1e-4
    for a, b in zip([*family.generator.parameters(), *family.discriminator.parameters()],
                    [*generator.parameters(), *discriminator.parameters()]):
        assert torch.allclose(a, b, atol=1e-6, rtol=0)


def test_discriminator_loss_parts():
    logits = torch.tensor([[3.0, -1.0], [0.0, 2.0]])
    supervised, unsupervised = semi_supervised_discriminator_loss(logits, torch.tensor([0, 1]), logits, logits)
    assert math.isclose(supervised.item(), F.cross_entropy(logits, torch.tensor([0, 1])).item(), rel_tol=1e-6)
    log_real, log_fake = real_log_probability(logits)
    assert math.isclose(unsupervised.item(), (-log_real.mean() - log_fake.mean()).item(), rel_tol=1e-6)


# ---- the semi-supervised family and the few-label tools ----------------------------------------------------------
def _toy_classes(n_per_class=40, seed=0):
    """Three classes of 1×6×6 images: a bright row at one of three heights, plus noise."""
    gen = torch.Generator().manual_seed(seed)
    images = -torch.ones(3 * n_per_class, 1, 6, 6) + 0.2 * torch.randn(3 * n_per_class, 1, 6, 6, generator=gen)
    labels = torch.arange(3).repeat_interleave(n_per_class)
    for k in range(3):
        images[labels == k, 0, 2 * k] = 1.0
    return ImageData(images.clamp(-1, 1), labels, "toy", "all", ("top", "middle", "bottom"))


def test_semi_supervised_gan_learns_a_separable_toy_from_three_labels():
    data = _toy_classes()
    labelled, unlabelled = balanced_subset(data, 1, seed=0)
    trainer = Trainer(SemiSupervisedGAN(*_networks(), seed=0))
    trainer.fit(LabelledAndUnlabelled(labelled.images, labelled.labels, unlabelled.images, 30, seed=0), 150,
                progress=False)
    assert {"loss_supervised", "loss_unsupervised", "loss_g"} <= set(trainer.history.keys())
    assert accuracy(trainer.family.classify(unlabelled.images), unlabelled.labels) > 0.9
    assert trainer.family.sample(5, seed=1).shape == (5, 1, 6, 6)


def test_semi_supervised_gan_rejects_bad_input():
    generator, discriminator = _networks()
    with seeded(0):
        conditional = MLPGenerator(8, (1, 6, 6), hidden=(16,), num_classes=3)
    with pytest.raises(ValueError, match="unconditional"):
        SemiSupervisedGAN(conditional, discriminator)
    with pytest.raises(TypeError, match="features"):
        SemiSupervisedGAN(generator, torch.nn.Linear(36, 3))
    family = SemiSupervisedGAN(generator, discriminator)
    with pytest.raises(ValueError, match="LabelledAndUnlabelled"):
        family.train_step(iter([(torch.zeros(4, 1, 6, 6), torch.zeros(4, dtype=torch.long))]))


def test_noise_layers_act_in_training_mode_only():
    _, discriminator = _networks()
    x = torch.zeros(4, 1, 6, 6)
    discriminator.eval()
    assert torch.equal(discriminator(x), discriminator(x))
    discriminator.train()
    assert not torch.equal(discriminator(x), discriminator(x))


def test_balanced_subset():
    data = _toy_classes(10)
    labelled, rest = balanced_subset(data, 4, seed=3)
    assert torch.bincount(labelled.labels).tolist() == [4, 4, 4] and len(rest) == 18
    assert torch.equal(balanced_subset(data, 4, seed=3)[0].images, labelled.images)
    assert not torch.equal(balanced_subset(data, 4, seed=4)[0].images, labelled.images)
    joined = torch.cat([labelled.images, rest.images]).flatten(1)
    assert len(torch.unique(joined, dim=0)) == len(data)                 # disjoint and complete
    with pytest.raises(ValueError, match="fewer than"):
        balanced_subset(data, 11)


def test_supervised_family_with_and_without_extra_data():
    data = _toy_classes(10)
    with seeded(0):
        net = SemiSupervisedDiscriminator((1, 6, 6), num_classes=3, hidden=(16,), input_noise=0.0, hidden_noise=0.0)
    trainer = Trainer(Supervised(net, lr=1e-2, seed=0))
    trainer.fit(RealAndExtra(data.images[:15], data.labels[:15], data.images[15:], data.labels[15:], 10, seed=0), 60,
                progress=False)
    assert accuracy(trainer.family.classify(data.images), data.labels) == 1.0
    batch = next(iter(RealAndExtra(data.images[:15], data.labels[:15], data.images[15:], data.labels[15:], 10)))
    assert len(batch) == 4 and batch[0].shape == (10, 1, 6, 6)
    with pytest.raises(ValueError, match="differ in shape"):
        accuracy(torch.zeros(3), torch.zeros(4))
