"""The course's training recipes for the 2-D mixtures, each a plain description that builds a trainer.

Each method is a :class:`Toy2DRecipe`, so a notebook (or ``python -m gancourse.bench toy2d``) builds
and trains any of them in two lines::

    recipe = recommended_recipe()
    trainer, samples, seconds = train_toy2d("grid", recipe, seed=0)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from gancourse import models, toy
from gancourse.config import seeded
from gancourse.sampling import rejection_sample
from gancourse.training import GAN, LRSchedule, Trainer, WeightAverage, linear_decay

N_SAMPLES = 2_500


@dataclass(frozen=True)
class Toy2DRecipe:
    """Everything that defines one 2-D training run (networks, objective, optimiser, schedule)."""

    name: str
    objective: str = "gan"
    steps: int = 10_000              # generator steps
    batch_size: int = 128
    latent_dim: int = 2
    g_hidden: tuple[int, ...] = (128, 128, 128)
    d_hidden: tuple[int, ...] = (128, 128, 128)
    minibatch_std: bool = False
    spectral_norm: bool = False
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    optimizer: str = "adam"          # or "adam-fused": the same update, cheaper per step for these small MLPs
    critic_steps: int = 1
    gp_weight: float | None = None   # WGAN-GP λ (objective "wgan-gp" only; None = the paper's 10)
    r1_weight: float = 0.0           # R1 γ on real data (0 = off)
    r1_every: int = 1
    decay_start: float | None = None  # fraction of the steps after which both lrs decay linearly to 0
    ema_decay: float = 0.0           # β of the generator's weight average (0 = sample from G itself)
    drs_percentile: float | None = None  # sample with discriminator rejection sampling (None = plain G(z))

    def build(self, seed: int = 0, device: str | torch.device | None = "cpu") -> Trainer:
        """Generator and discriminator with initial weights from ``seed``, and the trainer for this recipe."""
        with seeded(seed):
            g = models.MLPGenerator(self.latent_dim, 2, hidden=self.g_hidden, tanh_output=False)
            d = models.MLPDiscriminator(2, hidden=self.d_hidden, spectral_norm=self.spectral_norm,
                                        minibatch_std=self.minibatch_std)
        family = GAN(g, d, objective=self.objective, lr_g=self.lr_g, lr_d=self.lr_d, betas=self.betas,
                     optimizer=self.optimizer, critic_steps=self.critic_steps, gp_weight=self.gp_weight,
                     r1_weight=self.r1_weight, r1_every=self.r1_every, seed=seed)
        callbacks = [WeightAverage(self.ema_decay)] if self.ema_decay else []
        if self.decay_start is not None:
            callbacks.append(LRSchedule(linear_decay(self.steps, start=self.decay_start)))
        return Trainer(family, callbacks=callbacks, device=device)


def plain_gan_recipe() -> Toy2DRecipe:
    """The standard non-saturating GAN (:cite:`goodfellow2014gan`) with DCGAN's Adam settings
    (lr 2e-4, β = (0.5, 0.999)), on the same networks, batch and number of steps as the recommended recipe."""
    return Toy2DRecipe(name="gan")


def wgan_gp_recipe() -> Toy2DRecipe:
    """WGAN-GP (:cite:`gulrajani2017wgangp`) as in its authors' 2-D toy code: λ = 0.1, 5 critic steps,
    Adam(1e-4, β = (0.5, 0.9)).  Five critic steps with a double-backward penalty make a generator step
    about 5× dearer, so it gets 2,000 generator steps (10,000 critic steps) to stay near the same wall time."""
    return Toy2DRecipe(name="wgan-gp", objective="wgan-gp", steps=2_000, critic_steps=5, gp_weight=0.1,
                       lr_g=1e-4, lr_d=1e-4, betas=(0.5, 0.9))


def recommended_recipe() -> Toy2DRecipe:
    """The course's recommended recipe for the 2-D mixtures: known fixes, each for one failure.

    Training (1–4) and sampling (5–6):

    1. **Minibatch standard deviation in D** (ProGAN, :cite:`karras2018progressive`; the same idea as
       packing in PacGAN, :cite:`lin2018pacgan`): D sees the spread of the whole batch, so a generator
       that puts all its samples on a few modes is easy to reject → fixes *mode dropping*.
    2. **R1 gradient penalty** on real data, γ = 0.1 (Mescheder, Geiger & Nowozin, 2018, "Which training
       methods for GANs do actually converge?"): plain GAN training circles around the equilibrium
       instead of converging; penalising D's gradient at real points damps that oscillation.  Applied
       "lazily" on every 4th step with 4× the weight (StyleGAN2's trick) to save time.
    3. **Larger learning rate, then a final low-learning-rate phase**: Adam at 1e-3 with β₁ = 0 (no
       momentum, which also feeds oscillation in a two-player game) for fast exploration, then both
       learning rates decay linearly to 0 over the second half.  Samples become sharp only when the
       game has settled: this phase is what lifts the HQ share on the grid (std 0.05, HQ radius 0.15).
    4. **Enough steps and a small, deep network**: 3×128 ReLU MLPs and 10,000 steps of batch 128, about
       a minute of one CPU core; Adam runs as one fused kernel (``adam-fused``), which makes a step of
       these small networks ~10 % cheaper.
    5. **Discriminator rejection sampling** (:func:`rejection_sample`, :cite:`azadi2019drs`): a generator
       made of continuous layers cannot jump between separate modes, so a few % of its samples lie on
       thin "bridges" between them.  The trained D scores those bridges as fake; accepting samples with
       the probability DRS derives from D's logit (its estimate of log p_data/p_g) removes most of them.
       The benchmark reports the plain ``G(z)`` samples of the same runs too ("G only").
    6. **An average of the generator's weights** (exponential moving average, β = 0.999, :cite:`yazici2019ema`):
       even at a small learning rate G's weights keep circling around a good point; their running
       average sits closer to it, so its samples land nearer the modes.  Samples come from the average.
       It lifted grid seed 2 from 93.0 % to 97.0 % HQ (with DRS) in the benchmark.

    What it deliberately does *not* use: spectral normalisation (it limits D to slope 1, too flat to
    separate points 0.15 apart, and measurably hurt here).  And it never rejects samples by their
    distance to the known modes of the data — that would score well by reading the answer key: cheating.
    DRS uses only what was learned from samples, the discriminator.
    """
    return Toy2DRecipe(name="recommended", minibatch_std=True, r1_weight=0.1, r1_every=4, lr_g=1e-3, lr_d=1e-3,
                       betas=(0.0, 0.99), optimizer="adam-fused", decay_start=0.5, drs_percentile=80.0, ema_decay=0.999)


METHODS = {"gan": plain_gan_recipe, "wgan-gp": wgan_gp_recipe, "recommended": recommended_recipe}


def train_toy2d(dataset: str, recipe: Toy2DRecipe, seed: int = 0, *, device="cpu", progress: bool = False,
                n_samples: int = N_SAMPLES, raw: dict | None = None) -> tuple[Trainer, np.ndarray, float]:
    """Train ``recipe`` on ``dataset`` (ring or grid) with ``seed``; return (trainer, samples, seconds).

    ``samples`` is float32 (n_samples, 2) in data coordinates — drawn by rejection sampling when the recipe
    says so; seconds is the wall time of building, training and sampling.  Sampling noise has its own
    seed (``seed + 10_000``), not the training stream.  Pass a dict as ``raw`` to also get the plain
    ``G(z)`` samples (``raw["samples"]``) and, with DRS, the acceptance rate (``raw["acceptance"]``).
    """
    start = time.perf_counter()
    trainer = recipe.build(seed, device)
    stream = toy.ToyStream.from_2d(dataset, batch_size=recipe.batch_size, seed=seed)
    trainer.fit(stream, recipe.steps, progress=progress, description=f"{dataset} · {recipe.name} · seed {seed}")
    plain = trainer.sample(n_samples, seed=seed + 10_000).numpy().astype(np.float32)
    samples, acceptance = plain, None
    if recipe.drs_percentile is not None:
        drawn, acceptance = rejection_sample(trainer, n_samples, seed + 10_000, percentile=recipe.drs_percentile,
                                             batch_size=recipe.batch_size)
        samples = drawn.numpy().astype(np.float32)
    seconds = time.perf_counter() - start
    if raw is not None:
        raw.update(samples=plain, acceptance=acceptance)
    return trainer, samples, seconds
