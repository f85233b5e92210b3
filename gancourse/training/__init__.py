"""Training: one loop (:class:`Trainer`) for every model family, each family's step in its own module.

- :mod:`~gancourse.training.loop` — the loop: progress bar, history, checkpoints, callbacks.
- :mod:`~gancourse.training.stops` — NaN/inf and Ctrl-C stops that roll back to the last checked state.
- :mod:`~gancourse.training.callbacks` — weight average, learning-rate schedule, snapshots, evaluation, time budget.
- :mod:`~gancourse.training.objectives` — the GAN objectives and what D's output means.
- :mod:`~gancourse.training.gan` — GAN / WGAN / WGAN-GP / hinge / LSGAN / EBGAN, conditional or not (k D steps, one G step).
- :mod:`~gancourse.training.infogan` — InfoGAN (a Q head and a mutual-information term in both steps).
- :mod:`~gancourse.training.paired` — the base of the paired families: a reconstruction loss, plus D's term if there is a D.
- :mod:`~gancourse.training.pix2pix` — pix2pix (paired translation: a conditional PatchGAN and λ·L1).
- :mod:`~gancourse.training.cyclegan` — CycleGAN (unpaired translation: two generators, two discriminators, a cycle loss).
- :mod:`~gancourse.training.unrolled` — the unrolled GAN (G trained against D a few differentiated steps ahead).
- :mod:`~gancourse.training.semi_supervised` — the semi-supervised GAN (D as a K+1-class classifier).
- :mod:`~gancourse.training.srgan` — SRGAN (super-resolution: content loss + adversarial loss).
- :mod:`~gancourse.training.can` — CAN (the creative adversarial network's style-ambiguity loss).
- :mod:`~gancourse.training.gan_trainer` — ``GANTrainer``, the one-call front door used by the notebooks.
"""

from gancourse.training.callbacks import Callback, Evaluate, LRSchedule, Snapshots, TimeBudget, WeightAverage, linear_decay
from gancourse.training.family import Family
from gancourse.training.gan import GAN, HistoricalAverage, feature_matching_loss, r1_penalty
from gancourse.training.gan_trainer import GANTrainer
from gancourse.training.history import History
from gancourse.training.cyclegan import CycleGAN, cycle_consistency_loss
from gancourse.training.infogan import InfoGAN
from gancourse.training.loop import Trainer
from gancourse.training.pix2pix import Pix2Pix
from gancourse.training.can import CAN
from gancourse.training.semi_supervised import LabelledAndUnlabelled, SemiSupervisedDiscriminator, SemiSupervisedGAN
from gancourse.training.srgan import SRGAN
from gancourse.training.unrolled import UnrolledGAN
from gancourse.training.stops import TrainingDiverged
from gancourse.training.objectives import OBJECTIVES, Objective, energy_objective, get_objective, least_squares_objective

__all__ = [
    "Trainer", "TrainingDiverged", "History", "Family", "GAN", "InfoGAN", "GANTrainer",
    "Pix2Pix", "CycleGAN", "cycle_consistency_loss", "UnrolledGAN", "SemiSupervisedGAN", "SemiSupervisedDiscriminator",
    "LabelledAndUnlabelled", "SRGAN", "CAN", "HistoricalAverage", "feature_matching_loss",
    "Callback", "Evaluate", "LRSchedule", "Snapshots", "TimeBudget", "WeightAverage", "linear_decay",
    "Objective", "OBJECTIVES", "get_objective", "least_squares_objective", "energy_objective", "r1_penalty",
]
