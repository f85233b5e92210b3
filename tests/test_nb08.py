"""Notebook 08 (evaluating GANs): the notebook's few-line IS / FID / KID / precision equal the package's, the
exercise checks work both ways, the perceptual distance and its LPIPS fallback, and the quiz widget."""

from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch

from gancourse import metrics, perceptual, quiz
from gancourse.checks import nb08
from gancourse.classifier import MNISTClassifier
from gancourse.config import seeded
from notebook_code import notebook_function

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "08_evaluating_gans.ipynb"


def _notebook_function(name: str):
    return notebook_function(NOTEBOOK, name, {"np": np, "torch": torch, "scipy": scipy}, definition_only=True)


def _features(seed, n=400, d=16, shift=0.0):
    gen = torch.Generator().manual_seed(seed)
    return (torch.relu(torch.randn(n, d, generator=gen) + shift) * 2).double().numpy()


def _probs(seed, n=300, c=10, sharpness=3.0):
    logits = sharpness * torch.randn(n, c, generator=torch.Generator().manual_seed(seed))
    return torch.softmax(logits.double(), dim=1).numpy()


# ---- the notebook's few-line versions equal the package's ----------------------------------------------------
def test_notebook_inception_score_equals_the_package():
    by_hand = _notebook_function("inception_score_few_lines")
    for seed, sharpness in ((0, 0.5), (1, 3.0), (2, 8.0)):
        p = _probs(seed, sharpness=sharpness)
        assert by_hand(p) == pytest.approx(metrics.inception_score(p), rel=1e-6)


def test_notebook_fid_equals_the_package():
    by_hand = _notebook_function("fid_few_lines")
    a, b = _features(0), _features(1, shift=0.4)
    assert by_hand(a, b) == pytest.approx(metrics.fid_from_features(a, b), rel=1e-6)
    # with always-zero features (dead ReLUs, as in the classifier) the covariances are singular: still equal
    a[:, :3] = b[:, :3] = 0
    assert by_hand(a, b) == pytest.approx(metrics.fid_from_features(a, b), rel=1e-4)


def test_notebook_kid_equals_the_package():
    by_hand = _notebook_function("kid_few_lines")
    a, b = _features(2, n=300), _features(3, n=250, shift=0.2)
    assert by_hand(a, b) == pytest.approx(metrics.kernel_inception_distance(a, b), rel=1e-9)


def test_notebook_precision_equals_the_package():
    by_hand = _notebook_function("precision_few_lines")
    real, fake = _features(4), _features(5, n=300, shift=0.5)
    assert by_hand(torch.as_tensor(real), torch.as_tensor(fake)) == pytest.approx(
        metrics.precision_recall(real, fake).precision, abs=1e-12)


# ---- Exercise 1 ------------------------------------------------------------------------------------------------
def test_fid_halving_check(capsys):
    a, b = _features(6, n=600, d=24), _features(7, n=600, d=24)
    full, half = nb08.fid_at(a, b, 600), nb08.fid_at(a, b, 300)
    assert half > 1.5 * full                       # the bias the exercise is about
    assert nb08.check_fid_halving(half * 1.1, a, b, 600)
    assert not nb08.check_fid_halving(full, a, b, 600)          # "FID does not depend on n"
    assert "biased upwards" in capsys.readouterr().out
    assert not nb08.check_fid_halving(full / 2, a, b, 600)      # "fewer samples, smaller distance"
    assert "other way" in capsys.readouterr().out
    assert not nb08.check_fid_halving(..., a, b, 600)
    assert "not attempted" in capsys.readouterr().out


# ---- Exercise 2 ------------------------------------------------------------------------------------------------
def _generator_features():
    """Real points and three generated sets: varied ("good"), 10 points repeated 30 times ("collapsed"), and a set
    crowded near the middle of the data ("blurry": inside the real balls, its own balls small)."""
    gen = torch.Generator().manual_seed(8)
    real = torch.randn(300, 5, generator=gen).double().numpy()
    good = torch.randn(300, 5, generator=gen).double().numpy()
    collapsed = np.repeat(torch.randn(10, 5, generator=gen).double().numpy(), 30, axis=0)
    blurry = 0.25 * torch.randn(300, 5, generator=gen).double().numpy()
    return real, {"good": good, "collapsed": collapsed, "blurry": blurry}


