"""Notebook 10 (pros, cons and stability): the exercise checks both ways, and the notebook's hand-written
historical averaging against the package's inside a GAN run."""

from pathlib import Path

import nbformat
import torch

from gancourse import models, toy
from gancourse.checks import nb10
from gancourse.config import seeded
from gancourse.training import GAN

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "10_pros_cons_stability.ipynb"
TABLE = {"gan": {"modes": 19.0}, "minibatch-std": {"modes": 22.7}, "recommended": {"modes": 23.0},
         "wgan-gp": {"modes": 12.3}}


def _cells():
    return nbformat.read(NOTEBOOK, as_version=4).cells


# ---- Exercise 1: predict the method that covers the most modes ---------------------------------------------------
def test_best_fix_check(capsys):
    assert nb10.check_best_fix_prediction("recommended", TABLE)
    assert nb10.check_best_fix_prediction("minibatch-std", TABLE)          # within 0.5 modes of the top: a tie
    assert not nb10.check_best_fix_prediction("wgan-gp", TABLE)            # "the Wasserstein loss fixes collapse"
    assert "12.3" in capsys.readouterr().out
    assert not nb10.check_best_fix_prediction("dropout", TABLE)
    assert "not one of the compared methods" in capsys.readouterr().out
    assert not nb10.check_best_fix_prediction(..., TABLE)
    assert "not attempted" in capsys.readouterr().out


# ---- Exercise 2: feature matching ----------------------------------------------------------------------------
def test_feature_matching_check_accepts_a_correct_answer():
    assert nb10.check_feature_matching_loss(lambda r, f: ((r.detach().mean(0) - f.mean(0)) ** 2).sum())
    assert nb10.check_feature_matching_loss(lambda r, f: torch.linalg.vector_norm(r.mean(0).detach() - f.mean(0)) ** 2)


def test_feature_matching_check_rejects_typical_mistakes(capsys):
    assert not nb10.check_feature_matching_loss(lambda r, f: (r.detach()[: len(f)] - f).square().mean())
    assert "one by one" in capsys.readouterr().out
    assert not nb10.check_feature_matching_loss(lambda r, f: ((r.mean(0) - f.mean(0)) ** 2).sum())   # no detach
    assert "fixed target" in capsys.readouterr().out
    assert not nb10.check_feature_matching_loss(lambda r, f: ((r.detach().mean(0) - f.mean(0)) ** 2).mean())
    assert "expected" in capsys.readouterr().out
    assert not nb10.check_feature_matching_loss(lambda r, f: ((r.detach().mean(0) - f.mean(0)) ** 2))  # a vector
    assert "0-d tensor" in capsys.readouterr().out

    def crashes(r, f):
        return r @ f

    assert not nb10.check_feature_matching_loss(crashes)
    assert "raised" in capsys.readouterr().out


def test_feature_matching_check_reports_an_unattempted_exercise(capsys):
    def my_loss(real_features, fake_features):
        ...

    assert not nb10.check_feature_matching_loss(my_loss)
    out = capsys.readouterr().out
    assert "not attempted" in out
    assert "distance" not in out and "average" not in out  # a hint about pitfalls, not the formula in words


def test_the_notebook_shows_no_solution():
    code = "\n".join(c.source for c in _cells() if c.cell_type == "code")
    assert "def my_feature_matching_loss(real_features, fake_features):\n    ...\n" in code
    assert "my_best = ...   #" in code
    assert "mean(0)" not in code


# ---- key code: historical averaging ------------------------------------------------------------------------------
def test_notebook_historical_averaging_is_the_packages():
    source = next(c.source for c in _cells() if "def historical_penalty" in c.source)
    namespace = {"torch": torch}
    exec(source.split("with seeded")[0], namespace)  # the two functions only
    with seeded(0):
        g = models.MLPGenerator(2, 2, hidden=(16, 16), tanh_output=False)
        d = models.MLPDiscriminator(2, hidden=(16, 16))
    family = GAN(g, d, historical_weight=0.01, seed=0)
    params = list(family.discriminator.parameters())
    mine = [p.detach().clone() for p in params]
    stream = iter(toy.ToyStream.from_2d("grid", batch_size=32, seed=0))
    for t in range(2, 6):
        family.train_step(stream)
        mine = namespace["update_past_mean"](mine, params, t)
    package_means = [getattr(family.history_d, f"mean{i}") for i in range(len(params))]
    for a, b in zip(mine, package_means):
        assert torch.allclose(a, b, atol=1e-6)
    assert torch.allclose(namespace["historical_penalty"](params, mine), family.history_d.penalty(), rtol=1e-5)
