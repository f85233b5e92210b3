import math
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from gancourse import metrics, toy
from gancourse.classifier import (ClassifierConfig, FeatureExtractor, MNISTClassifier, _shift, load_or_train_classifier, predict,
                                  train_classifier)


# ---- mode coverage -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["ring", "grid"])
def test_perfect_sampler_covers_every_mode_with_about_99_percent_hq(name):
    modes, std = toy.modes_2d(name)
    samples = toy.sample_2d(name, 2500, torch.Generator().manual_seed(0))
    covered, hq, counts = metrics.mode_coverage(samples, modes, std)
    assert covered == len(modes)
    assert 0.975 <= hq <= 0.997  # expected 1 − e^{−4.5} = 98.9 %
    assert counts.shape == (len(modes),) and counts.sum() == round(hq * 2500)


def test_perfect_hq_fraction_is_the_rayleigh_cdf_at_three():
    assert metrics.perfect_hq_fraction() == pytest.approx(1 - math.exp(-4.5))
    assert metrics.perfect_hq_fraction(3.0, dim=1) == pytest.approx(0.9973, abs=1e-4)


def test_collapsed_sampler_scores_one_mode():
    modes, std = toy.modes_2d("grid")
    samples = modes[7] + std * torch.randn(2500, 2, generator=torch.Generator().manual_seed(1))
    result = metrics.mode_coverage(samples, modes, std)
    assert result.covered == 1 and result.counts[7] == result.counts.sum()
    assert result.hq_fraction > 0.97


def test_samples_between_modes_are_not_high_quality():
    modes, std = toy.modes_2d("ring")
    between = (modes + modes.roll(1, 0)) / 2  # midpoints of neighbouring modes, far from both
    result = metrics.mode_coverage(between.repeat(10, 1), modes, std)
    assert result.covered == 0 and result.hq_fraction == 0.0 and result.counts.sum() == 0


def test_hq_threshold_is_inclusive_at_three_std_and_accepts_numpy():
    modes = np.array([[0.0, 0.0], [10.0, 0.0]])
    samples = np.array([[0.3, 0.0], [0.30001, 0.0], [10.0, 0.1]])
    covered, hq, counts = metrics.mode_coverage(samples, modes, 0.1)
    assert covered == 2 and hq == pytest.approx(2 / 3) and counts.tolist() == [1, 1]


def test_mode_coverage_rejects_bad_input():
    modes, std = toy.modes_2d("ring")
    with pytest.raises(ValueError, match="2-D array"):
        metrics.mode_coverage(torch.zeros(5), modes, std)
    with pytest.raises(ValueError, match="coordinates"):
        metrics.mode_coverage(torch.zeros(5, 3), modes, std)
    with pytest.raises(ValueError, match="NaN"):
        metrics.mode_coverage(torch.full((5, 2), float("nan")), modes, std)
    with pytest.raises(ValueError, match="positive"):
        metrics.mode_coverage(torch.zeros(5, 2), modes, 0.0)


# ---- class coverage ------------------------------------------------------------------------------
def test_class_coverage_uniform_and_collapsed():
    uniform = 10 * torch.eye(10).repeat(30, 1)
    cov = metrics.class_coverage(uniform)
    assert cov.classes_seen == 10 and cov.entropy == pytest.approx(math.log(10)) and cov.max_entropy == pytest.approx(math.log(10))
    assert cov.confidence > 0.99 and cov.histogram.sum() == pytest.approx(1.0)
    collapsed = metrics.class_coverage(torch.zeros(50, 10).index_fill_(1, torch.tensor([3]), 5.0))
    assert collapsed.classes_seen == 1 and collapsed.entropy == 0.0 and collapsed.histogram[3] == 1.0
    with pytest.raises(ValueError, match="num_classes"):
        metrics.class_coverage(torch.zeros(5))


# ---- FID ------------------------------------------------------------------------------------------
def _gaussian(n, d, seed, shift=0.0, scale=1.0):
    return scale * torch.randn(n, d, generator=torch.Generator().manual_seed(seed)).double() + shift


def test_fid_of_a_set_with_itself_is_zero():
    x = _gaussian(500, 16, 0)
    assert metrics.fid_from_features(x, x) == pytest.approx(0.0, abs=1e-9)


def test_fid_mean_shift_matches_the_closed_form():
    """Same covariance, means differ by δ: FID = ‖δ‖² exactly (the trace term cancels)."""
    x = _gaussian(400, 8, 1)
    delta = torch.linspace(-1, 1, 8).double()
    assert metrics.fid_from_features(x, x + delta) == pytest.approx(float(delta.pow(2).sum()), rel=1e-9)
    assert metrics.fid_from_features(x, x + 2 * delta) == pytest.approx(4 * float(delta.pow(2).sum()), rel=1e-9)


