"""Checks for notebook 10 (pros, cons and stability).

Expected values are measured, never copied from a solution: the prediction exercise is judged against the
comparison table the notebook itself computed (:func:`gancourse.stability.summary`), and the feature-matching
loss against :func:`gancourse.training.gan.feature_matching_loss` on random features, gradients included.
"""

from __future__ import annotations

import torch

from gancourse.checks import call, given, run_check


# ---- Exercise 1: predict which fix covers the most modes, then measure ----------------------------------------
def check_best_fix_prediction(my_best, table: dict[str, dict[str, float]]) -> bool:
    """Exercise 1: ``my_best`` names the method (a key of ``table``) with the most modes covered on average.

    ``table`` is :func:`gancourse.stability.summary` of the notebook's own runs; every method whose mean is
    within 0.5 modes of the top counts as a correct answer (three seeds cannot separate them more finely).
    """

    def test():
        name = given(my_best)
        if not isinstance(name, str) or name not in table:
            return f"{name!r} is not one of the compared methods: {', '.join(table)}."
        top = max(row["modes"] for row in table.values())
        best = [n for n, row in table.items() if row["modes"] >= top - 0.5]
        mine = table[name]["modes"]
        if name in best:
            return None
        return (f"{name} covered {mine:.1f} modes on average; the most was {top:.1f} ({', '.join(best)}). "
                "Look at what each method changes: does it give D a view of the whole batch, or change the schedule?")

    return run_check("Exercise 1 · which fix covers the most modes",
                     "Mode collapse means many samples, few modes. Which methods let D see how spread out a batch is, "
                     "or settle the game at the end of training?", test)


# ---- Exercise 2: feature matching's generator loss ------------------------------------------------------------
def _feature_cases():
    gen = torch.Generator().manual_seed(5)
    for n_real, n_fake, width in ((16, 16, 8), (32, 12, 5)):
        real = torch.randn(n_real, width, generator=gen) * 2 + 1
        fake = torch.randn(n_fake, width, generator=gen)
        yield real, fake


def check_feature_matching_loss(my_loss) -> bool:
    """Exercise 2: ``my_loss(real_features, fake_features)`` → ‖mean real − mean fake‖² (a 0-d tensor),
    differentiable in the fake features only (the real statistics are the target)."""
    from gancourse.training.gan import feature_matching_loss

    def test():
        for real, fake in _feature_cases():
            fake_mine = fake.clone().requires_grad_(True)
            real_mine = real.clone().requires_grad_(True)
            value = call(my_loss, real_mine, fake_mine)
            if not isinstance(value, torch.Tensor) or value.numel() != 1:
                return f"return one number as a 0-d tensor, got {type(value).__name__} {getattr(value, 'shape', '')}."
            fake_ref = fake.clone().requires_grad_(True)
            expected = feature_matching_loss(real, fake_ref)
            if not torch.allclose(value.reshape(()), expected, rtol=1e-4, atol=1e-5):
                per_sample = (real[: len(fake)] - fake).square().mean() if len(real) >= len(fake) else None
                if per_sample is not None and torch.allclose(value.reshape(()), per_sample, rtol=1e-4):
                    return ("you compared the samples one by one: feature matching compares the *averages* over the batch "
                            "(the fakes need not pair with any real sample).")
                return f"your loss is {float(value.detach()):.4f}, expected {float(expected.detach()):.4f} on the same features."
            value.reshape(()).backward()
            expected.backward()
            if fake_mine.grad is None or not torch.allclose(fake_mine.grad, fake_ref.grad, rtol=1e-4, atol=1e-6):
                return "the value is right but its gradient with respect to the fake features is not."
            if real_mine.grad is not None and real_mine.grad.abs().max() > 0:
                return ("the value is right, but the gradient also flows into the real features: the real statistics "
                        "are a fixed target for G (detach them).")
        return None

    return run_check("Exercise 2 · feature matching",
                     "both inputs are (batch × features) tensors, and the two batches need not be the same size: "
                     "which dimension is the batch? Only G learns from this loss: which of the two inputs must not "
                     "pass a gradient back? And the check wants one number (a 0-d tensor), not a vector.", test)
