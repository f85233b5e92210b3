"""Notebook 03: the theory module against reference numbers and independent computations, and its checks."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.spatial.distance import jensenshannon

from gancourse import theory
from gancourse.checks import nb03
from gancourse.losses import discriminator_loss

DATA, GEN = theory.Gaussian(0.0, 1.0), theory.Gaussian(1.0, 1.5)
PAIRS = [(DATA, GEN), (DATA, theory.Gaussian(0.0, 2.0)), (theory.Gaussian(-1.0, 0.3), theory.Gaussian(2.0, 1.0)),
         (DATA, theory.Gaussian(8.0, 1.0))]


# ---- reference numbers (COURSE.md §6) ---------------------------------------------------------------
def test_reference_numbers():
    assert theory.optimal_value(DATA, GEN) == pytest.approx(-1.187714, abs=5e-7)
    assert theory.js_divergence(DATA, GEN) == pytest.approx(0.099290, abs=5e-7)
    assert theory.optimal_value(DATA, DATA) == pytest.approx(-math.log(4), abs=1e-10)
    assert theory.js_divergence(DATA, DATA) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("p, q", PAIRS)
def test_value_at_optimum_is_minus_log4_plus_two_jsd(p, q):
    assert theory.optimal_value(p, q) == pytest.approx(-math.log(4) + 2 * theory.js_divergence(p, q), abs=1e-9)


@pytest.mark.parametrize("p, q", PAIRS)
def test_jsd_matches_scipy_on_discretised_densities(p, q):
    # scipy returns the Jensen–Shannon *distance*: the square root of the divergence (natural log by default)
    lo, hi = theory._limits(p, q)
    x = np.linspace(lo, hi, 40001)
    assert jensenshannon(p.pdf(x), q.pdf(x)) ** 2 == pytest.approx(theory.js_divergence(p, q), abs=1e-6)


def test_jsd_is_bounded_by_log2_and_symmetric():
    far = theory.Gaussian(30.0, 1.0)
    assert theory.js_divergence(DATA, far) == pytest.approx(math.log(2), abs=1e-9)
    assert theory.js_divergence(DATA, GEN) == pytest.approx(theory.js_divergence(GEN, DATA), abs=1e-10)


@pytest.mark.parametrize("p, q", PAIRS)
def test_kl_against_closed_form(p, q):
    assert theory.kl_divergence(p, q) == pytest.approx(theory.kl_gaussians(p, q), rel=1e-8)
    assert theory.kl_gaussians(p, p) == 0.0


def test_densities_with_disjoint_parts_use_zero_log_zero():
    # Uniform(0, 1) against Uniform(0.5, 1.5): half the mass of each is alone, JSD = ½ log 2 exactly
    def uniform(a):
        return lambda x: ((np.asarray(x) >= a) & (np.asarray(x) <= a + 1)).astype(float)

    p, q = uniform(0.0), uniform(0.5)
    assert theory.js_divergence(p, q, limits=(-1, 2.5)) == pytest.approx(0.5 * math.log(2), abs=1e-8)
    assert theory.kl_divergence(p, q, limits=(-1, 2.5)) == math.inf
    with pytest.raises(ValueError, match="limits"):
        theory.js_divergence(p, q)


def test_gaussian_matches_scipy():
    from scipy import stats

    x = np.linspace(-5, 6, 23)
    assert np.allclose(GEN.pdf(x), stats.norm(1.0, 1.5).pdf(x))
    assert np.allclose(GEN.cdf(x), stats.norm(1.0, 1.5).cdf(x))
    assert GEN.sample(5, torch.Generator().manual_seed(0)).shape == (5, 1)
    with pytest.raises(ValueError, match="std"):
        theory.Gaussian(0.0, 0.0)


# ---- the optimal discriminator ------------------------------------------------------------------------
def test_optimal_discriminator_formula_and_tails():
    x = np.linspace(-5, 6, 101)
    ratio = DATA.pdf(x) / (DATA.pdf(x) + GEN.pdf(x))
    assert np.allclose(theory.optimal_discriminator(x, DATA, GEN), ratio)
    assert np.allclose(theory.optimal_discriminator(x, DATA, DATA), 0.5)
    # far in the tails both densities underflow; the log-space form still gives the limit
    assert theory.optimal_discriminator(np.array([60.0]), DATA, GEN)[0] == pytest.approx(0.0, abs=1e-300)


def test_optimal_discriminator_maximises_v():
    best = theory.optimal_value(DATA, GEN)
    assert theory.value_function(lambda x: theory.optimal_discriminator(x, DATA, GEN), DATA, GEN) == pytest.approx(best, abs=1e-9)
    assert theory.value_function(lambda x: theory.optimal_logit(x, DATA, GEN), DATA, GEN, logits=True) == pytest.approx(best, abs=1e-9)
    for shift in (-0.5, 0.3, 1.0):  # any other logit scores less
        worse = theory.value_function(lambda x: theory.optimal_logit(x, DATA, GEN) + shift, DATA, GEN, logits=True)
        assert worse < best
    assert theory.value_function(lambda x: np.full_like(x, 0.5), DATA, GEN) == pytest.approx(-math.log(4), abs=1e-10)
    with pytest.raises(ValueError, match="one value per x"):
        theory.value_function(lambda x: np.zeros(3), DATA, GEN)


def test_discriminator_loss_is_minus_v_by_monte_carlo():
    # the package's BCE at D* on samples estimates −V(D*, G): the loss in the notebook is the theory's V
    gen = torch.Generator().manual_seed(0)
    real, fake = DATA.sample(400_000, gen).double(), GEN.sample(400_000, gen).double()
    logit = lambda t: torch.from_numpy(theory.optimal_logit(t.numpy().ravel(), DATA, GEN))
    loss = discriminator_loss(logit(real), logit(fake)).item()
    assert -loss == pytest.approx(theory.optimal_value(DATA, GEN), abs=5e-3)
    v_batch = (F.logsigmoid(logit(real)).mean() + F.logsigmoid(-logit(fake)).mean()).item()
    assert v_batch == pytest.approx(-loss, abs=1e-10)


def test_mixture_quantiles_hold_the_mass():
    lo, hi = theory.mixture_quantiles(DATA, GEN, 0.98)
    mass = 0.5 * (DATA.cdf(hi) + GEN.cdf(hi)) - 0.5 * (DATA.cdf(lo) + GEN.cdf(lo))
    assert mass == pytest.approx(0.98, abs=1e-9) and lo < 0 < hi
    with pytest.raises(ValueError):
        theory.mixture_quantiles(DATA, GEN, 1.5)


# ---- games ------------------------------------------------------------------------------------------------
def test_matching_pennies_and_2x2_formula():
    row, col, value = theory.solve_zero_sum([[1, -1], [-1, 1]])
    assert np.allclose(row, [0.5, 0.5]) and np.allclose(col, [0.5, 0.5]) and value == 0.0
    a = np.array([[3.0, -1.0], [-2.0, 1.0]])  # no saddle point: closed-form 2×2 solution
    denom = a[0, 0] - a[0, 1] - a[1, 0] + a[1, 1]
    row, col, value = theory.solve_zero_sum(a)
    assert row[0] == pytest.approx((a[1, 1] - a[1, 0]) / denom)
    assert col[0] == pytest.approx((a[1, 1] - a[0, 1]) / denom)
    assert value == pytest.approx((a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]) / denom)


def test_pure_saddle_point_and_rock_paper_scissors():
    row, col, value = theory.solve_zero_sum([[2, 3], [1, 4]])
    assert np.allclose(row, [1, 0]) and np.allclose(col, [1, 0]) and value == pytest.approx(2.0)
    rps = [[0, -1, 1], [1, 0, -1], [-1, 1, 0]]
    row, col, value = theory.solve_zero_sum(rps)
    assert np.allclose(row, 1 / 3) and np.allclose(col, 1 / 3) and value == pytest.approx(0.0, abs=1e-12)


def test_gradient_play_spirals_out_or_circles():
    lr, steps = 0.1, 200
    sim = theory.gradient_play(1.0, 0.0, lr, steps)
    radius = np.hypot(sim[:, 0], sim[:, 1])
    assert np.allclose(radius[1:] / radius[:-1], math.sqrt(1 + lr**2))
    alt = theory.gradient_play(1.0, 0.0, lr, steps, alternating=True)
    r_alt = np.hypot(alt[:, 0], alt[:, 1])
    assert 0.9 < r_alt.min() and r_alt.max() < 1.1  # bounded, but never approaches (0, 0)
    assert alt.shape == (steps + 1, 2)
    with pytest.raises(ValueError):
        theory.gradient_play(1.0, 0.0, -0.1, 5)


# ---- pictures and the widget ------------------------------------------------------------------------------
def test_generator_loss_curves_match_closed_forms():
    d = np.array([1e-4, 0.01, 0.3, 0.5, 0.9])
    curves = theory.generator_loss_curves(d)
    assert np.allclose(curves["saturating"], np.log1p(-d))
    assert np.allclose(curves["nonsaturating"], -np.log(d))
    assert np.allclose(curves["grad_saturating"], -d)
    assert np.allclose(curves["grad_nonsaturating"], -(1 - d))
    with pytest.raises(ValueError):
        theory.generator_loss_curves([0.0, 0.5])


def test_plots_and_widget_callback_run():
    axes = theory.plot_gan_losses()
    assert len(axes) == 3
    ax_density, ax_d = theory.plot_optimal_discriminator(0.0, 1.0)
    assert "-1.3863" in ax_density.get_title() and "0.0000" in ax_density.get_title()
    # D* has its own 0–1 axis (no twin axes): the D = ½ line is drawn there, and every panel is labelled
    assert ax_d.get_ylim()[0] < 0.5 < ax_d.get_ylim()[1] <= 1.1
    assert any(np.allclose(line.get_ydata(), 0.5) for line in ax_d.get_lines())
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in (ax_density, ax_d))
    assert len(ax_density.figure.axes) == 2
    widget = theory.optimal_discriminator_widget()
    assert [c.description for c in widget.children[:2]] == ["mean of p_g", "std of p_g"]


def test_widget_callback_displays_and_closes_its_figure(capsys):
    import matplotlib.pyplot as plt

    plt.close("all")
    theory.show_optimal_discriminator(2.0, 0.5)
    assert "Figure" in capsys.readouterr().out  # IPython's display falls back to the repr outside a notebook
    assert plt.get_fignums() == []


# ---- G's gradient at the fake samples; total variation ------------------------------------------------------
def test_generator_pull_matches_the_chain_rule_and_points_to_the_data():
    far = theory.Gaussian(3.0, 1.0)
    logit = theory.optimal_logit_torch(DATA, far)  # for equal stds the logit's slope is −(μ_g − μ_data) = −3
    x = np.linspace(0.5, 6.0, 12)
    d = theory.optimal_discriminator(x, DATA, far)
    saturating, nonsaturating = theory.generator_pull(x, logit, "saturating"), theory.generator_pull(x, logit, "nonsaturating")
    assert np.allclose(saturating, -3 * d, rtol=1e-4, atol=1e-7)
    assert np.allclose(nonsaturating, -3 * (1 - d), rtol=1e-4, atol=1e-6)
    assert (saturating < 0).all() and (nonsaturating < 0).all()  # towards the data at x = 0, for both losses
    # where D rejects the fakes the saturating arrow vanishes and the non-saturating one keeps its length
    rejected = d < 1e-3
    assert rejected.sum() >= 4
    assert np.abs(saturating[rejected]).max() < 3e-3 and np.abs(nonsaturating[rejected]).min() > 2.99


def test_generator_pull_follows_the_slope_of_a_network():
    # a linear "network" with logit 2x − 1: pulls are D·2 and (1 − D)·2, to the right, whatever the data
    layer = torch.nn.Linear(1, 1)
    with torch.no_grad():
        layer.weight.fill_(2.0)
        layer.bias.fill_(-1.0)
    x = np.array([-3.0, 0.0, 0.5, 4.0])
    d = 1 / (1 + np.exp(-(2 * x - 1)))
    assert np.allclose(theory.generator_pull(x, layer, "saturating"), 2 * d, atol=1e-6)
    assert np.allclose(theory.generator_pull(x, layer, "nonsaturating"), 2 * (1 - d), atol=1e-6)
    assert layer.weight.grad is None  # the pull differentiates with respect to x only
    with pytest.raises(ValueError, match="loss"):
        theory.generator_pull(x, layer, "wasserstein")
    with pytest.raises(TypeError):
        theory.optimal_logit_torch(DATA, lambda x: x)


def test_plot_generator_pull_labels_every_panel():
    far = theory.Gaussian(3.0, 1.0)
    samples = np.array([3.5, 1.0, 2.0])
    axes, pulls = theory.plot_generator_pull(DATA, far, theory.optimal_logit_torch(DATA, far), samples)
    assert len(axes) == 3 and all(ax.get_xlabel() and ax.get_ylabel() for ax in axes)
    assert np.allclose(pulls["nonsaturating"], theory.generator_pull(np.sort(samples), theory.optimal_logit_torch(DATA, far)))
    assert len(axes[2].collections) == 2  # one set of arrows per loss


def test_total_variation_and_best_accuracy():
    from scipy.stats import norm

    for mu in (0.0, 1.0, 3.0):  # equal stds: TV = 2Φ(μ/2) − 1
        assert theory.total_variation(DATA, theory.Gaussian(mu, 1.0)) == pytest.approx(2 * norm.cdf(mu / 2) - 1, abs=1e-9)
    # the Bayes classifier "real where D* > ½", by Monte Carlo on a balanced mix, reaches ½ + ½·TV
    gen = torch.Generator().manual_seed(1)
    real, fake = DATA.sample(200_000, gen).numpy().ravel(), GEN.sample(200_000, gen).numpy().ravel()
    accuracy = 0.5 * np.mean(theory.optimal_discriminator(real, DATA, GEN) > 0.5) + \
        0.5 * np.mean(theory.optimal_discriminator(fake, DATA, GEN) <= 0.5)
    assert accuracy == pytest.approx(0.5 + 0.5 * theory.total_variation(DATA, GEN), abs=3e-3)


# ---- exercise checks: accept the reference, reject typical mistakes ------------------------------------------
def _ran(capsys):
    return capsys.readouterr().out


def test_check_optimal_discriminator(capsys):
    from scipy.special import expit

    assert nb03.check_optimal_discriminator(lambda log_a, log_b: expit(log_a - log_b))
    with np.errstate(over="ignore"):  # 1 / (1 + e^(log b − log a)) overflows to 1/inf = 0: still right
        assert nb03.check_optimal_discriminator(lambda log_a, log_b: 1 / (1 + np.exp(log_b - log_a)))
    capsys.readouterr()
    # the formula on densities, exponentiated first: 0 / 0 far in the tails
    with np.errstate(invalid="ignore"):
        assert not nb03.check_optimal_discriminator(lambda log_a, log_b: np.exp(log_a) / (np.exp(log_a) + np.exp(log_b)))
    assert "not a number" in _ran(capsys)
    assert not nb03.check_optimal_discriminator(lambda log_a, log_b: expit(log_b - log_a))
    assert "1 − D*" in _ran(capsys)
    # right near the data, nan replaced by ½ in the tails
    def patched(log_a, log_b):
        with np.errstate(invalid="ignore"):
            d = np.exp(log_a) / (np.exp(log_a) + np.exp(log_b))
        return np.nan_to_num(d, nan=0.5)

    assert not nb03.check_optimal_discriminator(patched)
    assert "tails" in _ran(capsys)
    assert not nb03.check_optimal_discriminator(lambda log_a, log_b: log_a - log_b)  # the logit, not D*
    assert not nb03.check_optimal_discriminator(lambda log_a, log_b: ...)
    assert "not attempted" in _ran(capsys)


def test_sgd_race_outcome_boundaries():
    assert nb03.sgd_race_outcome(5.88, 0.10) == "A"
    assert nb03.sgd_race_outcome(5.88, 1.0) == "B"
    assert nb03.sgd_race_outcome(5.88, 0.9 * 5.88 - 1e-9) == "B"
    assert nb03.sgd_race_outcome(5.88, 0.9 * 5.88) == "C"
    assert nb03.sgd_race_outcome(5.88, 5.84) == "C"
    with pytest.raises(ValueError):
        nb03.sgd_race_outcome(0.0, 1.0)


def test_check_sgd_race_prediction(capsys):
    # the notebook's default run measured 5.88 → 5.84 for the saturating generator, 0.10 for the control
    assert nb03.check_sgd_race_prediction("C", 5.88, 5.84, control_w1_end=0.10)
    assert nb03.check_sgd_race_prediction(" c ", 5.88, 5.84)
    capsys.readouterr()
    assert not nb03.check_sgd_race_prediction("A", 5.88, 5.84, control_w1_end=0.10)
    out = _ran(capsys)
    assert "you predicted A" in out and "5.84" in out and "0.10" in out and "learning rate times the gradient" in out
    assert not nb03.check_sgd_race_prediction("B", 5.88, 5.84)
    # the check follows the measurement, not a stored answer
    assert nb03.check_sgd_race_prediction("A", 5.88, 0.4)
    assert not nb03.check_sgd_race_prediction("C", 5.88, 0.4)
    assert not nb03.check_sgd_race_prediction("D", 5.88, 5.84)
    assert "one letter" in _ran(capsys)
    assert not nb03.check_sgd_race_prediction(..., 5.88, 5.84)
    assert "not attempted" in _ran(capsys)


def test_check_nonsaturating_loss(capsys):
    assert nb03.check_nonsaturating_loss(lambda logits: F.softplus(-logits).mean())
    assert not nb03.check_nonsaturating_loss(lambda logits: -torch.log(torch.sigmoid(logits)).mean())
    assert "not finite" in _ran(capsys)
    assert not nb03.check_nonsaturating_loss(lambda logits: -F.softplus(logits).mean())
    assert "saturating" in _ran(capsys)
    assert not nb03.check_nonsaturating_loss(lambda logits: torch.tensor(F.softplus(-logits).mean().item()))
    assert "gradient" in _ran(capsys)

    def placeholder(fake_logits):
        ...

    assert not nb03.check_nonsaturating_loss(placeholder)
    assert "not attempted" in _ran(capsys)


def test_check_penalty_equilibrium(capsys):
    a = np.array(nb03.PENALTY_GAME)
    # indifference of the keeper, solved by hand: p·a11 + (1 − p)·a21 = p·a12 + (1 − p)·a22
    p = (a[1, 1] - a[1, 0]) / (a[0, 0] - a[0, 1] - a[1, 0] + a[1, 1])
    value = p * a[0, 0] + (1 - p) * a[1, 0]
    assert nb03.check_penalty_equilibrium(p, value)
    assert not nb03.check_penalty_equilibrium(0.5, 0.8)
    assert not nb03.check_penalty_equilibrium(1 - p, value)
    assert "right" in _ran(capsys)
    assert not nb03.check_penalty_equilibrium(p, 0.5)
    assert not nb03.check_penalty_equilibrium(..., ...)
    assert "not attempted" in _ran(capsys)
