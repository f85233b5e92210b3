"""Super-resolution: the low-resolution data, the bicubic baseline, the SR generator, the measures, the SRGAN
family, notebook 09's exercise check and its hand-written generator loss against the package's."""

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from gancourse import superres
from gancourse.checks import nb09
from gancourse.config import seeded
from gancourse.models import DCGANDiscriminator
from gancourse.training.loop import Trainer
from gancourse.training.srgan import SRGAN
from notebook_code import notebook_function

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "09_applications.ipynb"


def _digits(n=64, seed=0):
    """Blocky fake 'digits' in [-1, 1]: random strokes on a dark background."""
    gen = torch.Generator().manual_seed(seed)
    images = -torch.ones(n, 1, 28, 28)
    for i in range(n):
        r, c = torch.randint(4, 20, (2,), generator=gen).tolist()
        images[i, 0, r:r + 8, c:c + 3] = 1.0
        images[i, 0, r + 3:r + 5, c - 3:c + 6] = 1.0
    return images


def test_downscale_averages_blocks_and_rejects_bad_factors():
    images = _digits(4)
    small = superres.downscale(images, 4)
    assert small.shape == (4, 1, 7, 7)
    assert small[0, 0, 2, 3] == pytest.approx(images[0, 0, 8:12, 12:16].mean().item())
    assert superres.downscale(images, 2).shape == (4, 1, 14, 14)
    with pytest.raises(ValueError, match="factor"):
        superres.downscale(images, 3)
    with pytest.raises(ValueError, match="images"):
        superres.downscale(images[0], 4)


def test_bicubic_keeps_constants_and_range():
    flat = torch.full((2, 1, 7, 7), 0.25)
    assert torch.allclose(superres.bicubic(flat, 4), torch.full((2, 1, 28, 28), 0.25), atol=1e-5)
    up = superres.bicubic(superres.downscale(_digits(8), 4), 4)
    assert up.shape == (8, 1, 28, 28) and up.min() >= -1 and up.max() <= 1


def test_lowres_pairs_keep_labels_and_refuse_double_labels():
    images, labels = _digits(6), torch.arange(6)
    pairs = superres.lowres_pairs(images, 4, labels=labels)
    assert pairs.inputs.shape == (6, 1, 7, 7) and torch.equal(pairs.targets, images) and torch.equal(pairs.labels, labels)
    lowres, highres = next(iter(pairs.batches(3, seed=0)))
    assert lowres.shape == (3, 1, 7, 7) and highres.shape == (3, 1, 28, 28)


def test_untrained_generator_is_bicubic():
    lowres = superres.downscale(_digits(5), 4)
    with seeded(0):
        generator = superres.SRGenerator(factor=4)
    assert torch.allclose(generator(lowres), superres.bicubic(lowres, 4), atol=1e-6)
    with seeded(0):
        assert superres.SRGenerator(factor=2)(superres.downscale(_digits(2), 2)).shape == (2, 1, 28, 28)
    with pytest.raises(ValueError, match="factor"):
        superres.SRGenerator(factor=3)


def test_scores_perfect_blurred_and_shapes():
    images = _digits(16)
    perfect = superres.sr_scores(images, images)
    assert math.isinf(perfect["psnr"]) and perfect["ssim"] == pytest.approx(1.0, abs=1e-6)
    blurred = F.avg_pool2d(images, 3, stride=1, padding=1, count_include_pad=False)
    scores = superres.sr_scores(blurred, images)
    assert scores["sharpness"] < perfect["sharpness"] and scores["ssim"] < 1 and 5 < scores["psnr"] < 60
    # PSNR from its definition on the [0, 1] scale
    mse = ((blurred + 1) / 2 - (images + 1) / 2).square().mean()
    assert scores["psnr"] == pytest.approx(float(10 * torch.log10(1 / mse)), rel=1e-5)
    with pytest.raises(ValueError, match="same shape"):
        superres.sr_scores(images[:2], images[:3])


