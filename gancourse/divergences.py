"""Why the Jensen–Shannon divergence fails a GAN and the Wasserstein-1 distance does not, measured on samples.

The example is Arjovsky, Chintala & Bottou's (:cite:`arjovsky2017wgan`, Example 1; the disjoint-support
argument is :cite:`arjovsky2017principled`): Z ~ U[0, 1], P₀ is the law of (0, Z) and P_θ the law of
(θ, Z) — two parallel line segments in the plane.  For θ ≠ 0 their supports are disjoint, so

* JS(P₀, P_θ) = log 2 whatever θ is: the divergence says "different", never "how far", and its gradient
  with respect to θ is zero — nothing for a generator to follow;
* W1(P₀, P_θ) = |θ|: it grows with the distance and its slope always points back to θ = 0.

Both are estimated here from samples, without using the closed forms: JS from histograms on a fine grid,
W1 as the exact optimal transport between two equal-size point clouds (an optimal assignment).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

__all__ = ["parallel_segments", "js_divergence_histogram", "wasserstein1_samples", "js_and_w1_under_shift"]


def parallel_segments(theta: float, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n samples of P₀ = (0, Z) and n independent samples of P_θ = (θ, Z), Z ~ U[0, 1]; each (n, 2) float64."""
    if n < 2:
        raise ValueError(f"n must be at least 2 samples, got {n}")
    gen = torch.Generator().manual_seed(seed)
    z0, z1 = torch.rand(n, generator=gen, dtype=torch.float64), torch.rand(n, generator=gen, dtype=torch.float64)
    p0 = np.stack([np.zeros(n), z0.numpy()], axis=1)
    p_theta = np.stack([np.full(n, float(theta)), z1.numpy()], axis=1)
    return p0, p_theta


def js_divergence_histogram(a: np.ndarray, b: np.ndarray, bin_width: float = 0.01) -> float:
    """Jensen–Shannon divergence (nats) of two 2-D point clouds, from their histograms on one square grid.

    JS(P, Q) = ½ KL(P ‖ M) + ½ KL(Q ‖ M) with M = (P + Q)/2; it lies in [0, log 2] and reaches log 2
    exactly when no grid cell holds points of both clouds.  Finite samples give a small positive value
    even for P = Q (two histograms of the same law differ by chance).
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 2 or b.ndim != 2 or b.shape[1] != 2:
        raise ValueError(f"expected two (n, 2) point clouds, got shapes {a.shape} and {b.shape}")
    if not bin_width > 0:
        raise ValueError(f"bin_width must be positive, got {bin_width}")
    both = np.concatenate([a, b])
    low = both.min(axis=0) - bin_width / 2
    cells = np.floor((both - low) / bin_width).astype(np.int64)
    ids = cells[:, 0] * (cells[:, 1].max() + 1) + cells[:, 1]      # one integer per grid cell
    _, index = np.unique(ids, return_inverse=True)
    p = np.bincount(index[: len(a)], minlength=index.max() + 1) / len(a)
    q = np.bincount(index[len(a):], minlength=index.max() + 1) / len(b)
    m = (p + q) / 2

    def kl_to_m(r):
        used = r > 0
        return float((r[used] * np.log(r[used] / m[used])).sum())

    return 0.5 * kl_to_m(p) + 0.5 * kl_to_m(q)


def wasserstein1_samples(a: np.ndarray, b: np.ndarray) -> float:
    """W1 between the empirical distributions of two equal-size point clouds (Euclidean cost).

    With n points each, the optimal transport plan is a permutation (Birkhoff–von Neumann), so W1 is the
    mean distance of the best one-to-one matching, found exactly by the Hungarian algorithm.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"expected two point clouds of the same shape (n, d), got {a.shape} and {b.shape}")
    cost = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())


def js_and_w1_under_shift(thetas, n: int = 500, seed: int = 0, bin_width: float = 0.01) -> dict[str, np.ndarray]:
    """JS and W1 between P₀ and P_θ for each θ in ``thetas``, estimated from n samples each (same seed per θ).

    Returns ``{"theta", "js", "w1"}`` as arrays, plus ``"log2"`` = log 2 for reference.
    """
    thetas = np.asarray(thetas, dtype=np.float64)
    js, w1 = [], []
    for theta in thetas:
        p0, p_theta = parallel_segments(theta, n, seed)
        js.append(js_divergence_histogram(p0, p_theta, bin_width))
        w1.append(wasserstein1_samples(p0, p_theta))
    return {"theta": thetas, "js": np.array(js), "w1": np.array(w1), "log2": math.log(2)}
