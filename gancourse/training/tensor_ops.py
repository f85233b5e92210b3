"""Whole-list tensor operations for the hot path, with a public-API fallback for each.

``torch._foreach_*`` run one kernel over a list of tensors instead of one Python call per tensor; they
are private, so every use here falls back to the per-tensor public method when they are missing.  Both
paths give the same values (tested).
"""

from __future__ import annotations

import torch


def _fused(name: str):
    """torch's private multi-tensor kernel ``name``, or None where this version lacks it."""
    return getattr(torch, name, None)


def copy_all(targets: list[torch.Tensor], sources: list[torch.Tensor]) -> None:
    """``target.copy_(source)`` for every pair."""
    if not targets:
        return
    fused = _fused("_foreach_copy_")
    if fused is not None:
        fused(targets, sources)
    else:
        for target, source in zip(targets, sources):
            target.copy_(source)


def lerp_all(targets: list[torch.Tensor], sources: list[torch.Tensor], weight: float) -> None:
    """``target ← target + weight · (source − target)`` for every pair."""
    if not targets:
        return
    fused = _fused("_foreach_lerp_")
    if fused is not None:
        fused(targets, sources, weight)
    else:
        for target, source in zip(targets, sources):
            target.lerp_(source, weight)


def total_norm(tensors: list[torch.Tensor]) -> torch.Tensor:
    """The 2-norm of all ``tensors`` taken as one vector (0 for an empty list), without a device sync."""
    if not tensors:
        return torch.zeros(())
    fused = _fused("_foreach_norm")
    if fused is not None:
        norms = fused(tensors)
    else:
        norms = [torch.linalg.vector_norm(t) for t in tensors]
    return torch.linalg.vector_norm(torch.stack(norms))
