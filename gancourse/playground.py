"""The 2-D GAN playground: the GAN Lab idea (Kahng et al.) inside Jupyter, built on the course trainer.

Pick a 2-D toy distribution (ring, grid, moons from :mod:`gancourse.toy`), an objective, two learning
rates and k (discriminator steps per generator step); :func:`train_playground` trains a small MLP GAN
and keeps, at a few checkpoints, the generated points (always the same noise, so the points can be
followed) and a frozen copy of the discriminator.  :func:`plot_playground` draws the run: generated
points over the discriminator's heat map at each checkpoint, then D(x) and D(G(z)) over training.

:func:`playground_callback` does both and is what the widget (:func:`playground_widget`) calls on
its "train" button, so the static figure in a notebook (for slides and CI, where widgets do not
render) is computed by exactly the code behind the widget.  Mode coverage follows the VEEGAN /
PacGAN protocol (:cite:`srivastava2017veegan`, :cite:`lin2018pacgan`).
"""

from __future__ import annotations

import copy
import inspect
import time
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from gancourse import metrics, models, toy, viz
from gancourse.config import get_device, seeded
from gancourse.training import GANTrainer, History, get_objective

__all__ = [
    "OBJECTIVES", "LEARNING_RATES", "STEP_CHOICES", "DATASETS", "PlaygroundRun",
    "train_playground", "plot_playground", "describe", "playground_callback", "playground_widget",
    "training_loop_diagram",
]

DATASETS = ("ring", "grid", "moons")
#: Objectives offered: the BCE pair (non-saturating or minimax G loss) and two critic losses.
OBJECTIVES = ("gan", "gan-saturating", "hinge", "wgan-gp")
#: Learning rates offered by the widget, on a log scale (Adam).
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
STEP_CHOICES = (250, 500, 1000, 2000, 4000)
N_COVERAGE = 2_500  # samples scored for mode coverage (the VEEGAN / PacGAN protocol)


@dataclass
class PlaygroundRun:
    """One playground run: settings, real points, and per checkpoint the generated points and a frozen D."""

    settings: dict
    real: torch.Tensor                         # (n_points, 2) data points, for the picture
    steps: list[int]                           # generator steps at the checkpoints (0 first)
    samples: list[torch.Tensor]                # G(z) on the same fixed z at each checkpoint, (n_points, 2)
    discriminators: list[nn.Module]            # frozen copies of D at each checkpoint
    history: History
    seconds: float
    coverage: metrics.ModeCoverage | None = None   # at the last checkpoint (ring and grid only)
    n_modes: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def stopped_early(self) -> bool:
        return self.history.stop_reason is not None


def _checkpoint_steps(steps: int, checkpoints: int) -> list[int]:
    """Evenly spread checkpoint steps 0 < s₁ < … < steps (fewer if steps is tiny)."""
    return sorted({int(round(s)) for s in np.linspace(0, steps, checkpoints + 1)})


