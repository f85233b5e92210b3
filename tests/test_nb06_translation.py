"""Notebook 06, pix2pix and CycleGAN part: the exercise checks, and the key code shown in the notebook against the package."""

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from gancourse.checks import nb06
from gancourse.config import seeded
from gancourse.training.cyclegan import CycleGAN, cycle_consistency_loss
from gancourse.training.pix2pix import Pix2Pix
from gancourse.translation_models import PatchDiscriminator, UNetGenerator
from notebook_code import notebook_function

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "06_conditional_gans.ipynb"


def _reference_cycle_loss(real_a, real_b, G, F_):
    return F.l1_loss(F_(G(real_a)), real_a) + F.l1_loss(G(F_(real_b)), real_b)


# ---- exercise: the cycle-consistency loss ------------------------------------------------------------------------
def test_cycle_loss_check_accepts_the_loss(capsys):
    assert nb06.check_cycle_loss(_reference_cycle_loss)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda a, b, G, F_: F.l1_loss(F_(G(a)), a), "only the A → B → A cycle"),
    (lambda a, b, G, F_: F.mse_loss(F_(G(a)), a) + F.mse_loss(G(F_(b)), b), "squared error"),
    (lambda a, b, G, F_: F.l1_loss(G(F_(a)), a) + F.l1_loss(F_(G(b)), b), "wrong way round"),
    (lambda a, b, G, F_: F.l1_loss(G(a), a) + F.l1_loss(F_(b), b), "identity loss"),
    (lambda a, b, G, F_: (F_(G(a)) - a).abs().sum() + (G(F_(b)) - b).abs().sum(), "not the sum"),
    (lambda a, b, G, F_: _reference_cycle_loss(a, b, G, F_).detach(), "no gradient"),
    (lambda a, b, G, F_: _reference_cycle_loss(a, b, G, F_).item(), "0-d tensor"),
])
def test_cycle_loss_check_rejects_typical_mistakes(wrong, message, capsys):
    assert not nb06.check_cycle_loss(wrong)
    assert message in capsys.readouterr().out


def test_cycle_loss_check_unattempted_prints_a_hint(capsys):
    def my_cycle_loss(real_a, real_b, G, F_):
        ...

    assert not nb06.check_cycle_loss(my_cycle_loss)
    out = capsys.readouterr().out
    assert "not attempted" in out and "Hint" in out


def test_cycle_loss_check_survives_a_crashing_answer(capsys):
    assert not nb06.check_cycle_loss(lambda a, b, G, F_: G(a, b))
    assert "your code raised" in capsys.readouterr().out


# ---- exercise: predict the L1 error --------------------------------------------------------------------------------
def test_l1_prediction_check_follows_the_measurement(capsys):
    measured = {"L1 alone": 0.21, "L1 + adversarial": 0.24}
    assert nb06.check_l1_prediction("L1 alone", measured)
    assert nb06.check_l1_prediction("l1 ALONE", measured)
    assert not nb06.check_l1_prediction("L1 + adversarial", measured)
    assert "minimises exactly this error" in capsys.readouterr().out
    # a run where the adversarial model is closer: the check goes by what was measured
    assert nb06.check_l1_prediction("L1 and adversarial", {"L1 alone": 0.3, "L1 + adversarial": 0.25})


def test_l1_prediction_check_unattempted_and_unknown_names(capsys):
    measured = {"L1 alone": 0.21, "L1 + adversarial": 0.24}
    assert not nb06.check_l1_prediction(..., measured)
    assert "not attempted" in capsys.readouterr().out
    assert not nb06.check_l1_prediction("the sharp one", measured)
    assert "one of the two names" in capsys.readouterr().out


def test_translation_checks_leave_the_global_random_state_alone(capsys):
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    nb06.check_cycle_loss(_reference_cycle_loss)
    nb06.check_l1_prediction("L1 alone", {"L1 alone": 0.2, "L1 + adversarial": 0.3})
    assert torch.equal(torch.rand(3), expected)


# ---- the key code shown in the notebook computes what the package computes ------------------------------------------
def _notebook_function(name: str):
    return notebook_function(NOTEBOOK, name, {"torch": torch, "F": F, "cycle_consistency_loss": cycle_consistency_loss})


def test_notebook_pix2pix_generator_loss_equals_the_family():
    pix2pix_generator_loss = _notebook_function("pix2pix_generator_loss")
    with seeded(1):
        G, D = UNetGenerator(width=8), PatchDiscriminator(condition_channels=1, width=8)
        x, y = torch.rand(2, 5, 1, 28, 28) * 2 - 1
    family = Pix2Pix(G, D, l1_weight=100.0)
    fake = G(x)
    expected, _ = family.generator_loss(x, y, fake)
    assert torch.allclose(pix2pix_generator_loss(D, x, y, fake, 100.0), expected, atol=1e-6)


def test_notebook_cyclegan_generator_loss_equals_the_family():
    cyclegan_generator_loss = _notebook_function("cyclegan_generator_loss")
    with seeded(2):
        networks = UNetGenerator(width=8), UNetGenerator(width=8), PatchDiscriminator(width=8), PatchDiscriminator(width=8)
        a, b = torch.rand(2, 5, 1, 28, 28) * 2 - 1
    family = CycleGAN(*networks, cycle_weight=10.0)
    with torch.no_grad():
        shown = cyclegan_generator_loss(a, b, *networks, 10.0)
    stats = family.train_step(iter([(a, b)]))  # logs the loss it descended on, computed before the update
    assert torch.allclose(shown, stats["loss_g"], atol=1e-5)
