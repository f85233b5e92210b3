"""A small MNIST classifier used as the *evaluation network*: class coverage and feature FID.

FID is normally computed on Inception-v3 features, whose weights cannot be downloaded here.  For
28×28 digits a small CNN trained on real digits is a better-suited (and honest, if reported as such)
feature extractor: its 128-dimensional penultimate layer feeds :func:`gancourse.metrics.fid_from_features`
and its softmax feeds :func:`gancourse.metrics.class_coverage`.  FID values from different feature
networks are not comparable with each other, so always report the real-vs-real floor beside them.

The trained weights are cached (atomic write, ``weights_only`` load) under ``$GANCOURSE_CACHE`` or
``~/.cache/gancourse``, keyed by the training images and the settings, so a benchmark trains it once.
Training seeds its own random streams and gives the caller's back afterwards: whether the cache held
the model or not, the global RNG states and torch settings are the same after the call.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from gancourse.checkpoints import load_checkpoint, save_checkpoint
from gancourse.config import seeded

__all__ = ["MNISTClassifier", "ClassifierConfig", "train_classifier", "accuracy", "predict",
           "cache_dir", "load_or_train_classifier"]


class MNISTClassifier(nn.Module):
    """Two conv blocks (32, 64 channels, max-pool) → 128 features → 10 logits, for 1×28×28 in [-1, 1].

    ``num_features`` (128) is what torchmetrics expects of a custom FID feature extractor; calling
    :meth:`features` returns that penultimate layer (after ReLU).
    """

    num_features = 128

    def __init__(self, num_classes: int = 10, channels: int = 1):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),   # 14×14
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),         # 7×7
            nn.Flatten(), nn.Linear(64 * 7 * 7, self.num_features), nn.ReLU(inplace=True),
        )
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(self.num_features, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.body(x)))


class FeatureExtractor(nn.Module):
    """Wraps a classifier so that ``forward`` returns its penultimate features (for torchmetrics' FID)."""

    def __init__(self, classifier: MNISTClassifier):
        super().__init__()
        self.classifier = classifier.eval()
        self.num_features = classifier.num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier.features(x)


@dataclass(frozen=True)
class ClassifierConfig:
    """Training settings; part of the cache key."""

    epochs: int = 4
    batch_size: int = 128
    lr: float = 2e-3
    max_shift: int = 2       # random translation by up to this many pixels (data augmentation)
    seed: int = 0


def _shift(x: torch.Tensor, max_shift: int, gen: torch.Generator) -> torch.Tensor:
    """Randomly translate each image by up to ``max_shift`` pixels (pad with background −1, crop)."""
    if max_shift <= 0:
        return x
    n, _, h, w = x.shape
    padded = F.pad(x, (max_shift,) * 4, value=-1.0)
    dx, dy = torch.randint(0, 2 * max_shift + 1, (2, n), generator=gen)
    rows = (dy[:, None] + torch.arange(h)[None, :])           # (n, h)
    cols = (dx[:, None] + torch.arange(w)[None, :])           # (n, w)
    idx = torch.arange(n)[:, None, None]
    return padded[:, 0][idx, rows[:, :, None], cols[:, None, :]].unsqueeze(1)


@contextlib.contextmanager
def _seeded_run(seed: int, device: str | torch.device):
    """Seed torch's global generator (initial weights, dropout) and make cuDNN deterministic for one run,
    then restore the caller's generator states and cuDNN settings: a library call must not change them."""
    cudnn = torch.backends.cudnn
    saved = cudnn.benchmark, cudnn.deterministic
    with seeded(seed, device):
        cudnn.benchmark, cudnn.deterministic = False, True
        try:
            yield
        finally:
            cudnn.benchmark, cudnn.deterministic = saved


def train_classifier(images: torch.Tensor, labels: torch.Tensor, config: ClassifierConfig = ClassifierConfig(),
                     *, progress: bool = False, device: str | torch.device = "cpu") -> MNISTClassifier:
    """Train :class:`MNISTClassifier` on ``images`` (N, 1, 28, 28) in [-1, 1] with integer ``labels``."""
    if images.ndim != 4 or images.shape[1:] != (1, 28, 28):
        raise ValueError(f"expected images of shape (N, 1, 28, 28), got {tuple(images.shape)}")
    with _seeded_run(config.seed, device):
        return _train(images, labels, config, progress, device)


def _train(images, labels, config: ClassifierConfig, progress: bool, device) -> MNISTClassifier:
    from tqdm.auto import tqdm

    gen = torch.Generator().manual_seed(config.seed)  # batch order and shifts
    model = MNISTClassifier(num_classes=int(labels.max()) + 1).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    per_epoch = max(1, len(images) // config.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=config.epochs * per_epoch)
    model.train()
    bar = tqdm(total=config.epochs * per_epoch, desc="evaluation classifier", disable=not progress, mininterval=0.5)
    for _ in range(config.epochs):
        order = torch.randperm(len(images), generator=gen)
        for b in range(per_epoch):
            idx = order[b * config.batch_size:(b + 1) * config.batch_size]
            x = _shift(images[idx], config.max_shift, gen).to(device)
            loss = F.cross_entropy(model(x), labels[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            bar.update(1)
    bar.close()
    return model.eval()


@torch.no_grad()
def predict(model: MNISTClassifier, images: torch.Tensor, batch_size: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits, features) of ``images`` in eval mode, on the CPU, computed in batches."""
    model.eval()
    device = next(model.parameters()).device
    logits, feats = [], []
    for start in range(0, len(images), batch_size):
        x = images[start:start + batch_size].to(device)
        f = model.features(x)
        feats.append(f.cpu())
        logits.append(model.head(f).cpu())
    return torch.cat(logits), torch.cat(feats)


def accuracy(model: MNISTClassifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of ``images`` whose predicted class equals ``labels``."""
    logits, _ = predict(model, images)
    return float((logits.argmax(1) == labels.cpu()).float().mean())


def cache_dir() -> Path:
    """``$GANCOURSE_CACHE``, else ``~/.cache/gancourse``."""
    env = os.environ.get("GANCOURSE_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "gancourse"


def _cache_key(images: torch.Tensor, labels: torch.Tensor, config: ClassifierConfig) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(images.detach().cpu().float().numpy()).tobytes())
    h.update(np.ascontiguousarray(labels.detach().cpu().long().numpy()).tobytes())
    h.update(repr(sorted(asdict(config).items())).encode())
    h.update(f"MNISTClassifier-v1-{MNISTClassifier.num_features}".encode())
    return h.hexdigest()[:16]


def load_or_train_classifier(images: torch.Tensor, labels: torch.Tensor, config: ClassifierConfig = ClassifierConfig(),
                             *, cache: str | Path | None | bool = None, progress: bool = False,
                             device: str | torch.device = "cpu") -> tuple[MNISTClassifier, dict]:
    """The classifier trained on exactly these images and settings: from the cache, else trained now.

    ``cache``: a folder, ``None`` for :func:`cache_dir`, or ``False`` to always train.  Returns the model
    and an info dict (``cached``, ``seconds``, ``path``).
    """
    start = time.perf_counter()
    path = None
    if cache is not False:
        folder = Path(cache) if cache not in (None, True) else cache_dir()
        path = folder / f"mnist-classifier-{_cache_key(images, labels, config)}.pt"
        if path.is_file():
            try:
                state = load_checkpoint(path)
                with seeded(config.seed):  # the random initial weights, overwritten next, must not draw from the caller's
                    model = MNISTClassifier(num_classes=state["num_classes"])
                model.load_state_dict(state["model"])
                return model.to(device).eval(), {"cached": True, "seconds": time.perf_counter() - start, "path": str(path)}
            except Exception:  # a corrupt or incompatible cache file is simply retrained
                pass
    model = train_classifier(images, labels, config, progress=progress, device=device)
    if path is not None:
        save_checkpoint({"model": model.state_dict(), "num_classes": model.head.out_features, "config": asdict(config)}, path)
    return model, {"cached": False, "seconds": time.perf_counter() - start, "path": None if path is None else str(path)}
