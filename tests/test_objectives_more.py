"""LSGAN and EBGAN: losses against hand computation, objectives and the energy discriminator in training,
argument errors; and the JS/W1 measurements of :mod:`gancourse.divergences`."""

import math

import numpy as np
import pytest
import torch

from gancourse import divergences, losses, models, toy
from gancourse.config import seeded
from gancourse.training import (GANTrainer, OBJECTIVES, energy_objective, get_objective, least_squares_objective)

REAL = torch.tensor([0.9, 0.2, 1.4, -0.3], dtype=torch.float64)
FAKE = torch.tensor([0.1, -0.6, 0.5, 1.2], dtype=torch.float64)


# ---- losses written out by hand --------------------------------------------------------------------------------
def test_least_squares_losses_by_hand():
    # D: ½·mean((r − 1)²) + ½·mean((f − 0)²)
    real_term = ((0.9 - 1) ** 2 + (0.2 - 1) ** 2 + (1.4 - 1) ** 2 + (-0.3 - 1) ** 2) / 4
    fake_term = (0.1 ** 2 + 0.6 ** 2 + 0.5 ** 2 + 1.2 ** 2) / 4
    assert losses.least_squares_discriminator_loss(REAL, FAKE).item() == pytest.approx(0.5 * (real_term + fake_term))
    # the Pearson-χ² coding a = −1, b = 1 for D and c = 0 for G
    fake_term_m1 = ((0.1 + 1) ** 2 + (-0.6 + 1) ** 2 + (0.5 + 1) ** 2 + (1.2 + 1) ** 2) / 4
    assert losses.least_squares_discriminator_loss(REAL, FAKE, real_target=1.0, fake_target=-1.0).item() == \
        pytest.approx(0.5 * (real_term + fake_term_m1))
    assert losses.least_squares_generator_loss(FAKE).item() == pytest.approx(0.5 * ((0.9 ** 2 + 1.6 ** 2 + 0.5 ** 2 + 0.2 ** 2) / 4))
    assert losses.least_squares_generator_loss(FAKE, target=0.0).item() == pytest.approx(0.5 * fake_term)


def test_least_squares_loss_averages_a_score_map():
    # a PatchGAN-style (N, 1, H, W) map of scores: every entry is one regression target
    scores = torch.full((2, 1, 3, 3), 0.5)
    assert losses.least_squares_discriminator_loss(scores, scores).item() == pytest.approx(0.5 * (0.25 + 0.25))


def test_least_squares_generator_gradient_does_not_vanish_far_on_the_real_side():
    # a fake scored 5 (far beyond the real target 1) is pulled back; the non-saturating BCE loss barely moves a logit of 5
    score = torch.tensor([5.0], requires_grad=True)
    (g_ls,) = torch.autograd.grad(losses.least_squares_generator_loss(score), score)
    (g_bce,) = torch.autograd.grad(losses.generator_loss_nonsaturating(score), score)
    assert g_ls.item() == pytest.approx(4.0) and abs(g_bce.item()) < 0.01


def test_energy_losses_by_hand():
    # scores are negative energies: energies of REAL are −REAL; margin 1
    energy_real, energy_fake = -REAL, -FAKE
    expected = energy_real.mean() + torch.clamp(1.0 - energy_fake, min=0).mean()
    by_hand = (-0.9 - 0.2 - 1.4 + 0.3) / 4 + (max(0, 1 + 0.1) + max(0, 1 - 0.6) + max(0, 1 + 0.5) + max(0, 1 + 1.2)) / 4
    assert losses.energy_discriminator_loss(REAL, FAKE).item() == pytest.approx(by_hand)
    assert torch.allclose(losses.energy_discriminator_loss(REAL, FAKE), expected)
    # fakes whose energy already exceeds the margin cost D nothing
    far = torch.tensor([-3.0, -2.5], dtype=torch.float64)
    assert losses.energy_discriminator_loss(REAL, far, margin=2.0).item() == pytest.approx(energy_real.mean().item())
    assert losses.energy_generator_loss(FAKE).item() == pytest.approx(-FAKE.mean().item())


