"""Each loss against its formula written out independently with explicit sigmoid and log."""

import pytest
import torch

from gancourse import losses

torch.manual_seed(0)
REAL = torch.randn(7, dtype=torch.float64) * 2
FAKE = torch.randn(7, dtype=torch.float64) * 2


def test_discriminator_loss_is_minus_v():
    d_real, d_fake = torch.sigmoid(REAL), torch.sigmoid(FAKE)
    expected = -(torch.log(d_real).mean() + torch.log(1 - d_fake).mean())
    assert torch.allclose(losses.discriminator_loss(REAL, FAKE), expected)


def test_discriminator_loss_at_half_is_log4():
    zero = torch.zeros(5, dtype=torch.float64)
    assert losses.discriminator_loss(zero, zero).item() == pytest.approx(torch.log(torch.tensor(4.0)).item())


def test_one_sided_label_smoothing():
    s = 0.1
    d_real, d_fake = torch.sigmoid(REAL), torch.sigmoid(FAKE)
    real_term = -((1 - s) * torch.log(d_real) + s * torch.log(1 - d_real)).mean()
    expected = real_term - torch.log(1 - d_fake).mean()
    assert torch.allclose(losses.discriminator_loss(REAL, FAKE, label_smoothing=s), expected)
    with pytest.raises(ValueError, match="label_smoothing"):
        losses.discriminator_loss(REAL, FAKE, label_smoothing=0.7)


def test_generator_losses():
    d_fake = torch.sigmoid(FAKE)
    assert torch.allclose(losses.generator_loss_saturating(FAKE), torch.log(1 - d_fake).mean())
    assert torch.allclose(losses.generator_loss_nonsaturating(FAKE), -torch.log(d_fake).mean())


def test_saturating_gradient_vanishes_when_d_rejects_fakes():
    # D(G(z)) ≈ 0.0025: the saturating loss barely moves, the non-saturating one pushes hard
    logit = torch.full((1,), -6.0, requires_grad=True)
    (g_sat,) = torch.autograd.grad(losses.generator_loss_saturating(logit), logit)
    (g_ns,) = torch.autograd.grad(losses.generator_loss_nonsaturating(logit), logit)
    assert abs(g_sat.item()) < 0.01 < 0.99 < abs(g_ns.item())


def test_losses_stay_finite_for_extreme_logits():
    extreme = torch.tensor([-200.0, 200.0])
    for value in (losses.discriminator_loss(extreme, extreme), losses.generator_loss_nonsaturating(extreme),
                  losses.generator_loss_saturating(extreme)):
        assert torch.isfinite(value)


def test_wasserstein_and_hinge_losses():
    assert torch.allclose(losses.critic_loss(REAL, FAKE), FAKE.mean() - REAL.mean())
    assert torch.allclose(losses.wasserstein_generator_loss(FAKE), -FAKE.mean())
    hinge = torch.clamp(1 - REAL, min=0).mean() + torch.clamp(1 + FAKE, min=0).mean()
    assert torch.allclose(losses.hinge_discriminator_loss(REAL, FAKE), hinge)
    assert torch.allclose(losses.hinge_generator_loss(FAKE), -FAKE.mean())


def test_gradient_penalty_matches_hand_computation():
    torch.manual_seed(1)
    critic = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
    f = lambda x: critic(x).squeeze(1)
    real, fake = torch.randn(6, 3, dtype=torch.float64), torch.randn(6, 3, dtype=torch.float64)
    gen = torch.Generator().manual_seed(7)
    penalty = losses.gradient_penalty(f, real, fake, generator=gen)
    alpha = torch.rand(6, 1, generator=torch.Generator().manual_seed(7), dtype=torch.float32).double()
    expected = []
    for a, r, q in zip(alpha, real, fake):
        point = (a * r + (1 - a) * q).clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(f(point.unsqueeze(0)).sum(), point)
        expected.append((grad.norm() - 1) ** 2)
    assert penalty.item() == pytest.approx(torch.stack(expected).mean().item(), rel=1e-5)
    penalty.backward()  # the penalty is differentiable with respect to the critic's weights
    assert critic[0].weight.grad is not None


def test_gradient_penalty_zero_for_unit_slope_linear_critic():
    w = torch.tensor([0.6, 0.8])
    f = lambda x: x @ w
    assert losses.gradient_penalty(f, torch.randn(5, 2), torch.randn(5, 2)).item() == pytest.approx(0.0, abs=1e-10)
    with pytest.raises(ValueError, match="same shape"):
        losses.gradient_penalty(f, torch.randn(5, 2), torch.randn(4, 2))
