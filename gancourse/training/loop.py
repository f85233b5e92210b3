"""The training loop, written once for every model family: batches, progress bar, history, safe stops,
checkpoints and callbacks.  What one step computes belongs to the family (:mod:`gancourse.training.gan`).

Stops are trustworthy (:mod:`gancourse.training.stops`): a NaN/inf or an interrupted step never leaves D
updated and G not — the model, the history and the step counter always describe the same moment.
"""

from __future__ import annotations

import math
import time
import warnings
from itertools import count
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from gancourse.checkpoints import load_checkpoint, save_checkpoint
from gancourse.config import get_device
from gancourse.training.callbacks import Callback
from gancourse.training.family import Family
from gancourse.training.history import History
from gancourse.training.stops import DeferredInterrupt, KeptState, TrainingDiverged

CHECKPOINT_FORMAT = "gancourse-trainer-2"


def endless(data):
    """Batches from ``data`` forever: a finite iterable (a ``DataLoader``) is started again when it ends."""
    if iter(data) is data:  # a one-shot iterator cannot be restarted: use it as it is
        for batch in data:  # (not `yield from`: closing this generator must not close the caller's iterator)
            yield batch
        raise ValueError("the data iterator ran out of batches; pass a re-iterable (a DataLoader, "
                         "gancourse.data.Batches, a ToyStream) so the loop can start it again")
    while True:
        empty = True
        for batch in data:
            empty = False
            yield batch
        if empty:
            raise ValueError("the data yielded no batches (is the dataset smaller than one batch with drop_last=True?)")


