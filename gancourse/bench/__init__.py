"""Benchmarks of the course: ``python -m gancourse.bench {toy2d,mnist,infogan,speed,notebooks} --help``.

* ``toy2d``     — mode coverage on the 2-D ring and grid (VEEGAN / PacGAN protocol) per method and seed.
* ``mnist``     — DCGAN image quality within a wall-time budget (class coverage, classifier-feature FID).
* ``infogan``   — whether InfoGAN's categorical code becomes the digit (notebook 06's runs), with and without Q's warps.
* ``speed``     — training steps/s of :class:`gancourse.training.GANTrainer` against a plain tutorial loop.
* ``notebooks`` — wall time of every notebook with FAST and with default parameters.

Every subcommand prints Markdown tables (ready to paste into the README's Results section) and writes the same
figures with ``--json PATH``.  The helpers below are shared by the subcommands.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

__all__ = ["machine_info", "describe_machine", "yardstick", "add_classifier_arguments", "mean_spread", "markdown_table",
           "write_json", "fmt_mean"]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(device: torch.device | None = None) -> dict:
    """What the numbers were measured on: CPU model, cores, torch version and threads, device, load."""
    info = {
        "cpu_model": _cpu_model(),
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "device": str(device) if device is not None else "cpu",
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS") if k in os.environ},
    }
    if device is not None and device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def describe_machine(machine: dict) -> str:
    """The sentence every table ends with: what :func:`machine_info` measured the numbers on."""
    return (f"Machine: {machine['cpu_model']}, {machine['nproc']} cores, torch {machine['torch']} "
            f"({machine['torch_threads']} threads), device {machine['device']}, load average {machine['load_average']}.")


def yardstick(steps: int = 40, threads: int = 2) -> float:
    """The machine's speed now: milliseconds per training step of the course DCGAN (notebook 05's networks, batches
    of 64 random 28×28 images) on ``threads`` CPU threads, the median of four runs of ``steps // 4`` steps.

    Shared cloud machines slow down and speed up from hour to hour (up to 2× seen here, with identical results), so a
    wall time is read beside this number.  Torch's thread count and global random state are restored afterwards.
    """
    from gancourse.config import seeded
    from gancourse.data import Batches
    from gancourse.models import DCGANDiscriminator, DCGANGenerator
    from gancourse.training import GANTrainer

    if steps < 4 or threads < 1:
        raise ValueError(f"the yardstick needs steps ≥ 4 and threads ≥ 1, got {steps} and {threads}")
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with seeded(0):
            trainer = GANTrainer(DCGANGenerator(64), DCGANDiscriminator(), seed=0, device="cpu")
            images = torch.rand(640, 1, 28, 28) * 2 - 1
        batches = iter(Batches(images, None, 64, seed=0))
        trainer.fit(batches, 3, progress=False)  # warm-up: the first steps allocate
        times = []
        for _ in range(4):
            start = time.perf_counter()
            trainer.fit(batches, steps // 4, progress=False)
            times.append(1000 * (time.perf_counter() - start) / (steps // 4))
        return float(np.median(times))
    finally:
        torch.set_num_threads(previous)


def add_classifier_arguments(parser) -> None:
    """The options of the benchmarks judged by the MNIST evaluation classifier (``mnist``, ``infogan``)."""
    from gancourse.classifier import ClassifierConfig

    parser.add_argument("--limit", type=int, default=None, help="use only the first N MNIST images (quick tests)")
    parser.add_argument("--classifier-epochs", type=int, default=ClassifierConfig.epochs)
    parser.add_argument("--classifier-cache", metavar="DIR", default=None,
                        help="where the classifier's weights are cached (default $GANCOURSE_CACHE or ~/.cache/gancourse)")
    parser.add_argument("--no-classifier-cache", action="store_true", help="always train the classifier")


def mean_spread(values) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    arr = np.asarray(list(values), dtype=float)
    if arr.size == 0:
        return math.nan, math.nan
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else 0.0


def fmt_mean(values, digits: int = 1, scale: float = 1.0) -> str:
    """``mean ± std`` of ``values`` (times ``scale``), or the single value."""
    values = [v * scale for v in values]
    mean, spread = mean_spread(values)
    if len(values) == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {spread:.{digits}f}"


def markdown_table(headers: list[str], rows: list[list], align: str | None = None) -> str:
    """A GitHub-Markdown table with padded columns (readable in a terminal as well)."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    align = align or "l" + "r" * (len(headers) - 1)

    def line(row):
        return "| " + " | ".join(c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(row, widths, align)) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2)) for w, a in zip(widths, align)) + "|"
    return "\n".join([line(cells[0]), rule] + [line(r) for r in cells[1:]])


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_json(path: str | Path, payload: dict) -> Path:
    """Write ``payload`` (with the command line added) as indented JSON; creates parent folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"command": "python -m gancourse.bench " + " ".join(sys.argv[1:]), **payload}
    path.write_text(json.dumps(_jsonable(payload), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
