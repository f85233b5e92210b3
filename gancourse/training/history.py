"""What a training run recorded: every value with the step it belongs to, and fixed-noise snapshots."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import torch


class History:
    """Logged values by name, each with its own list of steps, plus sample snapshots.

    The loop logs the training statistics of a step together with ``step`` and ``time``, so
    ``history["loss_d"]`` and ``history["step"]`` are parallel lists.  A value logged less often (an FID
    every 500 steps) keeps its own steps: ``history.series("fid")`` → (steps, values) lines it up with
    the losses.  ``stop_reason`` says why the last ``fit`` ended early (None when it ran to the end).
    """

    def __init__(self):
        self.values: dict[str, list[float]] = defaultdict(list)
        self.steps: dict[str, list[int]] = defaultdict(list)
        self.snapshots: list[tuple[int, torch.Tensor]] = []
        self.stop_reason: str | None = None

    def log(self, step: int, /, **values: float) -> None:
        """Record ``values`` as belonging to generator step ``step``."""
        for key, value in values.items():
            self.values[key].append(float(value))
            self.steps[key].append(int(step))

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.values:
            raise KeyError(f"no metric {key!r} in this history; it has {sorted(self.values)}")
        return self.values[key]

    def __contains__(self, key: str) -> bool:
        return key in self.values

    def __len__(self) -> int:
        """Number of logged training steps."""
        return len(self.values.get("step", []))

    def keys(self) -> list[str]:
        return sorted(self.values)

    def last(self, key: str) -> float:
        return self[key][-1]

    def series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) of one metric as arrays, ready to plot."""
        values = self[key]  # a KeyError that lists the metrics there are
        return np.asarray(self.steps[key]), np.asarray(values, dtype=float)

    def truncate(self, step: int) -> None:
        """Forget everything logged after ``step`` (used when a half-done step is rolled back)."""
        for key in list(self.values):
            keep = sum(s <= step for s in self.steps[key])
            del self.values[key][keep:], self.steps[key][keep:]
        self.snapshots = [(s, x) for s, x in self.snapshots if s <= step]

    def to_dict(self) -> dict:
        return {"values": dict(self.values), "steps": dict(self.steps), "snapshots": list(self.snapshots),
                "stop_reason": self.stop_reason}

    @classmethod
    def from_dict(cls, state: dict) -> "History":
        history = cls()
        history.values.update({k: list(v) for k, v in state["values"].items()})
        history.steps.update({k: [int(s) for s in v] for k, v in state["steps"].items()})
        history.snapshots = [(int(s), t) for s, t in state["snapshots"]]
        history.stop_reason = state["stop_reason"]
        return history

    def __repr__(self) -> str:
        return f"History({len(self)} steps, metrics={self.keys()}, snapshots={len(self.snapshots)})"
