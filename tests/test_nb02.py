"""Notebook 02: the widget helpers, the layer diagrams, the notebook's claims about PyTorch, and its checks."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gancourse import widgets
from gancourse.checks import nb02
from gancourse.losses import discriminator_loss, generator_loss_nonsaturating
from gancourse.models import DCGANGenerator, MLPDiscriminator, MLPGenerator, count_parameters


def _generator(latent_dim=4, batch_norm=False):
    torch.manual_seed(0)
    return MLPGenerator(latent_dim, (1, 6, 6), hidden=(16,), batch_norm=batch_norm)


def _hand_built_generator(latent_dim=8, hidden=256):
    """The notebook's step-by-step generator."""
    return nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)))


def _hand_built_discriminator(hidden=256):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                         nn.LeakyReLU(0.2), nn.Linear(hidden, 1))


# ---- latent explorer: the callback and its pieces ------------------------------------------------------------
def test_latent_point_moves_only_the_chosen_coordinates():
    base = torch.arange(6.0)
    z = widgets.latent_point(base, [1, 4], [-2.5, 9.0])
    assert z.shape == (1, 6)
    assert z[0].tolist() == [0.0, -2.5, 2.0, 3.0, 9.0, 5.0]
    assert base.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]  # the caller's vector is not modified
    assert torch.equal(widgets.latent_point(base[None], [], []), base[None])


@pytest.mark.parametrize("dims, values, match", [([0, 1], [1.0], "one value per"), ([6], [0.0], "does not exist"),
                                                 ([-1], [0.0], "does not exist"), ([2, 2], [0.0, 1.0], "distinct")])
def test_latent_point_rejects_bad_requests(dims, values, match):
    with pytest.raises(ValueError, match=match):
        widgets.latent_point(torch.zeros(6), dims, values)
    with pytest.raises(ValueError, match="one noise vector"):
        widgets.latent_point(torch.zeros(2, 6), [0], [0.0])


def test_explorer_figure_draws_g_of_the_moved_point():
    generator = _generator()
    base = torch.randn(4, generator=torch.Generator().manual_seed(1))
    ax = widgets.latent_explorer_figure(generator, base, [0, 3], [2.0, -1.0])
    with torch.no_grad():
        expected = generator(torch.tensor([[2.0, base[1], base[2], -1.0]]))
    shown = ax.images[0].get_array()
    assert shown.shape == (6, 6)  # a single image is shown without the grid's padding
    assert torch.allclose(torch.as_tensor(shown).float(), (expected[0, 0] + 1) / 2, atol=1e-6)
    assert ax.get_title() == "z[0]=+2.00, z[3]=-1.00"


def test_generate_uses_eval_mode_and_restores_it():
    generator = _generator(batch_norm=True)
    generator.train()
    z = torch.randn(3, 4)
    images = widgets.generate(generator, z)
    generator.eval()
    with torch.no_grad():
        assert torch.equal(images, generator(z))  # BatchNorm used its running statistics
    generator.train()
    widgets.generate(generator, z)
    assert generator.training
    with pytest.raises(ValueError, match="images"):
        widgets.generate(MLPGenerator(2, 5, hidden=(4,)), torch.zeros(1, 2))