def test_loss_argument_errors():
    with pytest.raises(ValueError, match="real_target and fake_target must differ"):
        losses.least_squares_discriminator_loss(REAL, FAKE, real_target=0.5, fake_target=0.5)
    with pytest.raises(ValueError, match="margin must be positive"):
        losses.energy_discriminator_loss(REAL, FAKE, margin=0.0)


# ---- objectives ------------------------------------------------------------------------------------------------
def test_lsgan_and_ebgan_objectives_are_registered_with_their_thresholds():
    assert {"lsgan", "ebgan"} <= set(OBJECTIVES)
    lsgan, ebgan = get_objective("lsgan"), get_objective("ebgan")
    assert (lsgan.scores, lsgan.threshold, lsgan.outputs_probabilities, lsgan.estimates_wasserstein) == ("critic", 0.5, False, False)
    assert (ebgan.scores, ebgan.threshold) == ("critic", -0.5)
    assert least_squares_objective(real_target=1.0, fake_target=-1.0, generator_target=0.0).threshold == 0.0
    assert least_squares_objective(real_target=1.0, fake_target=-1.0, generator_target=0.0).name == "lsgan(a=-1, b=1, c=0)"
    assert energy_objective(4.0).threshold == -2.0 and energy_objective(4.0).name == "ebgan(margin=4)"
    # the objective's losses are the package's losses with the stated targets
    assert torch.allclose(lsgan.discriminator_loss(REAL, FAKE), losses.least_squares_discriminator_loss(REAL, FAKE))
    assert torch.allclose(energy_objective(2.0).discriminator_loss(REAL, FAKE),
                          losses.energy_discriminator_loss(REAL, FAKE, margin=2.0))


def test_objective_argument_errors():
    with pytest.raises(ValueError, match="fake_target .* must be below real_target"):
        least_squares_objective(real_target=0.0, fake_target=1.0)
    with pytest.raises(ValueError, match="margin must be positive"):
        energy_objective(-1.0)


def test_accuracy_uses_the_objectives_threshold():
    # LSGAN: the verdict flips at (a + b)/2 = 0.5, not at 0
    real, fake = torch.tensor([0.6, 0.7, 0.4]), torch.tensor([0.3, 0.45, 0.55])
    stats = get_objective("lsgan").monitor(real, fake)
    assert stats["d_accuracy"].item() == pytest.approx(0.5 * (2 / 3 + 2 / 3))
    assert get_objective("hinge").monitor(real, fake)["d_accuracy"].item() == pytest.approx(0.5 * (1 + 0))
    # EBGAN (margin 1): energy 0.2 reads "real", energy 0.8 reads "fake"
    stats = get_objective("ebgan").monitor(torch.tensor([-0.2]), torch.tensor([-0.8]))
    assert stats["d_accuracy"].item() == 1.0 and stats["critic_real"].item() == pytest.approx(-0.2)


# ---- the energy discriminator -----------------------------------------------------------------------------------
def test_energy_discriminator_returns_minus_the_reconstruction_error():
    with seeded(0):
        d = models.EnergyDiscriminator((1, 4, 4), hidden=(8,), code_dim=3)
    x = torch.randn(5, 1, 4, 4)
    recon = d.decoder(d.encoder(x.flatten(1))).view_as(x)
    energy = ((recon - x) ** 2).flatten(1).mean(1)
    assert torch.allclose(d.energy(x), energy) and torch.allclose(d(x), -energy)
    assert d(x).shape == (5,) and (d(x) <= 0).all()
    assert models.from_config(d.config).config == d.config


def test_energy_discriminator_errors():
    d = models.EnergyDiscriminator(2, hidden=(8,), code_dim=1)
    with pytest.raises(ValueError, match="expected input of shape"):
        d(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="unconditional"):
        d(torch.zeros(3, 2), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="code_dim"):
        models.EnergyDiscriminator(2, code_dim=0)


def _generator(seed=0):
    with seeded(seed):
        return models.MLPGenerator(2, 2, hidden=(16, 16), tanh_output=False)


