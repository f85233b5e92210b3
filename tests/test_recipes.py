"""The course's recipes (gancourse.recipes), discriminator rejection sampling (gancourse.sampling), and the
recipe features of the GAN family: learning-rate schedule and R1."""

import dataclasses

import pytest
import torch

from gancourse import models, toy
from gancourse.recipes import METHODS, recommended_recipe, train_toy2d
from gancourse.sampling import rejection_sample
from gancourse.training import GANTrainer, LRSchedule, WeightAverage, linear_decay


def _toy_pair(seed=0):
    torch.manual_seed(seed)
    return models.MLPGenerator(2, 2, hidden=(16, 16), tanh_output=False), models.MLPDiscriminator(2, hidden=(16, 16))


def test_recommended_recipe_builds_what_its_documentation_promises():
    recipe = recommended_recipe()
    trainer = recipe.build(seed=0)
    family = trainer.family
    assert family.discriminator.minibatch_std and not family.discriminator.config["spectral_norm"]
    assert family.r1_weight == 0.1 and family.r1_every == 4 and family.optimizer_name == "adam-fused"
    assert family.d_opt.defaults["betas"] == (0.0, 0.99) and family.lr_g == family.lr_d == 1e-3
    kinds = {type(c) for c in trainer.callbacks}
    assert {WeightAverage, LRSchedule} <= kinds and trainer.sampler is family.generator_ema
    schedule = next(c for c in trainer.callbacks if isinstance(c, LRSchedule)).multiplier
    assert schedule(recipe.steps // 2 - 1) == 1.0 and schedule(recipe.steps) == 0.0  # decays over the second half
    assert recipe.drs_percentile == 80.0 and set(METHODS) >= {"gan", "wgan-gp", "recommended"}
    raw = {}
    _, samples, seconds = train_toy2d("grid", dataclasses.replace(recipe, steps=4), seed=0, n_samples=20, raw=raw)
    assert samples.shape == (20, 2) and raw["samples"].shape == (20, 2) and seconds > 0 and 0 < raw["acceptance"] <= 1


def test_building_a_recipe_leaves_the_global_random_state_alone():
    state = torch.get_rng_state()
    first = recommended_recipe().build(seed=3)
    assert torch.equal(torch.get_rng_state(), state)
    second = recommended_recipe().build(seed=3)
    assert all(torch.equal(a, b) for a, b in zip(first.generator.parameters(), second.generator.parameters()))


def test_rejection_sampling_prefers_what_the_discriminator_calls_real():
    class Identity(torch.nn.Module):  # G(z) = z
        latent_dim = 2

        def __init__(self):
            super().__init__()
            self.unused = torch.nn.Parameter(torch.zeros(1))

        def forward(self, z):
            return z + 0 * self.unused

    class RightIsReal(torch.nn.Module):  # logit 4·x₀: "real" to the right
        def __init__(self):
            super().__init__()
            self.unused = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):
            return 4 * x[:, 0] + 0 * self.unused

    trainer = GANTrainer(Identity(), RightIsReal(), device="cpu")
    plain = trainer.sample(4000, seed=0)
    kept, acceptance = rejection_sample(trainer, 2000, seed=0, percentile=80, burn_in=2000)
    assert kept.shape == (2000, 2) and 0 < acceptance < 0.8
    assert abs(plain[:, 0].mean()) < 0.1 and kept[:, 0].mean() > 0.5  # shifted towards D's "real" side
    assert abs(kept[:, 1].mean()) < 0.15  # the direction D ignores is untouched


def test_linear_decay_schedule_and_trainer_learning_rates():
    f = linear_decay(100, start=0.5)
    assert [f(0), f(49), f(50), f(75), f(100)] == pytest.approx([1, 1, 1, 0.5, 0])
    g, d = _toy_pair()
    trainer = GANTrainer(g, d, lr_g=1e-3, lr_d=2e-3, lr_schedule=linear_decay(10, start=0.0), device="cpu")
    trainer.fit(toy.ToyStream.from_2d("ring", 32), 5, progress=False)
    # the lr of step 4 (0-based) was set before it: 1 − 4/10 of the base
    assert trainer.g_opt.param_groups[0]["lr"] == pytest.approx(0.6e-3)
    assert trainer.d_opt.param_groups[0]["lr"] == pytest.approx(1.2e-3)
    with pytest.raises(ValueError):
        linear_decay(0)


def test_r1_penalty_changes_training_and_is_logged():
    runs = {}
    for r1 in (0.0, 1.0):
        g, d = _toy_pair()
        trainer = GANTrainer(g, d, device="cpu", seed=0, **({"r1_weight": r1, "r1_every": 2} if r1 else {}))
        history = trainer.fit(toy.ToyStream.from_2d("grid", 32, seed=1), 4, progress=False)
        runs[r1] = [p.detach().clone() for p in d.parameters()]
        if r1:
            assert len(history["r1_penalty"]) == 4 and history["r1_penalty"][0] > 0
            assert history["r1_penalty"][1] == history["r1_penalty"][0]  # lazy: step 1 repeats step 0's value
        else:
            assert "r1_penalty" not in history
    assert not all(torch.equal(a, b) for a, b in zip(runs[0.0], runs[1.0]))
    with pytest.raises(ValueError, match="r1"):
        GANTrainer(*_toy_pair(), r1_weight=-1)
    with pytest.raises(ValueError, match="r1_every applies only"):
        GANTrainer(*_toy_pair(), r1_every=4)
