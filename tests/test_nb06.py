"""Notebook 06 (CGAN, InfoGAN): the exercise checks, the notebook's Q loss against the package's, ``gancourse.codes``
and the InfoGAN discriminator."""

import math
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gancourse import codes
from gancourse.checks import nb06
from gancourse.models import DCGANGenerator
from gancourse.training import InfoGAN
from gancourse.training.infogan import InfoGANDiscriminator
from notebook_code import notebook_function

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "06_conditional_gans.ipynb"


# ---- exercise checks: accept a right answer, reject typical wrong ones ------------------------------------------
def test_label_only_in_generator_check(capsys):
    assert nb06.check_label_only_in_generator(0.12, measured=0.11)
    assert nb06.check_label_only_in_generator(0.2, measured=0.13)
    assert not nb06.check_label_only_in_generator(0.9, measured=0.11)          # "G reads the label, so it obeys"
    assert "nothing rewards it" in capsys.readouterr().out
    assert not nb06.check_label_only_in_generator(1.5, measured=0.11)
    assert "between 0 and 1" in capsys.readouterr().out
    assert not nb06.check_label_only_in_generator(..., measured=0.11)
    assert "not attempted" in capsys.readouterr().out


def _gaussian_nll(c, mean, log_std):
    return (log_std + (c - mean) ** 2 / (2 * torch.exp(2 * log_std)) + 0.5 * math.log(2 * math.pi)).sum(1)


def test_gaussian_code_nll_check(capsys):
    assert nb06.check_gaussian_code_nll(_gaussian_nll)
    assert not nb06.check_gaussian_code_nll(lambda c, m, s: -_gaussian_nll(c, m, s))
    assert "sign" in capsys.readouterr().out
    assert not nb06.check_gaussian_code_nll(lambda c, m, s: _gaussian_nll(c, m, s) - 0.5 * math.log(2 * math.pi) * c.shape[1])
    assert "constant" in capsys.readouterr().out
    assert not nb06.check_gaussian_code_nll(lambda c, m, s: _gaussian_nll(c, m, s) - s.sum(1))       # log σ forgotten
    assert "log σ" in capsys.readouterr().out
    assert not nb06.check_gaussian_code_nll(lambda c, m, s: _gaussian_nll(c, m, torch.zeros_like(s)))  # σ = 1
    assert "fixed-variance" in capsys.readouterr().out
    assert not nb06.check_gaussian_code_nll(lambda c, m, s: _gaussian_nll(c, m, s)[:, None])          # not summed
    assert "shape" in capsys.readouterr().out
    assert not nb06.check_gaussian_code_nll(lambda c, m, s: ...)
    assert "not attempted" in capsys.readouterr().out


def test_chance_accuracy_check(capsys):
    measured = nb06.measured_chance_accuracy(1000)
    assert 0.13 < measured < 0.16                               # above 1/10: the assignment is picked after counting
    assert nb06.check_chance_accuracy(measured + 0.005, 1000)
    assert not nb06.check_chance_accuracy(0.1, 1000)
    assert "lucky fluctuations" in capsys.readouterr().out
    assert not nb06.check_chance_accuracy(0.01, 1000)
    assert not nb06.check_chance_accuracy(..., 1000)
    assert "not attempted" in capsys.readouterr().out
    assert nb06.measured_chance_accuracy(10_000, repeats=20) < measured  # falls towards 1/10 with more samples


def test_checks_leave_the_global_random_state_alone():
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    nb06.check_gaussian_code_nll(_gaussian_nll)
    nb06.check_chance_accuracy(0.14, 1000)
    assert torch.equal(torch.rand(3), expected)


# ---- the notebook's hand-written Q loss equals the package's ----------------------------------------------------
def _notebook_function(name: str):
    return notebook_function(NOTEBOOK, name, {"F": F, "torch": torch, "nn": nn})


