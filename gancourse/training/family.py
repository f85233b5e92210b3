"""The base of every model family: networks, optimizers, a noise stream and one training step.

A family says *what one step computes* (its paper's pseudocode); :class:`gancourse.training.Trainer`
owns everything around it (the loop, progress bar, history, stops, checkpoints, callbacks).  A
subclass sets ``generator`` (and any other networks) as attributes, fills ``optimizers``, and
implements :meth:`train_step` and :meth:`config`.  The helpers every family shares live here too:
:func:`make_optimizer`, :meth:`Family.set_up_optimizers` (G's and D's optimizers, of one kind),
:func:`model_config` (a network's constructor arguments for the checkpoint) and :meth:`Family.descend`
(one optimiser step that returns the gradient norm).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

from gancourse.models import eval_mode
from gancourse.training.tensor_ops import total_norm


def make_optimizer(name: str, params, lr: float, betas: tuple[float, float] | None) -> torch.optim.Optimizer:
    """``adam`` (multi-tensor kernels, bit-identical to the per-parameter loop that notebook 04 writes),
    ``adam-fused`` (one kernel for the whole update: ~3.5× cheaper for small MLPs on the CPU, rounded
    differently in the last bits), ``rmsprop`` (WGAN's choice) or ``sgd``."""
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas or (0.5, 0.999), foreach=True)
    if name == "adam-fused":
        return torch.optim.Adam(params, lr=lr, betas=betas or (0.5, 0.999), fused=True)
    if betas is not None:
        raise ValueError(f"betas apply to the Adam optimizers only, not {name!r}")
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, foreach=True)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, foreach=True)
    raise ValueError(f"optimizer must be 'adam', 'adam-fused', 'rmsprop' or 'sgd', got {name!r}")


def model_config(model: nn.Module) -> dict:
    """A network's constructor arguments when it records them (the course models do), else its class."""
    return dict(getattr(model, "config", None) or {"class": type(model).__name__})