def test_sweep_rows_are_single_slider_moves():
    generator = _generator()
    base = torch.randn(4, generator=torch.Generator().manual_seed(2))
    values = [-1.0, 0.0, 1.5]
    images = widgets.latent_sweep(generator, base, [1, 2], values)
    assert images.shape == (6, 1, 6, 6)
    for row, dim in enumerate([1, 2]):
        for col, value in enumerate(values):
            expected = widgets.generate(generator, widgets.latent_point(base, [dim], [value]))
            assert torch.allclose(images[row * len(values) + col], expected[0], atol=1e-6)
    ax = widgets.latent_sweep_figure(generator, base, [1, 2], values, title="sweep")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["z[1]", "z[2]"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["-1.0", "+0.0", "+1.5"]
    with pytest.raises(ValueError, match="at least one"):
        widgets.latent_sweep(generator, base, [], values)


def test_explorer_widget_builds_without_a_browser_and_redraws(monkeypatch):
    import ipywidgets

    generator = _generator()
    base = torch.tensor([0.5, -4.0, 1.0, 2.0])
    calls = []
    real_figure = widgets.latent_explorer_figure

    def spy(gen, z, dims, values, **kwargs):
        calls.append(list(values))
        return real_figure(gen, z, dims, values, **kwargs)

    monkeypatch.setattr(widgets, "latent_explorer_figure", spy)
    box = widgets.latent_explorer(generator, base, dims=(0, 1, 3), value_range=(-3.0, 3.0))
    assert isinstance(box, ipywidgets.VBox)
    sliders = [w for row in box.children[:-1] for w in row.children]
    assert [s.description for s in sliders] == ["z[0]", "z[1]", "z[3]"]
    assert [s.value for s in sliders] == [0.5, -3.0, 2.0]  # starts at base z, clipped to the range
    assert isinstance(box.children[-1], ipywidgets.Output)
    assert calls == [[0.5, -3.0, 2.0]]  # drawn once on construction (ipywidgets 7.7 and 8 alike)
    sliders[2].value = -1.0
    assert calls[-1] == [0.5, -3.0, -1.0]
    with pytest.raises(ValueError, match="does not exist"):
        widgets.latent_explorer(generator, base, dims=(7,))
    with pytest.raises(ValueError, match="low < high"):
        widgets.latent_explorer(generator, base, value_range=(1.0, 1.0))


# ---- layer diagrams read from the real module ---------------------------------------------------------------
def test_layer_summary_matches_the_model():
    generator = _hand_built_generator()
    summary = widgets.layer_summary(generator, torch.zeros(2, 8))
    assert [s["layer"] for s in summary] == ["Linear 8→256", "ReLU", "Linear 256→256", "ReLU", "Linear 256→784",
                                             "Tanh", "Unflatten"]
    assert summary[-1]["output_shape"] == (1, 28, 28)
    assert sum(s["params"] for s in summary) == count_parameters(generator)
    dcgan = DCGANGenerator(16)
    dcgan.train()
    dc_summary = widgets.layer_summary(dcgan, torch.zeros(2, 16, 1, 1))
    assert dc_summary[0]["layer"] == "ConvTranspose2d 16→128, k7 s1" and dc_summary[0]["output_shape"] == (128, 7, 7)
    assert sum(s["params"] for s in dc_summary) == count_parameters(dcgan)
    assert dcgan.training  # restored after the eval-mode pass


def test_layer_diagram_has_one_box_per_layer():
    discriminator = _hand_built_discriminator()
    ax = widgets.layer_diagram(discriminator, torch.zeros(2, 1, 28, 28), kind="discriminator", input_label="image x",
                               output_label="logit", title="D")
    boxes = [p for p in ax.patches if type(p).__name__ == "FancyBboxPatch"]
    arrows = [p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]
    assert len(boxes) == 6 + 2 and len(arrows) == 7
    assert "Linear 784→256\n(N, 256)\n200,960 params" in [t.get_text() for t in ax.texts]
    with pytest.raises(ValueError, match="no nn layers"):
        widgets.layer_diagram(_NoLayers(), torch.zeros(1, 2))


def test_layer_diagram_wraps_into_rows_like_a_snake():
    generator = _hand_built_generator()  # 7 layers: 9 boxes with the input and the output
    one_row = widgets.layer_diagram(generator, torch.zeros(2, 8))
    assert {round(t.get_position()[1], 6) for t in one_row.texts} == {0.0}
    ax = widgets.layer_diagram(generator, torch.zeros(2, 8), rows=3, fontsize=12)
    labels = [t for t in ax.texts if t.get_text()]
    assert len(labels) == 9 and all(t.get_fontsize() == 12 for t in labels)
    positions = [t.get_position() for t in labels]  # in chain order: input, layers…, output
    assert [y for _, y in positions] == [0.0] * 3 + [-2.0] * 3 + [-4.0] * 3
    xs = [x for x, _ in positions]
    assert xs[:3] == sorted(xs[:3]) and xs[3:6] == sorted(xs[3:6], reverse=True) and xs[6:] == sorted(xs[6:])
    assert xs[2] == xs[3] and xs[5] == xs[6]  # each turn is a vertical arrow
    arrows = [p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]
    assert len(arrows) == 8
    width, _ = ax.figure.get_size_inches()
    assert width < 12.6  # fits a projected page at its natural size
    with pytest.raises(ValueError, match="rows must be a positive integer"):
        widgets.layer_diagram(generator, torch.zeros(2, 8), rows=0)
    with pytest.raises(ValueError, match="do not fill"):
        widgets.layer_diagram(generator, torch.zeros(2, 8), rows=8)  # 2 boxes a row would leave rows empty


class _NoLayers(nn.Module):
    def __init__(self):
        super().__init__()
        self.unused = nn.Linear(2, 2)

    def forward(self, x):
        return x * 2


# ---- the notebook's claims ------------------------------------------------------------------------------------
def test_hand_built_models_are_the_package_models():
    torch.manual_seed(0)
    generator, discriminator = _hand_built_generator(), _hand_built_discriminator()
    package_g = MLPGenerator(8, (1, 28, 28), hidden=(256, 256))
    package_d = MLPDiscriminator((1, 28, 28), hidden=(256, 256))
    package_g.net.load_state_dict(generator.state_dict())
    weights = discriminator.state_dict()
    package_d.load_state_dict({"hidden.0.weight": weights["1.weight"], "hidden.0.bias": weights["1.bias"],
                               "hidden.1.weight": weights["3.weight"], "hidden.1.bias": weights["3.bias"],
                               "out.weight": weights["5.weight"], "out.bias": weights["5.bias"]})
    z = torch.randn(5, 8)
    with torch.no_grad():
        assert torch.equal(package_g(z), generator(z))
        x = generator(z)
        assert torch.allclose(package_d(x), discriminator(x).squeeze(1), atol=1e-6)
    assert count_parameters(package_g) == count_parameters(generator) == 269_584
    assert count_parameters(package_d) == count_parameters(discriminator) == 267_009


def test_sigmoid_bce_trap_and_the_logit_fix():
    logit = torch.tensor([-200.0], requires_grad=True)  # a real sample that D scores as very fake
    trap = nn.BCELoss()(torch.sigmoid(logit), torch.ones(1))
    assert trap.item() == pytest.approx(100.0)  # BCELoss clamps log to −100: the true loss 200 is lost
    (trap_grad,) = torch.autograd.grad(trap, logit)
    assert trap_grad.item() == 0.0  # and no gradient reaches D
    fixed = nn.BCEWithLogitsLoss()(logit, torch.ones(1))
    (fixed_grad,) = torch.autograd.grad(fixed, logit)
    assert fixed.item() == pytest.approx(200.0) and fixed_grad.item() == pytest.approx(-1.0)
    assert torch.sigmoid(torch.tensor(17.0)).item() == 1.0  # float32 rounds σ(17) to exactly 1
    # the package's losses work on logits, so they stay exact at the extremes
    assert discriminator_loss(torch.tensor([-200.0]), torch.tensor([200.0])).item() == pytest.approx(400.0)
    assert generator_loss_nonsaturating(torch.tensor([-200.0])).item() == pytest.approx(200.0)


def test_losses_by_hand_match_torch():
    p, y = torch.tensor([0.9, 0.2, 0.6]), torch.tensor([1.0, 0.0, 1.0])
    bce = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
    assert bce.item() == pytest.approx(F.binary_cross_entropy(p, y).item(), abs=1e-7)
    logits, target = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]]), torch.tensor([0, 2])
    ce = -torch.log(torch.softmax(logits, dim=1)[torch.arange(2), target]).mean()
    assert ce.item() == pytest.approx(F.cross_entropy(logits, target).item(), abs=1e-6)
    # BCE on a logit ℓ is cross-entropy over the two logits (0, ℓ)
    ell = torch.tensor([1.3, -0.4])
    two_class = F.cross_entropy(torch.stack([torch.zeros(2), ell], 1), torch.tensor([1, 0]))
    assert two_class.item() == pytest.approx(F.binary_cross_entropy_with_logits(ell, torch.tensor([1.0, 0.0])).item())
    pred, truth = torch.tensor([0.5, 2.0, -1.0]), torch.tensor([1.0, 1.5, 0.0])
    assert F.mse_loss(pred, truth).item() == pytest.approx(((pred - truth) ** 2).mean().item())
    half_sum = 0.5 * ((pred - truth) ** 2).sum()  # seed 002's MSE
    assert half_sum.item() == pytest.approx(F.mse_loss(pred, truth).item() * len(pred) / 2)


