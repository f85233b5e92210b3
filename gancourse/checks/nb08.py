"""Checks for notebook 08 (evaluating GANs).

Expected values are measured, never copied from a solution: the FID at half the sample count from the
features handed in, the recall of the collapsed and blurry generators from
:func:`gancourse.metrics.precision_recall` on the features handed in, and the generator with the lowest FID from
the notebook's own table.
"""

from __future__ import annotations

import numpy as np

from gancourse import metrics
from gancourse.checks import given, run_check


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


# ---- Exercise 2: predict the recall of the collapsed and the blurry generator ---------------------------------------
RECALL_TOLERANCE = 0.1   # absolute: a prediction within 0.1 of the measured recall counts as right


def _recall_reason(name: str, real_features, generated_features: dict, k: int, good: float | None) -> str:
    if name == "collapsed":
        return ("the collapsed set holds each of its 10 images about n/10 times, so a sample's 3rd-nearest generated "
                "neighbour is a copy of itself at distance 0: every generated ball has radius 0 and a real digit "
                "lies in one only if it *is* that image. Covering all ten classes is not covering the data")
    if name == "blurry":
        fake = generated_features[name]
        precision = metrics.precision_recall(real_features, fake, k).precision
        own = float(np.median(metrics.knn_radii(fake, k)))
        real = float(np.median(metrics.knn_radii(real_features, k)))
        versus = "" if good is None else f", while the sharp originals cover {good:.3f} of the real digits"
        if own < real:
            return (f"the blurred samples still lie inside the real digits' balls (precision {precision:.3f}), but they "
                    f"crowd together in feature space: the median radius of their balls is {own:.2f}, against {real:.2f} "
                    f"for the real digits, so a sharp real digit rarely falls into one{versus}. Blur removes the "
                    "details in which samples differ, in the features too")
        return (f"the blurred samples' balls reach almost none of the sharp real digits{versus}: blur moves every "
                f"sample's features away from them (precision, {precision:.3f}, counts samples inside the real "
                "digits' balls instead)")
    return "recall counts the real points inside the generated samples' k-NN balls"


def check_recall_prediction(my_prediction, real_features, generated_features: dict, k: int = 3) -> bool:
    """Exercise 2: predict (numbers in [0, 1]) the recall of the ``"collapsed"`` and ``"blurry"`` generators.

    ``generated_features`` maps a generator's name to its features; the recall is measured against
    ``real_features`` with :func:`gancourse.metrics.precision_recall` (``"good"``, when given, is quoted for
    comparison)."""
    names = ("collapsed", "blurry")
    shown = {}

    def test():
        prediction = given(my_prediction)
        if not isinstance(prediction, dict) or set(prediction) != set(names):
            return f"answer with a dict {{'collapsed': …, 'blurry': …}} of two numbers, got {my_prediction!r}."
        values = {name: float(given(prediction[name])) for name in names}
        if not all(0.0 <= v <= 1.0 for v in values.values()):
            return f"recall is a share of the real points, between 0 and 1; got {values}."
        measured = {name: metrics.precision_recall(real_features, generated_features[name], k).recall for name in names}
        good = (metrics.precision_recall(real_features, generated_features["good"], k).recall
                if "good" in generated_features else None)
        wrong = [name for name in names if abs(values[name] - measured[name]) > RECALL_TOLERANCE]
        summary = ", ".join(f"{name} {measured[name]:.3f} (you: {values[name]:.2f})" for name in names)
        reasons = " ".join(f"{name.capitalize()}: {_recall_reason(name, real_features, generated_features, k, good)}."
                           for name in (names if not wrong else wrong))
        if not wrong:
            shown["explanation"] = f"   Measured recall: {summary}. {reasons}"
            return None
        return f"measured recall: {summary}. {reasons}"

    passed = run_check("Exercise 2 · recall of the collapsed and the blurry generator",
                       "a generated sample's ball reaches its k-th nearest *generated* neighbour (k = 3). For each "
                       "generator, ask what that neighbour is, and whether real digits lie near its samples in feature space.",
                       test)
    if passed:
        print(shown["explanation"])
    return passed


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
