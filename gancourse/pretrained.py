"""Pre-trained checkpoints shipped with the course, so a live lecture can skip its longest training cells.

A notebook with ``PRETRAINED = True`` calls :func:`fit_or_load`, which loads the run its default parameters
would have trained (checked against the sha256 in ``weights/manifest.json``, loaded with ``weights_only=True``);
with ``PRETRAINED = False`` — the default — it trains here and says so. ``make pretrained`` regenerates every
file: it runs the notebooks with their default parameters and ``GANCOURSE_WRITE_PRETRAINED=1``, which makes
:func:`fit_or_load` write what it trained.

To stay small the files keep weights and snapshot images in float16 and drop the optimizers' moment estimates
(Adam restarts them if training continues); the rest of the history (losses, evaluations) is kept as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import torch
from torch import nn

from gancourse.checkpoints import atomic_write, load_checkpoint, save_checkpoint
from gancourse.models import from_config

FOLDER = Path(__file__).resolve().parent / "weights"
MANIFEST = FOLDER / "manifest.json"
WRITE_VARIABLE = "GANCOURSE_WRITE_PRETRAINED"


class PretrainedError(RuntimeError):
    """A shipped checkpoint is missing, changed, or does not fit the model it is loaded into."""


def manifest() -> dict:
    """name → {"file", "sha256", "bytes", "steps", "seconds", "torch"} of every shipped checkpoint."""
    if not MANIFEST.is_file():
        return {}
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_state(name: str) -> dict:
    """The checkpoint ``name`` as a trainer state (float32 weights), after checking its sha256."""
    entries = manifest()
    if name not in entries:
        raise PretrainedError(f"no pre-trained checkpoint named {name!r} (the course ships {sorted(entries) or 'none'}): "
                              "set PRETRAINED = False to train it here, or run `make pretrained`")
    entry = entries[name]
    path = FOLDER / entry["file"]
    if not path.is_file():
        raise PretrainedError(f"the pre-trained checkpoint {entry['file']} is missing from the package: reinstall "
                              "gancourse, run `make pretrained`, or set PRETRAINED = False to train it here")
    if sha256(path) != entry["sha256"]:
        raise PretrainedError(f"{entry['file']} does not match the sha256 in the manifest (a damaged or changed file): "
                              "reinstall gancourse or run `make pretrained`, or set PRETRAINED = False")
    state = load_checkpoint(path)  # weights_only=True: tensors and plain containers, no code
    state["modules"] = {k: v.float() if v.is_floating_point() else v for k, v in state["modules"].items()}
    state["history"]["snapshots"] = [(step, images.float()) for step, images in state["history"]["snapshots"]]
    return state


def fit_or_load(trainer, name: str, pretrained: bool, data, steps: int, **fit_options):
    """Train ``trainer`` for ``steps`` steps on ``data`` — or, with ``pretrained``, load the shipped run ``name``
    (the same configuration, trained by the notebook's default run).  Prints which one happened; returns the
    trainer's history either way."""
    if not isinstance(pretrained, bool):
        raise TypeError(f"PRETRAINED must be True or False, got {pretrained!r}")
    if pretrained:
        state = load_state(name)
        try:
            trainer.load_state_dict(state)
        except ValueError as error:  # the configuration or the networks changed since the file was made
            raise PretrainedError(f"the pre-trained {name!r} does not fit this notebook's model: {error}\n"
                                  "Run `make pretrained` to regenerate it, or set PRETRAINED = False.") from None
        print(f"{name}: loaded the course's pre-trained checkpoint ({trainer.step:,} steps, trained in "
              f"{trainer.elapsed:.0f} s); PRETRAINED = False trains it here instead")
        return trainer.history
    history = trainer.fit(data, steps, **fit_options)
    print(f"{name}: trained here from scratch ({trainer.step:,} steps; PRETRAINED = True would load the shipped run)")
    if os.environ.get(WRITE_VARIABLE) == "1":
        write(trainer, name)
    return history


def write(trainer, name: str) -> Path:
    """Store the trainer's run as the shipped checkpoint ``name`` (float16 weights, no optimizer moments) and
    record it in the manifest."""
    state = trainer.state_dict()
    state["modules"] = {k: v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu()
                        for k, v in state["modules"].items()}
    state["history"]["snapshots"] = [(step, images.half()) for step, images in state["history"]["snapshots"]]
    for optimizer in state["optimizers"].values():
        optimizer["state"] = {}
    path = save_checkpoint(state, FOLDER / f"{name}.pt")
    entries = manifest()
    entries[name] = {"file": path.name, "sha256": sha256(path), "bytes": path.stat().st_size, "steps": trainer.step,
                     "seconds": round(trainer.elapsed, 1), "torch": torch.__version__.split("+")[0],
                     "written": time.strftime("%Y-%m-%d")}
    with atomic_write(MANIFEST, "w") as f:
        json.dump(dict(sorted(entries.items())), f, indent=1)
        f.write("\n")
    print(f"{name}: written to the package's pre-trained checkpoints ({path.stat().st_size / 1e6:.1f} MB)")
    return path


def networks(name: str) -> dict[str, nn.Module]:
    """The shipped run ``name``'s networks rebuilt with today's classes from the configuration the checkpoint
    carries, with its weights loaded strictly: {"generator": …, "discriminator": …} (plus "generator_ema" when
    the run kept one).  Raises when a class or a weight no longer fits."""
    state = load_state(name)
    roles = {"generator": "generator", "discriminator": "discriminator"}  # role → its configuration's key
    if any(k.startswith("generator_ema.") for k in state["modules"]):
        roles["generator_ema"] = "generator"  # the weight average: a second G
    built = {}
    for role, config_key in roles.items():
        try:
            module = from_config(state["config"][config_key])
        except (TypeError, ValueError) as error:  # a class gone, or its arguments changed
            raise PretrainedError(f"{name}: the {config_key} cannot be rebuilt from its configuration: {error}") from None
        prefix = f"{role}."
        module.load_state_dict({k[len(prefix):]: v for k, v in state["modules"].items() if k.startswith(prefix)},
                               strict=True)
        built[role] = module.eval()
    return built