@pytest.mark.parametrize("categories, continuous, weight", [(10, 2, 0.1), (4, 1, 1.0), (10, 2, 0.5)])
def test_notebook_information_loss_equals_the_package(categories, continuous, weight):
    by_hand = _notebook_function("information_loss_by_hand")
    family = InfoGAN(DCGANGenerator(16 + categories + continuous, width=8), InfoGANDiscriminator(categories, continuous, width=8),
                     categories=categories, continuous=continuous, continuous_weight=weight)
    gen = torch.Generator().manual_seed(categories + continuous)
    for _ in range(5):
        q = torch.randn(64, categories + continuous, generator=gen) * 3
        category = torch.randint(categories, (64,), generator=gen)
        cont = torch.rand(64, continuous, generator=gen) * 2 - 1
        expected = family.information_loss(q, (category, cont))
        assert torch.allclose(by_hand(q, category, cont, categories, weight), expected, atol=1e-6)
    categorical, _ = family.information_terms(q, (category, cont))
    assert categorical > 0.5  # random logits: far from a perfect Q, so a wrong sign or a missing term would show


def test_the_notebook_defines_the_widget_and_the_exercises():
    text = "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells)
    for needle in ("codes.class_picker(", "nb06.check_label_only_in_generator(", "nb06.check_gaussian_code_nll(",
                   "nb06.check_chance_accuracy(", "best_assignment_accuracy"):
        assert needle in text


# ---- gancourse.codes --------------------------------------------------------------------------------------------
def test_asked_class_rates():
    rates = codes.asked_class_rates(torch.tensor([0, 0, 1, 1, 2]), torch.tensor([0, 1, 1, 1, 0]), 4)
    assert rates.overall == pytest.approx(3 / 5)
    assert rates.per_class[:3] == [0.5, 1.0, 0.0] and math.isnan(rates.per_class[3])
    with pytest.raises(ValueError, match="equal length"):
        codes.asked_class_rates(torch.tensor([0, 1]), torch.tensor([0]))
    with pytest.raises(ValueError, match="integer"):
        codes.asked_class_rates(torch.tensor([0.0, 1.0]), torch.tensor([0, 1]))


def test_best_assignment_finds_a_permuted_code_and_is_one_to_one():
    gen = torch.Generator().manual_seed(0)
    digit = torch.randint(10, (3000,), generator=gen)
    permutation = torch.randperm(10, generator=gen)
    code = permutation[digit]
    noisy = torch.where(torch.rand(3000, generator=gen) < 0.2, torch.randint(10, (3000,), generator=gen), code)
    exact = codes.best_assignment_accuracy(code, digit, 10, 10)
    assert exact.accuracy == 1.0 and all(permutation[d].item() == c for c, d in exact.mapping.items())
    assert codes.best_assignment_accuracy(noisy, digit, 10, 10).accuracy == pytest.approx(0.82, abs=0.02)
    merged = codes.best_assignment_accuracy(torch.zeros(100, dtype=torch.long), torch.arange(100) % 2, 2, 2)
    assert merged.accuracy == 0.5             # one code for two classes: a majority vote would say 0.5 too, but …
    two_codes_one_class = codes.best_assignment_accuracy(torch.arange(100) % 2, torch.zeros(100, dtype=torch.long), 2, 2)
    assert two_codes_one_class.accuracy == 0.5  # … two codes cannot both be assigned to the same class
    assert exact.counts.sum() == 3000 and exact.counts.shape == (10, 10)
    with pytest.raises(ValueError, match="lie in"):
        codes.code_class_counts(torch.tensor([0, 3]), torch.tensor([0, 1]), 2, 2)


def _bar(angle_shift: float, half_width: int = 1) -> torch.Tensor:
    """A 28×28 image with a vertical bar whose column moves by ``angle_shift`` pixels per row upwards."""
    image = -torch.ones(1, 1, 28, 28)
    for row in range(4, 24):
        centre = 14 + round(angle_shift * (14 - row))
        image[0, 0, row, centre - half_width:centre + half_width + 1] = 1.0
    return image


def test_slant_and_width_of_drawn_bars():
    upright, leaning, wide = _bar(0.0), _bar(0.4), _bar(0.0, half_width=4)
    assert abs(codes.slant(upright).item()) < 0.02
    assert codes.slant(leaning).item() == pytest.approx(0.4, abs=0.05)
    assert codes.slant(_bar(-0.4)).item() == pytest.approx(-0.4, abs=0.05)
    assert codes.width(wide).item() > 2.5 * codes.width(upright).item()
    assert codes.width(leaning).item() == pytest.approx(codes.width(upright).item(), rel=0.35)  # the lean is taken out
    with pytest.raises(ValueError, match="grey images"):
        codes.slant(torch.zeros(2, 3, 28, 28))


