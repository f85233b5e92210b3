"""Fixes for unstable GAN training compared on the 2-D grid: a registry of named methods and a runner.

Every method starts from the same baseline — the non-saturating GAN of
:func:`gancourse.recipes.plain_gan_recipe` (3×128 MLPs, z ∈ ℝ², batch 128, Adam 2e-4, β = (0.5, 0.999)) —
and changes one thing (the recommended recipe changes several).  All get the same number of
discriminator updates (``steps``); WGAN-GP's 5 critic steps per generator step give it steps / 5 generator
steps, as in notebook 07.  :func:`run_method` trains one method for one seed and scores it at several
budgets (the state after ``s`` steps of a constant-learning-rate run *is* an ``s``-step run, so one run
gives every budget); :func:`compare` does that for many methods and seeds.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from gancourse import metrics, models, recipes, toy
from gancourse.config import seeded
from gancourse.training import GAN, Evaluate, Trainer
from gancourse.training.unrolled import UnrolledGAN

N_SAMPLES = recipes.N_SAMPLES
BASE = recipes.plain_gan_recipe()


@dataclass(frozen=True)
class Method:
    """One entry of the comparison: a name, what it changes, its source, and how to build the family."""

    name: str
    change: str
    cite: str
    family: Callable[[torch.nn.Module, torch.nn.Module, int], GAN] | None  # (G, D, seed) → family; None: a recipe
    discriminator: Callable[[], torch.nn.Module] | None = None             # None: the baseline MLP
    generator_steps_per_update: float = 1.0                                # WGAN-GP: 1/5


def _generator() -> models.MLPGenerator:
    return models.MLPGenerator(BASE.latent_dim, 2, hidden=BASE.g_hidden, tanh_output=False)


def _discriminator(**options) -> Callable[[], torch.nn.Module]:
    return lambda: models.MLPDiscriminator(2, hidden=BASE.d_hidden, **options)


def _gan(**options) -> Callable:
    return lambda g, d, seed: GAN(g, d, seed=seed, **{"lr_g": BASE.lr_g, "lr_d": BASE.lr_d, "betas": BASE.betas, **options})


METHODS: dict[str, Method] = {m.name: m for m in [
    Method("gan", "baseline: non-saturating GAN", "goodfellow2014gan", _gan()),
    Method("spectral-norm", "spectral normalisation of every D layer", "miyato2018spectral", _gan(),
           _discriminator(spectral_norm=True)),
    Method("minibatch-std", "minibatch standard deviation feature in D", "karras2018progressive", _gan(),
           _discriminator(minibatch_std=True)),
    Method("minibatch-discrimination", "minibatch discrimination layer in D (5 kernels × 3)", "salimans2016improved", _gan(),
           lambda: models.MLPMinibatchDiscriminator(2, hidden=BASE.d_hidden, kernels=5, kernel_dim=3)),
    Method("unrolled", "G trained against D unrolled 5 steps (SGD, lr 0.01)", "metz2017unrolled",
           lambda g, d, seed: UnrolledGAN(g, d, unroll_steps=5, unroll_lr=0.01, lr_g=BASE.lr_g, lr_d=BASE.lr_d,
                                          betas=BASE.betas, seed=seed)),
    Method("ttur", "TTUR: lr_D = 4e-4, lr_G = 1e-4", "heusel2017ttur", _gan(lr_d=4e-4, lr_g=1e-4)),
    Method("label-smoothing", "one-sided label smoothing: real target 0.9", "salimans2016improved", _gan(label_smoothing=0.1)),
    Method("feature-matching", "G matches D's mean last-layer features", "salimans2016improved", _gan(feature_matching=True)),
    Method("historical-averaging", "λ‖θ − θ̄‖² on both players, λ = 1e-3", "salimans2016improved", _gan(historical_weight=1e-3)),
    Method("instance-noise", "N(0, 0.1²) noise on D's inputs, annealed to 0", "sonderby2017amortised",
           _gan(instance_noise=0.1)),
    Method("wgan-gp", "WGAN-GP as notebook 07: λ 0.1, 5 critic steps, Adam(1e-4, β (0.5, 0.9))", "gulrajani2017wgangp",
           _gan(objective="wgan-gp", gp_weight=0.1, critic_steps=5, lr_g=1e-4, lr_d=1e-4, betas=(0.5, 0.9)),
           generator_steps_per_update=0.2),
    Method("r1", "R1 penalty on real data, γ = 0.1", "mescheder2018convergence", _gan(r1_weight=0.1)),
    Method("recommended", "the course's recipe (recipes.recommended_recipe), shortened", "mescheder2018convergence", None),
]}


@dataclass
class Result:
    """One method × seed: the score (modes covered, HQ share) at every budget, the final samples, seconds."""

    method: str
    seed: int
    budgets: dict[int, tuple[int, float]]  # D updates → (modes covered, HQ fraction)
    samples: dict[int, np.ndarray]         # D updates → the 2,500 samples scored there
    seconds: float


def _score(samples: np.ndarray) -> tuple[int, float]:
    modes, std = toy.modes_2d("grid")
    coverage = metrics.mode_coverage(samples, modes, std)
    return int(coverage.covered), float(coverage.hq_fraction)


def build(name: str, seed: int) -> Trainer:
    """The trainer of method ``name`` (a key of :data:`METHODS`, not "recommended") with weights from ``seed``."""
    method = METHODS.get(name)
    if method is None or method.family is None:
        raise ValueError(f"unknown method {name!r}; choose one of {sorted(k for k, m in METHODS.items() if m.family)}"
                         + (" (the recommended recipe is trained by run_method)" if name == "recommended" else ""))
    with seeded(seed):
        g = _generator()
        d = (method.discriminator or _discriminator())()
    return Trainer(method.family(g, d, seed), device="cpu")


def run_method(name: str, seed: int, budgets: list[int] | tuple[int, ...], *, progress: bool = False) -> Result:
    """Train ``name`` on the grid for max(budgets) discriminator updates and score it after each budget.

    Samples: 2,500 points of ``G(z)`` from noise seed ``seed + 10_000`` (as the benchmark).  Constant-rate
    methods are scored inside one run; instance noise anneals over the longest budget.  The recommended
    recipe decays its learning rate over its last half and samples with EMA + DRS, so each budget is its
    own run of ``recipes.train_toy2d``; its ``seconds`` are those of the longest of these runs, so that every
    method's seconds are the cost of one run of max(budgets) updates.
    """
    budgets = sorted(set(int(b) for b in budgets))
    if not budgets or budgets[0] < 1:
        raise ValueError(f"budgets must be positive numbers of D updates, got {budgets}")
    start = time.perf_counter()
    if name == "recommended":
        scores, samples = {}, {}
        for budget in budgets:
            start = time.perf_counter()  # the seconds reported are those of the longest run alone, as for the others
            recipe = dataclasses.replace(recipes.recommended_recipe(), steps=budget)
            _, samples[budget], _ = recipes.train_toy2d("grid", recipe, seed=seed, progress=progress)
            scores[budget] = _score(samples[budget])
        return Result(name, seed, scores, samples, time.perf_counter() - start)
    trainer, method = build(name, seed), METHODS[name]
    family = trainer.family
    per_update = method.generator_steps_per_update
    if name == "instance-noise":
        family.instance_noise_steps = max(1, round(budgets[-1] * per_update))
    steps = {max(1, round(b * per_update)): b for b in budgets}
    scores: dict[int, tuple[int, float]] = {}
    samples: dict[int, np.ndarray] = {}

    def evaluate(t: Trainer) -> dict[str, float]:
        budget = steps[t.step]
        samples[budget] = t.sample(N_SAMPLES, seed=seed + 10_000).numpy().astype(np.float32)
        scores[budget] = _score(samples[budget])
        return {}

    stream = toy.ToyStream.from_2d("grid", batch_size=BASE.batch_size, seed=seed)
    trainer.fit(stream, max(steps), callbacks=[Evaluate(evaluate, at=steps)], progress=progress,
                description=f"grid · {name} · seed {seed}")
    return Result(name, seed, scores, samples, time.perf_counter() - start)


def compare(names, seeds, budgets, *, progress: bool = False, on_result: Callable[[Result], None] | None = None) -> list[Result]:
    """:func:`run_method` for every method and seed (methods in the given order)."""
    results = []
    for name in names:
        for seed in seeds:
            results.append(run_method(name, seed, budgets, progress=progress))
            if on_result is not None:
                on_result(results[-1])
    return results


def summary(results: list[Result], budget: int) -> dict[str, dict[str, float]]:
    """Per method at ``budget``: mean and sample std (over seeds, ddof 1; 0 for a single seed) of modes covered
    and of HQ %, the worst seed's modes, and the mean seconds per run."""
    table: dict[str, dict[str, float]] = {}
    for name in dict.fromkeys(r.method for r in results):
        rows = [r for r in results if r.method == name]
        modes = np.array([r.budgets[budget][0] for r in rows], dtype=float)
        hq = 100 * np.array([r.budgets[budget][1] for r in rows])
        ddof = 1 if len(rows) > 1 else 0  # three seeds: the population std (ddof 0) understates the spread
        table[name] = {"modes": modes.mean(), "modes_std": modes.std(ddof=ddof), "hq": hq.mean(), "hq_std": hq.std(ddof=ddof),
                       "min_modes": modes.min(), "seconds": float(np.mean([r.seconds for r in rows]))}
    return table


def ranking(table: dict[str, dict[str, float]]) -> list[str]:
    """Methods best first: by mean modes covered, ties broken by mean HQ %."""
    return sorted(table, key=lambda n: (-round(table[n]["modes"], 6), -table[n]["hq"]))
