"""Notebook 05 (DCGAN): the exercise checks, the notebook's init against the package's, and the new modules
``gancourse.latent`` and ``gancourse.dcgan_variants``."""

import math
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

from gancourse import dcgan_variants, diagrams, latent
from gancourse.checks import nb05
from gancourse.data import Batches
from gancourse.models import DCGANDiscriminator, DCGANGenerator, dcgan_init_
from gancourse.training import GANTrainer
from notebook_code import notebook_function

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "05_dcgan.ipynb"


# ---- exercise checks: accept a reference solution, reject typical wrong answers ------------------------------
def test_conv_transpose_check(capsys):
    assert nb05.check_conv_transpose_size(lambda n, k, s, p: (n - 1) * s - 2 * p + k)
    assert not nb05.check_conv_transpose_size(lambda n, k, s, p: (n + 2 * p - k) // s + 1)   # Conv2d's rule
    assert "ordinary Conv2d" in capsys.readouterr().out
    assert not nb05.check_conv_transpose_size(lambda n, k, s, p: n * s)                       # "stride 2 doubles"
    assert not nb05.check_conv_transpose_size(lambda n, k, s, p: ...)
    assert "not attempted" in capsys.readouterr().out


def test_checks_leave_the_global_random_state_alone(capsys):
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    nb05.check_conv_transpose_size(lambda n, k, s, p: (n - 1) * s - 2 * p + k)
    nb05.check_midpoint_norm(0.7, 64)
    nb05.check_slerp(_reference_slerp)
    assert torch.equal(torch.rand(3), expected)


def test_conv_transpose_cases_are_measured_from_real_layers():
    assert [nb05.measured_conv_transpose_size(*c) for c in nb05.CONV_TRANSPOSE_CASES[:3]] == [7, 14, 28]


def test_midpoint_check(capsys):
    assert nb05.check_midpoint_norm(1 / math.sqrt(2), 64)
    assert not nb05.check_midpoint_norm(1.0, 64)
    assert "orthogonal" in capsys.readouterr().out
    assert not nb05.check_midpoint_norm(0.5, 64)
    assert not nb05.check_midpoint_norm(..., 64)
    assert "not attempted" in capsys.readouterr().out


def test_midpoint_ratio_is_measured():
    assert abs(nb05.measured_midpoint_ratio(64) - 1 / math.sqrt(2)) < 0.01


def _reference_slerp(z0, z1, t):
    theta = torch.arccos(torch.dot(z0, z1) / (z0.norm() * z1.norm()))
    t = t[:, None]
    return (torch.sin((1 - t) * theta) * z0 + torch.sin(t * theta) * z1) / torch.sin(theta)


def test_slerp_check(capsys):
    assert nb05.check_slerp(_reference_slerp)
    assert not nb05.check_slerp(lambda z0, z1, t: (1 - t[:, None]) * z0 + t[:, None] * z1)
    assert "linear interpolation" in capsys.readouterr().out
    assert not nb05.check_slerp(lambda z0, z1, t: _reference_slerp(z0, z1, 1 - t))
    assert "swapped" in capsys.readouterr().out
    assert not nb05.check_slerp(lambda z0, z1, t: _reference_slerp(z0, z1, t)[0])                # one row only
    assert not nb05.check_slerp(lambda z0, z1, t: ...)
    assert "not attempted" in capsys.readouterr().out


# ---- the notebook's hand-written init equals the package's ----------------------------------------------------
def _notebook_function(name: str):
    return notebook_function(NOTEBOOK, name, {"nn": nn, "torch": torch})


@pytest.mark.parametrize("make", [lambda: DCGANGenerator(16, width=8), lambda: DCGANDiscriminator(width=8)])
def test_notebook_init_equals_dcgan_init_bit_for_bit(make):
    by_hand = _notebook_function("dcgan_init_by_hand")
    a, b = make(), make()
    torch.manual_seed(3)
    by_hand(a)
    torch.manual_seed(3)
    dcgan_init_(b)
    state_a, state_b = a.state_dict(), b.state_dict()
    assert state_a.keys() == state_b.keys()
    assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)
    weights = [m.weight for m in a.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) and m.weight.numel() > 500]
    assert weights and all(abs(w.std().item() - 0.02) < 0.004 for w in weights)