def test_five_d_noise_is_rejected_with_a_clear_message():
    generator = DCGANGenerator(100, channels=3, image_size=32)
    with pytest.raises(ValueError, match=r"expected noise of shape \(N, 100\) or \(N, 100, 1, 1\)"):
        generator(torch.randn(4, 100, 1, 1, 1))
    with pytest.raises(RuntimeError, match="4D"):
        nn.ConvTranspose2d(100, 64, 4, 1, 1)(torch.randn(4, 100, 1, 1, 1))
    assert generator(torch.randn(4, 100, 1, 1)).shape == (4, 3, 32, 32)
    assert nn.BatchNorm2d(128, 0.8).eps == 0.8 and nn.BatchNorm2d(128, 0.8).momentum == 0.1


# ---- exercise checks: accept the reference, reject typical mistakes ----------------------------------------------
def _out(capsys):
    return capsys.readouterr().out


def test_check_soft_label_minimum(capsys):
    # the reference is derived, not copied: d/dp of −[y log p + (1 − y) log(1 − p)] vanishes at p = y
    y = nb02.SOFT_LABEL
    entropy = -(y * math.log(y) + (1 - y) * math.log(1 - y))
    assert nb02.measured_soft_label_minimum() == pytest.approx((y, entropy), abs=1e-4)
    assert nb02.check_soft_label_minimum(0.9, 0.325)
    assert nb02.check_soft_label_minimum(0.905, round(entropy, 3))
    assert not nb02.check_soft_label_minimum(1.0, 0.0)  # "certainty is best", as with the hard label
    assert "without" in _out(capsys)
    assert not nb02.check_soft_label_minimum(0.9, 0.0)
    assert "does not reach 0" in _out(capsys)
    assert not nb02.check_soft_label_minimum(0.9, -math.log(0.9))  # only the y·log p term
    assert "only the y·log p term" in _out(capsys)
    assert not nb02.check_soft_label_minimum(0.5, 0.693)
    assert "not where the loss is lowest" in _out(capsys)
    assert not nb02.check_soft_label_minimum(0.9, 0.5)
    assert not nb02.check_soft_label_minimum(..., 0.3)
    assert "not attempted" in _out(capsys)


