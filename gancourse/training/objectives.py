"""GAN objectives: the two losses, and what D's output means — said once, asked everywhere.

An :class:`Objective` pairs a discriminator (or critic) loss with a generator loss and states whether D
outputs **logits** (D(x) = sigmoid(logit) is a probability of "real") or unbounded **critic** scores.
Training statistics, plots and widgets ask the objective (``outputs_probabilities``, :meth:`monitor`)
instead of comparing objective names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import torch

from gancourse import losses

SCORE_KINDS = ("logits", "critic")
LIPSCHITZ = (None, "clip", "penalty")


@dataclass(frozen=True)
class Objective:
    """One GAN objective.

    discriminator_loss(real_out, fake_out) and generator_loss(fake_out) take D's raw outputs.
    scores: ``"logits"`` or ``"critic"``.  lipschitz: how a Wasserstein critic is kept 1-Lipschitz —
    ``"clip"`` (weight clipping, WGAN) or ``"penalty"`` (gradient penalty, WGAN-GP); None otherwise.
    smoothable: the discriminator loss takes one-sided label smoothing (the BCE losses).
    """

    name: str
    discriminator_loss: Callable[..., torch.Tensor]
    generator_loss: Callable[[torch.Tensor], torch.Tensor]
    scores: str
    lipschitz: str | None = None
    smoothable: bool = False

    def __post_init__(self):
        if self.scores not in SCORE_KINDS:
            raise ValueError(f"scores must be one of {SCORE_KINDS}, got {self.scores!r}")
        if self.lipschitz not in LIPSCHITZ:
            raise ValueError(f"lipschitz must be one of {LIPSCHITZ}, got {self.lipschitz!r}")

    @property
    def outputs_probabilities(self) -> bool:
        """True when sigmoid(D's output) is D's probability that the input is real."""
        return self.scores == "logits"

    @property
    def estimates_wasserstein(self) -> bool:
        """True when E[f(x)] − E[f(G(z))] estimates the Wasserstein-1 distance (a Lipschitz critic)."""
        return self.lipschitz is not None

    def monitor(self, real_out: torch.Tensor, fake_out: torch.Tensor) -> dict[str, torch.Tensor]:
        """What to log about D on one real and one fake batch (0-d tensors, no device sync).

        Probabilities: ``d_real`` = mean D(x), ``d_fake`` = mean D(G(z)) and ``d_accuracy``.
        Critic scores: ``critic_real``, ``critic_fake`` (mean raw scores) and either ``wasserstein``
        (the W1 estimate of a Lipschitz critic) or ``d_accuracy`` (the sign of the score as the verdict).
        """
        with torch.no_grad():
            if self.outputs_probabilities:
                stats = {"d_real": torch.sigmoid(real_out).mean(), "d_fake": torch.sigmoid(fake_out).mean()}
            else:
                stats = {"critic_real": real_out.mean(), "critic_fake": fake_out.mean()}
            if self.estimates_wasserstein:
                stats["wasserstein"] = real_out.mean() - fake_out.mean()
            else:
                stats["d_accuracy"] = 0.5 * ((real_out > 0).float().mean() + (fake_out < 0).float().mean())
        return stats

    @property
    def verdict_label(self) -> str:
        """What a heat map of sigmoid(D's output) shows: D(x), or only a colour scale for a critic's score."""
        return "D(x)" if self.outputs_probabilities else "sigmoid(critic score)"

    def with_generator_loss(self, generator_loss: Callable[[torch.Tensor], torch.Tensor], name: str | None = None) -> "Objective":
        """The same objective with another generator loss (e.g. one under test in an exercise)."""
        return dataclasses.replace(self, generator_loss=generator_loss, name=name or f"{self.name}+custom generator loss")


OBJECTIVES = {
    "gan": Objective("gan", losses.discriminator_loss, losses.generator_loss_nonsaturating, "logits", smoothable=True),
    "gan-saturating": Objective("gan-saturating", losses.discriminator_loss, losses.generator_loss_saturating, "logits",
                                smoothable=True),
    "wgan": Objective("wgan", losses.critic_loss, losses.wasserstein_generator_loss, "critic", lipschitz="clip"),
    "wgan-gp": Objective("wgan-gp", losses.critic_loss, losses.wasserstein_generator_loss, "critic", lipschitz="penalty"),
    "hinge": Objective("hinge", losses.hinge_discriminator_loss, losses.hinge_generator_loss, "critic"),
}


def get_objective(objective: str | Objective) -> Objective:
    """An :class:`Objective` by name (``gan``, ``gan-saturating``, ``wgan``, ``wgan-gp``, ``hinge``), or as given."""
    if isinstance(objective, Objective):
        return objective
    if objective not in OBJECTIVES:
        raise ValueError(f"Unknown objective {objective!r}; choose one of {sorted(OBJECTIVES)} or pass an Objective.")
    return OBJECTIVES[objective]