# ---- gancourse.latent --------------------------------------------------------------------------------------------
def test_lerp_and_slerp_ends_and_norms():
    gen = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(2, 32, generator=gen)
    z1 = z1 / z1.norm() * z0.norm()                              # equal lengths
    t = torch.linspace(0, 1, 5)
    for f in (latent.lerp, latent.slerp):
        path = f(z0, z1, t)
        assert path.shape == (5, 32)
        assert torch.allclose(path[0], z0, atol=1e-5) and torch.allclose(path[-1], z1, atol=1e-5)
    assert torch.allclose(latent.slerp(z0, z1, t).norm(dim=1), z0.norm().expand(5), rtol=1e-5)
    assert latent.lerp(z0, z1, t).norm(dim=1)[2] < 0.9 * z0.norm()
    assert torch.allclose(latent.slerp(z0, z1, t), _reference_slerp(z0, z1, t), atol=1e-6)


def test_slerp_of_parallel_vectors_is_lerp_and_sizes_must_match():
    z = torch.ones(4)
    assert torch.allclose(latent.slerp(z, 2 * z, torch.tensor([0.5])), 1.5 * z[None])
    with pytest.raises(ValueError, match="differ in size"):
        latent.slerp(torch.ones(3), torch.ones(4), [0.5])


def test_ink_fraction():
    images = -torch.ones(2, 1, 4, 4)
    images[0, 0, :2] = 1.0                                        # half the pixels bright
    assert torch.equal(latent.ink_fraction(images), torch.tensor([0.5, 0.0]))
    with pytest.raises(ValueError):
        latent.ink_fraction(torch.zeros(4, 4))


def test_attribute_direction_naive_and_within_groups():
    gen = torch.Generator().manual_seed(1)
    z = torch.randn(4000, 3, generator=gen)
    groups = (z[:, 0] > 0).long()                                 # the "digit" is set by coordinate 0
    scores = 3.0 * groups + z[:, 1]                                # the attribute: mostly the group, plus coordinate 1
    naive = latent.attribute_direction(z, scores, 0.1)
    within = latent.attribute_direction(z, scores, 0.1, groups=groups)
    assert naive[0] > 1.0                                           # the group leaks into the naive direction …
    assert abs(within[0]) < 0.3 and within[1] > 2.0                 # … but not into the within-group one
    with pytest.raises(ValueError, match="one score per latent"):
        latent.attribute_direction(z, scores[:10])


class _LinearImages(nn.Module):
    """A 'generator' whose 4×4 images are a fixed linear function of z: image = tanh-free A z."""

    def __init__(self, a):
        super().__init__()
        self.latent_dim = a.shape[1]
        self.a = nn.Parameter(a)

    def forward(self, z):
        return (z @ self.a.T).view(-1, 1, 4, 4)


def test_image_pca_directions_recover_the_strongest_direction():
    a = torch.zeros(16, 5)
    a[:, 2] = 5.0 * torch.linspace(-1, 1, 16)                      # z[2] moves the image most
    a[:, 4] = 0.5 * torch.ones(16)
    z = torch.randn(500, 5, generator=torch.Generator().manual_seed(2))
    directions, explained = latent.image_pca_directions(_LinearImages(a), z, k=2)
    assert directions.shape == (2, 5) and torch.allclose(directions.norm(dim=1), torch.ones(2))
    assert abs(directions[0, 2]) > 0.99 and abs(directions[1, 4]) > 0.99
    assert explained[0] > explained[1] > 0 and explained.sum() <= 1 + 1e-6