def test_frechet_distance_of_gaussians_closed_form():
    d = 6
    mu1, mu2 = np.zeros(d), np.full(d, 0.5)
    # N(μ1, I) vs N(μ2, 4I): ‖Δμ‖² + tr(I + 4I − 2·2I) = 0.25 d + d
    assert metrics.frechet_distance(mu1, np.eye(d), mu2, 4 * np.eye(d)) == pytest.approx(1.25 * d)
    a = np.diag(np.arange(1.0, d + 1))
    assert metrics.frechet_distance(mu1, a, mu1, a) == pytest.approx(0.0, abs=1e-10)
    # symmetric in its two arguments, also for non-commuting covariances
    rng = np.random.default_rng(0)
    m = rng.normal(size=(d, d))
    b = m @ m.T
    assert metrics.frechet_distance(mu1, a, mu2, b) == pytest.approx(metrics.frechet_distance(mu2, b, mu1, a), rel=1e-9)


def test_fid_from_samples_approaches_the_population_value():
    x, y = _gaussian(20000, 4, 2), _gaussian(20000, 4, 3, shift=1.0, scale=2.0)
    expected = 4 * 1.0 + 4 * (1 + 4 - 2 * 2)  # ‖Δμ‖² + tr(Σ1 + Σ2 − 2(Σ1Σ2)^½)
    assert metrics.fid_from_features(x, y) == pytest.approx(expected, rel=0.03)


def test_fid_refuses_fewer_samples_than_feature_dimensions():
    with pytest.raises(ValueError, match="more samples than feature dimensions"):
        metrics.fid_from_features(_gaussian(64, 128, 0), _gaussian(500, 128, 1))
    with pytest.raises(ValueError, match="dimension"):
        metrics.fid_from_features(_gaussian(50, 4, 0), _gaussian(50, 5, 1))


class _RandomFeatures(torch.nn.Module):
    """A fixed random projection of the image, with the attribute torchmetrics needs."""

    num_features = 12

    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(28 * 28, self.num_features)
        torch.nn.init.normal_(self.proj.weight, 0, 0.05, generator=torch.Generator().manual_seed(0))

    def forward(self, x):
        return torch.tanh(self.proj(x.flatten(1)))


@pytest.mark.parametrize("extractor", ["random", "classifier"])
def test_fid_matches_torchmetrics(extractor):
    from torchmetrics.image.fid import FrechetInceptionDistance

    torch.manual_seed(0)
    net = _RandomFeatures() if extractor == "random" else FeatureExtractor(MNISTClassifier())
    n = 300 if extractor == "random" else 400
    real = torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(1)) * 2 - 1
    fake = (torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(2)) * 1.6 - 0.9).clamp(-1, 1)
    fid = FrechetInceptionDistance(feature=net, normalize=True)
    fid.update(real, real=True)
    fid.update(fake, real=False)
    expected = float(fid.compute())
    with torch.no_grad():
        ours = metrics.fid_from_features(net(real), net(fake))
    assert ours == pytest.approx(expected, rel=1e-3, abs=1e-4)
    assert ours > 0


# ---- the evaluation classifier ----------------------------------------------------------------------
def test_classifier_features_and_shift():
    model = MNISTClassifier()
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    assert model(x).shape == (3, 10) and model.features(x).shape == (3, MNISTClassifier.num_features)
    assert FeatureExtractor(model).num_features == 128
    shifted = _shift(x, 2, torch.Generator().manual_seed(0))
    assert shifted.shape == x.shape and shifted.min() >= -1


def test_classifier_cache_roundtrip(tmp_path):
    images = torch.rand(64, 1, 28, 28) * 2 - 1
    labels = torch.arange(64) % 10
    config = ClassifierConfig(epochs=1, batch_size=32)
    model, info = load_or_train_classifier(images, labels, config, cache=tmp_path)
    assert not info["cached"] and list(tmp_path.glob("*.pt")) and not list(tmp_path.glob(".*.tmp"))
    again, info2 = load_or_train_classifier(images, labels, config, cache=tmp_path)
    assert info2["cached"] and info2["path"] == info["path"]
    assert torch.equal(predict(model, images)[0], predict(again, images)[0])
    _, info3 = load_or_train_classifier(images, labels, ClassifierConfig(epochs=1, batch_size=16), cache=tmp_path)
    assert not info3["cached"]  # other settings, other cache entry


def _global_state():
    numpy_state = np.random.get_state()
    return (torch.get_rng_state(), numpy_state[0], numpy_state[1].copy(), numpy_state[2:], random.getstate(),
            torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)


def _same_state(a, b) -> bool:
    return (torch.equal(a[0], b[0]) and a[1] == b[1] and np.array_equal(a[2], b[2]) and a[3:] == b[3:])


