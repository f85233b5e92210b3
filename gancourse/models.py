"""Generators and discriminators: MLPs for any shape, DCGANs for 28×28, 32×32 and 64×64 images (grey or RGB).

Every generator maps noise ``z`` of shape (N, latent_dim) to samples; every discriminator maps
samples to one raw score per sample, shape (N,): a logit, a critic value for WGAN, or −energy for EBGAN's
autoencoder.  Passing ``num_classes`` makes a model class-conditional (CGAN, :cite:`mirza2014cgan`): the
one-hot label is concatenated to ``z`` in the generator and to the input of the discriminator.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import math

import torch
from torch import nn
import torch.nn.functional as F

__all__ = [
    "MLPGenerator", "MLPDiscriminator", "MLPMinibatchDiscriminator", "MinibatchDiscrimination", "EnergyDiscriminator", "DCGANGenerator", "DCGANDiscriminator",
    "dcgan_init_", "count_parameters", "eval_mode", "minibatch_stddev", "MinibatchStdDev", "from_config", "network_classes",
]


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@contextlib.contextmanager
def eval_mode(model: nn.Module):
    """Run a block with ``model`` in eval mode (BatchNorm's running statistics, no dropout), then give it back
    the mode it had: a helper that uses someone's network must not leave it switched."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def dcgan_init_(model: nn.Module) -> nn.Module:
    """DCGAN initialisation (:cite:`radford2016dcgan`): weights ~ N(0, 0.02), BatchNorm scale ~ N(1, 0.02)."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            # spectral-norm parametrisation keeps the raw weight in `original`
            weight = module.parametrizations.weight.original if hasattr(module, "parametrizations") else module.weight
            nn.init.normal_(weight, 0.0, 0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.normal_(module.weight, 1.0, 0.02)
            nn.init.zeros_(module.bias)
    return model


def minibatch_stddev(h: torch.Tensor) -> torch.Tensor:
    """Append one feature (N, F) or channel (N, C, H, W): the batch's mean per-feature standard deviation.

    Minibatch standard deviation (ProGAN, :cite:`karras2018progressive`): D sees how spread out the whole
    batch is, so a generator that puts every sample on a few modes is easy to reject.  ε keeps the
    gradient finite when all samples are equal; a batch of one gets 0.
    """
    if len(h) > 1:
        centred = h - h.mean(dim=0, keepdim=True)
        spread = centred.square().mean(dim=0).add(1e-8).sqrt().mean()
    else:
        spread = h.new_zeros(())
    return torch.cat([h, spread.expand(len(h), 1, *h.shape[2:])], dim=1)


def _maybe_sn(layer: nn.Module, use: bool) -> nn.Module:
    return nn.utils.parametrizations.spectral_norm(layer) if use else layer


class RecordsConfig(nn.Module):
    """A network that records its constructor arguments in ``config`` (``{"class": name, **arguments}``),
    which checkpoints carry so a run can be rebuilt; every course network derives from it."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init, signature = cls.__init__, inspect.signature(cls.__init__)

        @functools.wraps(init)
        def recording_init(self, *args, **kw):
            init(self, *args, **kw)
            if type(self) is cls:  # the most derived class records, once
                bound = signature.bind(self, *args, **kw)
                bound.apply_defaults()
                self.config = {"class": cls.__name__, **{k: v for k, v in bound.arguments.items() if k != "self"}}

        cls.__init__ = recording_init


class _Conditional(RecordsConfig):
    """Shared input checks and label handling for the generators and discriminators of this module."""

    num_classes: int | None

    def _one_hot(self, labels: torch.Tensor | None, n: int, what: str) -> torch.Tensor | None:
        if self.num_classes is None:
            if labels is not None:
                raise ValueError(f"this {what} is unconditional (num_classes=None) but labels were given")
            return None
        if labels is None:
            raise ValueError(f"this {what} is conditional on {self.num_classes} classes: pass labels of shape ({n},)")
        if labels.shape != (n,) or labels.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"labels must be an integer tensor of shape ({n},), got {tuple(labels.shape)} {labels.dtype}")
        if labels.numel() and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise ValueError(f"labels must lie in 0..{self.num_classes - 1}, got {labels.min().item()}..{labels.max().item()}")
        return F.one_hot(labels.long(), self.num_classes).float()

    def _check_noise(self, z: torch.Tensor) -> torch.Tensor:
        # The DCGAN tutorial feeds (N, latent, 1, 1); accept that too, nothing else.
        if z.ndim == 4 and z.shape[2:] == (1, 1):
            z = z.flatten(1)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(
                f"expected noise of shape (N, {self.latent_dim}) or (N, {self.latent_dim}, 1, 1), got {tuple(z.shape)}"
            )
        return z

    def _check_input(self, x: torch.Tensor) -> None:
        if x.ndim != 1 + len(self.input_shape) or tuple(x.shape[1:]) != tuple(self.input_shape):
            raise ValueError(f"expected input of shape (N, {', '.join(map(str, self.input_shape))}), got {tuple(x.shape)}")