def test_direction_point_sweep_figure_and_explorer():
    generator = DCGANGenerator(8, width=4)
    base = torch.zeros(8)
    directions = torch.eye(8)[:2]
    assert torch.equal(latent.direction_point(base, directions, [1.0, -2.0]), torch.tensor([[1.0, -2.0, 0, 0, 0, 0, 0, 0]]))
    with pytest.raises(ValueError, match="one coefficient per direction"):
        latent.direction_point(base, directions, [1.0])
    images = latent.direction_sweep(generator, base, directions, [-1, 0, 1])
    assert images.shape == (6, 1, 28, 28)
    assert torch.equal(images[1], images[4])                          # value 0 on either row is G(base)
    ax = latent.direction_sweep_figure(generator, base, directions, [-1, 0, 1], title="t")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["PC 1", "PC 2"]
    plt.close("all")
    widget = latent.direction_explorer(generator, base, directions)
    sliders = [w for row in widget.children[:-1] for w in row.children]
    assert [s.description for s in sliders] == ["PC 1", "PC 2"] and all(s.value == 0 for s in sliders)
    sliders[0].value = 1.5                                           # the callback runs without raising
    plt.close("all")


# ---- gancourse.dcgan_variants -------------------------------------------------------------------------------------
def test_pooling_discriminator_breaks_only_the_pooling_rule():
    d = dcgan_variants.PoolingDiscriminator(width=8)
    assert d(torch.zeros(3, 1, 28, 28)).shape == (3,)
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert all(m.stride == (1, 1) for m in convs)
    assert sum(isinstance(m, nn.MaxPool2d) for m in d.modules()) == 2
    assert any(isinstance(m, nn.BatchNorm2d) for m in d.modules()) and not isinstance(d.net[1], nn.BatchNorm2d)
    with pytest.raises(ValueError, match="expected images"):
        d(torch.zeros(2, 1, 32, 32))


def test_without_batchnorm():
    g = dcgan_variants.without_batchnorm(DCGANGenerator(8, width=4))
    assert not any(isinstance(m, nn.BatchNorm2d) for m in g.modules())
    assert g(torch.randn(2, 8)).shape == (2, 1, 28, 28)
    with pytest.raises(ValueError, match="no BatchNorm"):
        dcgan_variants.without_batchnorm(g)


def test_variants_train_with_the_course_trainer():
    images = torch.rand(32, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    for g, d in ((DCGANGenerator(8, width=4), dcgan_variants.PoolingDiscriminator(width=4)),
                 (dcgan_variants.without_batchnorm(DCGANGenerator(8, width=4)), DCGANDiscriminator(width=4))):
        history = GANTrainer(g, d, seed=0, device="cpu").fit(Batches(images, None, 8, seed=0), 2, progress=False)
        assert len(history) == 2 and math.isfinite(history.last("loss_d"))


def test_architecture_blocks_read_the_real_shapes():
    g, d = DCGANGenerator(64), DCGANDiscriminator()
    g_blocks = diagrams.architecture_blocks(g, torch.zeros(2, 64))
    d_blocks = diagrams.architecture_blocks(d, torch.zeros(2, 1, 28, 28))
    assert [b["output_shape"] for b in g_blocks] == [(128, 7, 7), (64, 14, 14), (1, 28, 28)]
    assert [b["output_shape"] for b in d_blocks] == [(64, 14, 14), (128, 7, 7), (1, 1, 1)]
    assert g_blocks[0]["layers"] == "ConvT 7×7\nBN · ReLU" and g_blocks[-1]["layers"] == "ConvT 4×4 s2\nTanh"
    assert sum(b["params"] for b in g_blocks) == sum(p.numel() for p in g.parameters())
    ax = diagrams.architecture_diagram(g, d)
    texts = " ".join(t.get_text() for t in ax.texts)
    for shape in ("128×7×7", "64×14×14", "1×28×28", "1×1×1"):
        assert shape in texts
    assert f"{sum(p.numel() for p in g.parameters()):,} parameters" in texts
    assert len([p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]) == 9  # G chain 4, into D 2, D chain 3
