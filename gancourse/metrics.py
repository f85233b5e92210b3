"""How good is a generator?  Mode coverage on the 2-D toys, class coverage and FID on images.

* :func:`mode_coverage` — the VEEGAN / PacGAN protocol (:cite:`srivastava2017veegan`,
  :cite:`lin2018pacgan`): a sample is *high quality* (HQ) when it lies within 3 std of its nearest
  mode, and a mode is *covered* when at least one HQ sample lands on it.
* :func:`class_coverage` — which classes a classifier sees in generated images, the entropy of that
  histogram (ln 10 when all ten digits are equally frequent) and the classifier's mean confidence.
* :func:`frechet_distance` / :func:`fid_from_features` — the Fréchet distance between Gaussians fitted
  to two sets of features (FID when the features come from a fixed network).  Implemented here in a
  few lines and cross-checked against torchmetrics in the tests.
* :func:`inception_score` — exp E[KL(p(y|x) ‖ p(y))] from a classifier's class probabilities
  (:cite:`salimans2016improved`).
* :func:`kernel_inception_distance` — the unbiased MMD² with the cubic polynomial kernel
  k(x, y) = (x·y/d + 1)³ (:cite:`binkowski2018demystifying`), unbiased for any sample size.
* :func:`precision_recall` — improved precision and recall for generative models (:cite:`kynkaanniemi2019precision`):
  the share of samples inside the real data's k-NN balls, and the share of real data inside the samples' balls.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch

__all__ = [
    "ModeCoverage", "mode_coverage", "perfect_hq_fraction",
    "ClassCoverage", "class_coverage",
    "FeatureStats", "feature_stats", "frechet_distance", "fid_from_features",
    "inception_score", "polynomial_kernel", "kernel_inception_distance",
    "PrecisionRecall", "knn_radii", "precision_recall",
]


def _as_float64(x, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (rows = points), got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


# ---- 2-D mode coverage ---------------------------------------------------------------------------
class ModeCoverage(NamedTuple):
    """Result of :func:`mode_coverage`; unpacks as ``covered, hq_fraction, counts``."""

    covered: int            # modes with at least one high-quality sample
    hq_fraction: float      # share of samples within ``threshold`` std of their nearest mode
    counts: np.ndarray      # HQ samples per mode, shape (n_modes,)


def mode_coverage(samples, modes, std: float, threshold: float = 3.0) -> ModeCoverage:
    """Score 2-D samples against the known mixture modes (VEEGAN / PacGAN protocol).

    samples: (N, 2) generated points; modes: (M, 2) mode centres; std: the per-mode std of the data.
    A sample is high quality if its distance to the *nearest* mode is at most ``threshold * std``;
    a mode is covered if it has at least one HQ sample.  A perfect sampler of an isotropic 2-D
    Gaussian mixture scores 1 − exp(−threshold²/2) ≈ 98.9 % HQ (see :func:`perfect_hq_fraction`).
    """
    x, centres = _as_float64(samples, "samples"), _as_float64(modes, "modes")
    if x.shape[1] != centres.shape[1]:
        raise ValueError(f"samples have {x.shape[1]} coordinates but modes have {centres.shape[1]}")
    if len(x) == 0 or len(centres) == 0:
        raise ValueError("need at least one sample and one mode")
    if not std > 0 or not threshold > 0:
        raise ValueError(f"std and threshold must be positive, got std={std}, threshold={threshold}")
    dist = np.sqrt(((x[:, None, :] - centres[None, :, :]) ** 2).sum(-1))  # (N, M)
    nearest = dist.argmin(axis=1)
    hq = dist[np.arange(len(x)), nearest] <= threshold * std
    counts = np.bincount(nearest[hq], minlength=len(centres))
    return ModeCoverage(int((counts > 0).sum()), float(hq.mean()), counts)


def perfect_hq_fraction(threshold: float = 3.0, dim: int = 2) -> float:
    """Expected HQ share of a perfect sampler: P(‖ε‖ ≤ threshold) for ε ~ N(0, I_dim); 0.98889 in 2-D."""
    if dim != 2:
        from scipy.stats import chi2

        return float(chi2.cdf(threshold**2, dim))
    return 1.0 - math.exp(-threshold**2 / 2)


# ---- class coverage --------------------------------------------------------------------------------
class ClassCoverage(NamedTuple):
    """Predicted-class histogram of generated images, its entropy (nats) and mean confidence."""

    histogram: np.ndarray   # share of samples predicted as each class, sums to 1
    entropy: float          # −Σ p log p in nats; ln(num_classes) for a uniform histogram
    max_entropy: float      # ln(num_classes)
    confidence: float       # mean of the classifier's top softmax probability
    classes_seen: int       # classes predicted for at least one sample


def class_coverage(logits: torch.Tensor) -> ClassCoverage:
    """Summarise classifier ``logits`` (N, num_classes) of generated samples.

    A generator that collapses onto a few digits has a peaked histogram (low entropy); one that draws
    unrecognisable blobs has low confidence.  Real MNIST scores entropy ≈ ln 10 and confidence ≈ 0.99.
    """
    if logits.ndim != 2 or logits.shape[1] < 2:
        raise ValueError(f"logits must have shape (N, num_classes ≥ 2), got {tuple(logits.shape)}")
    probs = torch.softmax(logits.double(), dim=1)
    counts = torch.bincount(probs.argmax(1), minlength=logits.shape[1]).double()
    hist = (counts / counts.sum()).cpu().numpy()
    nz = hist[hist > 0]
    entropy = float(-(nz * np.log(nz)).sum()) + 0.0  # + 0.0 turns −0.0 into 0.0
    return ClassCoverage(hist, entropy, math.log(logits.shape[1]), float(probs.max(1).values.mean()), int((hist > 0).sum()))


# ---- Fréchet distance (FID) ----------------------------------------------------------------------
class FeatureStats(NamedTuple):
    """Mean (d,), covariance (d, d) and sample count of a set of feature vectors (float64)."""

    mean: np.ndarray
    cov: np.ndarray
    n: int


def feature_stats(features, *, min_samples: int | None = None) -> FeatureStats:
    """Mean and unbiased covariance of ``features`` (N, d), in float64.

    With N ≤ d the covariance is singular (its rank is at most N − 1) and the Fréchet distance is
    dominated by estimation noise (a known trap, COURSE.md §5): that raises a ValueError.  Use more
    samples than feature dimensions — ideally several times more.
    """
    f = _as_float64(features, "features")
    n, d = f.shape
    need = d + 1 if min_samples is None else min_samples
    if n < max(need, 2):
        raise ValueError(
            f"FID needs more samples than feature dimensions: got {n} samples of {d}-dimensional features, "
            f"so the {d}×{d} covariance would be singular (rank ≤ {max(n - 1, 0)}). Use at least {max(need, 2)} samples "
            "(several times d for a stable estimate) or a feature layer with fewer dimensions."
        )
    return FeatureStats(f.mean(axis=0), np.cov(f, rowvar=False).reshape(d, d), n)


def _sqrt_psd(cov: np.ndarray) -> np.ndarray:
    """Symmetric square root of a positive semi-definite matrix via its eigen-decomposition."""
    w, v = np.linalg.eigh((cov + cov.T) / 2)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1, cov1, mu2, cov2) -> float:
    """‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^½), the squared Fréchet (2-Wasserstein) distance of two Gaussians.

    tr((Σ₁Σ₂)^½) is computed as Σ √λᵢ over the eigenvalues λᵢ of the *symmetric* PSD matrix
    Σ₁^½ Σ₂ Σ₁^½ (it has the same eigenvalues as Σ₁Σ₂).  Unlike ``scipy.linalg.sqrtm`` of the
    non-symmetric product, this never returns complex parts or NaNs for nearly singular covariances.
    """
    mu1, mu2 = np.asarray(mu1, dtype=np.float64), np.asarray(mu2, dtype=np.float64)
    cov1, cov2 = np.atleast_2d(np.asarray(cov1, dtype=np.float64)), np.atleast_2d(np.asarray(cov2, dtype=np.float64))
    if mu1.shape != mu2.shape or cov1.shape != cov2.shape or cov1.shape != (len(mu1), len(mu1)):
        raise ValueError(f"shape mismatch: means {mu1.shape} / {mu2.shape}, covariances {cov1.shape} / {cov2.shape}")
    root1 = _sqrt_psd(cov1)
    middle = root1 @ cov2 @ root1
    eig = np.linalg.eigvalsh((middle + middle.T) / 2)
    tr_sqrt = np.sqrt(np.clip(eig, 0.0, None)).sum()
    value = float(((mu1 - mu2) ** 2).sum() + np.trace(cov1) + np.trace(cov2) - 2.0 * tr_sqrt)
    return max(value, 0.0)  # rounding can give −1e-13 for identical sets


def fid_from_features(features_a, features_b) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N_a, d) and (N_b, d).

    With features from a fixed network this is FID (Heusel et al., 2017); the course uses the
    penultimate layer of a small MNIST classifier, since Inception weights cannot be downloaded here.
    Always report it beside the real-vs-real floor on the same number of images.
    """
    a = features_a if isinstance(features_a, FeatureStats) else feature_stats(features_a)
    b = features_b if isinstance(features_b, FeatureStats) else feature_stats(features_b)
    if a.mean.shape != b.mean.shape:
        raise ValueError(f"feature sets differ in dimension: {a.mean.shape[0]} vs {b.mean.shape[0]}")
    return frechet_distance(a.mean, a.cov, b.mean, b.cov)


