"""Checks for notebook 08 (evaluating GANs).

Expected values are measured, never copied from a solution: the FID at half the sample count from the
features handed in, recall from :func:`gancourse.metrics.precision_recall` on the same features, and the
generator with the lowest FID from the notebook's own table.
"""

from __future__ import annotations

import torch

from gancourse import metrics
from gancourse.checks import call, given, run_check


# ---- Exercise 1: how does FID move when the sample count is halved? ---------------------------------------------
def fid_at(features_a, features_b, n: int) -> float:
    """FID between the first ``n`` rows of two feature sets."""
    return metrics.fid_from_features(features_a[:n], features_b[:n])


def check_fid_halving(my_prediction, features_a, features_b, n: int) -> bool:
    """Exercise 1: predict the real-vs-real FID on ``n // 2`` images per side, knowing it on ``n``."""

    def test():
        prediction = float(given(my_prediction))
        full, half = fid_at(features_a, features_b, n), fid_at(features_a, features_b, n // 2)
        if abs(prediction - half) <= 0.25 * half:
            return None
        if abs(prediction - full) <= 0.15 * full:
            return (f"you predicted about the value on {n:,} images ({full:.2f}); on {n // 2:,} it is {half:.2f}. Both sets "
                    "are real and unseen, yet the estimate moves: FID from a finite sample is biased upwards.")
        if prediction < full:
            return (f"it goes the other way: on {n // 2:,} images the floor is {half:.2f} (on {n:,}: {full:.2f}). Fewer "
                    "samples make the fitted means and covariances noisier, and noise only adds distance.")
        return f"not close: on {n // 2:,} images the floor is {half:.2f} (on {n:,}: {full:.2f})."

    return run_check(f"Exercise 1 · the FID floor on {n // 2:,} images",
                     "the estimation error of the mean and covariance adds to FID; how does that error depend on n?",
                     test)


# ---- Exercise 2: recall from k-NN balls ----------------------------------------------------------------------------
def _cases():
    gen = torch.Generator().manual_seed(8)
    real = torch.randn(300, 5, generator=gen)
    collapsed = 0.3 * torch.randn(200, 5, generator=gen) + 0.8        # realistic-looking but covers little
    spread = 2.0 * torch.randn(250, 5, generator=gen)                  # covers much, many samples off the data
    return [(real, collapsed, 3), (real, spread, 3), (real, spread[:150], 5)]


def check_recall(my_recall) -> bool:
    """Exercise 2: ``my_recall(real_features, fake_features, k)`` → share of real points inside some fake's k-NN ball."""

    def test():
        for real, fake, k in _cases():
            value = float(call(my_recall, real, fake, k))
            expected = metrics.precision_recall(real, fake, k)
            if abs(value - expected.recall) <= 1e-6:
                continue
            if abs(value - expected.precision) <= 1e-6:
                return ("that is precision (generated samples inside the real balls). Recall asks the opposite "
                        "question, so the balls and the points swap roles.")
            own = metrics.knn_radii(fake, max(k - 1, 1)) if k > 1 else None
            if own is not None:
                dist = torch.cdist(real.double(), fake.double())
                off_by_one = float((dist <= torch.as_tensor(own)[None, :]).any(1).double().mean())
                if abs(value - off_by_one) <= 1e-6:
                    return ("the radius is one neighbour short: the nearest 'neighbour' of a point in its own set is "
                            "itself, at distance 0, so the k-th neighbour is the (k+1)-th smallest distance.")
            return f"for k = {k} and {len(real)} real / {len(fake)} fake points you return {value:.4f}, expected {expected.recall:.4f}."
        return None

    return run_check("Exercise 2 · recall",
                     "each generated sample gets a ball reaching its k-th nearest generated neighbour; count the real points "
                     "that fall into at least one ball.",
                     test)


# ---- Exercise 3: which generator has the lowest FID? ----------------------------------------------------------------
def check_lowest_fid(my_choice, fids: dict[str, float]) -> bool:
    """Exercise 3: predict which of the notebook's generators gets the lowest FID (``fids``: name → measured FID)."""

    def test():
        choice = str(given(my_choice)).strip().lower()
        names = {name.lower(): name for name in fids}
        if choice not in names:
            return f"answer with one of {sorted(fids)}, got {my_choice!r}."
        best = min(fids, key=fids.get)
        picked = names[choice]
        if picked == best:
            return None
        return (f"measured: {best} has the lowest FID ({fids[best]:.2f}), {picked} has {fids[picked]:.2f}. FID compares "
                "feature statistics with real data and knows nothing of where the images came from.")

    return run_check("Exercise 3 · the lowest FID",
                     "FID only sees the mean and covariance of the features of the whole set.", test)
