"""The semi-supervised GAN of Salimans et al. (:cite:`salimans2016improved`, section 5): D is a K+1-class classifier.

D outputs K logits l_1 … l_K for the real classes; the (K+1)-th class, "generated", has its logit fixed at
0, so D's probability that x is real is D(x) = Z(x) / (Z(x) + 1) with Z(x) = Σ_k exp l_k(x).  D's loss is

    L_D = cross-entropy of the K classes on the labelled batch                      (supervised)
          − E_x log D(x) − E_z log(1 − D(G(z)))    on unlabelled real and generated (unsupervised),

so unlabelled real images count through the "real" mass Z: they push up *some* class without saying which.
G is trained by **feature matching**: it matches the mean of an intermediate layer of D on real and on
generated batches, ‖E f(x) − E f(G(z))‖², as the paper does for its best classification results.
:class:`SemiSupervisedDiscriminator` is the paper's MNIST D made smaller (Gaussian noise on the input and
after every hidden layer), and :class:`LabelledAndUnlabelled` is the data stream: a labelled batch and an
unlabelled batch per step.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from gancourse.data import Batches
from gancourse.models import RecordsConfig
from gancourse.training.family import Family, frozen, model_config
from gancourse.training.gan import feature_matching_loss

__all__ = ["SemiSupervisedDiscriminator", "SemiSupervisedGAN", "LabelledAndUnlabelled", "real_log_probability",
           "semi_supervised_discriminator_loss"]


class SemiSupervisedDiscriminator(RecordsConfig):
    """sample → Gaussian noise → hidden layers (LeakyReLU 0.2, Gaussian noise after each) → ``num_classes`` logits.

    The noise (std ``input_noise`` on the input, ``hidden_noise`` after each hidden layer) acts in training mode
    only; it is the regulariser of the paper's MNIST discriminator.  :meth:`features` returns the last hidden
    layer, the one feature matching compares.  The same network, trained on labels alone, is the few-label
    baseline classifier of notebook 09.
    """

    def __init__(self, input_shape, num_classes: int = 10, hidden=(500, 250, 250), *, input_noise: float = 0.3,
                 hidden_noise: float = 0.5):
        super().__init__()
        if num_classes < 2 or not hidden or input_noise < 0 or hidden_noise < 0:
            raise ValueError(f"need num_classes ≥ 2, at least one hidden layer and noise levels ≥ 0, got {num_classes}, "
                             f"{hidden}, {input_noise}, {hidden_noise}")
        self.input_shape = tuple([input_shape] if isinstance(input_shape, int) else input_shape)
        self.num_classes, self.input_noise, self.hidden_noise = num_classes, input_noise, hidden_noise
        sizes = [math.prod(self.input_shape), *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.out = nn.Linear(sizes[-1], num_classes)

    def _noisy(self, h: torch.Tensor, std: float) -> torch.Tensor:
        return h + std * torch.randn_like(h) if self.training and std else h

    def features(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 1 + len(self.input_shape) or tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"expected input of shape (N, {', '.join(map(str, self.input_shape))}), got {tuple(x.shape)}")
        h = self._noisy(x.flatten(1), self.input_noise)
        for i, layer in enumerate(self.hidden):
            h = F.leaky_relu(layer(h), 0.2)
            if i < len(self.hidden) - 1:  # the last hidden layer is what feature matching reads: noise-free
                h = self._noisy(h, self.hidden_noise)
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.features(x))


def real_log_probability(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(log D(x), log(1 − D(x))) from the K logits, the generated class's logit being 0.

    With L = logsumexp(l): D = e^L / (e^L + 1) = σ(L), so log D = −softplus(−L) and log(1 − D) = −softplus(L),
    both stable for any L.
    """
    total = torch.logsumexp(logits, dim=1)
    return -F.softplus(-total), -F.softplus(total)


