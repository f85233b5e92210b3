"""GAN objectives: the two losses, and what D's output means — said once, asked everywhere.

An :class:`Objective` pairs a discriminator (or critic) loss with a generator loss and states whether D
outputs **logits** (D(x) = sigmoid(logit) is a probability of "real") or unbounded **critic** scores, and
at which score D's verdict flips from "fake" to "real" (``threshold``).  Every objective reads a higher
score as "more real": LSGAN's scores are regressed onto targets a < b, EBGAN's are negative energies.
Training statistics, plots and widgets ask the objective (``outputs_probabilities``, :meth:`monitor`)
instead of comparing objective names.
"""

from __future__ import annotations

import dataclasses
import functools
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
    threshold: the score where D's verdict flips (real above, fake below): 0 for logits, critics and the
    hinge loss; the midpoint (a + b)/2 of LSGAN's targets; −m/2 for EBGAN (energy 0 for real, m for fakes).
    """

    name: str
    discriminator_loss: Callable[..., torch.Tensor]
    generator_loss: Callable[[torch.Tensor], torch.Tensor]
    scores: str
    lipschitz: str | None = None
    smoothable: bool = False
    threshold: float = 0.0

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
        (the W1 estimate of a Lipschitz critic) or ``d_accuracy`` (score above ``threshold`` as the verdict "real").
        """
        with torch.no_grad():
            if self.outputs_probabilities:
                stats = {"d_real": torch.sigmoid(real_out).mean(), "d_fake": torch.sigmoid(fake_out).mean()}
            else:
                stats = {"critic_real": real_out.mean(), "critic_fake": fake_out.mean()}
            if self.estimates_wasserstein:
                stats["wasserstein"] = real_out.mean() - fake_out.mean()
            else:
                stats["d_accuracy"] = 0.5 * ((real_out > self.threshold).float().mean()
                                             + (fake_out < self.threshold).float().mean())
        return stats

    @property
    def verdict_label(self) -> str:
        """What a heat map of sigmoid(D's output) shows: D(x), or only a colour scale for a critic's score."""
        return "D(x)" if self.outputs_probabilities else "sigmoid(critic score)"

    def with_generator_loss(self, generator_loss: Callable[[torch.Tensor], torch.Tensor], name: str | None = None) -> "Objective":
        """The same objective with another generator loss (e.g. one under test in an exercise)."""
        return dataclasses.replace(self, generator_loss=generator_loss, name=name or f"{self.name}+custom generator loss")


def least_squares_objective(real_target: float = 1.0, fake_target: float = 0.0, generator_target: float = 1.0) -> Objective:
    """LSGAN (:cite:`mao2017lsgan`): D regresses real scores onto b = ``real_target`` and fake scores onto
    a = ``fake_target``; G pulls its fakes' scores onto c = ``generator_target``.

    The default a = 0, b = c = 1 is the paper's "0-1 binary coding" (c = b: G aims its fakes at the real
    target; CycleGAN's code uses it too); a = −1, b = 1, c = 0 is the coding for which the paper proves that G minimises the
    Pearson χ² divergence of p_data + p_g from 2p_g (b − c = 1, b − a = 2).  D's verdict flips at (a + b)/2.
    """
    if not fake_target < real_target:
        raise ValueError(f"fake_target (a) must be below real_target (b) so that a higher score means 'more real', "
                         f"got a = {fake_target}, b = {real_target}")
    default = (real_target, fake_target, generator_target) == (1.0, 0.0, 1.0)
    name = "lsgan" if default else f"lsgan(a={fake_target:g}, b={real_target:g}, c={generator_target:g})"
    return Objective(name, functools.partial(losses.least_squares_discriminator_loss, real_target=real_target,
                                             fake_target=fake_target),
                     functools.partial(losses.least_squares_generator_loss, target=generator_target), "critic",
                     threshold=0.5 * (real_target + fake_target))


def energy_objective(margin: float = 1.0) -> Objective:
    """EBGAN (:cite:`zhao2017ebgan`) with margin m: the discriminator is an autoencoder whose reconstruction
    error is the energy, and it returns the **negative** energy as its score
    (:class:`gancourse.models.EnergyDiscriminator`).  Real data is pushed to energy 0, fakes up to m, so
    the verdict flips at energy m/2, i.e. score −m/2.  m is a hyperparameter on the scale of the energy (the
    paper searched it); with a per-element mean squared error on data in [−1, 1], energies lie roughly in [0, 4]."""
    if not margin > 0:
        raise ValueError(f"margin must be positive, got {margin}")
    name = "ebgan" if margin == 1.0 else f"ebgan(margin={margin:g})"
    return Objective(name, functools.partial(losses.energy_discriminator_loss, margin=margin),
                     losses.energy_generator_loss, "critic", threshold=-0.5 * margin)


OBJECTIVES = {
    "gan": Objective("gan", losses.discriminator_loss, losses.generator_loss_nonsaturating, "logits", smoothable=True),
    "gan-saturating": Objective("gan-saturating", losses.discriminator_loss, losses.generator_loss_saturating, "logits",
                                smoothable=True),
    "wgan": Objective("wgan", losses.critic_loss, losses.wasserstein_generator_loss, "critic", lipschitz="clip"),
    "wgan-gp": Objective("wgan-gp", losses.critic_loss, losses.wasserstein_generator_loss, "critic", lipschitz="penalty"),
    "hinge": Objective("hinge", losses.hinge_discriminator_loss, losses.hinge_generator_loss, "critic"),
    "lsgan": least_squares_objective(),
    "ebgan": energy_objective(),
}


def get_objective(objective: str | Objective) -> Objective:
    """An :class:`Objective` by name (``gan``, ``gan-saturating``, ``wgan``, ``wgan-gp``, ``hinge``, ``lsgan``,
    ``ebgan``), or as given (e.g. from :func:`least_squares_objective` or :func:`energy_objective` with other settings)."""
    if isinstance(objective, Objective):
        return objective
    if objective not in OBJECTIVES:
        raise ValueError(f"Unknown objective {objective!r}; choose one of {sorted(OBJECTIVES)} or pass an Objective.")
    return OBJECTIVES[objective]
