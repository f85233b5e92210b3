"""The stability tricks (feature matching, historical averaging, instance noise, minibatch discrimination,
unrolled GAN) and the comparison runner of notebook 10."""

import numpy as np
import pytest
import torch

from gancourse import models, stability, toy
from gancourse.config import seeded
from gancourse.training import GAN, Trainer
from gancourse.training.gan import HistoricalAverage, feature_matching_loss
from gancourse.training.unrolled import UnrolledGAN


def _players(seed=0, d_class=models.MLPDiscriminator, **d_options):
    with seeded(seed):
        return (models.MLPGenerator(2, 2, hidden=(16, 16), tanh_output=False),
                d_class(2, hidden=(16, 16), **d_options))


def _stream(seed=0):
    return iter(toy.ToyStream.from_2d("grid", batch_size=32, seed=seed))


def test_discriminator_features_feed_its_output():
    _, d = _players(minibatch_std=True)
    x = torch.randn(8, 2)
    assert torch.equal(d(x), d.out(d.features(x)).squeeze(1))
    assert d.features(x).shape == (8, 16)


def test_minibatch_discrimination_sees_the_batch():
    layer = models.MinibatchDiscrimination(4, kernels=3, kernel_dim=2)
    h = torch.randn(6, 4)
    out = layer(h)
    assert out.shape == (6, 7) and torch.equal(out[:, :4], h)
    assert torch.allclose(layer(h[:1])[:, 4:], torch.zeros(1, 3))          # a batch of one has no neighbours
    collapsed = layer(h[:1].expand(6, 4))[:, 4:]
    assert torch.allclose(collapsed, torch.full((6, 3), 5.0))               # five identical neighbours: exp(0) each
    m = (h @ layer.T).view(6, 3, 2)
    expected = torch.exp(-(m[:, None] - m[None]).abs().sum(-1)).sum(1) - 1
    assert torch.allclose(out[:, 4:], expected, atol=1e-6)
    d = models.MLPMinibatchDiscriminator(2, hidden=(16, 16), kernels=3, kernel_dim=2)
    assert d(torch.randn(5, 2)).shape == (5,) and d.config["kernels"] == 3
    assert models.from_config(d.config).config == d.config


def test_feature_matching_loss_compares_batch_means_and_treats_real_as_a_target():
    real, fake = torch.randn(10, 4, requires_grad=True), torch.randn(7, 4, requires_grad=True)
    loss = feature_matching_loss(real, fake)
    assert torch.allclose(loss, (real.mean(0) - fake.mean(0)).square().sum())
    loss.backward()
    assert real.grad is None and fake.grad is not None


def test_plain_gan_is_unchanged_by_the_new_options():
    g, d = _players()
    family = GAN(g, d, seed=0)
    config = family.config()
    assert not {"feature_matching", "historical_weight", "instance_noise", "instance_noise_steps"} & set(config)
    assert not any(name.startswith("history_") for name, _ in family.named_buffers())


def test_feature_matching_changes_only_the_generator_step():
    plain, matched = GAN(*_players(), seed=0), GAN(*_players(), feature_matching=True, seed=0)
    stats_plain, stats_matched = plain.train_step(_stream()), matched.train_step(_stream())
    assert torch.equal(stats_plain["loss_d"], stats_matched["loss_d"])
    for a, b in zip(plain.discriminator.parameters(), matched.discriminator.parameters()):
        assert torch.equal(a, b)
    assert not all(torch.equal(a, b) for a, b in zip(plain.generator.parameters(), matched.generator.parameters()))
    assert matched.config()["feature_matching"] is True
    with pytest.raises(ValueError, match="features"):
        GAN(models.MLPGenerator(2, 2, hidden=(8,)), models.EnergyDiscriminator(2), feature_matching=True)


def test_historical_average_is_the_mean_of_past_parameters():
    layer = torch.nn.Linear(2, 1)
    params = list(layer.parameters())
    average = HistoricalAverage(params)
    seen = [torch.cat([p.detach().flatten() for p in params])]
    for t in range(3):
        with torch.no_grad():
            for p in params:
                p.add_(1.0 + t)
        average.update()
        seen.append(torch.cat([p.detach().flatten() for p in params]))
    mean = torch.stack(seen).mean(0)
    current = seen[-1]
    assert torch.allclose(torch.cat([average.mean0.flatten(), average.mean1.flatten()]), mean)
    assert torch.allclose(average.penalty(), (current - mean).square().sum())


def test_historical_averaging_adds_its_gradient_from_the_second_step():
    plain, averaged = GAN(*_players(), seed=0), GAN(*_players(), historical_weight=0.5, seed=0)
    stream_a, stream_b = _stream(), _stream()
    plain.train_step(stream_a), averaged.train_step(stream_b)  # θ̄ = θ₀ at the first step: no pull yet
    for a, b in zip(plain.discriminator.parameters(), averaged.discriminator.parameters()):
        assert torch.equal(a, b)
    plain.train_step(stream_a), averaged.train_step(stream_b)
    assert not all(torch.equal(a, b) for a, b in zip(plain.discriminator.parameters(), averaged.discriminator.parameters()))
    assert averaged.config()["historical_weight"] == 0.5
    with pytest.raises(ValueError, match="historical_weight"):
        GAN(*_players(), historical_weight=-1.0)


