"""What makes a stop trustworthy: a kept copy of the last checked state, and Ctrl-C deferred to a step boundary.

The loop keeps an in-memory copy of the last state it checked (weights, buffers, optimizer moments and
learning rates, noise stream, step counter).  A NaN/inf or an interrupt in the middle of a step rolls
back to it, so D is never left updated while G is not.
"""

from __future__ import annotations

import signal
import threading

import torch

from gancourse.training.tensor_ops import copy_all


class TrainingDiverged(RuntimeError):
    """A loss, gradient norm or other logged value became NaN or infinite."""


class KeptState:
    """A copy of everything a step changes — weights, buffers, optimizer moments and learning rates, the
    noise stream, the step counter, the history's length — refreshed in place after each checked step."""

    def __init__(self, trainer):
        self.trainer = trainer
        self.live: list[torch.Tensor] | None = None

    def _live_tensors(self) -> list[torch.Tensor]:
        family = self.trainer.family
        tensors = [t.detach() for t in family.state_dict(keep_vars=True).values()]
        for optimizer in family.optimizers.values():
            tensors += [v for state in optimizer.state.values() for v in state.values() if torch.is_tensor(v)]
        return tensors

    def _optimizer_entries(self) -> int:
        return sum(len(s) for o in self.trainer.family.optimizers.values() for s in o.state.values())

    def save(self) -> None:
        family = self.trainer.family
        entries = self._optimizer_entries()
        if self.live is None or entries != self.entries:  # optimizer state appears at the first step
            self.live, self.entries = self._live_tensors(), entries
            self.copies = [t.clone() for t in self.live]
        else:
            copy_all(self.copies, self.live)
        self.rates = [[g["lr"] for g in o.param_groups] for o in family.optimizers.values()]
        self.rng, self.step = family.rng.get_state(), family.step

    def restore(self) -> None:
        trainer, family = self.trainer, self.trainer.family
        live = self._live_tensors()  # afresh: loading a checkpoint replaces the optimizers' tensors
        if len(live) != len(self.copies):  # the undone step was the first: it created the optimizer state
            for optimizer in family.optimizers.values():
                optimizer.state.clear()
            live = self._live_tensors()
        with torch.no_grad():
            copy_all(live, self.copies)
        self.live, self.entries = live, self._optimizer_entries()
        for optimizer, rates in zip(family.optimizers.values(), self.rates):
            for group, lr in zip(optimizer.param_groups, rates):
                group["lr"] = lr
        family.rng.set_state(self.rng)
        family.step = self.step
        trainer.history.truncate(self.step)


class DeferredInterrupt:
    """While active (main thread only), Ctrl-C sets ``requested`` and the loop stops after the running
    step; a second Ctrl-C interrupts at once (the loop then undoes the half-done step)."""

    def __enter__(self):
        self.requested, self.previous = False, None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False
