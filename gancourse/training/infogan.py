"""InfoGAN (:cite:`chen2016infogan`): codes in G's input that the discriminator's Q head must recover.

G's input is noise z and a code c — one categorical code with ``categories`` values and ``continuous``
codes ~ U(−1, 1).  The discriminator returns two things: its usual output, and Q's guess of c.  Both
players add λ·L_I, where L_I = cross-entropy of the categorical code + ``continuous_weight`` · squared
error of the continuous ones (a Gaussian log-likelihood with fixed variance, up to constants); lowering
L_I raises a lower bound of the mutual information I(c; G(z, c)), so each code must visibly change the
sample.  The loop is the GAN's (k D steps, one G step): only the two steps differ.

``q_invariance`` > 0 (the course's addition, not the paper's) makes Q read the categorical code from the fakes
randomly warped — tilted, sheared, scaled, shifted and drawn with a thicker or thinner pen, a little
(:func:`gancourse.augment.random_warp`, scaled by ``q_invariance``) — in both steps.  G can then keep the code
readable only in what survives such warps: on digits, the digit itself rather than its slant, width or stroke
thickness, which the continuous codes are left to take.  The continuous codes
are still read from the fakes as drawn.

By default (as in the paper's code) Q's loss also trains the body Q shares with D, in the D step;
``q_trains_body=False`` leaves D's body to the real-vs-fake loss and trains Q's head with G instead (as some
public re-implementations do), so Q can read the codes only from features D finds useful.  Also here: the
paper's MNIST networks, :class:`InfoGANGenerator` and the two-headed :class:`InfoGANDiscriminator`.
"""

from __future__ import annotations

import contextlib
import math

import torch
import torch.nn.functional as F
from torch import nn

from gancourse.augment import random_warp
from gancourse.models import RecordsConfig, dcgan_init_
from gancourse.training.family import frozen
from gancourse.training.gan import GAN


class InfoGANDiscriminator(RecordsConfig):
    """D and Q for 1×28×28 images in one network, as in the InfoGAN paper's MNIST model (:cite:`chen2016infogan`):
    a DCGAN body (two stride-2 convolutions, BatchNorm on the second, LeakyReLU 0.2) shared by D's logit
    (one linear layer) and Q's head (linear → BatchNorm → LeakyReLU → ``categories`` logits and ``continuous``
    predicted codes).  ``forward`` returns ``(score of shape (N,), q of shape (N, categories + continuous))``."""

    def __init__(self, categories: int = 10, continuous: int = 2, *, width: int = 64, q_hidden: int = 128,
                 hidden: int | None = None):
        super().__init__()
        if categories < 2 or continuous < 0 or width < 1 or q_hidden < 1 or (hidden is not None and hidden < 1):
            raise ValueError(f"need categories ≥ 2, continuous ≥ 0, width ≥ 1, q_hidden ≥ 1 and hidden None or ≥ 1, "
                             f"got {categories}, {continuous}, {width}, {q_hidden}, {hidden}")
        self.input_shape = (1, 28, 28)
        self.categories, self.continuous = categories, continuous
        layers = [nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2, True),                                    # 14×14
                  nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2, True),  # 7×7
                  nn.Flatten()]
        features = 2 * width * 7 * 7
        if hidden:  # the paper's shared fully-connected layer (1024 units)
            layers += [nn.Linear(features, hidden, bias=False), nn.BatchNorm1d(hidden), nn.LeakyReLU(0.2, True)]
            features = hidden
        self.body = nn.Sequential(*layers)
        self.d_head = nn.Linear(features, 1)
        self.q_head = nn.Sequential(nn.Linear(features, q_hidden, bias=False), nn.BatchNorm1d(q_hidden),
                                    nn.LeakyReLU(0.2, True), nn.Linear(q_hidden, categories + continuous))
        dcgan_init_(self)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if x.ndim != 4 or tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"expected images of shape (N, 1, 28, 28), got {tuple(x.shape)}")
        h = self.body(x)
        return self.d_head(h).squeeze(1), self.q_head(h)