class Trainer:
    """Runs a :class:`~gancourse.training.family.Family` for a number of steps.

    callbacks: :mod:`gancourse.training.callbacks` objects (weight average, schedule, snapshots, …).
    channels_last: keep 4-D weights and image batches in NHWC, which the CPU convolution kernels run
    ~20 % faster (``python -m gancourse.bench speed``); None = on for convolutional models on the CPU.
    log_every: check and log the step statistics every N steps — each check is one device→host copy, so
    on a GPU a larger N keeps the device busy; NaN/inf detection still covers every step (a stop then
    rolls back to the last checked state, up to N − 1 steps earlier).
    Attributes the trainer does not have are the family's: ``trainer.generator`` is
    ``trainer.family.generator``.
    """

    def __init__(self, family: Family, *, callbacks=(), device=None, channels_last: bool | None = None,
                 log_every: int = 1):
        if not isinstance(family, Family):
            raise TypeError(f"Trainer needs a gancourse.training Family (e.g. GAN(generator, discriminator)), got {type(family).__name__}")
        if not all(isinstance(c, Callback) for c in callbacks):
            raise TypeError("callbacks must be gancourse.training.callbacks.Callback objects")
        if not (isinstance(log_every, int) and log_every >= 1):
            raise ValueError(f"log_every must be an integer ≥ 1, got {log_every!r}")
        self.family = family
        self.device = device if isinstance(device, torch.device) else get_device(device)
        family.to(self.device)
        if channels_last is None:
            convs = (nn.Conv2d, nn.ConvTranspose2d)
            channels_last = self.device.type == "cpu" and any(isinstance(m, convs) for m in family.modules())
        if channels_last:
            family.to(memory_format=torch.channels_last)
            family.memory_format = torch.channels_last
        self.callbacks = sorted(callbacks, key=lambda c: c.order)
        self.log_every = log_every
        self.history = History()
        self.elapsed = 0.0
        self.ended_by: str | None = None
        for callback in self.callbacks:
            callback.attach(self)
        self._last_good = KeptState(self)

    def __getattr__(self, name: str):
        family = self.__dict__.get("family")
        if family is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(family, name)

    def __setattr__(self, name: str, value) -> None:
        # Reads fall through to the family, so `trainer.lr_g = …` would otherwise create a new attribute
        # that nothing reads: refuse it and say where the setting lives.
        if "_last_good" in self.__dict__ and name not in self.__dict__ and not hasattr(type(self), name):
            raise AttributeError(f"the trainer has no setting {name!r}; the model family's settings are fixed when it is "
                                 f"built (see trainer.family.config()) — build a new GAN(...) to change them")
        super().__setattr__(name, value)

    @property
    def step(self) -> int:
        return self.family.step

    @property
    def channels_last(self) -> bool:
        """Whether weights and image batches are kept in NHWC (the family's training memory format)."""
        return self.family.memory_format is torch.channels_last

    # ---- the loop -----------------------------------------------------------------------------------------
    def fit(self, data, steps: int | None, *, callbacks=(), progress: bool = True,
            checkpoint: str | Path | None = None, checkpoint_every: int = 0, description: str | None = None) -> History:
        """Train for ``steps`` more steps on ``data`` (batches of images, or (images, labels), …).

        ``callbacks`` act during this fit only (e.g. ``TimeBudget(300)``); ``steps=None`` runs until one of
        the callbacks ends the fit.  A NaN/inf stops with a warning and rolls back to the last finite
        state; Ctrl-C stops at the end of the running step.  Either way ``history.stop_reason`` says what
        happened, and a later ``fit`` continues from there.
        """
        if any(not isinstance(c, Callback) or c.stateful for c in callbacks):
            raise ValueError("fit(callbacks=...) takes stateless callbacks (TimeBudget, Evaluate, Snapshots); "
                             "give a WeightAverage to the Trainer itself, so checkpoints carry it")
        everything = sorted([*self.callbacks, *callbacks], key=lambda c: c.order)
        if steps is None and not any(type(c).should_stop is not Callback.should_stop for c in everything):
            raise ValueError("steps=None needs a callback that ends the fit, e.g. fit(data, None, callbacks=[TimeBudget(60)])")
        if steps is not None and not (isinstance(steps, int) and steps >= 0):
            raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
        for callback in callbacks:
            callback.attach(self)
        permanent, self.callbacks = self.callbacks, everything
        try:
            return self._fit(data, steps, progress, checkpoint, checkpoint_every, description)
        finally:
            self.callbacks = permanent

    def _fit(self, data, steps, progress, checkpoint, checkpoint_every, description) -> History:
        family, history = self.family, self.history
        batches = endless(data)
        history.stop_reason, self.ended_by = None, None
        for callback in self.callbacks:
            callback.on_fit_start(self)
        self._last_good.save()
        bar = tqdm(total=steps, desc=description or f"{family.name} training", disable=not progress,
                   mininterval=0.5, dynamic_ncols=True)
        start = time.perf_counter() - self.elapsed
        unchecked = []  # statistics of steps not yet copied to the host
        try:
            with DeferredInterrupt() as interrupt:
                for i in (range(steps) if steps is not None else count()):
                    if interrupt.requested:
                        history.stop_reason = f"interrupted by the user after step {self.step}; model and history are kept"
                        print(history.stop_reason)
                        break
                    self.ended_by = next((r for r in (c.should_stop(self) for c in self.callbacks) if r), None)
                    if self.ended_by:
                        break
                    for callback in self.callbacks:
                        callback.on_step_start(self)
                    stats = family.train_step(batches)
                    family.step += 1
                    self.elapsed = time.perf_counter() - start
                    unchecked.append(stats)
                    logging = family.step % self.log_every == 0 or (steps is not None and i == steps - 1)
                    if logging:
                        values = self._check(unchecked)
                        unchecked = []
                        history.log(family.step, step=family.step, time=self.elapsed, **values)
                    for callback in self.callbacks:
                        callback.on_step_end(self)
                    if logging:
                        self._last_good.save()
                        if family.step % 25 == 0 or family.step == 1:
                            bar.set_postfix({k: f"{values[k]:.3f}" for k in ("loss_d", "loss_g") if k in values}, refresh=False)
                    if checkpoint and checkpoint_every and family.step % checkpoint_every == 0:
                        self._check(unchecked)  # a checkpoint holds checked weights only
                        self.save(checkpoint)
                    bar.update(1)
        except TrainingDiverged as exc:
            detected = self.step  # the step whose statistics were being checked
            self._last_good.restore()
            history.stop_reason = (f"stopped at step {detected}: {exc}. The weights were restored to those after "
                                   f"step {self.step}, the last checked finite state. Lower the learning rates, check "
                                   "that the data is finite and in [-1, 1], or use a gradient penalty.")
            warnings.warn(history.stop_reason, RuntimeWarning, stacklevel=2)
        except KeyboardInterrupt:
            self._last_good.restore()
            history.stop_reason = (f"interrupted by the user in the middle of a step, which was undone: the model "
                                   f"and history are those after step {self.step}")
            print(history.stop_reason)
        finally:
            bar.close()
        for callback in self.callbacks:
            callback.on_fit_end(self)
        if checkpoint:
            self.save(checkpoint)
        return history

    def _check(self, pending: list[dict[str, torch.Tensor]]) -> dict[str, float]:
        """The last step's statistics as floats — one device→host copy — after checking that no value of
        any pending step is NaN/inf."""
        if not pending:
            return {}
        names = list(pending[-1])
        row = torch.stack([_scalar(pending[-1][k]) for k in names])
        if len(pending) > 1:  # earlier unlogged steps: one flag, still one copy
            earlier = torch.stack([_scalar(v) for stats in pending[:-1] for v in stats.values()])
            row = torch.cat([row, torch.isfinite(earlier).all().float().reshape(1)])
        numbers = row.tolist()
        if len(pending) > 1 and numbers.pop() != 1.0:
            raise TrainingDiverged(f"a logged value became NaN or infinite in one of the {len(pending)} steps since the last check")
        bad = [name for name, number in zip(names, numbers) if not math.isfinite(number)]
        if bad:  # name a loss first: the other values follow from it
            name = min(bad, key=lambda n: not n.startswith("loss"))
            raise TrainingDiverged(f"{name} became {numbers[names.index(name)]}")
        return dict(zip(names, numbers))

    # ---- checkpoints --------------------------------------------------------------------------------------
    def config(self) -> dict:
        """The run's configuration: the family's, and that of callbacks that change what is kept."""
        return {**self.family.config(),
                "callbacks": {type(c).__name__: c.config() for c in self.callbacks if c.stateful}}

    def state_dict(self) -> dict:
        family = self.family
        return {"format": CHECKPOINT_FORMAT, "config": self.config(), "modules": family.state_dict(),
                "optimizers": {k: opt.state_dict() for k, opt in family.optimizers.items()},
                "rng": family.rng.get_state(), "step": family.step, "elapsed": self.elapsed,
                "history": self.history.to_dict()}

    def save(self, path: str | Path) -> Path:
        """Write a checkpoint atomically (it carries the configuration needed to rebuild the run)."""
        return save_checkpoint(self.state_dict(), path)

    def load(self, path: str | Path) -> None:
        """Continue from a checkpoint written on any device.  Everything is checked before anything
        changes: a checkpoint that does not fit leaves the trainer as it was and says what differs."""
        self.load_state_dict(load_checkpoint(path, map_location="cpu"))

    def load_state_dict(self, state: dict) -> None:
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"not a {CHECKPOINT_FORMAT} checkpoint (format {state.get('format') if isinstance(state, dict) else None!r})")
        problems = config_differences(state["config"], self.config())
        problems += _tensor_differences("weights", state["modules"], self.family.state_dict())
        for name, optimizer in self.family.optimizers.items():
            saved = state["optimizers"].get(name, {}).get("param_groups", [])
            if [len(g["params"]) for g in saved] != [len(g["params"]) for g in optimizer.param_groups]:
                problems.append(f"optimizer {name!r}: its parameter groups do not match this model")
        if state["rng"].dtype != torch.uint8 or state["rng"].shape != self.family.rng.get_state().shape:
            problems.append("the noise generator's state is not a CPU generator state")
        if problems:
            raise ValueError("this checkpoint does not fit the trainer, nothing was changed:\n- " + "\n- ".join(problems))
        kept = KeptState(self)
        kept.save()
        history, elapsed = self.history, self.elapsed
        try:
            self.family.load_state_dict(state["modules"])
            for name, optimizer in self.family.optimizers.items():
                optimizer.load_state_dict(state["optimizers"][name])
            self.family.rng.set_state(state["rng"])
            self.family.step, self.elapsed = int(state["step"]), float(state["elapsed"])
            self.history = History.from_dict(state["history"])
        except Exception:
            kept.restore()
            self.history, self.elapsed = history, elapsed
            raise
        self._last_good = KeptState(self)