def train_playground(dataset: str = "ring", objective: str = "gan", *, lr_g: float = 1e-3, lr_d: float = 1e-3,
                     critic_steps: int = 1, steps: int = 2000, checkpoints: int = 4, batch_size: int = 128,
                     hidden: tuple[int, ...] = (128, 128, 128), latent_dim: int = 2, n_points: int = 1000,
                     seed: int = 0, device="cpu") -> PlaygroundRun:
    """Train a small MLP GAN on a 2-D toy and record ``checkpoints`` snapshots (plus step 0).

    The same ``seed`` gives the same networks, data stream, noise and result (on CPU).  Training runs in
    chunks between checkpoints through :meth:`GANTrainer.fit`; the chunks continue one data stream and one
    noise stream, so the result equals a single uninterrupted run.  A NaN stops the run early; the last
    good state is kept and the reason is in ``run.history.stop_reason``.
    """
    if dataset not in DATASETS:
        raise ValueError(f"Unknown dataset {dataset!r}; choose one of {list(DATASETS)}.")
    if objective not in OBJECTIVES:
        raise ValueError(f"The playground offers the objectives {list(OBJECTIVES)}, got {objective!r}.")
    if steps < 1 or checkpoints < 1 or n_points < 1:
        raise ValueError(f"steps, checkpoints and n_points must be positive, got {steps}, {checkpoints}, {n_points}")
    start = time.perf_counter()
    with seeded(seed):  # the networks' initial weights
        generator = models.MLPGenerator(latent_dim, 2, hidden=hidden, tanh_output=False)
        discriminator = models.MLPDiscriminator(2, hidden=hidden)
    device = device if isinstance(device, torch.device) else get_device(device)
    trainer = GANTrainer(generator, discriminator, objective=objective, lr_g=lr_g, lr_d=lr_d,
                         critic_steps=critic_steps, device=device, seed=seed)
    stream = toy.ToyStream.from_2d(dataset, batch_size=batch_size, seed=seed)
    sample_seed = seed + 10_000  # its own noise, so looking never changes the training streams

    def record(run_steps: list, samples: list, frozen: list) -> None:
        run_steps.append(trainer.step)
        samples.append(trainer.sample(n_points, seed=sample_seed))
        frozen.append(copy.deepcopy(discriminator).cpu().eval().requires_grad_(False))

    run_steps, samples, frozen = [], [], []
    record(run_steps, samples, frozen)
    for target in _checkpoint_steps(steps, checkpoints)[1:]:
        trainer.fit(stream, target - trainer.step, progress=False)
        if trainer.step > run_steps[-1]:  # after a NaN stop: the last good state, if it is new
            record(run_steps, samples, frozen)
        if trainer.history.stop_reason:
            break
    real = toy.sample_2d(dataset, n_points, torch.Generator().manual_seed(seed + 20_000))
    settings = {"dataset": dataset, "objective": objective, "lr_g": lr_g, "lr_d": lr_d, "critic_steps": critic_steps,
                "steps": steps, "batch_size": batch_size, "hidden": tuple(hidden), "latent_dim": latent_dim, "seed": seed}
    run = PlaygroundRun(settings, real, run_steps, samples, frozen, trainer.history, time.perf_counter() - start)
    if dataset in ("ring", "grid"):
        modes, std = toy.modes_2d(dataset)
        run.n_modes = len(modes)
        scored = trainer.sample(N_COVERAGE, seed=sample_seed + 1)
        if torch.isfinite(scored).all():
            run.coverage = metrics.mode_coverage(scored, modes, std)
    if not get_objective(objective).outputs_probabilities:
        run.notes.append("critic scores are not probabilities: the heat map shows sigmoid(score)")
    return run


def describe(run: PlaygroundRun) -> str:
    """One line that says what was trained and how it went (printed under the figure)."""
    s = run.settings
    text = (f"{s['dataset']} · {s['objective']} · lr_G {s['lr_g']:g} · lr_D {s['lr_d']:g} · k = {s['critic_steps']} · "
            f"{run.steps[-1]:,} of {s['steps']:,} generator steps in {run.seconds:.1f} s")
    if run.n_modes and run.coverage is None:
        text += " → no mode coverage: the generated points are not finite"
    elif run.coverage is not None:
        text += (f" → {run.coverage.covered}/{run.n_modes} modes covered, "
                 f"{100 * run.coverage.hq_fraction:.1f} % high-quality samples (of {N_COVERAGE:,})")
    if run.stopped_early:
        text += f"\n⚠ {run.history.stop_reason}"
    return text


def _extent(run: PlaygroundRun) -> float:
    """Half-width of the square view: the data with a margin, widened (up to 3×) to show generated points
    that wander off; points even further out are clipped."""
    data = float(run.real.abs().max()) * 1.35 + 0.15
    fakes = float(np.quantile(torch.cat(run.samples).abs().amax(1).numpy(), 0.99)) * 1.1 + 0.15
    return min(max(data, fakes), 3 * data)


