"""Notebook 07 (WGAN and other objectives): the exercise checks both ways, and the notebook's hand-written
WGAN critic step against the package's."""

import math
from pathlib import Path

import pytest
import torch
from torch import nn

from gancourse import models
from gancourse.checks import nb07
from gancourse.config import seeded
from gancourse.training import GAN
from notebook_code import notebook_function

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "07_wgan.ipynb"


# ---- Exercise 1: JS and W1 -----------------------------------------------------------------------------------
def test_js_w1_check(capsys):
    assert nb07.check_js_w1_prediction(math.log(2), 0.5)
    assert not nb07.check_js_w1_prediction(0.5, 0.5)              # "JS grows with the distance too"
    assert "disjoint supports" in capsys.readouterr().out
    assert not nb07.check_js_w1_prediction(0.0, 0.5)              # "no overlap, nothing in common: 0"
    assert not nb07.check_js_w1_prediction(math.log(2), math.log(2))  # W1 saturates like JS
    assert "transport cost" in capsys.readouterr().out
    assert not nb07.check_js_w1_prediction(..., 0.5)
    assert "not attempted" in capsys.readouterr().out


def test_js_w1_are_measured_from_samples():
    js, w1 = nb07.measured_js_w1(0.3)
    assert js == pytest.approx(math.log(2), abs=1e-9) and w1 == pytest.approx(0.3, abs=0.02)


# ---- Exercise 2: the gradient penalty -------------------------------------------------------------------------
def _mixed_gradients(critic, real, fake, alpha, create_graph=True):
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grads,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=create_graph)
    return grads.flatten(1)


def reference_penalty(critic, real, fake, alpha):
    return ((_mixed_gradients(critic, real, fake, alpha).norm(dim=1) - 1) ** 2).mean()


def test_gradient_penalty_check_accepts_a_correct_answer():
    assert nb07.check_gradient_penalty(reference_penalty)


@pytest.mark.parametrize("wrong, message", [
    (lambda c, r, f, a: (torch.relu(_mixed_gradients(c, r, f, a).norm(dim=1) - 1) ** 2).mean(), "one-sided"),
    (lambda c, r, f, a: ((_mixed_gradients(c, r, f, a).square().sum(1) - 1) ** 2).mean(), "squared norm"),
    (lambda c, r, f, a: ((_mixed_gradients(c, r, f, a).norm() - 1) ** 2), "one norm over the whole batch"),
    (lambda c, r, f, a: reference_penalty(c, f, r, a), "swapped"),
    (lambda c, r, f, a: ((_mixed_gradients(c, r, f, a, create_graph=False).norm(dim=1) - 1) ** 2).mean(), "create_graph"),
    (lambda c, r, f, a: (_mixed_gradients(c, r, f, a).norm(dim=1) - 1) ** 2, "0-d tensor"),
])
def test_gradient_penalty_check_rejects_typical_mistakes(wrong, message, capsys):
    assert not nb07.check_gradient_penalty(wrong)
    assert message in capsys.readouterr().out


def test_gradient_penalty_check_unattempted_and_crashing(capsys):
    def unattempted(critic, real, fake, alpha):
        ...

    assert not nb07.check_gradient_penalty(unattempted)
    assert "not attempted" in capsys.readouterr().out
    assert not nb07.check_gradient_penalty(lambda c, r, f, a: c(r + f[:1, :1]))   # crashes or wrong: reported, not raised
    assert "❌" in capsys.readouterr().out


def test_the_checks_critics_have_gradient_norms_on_both_sides_of_one():
    # otherwise the one-sided penalty would equal the two-sided one and the check could not tell them apart
    for critic, shape in nb07._critics():
        norms = nb07._gradients(critic, torch.randn(64, *shape, generator=torch.Generator().manual_seed(0))).norm(dim=1)
        if shape == (2,):
            assert norms.min() < 1 < norms.max()


# ---- Exercise 3: weights at the clipping bound ---------------------------------------------------------------
def _critic_with_share(share, clip=0.01, n=1000):
    layer = nn.Linear(n, 1, bias=False)
    with torch.no_grad():
        layer.weight.fill_(clip / 2)
        layer.weight[0, : int(share * n)] = clip
    return layer


@pytest.mark.parametrize("share, right, wrong", [(0.05, "A", "C"), (0.3, "B", "A"), (0.8, "C", "B")])
def test_clip_check(share, right, wrong, capsys):
    critic = _critic_with_share(share)
    assert nb07.fraction_at_bound(critic, 0.01) == pytest.approx(share)
    assert nb07.check_clip_prediction(right, critic, 0.01)
    assert nb07.check_clip_prediction(right.lower(), critic, 0.01)
    assert not nb07.check_clip_prediction(wrong, critic, 0.01)
    assert f"{100 * share:.1f} %" in capsys.readouterr().out
    assert not nb07.check_clip_prediction("D", critic, 0.01)
    assert not nb07.check_clip_prediction(..., critic, 0.01)
    assert "not attempted" in capsys.readouterr().out


def test_fraction_at_bound_needs_a_positive_clip():
    with pytest.raises(ValueError, match="clip_value"):
        nb07.fraction_at_bound(_critic_with_share(0.1), 0.0)


def test_checks_leave_the_global_random_state_alone(capsys):
    critic = _critic_with_share(0.05)  # built first: its init draws from the global stream
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    nb07.check_js_w1_prediction(math.log(2), 0.5)
    nb07.check_gradient_penalty(reference_penalty)
    nb07.check_clip_prediction("A", critic, 0.01)
    assert torch.equal(torch.rand(3), expected)


# ---- the notebook's WGAN critic step equals the package's ------------------------------------------------------
def _notebook_function(name: str):
    return notebook_function(NOTEBOOK, name, {"torch": torch})


def _pair(seed):
    with seeded(seed):
        return (models.MLPGenerator(8, (1, 8, 8), hidden=(32,)), models.MLPDiscriminator((1, 8, 8), hidden=(32, 16)))


def test_notebook_wgan_critic_step_equals_the_package():
    critic_step = _notebook_function("wgan_critic_step")
    real = torch.randn(16, 1, 8, 8, generator=torch.Generator().manual_seed(1)).clamp(-1, 1)
    family = GAN(*_pair(0), objective="wgan", optimizer="rmsprop", lr_g=5e-5, lr_d=5e-5, seed=3)
    generator, critic = _pair(0)
    optimizer = torch.optim.RMSprop(critic.parameters(), lr=5e-5)
    estimates = []
    for _ in range(3):  # three steps: the RMSprop state and the clipping carry over
        z = torch.randn(16, 8, generator=_copy(family.rng))      # the noise the family is about to draw
        _, _, stats = family.discriminator_step(real, None, keep_fake_graph=False)
        estimates.append((critic_step(generator, critic, optimizer, real, z), stats["loss_d"].item()))
    start = _pair(0)[1]
    assert max((a - b).abs().max() for a, b in zip(critic.parameters(), start.parameters())) > 1e-3  # it moved
    for a, b in zip(family.discriminator.parameters(), critic.parameters()):
        assert torch.allclose(a, b, atol=1e-7, rtol=0)
        assert a.abs().max() <= 0.01
    # the notebook returns the W1 estimate, the package logs the loss: its negation
    assert all(math.isclose(w, -loss, rel_tol=1e-5, abs_tol=1e-7) for w, loss in estimates)


def _copy(generator: torch.Generator) -> torch.Generator:
    copy = torch.Generator()
    copy.set_state(generator.get_state())
    return copy