def test_instance_noise_is_annealed_and_reaches_d():
    family = GAN(*_players(), instance_noise=0.2, instance_noise_steps=10, seed=0)
    assert family.instance_noise_std() == pytest.approx(0.2)
    family.step = 5
    assert family.instance_noise_std() == pytest.approx(0.1)
    family.step = 20
    assert family.instance_noise_std() == 0.0
    plain, noisy = GAN(*_players(), seed=0), GAN(*_players(), instance_noise=0.2, seed=0)
    assert not torch.equal(plain.train_step(_stream())["loss_d"], noisy.train_step(_stream())["loss_d"])
    with pytest.raises(ValueError, match="instance_noise_steps"):
        GAN(*_players(), instance_noise_steps=10)


def test_unrolled_gan_updates_d_as_gan_and_looks_ahead_for_g():
    plain, unrolled = GAN(*_players(), seed=0), UnrolledGAN(*_players(), unroll_steps=3, seed=0)
    plain.train_step(_stream())
    stats = unrolled.train_step(_stream())
    for a, b in zip(plain.discriminator.parameters(), unrolled.discriminator.parameters()):
        assert torch.equal(a, b)  # D's own update is GAN's; the unrolled copies are thrown away
    assert torch.isfinite(stats["grad_norm_g"]) and unrolled.config()["unroll_steps"] == 3


def test_unrolled_generator_gradient_includes_the_look_ahead():
    # second order: G's gradient depends on how D's steps react to G's samples; first order ignores that
    grads = {}
    for second_order in (True, False):
        family = UnrolledGAN(*_players(), unroll_steps=2, unroll_lr=0.5, second_order=second_order, seed=0)
        reals = [torch.randn(16, 2, generator=torch.Generator().manual_seed(i)) for i in range(2)]
        family.unrolled_generator_step(reals)
        grads[second_order] = [p.grad.clone() for p in family.generator.parameters()]
    assert not all(torch.allclose(a, b) for a, b in zip(grads[True], grads[False]))
    # with a vanishing unroll step the look-ahead D is today's D: the loss is GAN's generator loss
    family = UnrolledGAN(*_players(), unroll_steps=1, unroll_lr=1e-12, lr_g=0.0, seed=0)  # G stays put
    rng_state = family.rng.get_state()
    stats = family.unrolled_generator_step([torch.randn(16, 2)])
    family.rng.set_state(rng_state)
    family.noise(16, 2)  # the unrolled step's fakes
    fake = family.generator(family.noise(16, 2))
    assert torch.allclose(stats["loss_g"], family.objective.generator_loss(family.discriminator(fake)), atol=1e-5)
    with pytest.raises(ValueError, match="unroll_steps"):
        UnrolledGAN(*_players(), unroll_steps=0)


def test_every_method_is_registered_with_a_source_and_builds():
    assert {"gan", "spectral-norm", "minibatch-std", "minibatch-discrimination", "unrolled", "ttur", "label-smoothing",
            "feature-matching", "historical-averaging", "instance-noise", "wgan-gp", "r1", "recommended"} == set(stability.METHODS)
    for name, method in stability.METHODS.items():
        assert method.cite
        if method.family is not None:
            assert isinstance(stability.build(name, 0), Trainer)
    with pytest.raises(ValueError, match="unknown method"):
        stability.build("dropout", 0)


def test_one_run_scores_every_budget_as_a_run_of_that_length():
    both = stability.run_method("ttur", 0, [4, 8])
    short = stability.run_method("ttur", 0, [4])
    assert set(both.budgets) == {4, 8} and both.budgets[4] == short.budgets[4]
    np.testing.assert_array_equal(both.samples[4], short.samples[4])
    assert both.samples[8].shape == (stability.N_SAMPLES, 2)
    wgan = stability.run_method("wgan-gp", 0, [10])  # 5 critic steps per G step: 2 G steps
    assert set(wgan.budgets) == {10}


def test_summary_and_ranking():
    r = [stability.Result("a", s, {10: (20 + s, 0.1)}, {}, 1.0) for s in (0, 1, 2)]
    r += [stability.Result("b", s, {10: (25, 0.5 + 0.1 * s)}, {}, 2.0) for s in (0, 1, 2)]
    table = stability.summary(r, 10)
    assert table["a"]["modes"] == 21 and table["a"]["modes_std"] == pytest.approx(1.0)  # sample std, ddof 1
    assert table["b"]["hq"] == pytest.approx(60.0) and table["b"]["min_modes"] == 25
    assert stability.ranking(table) == ["b", "a"]
    assert stability.summary(r[:1], 10)["a"]["modes_std"] == 0.0  # one seed: no spread, not NaN
    with pytest.raises(ValueError, match="budgets"):
        stability.run_method("gan", 0, [])