def _scalar(value: torch.Tensor) -> torch.Tensor:
    """A logged value as a 0-d float32 tensor (most already are: then no extra operation)."""
    return value if value.dtype == torch.float32 and value.dim() == 0 else value.detach().float().reshape(())


def config_differences(saved: dict, current: dict, prefix: str = "") -> list[str]:
    """Readable differences between two nested configurations ("lr_d: checkpoint 0.001, this trainer 0.0002")."""
    problems = []
    for key in sorted(set(saved) | set(current), key=str):
        a, b = saved.get(key, "—"), current.get(key, "—")
        if isinstance(a, dict) and isinstance(b, dict):
            problems += config_differences(a, b, f"{prefix}{key}.")
        elif (list(a) if isinstance(a, tuple) else a) != (list(b) if isinstance(b, tuple) else b):
            problems.append(f"{prefix}{key}: checkpoint {a!r}, this trainer {b!r}")
    return problems


def _tensor_differences(what: str, saved: dict, current: dict) -> list[str]:
    missing, extra = sorted(set(current) - set(saved)), sorted(set(saved) - set(current))
    problems = [f"{what} missing from the checkpoint: {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}"] if missing else []
    if extra:
        problems.append(f"{what} in the checkpoint that this trainer lacks: {', '.join(extra[:5])}{' …' if len(extra) > 5 else ''}")
    problems += [f"{what} {k}: shape {tuple(saved[k].shape)} in the checkpoint, {tuple(current[k].shape)} here"
                 for k in sorted(set(saved) & set(current)) if saved[k].shape != current[k].shape]
    return problems