class InfoGANGenerator(RecordsConfig):
    """The InfoGAN paper's MNIST generator (:cite:`chen2016infogan`): [noise, codes] → FC ``hidden`` → FC 7×7×2·width
    (BatchNorm + ReLU after each) → two stride-2 transposed convolutions → Tanh image of 1×28×28."""

    num_classes = None

    def __init__(self, latent_dim: int, *, width: int = 64, hidden: int = 1024):
        super().__init__()
        if latent_dim < 1 or width < 1 or hidden < 1:
            raise ValueError(f"need latent_dim, width and hidden ≥ 1, got {latent_dim}, {width}, {hidden}")
        self.latent_dim, self.output_shape = latent_dim, (1, 28, 28)
        self.net = nn.Sequential(
            nn.Linear(latent_dim, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(True),
            nn.Linear(hidden, 2 * width * 7 * 7, bias=False), nn.BatchNorm1d(2 * width * 7 * 7), nn.ReLU(True),
            nn.Unflatten(1, (2 * width, 7, 7)),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(True),   # 14×14
            nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Tanh())                                                  # 28×28
        dcgan_init_(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"expected input of shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        return self.net(z)


class InfoGAN(GAN):
    """The discriminator must return ``(score, q)`` with q of shape (N, categories + continuous): the
    categorical code's logits, then the predicted continuous codes.  The generator's ``latent_dim`` counts
    noise and codes; other keywords are the GAN's (objective, learning rates, k, …)."""

    name = "infogan"

    def __init__(self, generator: nn.Module, discriminator: nn.Module, *, categories: int = 10, continuous: int = 2,
                 info_weight: float = 1.0, continuous_weight: float = 0.1, q_trains_body: bool = True,
                 lr_q: float | None = None, q_invariance: float = 0.0, **options):
        super().__init__(generator, discriminator, **options)
        if self.num_classes:
            raise ValueError("InfoGAN learns its own codes: use an unconditional generator (num_classes=None)")
        ignored = [name for name, used in (("feature_matching", self.feature_matching),
                                           ("historical_weight", self.historical_weight),
                                           ("instance_noise", self.instance_noise), ("r1_weight", self.r1_weight),
                                           ("label_smoothing", self.label_smoothing),
                                           (f"objective {self.objective.name!r} (its critic needs clipping or a "
                                            "gradient penalty)", self.objective.lipschitz)) if used]
        if ignored:
            raise ValueError(f"InfoGAN's own steps do not apply {', '.join(ignored)}: leave them out, or use GAN "
                             "for them")
        if categories < 2 or continuous < 0 or info_weight <= 0 or continuous_weight < 0:
            raise ValueError(f"need categories ≥ 2, continuous ≥ 0, info_weight > 0 and continuous_weight ≥ 0, "
                             f"got {categories}, {continuous}, {info_weight}, {continuous_weight}")
        if not (isinstance(q_invariance, (int, float)) and 0 <= q_invariance < 5):
            raise ValueError(f"q_invariance scales the random warps Q reads the categorical code through: a number in "
                             f"[0, 5) (0: none, as in the paper; 1: up to ±20° rotation and a pen a pixel thicker or "
                             f"thinner), got {q_invariance!r}")
        self.noise_dim = self.latent_dim - categories - continuous
        if self.noise_dim < 1:
            raise ValueError(f"the generator's latent_dim ({self.latent_dim}) must exceed the {categories + continuous} "
                             "code dimensions: it holds the noise and the codes")
        self.categories, self.continuous = categories, continuous
        self.info_weight, self.continuous_weight = info_weight, continuous_weight
        self.q_trains_body, self.lr_q = q_trains_body, lr_q
        self.q_invariance = float(q_invariance)
        if q_trains_body:
            if lr_q is not None:
                raise ValueError("lr_q applies only with q_trains_body=False (Q's head then has its own optimizer); "
                                 "otherwise Q learns with D's optimizer and lr_d")
        else:
            head = getattr(discriminator, "q_head", None)
            if not isinstance(head, nn.Module):
                raise ValueError("q_trains_body=False needs a discriminator whose Q head is its `q_head` attribute "
                                 "(e.g. InfoGANDiscriminator)")
            self._q_params = list(head.parameters())
            ids = {id(p) for p in self._q_params}
            self._body_and_d_params = [p for p in self._discriminator_params if id(p) not in ids]
            g_name = self.optimizer_names[0]  # Q's head then learns alongside G, with G's kind of optimizer
            self.q_opt = self._optimizer_for(g_name, self._q_params, self.lr_g if lr_q is None else lr_q)
            self.optimizers["q"] = self.q_opt

    def config(self) -> dict:
        return {**super().config(), "categories": self.categories, "continuous": self.continuous,
                "info_weight": self.info_weight, "continuous_weight": self.continuous_weight,
                "q_trains_body": self.q_trains_body, "lr_q": self.lr_q,
                **({"q_invariance": self.q_invariance} if self.q_invariance else {})}

    # ---- the two steps ------------------------------------------------------------------------------------
    def discriminator_step(self, real: torch.Tensor, real_labels: torch.Tensor | None, keep_fake_graph: bool):
        """D learns real vs fake; its Q head learns to read the codes of the fakes."""
        z, codes = self.draw_noise(len(real))
        with contextlib.nullcontext() if keep_fake_graph else torch.no_grad():
            fake = self.generator(z)
        real_out, _ = self.discriminator(real)
        fake_out, q = self.read_fakes(fake.detach())
        categorical, continuous = self.information_terms(q, codes)
        info = categorical + self.continuous_weight * continuous
        loss = self.objective.discriminator_loss(real_out, fake_out)
        if self.q_trains_body:  # else D's body learns from real vs fake alone, and Q's head learns in the G step
            loss = loss + self.info_weight * info
        stats = self.objective.monitor(real_out, fake_out)
        stats["grad_norm_d"] = self.descend(self.d_opt, loss, self._discriminator_params)
        # the categorical code's share of the bound: H(c) + E log Q(c|x) = ln K − cross-entropy ≤ I(c; G(z, c))
        stats.update(loss_d=loss.detach(), info_d=info.detach(),
                     mi_bound_categorical=(math.log(self.categories) - categorical).detach())
        return fake, codes, stats

    def generator_step(self, fake: torch.Tensor, codes: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        """G fools D *and* makes its codes readable by Q (with ``q_trains_body=False``, Q's head learns here too)."""
        with frozen(self._discriminator_params if self.q_trains_body else self._body_and_d_params):
            fake_out, q = self.read_fakes(fake)
            info = self.information_loss(q, codes)
            loss = self.objective.generator_loss(fake_out) + self.info_weight * info
            if self.q_trains_body:
                grad_norm = self.descend(self.g_opt, loss, self._generator_params)
            else:
                self.q_opt.zero_grad(set_to_none=True)
                grad_norm = self.descend(self.g_opt, loss, self._generator_params)
                self.q_opt.step()
        return {"loss_g": loss.detach(), "info_g": info.detach(), "grad_norm_g": grad_norm}

    def read_fakes(self, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """D's score and Q's reading of the fakes.  With ``q_invariance`` > 0 the categorical logits come from the
        fakes randomly warped, one warp per image (so Q must read the code through tilts, shears, scalings, shifts
        and stroke-width changes, and G can hide it in none of them), and the continuous codes from the fakes as drawn."""
        score, q = self.discriminator(fake)
        if not self.q_invariance:
            return score, q
        _, q_warped = self.discriminator(random_warp(fake, self.rng, strength=self.q_invariance))
        return score, torch.cat([q_warped[:, :self.categories], q[:, self.categories:]], dim=1)

    def information_loss(self, q: torch.Tensor, codes: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """L_I: −log Q(c_cat | x) (cross-entropy) + continuous_weight · ‖c_cont − Q's guess‖² (mean)."""
        categorical, continuous = self.information_terms(q, codes)
        return categorical + self.continuous_weight * continuous

    def information_terms(self, q: torch.Tensor, codes: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """(cross-entropy of the categorical code, mean squared error of the continuous codes — 0 without any)."""
        category, continuous = codes
        if q.shape != (len(category), self.categories + self.continuous):
            raise ValueError(f"the Q head must output (N, {self.categories + self.continuous}) values "
                             f"(categorical logits, then continuous codes), got {tuple(q.shape)}")
        categorical = F.cross_entropy(q[:, :self.categories], category)
        if not self.continuous:
            return categorical, torch.zeros((), device=q.device)
        return categorical, F.mse_loss(q[:, self.categories:], continuous)

    # ---- inputs -------------------------------------------------------------------------------------------
    def generator_input(self, z: torch.Tensor, category: torch.Tensor, continuous: torch.Tensor) -> torch.Tensor:
        """[z, one-hot(category), continuous] — what G reads."""
        return torch.cat([z, F.one_hot(category, self.categories).to(z.dtype), continuous], dim=1)

    def draw_noise(self, n: int):
        z = self.noise(n, self.noise_dim)
        category = torch.randint(self.categories, (n,), generator=self.rng).to(self.device)
        continuous = (torch.rand(n, self.continuous, generator=self.rng) * 2 - 1).to(self.device)
        return self.generator_input(z, category, continuous), (category, continuous)

    def fixed_inputs(self, count: int) -> tuple[torch.Tensor, None]:
        """Snapshot inputs: fixed noise, categories 0, 1, …, K−1, 0, …, continuous codes 0."""
        z = torch.randn(count, self.noise_dim, generator=torch.Generator().manual_seed(self.seed + 1)).to(self.device)
        category = torch.arange(count, device=self.device) % self.categories
        return self.generator_input(z, category, torch.zeros(count, self.continuous, device=self.device)), None

    def read_codes(self, images: torch.Tensor, batch_size: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
        """Q's reading of ``images`` — real or generated — on the CPU, in eval mode and in batches: (the most likely
        category, shape (N,); the guessed continuous codes, shape (N, continuous)).  Reading real digits this way
        is how the paper classifies MNIST with the categorical code."""
        _, q = self.apply_in_eval_mode(self.discriminator, images, batch_size)
        return q[:, :self.categories].argmax(1), q[:, self.categories:]

    @torch.no_grad()
    def sample(self, n: int, category: torch.Tensor | None = None, continuous: torch.Tensor | None = None,
               seed: int | None = None) -> torch.Tensor:
        """``n`` samples on the CPU; categories 0, 1, …, K−1, 0, … and continuous codes 0 unless given."""
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        z = torch.randn(n, self.noise_dim, generator=gen).to(self.device)
        category = (torch.arange(n) % self.categories if category is None else category).to(self.device)
        continuous = (torch.zeros(n, self.continuous) if continuous is None else continuous).to(self.device)
        return self.generate(self.generator_input(z, category, continuous)).cpu().contiguous()
