"""The GAN family: Goodfellow et al.'s alternating game for any objective, conditional or not.

One training step is Algorithm 1 of :cite:`goodfellow2014gan`: ``critic_steps`` (k) updates of D on a
real batch and a fresh fake batch, then one update of G through the just-updated D.  The objective
(:mod:`gancourse.training.objectives`) supplies the two losses — GAN (BCE), saturating GAN, WGAN with
weight clipping :cite:`arjovsky2017wgan`, WGAN-GP :cite:`gulrajani2017wgangp`, hinge
:cite:`lim2017hinge` — and a generator/discriminator given ``num_classes`` makes it a CGAN
:cite:`mirza2014cgan`.  Regularisers: R1 on real data :cite:`mescheder2018convergence` (lazy with
``r1_every``), one-sided label smoothing, feature matching and historical averaging
:cite:`salimans2016improved`, and instance noise :cite:`sonderby2017amortised`.  TTUR is simply
``lr_d`` ≠ ``lr_g`` :cite:`heusel2017ttur`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import torch
from torch import nn

from gancourse.losses import gradient_penalty
from gancourse.training.family import Family, frozen, make_optimizer, model_config  # noqa: F401 (re-exported)
from gancourse.training.objectives import Objective, get_objective

_BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)



def r1_penalty(real_scores: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """R1 penalty E[‖∇_x D(x)‖²] on real data (``real`` must require grad); the graph is kept."""
    (grads,) = torch.autograd.grad(real_scores.sum(), real, create_graph=True)
    return grads.flatten(1).pow(2).sum(1).mean()


def feature_matching_loss(real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """Feature matching (:cite:`salimans2016improved`, §3.1): ‖E f(x) − E f(G(z))‖² on D's last hidden
    features.  G matches the statistics of real data as D sees them instead of maximising D's output;
    the real features are a fixed target (no gradient)."""
    return (real_features.detach().mean(0) - fake_features.mean(0)).square().sum()


class HistoricalAverage(nn.Module):
    """Historical averaging (:cite:`salimans2016improved`, §3.3): the penalty ‖θ − θ̄‖² pulls a player's
    parameters θ towards θ̄, the mean of all its past parameters, which damps the two players' circling.

    θ̄ is kept as buffers (saved and rolled back with the family); :meth:`update` adds the current θ.
    """

    def __init__(self, params: list[nn.Parameter]):
        super().__init__()
        self.params = params
        for i, p in enumerate(params):
            self.register_buffer(f"mean{i}", p.detach().clone())
        self.register_buffer("count", torch.ones(()))

    def penalty(self) -> torch.Tensor:
        return sum((p - getattr(self, f"mean{i}")).square().sum() for i, p in enumerate(self.params))

    @torch.no_grad()
    def update(self) -> None:
        self.count += 1
        for i, p in enumerate(self.params):
            getattr(self, f"mean{i}").lerp_(p.detach(), 1.0 / self.count)


def _optimizer_pair(optimizer, betas) -> tuple[str, str]:
    """(generator's, discriminator's) optimizer name from one name or a pair; betas need an Adam among them."""
    if isinstance(optimizer, str):
        names = (optimizer, optimizer)
    else:
        names = tuple(optimizer) if isinstance(optimizer, (tuple, list)) else ()
    if len(names) != 2 or not all(isinstance(name, str) for name in names):
        raise ValueError(f"optimizer must be a name or a (generator, discriminator) pair of names, got {optimizer!r}")
    if betas is not None and not any(name.startswith("adam") for name in names):
        raise ValueError(f"betas apply to the Adam optimizers only, not {optimizer!r}")
    return names


class GAN(Family):
    """k discriminator (critic) steps, then one generator step.

    objective: a name from :data:`~gancourse.training.objectives.OBJECTIVES` or an :class:`Objective`.
    clip_value (WGAN, default 0.01) and gp_weight (WGAN-GP, default 10) apply only to their objective;
    label_smoothing only to the BCE objectives; betas only to Adam.  An argument that does not apply
    is an error, never silently ignored.  ``optimizer`` names both players' optimizer, or gives a
    (generator, discriminator) pair such as ``("sgd", "adam")``; betas then go to the Adam one(s).

    Improved-GAN tricks (:cite:`salimans2016improved`): ``feature_matching=True`` replaces G's loss by
    :func:`feature_matching_loss` on ``discriminator.features`` (the course MLP discriminators have it);
    ``historical_weight`` = λ adds λ‖θ − θ̄‖² (:class:`HistoricalAverage`) to both players' losses.
    ``instance_noise`` = σ adds N(0, σ²) noise to every input of D, real and fake, for D's and G's steps
    (:cite:`sonderby2017amortised`), annealed linearly to 0 over ``instance_noise_steps`` steps if given.

    ``label_shares`` (a conditional G only): how often each label is drawn for the fakes and by :meth:`sample`,
    e.g. the sizes of the clusters a self-conditioned GAN learns from (:func:`gancourse.clusters.cluster_images`).
    Uneven real labels need it: with fakes drawn uniformly, D could call a sample of a rare label fake from the
    label alone.  Default: every label equally often.
    """

    name = "gan"

    def __init__(self, generator: nn.Module, discriminator: nn.Module, *, objective: str | Objective = "gan",
                 lr_g: float = 2e-4, lr_d: float = 2e-4, betas: tuple[float, float] | None = None,
                 optimizer: str | tuple[str, str] = "adam", critic_steps: int = 1, clip_value: float | None = None,
                 gp_weight: float | None = None, r1_weight: float = 0.0, r1_every: int = 1,
                 label_smoothing: float = 0.0, feature_matching: bool = False, historical_weight: float = 0.0,
                 instance_noise: float = 0.0, instance_noise_steps: int | None = None,
                 label_shares: Sequence[float] | None = None, seed: int = 0):
        super().__init__(seed)
        self.objective = get_objective(objective)
        self._check_arguments(discriminator, critic_steps, clip_value, gp_weight, r1_weight, r1_every, label_smoothing)
        if not hasattr(generator, "latent_dim"):
            raise TypeError("the generator needs a `latent_dim` attribute (the size of its noise input)")
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim = generator.latent_dim
        self.num_classes = getattr(generator, "num_classes", None)
        self.critic_steps = critic_steps
        self.clip_value = 0.01 if clip_value is None else clip_value
        self.gp_weight = 10.0 if gp_weight is None else gp_weight
        self.r1_weight, self.r1_every, self.label_smoothing = r1_weight, r1_every, label_smoothing
        g_name, d_name = self.optimizer_names = _optimizer_pair(optimizer, betas)
        self.lr_g, self.lr_d, self.betas = lr_g, lr_d, betas
        self.optimizer_name = optimizer if isinstance(optimizer, str) else self.optimizer_names  # as the config records it
        self.g_opt = self._optimizer_for(g_name, generator.parameters(), lr_g)
        self.d_opt = self._optimizer_for(d_name, discriminator.parameters(), lr_d)
        self.optimizers = {"generator": self.g_opt, "discriminator": self.d_opt}
        self._discriminator_params = list(discriminator.parameters())  # frozen at every generator step
        self._generator_params = list(generator.parameters())
        # the last computed R1 value, logged on lazy steps; a buffer moves with the family and is rolled back
        self.register_buffer("last_r1_penalty", torch.zeros(()))
        self._set_tricks(feature_matching, historical_weight, instance_noise, instance_noise_steps)
        self.label_shares = self._checked_shares(label_shares)
        # the same shares as a tensor, made once: draw_labels runs at every step
        self._label_probs = None if self.label_shares is None else torch.tensor(self.label_shares)

    def _checked_shares(self, label_shares) -> tuple[float, ...] | None:
        """``label_shares`` normalised to sum to 1, after checking that they fit the generator."""
        if label_shares is None:
            return None
        if not self.num_classes:
            raise ValueError("label_shares applies to a conditional generator (num_classes), not an unconditional one")
        shares = [float(x) for x in label_shares]
        total = sum(shares)
        if len(shares) != self.num_classes or min(shares) < 0 or total <= 0:
            raise ValueError(f"label_shares must be {self.num_classes} numbers ≥ 0 with a positive sum (one per label), "
                             f"got {label_shares!r}")
        return tuple(x / total for x in shares)

    def draw_labels(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        """``n`` labels on the CPU: drawn in ``label_shares``, else uniformly."""
        if self._label_probs is None:
            return torch.randint(self.num_classes, (n,), generator=generator)
        return torch.multinomial(self._label_probs, n, replacement=True, generator=generator)

    def _optimizer_for(self, name: str, params, lr: float) -> torch.optim.Optimizer:
        """An optimizer of kind ``name``; the family's betas go to it if it is an Adam."""
        return make_optimizer(name, params, lr, self.betas if name.startswith("adam") else None)

    def _set_tricks(self, feature_matching, historical_weight, instance_noise, instance_noise_steps):
        """Feature matching, historical averaging and instance noise (all off by default)."""
        if feature_matching and not hasattr(self.discriminator, "features"):
            raise ValueError("feature_matching needs a discriminator with a `features(x)` method "
                             "(e.g. gancourse.models.MLPDiscriminator)")
        if historical_weight < 0 or instance_noise < 0:
            raise ValueError(f"historical_weight and instance_noise must be ≥ 0, got {historical_weight} and {instance_noise}")
        if instance_noise_steps is not None and not (instance_noise and isinstance(instance_noise_steps, int)
                                                     and instance_noise_steps >= 1):
            raise ValueError("instance_noise_steps applies only with instance_noise > 0 and must be an integer ≥ 1")
        self.feature_matching, self.historical_weight = bool(feature_matching), historical_weight
        self.instance_noise, self.instance_noise_steps = instance_noise, instance_noise_steps
        if historical_weight:
            self.history_g = HistoricalAverage(self._generator_params)
            self.history_d = HistoricalAverage(self._discriminator_params)

    def instance_noise_std(self) -> float:
        """σ of the instance noise at the current step (linear annealing when instance_noise_steps is set)."""
        if self.instance_noise_steps is None:
            return self.instance_noise
        return self.instance_noise * max(0.0, 1.0 - self.step / self.instance_noise_steps)

    def _noisy(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` itself without instance noise (the plain GAN computes exactly what it did before the option)."""
        std = self.instance_noise_std() if self.instance_noise else 0.0
        return x + std * torch.randn(x.shape, generator=self.rng).to(x.device) if std > 0 else x

    def _check_arguments(self, discriminator, critic_steps, clip_value, gp_weight, r1_weight, r1_every, label_smoothing):
        objective = self.objective
        if not (isinstance(critic_steps, int) and critic_steps >= 1):
            raise ValueError(f"critic_steps (k) must be an integer ≥ 1, got {critic_steps!r}")
        if clip_value is not None and objective.lipschitz != "clip":
            raise ValueError(f"clip_value applies to weight clipping (objective 'wgan'), not {objective.name!r}")
        if gp_weight is not None and objective.lipschitz != "penalty":
            raise ValueError(f"gp_weight applies to the gradient penalty (objective 'wgan-gp'), not {objective.name!r}")
        if label_smoothing and not objective.smoothable:
            raise ValueError(f"label_smoothing applies to the BCE objectives ('gan', 'gan-saturating'), not {objective.name!r}")
        if r1_weight < 0 or not (isinstance(r1_every, int) and r1_every >= 1):
            raise ValueError(f"r1_weight must be ≥ 0 and r1_every an integer ≥ 1, got {r1_weight} and {r1_every!r}")
        if r1_every != 1 and not r1_weight:
            raise ValueError("r1_every applies only with an R1 penalty: set r1_weight > 0")
        if objective.lipschitz == "penalty" and any(isinstance(m, _BATCH_NORMS) for m in discriminator.modules()):
            raise ValueError("WGAN-GP penalises each sample's gradient, which BatchNorm makes depend on the whole batch "
                             "(Gulrajani et al. rule it out): build the critic without BatchNorm, e.g. "
                             "DCGANDiscriminator(batch_norm=False), or use layer normalisation")

    def config(self) -> dict:
        return {**super().config(), "objective": self.objective.name, "critic_steps": self.critic_steps,
                "optimizer": self.optimizer_name, "lr_g": self.lr_g, "lr_d": self.lr_d, "betas": self.betas,
                "clip_value": self.clip_value if self.objective.lipschitz == "clip" else None,
                "gp_weight": self.gp_weight if self.objective.lipschitz == "penalty" else None,
                "r1_weight": self.r1_weight, "r1_every": self.r1_every, "label_smoothing": self.label_smoothing,
                "generator": model_config(self.generator), "discriminator": model_config(self.discriminator),
                **self._trick_config(), **({"label_shares": self.label_shares} if self.label_shares else {})}

    def _trick_config(self) -> dict:
        """Only the tricks that are on, so the configuration of a plain GAN (and its checkpoints) is unchanged."""
        tricks = {"feature_matching": self.feature_matching, "historical_weight": self.historical_weight,
                  "instance_noise": self.instance_noise, "instance_noise_steps": self.instance_noise_steps}
        return {k: v for k, v in tricks.items() if v}

    # ---- the algorithm ------------------------------------------------------------------------------------
    def train_step(self, batches) -> dict[str, torch.Tensor]:
        """k discriminator steps, each on a new real batch, then one generator step."""
        self.generator.train()
        self.discriminator.train()
        for i in range(self.critic_steps):
            real, labels = self.unpack(next(batches))
            # only the last fake batch is reused by the generator step, so only it keeps G's graph
            fake, fake_labels, d_stats = self.discriminator_step(real, labels, keep_fake_graph=(i == self.critic_steps - 1))
        real_batch = {"real": real, "real_labels": labels} if self.feature_matching else {}  # its target statistics
        return {**d_stats, **self.generator_step(fake, fake_labels, **real_batch)}

    def discriminator_step(self, real: torch.Tensor, real_labels: torch.Tensor | None, keep_fake_graph: bool):
        """One update of D on ``real`` and a fresh fake batch; returns (fake, fake_labels, stats)."""
        if self.num_classes and real_labels is None:
            raise ValueError("a conditional GAN needs labelled data: the batches must yield (images, labels)")
        z, fake_labels = self.draw_noise(len(real))
        with contextlib.nullcontext() if keep_fake_graph else torch.no_grad():
            fake = self._call(self.generator, z, fake_labels)
        use_r1 = self.r1_weight > 0 and self.step % self.r1_every == 0
        if use_r1:
            real = real.detach().requires_grad_(True)
        real_out = self._call(self.discriminator, self._noisy(real), real_labels)
        fake_out = self._call(self.discriminator, self._noisy(fake.detach()), fake_labels)
        smoothing = {"label_smoothing": self.label_smoothing} if self.label_smoothing else {}
        loss = self.objective.discriminator_loss(real_out, fake_out, **smoothing)
        stats = self.objective.monitor(real_out, fake_out)
        if self.objective.lipschitz == "penalty":
            penalty = gradient_penalty(self.discriminator, real, fake, real_labels if self.num_classes else None, self.rng)
            loss = loss + self.gp_weight * penalty
            stats["gradient_penalty"] = penalty.detach()
        if use_r1:  # lazy regularisation: every r1_every-th step, r1_every times the weight
            r1 = r1_penalty(real_out, real)
            loss = loss + 0.5 * self.r1_weight * self.r1_every * r1
            self.last_r1_penalty.copy_(r1.detach())  # in place: the loop's kept copy pairs this very tensor
        if self.r1_weight > 0:
            stats["r1_penalty"] = self.last_r1_penalty.clone()  # on lazy steps, the last computed value
        if self.historical_weight:
            loss = loss + self.historical_weight * self.history_d.penalty()
        stats["grad_norm_d"] = self.descend(self.d_opt, loss, self._discriminator_params)
        if self.historical_weight:
            self.history_d.update()
        if self.objective.lipschitz == "clip":
            with torch.no_grad():
                for p in self._discriminator_params:
                    p.clamp_(-self.clip_value, self.clip_value)
        stats["loss_d"] = loss.detach()
        return fake, fake_labels, stats

    def generator_step(self, fake: torch.Tensor, fake_labels: torch.Tensor | None, *, real: torch.Tensor | None = None,
                       real_labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """One update of G through the just-updated D (frozen), on the fake batch of the last D step
        (and, for feature matching, the real batch of that step)."""
        with frozen(self._discriminator_params):
            if self.feature_matching:
                with torch.no_grad():
                    real_features = self._call(self.discriminator.features, self._noisy(real), real_labels)
                loss = feature_matching_loss(real_features, self._call(self.discriminator.features, self._noisy(fake), fake_labels))
            else:
                loss = self.objective.generator_loss(self._call(self.discriminator, self._noisy(fake), fake_labels))
        stats = {"loss_g": loss.detach()}
        if self.historical_weight:
            loss = loss + self.historical_weight * self.history_g.penalty()
        stats["grad_norm_g"] = self.descend(self.g_opt, loss, self._generator_params)
        if self.historical_weight:
            self.history_g.update()
        return stats

    # ---- helpers ------------------------------------------------------------------------------------------

    def unpack(self, batch) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(images, labels or None) on the device; an unconditional GAN ignores labels."""
        items = self.prepare(batch)
        if len(items) > 2:
            raise ValueError(f"a GAN batch is images or (images, labels), got {len(items)} tensors")
        labels = items[1] if len(items) == 2 and self.num_classes else None  # may still be None: checked in the D step
        return items[0], labels

    def draw_noise(self, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """z ~ N(0, I) and, for a conditional G, labels (:meth:`draw_labels`), from the family's stream."""
        z = self.noise(n, self.latent_dim)
        labels = self.draw_labels(n, self.rng).to(self.device) if self.num_classes else None
        return z, labels

    @staticmethod
    def _call(model: nn.Module, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return model(x) if labels is None else model(x, labels)

    def fixed_inputs(self, count: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Snapshot noise from its own seed (``seed + 1``) and, for a conditional G, labels 0, 1, …, K−1, 0, …"""
        z = torch.randn(count, self.latent_dim, generator=torch.Generator().manual_seed(self.seed + 1)).to(self.device)
        labels = torch.arange(count, device=self.device) % self.num_classes if self.num_classes else None
        return z, labels

    @torch.no_grad()
    def sample(self, n: int, labels: torch.Tensor | None = None, seed: int | None = None) -> torch.Tensor:
        """``n`` samples on the CPU from :attr:`sampler` in eval mode; a conditional G is asked for labels
        0, 1, …, K−1, 0, … (drawn in ``label_shares`` if set) unless ``labels`` are given.  ``seed`` fixes the
        noise and labels (else torch's global RNG)."""
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        z = torch.randn(n, self.latent_dim, generator=gen).to(self.device)
        if self.num_classes and labels is None:
            labels = self.draw_labels(n, gen) if self.label_shares else torch.arange(n) % self.num_classes
        return self.generate(z, None if labels is None else labels.to(self.device)).cpu().contiguous()
