"""pix2pix (:cite:`isola2017pix2pix`): paired image-to-image translation, a conditional GAN plus an L1 term.

G maps an input x to an output G(x); a conditional discriminator D sees x with either the real target y or
G(x).  One step (the paper's Sec. 3 and its training procedure, one D update then one G update):

- D: minimise ½ · [BCE(D(x, y), real) + BCE(D(x, G(x)), fake)]  (the paper halves D's objective);
- G: minimise L_cGAN = −log D(x, G(x)) (non-saturating)  +  λ · L1 = λ · mean |y − G(x)|, with λ = 100.

L1 alone gets the large-scale layout right but, where several outputs fit one input, predicts a blurry
compromise; the adversarial term makes G pick a sharp, plausible one.  ``discriminator=None`` trains G on
the L1 loss alone (the paper's "L1" baseline), on the same data and budget.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gancourse.training.objectives import Objective
from gancourse.training.paired import PairedGAN


class Pix2Pix(PairedGAN):
    """pix2pix: a generator ``G(x)`` and a conditional discriminator ``D(output, condition=x)`` (e.g.
    :class:`~gancourse.translation_models.PatchDiscriminator` with ``condition_channels``), or
    ``discriminator=None`` for the L1-only baseline.  Batches are ``(inputs, targets)``.

    objective: one without a Lipschitz constraint (default ``gan`` — BCE, the paper's —, ``gan-saturating``,
    ``hinge``, or an :class:`Objective`); lr_d defaults to 2e-4; l1_weight: λ (100 in the paper); l1_weight = 0 leaves the
    adversarial loss alone (the paper's "cGAN" ablation).
    """

    name, title = "pix2pix", "pix2pix"
    batches_hint = "gancourse.translation_data.paired(...).batches()"
    reconstruction_name, baseline_name = "l1", "the L1-only baseline"
    default_lr_d = 2e-4
    discriminator_loss_scale = 0.5  # the paper halves D's objective, slowing D relative to G

    def __init__(self, generator: nn.Module, discriminator: nn.Module | None, *, l1_weight: float = 100.0,
                 objective: str | Objective | None = None, lr_g: float = 2e-4, lr_d: float | None = None,
                 betas: tuple[float, float] | None = None, optimizer: str = "adam", seed: int = 0):
        if not (isinstance(l1_weight, (int, float)) and l1_weight >= 0):
            raise ValueError(f"l1_weight (λ) must be a number ≥ 0, got {l1_weight!r}")
        if discriminator is None and l1_weight == 0:
            raise ValueError("with no discriminator the L1 term is the only loss: l1_weight must be > 0")
        if discriminator is not None and getattr(discriminator, "conditional", True) is False:
            raise ValueError("pix2pix's discriminator sees the input too: build it conditional, e.g. "
                             "PatchDiscriminator(channels=…, condition_channels=<the input's channels>)")
        super().__init__(generator, discriminator, objective=objective, lr_g=lr_g, lr_d=lr_d, betas=betas,
                         optimizer=optimizer, seed=seed)
        self.l1_weight = float(l1_weight)

    @property
    def reconstruction_weight(self) -> float:
        """λ, the L1 term's weight (the adversarial term's is 1)."""
        return self.l1_weight

    def config(self) -> dict:
        return {**super().config(), "l1_weight": self.l1_weight}

    def reconstruction_loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """L1 = mean |y − G(x)|."""
        return F.l1_loss(outputs, targets)

    def judge(self, images: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """D sees the pair (x, image): it judges whether the image fits its input."""
        return self.discriminator(images, inputs)