def test_check_generator_parameters(capsys):
    d, h, pixels = 8, 256, 3 * 64 * 64
    by_formula = (d * h + h) + 2 * h + (h * h + h) + 2 * h + (h * pixels + pixels)
    assert nb02.measured_generator_parameters(d, h) == by_formula == 3_227_136
    state = torch.get_rng_state()
    assert nb02.check_generator_parameters(by_formula, d, h)
    assert torch.equal(torch.get_rng_state(), state)  # building the real generator drew no numbers of ours
    assert not nb02.check_generator_parameters(h * pixels + pixels, d, h)
    assert "output layer alone" in _out(capsys)
    assert not nb02.check_generator_parameters(by_formula - (h + h + pixels), d, h)  # no biases
    assert "biases" in _out(capsys)
    assert not nb02.check_generator_parameters(by_formula - 4 * h, d, h)  # no BatchNorm
    assert "BatchNorm" in _out(capsys)
    grey = pixels // 3
    assert not nb02.check_generator_parameters(by_formula - h * pixels - pixels + h * grey + grey, d, h)
    assert "3 channels" in _out(capsys)
    assert not nb02.check_generator_parameters(270_608, d, h)  # the 28×28 generator of the notebook
    assert "28×28" in _out(capsys)
    assert not nb02.check_generator_parameters(..., d, h)
    assert "not attempted" in _out(capsys)