@pytest.mark.parametrize("objective", ["lsgan", "ebgan"])
def test_a_few_training_steps_move_both_networks_and_log_scores(objective):
    g = _generator()
    with seeded(1):
        d = models.EnergyDiscriminator(2, hidden=(16,), code_dim=1) if objective == "ebgan" else \
            models.MLPDiscriminator(2, hidden=(16, 16))
    before = [p.detach().clone() for p in (*g.parameters(), *d.parameters())]
    trainer = GANTrainer(g, d, objective=objective, critic_steps=2, device="cpu", seed=0)
    history = trainer.fit(toy.ToyStream.from_2d("ring", batch_size=32, seed=0), 5, progress=False)
    assert len(history) == 5 and "critic_real" in history and "d_accuracy" in history and "wasserstein" not in history
    assert all(0 <= a <= 1 for a in history["d_accuracy"]) and all(math.isfinite(v) for v in history["loss_d"])
    after = [p.detach() for p in (*g.parameters(), *d.parameters())]
    n_g = len(list(g.parameters()))
    assert max((a - b).abs().max() for a, b in zip(after[:n_g], before[:n_g])) > 0      # G moved
    assert max((a - b).abs().max() for a, b in zip(after[n_g:], before[n_g:])) > 0      # D moved
    if objective == "ebgan":
        assert all(v <= 0 for v in history["critic_real"])  # −energy


def test_ebgan_discriminator_lowers_the_energy_of_real_data():
    g = _generator(2)
    with seeded(3):
        d = models.EnergyDiscriminator(2, hidden=(32,), code_dim=1)
    stream = toy.ToyStream.from_2d("ring", batch_size=64, seed=1)
    real = toy.sample_2d("ring", 256, torch.Generator().manual_seed(9))
    start = d.energy(real).mean().item()
    GANTrainer(g, d, objective="ebgan", lr_d=2e-3, device="cpu").fit(stream, 150, progress=False)
    assert d.energy(real).mean().item() < 0.5 * start


def test_training_arguments_that_do_not_apply_to_lsgan():
    g, d = _generator(), models.MLPDiscriminator(2, hidden=(8,))
    with pytest.raises(ValueError, match="label_smoothing applies to the BCE"):
        GANTrainer(g, d, objective="lsgan", label_smoothing=0.1)
    with pytest.raises(ValueError, match="clip_value applies to weight clipping"):
        GANTrainer(g, d, objective="ebgan", clip_value=0.1)


# ---- JS and W1 on two parallel segments -------------------------------------------------------------------------
def test_js_is_log2_and_w1_is_the_shift_for_disjoint_segments():
    result = divergences.js_and_w1_under_shift([-0.6, -0.2, 0.1, 0.5, 1.0], n=300)
    assert np.allclose(result["js"], math.log(2), atol=1e-12)      # no grid cell holds both clouds
    assert np.allclose(result["w1"], np.abs(result["theta"]), atol=0.02)
    assert result["log2"] == pytest.approx(math.log(2))


def test_js_and_w1_of_one_distribution_are_small():
    a, b = divergences.parallel_segments(0.0, 400, seed=1)
    assert divergences.js_divergence_histogram(a, b) < 0.15
    assert divergences.wasserstein1_samples(a, b) < 0.05
    assert divergences.js_divergence_histogram(a, a) == pytest.approx(0.0, abs=1e-12)
    assert divergences.wasserstein1_samples(a, a) == 0.0


def test_w1_of_point_clouds_by_hand():
    # two points each: the best matching sends (0,0)→(0,1) and (3,0)→(3,1), cost 1 each; crossing would cost more
    a = np.array([[0.0, 0.0], [3.0, 0.0]])
    b = np.array([[3.0, 1.0], [0.0, 1.0]])
    assert divergences.wasserstein1_samples(a, b) == pytest.approx(1.0)


def test_divergence_argument_errors():
    with pytest.raises(ValueError, match="same shape"):
        divergences.wasserstein1_samples(np.zeros((3, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        divergences.js_divergence_histogram(np.zeros((3, 3)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="bin_width"):
        divergences.js_divergence_histogram(np.zeros((3, 2)), np.zeros((3, 2)), bin_width=0)
    with pytest.raises(ValueError, match="at least 2"):
        divergences.parallel_segments(0.5, 1)