def test_recall_prediction_check(capsys):
    real, feats = _generator_features()
    measured = {name: metrics.precision_recall(real, f).recall for name, f in feats.items()}
    assert measured["collapsed"] == 0.0 and measured["blurry"] < 0.1 < 0.5 < measured["good"]   # what the exercise is about
    assert metrics.precision_recall(real, feats["blurry"]).precision > 0.9
    assert nb08.check_recall_prediction({"collapsed": 0.0, "blurry": measured["blurry"] + 0.05}, real, feats)
    out = capsys.readouterr().out
    assert "correct" in out and "Measured recall" in out and "radius 0" in out
    # "all ten classes are there, so recall is high" and "blurring keeps the variety, so recall stays"
    assert not nb08.check_recall_prediction({"collapsed": 0.8, "blurry": measured["good"]}, real, feats)
    out = capsys.readouterr().out
    assert "radius 0" in out and "Blurry:" in out and f"{measured['good']:.3f}" in out
    # right about the collapse, wrong about the blur: only the blur is explained
    assert not nb08.check_recall_prediction({"collapsed": 0.05, "blurry": 0.7}, real, feats)
    out = capsys.readouterr().out
    assert "Blurry:" in out and "Collapsed:" not in out
    assert not nb08.check_recall_prediction({"collapsed": 0.0, "blurry": 30}, real, feats)
    assert "between 0 and 1" in capsys.readouterr().out
    assert not nb08.check_recall_prediction(0.1, real, feats)
    assert "answer with a dict" in capsys.readouterr().out
    assert not nb08.check_recall_prediction({"collapsed": ..., "blurry": ...}, real, feats)
    out = capsys.readouterr().out
    assert "not attempted" in out and "radius 0" not in out and "0.000" not in out


# ---- Exercise 3 ------------------------------------------------------------------------------------------------
def test_lowest_fid_check(capsys):
    fids = {"good": 30.0, "collapsed": 80.0, "blurry": 60.0, "memorising": 3.0}
    assert nb08.check_lowest_fid("memorising", fids)
    assert nb08.check_lowest_fid(" Memorising ", fids)
    assert not nb08.check_lowest_fid("good", fids)
    assert "knows nothing of where the images came from" in capsys.readouterr().out
    assert not nb08.check_lowest_fid("best", fids)
    assert "answer with one of" in capsys.readouterr().out
    assert not nb08.check_lowest_fid(..., fids)
    assert "not attempted" in capsys.readouterr().out


# ---- perceptual distance -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def classifier():
    with seeded(0):
        return MNISTClassifier().eval()


def test_classifier_perceptual_distance_properties(classifier):
    metric = perceptual.ClassifierPerceptual(classifier)
    gen = torch.Generator().manual_seed(0)
    a = torch.rand(6, 1, 28, 28, generator=gen) * 2 - 1
    b = torch.rand(6, 1, 28, 28, generator=gen) * 2 - 1
    d_ab, d_ba = metric(a, b), metric(b, a)
    assert d_ab.shape == (6,) and torch.allclose(d_ab, d_ba)
    assert torch.allclose(metric(a, a), torch.zeros(6), atol=1e-12)
    assert (d_ab > 0).all() and (d_ab <= 4).all()
    # each layer's vectors have unit length where they are not all zero
    for layer in metric.layers(a):
        norms = layer.square().sum(dim=1).sqrt()
        assert torch.allclose(norms[norms > 0.5], torch.ones_like(norms[norms > 0.5]), atol=1e-5)
    with pytest.raises(ValueError, match="differ in shape"):
        metric(a, b[:3])


def test_classifier_perceptual_reads_in_eval_mode_and_leaves_the_callers_mode(classifier):
    with seeded(0):
        training = MNISTClassifier().train()  # same weights as the fixture's, but in train mode (dropout on)
    metric = perceptual.ClassifierPerceptual(training)
    a, b = torch.rand(2, 4, 1, 28, 28, generator=torch.Generator().manual_seed(2)) * 2 - 1
    assert torch.equal(metric(a, b), perceptual.ClassifierPerceptual(classifier)(a, b))  # eval-mode features
    assert training.training and all(m.training for m in training.modules())  # the caller's mode is untouched


def test_diversity_flags_collapse(classifier):
    metric = perceptual.ClassifierPerceptual(classifier)
    gen = torch.Generator().manual_seed(1)
    varied = torch.rand(40, 1, 28, 28, generator=gen) * 2 - 1
    collapsed = varied[torch.arange(40) % 2]          # two distinct images
    assert perceptual.diversity(collapsed, metric) < 0.6 * perceptual.diversity(varied, metric)
    assert perceptual.diversity(varied[:1].repeat(5, 1, 1, 1), metric) == pytest.approx(0.0, abs=1e-12)
    # the cached-layer route equals calling the distance pair by pair
    first, second = torch.triu_indices(40, 40, offset=1)
    by_pairs = metric(varied[first], varied[second]).double().mean().item()
    assert perceptual.diversity(varied, metric, max_pairs=10_000) == pytest.approx(by_pairs, rel=1e-6)
    assert perceptual.diversity(varied, lambda a, b: metric(a, b), max_pairs=10_000) == pytest.approx(by_pairs, rel=1e-6)
    with pytest.raises(ValueError, match="at least 2"):
        perceptual.diversity(varied[:1], metric)
    # one image per group: the overall diversity stays high, within each group it is 0
    per_group = varied[torch.arange(40) % 4]
    groups = torch.arange(40) % 4
    assert perceptual.diversity(per_group, metric) > 0.5 * perceptual.diversity(varied, metric)
    assert perceptual.diversity(per_group, metric, groups=groups) == pytest.approx(0.0, abs=1e-12)
    assert perceptual.diversity(varied, metric, groups=groups) > 0
    with pytest.raises(ValueError, match="one entry per image"):
        perceptual.diversity(varied, metric, groups=groups[:5])
    with pytest.raises(ValueError, match="no two images share"):
        perceptual.diversity(varied[:3], metric, groups=torch.arange(3))