def _trained_looking_generator(latent_dim=8):
    torch.manual_seed(3)
    generator = MLPGenerator(latent_dim, (1, 6, 6), hidden=(32,), batch_norm=True)
    with torch.no_grad():  # large weights: a saturating, image-like output instead of near-zero grey
        for p in generator.parameters():
            p.mul_(4.0)
    return generator


def test_latent_changes_are_the_notebooks_measurement():
    generator = _trained_looking_generator()
    base = torch.randn(8, generator=torch.Generator().manual_seed(1))
    per_coordinate, fresh = nb02.latent_changes(generator, base)
    # the notebook's cell, written out: the two ends of each sweep row, and 500 independent pairs
    for i in range(8):
        low, high = (widgets.generate(generator, widgets.latent_point(base, [i], [v])) for v in (-3.0, 3.0))
        assert per_coordinate[i].item() == pytest.approx((high - low).abs().mean().item(), rel=1e-5)
    pairs = torch.randn(2, 500, 8, generator=torch.Generator().manual_seed(11))
    expected = (widgets.generate(generator, pairs[0]) - widgets.generate(generator, pairs[1])).abs().mean().item()
    assert fresh == pytest.approx(expected, rel=1e-6)


def test_check_sweep_against_fresh_noise(capsys):
    generator = _trained_looking_generator()
    base = torch.randn(8, generator=torch.Generator().manual_seed(1))
    per_coordinate, fresh = nb02.latent_changes(generator, base)
    ratio = per_coordinate.mean().item() / fresh
    assert ratio > 1.5 / 8  # the "an eighth of the change" answer must be wrong on this generator
    assert nb02.check_sweep_against_fresh_noise(ratio, generator, base)
    assert nb02.check_sweep_against_fresh_noise(1.1 * ratio, generator, base)
    assert not nb02.check_sweep_against_fresh_noise(1 / 8, generator, base)
    assert "step of length 6" in _out(capsys)
    assert not nb02.check_sweep_against_fresh_noise(3 * ratio, generator, base)
    assert "too large" in _out(capsys)
    assert not nb02.check_sweep_against_fresh_noise(..., generator, base)
    assert "not attempted" in _out(capsys)


def test_seed_generator_formula_in_layer_order_is_the_package_generator():
    """The errata box: tanh(W3 h2 + b3) with matching indices is the course's G; without Tanh it is unbounded."""
    generator = _trained_looking_generator()
    generator.eval()
    linear_1, batch_norm_1, _, linear_2, _ = generator.net
    z = torch.randn(16, 8, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        h1 = torch.relu(batch_norm_1(z @ linear_1.weight.T + linear_1.bias))
        before_tanh = h1 @ linear_2.weight.T + linear_2.bias
        assert torch.allclose(torch.tanh(before_tanh).view(-1, 1, 6, 6), generator(z), atol=1e-6)
    assert (before_tanh.abs() > 1).any()


def test_reference_numbers_of_the_bce_trap_table():
    # logit −30 for a real sample: BCELoss still gets the value (30) but its gradient is ~10× too small,
    # because its backward divides by max(p(1 − p), 1e-12)
    logit = torch.tensor([-30.0], requires_grad=True)
    loss = F.binary_cross_entropy(torch.sigmoid(logit), torch.ones(1))
    (grad,) = torch.autograd.grad(loss, logit)
    assert loss.item() == pytest.approx(30.0, rel=1e-5)
    assert grad.item() == pytest.approx(-math.exp(-30.0) / 1e-12, rel=1e-3)
    # logit 10 for a fake: 1 − σ(10) cancels in float32, the value is already off in the 5th digit
    ten = F.binary_cross_entropy(torch.sigmoid(torch.tensor([10.0])), torch.zeros(1)).item()
    assert abs(ten - F.softplus(torch.tensor(10.0, dtype=torch.float64)).item()) > 1e-5
