"""GAN objectives written on raw discriminator outputs (logits or critic scores), one function each.

Working on logits instead of probabilities keeps log D and log(1 - D) finite: ``softplus`` is the
numerically stable form of ``-log(sigmoid(.))`` (the trap of Sigmoid + BCELoss).
With D = sigmoid(logit):  -log D = softplus(-logit)  and  -log(1 - D) = softplus(logit).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, label_smoothing: float = 0.0) -> torch.Tensor:
    """Binary cross-entropy of D: −E[log D(x)] − E[log(1 − D(G(z)))] = −V(D, G) (:cite:`goodfellow2014gan`).

    ``label_smoothing`` = s sets the real target to 1 − s (one-sided smoothing, :cite:`salimans2016improved`);
    fake targets stay 0.  At D = 1/2 everywhere the loss is log 4.
    """
    if not 0.0 <= label_smoothing < 0.5:
        raise ValueError(f"label_smoothing must be in [0, 0.5), got {label_smoothing}")
    real_target = torch.full_like(real_logits, 1.0 - label_smoothing)
    real_term = F.binary_cross_entropy_with_logits(real_logits, real_target)
    fake_term = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real_term + fake_term


def generator_loss_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """The minimax generator loss E[log(1 − D(G(z)))], minimised by G.  Its gradient vanishes when D
    confidently rejects fakes (D(G(z)) → 0), which is exactly the start of training."""
    return -F.softplus(fake_logits).mean()


def generator_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss −E[log D(G(z))]: same fixed point, strong gradients early."""
    return F.softplus(-fake_logits).mean()


def critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """WGAN critic loss E[f(G(z))] − E[f(x)] (:cite:`arjovsky2017wgan`); its negative estimates W1."""
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """WGAN generator loss −E[f(G(z))]: raise the critic's score of the fakes."""
    return -fake_scores.mean()


def hinge_discriminator_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """Hinge loss E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))] (:cite:`lim2017hinge`, :cite:`miyato2018spectral`)."""
    return F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()


def hinge_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """Generator side of the hinge loss: −E[D(G(z))]."""
    return -fake_scores.mean()


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None = None,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """WGAN-GP penalty E[(‖∇_x̂ f(x̂)‖₂ − 1)²] at random points x̂ between real and fake (:cite:`gulrajani2017wgangp`).

    The graph is kept (``create_graph=True``) so the penalty itself can be back-propagated.
    """
    if real.shape != fake.shape:
        raise ValueError(f"real and fake batches must have the same shape, got {tuple(real.shape)} and {tuple(fake.shape)}")
    # drawn on the CPU (where ``generator`` lives) and moved: the same mixing weights on every device
    alpha = torch.rand(len(real), *([1] * (real.ndim - 1)), generator=generator).to(real.device)
    mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    scores = critic(mixed) if labels is None else critic(mixed, labels)
    (grads,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    return ((grads.flatten(1).norm(2, dim=1) - 1.0) ** 2).mean()

