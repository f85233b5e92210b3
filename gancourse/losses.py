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


def least_squares_discriminator_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor, real_target: float = 1.0,
                                     fake_target: float = 0.0) -> torch.Tensor:
    """LSGAN discriminator loss ½E[(D(x) − b)²] + ½E[(D(G(z)) − a)²] with b = ``real_target``,
    a = ``fake_target`` (:cite:`mao2017lsgan`).  D's outputs are raw scores regressed onto the two targets;
    a score map (e.g. PatchGAN's N×1×H×W) is averaged over all its entries."""
    if real_target == fake_target:
        raise ValueError(f"real_target and fake_target must differ, got {real_target} for both")
    return 0.5 * ((real_scores - real_target).square().mean() + (fake_scores - fake_target).square().mean())


def least_squares_generator_loss(fake_scores: torch.Tensor, target: float = 1.0) -> torch.Tensor:
    """LSGAN generator loss ½E[(D(G(z)) − c)²], c = ``target``: pull the fakes' scores onto c.  With c = b
    (the 0-1 coding a = 0, b = c = 1) a fake far on the real side of the boundary still gets a gradient
    pulling it back, unlike the sigmoid's flat tails."""
    return 0.5 * (fake_scores - target).square().mean()


def energy_discriminator_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    """EBGAN discriminator loss E[E(x)] + E[max(0, m − E(G(z)))] (:cite:`zhao2017ebgan`), m = ``margin``.

    The scores are **negative energies** (score = −E, so a higher score means "more real" as for every
    other objective): D lowers the energy of real data and pushes fakes' energy up to the margin, no further.
    """
    if margin <= 0:
        raise ValueError(f"margin must be positive, got {margin}")
    return (-real_scores).mean() + F.relu(margin + fake_scores).mean()


def energy_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """EBGAN generator loss E[E(G(z))] = −E[score]: make fakes that D's autoencoder reconstructs well."""
    return (-fake_scores).mean()


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