def plot_playground(run: PlaygroundRun, *, smooth: int = 25):
    """Generated points over D's heat map at every checkpoint, then D(x) and D(G(z)) over training.

    Returns the figure.  Blue regions: D says "real"; red: D says "fake".  Orange dots are G(z) for one
    fixed set of z, so the same dots can be followed from panel to panel.
    """
    objective = get_objective(run.settings["objective"])
    panels = len(run.steps)
    fig, axes = plt.subplots(1, panels + 1, figsize=(3.3 * (panels + 1), 3.5))
    modes = toy.modes_2d(run.settings["dataset"])[0] if run.n_modes else None
    extent = _extent(run)
    for ax, step, fake, disc in zip(axes, run.steps, run.samples, run.discriminators):
        viz.plot_samples_2d(run.real, fake, ax=ax, modes=modes, discriminator=disc, extent=extent, title=f"step {step:,}",
                            verdict_label=objective.verdict_label)
        ax.tick_params(labelsize=7)
        ax.get_legend().remove()
    axes[0].legend(loc="lower left", fontsize=7, markerscale=2, framealpha=0.8)  # corners are empty in all toys
    curves = axes[-1]
    probabilities = objective.outputs_probabilities  # D(x) in (0, 1), or unbounded critic scores
    keys = ("d_real", "d_fake") if probabilities else ("critic_real", "critic_fake")
    labels = ("D(x), real", "D(G(z)), fake") if probabilities else ("critic score, real", "critic score, fake")
    if len(run.history):
        steps = np.asarray(run.history["step"])
        window = max(1, min(smooth, len(steps) // 5))
        kernel = np.ones(window) / window
        for key, label, colour in zip(keys, labels, ("black", "tab:orange")):
            values = np.convolve(np.asarray(run.history[key]), kernel, mode="valid")
            curves.plot(steps[window - 1:], values, label=label, color=colour)
    if probabilities:
        curves.axhline(0.5, color="grey", ls=":", lw=1, label="1/2")
        curves.set_ylim(-0.02, 1.02)
    curves.set(xlabel="generator step", title="D(x) and D(G(z))" if probabilities else "critic scores")
    curves.legend(fontsize=8)
    s = run.settings
    fig.suptitle(f"{s['dataset']} · {s['objective']} · lr_G {s['lr_g']:g}, lr_D {s['lr_d']:g}, k = {s['critic_steps']}"
                 + ("" if not run.notes else f"  ({'; '.join(run.notes)})"), fontsize=10)
    fig.tight_layout()
    return fig


def playground_callback(dataset: str = "ring", objective: str = "gan", lr_g: float = 1e-3, lr_d: float = 1e-3,
                        critic_steps: int = 1, steps: int = 2000, seed: int = 0) -> PlaygroundRun:
    """Train, draw and summarise one run: the widget's "train" button calls this, and so do static cells.

    Returns the run.  The figure is shown at once (:func:`gancourse.viz.show_now`), which a widget's
    output area needs.
    """
    run = train_playground(dataset, objective, lr_g=lr_g, lr_d=lr_d, critic_steps=critic_steps, steps=steps, seed=seed)
    viz.show_now(plot_playground(run))
    print(describe(run))
    return run


def playground_widget():
    """Dropdowns and a slider for :func:`playground_callback`, run on demand by a "train" button.

    Works on ipywidgets 7.7.1 (Colab) and 8.x: ``interactive`` with the ``manual`` option, which never
    trains on construction.  The controls start at the callback's defaults, so the first click reproduces
    the static figure of the same run.  Returns the widget; display it in a notebook.
    """
    from ipywidgets import Dropdown, IntSlider, interactive

    defaults = {name: p.default for name, p in inspect.signature(playground_callback).parameters.items()}
    rates = [(f"{lr:g}", lr) for lr in LEARNING_RATES]
    return interactive(
        playground_callback, {"manual": True, "manual_name": "train"},
        dataset=Dropdown(options=list(DATASETS), value=defaults["dataset"], description="data"),
        objective=Dropdown(options=list(OBJECTIVES), value=defaults["objective"], description="objective"),
        lr_g=Dropdown(options=rates, value=defaults["lr_g"], description="lr G"),
        lr_d=Dropdown(options=rates, value=defaults["lr_d"], description="lr D"),
        critic_steps=IntSlider(value=defaults["critic_steps"], min=1, max=5, description="k (D steps)"),
        steps=Dropdown(options=list(STEP_CHOICES), value=defaults["steps"], description="G steps"),
        seed=IntSlider(value=defaults["seed"], min=0, max=9, description="seed"),
    )


# ---- the loop as a picture (Fig 5 of the lecture outline) ----------------------------------------------------
_LOOP_BOXES = {
    "z": (0.0, 2.0, "noise z ~ N(0, I)", "data"),
    "G": (3.0, 2.0, "generator G", "generator"),
    "fake": (6.0, 2.0, "fake batch\nG(z).detach()", "neutral"),
    "real": (6.0, 3.7, "real batch x", "data"),
    "D": (9.0, 2.0, "discriminator D", "discriminator"),
    "LD": (12.0, 2.0, "L_D = BCE(D(x), 1)\n+ BCE(D(G(z)), 0)", "loss"),
    "stepD": (15.0, 2.0, "backward,\nAdam step on D only", "discriminator"),
    "fakeG": (6.0, 0.0, "the last fake batch\nG(z), not detached", "neutral"),
    "Dfixed": (9.0, 0.0, "D (not updated)", "discriminator"),
    "LG": (12.0, 0.0, "L_G = BCE(D(G(z)), 1)", "loss"),
    "stepG": (15.0, 0.0, "backward,\nAdam step on G only", "generator"),
}
_LOOP_ARROWS = [("z", "G", ""), ("G", "fake", ""), ("fake", "D", ""), ("real", "D", ""), ("D", "LD", ""),
                ("LD", "stepD", ""), ("G", "fakeG", ""), ("fakeG", "Dfixed", ""), ("Dfixed", "LG", ""),
                ("LG", "stepG", ""), ("stepD", "stepG", "", {"color": "tab:blue"})]


def training_loop_diagram(ax=None):
    """Fig 5: one iteration of adversarial training — k discriminator steps, then one generator step.

    Boxes and arrows come from :func:`gancourse.diagrams.flow_diagram`; the loop-back arrows are added
    here.  Returns the axes.
    """
    from matplotlib.patches import FancyArrowPatch

    from gancourse.diagrams import flow_diagram

    if ax is None:
        _, ax = plt.subplots(figsize=(15, 5.4))
    box_w, box_h = 2.5, 0.95
    flow_diagram(_LOOP_BOXES, _LOOP_ARROWS, ax=ax, box_size=(box_w, box_h))
    half_w, half_h = box_w / 2 + 0.08, box_h / 2 + 0.08  # half a box plus its rounded padding

    def arrow(start, end, colour="black", rad=0.0):
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, lw=1.3, color=colour,
                                     shrinkA=0, shrinkB=0, connectionstyle=f"arc3,rad={rad}"))

    arrow((15.0, 2.0 + half_h), (0.0, 2.0 + half_h), "tab:green", rad=0.28)
    ax.plot([15.0, 15.0, 0.0], [-half_h, -1.2, -1.2], color="grey", lw=1.3)  # back to the start, under the boxes
    arrow((0.0, -1.2), (0.0, 2.0 - half_h), "grey")
    ax.text(7.5, 5.05, "① discriminator step: repeat k times, a fresh x and z each time",
            ha="center", color="tab:green", fontsize=10)
    ax.text(15.2, 1.0, "② after the\nk-th D step", color="tab:blue", fontsize=9, va="center")
    ax.text(0.15, -0.3, "③ next\niteration", color="grey", fontsize=10, va="center")
    ax.text(10.5, -0.88, "generator step: once per iteration", ha="center", color="tab:orange", fontsize=10)
    ax.set(xlim=(-1.6, 16.9), ylim=(-1.5, 5.4))
    return ax