def semi_supervised_discriminator_loss(labelled_logits: torch.Tensor, labels: torch.Tensor,
                                       unlabelled_logits: torch.Tensor, fake_logits: torch.Tensor
                                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """(supervised, unsupervised) parts of D's loss: cross-entropy of the K classes on the labelled batch, and
    −E log D(x) − E log(1 − D(G(z))) on the unlabelled and the generated batch."""
    supervised = F.cross_entropy(labelled_logits, labels)
    log_real, _ = real_log_probability(unlabelled_logits)
    _, log_fake = real_log_probability(fake_logits)
    return supervised, -log_real.mean() - log_fake.mean()


class LabelledAndUnlabelled:
    """Endless ``(labelled images, labels, unlabelled images)`` batches from two seeded :class:`Batches`."""

    def __init__(self, labelled_images: torch.Tensor, labels: torch.Tensor, unlabelled_images: torch.Tensor,
                 batch_size: int = 100, *, seed: int = 0, device: str | torch.device = "cpu"):
        self.labelled = Batches(labelled_images, labels, min(batch_size, len(labelled_images)), seed=seed, device=device)
        self.unlabelled = Batches(unlabelled_images, None, batch_size, seed=seed + 1, device=device)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        for (x, y), (u, _) in zip(self.labelled, self.unlabelled):
            yield x, y, u


class SemiSupervisedGAN(Family):
    """One step: one D update on a labelled, an unlabelled and a generated batch, then one G update by
    feature matching on a fresh generated batch.  Batches are ``(labelled, labels, unlabelled)``
    (:class:`LabelledAndUnlabelled`).  Adam with the paper's β₁ = 0.5; ``unsupervised_weight`` scales the
    unsupervised part of D's loss (1 in the paper; 0 leaves a plain supervised classifier and an idle G).
    """

    name = "semi-supervised-gan"

    def __init__(self, generator: nn.Module, discriminator: SemiSupervisedDiscriminator, *, lr_g: float = 1e-3,
                 lr_d: float = 1e-3, betas: tuple[float, float] = (0.5, 0.999), unsupervised_weight: float = 1.0,
                 seed: int = 0):
        super().__init__(seed)
        if not hasattr(generator, "latent_dim"):
            raise TypeError("the generator needs a `latent_dim` attribute (the size of its noise input)")
        if getattr(generator, "num_classes", None):
            raise ValueError("the semi-supervised GAN's generator is unconditional: build it with num_classes=None")
        if not callable(getattr(discriminator, "features", None)):
            raise TypeError("the discriminator needs a `features(x)` method (the layer feature matching compares), "
                            "e.g. SemiSupervisedDiscriminator")
        if unsupervised_weight < 0:
            raise ValueError(f"unsupervised_weight must be ≥ 0, got {unsupervised_weight}")
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim, self.num_classes = generator.latent_dim, discriminator.num_classes
        self.unsupervised_weight = unsupervised_weight
        self.set_up_optimizers(generator.parameters(), discriminator.parameters(), optimizer="adam", lr_g=lr_g,
                               lr_d=lr_d, betas=betas)

    def config(self) -> dict:
        return {**super().config(), **self.optimizer_config(), "unsupervised_weight": self.unsupervised_weight,
                "generator": model_config(self.generator), "discriminator": model_config(self.discriminator)}

    # ---- the algorithm ------------------------------------------------------------------------------------
    def train_step(self, batches) -> dict[str, torch.Tensor]:
        self.generator.train()
        self.discriminator.train()
        labelled, labels, unlabelled = self.unpack(next(batches))
        # D: K classes on the labelled batch; "real" mass on unlabelled real, "generated" on fakes
        with torch.no_grad():
            fake = self.generator(self.noise(len(unlabelled), self.latent_dim))
        supervised, unsupervised = semi_supervised_discriminator_loss(
            self.discriminator(labelled), labels, self.discriminator(unlabelled), self.discriminator(fake))
        loss_d = supervised + self.unsupervised_weight * unsupervised
        grad_norm_d = self.descend(self.d_opt, loss_d, self._discriminator_params)
        # G: feature matching on D's last hidden layer, with D frozen
        with frozen(self._discriminator_params):
            with torch.no_grad():
                real_features = self.discriminator.features(unlabelled)
            fake_features = self.discriminator.features(self.generator(self.noise(len(unlabelled), self.latent_dim)))
            loss_g = feature_matching_loss(real_features, fake_features)
        grad_norm_g = self.descend(self.g_opt, loss_g, self._generator_params)
        return {"loss_d": loss_d.detach(), "loss_supervised": supervised.detach(),
                "loss_unsupervised": unsupervised.detach(), "loss_g": loss_g.detach(),
                "grad_norm_d": grad_norm_d, "grad_norm_g": grad_norm_g}

    def unpack(self, batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        items = self.prepare(batch)
        if len(items) != 3 or any(t is None for t in items):
            raise ValueError("a semi-supervised batch is (labelled images, labels, unlabelled images): "
                             "use LabelledAndUnlabelled")
        return items

    # ---- using it -----------------------------------------------------------------------------------------
    @torch.no_grad()
    def classify(self, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """D's predicted class (argmax of the K logits; the generated class is ignored) in eval mode, on the CPU."""
        return self.apply_in_eval_mode(self.discriminator, images, batch_size).argmax(1)

    def fixed_inputs(self, count: int) -> tuple[torch.Tensor, None]:
        z = torch.randn(count, self.latent_dim, generator=torch.Generator().manual_seed(self.seed + 1)).to(self.device)
        return z, None

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        """``n`` samples of G on the CPU in eval mode; ``seed`` fixes the noise."""
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        return self.generate(torch.randn(n, self.latent_dim, generator=gen).to(self.device)).cpu().contiguous()