class Family(nn.Module):
    """Networks + optimizers + :meth:`train_step`.  Being an ``nn.Module`` makes ``.to(device)``,
    ``state_dict()`` and ``train()`` cover every network the family owns (an exponential moving average
    of G added by :class:`~gancourse.training.callbacks.WeightAverage` included)."""

    name = "family"

    def __init__(self, seed: int = 0):
        super().__init__()
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise TypeError(f"seed must be an int, got {seed!r}")
        self.seed = seed
        # Noise is drawn on the CPU and moved: the same numbers on every device, and a generator state
        # that a checkpoint can carry from a CPU machine to a GPU one and back.
        self.rng = torch.Generator().manual_seed(seed)
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.step = 0  # completed training steps; the Trainer advances it
        self.memory_format = torch.contiguous_format  # the Trainer sets channels_last for CPU convolutions

    @staticmethod
    def descend(optimizer: torch.optim.Optimizer, loss: torch.Tensor, params: list[nn.Parameter]) -> torch.Tensor:
        """One gradient step of ``optimizer`` on ``loss``; returns the gradient norm of ``params`` (no sync)."""
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = total_norm([p.grad for p in params if p.grad is not None])
        optimizer.step()
        return norm

    # ---- what a subclass provides -------------------------------------------------------------------------
    def train_step(self, batches: Iterator) -> dict[str, torch.Tensor]:
        """One training step on batches drawn from ``batches``; returns 0-d tensors to log (no .item())."""
        raise NotImplementedError

    def config(self) -> dict:
        """Plain values (str, int, float, bool, None, tuples, dicts) that rebuild this family."""
        return {"family": self.name, "seed": self.seed}

    def fixed_inputs(self, count: int) -> tuple:
        """The generator inputs of fixed-noise snapshots (the same for the whole run)."""
        raise NotImplementedError(f"{type(self).__name__} has no fixed inputs for snapshots")

    # ---- shared helpers -----------------------------------------------------------------------------------
    def set_up_optimizers(self, generator_params, discriminator_params, *, optimizer: str, lr_g: float,
                          lr_d: float | None, betas: tuple[float, float] | None,
                          names: tuple[str, str] = ("generator", "discriminator")) -> None:
        """One optimizer of kind ``optimizer`` for G's parameters and one for D's (none if ``discriminator_params``
        is None): sets ``g_opt`` and ``d_opt``, ``optimizers`` under ``names`` (what checkpoints save), the
        parameter lists whose gradient norm :meth:`descend` reports, and the settings :meth:`optimizer_config`
        records."""
        self.optimizer_name, self.lr_g, self.lr_d, self.betas = optimizer, lr_g, lr_d, betas
        self._generator_params = list(generator_params)
        self.g_opt = make_optimizer(optimizer, self._generator_params, lr_g, betas)
        self.optimizers = {names[0]: self.g_opt}
        if discriminator_params is not None:
            self._discriminator_params = list(discriminator_params)
            self.d_opt = make_optimizer(optimizer, self._discriminator_params, lr_d, betas)
            self.optimizers[names[1]] = self.d_opt

    def optimizer_config(self) -> dict:
        """The optimizer settings of :meth:`set_up_optimizers`, for :meth:`config`."""
        return {"optimizer": self.optimizer_name, "lr_g": self.lr_g, "lr_d": self.lr_d, "betas": self.betas}

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def noise(self, n: int, dim: int) -> torch.Tensor:
        """(n, dim) standard normal noise from the family's stream, on the family's device."""
        return torch.randn(n, dim, generator=self.rng).to(self.device)

    def prepare(self, batch) -> tuple[torch.Tensor | None, ...]:
        """A batch as a tuple of tensors on the family's device; 4-D images in the training memory format.

        Accepts a tensor, or a tuple/list of tensors (a ``DataLoader`` over a ``TensorDataset`` of images
        alone yields 1-item lists).
        """
        items = tuple(batch) if isinstance(batch, (tuple, list)) else (batch,)
        if not items or not all(t is None or isinstance(t, torch.Tensor) for t in items) or items[0] is None:
            raise TypeError(f"a batch must be a tensor or a tuple/list of tensors, got {type(batch).__name__}")
        moved, device = [], self.device
        for t in items:
            if t is None:  # e.g. the labels of unlabelled in-memory Batches
                moved.append(t)
                continue
            t = t.to(device, non_blocking=True)
            if t.ndim == 4 and t.is_floating_point() and self.memory_format is not torch.contiguous_format:
                t = t.contiguous(memory_format=self.memory_format)
            moved.append(t)
        return tuple(moved)

    # ---- sampling -----------------------------------------------------------------------------------------
    @property
    def sampler(self) -> nn.Module:
        """The generator that samples come from: the weight average when there is one, else G."""
        average = getattr(self, "generator_ema", None)
        return self.generator if average is None else average

    @torch.no_grad()
    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """:attr:`sampler` applied to ``z`` (and ``labels``) in eval mode; BatchNorm uses running statistics."""
        with eval_mode(self.sampler) as generator:
            return generator(z) if labels is None else generator(z, labels)

    @torch.no_grad()
    def apply_in_eval_mode(self, network: nn.Module, inputs: torch.Tensor, batch_size: int = 500):
        """``network(inputs)`` on the CPU, in eval mode and in batches (e.g. translating a held-out set); the
        network's training mode is restored afterwards.  A network with several outputs (InfoGAN's D and Q)
        gives a tuple of them."""
        with eval_mode(network):
            parts = [_to_cpu(network(inputs[i:i + batch_size].to(self.device))) for i in range(0, len(inputs), batch_size)]
        if isinstance(parts[0], tuple):
            return tuple(torch.cat(outputs).contiguous() for outputs in zip(*parts))
        return torch.cat(parts).contiguous()


def _to_cpu(output):
    """A network's output — a tensor or a tuple of tensors — on the CPU."""
    return tuple(o.cpu() for o in output) if isinstance(output, tuple) else output.cpu()


@contextlib.contextmanager
def frozen(params: list[nn.Parameter]):
    """Inside the block ``params`` take no gradient, so back-propagating through their network computes only
    the gradient for its input (cheaper than a full backward); afterwards they are trainable again."""
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)
