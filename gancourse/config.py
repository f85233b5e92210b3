"""Run settings shared by every notebook: seeding, device choice, FAST mode and the data folder."""

from __future__ import annotations

import contextlib
import os
import random
from pathlib import Path

import numpy as np
import torch

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and PyTorch so that a CPU run is repeatable bit for bit.

    Returns a ``torch.Generator`` seeded with the same value, for code that wants its own stream.
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    # cuDNN picks the fastest kernel per shape by timing them, which is not repeatable.
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    return torch.Generator().manual_seed(seed)


@contextlib.contextmanager
def seeded(seed: int, device: str | torch.device = "cpu"):
    """Run a block with torch's global generator seeded with ``seed`` (e.g. to build networks with
    reproducible initial weights), then give the caller back the generator state it had — the CPU's, and
    that of a CUDA ``device`` the block draws from too.

    Library code uses this instead of :func:`seed_everything`, which changes global state for good.
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {seed!r}")
    device = torch.device(device)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        yield


def get_device(preferred: str | None = None) -> torch.device:
    """Pick the device to train on: ``preferred``, else ``$GANCOURSE_DEVICE``, else cuda → mps → cpu.

    ``"auto"`` (or ``None``) means "the best available".  Asking for a device that this machine
    does not have raises, rather than silently running somewhere else.
    """
    choice = (preferred or os.environ.get("GANCOURSE_DEVICE") or "auto").strip().lower()
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(choice)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"Device {choice!r} was requested but CUDA is not available on this machine. "
            "Use DEVICE='auto' or 'cpu' (on Colab: Runtime → Change runtime type → GPU)."
        )
    if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise RuntimeError(f"Device {choice!r} was requested but Apple MPS is not available. Use 'auto' or 'cpu'.")
    return device


def fast_mode() -> bool:
    """True when ``GANCOURSE_FAST`` asks for the short (CI) run; FAST shortens training, never skips."""
    value = os.environ.get("GANCOURSE_FAST", "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"GANCOURSE_FAST must be 1/0 (or true/false), got {value!r}")


def data_dir() -> Path:
    """Folder holding datasets: ``$GANCOURSE_DATA``, else ``data/`` beside the repository.

    When the package is installed outside a checkout (e.g. on Colab) the fallback is ``./data``.
    """
    env = os.environ.get("GANCOURSE_DATA")
    if env:
        return Path(env).expanduser().resolve()
    repo = Path(__file__).resolve().parent.parent
    if (repo / "pyproject.toml").is_file():
        return repo / "data"
    return Path.cwd() / "data"