def test_lpips_fallback_message_without_the_package(classifier, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_lpips(name, *args, **kwargs):
        if name == "lpips":
            raise ImportError("no lpips here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_lpips)
    assert "not installed" in perceptual.lpips_status()
    with pytest.raises(perceptual.LPIPSUnavailable, match="not installed.*ClassifierPerceptual"):
        perceptual.load_lpips()
    metric, description = perceptual.perceptual_metric(classifier)
    assert isinstance(metric, perceptual.ClassifierPerceptual)
    assert "real LPIPS not used" in description and "not installed" in description
    with pytest.raises(ValueError, match="net must be one of"):
        perceptual.lpips_status("resnet")


def test_lpips_message_when_weights_are_missing(monkeypatch, tmp_path):
    import sys
    import types

    monkeypatch.setitem(sys.modules, "lpips", types.ModuleType("lpips"))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    assert "backbone weights are not in" in perceptual.lpips_status("alex")
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "alexnet-owt-7be5be79.pth").write_bytes(b"")
    assert perceptual.lpips_status("alex") is None


# ---- the 2-D sample plot's keywords used by the notebook (defaults unchanged) ------------------------------------
def test_plot_samples_2d_legend_and_axis_keywords():
    import matplotlib.pyplot as plt

    from gancourse import viz

    points = torch.randn(50, 2)
    ax = viz.plot_samples_2d(points, points, modes=torch.zeros(1, 2))
    legend = ax.get_legend()
    assert legend.get_texts()[0].get_fontsize() == 8 and legend._loc == 1 and ax.get_xlabel() == ""   # the defaults
    ax = viz.plot_samples_2d(points, points, modes=torch.zeros(1, 2), axis_labels=("x₁", "x₂"),
                             legend_kw=dict(fontsize=13, loc="upper left", bbox_to_anchor=(1.02, 1)))
    legend = ax.get_legend()
    assert legend.get_texts()[0].get_fontsize() == 13 and legend._loc == 2
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x₁", "x₂")
    plt.close("all")


# ---- the quiz --------------------------------------------------------------------------------------------------
def test_quiz_scores_and_widget_clicks():
    real, fake = torch.full((12, 1, 28, 28), 0.5), torch.full((12, 1, 28, 28), -0.5)
    game = quiz.RealOrFakeQuiz(real, fake, rounds=10, seed=3)
    assert sum(game.is_real) == 5 and game.rounds == 10
    box = game.widget()
    progress, image, buttons, feedback = box.children
    real_button, fake_button = buttons.children
    for truth in list(game.is_real):              # a perfect judge, clicking through the widget
        (real_button if truth else fake_button).click()
    assert game.finished and game.score()["accuracy"] == 1.0 and game.score()["fakes_called_real"] == 0.0
    assert real_button.disabled and "10 of 10 right" in feedback.value and "better than random" in feedback.value
    with pytest.raises(RuntimeError, match="quiz is over"):
        game.answer(True)


def test_quiz_always_real_judge_and_bad_input():
    real, fake = torch.zeros(10, 1, 28, 28), torch.zeros(10, 1, 28, 28)
    game = quiz.RealOrFakeQuiz(real, fake, rounds=20, seed=0)
    for _ in range(20):
        game.answer(True)
    s = game.score()
    assert s["accuracy"] == 0.5 and s["fakes_called_real"] == 1.0 and s["reals_called_fake"] == 0.0
    assert "within what random guessing gives" in game.summary()
    with pytest.raises(ValueError, match="even number"):
        quiz.RealOrFakeQuiz(real, fake, rounds=7)
    with pytest.raises(ValueError, match="at least 11"):
        quiz.RealOrFakeQuiz(real, fake, rounds=22)


def test_chance_interval_and_png():
    low, high = quiz.chance_accuracy_interval(20)
    assert low == pytest.approx(0.30) and high == pytest.approx(0.70)
    low, high = quiz.chance_accuracy_interval(1000)
    assert 0.46 < low < 0.5 < high < 0.54
    png = quiz.png_bytes(torch.zeros(1, 28, 28), scale=4)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="one grey image"):
        quiz.png_bytes(torch.zeros(2, 1, 28, 28))


def test_quiz_summary_before_any_fake_is_judged():
    real, fake = torch.zeros(10, 1, 28, 28), torch.zeros(10, 1, 28, 28)
    game = quiz.RealOrFakeQuiz(real, fake, rounds=10, seed=0)
    assert game.is_real[0]  # seed 0 shows a real image first
    game.answer(True)       # only a real image judged: no rate of fakes called real exists yet
    assert game.summary().endswith("No fake judged yet.") and "nan" not in game.summary()