@pytest.fixture
def no_leftover_ipython_shell():
    """``Output.append_display_data`` creates IPython's global shell; remove it afterwards, or later tests in this
    process would see ``get_ipython()`` return a shell and take the notebook code paths."""
    from IPython.core.interactiveshell import InteractiveShell

    existed = InteractiveShell.initialized()
    yield
    if not existed:
        InteractiveShell.clear_instance()


def test_class_samples_figure_and_picker(no_leftover_ipython_shell):
    import matplotlib.pyplot as plt

    draws = []

    def draw(digit, count):
        draws.append(digit)
        return torch.full((count, 1, 28, 28), digit / 10.0)

    ax = codes.class_samples_figure(draw, 3, 4, judge=lambda images: torch.tensor([3, 3, 1, 3]))
    assert "3 of 4" in ax.get_title() and draws == [3]
    plt.close("all")
    with pytest.raises(ValueError, match="must return 4 images"):
        codes.class_samples_figure(lambda d, n: torch.zeros(2, 1, 28, 28), 0, 4)
    widget = codes.class_picker(draw, count=2)
    menu = widget.children[0]
    assert [value for _, value in menu.options] == list(range(10))
    assert draws[-1] == 0 and len(widget.children[1].outputs) == 1              # drawn once when built
    menu.value = 7                               # the callback runs on change
    assert draws[-1] == 7
    assert len(widget.children[1].outputs) == 1 and "image/png" in widget.children[1].outputs[0]["data"]
    plt.close("all")


# ---- the InfoGAN discriminator and the logged bound ---------------------------------------------------------------
def test_infogan_discriminator_shapes_and_errors():
    d = InfoGANDiscriminator(10, 2, width=8)
    score, q = d(torch.randn(5, 1, 28, 28))
    assert score.shape == (5,) and q.shape == (5, 12)
    assert d.config["class"] == "InfoGANDiscriminator" and d.config["width"] == 8
    with pytest.raises(ValueError, match="28, 28"):
        d(torch.randn(5, 1, 32, 32))
    with pytest.raises(ValueError, match="categories"):
        InfoGANDiscriminator(1, 2)


def test_infogan_logs_the_categorical_bound():
    torch.manual_seed(0)
    family = InfoGAN(DCGANGenerator(8 + 12, width=8), InfoGANDiscriminator(10, 2, width=8), categories=10, continuous=2)
    batches = iter([torch.rand(16, 1, 28, 28) * 2 - 1 for _ in range(3)])
    stats = family.train_step(batches)
    bound = stats["mi_bound_categorical"].item()
    assert bound <= math.log(10) + 1e-6 and bound > -5   # ln 10 − cross-entropy: ≤ H(c), untrained Q near 0
    assert stats["info_d"] > 1.5                          # an untrained Q guesses about uniformly: ≈ ln 10


def test_q_head_can_learn_with_the_generator_leaving_d_body_to_the_real_vs_fake_loss():
    torch.manual_seed(0)
    family = InfoGAN(DCGANGenerator(8 + 12, width=8), InfoGANDiscriminator(10, 2, width=8), categories=10, continuous=2,
                     q_trains_body=False, lr_q=1e-3)
    assert "q" in family.optimizers and family.config()["q_trains_body"] is False
    real = torch.rand(16, 1, 28, 28) * 2 - 1
    body = [p.detach().clone() for p in family.discriminator.body.parameters()]
    head = [p.detach().clone() for p in family.discriminator.q_head.parameters()]
    fake, codes_, _ = family.discriminator_step(real, None, keep_fake_graph=True)
    assert all(torch.equal(a, b) for a, b in zip(head, family.discriminator.q_head.parameters()))      # D step: Q untouched
    assert not all(torch.equal(a, b) for a, b in zip(body, family.discriminator.body.parameters()))   # … D learned
    body = [p.detach().clone() for p in family.discriminator.body.parameters()]
    family.generator_step(fake, codes_)
    assert not all(torch.equal(a, b) for a, b in zip(head, family.discriminator.q_head.parameters()))  # G step: Q learned
    assert all(torch.equal(a, b) for a, b in zip(body, family.discriminator.body.parameters()))        # … D's body did not
    assert all(p.requires_grad for p in family.discriminator.parameters())
    with pytest.raises(ValueError, match="lr_q applies only"):
        InfoGAN(DCGANGenerator(20, width=8), InfoGANDiscriminator(10, 2, width=8), lr_q=1e-3)
    with pytest.raises(ValueError, match="q_head"):
        InfoGAN(DCGANGenerator(7, width=8), _TwoHeads(), categories=4, continuous=1, q_trains_body=False)