# ---- Inception Score -------------------------------------------------------------------------------
def inception_score(probs, splits: int = 1) -> float:
    """exp(E_x KL(p(y|x) ‖ p(y))) from class probabilities ``probs`` (N, C), rows summing to 1.

    p(y) is the mean of the rows (of each split).  High when every sample is classified confidently *and*
    the classes are evenly used; at most C (the number of classes), 1 for a constant prediction.  Salimans
    et al. averaged exp(…) over 10 splits; ``splits`` does the same (the mean is returned).  Pass
    probabilities, not logits: apply ``softmax`` first.
    """
    p = _as_float64(probs, "probs")
    if (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-4):
        raise ValueError("probs must be class probabilities (non-negative rows summing to 1); "
                         "got something else — for logits pass torch.softmax(logits, dim=1)")
    if not 1 <= splits <= len(p):
        raise ValueError(f"splits must be between 1 and the number of samples ({len(p)}), got {splits}")
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = np.where(part > 0, part * (np.log(np.clip(part, 1e-300, None)) - np.log(np.clip(marginal, 1e-300, None))), 0.0)
        scores.append(math.exp(kl.sum(axis=1).mean()))
    return float(np.mean(scores))


# ---- Kernel Inception Distance ---------------------------------------------------------------------
def polynomial_kernel(x, y, degree: int = 3, coef: float = 1.0) -> np.ndarray:
    """k(x, y) = (x·y / d + coef)^degree for all pairs of rows of ``x`` (N, d) and ``y`` (M, d): (N, M)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return (x @ y.T / x.shape[1] + coef) ** degree


def _unbiased_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    m, n = len(x), len(y)
    k_xx, k_yy, k_xy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    # the diagonals k(x_i, x_i) compare a point with itself: leaving them out makes the estimate unbiased
    return float((k_xx.sum() - np.trace(k_xx)) / (m * (m - 1)) + (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
                 - 2.0 * k_xy.mean())


def kernel_inception_distance(features_a, features_b, *, subsets: int | None = None, subset_size: int | None = None,
                              seed: int = 0) -> float:
    """KID: the unbiased estimate of MMD² between two feature sets with the cubic polynomial kernel.

    Bińkowski et al. (:cite:`binkowski2018demystifying`) average it over random subsets (100 of 1,000
    in the paper) to get a mean and a spread; by default (``subsets=None``) the whole sets are used
    once, which is deterministic.  Unlike FID it has no bias from the sample size — it can be slightly
    *negative* when the two sets come from the same distribution.
    """
    a, b = _as_float64(features_a, "features_a"), _as_float64(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets differ in dimension: {a.shape[1]} vs {b.shape[1]}")
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"KID needs at least 2 samples per set, got {len(a)} and {len(b)}")
    if subsets is None:
        if subset_size is not None:
            raise ValueError("subset_size applies only with subsets")
        return _unbiased_mmd2(a, b)
    size = subset_size or min(len(a), len(b), 1000)
    if subsets < 1 or not 2 <= size <= min(len(a), len(b)):
        raise ValueError(f"need subsets ≥ 1 and 2 ≤ subset_size ≤ {min(len(a), len(b))}, got {subsets}, {size}")
    rng = np.random.default_rng(seed)
    values = [_unbiased_mmd2(a[rng.choice(len(a), size, replace=False)], b[rng.choice(len(b), size, replace=False)])
              for _ in range(subsets)]
    return float(np.mean(values))


# ---- precision and recall (k-NN manifolds) ---------------------------------------------------------
class PrecisionRecall(NamedTuple):
    """Improved precision (samples that look real) and recall (real data that the samples cover), in [0, 1]."""

    precision: float
    recall: float


def _pairwise_distances(x: torch.Tensor, y: torch.Tensor, chunk: int = 2048) -> torch.Tensor:
    return torch.cat([torch.cdist(x[i:i + chunk], y) for i in range(0, len(x), chunk)])


def knn_radii(features, k: int = 3) -> np.ndarray:
    """Distance from each row of ``features`` to its k-th nearest *other* row: the radius of its k-NN ball."""
    f = torch.as_tensor(_as_float64(features, "features"))
    if not 1 <= k < len(f):
        raise ValueError(f"k must be between 1 and the number of points − 1 ({len(f) - 1}), got {k}")
    dist = _pairwise_distances(f, f)
    return dist.kthvalue(k + 1, dim=1).values.numpy()  # the smallest distance is the point itself (0)


def _inside_any_ball(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor) -> np.ndarray:
    return (_pairwise_distances(points, centres) <= radii[None, :]).any(dim=1).numpy()


def precision_recall(real_features, fake_features, k: int = 3) -> PrecisionRecall:
    """Kynkäänniemi et al. (:cite:`kynkaanniemi2019precision`): each point's k-NN ball estimates its set's manifold.

    precision = share of generated samples inside at least one real point's ball (are they realistic?);
    recall = share of real points inside at least one generated sample's ball (is the data covered?).
    The paper uses k = 3.
    """
    real = torch.as_tensor(_as_float64(real_features, "real_features"))
    fake = torch.as_tensor(_as_float64(fake_features, "fake_features"))
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"feature sets differ in dimension: {real.shape[1]} vs {fake.shape[1]}")
    real_radii, fake_radii = torch.as_tensor(knn_radii(real, k)), torch.as_tensor(knn_radii(fake, k))
    return PrecisionRecall(float(_inside_any_ball(fake, real, real_radii).mean()),
                           float(_inside_any_ball(real, fake, fake_radii).mean()))
