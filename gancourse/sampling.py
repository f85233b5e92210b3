"""Sampling from a trained GAN beyond plain G(z): discriminator rejection sampling (DRS)."""

from __future__ import annotations

import torch

from gancourse.training import Trainer


def discriminator_scores(trainer: Trainer, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    """D's logits for ``x``, in eval mode and in batches of the training batch size (minibatch std sees
    batches like the ones it was trained on)."""
    return trainer.family.apply_in_eval_mode(trainer.discriminator, x, batch_size)


@torch.no_grad()
def rejection_sample(trainer: Trainer, n: int, seed: int, *, percentile: float = 80.0, batch_size: int = 128,
                     burn_in: int = 10_000, max_rounds: int = 50) -> tuple[torch.Tensor, float]:
    """Discriminator rejection sampling (DRS, :cite:`azadi2019drs`).

    For the optimal discriminator, logit D*(x) = log p_data(x) / p_g(x) (notebook 03's D*), so accepting a
    generated x with probability ∝ exp(logit) turns p_g into p_data.  As in the paper, with M the largest
    logit seen on ``burn_in`` samples, x is accepted with probability sigmoid(F(x) − γ), where
    F(x) = logit − M − log(1 − exp(logit − M − ε)), and γ is the ``percentile``-th percentile of F on the
    burn-in samples (higher γ = stricter).  Only the trained D is used — never the known modes of the data.
    Returns (n accepted samples, acceptance rate).
    """
    gen = torch.Generator().manual_seed(seed)

    def propose(m):
        z = torch.randn(m, trainer.latent_dim, generator=gen)
        x = trainer.generate(z.to(trainer.device)).cpu()  # the weight average when the recipe keeps one
        return x, discriminator_scores(trainer, x, batch_size)

    _, burn = propose(burn_in)
    top = burn.max()

    def f_score(logit):
        return logit - top - torch.log1p(-torch.exp(logit - top - 1e-6).clamp(max=1 - 1e-6))

    gamma = torch.quantile(f_score(burn), percentile / 100.0)
    kept, proposed = [], 0
    for _ in range(max_rounds):
        x, logit = propose(max(n, 1000))
        proposed += len(x)
        accept = torch.rand(len(x), generator=gen) < torch.sigmoid(f_score(logit) - gamma)
        kept.append(x[accept])
        if sum(len(k) for k in kept) >= n:
            break
    samples = torch.cat(kept)
    if len(samples) < n:
        raise RuntimeError(f"rejection sampling accepted only {len(samples)} of {proposed} proposals; lower the percentile")
    return samples[:n], len(samples) / proposed