def test_classifier_leaves_the_global_random_state_and_settings_alone(tmp_path, monkeypatch):
    # Otherwise a notebook's later results would depend on whether the classifier was in the cache.
    monkeypatch.setenv("GANCOURSE_CACHE", str(tmp_path))  # where cache=None puts it
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", True)
    images, labels = torch.rand(64, 1, 28, 28) * 2 - 1, torch.arange(64) % 10
    config = ClassifierConfig(epochs=1, batch_size=32)
    random.seed(7)
    np.random.seed(7)
    torch.manual_seed(7)
    for cached in (False, True):  # a cache miss trains, a hit loads
        before = _global_state()
        model, info = load_or_train_classifier(images, labels, config)
        assert info["cached"] is cached and Path(info["path"]).parent == tmp_path
        assert _same_state(before, _global_state())
    torch.manual_seed(123)  # another caller state: the same weights all the same
    again = train_classifier(images, labels, config)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))


# ---- Inception Score, KID, precision / recall ---------------------------------------------------------------
def test_inception_score_bounds_and_bad_input():
    one_hot = torch.eye(10).repeat(30, 1).double().numpy()             # confident, all classes equally often
    assert metrics.inception_score(one_hot) == pytest.approx(10.0)
    assert metrics.inception_score(np.tile(np.eye(10)[3], (50, 1))) == pytest.approx(1.0)   # one class only
    assert metrics.inception_score(np.full((40, 10), 0.1)) == pytest.approx(1.0)           # no confidence
    assert metrics.inception_score(one_hot, splits=3) == pytest.approx(10.0)
    with pytest.raises(ValueError, match="softmax"):
        metrics.inception_score(torch.randn(20, 10))
    with pytest.raises(ValueError, match="splits"):
        metrics.inception_score(one_hot, splits=0)


def test_inception_score_matches_torchmetrics_without_shuffling():
    from torchmetrics.image.inception import InceptionScore

    class Logits(torch.nn.Module):
        def forward(self, x):
            return x.flatten(1)[:, :10] * 4

    x = torch.rand(200, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    score = InceptionScore(feature=Logits(), splits=1)
    score.update(x)
    expected = float(score.compute()[0])
    probs = torch.softmax(x.flatten(1)[:, :10].double() * 4, dim=1)
    assert metrics.inception_score(probs) == pytest.approx(expected, rel=1e-3)


def _kid_reference_images():
    real = torch.rand(300, 1, 28, 28, generator=torch.Generator().manual_seed(1)) * 2 - 1
    fake = (torch.rand(250, 1, 28, 28, generator=torch.Generator().manual_seed(2)) * 1.6 - 0.9).clamp(-1, 1)
    return real, fake


@pytest.mark.parametrize("extractor", ["random", "classifier"])
def test_kid_matches_torchmetrics(extractor):
    from torchmetrics.image.kid import KernelInceptionDistance

    torch.manual_seed(0)
    net = _RandomFeatures() if extractor == "random" else FeatureExtractor(MNISTClassifier())
    real, fake = _kid_reference_images()
    kid = KernelInceptionDistance(feature=net, subsets=1, subset_size=len(fake), normalize=True)
    kid.update(real[:len(fake)], real=True)   # one subset of all images: the permutation does not change the estimate
    kid.update(fake, real=False)
    expected = float(kid.compute()[0])
    with torch.no_grad():
        ours = metrics.kernel_inception_distance(net(real[:len(fake)]), net(fake))
    assert ours == pytest.approx(expected, rel=1e-3, abs=1e-6)
    assert ours > 0


def test_kid_is_unbiased_and_subsets_are_seeded():
    gen = torch.Generator().manual_seed(5)
    values = [metrics.kernel_inception_distance(torch.randn(50, 4, generator=gen), torch.randn(50, 4, generator=gen))
              for _ in range(200)]
    assert abs(np.mean(values)) < 3 * np.std(values) / np.sqrt(len(values))   # mean 0 for equal distributions
    assert min(values) < 0                                                     # unbiased: negative values occur
    a, b = torch.randn(120, 4, generator=gen), torch.randn(120, 4, generator=gen) + 0.5
    first = metrics.kernel_inception_distance(a, b, subsets=5, subset_size=60, seed=1)
    assert first == metrics.kernel_inception_distance(a, b, subsets=5, subset_size=60, seed=1) > 0
    with pytest.raises(ValueError, match="subset_size"):
        metrics.kernel_inception_distance(a, b, subset_size=10)
    with pytest.raises(ValueError, match="dimension"):
        metrics.kernel_inception_distance(a, b[:, :3])


def test_precision_recall_separates_quality_and_coverage():
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(500, 2, generator=gen)
    same = torch.randn(500, 2, generator=gen)
    collapsed = 0.05 * torch.randn(500, 2, generator=gen)                  # realistic, covers a small region
    off = torch.randn(500, 2, generator=gen) + 6.0                           # nowhere near the data
    pr = metrics.precision_recall(real, same)
    assert pr.precision > 0.9 and pr.recall > 0.9
    pr = metrics.precision_recall(real, collapsed)
    assert pr.precision == 1.0 and pr.recall < 0.2
    assert metrics.precision_recall(real, off) == (0.0, 0.0)
    radii = metrics.knn_radii(torch.tensor([[0.0], [1.0], [3.0]]), k=1)
    assert radii.tolist() == [1.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="k must be"):
        metrics.knn_radii(real[:3], k=3)