def _family(weight, seed=0):
    with seeded(seed):
        generator = superres.SRGenerator(factor=4, width=8, blocks=1)
        discriminator = None if weight is None else DCGANDiscriminator(channels=1, image_size=28, width=8)
    return SRGAN(generator, discriminator, seed=seed, lr_g=1e-3,
                 **({} if weight is None else {"adversarial_weight": weight}))


def test_content_only_training_lowers_the_error():
    pairs = superres.lowres_pairs(_digits(64), 4)
    family = _family(None)
    before = F.mse_loss(family.upscale(pairs.inputs), pairs.targets).item()
    Trainer(family, device="cpu").fit(pairs.batches(16, seed=0), 60, progress=False)
    after = F.mse_loss(family.upscale(pairs.inputs), pairs.targets).item()
    assert after < 0.85 * before
    assert set(Trainer(family).family.config()) >= {"family", "generator", "discriminator"}


def test_srgan_step_logs_both_parts_and_is_repeatable():
    pairs = superres.lowres_pairs(_digits(32), 4)
    runs = []
    for _ in range(2):
        family = _family(1e-2)
        trainer = Trainer(family, device="cpu")
        trainer.fit(pairs.batches(8, seed=0), 3, progress=False)
        runs.append(torch.cat([p.detach().flatten() for p in family.generator.parameters()]))
        assert {"content", "adversarial_g", "loss_d", "loss_g"} <= set(trainer.history.keys())
    assert torch.equal(runs[0], runs[1])


def test_srgan_rejects_bad_settings():
    with seeded(0):
        generator = superres.SRGenerator()
    with pytest.raises(ValueError, match="adversarial_weight"):
        SRGAN(generator, DCGANDiscriminator(width=8), adversarial_weight=0)
    with pytest.raises(ValueError, match="content-only"):
        SRGAN(generator, None, lr_d=1e-4)
    with pytest.raises(ValueError, match="unconditional"):
        SRGAN(generator, DCGANDiscriminator(width=8, num_classes=10))
    with pytest.raises(ValueError, match="does not apply"):
        SRGAN(generator, DCGANDiscriminator(width=8), objective="wgan-gp")
    family = SRGAN(generator, None)
    with pytest.raises(ValueError, match="pairs"):
        family.train_step(iter([(torch.zeros(2, 1, 7, 7), None)]))


def _notebook_function(name: str):
    return notebook_function(NOTEBOOK, name, {"F": F, "torch": torch})


def test_notebook_generator_loss_is_the_package_loss():
    srgan_generator_loss = _notebook_function("srgan_generator_loss")
    pairs = superres.lowres_pairs(_digits(8), 4)
    family = _family(1e-3)
    upscaled = family.generator(pairs.inputs)
    package, _ = family.perceptual_loss(upscaled, pairs.targets)
    notebook = srgan_generator_loss(upscaled, pairs.targets, family.discriminator(upscaled), 1e-3)
    assert notebook.item() == pytest.approx(package.item(), rel=1e-6)


# ---- the exercise check ----------------------------------------------------------------------------------------
SCORES = {"bicubic": {"psnr": 14.6, "sharpness": 0.44}, "content-only": {"psnr": 18.2, "sharpness": 1.6},
          "SRGAN": {"psnr": 18.0, "sharpness": 1.9}}


def test_sr_check_both_ways(capsys):
    assert nb09.check_sr_prediction("content-only", "SRGAN", SCORES)
    assert not nb09.check_sr_prediction("SRGAN", "SRGAN", SCORES)     # "the GAN is better at everything"
    assert "highest PSNR is content-only" in capsys.readouterr().out
    assert not nb09.check_sr_prediction("content-only", "content-only", SCORES)
    assert "sharpest are SRGAN" in capsys.readouterr().out
    assert not nb09.check_sr_prediction("bilinear", "SRGAN", SCORES)
    assert not nb09.check_sr_prediction(..., ..., SCORES)
    assert "not attempted" in capsys.readouterr().out
    with pytest.raises(ValueError, match="missing"):
        nb09.check_sr_prediction("SRGAN", "SRGAN", {"bicubic": SCORES["bicubic"]})
