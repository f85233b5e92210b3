"""One trainer for GAN, WGAN (weight clipping), WGAN-GP, hinge and conditional GANs, with its history.

Each generator step is preceded by ``critic_steps`` discriminator steps (the k of Goodfellow et al.'s
Algorithm 1, :cite:`goodfellow2014gan`).  The code of one step is short on purpose: notebook 04 writes
the same loop by hand and a test checks both give identical weights.

Three optional "recipe" features, all off by default: an R1 gradient penalty on real data
(``r1_weight``; :cite:`mescheder2018convergence`), a learning-rate schedule (``lr_schedule``, e.g.
:func:`linear_decay`), a function of the generator step that multiplies both learning rates, and an
exponential moving average of the generator's weights (``ema_decay``; :cite:`yazici2019ema`).
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from gancourse.checkpoints import load_checkpoint, save_checkpoint
from gancourse.config import get_device
from gancourse.losses import OBJECTIVES, gradient_penalty


def linear_decay(total_steps: int, start: float = 0.5, final: float = 0.0) -> Callable[[int], float]:
    """Learning-rate multiplier: 1 until ``start`` × ``total_steps``, then linearly down to ``final``.

    A final low-learning-rate phase lets the oscillating GAN game settle, so samples become sharp.
    Pass the result as ``GANTrainer(..., lr_schedule=linear_decay(steps))``.
    """
    if total_steps < 1 or not 0.0 <= start <= 1.0 or final < 0:
        raise ValueError(f"need total_steps ≥ 1, 0 ≤ start ≤ 1 and final ≥ 0, got {total_steps}, {start}, {final}")
    begin = start * total_steps

    def multiplier(step: int) -> float:
        if step < begin:
            return 1.0
        return final + (1.0 - final) * max(0.0, (total_steps - step) / max(total_steps - begin, 1e-9))

    multiplier.__doc__ = f"1 until step {begin:g}, then linear to {final} at step {total_steps}"
    return multiplier


def r1_penalty(real_scores: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """R1 penalty E[‖∇_x D(x)‖²] on real data (``real`` must require grad); the graph is kept."""
    (grads,) = torch.autograd.grad(real_scores.sum(), real, create_graph=True)
    return grads.flatten(1).pow(2).sum(1).mean()


class TrainingDiverged(RuntimeError):
    """A loss or gradient became NaN or infinite."""


class History:
    """Per-step metrics (``history["loss_d"]`` is a list) and fixed-noise sample snapshots."""

    def __init__(self):
        self.metrics: dict[str, list[float]] = defaultdict(list)
        self.snapshots: list[tuple[int, torch.Tensor]] = []
        self.stop_reason: str | None = None

    def log(self, **values: float) -> None:
        for key, value in values.items():
            self.metrics[key].append(float(value))

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.metrics:
            raise KeyError(f"no metric {key!r} in this history; it has {sorted(self.metrics)}")
        return self.metrics[key]

    def __contains__(self, key: str) -> bool:
        return key in self.metrics

    def __len__(self) -> int:
        return len(self.metrics.get("step", []))

    def last(self, key: str) -> float:
        return self[key][-1]

    def to_dict(self) -> dict:
        return {"metrics": dict(self.metrics), "snapshots": list(self.snapshots), "stop_reason": self.stop_reason}

    @classmethod
    def from_dict(cls, state: dict) -> "History":
        history = cls()
        history.metrics.update({k: list(v) for k, v in state["metrics"].items()})
        history.snapshots = [(int(s), t) for s, t in state["snapshots"]]
        history.stop_reason = state["stop_reason"]
        return history

    def __repr__(self) -> str:
        return f"History({len(self)} steps, metrics={sorted(self.metrics)}, snapshots={len(self.snapshots)})"


def _total_grad_norm(module: nn.Module) -> torch.Tensor:
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return torch.zeros(())
    if hasattr(torch, "_foreach_norm"):  # one fused call instead of one per tensor (as clip_grad_norm_ does)
        return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))


class GANTrainer:
    """Alternating GAN training with monitoring, snapshots, checkpoints and safe stops.

    objective: ``gan`` (BCE, non-saturating G), ``gan-saturating`` (minimax G loss), ``wgan``
    (critic with weight clipping), ``wgan-gp`` (gradient penalty), ``hinge``.
    optimizer: ``adam`` (default), ``adam-fused`` (the same update in one fused kernel: faster for small
    models, equal up to rounding), ``rmsprop`` (WGAN's choice) or ``sgd``.
    r1_weight: γ of the R1 penalty (γ/2)·E‖∇D(x)‖² on real data, which damps the oscillation around the
    equilibrium (Mescheder et al., 2018); ``r1_every`` = N applies it (N× weighted) on every N-th
    generator step only ("lazy" regularisation as in StyleGAN2), which is cheaper.
    lr_schedule: ``f(step) → multiplier`` of both learning rates before generator step ``step`` (0-based).
    ema_decay: β of an exponential moving average of G's weights, updated after every generator step
    (with the usual warm-up, β_t = min(β, (1 + t) / (10 + t)), so early weights fade quickly).  The
    game makes G's weights circle around a good point; their average sits closer to it, so the
    averaged copy ``generator_ema`` draws cleaner samples.  :meth:`sample` and snapshots then use it;
    its BatchNorm statistics are copied from G.
    channels_last: store convolutional models and image batches as NHWC, which the CPU convolution
    kernels run ~20 % faster (measured by ``python -m gancourse.bench speed``); ``None`` = on for models
    with convolutions on the CPU.  Samples are returned in the usual contiguous layout either way.
    """

    def __init__(self, generator: nn.Module, discriminator: nn.Module, *, objective: str = "gan",
                 lr_g: float = 2e-4, lr_d: float = 2e-4, betas=(0.5, 0.999), optimizer: str = "adam",
                 critic_steps: int = 1, clip_value: float = 0.01, gp_weight: float = 10.0,
                 label_smoothing: float = 0.0, device=None, seed: int = 0,
                 snapshot_every: int = 0, snapshot_count: int = 64, r1_weight: float = 0.0, r1_every: int = 1,
                 lr_schedule: Callable[[int], float] | None = None, channels_last: bool | None = None,
                 ema_decay: float = 0.0):
        if objective not in OBJECTIVES:
            raise ValueError(f"Unknown objective {objective!r}; choose one of {sorted(OBJECTIVES)}.")
        if optimizer not in ("adam", "adam-fused", "rmsprop", "sgd"):
            raise ValueError(f"optimizer must be 'adam', 'adam-fused', 'rmsprop' or 'sgd', got {optimizer!r}")
        if critic_steps < 1:
            raise ValueError(f"critic_steps (k) must be at least 1, got {critic_steps}")
        if label_smoothing and not OBJECTIVES[objective][2]:
            raise ValueError(f"label_smoothing applies to the BCE objectives only, not {objective!r}")
        if r1_weight < 0 or r1_every < 1:
            raise ValueError(f"r1_weight must be ≥ 0 and r1_every ≥ 1, got {r1_weight} and {r1_every}")
        if not 0.0 <= ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1) (0 = no averaging, 0.999 = slow), got {ema_decay}")
        if not hasattr(generator, "latent_dim"):
            raise TypeError("the generator needs a `latent_dim` attribute (the size of its noise input)")
        self.device = get_device(device) if not isinstance(device, torch.device) else device
        self.generator, self.discriminator = generator.to(self.device), discriminator.to(self.device)
        self._discriminator_params = list(self.discriminator.parameters())  # toggled at every generator step
        if channels_last is None:
            convs = (nn.Conv2d, nn.ConvTranspose2d)
            channels_last = self.device.type == "cpu" and any(isinstance(m, convs) for m in discriminator.modules())
        self.channels_last = bool(channels_last)
        if self.channels_last:
            self.generator.to(memory_format=torch.channels_last)
            self.discriminator.to(memory_format=torch.channels_last)
        self.ema_decay = ema_decay
        self.generator_ema = self._make_ema(self.generator) if ema_decay else None
        if self.generator_ema is not None:  # paired once; load_state_dict copies into these same tensors
            self._ema_params = (list(self.generator_ema.parameters()), list(self.generator.parameters()))
            self._ema_buffers = (list(self.generator_ema.buffers()), list(self.generator.buffers()))
        self.objective = objective
        self.d_loss_fn, self.g_loss_fn, self.outputs_are_logits = OBJECTIVES[objective]
        self.critic_steps, self.clip_value, self.gp_weight = critic_steps, clip_value, gp_weight
        self.label_smoothing = label_smoothing
        self.r1_weight, self.r1_every, self.lr_schedule = r1_weight, r1_every, lr_schedule
        self.lr_g, self.lr_d = lr_g, lr_d
        self._last_r1 = 0.0
        self.num_classes = getattr(generator, "num_classes", None)
        self.latent_dim = generator.latent_dim
        self.g_opt = self._make_optimizer(optimizer, generator, lr_g, betas)
        self.d_opt = self._make_optimizer(optimizer, discriminator, lr_d, betas)
        self.rng = torch.Generator(device=self.device).manual_seed(seed)
        self.snapshot_every = snapshot_every
        self.fixed_noise = torch.randn(snapshot_count, self.latent_dim, generator=torch.Generator().manual_seed(seed + 1)).to(self.device)
        self.fixed_labels = (torch.arange(snapshot_count, device=self.device) % self.num_classes) if self.num_classes else None
        self.history = History()
        self.step = 0
        self.elapsed = 0.0

    @staticmethod
    def _make_optimizer(name: str, model: nn.Module, lr: float, betas) -> torch.optim.Optimizer:
        # foreach: multi-tensor kernels with the same arithmetic as the default per-parameter loop
        # (bit-identical results, which notebook 04's hand-written loop relies on).
        if name == "adam":
            return torch.optim.Adam(model.parameters(), lr=lr, betas=tuple(betas), foreach=True)
        if name == "adam-fused":  # one kernel for the whole update: measured ~3.5× cheaper than foreach for
            # the 3×128 MLPs on the CPU, but rounded differently in the last bits, so not bit-identical
            return torch.optim.Adam(model.parameters(), lr=lr, betas=tuple(betas), fused=True)
        if name == "rmsprop":
            return torch.optim.RMSprop(model.parameters(), lr=lr, foreach=True)
        return torch.optim.SGD(model.parameters(), lr=lr, foreach=True)

    @staticmethod
    def _make_ema(generator: nn.Module) -> nn.Module:
        ema = copy.deepcopy(generator).eval()
        for p in ema.parameters():
            p.requires_grad_(False)
        return ema

    @torch.no_grad()
    def update_ema(self) -> None:
        """One step of the weight average: ema ← ema + (1 − β_t)·(G − ema); buffers are copied."""
        decay = min(self.ema_decay, (1 + self.step) / (10 + self.step))
        torch._foreach_lerp_(*self._ema_params, 1.0 - decay)
        if self._ema_buffers[0]:
            torch._foreach_copy_(*self._ema_buffers)

    @property
    def sampler(self) -> nn.Module:
        """The generator that :meth:`sample` uses: the weight average when there is one, else G."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    # ---- one step -------------------------------------------------------------------------------
    def _noise(self, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        z = torch.randn(n, self.latent_dim, generator=self.rng, device=self.device)
        labels = torch.randint(self.num_classes, (n,), generator=self.rng, device=self.device) if self.num_classes else None
        return z, labels

    def _call(self, model: nn.Module, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return model(x) if labels is None else model(x, labels)

    @staticmethod
    def _check_finite(name: str, value: torch.Tensor) -> float:
        number = value.item()  # one device→host copy, reused for the history
        if not math.isfinite(number):
            raise TrainingDiverged(f"{name} became {number}")
        return number

    def discriminator_step(self, real: torch.Tensor, real_labels: torch.Tensor | None, keep_fake_graph: bool):
        """One update of D on a real batch and a fresh fake batch; returns (fake, fake_labels, stats)."""
        z, fake_labels = self._noise(len(real))
        if self.num_classes and real_labels is None:
            raise ValueError("a conditional GAN needs labelled data: the batches must yield (images, labels)")
        # G's graph is only needed for the fake batch that the generator step reuses
        with contextlib.nullcontext() if keep_fake_graph else torch.no_grad():
            fake = self._call(self.generator, z, fake_labels)
        use_r1 = self.r1_weight > 0 and self.step % self.r1_every == 0
        if use_r1:
            real = real.detach().requires_grad_(True)
        real_out = self._call(self.discriminator, real, real_labels)
        fake_out = self._call(self.discriminator, fake.detach(), fake_labels)
        if self.label_smoothing:
            loss = self.d_loss_fn(real_out, fake_out, self.label_smoothing)
        else:
            loss = self.d_loss_fn(real_out, fake_out)
        stats = {}
        if self.objective == "wgan-gp":
            penalty = gradient_penalty(self.discriminator, real, fake, real_labels if self.num_classes else None, self.rng)
            loss = loss + self.gp_weight * penalty
            stats["gradient_penalty"] = penalty.item()
        if use_r1:
            r1 = r1_penalty(real_out, real)
            loss = loss + 0.5 * self.r1_weight * self.r1_every * r1
            self._last_r1 = r1.item()
        if self.r1_weight > 0:
            stats["r1_penalty"] = self._last_r1  # the last computed value on lazy steps
        loss_value = self._check_finite("discriminator loss", loss)
        self.d_opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = self._check_finite("discriminator gradient norm", _total_grad_norm(self.discriminator))
        self.d_opt.step()
        if self.objective == "wgan":
            with torch.no_grad():
                for p in self.discriminator.parameters():
                    p.clamp_(-self.clip_value, self.clip_value)
        with torch.no_grad():
            if self.outputs_are_logits:
                stats.update(d_real=torch.sigmoid(real_out).mean().item(), d_fake=torch.sigmoid(fake_out).mean().item())
            else:
                stats.update(d_real=real_out.mean().item(), d_fake=fake_out.mean().item())
            if self.objective in ("wgan", "wgan-gp"):
                stats["wasserstein"] = (real_out.mean() - fake_out.mean()).item()
            else:
                stats["d_accuracy"] = 0.5 * ((real_out > 0).float().mean() + (fake_out < 0).float().mean()).item()
        stats.update(loss_d=loss_value, grad_norm_d=grad_norm)
        return fake, fake_labels, stats

    def generator_step(self, fake: torch.Tensor, fake_labels: torch.Tensor | None) -> dict:
        """One update of G through the (just updated) D, on the fake batch of the last D step."""
        # only the input gradient is needed from D here (same as D.requires_grad_(False), without
        # walking the module tree at every step)
        for p in self._discriminator_params:
            p.requires_grad_(False)
        try:
            loss = self.g_loss_fn(self._call(self.discriminator, fake, fake_labels))
        finally:
            for p in self._discriminator_params:
                p.requires_grad_(True)
        loss_value = self._check_finite("generator loss", loss)
        self.g_opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = self._check_finite("generator gradient norm", _total_grad_norm(self.generator))
        self.g_opt.step()
        if self.generator_ema is not None:
            self.update_ema()
        return {"loss_g": loss_value, "grad_norm_g": grad_norm}

    def train_step(self, batches) -> dict:
        """k discriminator steps then one generator step; ``batches`` is an iterator of batches."""
        self.generator.train()
        self.discriminator.train()
        if self.lr_schedule is not None:
            factor = float(self.lr_schedule(self.step))
            for opt, base in ((self.g_opt, self.lr_g), (self.d_opt, self.lr_d)):
                for group in opt.param_groups:
                    group["lr"] = base * factor
        for i in range(self.critic_steps):
            real, labels = _unpack(next(batches), self.device)
            if self.channels_last and real.ndim == 4:
                real = real.contiguous(memory_format=torch.channels_last)
            labels = labels if self.num_classes else None  # an unconditional GAN ignores labels
            fake, fake_labels, d_stats = self.discriminator_step(real, labels, keep_fake_graph=(i == self.critic_steps - 1))
        return {**d_stats, **self.generator_step(fake, fake_labels)}

    # ---- the loop --------------------------------------------------------------------------------
    def fit(self, data, steps: int, *, progress: bool = True, checkpoint: str | Path | None = None,
            checkpoint_every: int = 0, description: str | None = None) -> History:
        """Train for ``steps`` generator steps on ``data`` (an iterable of batches or (images, labels)).

        Returns the history.  A NaN/inf loss stops training with a warning, keeping the last good
        weights; Ctrl-C (KeyboardInterrupt) stops and keeps the model and history so far.
        """
        if steps < 0:
            raise ValueError(f"steps must be non-negative, got {steps}")
        batches = iter(data)
        if self.snapshot_every and not self.history.snapshots:
            self._snapshot()
        bar = tqdm(total=steps, desc=description or f"{self.objective} training", disable=not progress,
                   mininterval=0.5, dynamic_ncols=True)
        start = time.perf_counter() - self.elapsed
        try:
            for _ in range(steps):
                stats = self.train_step(batches)
                self.step += 1
                self.elapsed = time.perf_counter() - start
                self.history.log(step=self.step, time=self.elapsed, **stats)
                if self.snapshot_every and self.step % self.snapshot_every == 0:
                    self._snapshot()
                if checkpoint and checkpoint_every and self.step % checkpoint_every == 0:
                    self.save(checkpoint)
                bar.update(1)
                if self.step % 25 == 0 or self.step == 1:
                    bar.set_postfix(loss_d=f"{stats['loss_d']:.3f}", loss_g=f"{stats['loss_g']:.3f}", refresh=False)
        except TrainingDiverged as exc:
            self.history.stop_reason = (
                f"stopped at step {self.step + 1}: {exc}. The weights are those after step {self.step}. "
                "Lower the learning rates, check that the data is finite and in [-1, 1], or use a gradient penalty."
            )
            warnings.warn(self.history.stop_reason, RuntimeWarning, stacklevel=2)
        except KeyboardInterrupt:
            self.history.stop_reason = f"interrupted by the user after step {self.step}; model and history are kept"
            print(self.history.stop_reason)
        finally:
            bar.close()
        if self.snapshot_every and self.history.snapshots and self.history.snapshots[-1][0] != self.step:
            self._snapshot()
        if checkpoint:
            self.save(checkpoint)
        return self.history

    # ---- sampling, snapshots, checkpoints -------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, labels: torch.Tensor | None = None, seed: int | None = None) -> torch.Tensor:
        """``n`` samples in eval mode (BatchNorm uses its running statistics), on the CPU, from the
        weight-averaged generator when ``ema_decay`` is set, else from G."""
        gen = torch.Generator(device=self.device).manual_seed(seed) if seed is not None else None
        z = torch.randn(n, self.latent_dim, generator=gen, device=self.device)
        if self.num_classes and labels is None:
            labels = torch.arange(n, device=self.device) % self.num_classes
        return self.generate(z, None if labels is None else labels.to(self.device)).cpu().contiguous()

    @torch.no_grad()
    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """:attr:`sampler` applied to the noise ``z`` (on the trainer's device) in eval mode."""
        generator = self.sampler
        was_training = generator.training
        generator.eval()
        try:
            return self._call(generator, z, labels)
        finally:
            generator.train(was_training)

    def _snapshot(self) -> None:
        fake = self.generate(self.fixed_noise, self.fixed_labels)
        self.history.snapshots.append((self.step, fake.cpu().contiguous()))

    def state_dict(self) -> dict:
        return {
            "generator": self.generator.state_dict(), "discriminator": self.discriminator.state_dict(),
            "g_opt": self.g_opt.state_dict(), "d_opt": self.d_opt.state_dict(),
            "step": self.step, "elapsed": self.elapsed, "objective": self.objective,
            "rng": self.rng.get_state(), "history": self.history.to_dict(),
            "generator_ema": None if self.generator_ema is None else self.generator_ema.state_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        if state["objective"] != self.objective:
            raise ValueError(f"checkpoint was trained with objective {state['objective']!r}, this trainer uses {self.objective!r}")
        self.generator.load_state_dict(state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.g_opt.load_state_dict(state["g_opt"])
        self.d_opt.load_state_dict(state["d_opt"])
        self.step, self.elapsed = int(state["step"]), float(state["elapsed"])
        self.rng.set_state(state["rng"])
        if (state.get("generator_ema") is None) != (self.generator_ema is None):
            raise ValueError("checkpoint and trainer disagree on the generator's weight average (ema_decay): "
                             "build the trainer with the ema_decay the checkpoint was trained with")
        if self.generator_ema is not None:
            self.generator_ema.load_state_dict(state["generator_ema"])
        self.history = History.from_dict(state["history"])

    def save(self, path: str | Path) -> Path:
        return save_checkpoint(self.state_dict(), path)

    def load(self, path: str | Path) -> None:
        self.load_state_dict(load_checkpoint(path, map_location=self.device))


def _unpack(batch, device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None]:
    if isinstance(batch, (tuple, list)):
        if len(batch) != 2:
            raise ValueError(f"a batch must be a tensor or an (images, labels) pair, got {len(batch)} items")
        x, y = batch
    else:
        x, y = batch, None
    return x.to(device, non_blocking=True), (None if y is None else y.to(device, non_blocking=True))
