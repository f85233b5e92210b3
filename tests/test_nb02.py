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


def test_check_linear_parameters(capsys):
    assert nb02.check_linear_parameters(lambda w: sum(a * b + b for a, b in zip(w, w[1:])))
    assert not nb02.check_linear_parameters(lambda w: sum(a * b for a, b in zip(w, w[1:])))
    assert "bias" in _out(capsys)
    assert not nb02.check_linear_parameters(lambda w: sum(a * b + a for a, b in zip(w, w[1:])))
    assert "output" in _out(capsys)
    assert not nb02.check_linear_parameters(lambda w: 0)

    def placeholder(widths):
        ...

    assert not nb02.check_linear_parameters(placeholder)
    assert "not attempted" in _out(capsys)


def test_check_bce(capsys):
    assert nb02.check_bce(lambda p, y: -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean())
    assert nb02.check_bce(lambda p, y: (-(y * torch.log(p) + (1 - y) * torch.log(1 - p))).double().mean())
    assert not nb02.check_bce(lambda p, y: (y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean())
    assert "sign" in _out(capsys)
    assert not nb02.check_bce(lambda p, y: -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).sum())
    assert "sum" in _out(capsys)
    assert not nb02.check_bce(lambda p, y: -(p * torch.log(y) + (1 - p) * torch.log(1 - y)).mean())
    assert "not finite" in _out(capsys)
    assert not nb02.check_bce(lambda p, y: -(y * torch.log(p)).mean())
    assert not nb02.check_bce(lambda p, y: ...)
    assert "not attempted" in _out(capsys)


def test_check_leaky_relu(capsys):
    assert nb02.check_leaky_relu(lambda x, slope: torch.where(x > 0, x, slope * x))
    assert nb02.check_leaky_relu(lambda x, slope: torch.maximum(x, slope * x))
    assert not nb02.check_leaky_relu(lambda x, slope: torch.relu(x))
    assert "ReLU" in _out(capsys)
    assert not nb02.check_leaky_relu(lambda x, slope: torch.where(x > 0, slope * x, x))
    assert "wrong side" in _out(capsys)
    assert not nb02.check_leaky_relu(lambda x, slope: torch.tensor([max(v, slope * v) for v in x.tolist()]))
    assert "gradient" in _out(capsys)
    assert not nb02.check_leaky_relu(lambda x, slope: torch.where(x > 0, x, 0.2 * x))
    assert not nb02.check_leaky_relu(lambda x, slope: ...)
    assert "not attempted" in _out(capsys)


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
