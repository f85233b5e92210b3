"""``GANTrainer``: the notebooks' one-call front door to the GAN family and the loop."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from gancourse.training.callbacks import LRSchedule, Snapshots, WeightAverage
from gancourse.training.gan import GAN
from gancourse.training.loop import Trainer


class GANTrainer(Trainer):
    """``Trainer(GAN(generator, discriminator, **options), callbacks=…)`` in one call.

    ``options`` go to :class:`~gancourse.training.gan.GAN` (objective, lr_g, lr_d, betas, optimizer,
    critic_steps, clip_value, gp_weight, r1_weight, r1_every, label_smoothing, label_shares, seed).  Three keywords
    make callbacks: ``snapshot_every``/``snapshot_count`` → :class:`Snapshots`, ``ema_decay`` →
    :class:`WeightAverage`, ``lr_schedule`` → :class:`LRSchedule`; ``device``, ``channels_last`` and
    ``log_every`` go to the :class:`Trainer`.
    """

    def __init__(self, generator: nn.Module, discriminator: nn.Module, *, snapshot_every: int = 0,
                 snapshot_count: int | None = None, ema_decay: float = 0.0,
                 lr_schedule: Callable[[int], float] | None = None, callbacks=(), device=None,
                 channels_last: bool | None = None, log_every: int = 1, **options):
        family = GAN(generator, discriminator, **options)
        made = []
        if ema_decay:
            made.append(WeightAverage(ema_decay))
        if lr_schedule is not None:
            made.append(LRSchedule(lr_schedule))
        if snapshot_every:
            made.append(Snapshots(snapshot_every, 64 if snapshot_count is None else snapshot_count))
        elif snapshot_count is not None:
            raise ValueError("snapshot_count applies only with snapshot_every > 0")
        super().__init__(family, callbacks=[*made, *callbacks], device=device, channels_last=channels_last,
                         log_every=log_every)