@pytest.mark.parametrize("option, named", [({"r1_weight": 1.0}, "r1_weight"), ({"label_smoothing": 0.9}, "label_smoothing"),
                                           ({"objective": "wgan"}, "objective 'wgan'")])
def test_infogan_refuses_gan_options_its_own_steps_would_ignore(option, named):
    """InfoGAN replaces GAN's D step: R1, label smoothing, clipping and the gradient penalty would silently vanish."""
    discriminator = InfoGANDiscriminator(10, 2, width=8)
    with pytest.raises(ValueError, match=f"do not apply {named}"):
        InfoGAN(DCGANGenerator(20, width=8), discriminator, categories=10, continuous=2, **option)
    InfoGAN(DCGANGenerator(20, width=8), discriminator, categories=10, continuous=2, objective="hinge")  # applies


class _TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Linear(784, 6)

    def forward(self, x):
        out = self.net(x.flatten(1))
        return out[:, 0], out[:, 1:]


def test_the_papers_infogan_networks():
    from gancourse.training.infogan import InfoGANGenerator

    g = InfoGANGenerator(74, width=8, hidden=32)
    assert g(torch.randn(3, 74)).shape == (3, 1, 28, 28)
    with pytest.raises(ValueError, match="74"):
        g(torch.randn(3, 70))
    d = InfoGANDiscriminator(10, 2, width=8, hidden=32)
    score, q = d(torch.randn(3, 1, 28, 28))
    assert score.shape == (3,) and q.shape == (3, 12)
    assert any(isinstance(m, nn.BatchNorm1d) and m.num_features == 32 for m in d.body)
    family = InfoGAN(g, d, categories=10, continuous=2)
    assert family.noise_dim == 62 and family.sample(4, seed=0).shape == (4, 1, 28, 28)


def test_q_invariance_reads_the_categorical_code_from_warped_fakes_only():
    """With q_invariance, Q's categorical logits come from the warped fakes and its continuous codes from the fakes."""
    torch.manual_seed(0)
    family = InfoGAN(DCGANGenerator(8 + 12, width=8), InfoGANDiscriminator(10, 2, width=8), categories=10, continuous=2,
                     q_invariance=1.0)
    assert family.config()["q_invariance"] == 1.0
    fake = torch.rand(6, 1, 28, 28) * 2 - 1
    family.discriminator.eval()  # BatchNorm by running statistics: each image's reading depends on it alone
    state = family.rng.get_state()
    score, q = family.read_fakes(fake)
    plain_score, plain_q = family.discriminator(fake)
    family.rng.set_state(state)
    from gancourse.augment import random_affine, random_stroke_width
    warped = random_stroke_width(random_affine(fake, family.rng, rotation=20, shear=0.3, scale=0.2, shift=0.1),
                                 family.rng, pixels=1)
    _, warped_q = family.discriminator(warped)
    assert torch.allclose(score, plain_score) and torch.allclose(q[:, 10:], plain_q[:, 10:])
    assert torch.allclose(q[:, :10], warped_q[:, :10]) and not torch.allclose(q[:, :10], plain_q[:, :10])
    # G learns through the warp: the information loss has a gradient for the fakes
    fake.requires_grad_(True)
    codes_ = (torch.randint(10, (6,)), torch.rand(6, 2) * 2 - 1)
    family.information_loss(family.read_fakes(fake)[1], codes_).backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0


def test_q_invariance_off_is_the_paper_and_bad_values_are_refused():
    family = InfoGAN(DCGANGenerator(20, width=8), InfoGANDiscriminator(10, 2, width=8))
    assert "q_invariance" not in family.config()
    fake = torch.rand(4, 1, 28, 28)
    family.discriminator.eval()
    state = family.rng.get_state()
    score, q = family.read_fakes(fake)
    assert torch.equal(family.rng.get_state(), state)  # no warp drawn
    assert torch.equal(q, family.discriminator(fake)[1])
    for bad in (-0.5, 5, "strong"):
        with pytest.raises(ValueError, match="q_invariance"):
            InfoGAN(DCGANGenerator(20, width=8), InfoGANDiscriminator(10, 2, width=8), q_invariance=bad)
