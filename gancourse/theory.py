"""The GAN theory of Goodfellow et al. (:cite:`goodfellow2014gan`), checked by code on 1-D densities.

* :class:`Gaussian` — a 1-D normal density with ``pdf``, ``logpdf``, ``cdf`` and ``sample``.
* :func:`optimal_discriminator` — D*(x) = p_data(x) / (p_data(x) + p_g(x)), computed in log space.
* :func:`value_function` — V(D, G) = E_data[log D(x)] + E_g[log(1 − D(x))] by numerical integration.
* :func:`kl_divergence`, :func:`js_divergence` — in nats; V(D*, G) = −log 4 + 2·JSD(p_data ‖ p_g)
  (:cite:`lin1991divergence` for the Jensen–Shannon divergence); :func:`total_variation`, the divergence
  behind a discriminator that maximised *accuracy* instead.
* :func:`generator_pull` and :func:`plot_generator_pull` — −∂(G's loss)/∂x at fake samples, for the
  saturating and the non-saturating loss: G learns only through D's slope.
* :func:`solve_zero_sum` and :func:`gradient_play` — Nash equilibria (:cite:`nash1950equilibrium`) of
  tiny zero-sum games, and why naive simultaneous gradient descent–ascent circles away from them
  (:cite:`mescheder2018convergence`).

Densities are handled in log space (``logpdf``, ``logaddexp``, ``expit``) so that tails far from the
bulk give exact zeros instead of ``0 · log 0 = nan``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy import integrate, optimize, special

from gancourse.diagrams import flow_diagram
from gancourse.losses import generator_loss_nonsaturating, generator_loss_saturating

_TAIL = 12.0  # a Gaussian holds all but ~1e-32 of its mass within 12 std: quad's limits


@dataclass(frozen=True)
class Gaussian:
    """A 1-D normal density N(mean, std²): the simplest p_data and p_g with known answers."""

    mean: float = 0.0
    std: float = 1.0

    def __post_init__(self):
        if not self.std > 0:
            raise ValueError(f"std must be positive, got {self.std}")

    def logpdf(self, x):
        z = (np.asarray(x, dtype=float) - self.mean) / self.std
        return -0.5 * z**2 - math.log(self.std) - 0.5 * math.log(2 * math.pi)

    def pdf(self, x):
        return np.exp(self.logpdf(x))

    __call__ = pdf

    def cdf(self, x):
        return special.ndtr((np.asarray(x, dtype=float) - self.mean) / self.std)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` draws as a float32 tensor of shape (n, 1), the input shape of the 1-D models."""
        return self.mean + self.std * torch.randn(n, 1, generator=generator)

    def bounds(self) -> tuple[float, float]:
        return self.mean - _TAIL * self.std, self.mean + _TAIL * self.std


def _logpdf(density, x):
    # Gaussians give exact log densities; any other callable density is logged (0 → −inf).
    if hasattr(density, "logpdf"):
        return density.logpdf(x)
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(density(x), dtype=float))


def _limits(*densities, limits=None) -> tuple[float, float]:
    if limits is not None:
        return float(limits[0]), float(limits[1])
    if not all(hasattr(d, "bounds") for d in densities):
        raise ValueError("pass limits=(lo, hi) for densities that are not gancourse.theory.Gaussian")
    lows, highs = zip(*(d.bounds() for d in densities))
    return min(lows), max(highs)


def _integrate(integrand, lo: float, hi: float) -> float:
    value, _ = integrate.quad(integrand, lo, hi, limit=400, epsabs=1e-13, epsrel=1e-11)
    return float(value)


def optimal_logit(x, p_data, p_g):
    """log p_data(x) − log p_g(x): the logit of D*, i.e. what a discriminator's last layer should output."""
    return _logpdf(p_data, x) - _logpdf(p_g, x)


