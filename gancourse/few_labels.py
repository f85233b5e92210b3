"""Learning from few labels (notebook 09): a class-balanced labelled subset, and a classifier trained on it with
or without extra labelled images (e.g. a CGAN's samples), as a :class:`~gancourse.training.family.Family` so the
course's Trainer runs it (progress bar, history, NaN rollback).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from gancourse.data import Batches, ImageData
from gancourse.training.family import Family, make_optimizer, model_config

__all__ = ["balanced_subset", "Supervised", "RealAndExtra", "accuracy"]


def balanced_subset(data: ImageData, per_class: int, seed: int = 0) -> tuple[ImageData, ImageData]:
    """(labelled, rest): ``per_class`` images of every class drawn with a seeded shuffle, and all the others."""
    if not (isinstance(per_class, int) and per_class >= 1):
        raise ValueError(f"per_class must be a positive integer, got {per_class!r}")
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    chosen = []
    for k in range(len(data.classes)):
        of_k = order[data.labels[order] == k]
        if len(of_k) < per_class:
            raise ValueError(f"class {data.classes[k]!r} has only {len(of_k)} images, fewer than per_class={per_class}")
        chosen.append(of_k[:per_class])
    chosen = torch.cat(chosen)
    rest = torch.ones(len(data), dtype=torch.bool)
    rest[chosen] = False
    make = lambda idx, tag: ImageData(data.images[idx], data.labels[idx], data.name, f"{data.split}/{tag}", data.classes)  # noqa: E731
    return make(chosen, f"{per_class}-per-class"), make(rest.nonzero().squeeze(1), "rest")


class RealAndExtra:
    """Endless ``(real images, labels, extra images, extra labels)``: a batch of each per step, so the two sets
    weigh equally in the loss however many extra images there are."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, extra_images: torch.Tensor, extra_labels: torch.Tensor,
                 batch_size: int = 100, *, seed: int = 0, device: str | torch.device = "cpu"):
        self.real = Batches(images, labels, min(batch_size, len(images)), seed=seed, device=device)
        self.extra = Batches(extra_images, extra_labels, min(batch_size, len(extra_images)), seed=seed + 1, device=device)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        for (x, y), (u, v) in zip(self.real, self.extra):
            yield x, y, u, v


class Supervised(Family):
    """A classifier trained by cross-entropy with Adam: batches are ``(images, labels)``, or ``(images, labels,
    extra images, extra labels)`` (:class:`RealAndExtra`), whose two parts are concatenated."""

    name = "supervised"

    def __init__(self, classifier: nn.Module, *, lr: float = 1e-3, betas: tuple[float, float] = (0.5, 0.999),
                 seed: int = 0):
        super().__init__(seed)
        self.classifier, self.lr, self.betas = classifier, lr, betas
        self.opt = make_optimizer("adam", classifier.parameters(), lr, betas)
        self.optimizers = {"classifier": self.opt}
        self._params = list(classifier.parameters())

    def config(self) -> dict:
        return {**super().config(), "lr": self.lr, "betas": self.betas, "classifier": model_config(self.classifier)}

    def train_step(self, batches) -> dict[str, torch.Tensor]:
        items = self.prepare(next(batches))
        if len(items) not in (2, 4) or any(t is None for t in items):
            raise ValueError("a supervised batch is (images, labels) or (images, labels, extra images, extra labels)")
        images, labels = torch.cat(items[0::2]), torch.cat(items[1::2])
        self.classifier.train()
        logits = self.classifier(images)
        loss = F.cross_entropy(logits, labels)
        grad_norm = self.descend(self.opt, loss, self._params)
        return {"loss": loss.detach(), "train_accuracy": (logits.argmax(1) == labels).float().mean().detach(),
                "grad_norm": grad_norm}

    @torch.no_grad()
    def classify(self, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        return self.apply_in_eval_mode(self.classifier, images, batch_size).argmax(1)


def accuracy(predicted: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of ``predicted`` equal to ``labels``."""
    if predicted.shape != labels.shape:
        raise ValueError(f"predicted and labels differ in shape: {tuple(predicted.shape)} vs {tuple(labels.shape)}")
    return (predicted.cpu() == labels.cpu()).float().mean().item()