class MLPGenerator(_Conditional):
    """z → hidden layers (ReLU) → sample of ``output_shape``; Tanh output for images in [-1, 1]."""

    def __init__(self, latent_dim: int, output_shape, hidden=(256, 256), *, tanh_output: bool = True,
                 num_classes: int | None = None, batch_norm: bool = False):
        super().__init__()
        self.latent_dim, self.num_classes = latent_dim, num_classes
        self.output_shape = tuple([output_shape] if isinstance(output_shape, int) else output_shape)
        layers, width = [], latent_dim + (num_classes or 0)
        for h in hidden:
            layers += [nn.Linear(width, h)] + ([nn.BatchNorm1d(h)] if batch_norm else []) + [nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, math.prod(self.output_shape)))
        if tanh_output:
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = self._check_noise(z)
        onehot = self._one_hot(labels, len(z), "generator")
        if onehot is not None:
            z = torch.cat([z, onehot], dim=1)
        return self.net(z).view(len(z), *self.output_shape)


class MLPDiscriminator(_Conditional):
    """sample → hidden layers (LeakyReLU 0.2) → one logit; no Sigmoid, the loss applies it stably."""

    def __init__(self, input_shape, hidden=(256, 256), *, num_classes: int | None = None,
                 spectral_norm: bool = False, minibatch_std: bool = False):
        super().__init__()
        self.input_shape = tuple([input_shape] if isinstance(input_shape, int) else input_shape)
        self.num_classes, self.minibatch_std = num_classes, minibatch_std
        layers, width = [], math.prod(self.input_shape) + (num_classes or 0)
        for i, h in enumerate(hidden):
            extra = 1 if (minibatch_std and i == len(hidden) - 1) else 0
            layers.append(_maybe_sn(nn.Linear(width + extra, h), spectral_norm))
            width = h
        self.hidden = nn.ModuleList(layers)
        self.out = _maybe_sn(nn.Linear(width, 1), spectral_norm)

    def features(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """The last hidden layer's activations, shape (N, hidden[-1]): what feature matching compares."""
        self._check_input(x)
        h = x.flatten(1)
        onehot = self._one_hot(labels, len(x), "discriminator")
        if onehot is not None:
            h = torch.cat([h, onehot], dim=1)
        for i, layer in enumerate(self.hidden):
            if i == len(self.hidden) - 1:
                h = self._before_last_layer(h)
            h = F.leaky_relu(layer(h), 0.2)
        return h

    def _before_last_layer(self, h: torch.Tensor) -> torch.Tensor:
        """Batch-level features appended before the last hidden layer (minibatch std when asked)."""
        return minibatch_stddev(h) if self.minibatch_std else h

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.out(self.features(x, labels)).squeeze(1)


class MinibatchDiscrimination(nn.Module):
    """Minibatch discrimination (:cite:`salimans2016improved`, §3.2): each sample gets ``kernels`` features
    that say how close it is to the *other* samples of its batch.

    f(xᵢ) ∈ ℝᴬ is projected by a learned tensor T to Mᵢ ∈ ℝ^{B×C}; o(xᵢ)_b = Σ_{j≠i} exp(−‖M_{i,b} − M_{j,b}‖₁).
    Output: [f(xᵢ), o(xᵢ)], shape (N, A + B).  A collapsed batch (all samples alike) gives large o, which D
    learns to call fake.  A batch of one gets o = 0.
    """

    def __init__(self, in_features: int, kernels: int = 8, kernel_dim: int = 4):
        super().__init__()
        if kernels < 1 or kernel_dim < 1:
            raise ValueError(f"kernels and kernel_dim must be ≥ 1, got {kernels} and {kernel_dim}")
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self.T = nn.Parameter(torch.randn(in_features, kernels * kernel_dim) * 0.1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        m = (h @ self.T).view(len(h), self.kernels, self.kernel_dim).transpose(0, 1)  # (B, N, C)
        l1 = torch.cdist(m, m, p=1)                                                  # (B, N, N): ‖M_{i,b} − M_{j,b}‖₁
        o = torch.exp(-l1).sum(2) - 1.0                                              # minus exp(0) of the sample itself
        return torch.cat([h, o.T], dim=1)


class MLPMinibatchDiscriminator(MLPDiscriminator):
    """:class:`MLPDiscriminator` with :class:`MinibatchDiscrimination` before its last hidden layer."""

    def __init__(self, input_shape, hidden=(256, 256), *, kernels: int = 8, kernel_dim: int = 4,
                 num_classes: int | None = None, spectral_norm: bool = False):
        super().__init__(input_shape, hidden, num_classes=num_classes, spectral_norm=spectral_norm)
        width = hidden[-2] if len(hidden) > 1 else math.prod(self.input_shape) + (num_classes or 0)
        self.minibatch = MinibatchDiscrimination(width, kernels, kernel_dim)
        self.hidden[-1] = _maybe_sn(nn.Linear(width + kernels, hidden[-1]), spectral_norm)

    def _before_last_layer(self, h: torch.Tensor) -> torch.Tensor:
        return self.minibatch(h)


class EnergyDiscriminator(_Conditional):
    """EBGAN's discriminator (:cite:`zhao2017ebgan`): an MLP autoencoder x → code → x̂ whose reconstruction
    error is the energy E(x) = mean over the entries of (x̂ − x)², one number per sample.

    It returns the **negative** energy as its score (shape (N,)), so that, as for every other
    discriminator here, a higher score means "more real" (see
    :func:`gancourse.training.objectives.energy_objective`).  Unconditional only.
    """

    def __init__(self, input_shape, hidden=(256,), code_dim: int = 32):
        super().__init__()
        self.input_shape = tuple([input_shape] if isinstance(input_shape, int) else input_shape)
        self.num_classes = None
        if code_dim < 1:
            raise ValueError(f"code_dim must be a positive integer, got {code_dim}")
        width = math.prod(self.input_shape)

        def stack(sizes):  # Linear + LeakyReLU(0.2) between consecutive sizes, no activation after the last
            layers = []
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
                layers += [nn.Linear(a, b)] + ([nn.LeakyReLU(0.2)] if i < len(sizes) - 2 else [])
            return nn.Sequential(*layers)

        self.encoder = stack([width, *hidden, code_dim])
        self.decoder = stack([code_dim, *reversed(hidden), width])

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """x̂ = decoder(encoder(x)), the same shape as x."""
        self._check_input(x)
        return self.decoder(self.encoder(x.flatten(1))).view_as(x)  # the code itself has no activation

    def energy(self, x: torch.Tensor) -> torch.Tensor:
        """E(x): the per-sample mean squared reconstruction error, shape (N,)."""
        return (self.reconstruct(x) - x).flatten(1).square().mean(1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        self._one_hot(labels, len(x), "discriminator")  # unconditional: labels are an error
        return -self.energy(x)


class MinibatchStdDev(nn.Module):
    """:func:`minibatch_stddev` as a layer, for use inside ``nn.Sequential``."""

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return minibatch_stddev(h)


_SIZES = (28, 32, 64)


def _check_image_args(channels: int, image_size: int) -> None:
    if image_size not in _SIZES:
        raise ValueError(f"DCGAN models here are built for image_size in {_SIZES} (28 MNIST, 32 CIFAR-10, 64 faces as in "
                         f"the DCGAN paper), got {image_size}: resize the data with load_images(..., image_size=…)")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grey) or 3 (RGB), got {channels}")


class DCGANGenerator(_Conditional):
    """DCGAN generator: z → ConvTranspose2d up-sampling with BatchNorm + ReLU → Tanh image.

    28×28: z → 7×7 → 14×14 → 28×28;  32×32: z → 4×4 → 8×8 → 16×16 → 32×32;  64×64 (the DCGAN paper's
    faces): z → 4×4 → 8×8 → 16×16 → 32×32 → 64×64.  Channels halve at every doubling of the size.
    """

    def __init__(self, latent_dim: int = 64, channels: int = 1, image_size: int = 28, width: int = 64,
                 *, num_classes: int | None = None):
        super().__init__()
        _check_image_args(channels, image_size)
        self.latent_dim, self.num_classes = latent_dim, num_classes
        self.output_shape = (channels, image_size, image_size)
        in_dim = latent_dim + (num_classes or 0)

        def up(cin, cout):  # doubles height and width
            return [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]

        if image_size == 28:
            layers = [nn.ConvTranspose2d(in_dim, 2 * width, 7, 1, 0, bias=False), nn.BatchNorm2d(2 * width), nn.ReLU(True),
                      *up(2 * width, width), nn.ConvTranspose2d(width, channels, 4, 2, 1)]
        else:  # 4×4 first, then double until the last layer reaches image_size: 8·width channels at 4×4 for 64
            mult = image_size // 8
            layers = [nn.ConvTranspose2d(in_dim, mult * width, 4, 1, 0, bias=False), nn.BatchNorm2d(mult * width), nn.ReLU(True)]
            while mult > 1:
                layers += up(mult * width, mult // 2 * width)
                mult //= 2
            layers.append(nn.ConvTranspose2d(width, channels, 4, 2, 1))
        self.net = nn.Sequential(*layers, nn.Tanh())
        dcgan_init_(self)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = self._check_noise(z)
        onehot = self._one_hot(labels, len(z), "generator")
        if onehot is not None:
            z = torch.cat([z, onehot], dim=1)
        return self.net(z[:, :, None, None])


class DCGANDiscriminator(_Conditional):
    """DCGAN discriminator: strided Conv2d + LeakyReLU(0.2) (BatchNorm inside), no pooling → one logit.

    ``batch_norm=False`` is needed for WGAN-GP, whose penalty is per sample (:cite:`gulrajani2017wgangp`).
    Conditional models get the one-hot label as extra constant input channels.  ``minibatch_std`` adds
    :func:`minibatch_stddev` as one more channel before the last convolution.
    """

    def __init__(self, channels: int = 1, image_size: int = 28, width: int = 64, *, num_classes: int | None = None,
                 batch_norm: bool = True, spectral_norm: bool = False, minibatch_std: bool = False):
        super().__init__()
        _check_image_args(channels, image_size)
        self.num_classes = num_classes
        self.input_shape = (channels, image_size, image_size)

        def down(cin, cout, norm=True):  # halves height and width
            conv = _maybe_sn(nn.Conv2d(cin, cout, 4, 2, 1, bias=not (norm and batch_norm)), spectral_norm)
            return [conv] + ([nn.BatchNorm2d(cout)] if norm and batch_norm else []) + [nn.LeakyReLU(0.2, True)]

        cin, extra = channels + (num_classes or 0), int(minibatch_std)
        if image_size == 28:
            layers = [*down(cin, width, norm=False), *down(width, 2 * width)]
            head = _maybe_sn(nn.Conv2d(2 * width + extra, 1, 7, 1, 0), spectral_norm)
        else:  # halve until 4×4, doubling the channels: 64 → 32 → 16 → 8 → 4 with width … 8·width
            layers, mult = [*down(cin, width, norm=False)], 1
            while image_size // (2 * mult) > 4:
                layers += down(mult * width, 2 * mult * width)
                mult *= 2
            head = _maybe_sn(nn.Conv2d(mult * width + extra, 1, 4, 1, 0), spectral_norm)
        # one Sequential as before (same parameter names); the batch-spread channel goes in front of the head
        self.net = nn.Sequential(*layers, *([MinibatchStdDev()] if minibatch_std else []), head)
        dcgan_init_(self)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        self._check_input(x)
        onehot = self._one_hot(labels, len(x), "discriminator")
        if onehot is not None:
            x = torch.cat([x, onehot[:, :, None, None].expand(-1, -1, *x.shape[2:])], dim=1)
        return self.net(x).flatten()


#: the modules besides this one that define course networks (imported when a configuration is rebuilt)
_NETWORK_MODULES = ("gancourse.training", "gancourse.translation_models", "gancourse.superres", "gancourse.art",
                    "gancourse.sequences")


def network_classes() -> dict[str, type]:
    """Every public course network class — each records its constructor arguments — by name."""
    for module in _NETWORK_MODULES:  # imported here, not at the top: they import this module
        importlib.import_module(module)
    found, pending = {}, list(RecordsConfig.__subclasses__())
    while pending:
        cls = pending.pop()
        if not cls.__name__.startswith("_"):
            found.setdefault(cls.__name__, cls)
        pending += cls.__subclasses__()
    return found


def from_config(config: dict) -> nn.Module:
    """Rebuild a course model — from any module of the package — from its recorded ``config`` (fresh weights;
    a checkpoint then loads them)."""
    classes = network_classes()
    name = config.get("class")
    if name not in classes:
        raise ValueError(f"{name!r} is not a model class of the course; choose from {sorted(classes)}")
    return classes[name](**{k: v for k, v in config.items() if k != "class"})