def optimal_discriminator(x, p_data, p_g):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), the best D for a fixed G (Prop. 1 of :cite:`goodfellow2014gan`).

    Computed as sigmoid(log p_data − log p_g) so that it stays exact where both densities underflow.
    """
    return special.expit(optimal_logit(x, p_data, p_g))


def _value_integrand(log_d, log_not_d, log_pd, log_pg):
    # 0 · log 0 counts as 0: a D that is certain where a density has no mass pays nothing
    real = np.where(log_pd > -np.inf, np.exp(log_pd) * log_d, 0.0)
    fake = np.where(log_pg > -np.inf, np.exp(log_pg) * log_not_d, 0.0)
    return real + fake


def value_function(discriminator, p_data, p_g, *, logits: bool = False, limits=None, points: int = 20001) -> float:
    """V(D, G) = ∫ p_data(x) log D(x) + p_g(x) log(1 − D(x)) dx, by Simpson's rule on a fine grid.

    ``discriminator`` maps an array of x to D(x) in (0, 1), or to logits when ``logits=True``
    (then log D = −softplus(−logit), which never gives log 0).  A grid, not adaptive quadrature, so
    that a neural network is evaluated once on one batch.  The second term is E_z[log(1 − D(G(z)))]
    rewritten over x ~ p_g: G enters V only through the density it produces.
    """
    lo, hi = _limits(p_data, p_g, limits=limits)
    x = np.linspace(lo, hi, points)
    out = np.asarray(discriminator(x), dtype=float).reshape(-1)
    if out.shape != x.shape:
        raise ValueError(f"the discriminator must return one value per x: {x.shape} in, {out.shape} out")
    if logits:
        log_d, log_not_d = -np.logaddexp(0.0, -out), -np.logaddexp(0.0, out)
    else:
        with np.errstate(divide="ignore"):
            log_d, log_not_d = np.log(out), np.log1p(-out)
    integrand = _value_integrand(log_d, log_not_d, _logpdf(p_data, x), _logpdf(p_g, x))
    return float(integrate.simpson(integrand, x=x))


def optimal_value(p_data, p_g, *, limits=None) -> float:
    """V(D*, G) by adaptive quadrature: the value of the game once D is optimal; −log 4 iff p_g = p_data."""
    lo, hi = _limits(p_data, p_g, limits=limits)

    def integrand(x):
        log_pd, log_pg = _logpdf(p_data, x), _logpdf(p_g, x)
        log_norm = np.logaddexp(log_pd, log_pg)  # log D* = log p_data − log(p_data + p_g)
        return float(_value_integrand(log_pd - log_norm, log_pg - log_norm, log_pd, log_pg))

    return _integrate(integrand, lo, hi)


def kl_divergence(p, q, *, limits=None) -> float:
    """KL(p ‖ q) = ∫ p log(p / q) dx in nats (infinite where q = 0 < p; not symmetric)."""
    lo, hi = _limits(p, q, limits=limits)

    def integrand(x):
        log_p = float(_logpdf(p, x))
        return 0.0 if log_p == -np.inf else math.exp(log_p) * (log_p - float(_logpdf(q, x)))

    return _integrate(integrand, lo, hi)


def kl_gaussians(p: Gaussian, q: Gaussian) -> float:
    """Closed form KL(N(μp, σp²) ‖ N(μq, σq²)) = log(σq/σp) + (σp² + (μp − μq)²) / (2σq²) − ½."""
    return math.log(q.std / p.std) + (p.std**2 + (p.mean - q.mean) ** 2) / (2 * q.std**2) - 0.5


def js_divergence(p, q, *, limits=None) -> float:
    """JSD(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m) with m = (p + q)/2, in nats; 0 ≤ JSD ≤ log 2 (:cite:`lin1991divergence`)."""
    lo, hi = _limits(p, q, limits=limits)

    def integrand(x):
        log_p, log_q = float(_logpdf(p, x)), float(_logpdf(q, x))
        log_m = np.logaddexp(log_p, log_q) - math.log(2)
        left = 0.0 if log_p == -np.inf else math.exp(log_p) * (log_p - log_m)
        right = 0.0 if log_q == -np.inf else math.exp(log_q) * (log_q - log_m)
        return 0.5 * (left + right)

    return _integrate(integrand, lo, hi)


def mixture_quantiles(p_data, p_g, mass: float = 0.98) -> tuple[float, float]:
    """The interval holding the central ``mass`` of the mixture ½(p_data + p_g): where both players have data.

    Outside it a discriminator sees almost no samples, so its error there says nothing about training.
    """
    if not 0 < mass < 1:
        raise ValueError(f"mass must be in (0, 1), got {mass}")
    lo, hi = _limits(p_data, p_g)

    def quantile(level):
        return optimize.brentq(lambda x: 0.5 * (p_data.cdf(x) + p_g.cdf(x)) - level, lo, hi, xtol=1e-12)

    tail = (1 - mass) / 2
    return quantile(tail), quantile(1 - tail)


# ---- tiny games ------------------------------------------------------------------------------------
def solve_zero_sum(payoff) -> tuple[np.ndarray, np.ndarray, float]:
    """Nash equilibrium (:cite:`nash1950equilibrium`) of a two-player zero-sum matrix game.

    ``payoff[i, j]`` is what the row player wins (and the column player loses) when row plays i and
    column plays j.  Returns (row mixed strategy, column mixed strategy, value of the game), found by
    von Neumann's linear programme: the row player maximises the payoff it can guarantee.
    """
    a = np.asarray(payoff, dtype=float)
    if a.ndim != 2 or min(a.shape) < 1:
        raise ValueError(f"payoff must be a 2-D matrix, got shape {a.shape}")

    def guarantee(matrix):
        # maximise v s.t. p^T matrix[:, j] >= v for every column j, p a probability vector
        m, n = matrix.shape
        cost = np.r_[np.zeros(m), -1.0]
        upper = np.c_[-matrix.T, np.ones(n)]
        equal = np.r_[np.ones(m), 0.0][None, :]
        res = optimize.linprog(cost, A_ub=upper, b_ub=np.zeros(n), A_eq=equal, b_eq=[1.0],
                               bounds=[(0, None)] * m + [(None, None)], method="highs")
        if not res.success:
            raise RuntimeError(f"linear programme failed: {res.message}")
        return np.clip(res.x[:m], 0, None), res.x[m]

    row, value = guarantee(a)
    column, _ = guarantee(-a.T)  # the column player maximises minus the row player's payoff
    return row / row.sum(), column / column.sum(), float(value) + 0.0  # + 0.0 turns −0.0 into 0.0


def gradient_play(x0: float, y0: float, lr: float, steps: int, *, alternating: bool = False) -> np.ndarray:
    """Gradient descent–ascent on the bilinear game min_x max_y f(x, y) = x·y, whose only equilibrium is (0, 0).

    Simultaneous: x ← x − lr·y and y ← y + lr·x from the same old point; each step multiplies the
    distance to (0, 0) by exactly √(1 + lr²), so the players spiral *outwards*.  Alternating (y sees
    the new x, as in a GAN loop) keeps them on a closed orbit: it circles and never converges either.
    Returns the trajectory, shape (steps + 1, 2).
    """
    if steps < 0 or lr <= 0:
        raise ValueError(f"need steps >= 0 and lr > 0, got steps={steps}, lr={lr}")
    path = np.empty((steps + 1, 2))
    path[0] = x, y = x0, y0
    for t in range(1, steps + 1):
        new_x = x - lr * y  # ∂f/∂x = y: the minimiser steps against it
        y = y + lr * (new_x if alternating else x)  # ∂f/∂y = x: the maximiser steps along it
        x = new_x
        path[t] = x, y
    return path


# ---- pictures ---------------------------------------------------------------------------------------
def plot_optimal_discriminator(gen_mean: float = 1.0, gen_std: float = 1.5, axes=None, data: Gaussian = Gaussian(0.0, 1.0)):
    """p_data and p_g (top panel) and D*(x) on its own axis (bottom panel) for p_g = N(gen_mean, gen_std²).

    Titled with V(D*, G) and the JSD.  Two stacked panels sharing x instead of twin y-axes, so that the
    D = ½ line is read against D's scale and never against the density's.  ``axes`` is a pair
    (density axis, D axis); the callback of the notebook's slider widget and its static figures: move
    p_g onto p_data and watch D* flatten to 1/2, V fall to −log 4 and the JSD to 0.
    """
    if axes is None:
        _, axes = plt.subplots(2, 1, figsize=(7, 4.6), sharex=True, height_ratios=(1.3, 1), layout="constrained")
    ax_density, ax_d = axes
    gen = Gaussian(gen_mean, gen_std)
    x = np.linspace(-6, 7, 600)
    ax_density.plot(x, data.pdf(x), color="black", label="p_data")
    ax_density.plot(x, gen.pdf(x), color="tab:orange", ls="--", label="p_g")
    ax_density.set(xlabel="x", ylabel="density", ylim=(0, max(0.45, 1.05 * gen.pdf(gen.mean))))
    ax_density.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=9)
    ax_d.plot(x, optimal_discriminator(x, data, gen), color="tab:blue", lw=2, label="D*(x)")
    ax_d.axhline(0.5, color="grey", ls=":", lw=1, label="D = 1/2")
    ax_d.set(xlabel="x", ylabel="D*(x)", ylim=(-0.03, 1.03), yticks=(0, 0.5, 1))
    ax_d.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=9)
    v, jsd = optimal_value(data, gen), js_divergence(data, gen)
    ax_density.set_title(f"p_g = N({gen_mean:g}, {gen_std:g}²)\nV(D*, G) = {v:.4f},  JSD = {jsd:.4f} nats")
    return axes


def total_variation(p, q, *, limits=None) -> float:
    """TV(p, q) = ½ ∫ |p − q| dx, in [0, 1].  The best *accuracy* any classifier reaches on a balanced
    real/fake mix is ½ + ½·TV (the Bayes classifier says "real" where p > q): the divergence that an
    accuracy-maximising D would hand to G, where the log-loss D* hands it the JSD."""
    lo, hi = _limits(p, q, limits=limits)
    return 0.5 * _integrate(lambda x: abs(math.exp(float(_logpdf(p, x))) - math.exp(float(_logpdf(q, x)))), lo, hi)


def optimal_logit_torch(p_data: Gaussian, p_g: Gaussian):
    """D*'s logit log p_data(x) − log p_g(x) as a differentiable torch function (Gaussians only).

    The analytic discriminator in a form :func:`generator_pull` can differentiate with respect to x.
    """
    if not (isinstance(p_data, Gaussian) and isinstance(p_g, Gaussian)):
        raise TypeError("optimal_logit_torch needs two gancourse.theory.Gaussian densities")

    def logit(x: torch.Tensor) -> torch.Tensor:
        z_data, z_g = (x - p_data.mean) / p_data.std, (x - p_g.mean) / p_g.std
        return -0.5 * z_data**2 + 0.5 * z_g**2 + math.log(p_g.std / p_data.std)

    return logit


_GENERATOR_LOSSES = {"saturating": generator_loss_saturating, "nonsaturating": generator_loss_nonsaturating}


def generator_pull(x, logit_fn, loss: str = "nonsaturating") -> np.ndarray:
    """−∂(G's loss)/∂x at each fake sample x: where, and how hard, G's loss pushes that sample.

    ``logit_fn`` maps a float tensor of shape (n, 1) to D's logits (a trained ``nn.Module`` or
    :func:`optimal_logit_torch`); ``loss`` is ``"saturating"`` (log(1 − D)) or ``"nonsaturating"``
    (−log D), computed by :mod:`gancourse.losses` itself.  The generator's parameters receive exactly
    these vectors, chained through ∂G(z)/∂θ: G learns only through D's slope.  By the chain rule the
    pull is D(x)·∂ℓ/∂x for the saturating loss and (1 − D(x))·∂ℓ/∂x for the non-saturating one, ℓ the
    logit: both point uphill on D, and the saturating one vanishes where D(x) ≈ 0.
    """
    if loss not in _GENERATOR_LOSSES:
        raise ValueError(f"loss must be one of {sorted(_GENERATOR_LOSSES)}, got {loss!r}")
    points = torch.as_tensor(np.asarray(x, dtype=np.float32).reshape(-1, 1)).requires_grad_(True)
    logits = logit_fn(points).reshape(-1)
    # the package's losses average over the batch; times n gives each sample's own gradient
    per_sample_total = _GENERATOR_LOSSES[loss](logits) * len(points)
    (grad,) = torch.autograd.grad(per_sample_total, points)
    return -grad.reshape(-1).double().numpy()


def plot_generator_pull(p_data, p_g, logit_fn, samples, axes=None, *, d_label: str = "D(x)", scale: float | None = None):
    """Three stacked panels sharing x: the densities with the fake samples; D(x) on its own axis with
    the D = ½ line; and an arrow under each fake sample along −∂(G's loss)/∂x for both generator losses.

    ``scale`` is the arrow length (in x units) of a pull of size 1; by default the longest arrow is 1.2
    x units.  Returns (axes, pulls) with ``pulls = {"saturating": …, "nonsaturating": …}``.
    """
    samples = np.sort(np.asarray(samples, dtype=float).reshape(-1))
    pulls = {name: generator_pull(samples, logit_fn, name) for name in ("saturating", "nonsaturating")}
    if axes is None:
        _, axes = plt.subplots(3, 1, figsize=(7, 6.2), sharex=True, height_ratios=(1.2, 1, 0.9), layout="constrained")
    ax_density, ax_d, ax_pull = axes
    lo = min(p_data.mean - 4 * p_data.std, p_g.mean - 4 * p_g.std)
    hi = max(p_data.mean + 4 * p_data.std, p_g.mean + 4 * p_g.std)
    x = np.linspace(lo, hi, 600)
    ax_density.plot(x, p_data.pdf(x), color="black", label="p_data")
    ax_density.plot(x, p_g.pdf(x), color="tab:orange", ls="--", label="p_g")
    ax_density.plot(samples, np.zeros_like(samples), "|", color="tab:orange", ms=12, mew=1.5, label="fake samples")
    ax_density.set(xlabel="x", ylabel="density")
    ax_density.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=9)
    with torch.no_grad():
        d_curve = torch.sigmoid(logit_fn(torch.as_tensor(x, dtype=torch.float32).reshape(-1, 1))).reshape(-1).numpy()
    ax_d.plot(x, d_curve, color="tab:blue", lw=2, label=d_label)
    ax_d.axhline(0.5, color="grey", ls=":", lw=1, label="D = 1/2")
    ax_d.set(xlabel="x", ylabel="D(x)", ylim=(-0.03, 1.03), yticks=(0, 0.5, 1))
    ax_d.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=9)
    biggest = max(float(np.abs(p).max()) for p in pulls.values())
    scale = scale if scale is not None else 1.2 / max(biggest, 1e-12)
    # one height per sample (sorted by x) so that neighbouring arrows never lie on top of each other
    offsets = np.linspace(-0.38, 0.38, len(samples))
    rows = {"nonsaturating": (0.0, "tab:green"), "saturating": (1.0, "tab:red")}
    for name, (row, color) in rows.items():
        ax_pull.quiver(samples, row + offsets, scale * pulls[name], np.zeros_like(samples), color=color,
                       angles="xy", scale_units="xy", scale=1, width=0.005, headwidth=3.5, headlength=4,
                       headaxislength=3.5)
        ax_pull.plot(samples, row + offsets, "o", color=color, ms=3)
    ax_pull.set(xlabel="x (arrow: −∂ G's loss / ∂x at a fake sample)", ylabel="G's loss", ylim=(-0.5, 1.5),
                yticks=(0, 1), yticklabels=("non-sat.\n−log D", "saturating\nlog(1 − D)"))
    ax_pull.set_xlim(lo, hi)
    return axes, pulls


def generator_loss_curves(d_fake) -> dict[str, np.ndarray]:
    """Both generator losses and their gradients with respect to the logit, as functions of D(G(z)).

    Computed by autograd through :mod:`gancourse.losses` itself (one fake sample at a time), so the
    picture shows what the trainer really optimises.  Closed forms, for the record:
    ∂/∂ℓ log(1 − σ(ℓ)) = −D  (vanishes as D → 0)  and  ∂/∂ℓ −log σ(ℓ) = −(1 − D)  (→ −1 as D → 0).
    """
    d_fake = np.asarray(d_fake, dtype=float)
    if ((d_fake <= 0) | (d_fake >= 1)).any():
        raise ValueError("D(G(z)) values must lie strictly between 0 and 1")
    out = {}
    for name, loss_fn in (("saturating", generator_loss_saturating), ("nonsaturating", generator_loss_nonsaturating)):
        values, grads = [], []
        for logit in special.logit(d_fake):
            x = torch.tensor([logit], dtype=torch.float64, requires_grad=True)
            loss = loss_fn(x)
            (grad,) = torch.autograd.grad(loss, x)
            values.append(loss.item())
            grads.append(grad.item())
        out[name], out[f"grad_{name}"] = np.array(values), np.array(grads)
    return out


def plot_loss_diagram(ax=None):
    """Where each term of V(D, G) comes from: x and G(z) go through D into log D(x) and log(1 − D(G(z))).

    Drawn by :func:`gancourse.diagrams.flow_diagram`.
    """
    boxes = {
        "z": (0.0, 0.0, "noise z ~ N(0, I)", "data"),
        "G": (4.0, 0.0, "generator G", "generator"),
        "x": (4.0, 4.0, "real data x ~ p_data", "data"),
        "D": (8.0, 2.0, "discriminator D\nD = σ(logit)", "discriminator"),
        "real": (12.0, 4.0, "E[log D(x)]", "loss"),
        "fake": (12.0, 0.0, "E[log(1 − D(G(z)))]", "loss"),
        "V": (16.0, 2.0, "V(D, G) = sum\nD: max · G: min", "loss"),
        "ns": (16.0, -2.0, "used instead by G:\n−E[log D(G(z))]", "generator"),
    }
    arrows = [("z", "G", ""), ("G", "D", "G(z)"), ("x", "D", ""), ("D", "real", "D(x)"), ("D", "fake", "D(G(z))"),
              ("real", "V", ""), ("fake", "V", ""), ("fake", "ns", "")]
    return flow_diagram(boxes, arrows, ax=ax, size=(14, 5.6), box_size=(3.0, 1.0),
                        title="(a) where each term of V comes from")


def plot_gan_losses(axes=None):
    """Three panels: D's two loss terms vs its output, G's two losses vs D(G(z)), and their logit gradients."""
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    d = np.linspace(0.001, 0.999, 500)
    axes[0].plot(d, -np.log(d), color="black", label="real x: −log D(x)")
    axes[0].plot(d, -np.log1p(-d), color="tab:orange", label="fake G(z): −log(1 − D(G(z)))")
    axes[0].set(xlabel="discriminator output D(·)", ylabel="loss", title="(b) D's loss = −V, term by term", ylim=(0, 5))
    axes[0].legend(fontsize=10)
    curves = generator_loss_curves(d)
    axes[1].plot(d, curves["saturating"], color="tab:red", label="saturating: log(1 − D(G(z)))")
    axes[1].plot(d, curves["nonsaturating"], color="tab:green", label="non-saturating: −log D(G(z))")
    axes[1].set(xlabel="D(G(z))", ylabel="generator loss (minimised)", title="(c) G's two losses", ylim=(-5, 5))
    axes[1].legend(fontsize=10)
    axes[2].loglog(d, np.abs(curves["grad_saturating"]), color="tab:red", label="|∂/∂logit| saturating = D")
    axes[2].loglog(d, np.abs(curves["grad_nonsaturating"]), color="tab:green", label="|∂/∂logit| non-saturating = 1 − D")
    axes[2].axvspan(d[0], 0.05, color="grey", alpha=0.15, label="early training: D rejects fakes")
    axes[2].set(xlabel="D(G(z))", ylabel="gradient size", title="(d) gradient reaching G, per sample")
    axes[2].legend(fontsize=10, loc="center left")
    for ax in axes:
        ax.axvline(0.5, color="grey", ls=":", lw=1)
    return axes


def show_optimal_discriminator(gen_mean: float = 1.0, gen_std: float = 1.5) -> None:
    """Draw :func:`plot_optimal_discriminator` in a new figure, display it and close it: the widget's callback.

    Displaying explicitly matters: ipywidgets flushes inline figures only when matplotlib reports the
    inline backend by its long name, and recent matplotlib (3.11 here) reports the short "inline", so an
    undisplayed figure would never reach the widget.
    """
    from IPython.display import display

    fig, axes = plt.subplots(2, 1, figsize=(7, 4.6), sharex=True, height_ratios=(1.3, 1), layout="constrained")
    plot_optimal_discriminator(gen_mean, gen_std, axes=axes)
    display(fig)
    plt.close(fig)


def optimal_discriminator_widget():
    """Sliders for p_g's mean and std driving :func:`show_optimal_discriminator`; an ``ipywidgets.VBox``.

    Built from sliders and ``interactive_output``, which draws the first picture as soon as the widget is
    built in ipywidgets 7.7.1 (Colab) and 8.x alike; ``interactive`` would draw it on construction only
    in 8.x, and in 7.7.1 not before the widget is displayed on its own.
    """
    from ipywidgets import FloatSlider, VBox, interactive_output

    sliders = {"gen_mean": FloatSlider(value=1.0, min=-4.0, max=4.0, step=0.25, description="mean of p_g"),
               "gen_std": FloatSlider(value=1.5, min=0.3, max=3.0, step=0.1, description="std of p_g")}
    return VBox([*sliders.values(), interactive_output(show_optimal_discriminator, sliders)])
