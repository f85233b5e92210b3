"""The 2-D GAN playground: the GAN Lab idea (Kahng et al.) inside Jupyter, built on the course trainer.

Pick a 2-D toy distribution (ring, grid, moons from :mod:`gancourse.toy`), an objective, two learning
rates and k (discriminator steps per generator step); :func:`train_playground` trains a small MLP GAN
and keeps, at a few checkpoints, the generated points (always the same noise, so the points can be
followed) and a frozen copy of the discriminator.  :func:`plot_playground` draws the run: generated
points over the discriminator's heat map at each checkpoint, with GAN Lab's arrows — the force on each
generated point, :func:`generator_gradient_field` — then D(x) and D(G(z)) over training.

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
    "train_playground", "plot_playground", "view_extent", "generator_gradient_field", "describe",
    "playground_callback", "playground_widget", "training_loop_diagram",
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


def view_extent(run: PlaygroundRun) -> float:
    """Half-width of the square view: the data with a margin.  It depends on the data only, so every run on
    one dataset (and seed) is drawn on the same axes; generated points outside it are marked at the edge."""
    return float(run.real.abs().max()) * 1.35 + 0.15


def generator_gradient_field(discriminator: nn.Module, points: torch.Tensor, objective: str = "gan") -> torch.Tensor:
    """The force on each generated point: −∂ℓ_G/∂x, with ℓ_G the objective's generator loss of that one point.

    G never sees the data: its loss depends on x = G(z) only through D's output, so these forces are all G
    learns from — its weight gradient is their sum carried back through G by the chain rule, and a small step
    moves the points roughly along them (GAN Lab's arrows, :cite:`kahng2019ganlab`).  Every playground loss
    falls as D's score rises, so the force is a positive multiple of D's slope: it points towards "real".
    Returns a tensor of the shape of ``points``; D's weights get no gradient.
    """
    if points.ndim != 2:
        raise ValueError(f"points must have shape (n, dimensions), got {tuple(points.shape)}")
    loss_of = get_objective(objective).generator_loss
    device = next(discriminator.parameters()).device
    x = points.detach().to(device=device, dtype=torch.float32).requires_grad_(True)
    with torch.enable_grad():
        scores = discriminator(x).reshape(len(x))
        # the objectives average over the batch: times n gives every point the gradient of its own loss
        (gradient,) = torch.autograd.grad(loss_of(scores) * len(x), x, only_inputs=True)
    return (-gradient).detach().cpu()


def _arrow_indices(n_points: int, arrows: int) -> np.ndarray:
    """Evenly spaced indices of the fixed points that get an arrow (the same points in every panel)."""
    return np.unique(np.linspace(0, n_points - 1, min(arrows, n_points)).round().astype(int))


def _draw_panel(ax, run: PlaygroundRun, index: int, extent: float, forces: torch.Tensor | None,
                arrow_points: np.ndarray):
    """One checkpoint: D's verdict as a heat map, real points, G(z), and the forces on G(z)."""
    axis = np.linspace(-extent, extent, 150)
    xx, yy = np.meshgrid(axis, axis)
    grid = torch.tensor(np.stack([xx.ravel(), yy.ravel()], 1), dtype=torch.float32)
    with torch.no_grad():
        verdict = torch.sigmoid(run.discriminators[index](grid).reshape(-1))  # D(x), or sigmoid(critic score)
    mesh = ax.pcolormesh(xx, yy, verdict.numpy().reshape(xx.shape), cmap="RdBu", vmin=0, vmax=1,
                         shading="auto", alpha=0.55, rasterized=True)
    real = run.real.numpy()
    ax.scatter(real[:, 0], real[:, 1], s=6, c="black", alpha=0.5, lw=0, zorder=3, label="real x")
    fake = run.samples[index].numpy()
    inside = np.all(np.abs(fake) <= extent, axis=1)
    ax.scatter(fake[inside, 0], fake[inside, 1], s=7, c="tab:orange", alpha=0.7, lw=0, zorder=4, label="generated G(z)")
    notes = []
    outside = int((~inside).sum())
    if outside:  # clamped to the border, so a generator that wanders off stays visible
        edge = np.clip(fake[~inside], -0.96 * extent, 0.96 * extent)
        ax.scatter(edge[:, 0], edge[:, 1], s=70, marker="D", c="tab:orange", edgecolors="black", zorder=6)
        notes.append(f"◆ {outside:,} G(z) off the view")
    if inside.sum() > 1 and float(np.linalg.norm(fake[inside].std(0))) < 0.01 * extent:
        # collapsed: a thousand points on one spot would look like a single dot
        ax.scatter(*fake[inside].mean(0), s=180, facecolors="tab:orange", edgecolors="black", lw=1.5, zorder=6)
        notes.append(f"● all {inside.sum():,} G(z) on one spot")
    if notes:
        ax.text(0.03, 0.03, "\n".join(notes), transform=ax.transAxes, fontsize=10, zorder=7,
                bbox={"fc": "white", "ec": "none", "alpha": 0.85, "pad": 1.5})
    title = f"step {run.steps[index]:,}"
    if forces is not None:
        start = run.samples[index][arrow_points].numpy()
        force = forces[arrow_points].numpy()
        length = np.linalg.norm(force, axis=1)
        longest = float(np.quantile(length, 0.9)) if np.isfinite(length).all() else 0.0
        if longest > 0:  # one scale per panel: the 90th-percentile force is drawn 12 % of the view long
            arrow = force * (0.24 * extent / longest)
            shown = np.all(np.abs(start) <= extent, axis=1)
            ax.quiver(start[shown, 0], start[shown, 1], arrow[shown, 0], arrow[shown, 1], angles="xy",
                      scale_units="xy", scale=1, color="tab:purple", width=0.007, headwidth=3.5, headlength=4,
                      zorder=5)
            title += f" · long arrow: |force| {longest:.2g}"
    ax.set(xlim=(-extent, extent), ylim=(-extent, extent), aspect="equal")
    ax.set_xlabel("x₁", fontsize=10, labelpad=1)
    ax.set_ylabel("x₂", fontsize=10, labelpad=1)
    ax.tick_params(labelsize=9)
    ax.set_title(title, fontsize=11)
    return mesh


def plot_playground(run: PlaygroundRun, *, smooth: int = 25, arrows: int = 40, columns: int = 3, width: float = 12.6):
    """D's verdict with the real and generated points at every checkpoint, then D(x) and D(G(z)) over training.

    One panel per checkpoint, on the same axes for every run of a dataset (:func:`view_extent`): a heat map of
    D's verdict (blue "real", red "fake"; one colour bar), the real points (black), G(z) for one fixed set of z
    (orange, so the same dots can be followed) and, at ``arrows`` of them (0: none), the force on that point
    from :func:`generator_gradient_field` (purple; one scale per panel, the 90th-percentile length written in
    its title).  The last panel: D's mean outputs over training.  Returns the figure.
    """
    objective = get_objective(run.settings["objective"])
    panels = len(run.steps)
    rows = -(-(panels + 1) // columns)
    height = 3.75 * rows + 1.0
    fig = plt.figure(figsize=(width, height))
    grid = fig.add_gridspec(rows, columns + 1, width_ratios=(1,) * columns + (0.05,), hspace=0.38, wspace=0.3,
                            left=0.06, right=0.94, top=1 - 1.05 / height, bottom=0.06)
    extent = view_extent(run)
    arrow_points = _arrow_indices(len(run.samples[0]), arrows)
    for index in range(panels):
        ax = fig.add_subplot(grid[index // columns, index % columns])
        forces = generator_gradient_field(run.discriminators[index], run.samples[index], objective) if arrows else None
        mesh = _draw_panel(ax, run, index, extent, forces, arrow_points)
        if index == 0:
            handles, _ = ax.get_legend_handles_labels()
    bar = fig.colorbar(mesh, cax=fig.add_subplot(grid[0, columns]))
    bar.set_label(objective.verdict_label + ": blue = real, red = fake", fontsize=10)
    bar.ax.tick_params(labelsize=9)
    from matplotlib.lines import Line2D
    if arrows:
        handles.append(Line2D([], [], color="tab:purple", lw=2, label="force on G(z): −∂(G's loss)/∂x"))
    fig.legend(handles=handles, loc="upper center", ncol=len(handles), fontsize=10, markerscale=2.5,
               bbox_to_anchor=(0.5, 1 - 0.38 / height), frameon=False)
    curves = fig.add_subplot(grid[panels // columns, panels % columns])
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
    curves.set_xlim(0, run.settings["steps"])
    curves.set_xlabel("generator step", fontsize=10)
    curves.set_ylabel("mean D output" if probabilities else "mean critic score", fontsize=10)
    curves.set_title("D(x) and D(G(z))" if probabilities else "critic scores", fontsize=11)
    curves.tick_params(labelsize=9)
    curves.legend(fontsize=9)
    s = run.settings
    fig.suptitle(f"{s['dataset']} · {s['objective']} · lr_G {s['lr_g']:g}, lr_D {s['lr_d']:g}, k = {s['critic_steps']}"
                 + ("" if not run.notes else f"  ({'; '.join(run.notes)})"), fontsize=12, y=1 - 0.08 / height)
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
    "Dfixed": (9.0, 0.0, "D, just updated;\nfrozen in this step", "discriminator"),
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
    half_h = box_h / 2 + 0.08  # half a box plus its rounded padding

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
