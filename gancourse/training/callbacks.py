"""Things the loop does around the steps, each in one small class: a weight average of G, a
learning-rate schedule, fixed-noise snapshots, periodic evaluation and a time budget.

A callback overrides the hooks it needs; the :class:`~gancourse.training.Trainer` calls them in
``order`` (lower first, then as listed).  Hooks: ``attach`` (once, when the trainer is built),
``on_fit_start``, ``on_step_start``, ``on_step_end`` (after the step's statistics were checked and
logged), ``on_fit_end``, and ``should_stop`` → a reason (str) to end the fit, or None.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable

import torch

from gancourse.training.tensor_ops import copy_all, lerp_all


class Callback:
    order = 10
    #: a callback whose ``config()`` must match when a checkpoint is loaded (it changes the weights kept)
    stateful = False

    def attach(self, trainer) -> None: ...
    def on_fit_start(self, trainer) -> None: ...
    def on_step_start(self, trainer) -> None: ...
    def on_step_end(self, trainer) -> None: ...
    def on_fit_end(self, trainer) -> None: ...

    def should_stop(self, trainer) -> str | None:
        return None

    def config(self) -> dict:
        return {}


def linear_decay(total_steps: int, start: float = 0.5, final: float = 0.0) -> Callable[[int], float]:
    """Learning-rate multiplier: 1 until ``start`` × ``total_steps``, then linearly down to ``final``.

    A final low-learning-rate phase lets the oscillating GAN game settle, so samples become sharp.
    Use it as ``LRSchedule(linear_decay(steps))`` (or ``GANTrainer(..., lr_schedule=linear_decay(steps))``).
    """
    if total_steps < 1 or not 0.0 <= start <= 1.0 or final < 0:
        raise ValueError(f"need total_steps ≥ 1, 0 ≤ start ≤ 1 and final ≥ 0, got {total_steps}, {start}, {final}")
    begin = start * total_steps

    def multiplier(step: int) -> float:
        if step < begin:
            return 1.0
        return final + (1.0 - final) * max(0.0, (total_steps - step) / max(total_steps - begin, 1e-9))

    multiplier.__doc__ = f"1 until step {begin:g}, then linear to {final} at step {total_steps}"
    return multiplier


class LRSchedule(Callback):
    """Every optimizer's learning rate = its initial rate × ``multiplier(step)`` before each step.

    The rate is a pure function of the step, so a resumed or rolled-back run needs no scheduler state.
    """

    def __init__(self, multiplier: Callable[[int], float]):
        self.multiplier = multiplier

    def attach(self, trainer) -> None:
        for optimizer in trainer.family.optimizers.values():
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])  # the key torch's own schedulers use

    def on_step_start(self, trainer) -> None:
        factor = float(self.multiplier(trainer.step))
        for optimizer in trainer.family.optimizers.values():
            for group in optimizer.param_groups:
                group["lr"] = group["initial_lr"] * factor


class WeightAverage(Callback):
    """An exponential moving average of G's weights, ``family.generator_ema`` (:cite:`yazici2019ema`).

    After every step: ema ← ema + (1 − β_t)·(G − ema) with the usual warm-up β_t = min(β, (1 + t)/(10 + t)),
    so early weights fade quickly; BatchNorm statistics are copied from G.  The game makes G's weights
    circle around a good point; their average sits closer to it, so samples and snapshots come from it.
    """

    order = 0  # before snapshots, which draw from the average
    stateful = True

    def __init__(self, decay: float = 0.999):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"the weight average's decay (GANTrainer's ema_decay) must be in (0, 1), e.g. 0.999; got {decay}")
        self.decay = decay

    def config(self) -> dict:
        return {"ema_decay": self.decay}

    def attach(self, trainer) -> None:
        family = trainer.family
        average = copy.deepcopy(family.generator).eval().requires_grad_(False)
        family.generator_ema = average  # a submodule: moved, checkpointed and rolled back with the family
        # paired once; loading a checkpoint copies into these same tensors
        self._params = (list(average.parameters()), list(family.generator.parameters()))
        self._buffers = (list(average.buffers()), list(family.generator.buffers()))

    @torch.no_grad()
    def on_step_end(self, trainer) -> None:
        t = trainer.step - 1  # the step just taken, counted from 0
        decay = min(self.decay, (1 + t) / (10 + t))
        lerp_all(*self._params, 1.0 - decay)
        copy_all(*self._buffers)


class Snapshots(Callback):
    """Samples from the same fixed inputs every ``every`` steps (and at the start and end of each fit),
    kept in ``history.snapshots`` as (step, images on the CPU)."""

    def __init__(self, every: int, count: int = 64):
        if every < 1 or count < 1:
            raise ValueError(f"snapshots need every ≥ 1 and count ≥ 1, got {every} and {count}")
        self.every, self.count = every, count

    def attach(self, trainer) -> None:
        self.inputs = trainer.family.fixed_inputs(self.count)

    def take(self, trainer) -> None:
        images = trainer.family.generate(*self.inputs)
        trainer.history.snapshots.append((trainer.step, images.cpu().contiguous()))

    def on_fit_start(self, trainer) -> None:
        if not trainer.history.snapshots:
            self.take(trainer)

    def on_step_end(self, trainer) -> None:
        if trainer.step % self.every == 0:
            self.take(trainer)

    def on_fit_end(self, trainer) -> None:
        if trainer.history.snapshots and trainer.history.snapshots[-1][0] != trainer.step:
            self.take(trainer)


class Evaluate(Callback):
    """Every ``every`` steps, or after each step listed in ``at``, ``metrics(trainer)`` → {name: number}, logged with
    the step (e.g. an FID)."""

    def __init__(self, metrics: Callable[..., dict[str, float]], every: int | None = None, *, at: Iterable[int] = ()):
        at = frozenset(at)
        if (every is None) == (not at):
            raise ValueError("give Evaluate either every=N or at=[steps, …], not both")
        if every is not None and every < 1:
            raise ValueError(f"every must be ≥ 1, got {every}")
        if any(step < 1 for step in at):
            raise ValueError(f"the steps of at= must be ≥ 1, got {sorted(at)}")
        self.metrics, self.every, self.at = metrics, every, at

    def on_step_end(self, trainer) -> None:
        if (trainer.step % self.every == 0) if self.every else (trainer.step in self.at):
            trainer.history.log(trainer.step, **self.metrics(trainer))


class TimeBudget(Callback):
    """End a fit once ``seconds`` of wall time have passed in it (checked between steps)."""

    def __init__(self, seconds: float):
        if seconds <= 0:
            raise ValueError(f"the time budget must be positive, got {seconds} s")
        self.seconds = seconds

    def on_fit_start(self, trainer) -> None:
        self.start = time.perf_counter()

    def should_stop(self, trainer) -> str | None:
        if time.perf_counter() - self.start >= self.seconds:
            return f"time budget of {self.seconds:g} s used up after step {trainer.step}"
        return None
