"""Image-to-image translation: the data builders, the U-Net and PatchGAN, and the Pix2Pix and CycleGAN families."""

import pytest
import torch
from torch import nn

from gancourse import translation_data as td
from gancourse.config import seeded
from gancourse.data import ImageData
from gancourse.training import Trainer, get_objective
from gancourse.training.cyclegan import CycleGAN, cycle_consistency_loss
from gancourse.training.pix2pix import Pix2Pix
from gancourse.translation_models import PatchDiscriminator, UNetGenerator, receptive_field


def _digits(n: int = 96, seed: int = 0) -> torch.Tensor:
    """Stroke-like 28×28 images in [-1, 1]: a few bright random rectangles on a dark background."""
    gen = torch.Generator().manual_seed(seed)
    images = -torch.ones(n, 1, 28, 28)
    for i in range(n):
        for _ in range(3):
            top, left = torch.randint(4, 20, (2,), generator=gen).tolist()
            tall, wide = torch.randint(2, 8, (2,), generator=gen).tolist()
            images[i, 0, top:top + tall, left:left + wide] = 1.0
    return images


def _pix2pix(adversarial: bool = True, seed: int = 0, **options) -> Pix2Pix:
    with seeded(seed):
        generator = UNetGenerator(width=8)
        discriminator = PatchDiscriminator(condition_channels=1, width=8) if adversarial else None
    return Pix2Pix(generator, discriminator, seed=seed, **options)


def _cyclegan(seed: int = 0, **options) -> CycleGAN:
    with seeded(seed):
        networks = UNetGenerator(width=8), UNetGenerator(width=8), PatchDiscriminator(width=8), PatchDiscriminator(width=8)
    return CycleGAN(*networks, seed=seed, **options)


# ---- data ------------------------------------------------------------------------------------------------------
def test_sobel_finds_the_edges_of_a_square_and_nothing_inside():
    image = -torch.ones(1, 1, 28, 28)
    image[..., 8:20, 8:20] = 1.0
    edge = td.edges(image)[0, 0]
    assert edge[8, 14] == 1 and edge[7, 14] == 1          # both sides of the border
    assert edge[14, 14] == -1 and edge[2, 2] == -1        # flat inside and outside
    assert set(edge.unique().tolist()) == {-1.0, 1.0}


def test_gradient_energy_drops_when_images_are_blurred():
    images = _digits(8)
    blurred = nn.functional.avg_pool2d(images, 3, stride=1, padding=1, count_include_pad=False)
    energy, energy_blurred = td.gradient_energy(images), td.gradient_energy(blurred)
    assert energy.shape == (8,) and bool((energy_blurred < energy).all())
    assert td.gradient_energy(-torch.ones(2, 1, 28, 28)).eq(0).all()


@pytest.mark.parametrize("task", td.TASKS)
def test_paired_tasks_keep_shape_range_and_pairs(task):
    images, labels = _digits(20), torch.arange(20) % 10
    pairs = td.paired(ImageData(images, labels, "toy", "all", tuple("0123456789")), task)
    assert pairs.inputs.shape == images.shape and pairs.inputs.min() >= -1 and pairs.inputs.max() <= 1
    assert torch.equal(pairs.targets, images) and not torch.equal(pairs.inputs, images)
    rest, held = pairs.split_off(0.25, seed=1)
    assert len(rest) == 15 and len(held) == 5
    for part in (rest, held):  # each input still belongs to its own target
        assert torch.equal(part.inputs, td.degrade(part.targets, task))
    x, y = next(iter(rest.batches(4, seed=0)))
    assert torch.equal(x, td.degrade(y, task))


def test_the_degradations_do_what_they_say():
    images = _digits(4)
    assert (td.degrade(images, "top-half")[..., 14:, :] == -1).all()
    assert torch.equal(td.degrade(images, "top-half")[..., :14, :], images[..., :14, :])
    blocks = td.degrade(images, "lowres")
    assert torch.equal(blocks[..., ::4, ::4].repeat_interleave(4, 2).repeat_interleave(4, 3), blocks)
    thick = td.restyle(images, "thick")
    assert (thick >= images).all() and (thick > images).any()
    assert torch.equal(td.restyle(images, "inverted"), -images)
    assert torch.equal(td.restyle(td.restyle(images, "rotated"), "rotated"), images.flip(2, 3))


def test_unpaired_domains_use_different_images_and_shuffle_independently():
    images, labels = _digits(40), torch.arange(40)
    domains = td.unpaired(images, "inverted", labels=labels, seed=3)
    assert set(domains.a_labels.tolist()).isdisjoint(domains.b_labels.tolist())
    assert len(domains.a) + len(domains.b) == 40
    assert torch.equal(domains.b, -images[domains.b_labels])
    stream = iter(domains.batches(5, seed=0))
    (a1, b1), (a2, _) = next(stream), next(stream)
    assert a1.shape == b1.shape == (5, 1, 28, 28) and not torch.equal(a1, a2)


def test_data_builders_reject_bad_arguments():
    images = _digits(4)
    with pytest.raises(ValueError, match="unknown paired task 'blur'"):
        td.paired(images, "blur")
    with pytest.raises(ValueError, match="unknown style 'bold'"):
        td.unpaired(images, "bold")
    with pytest.raises(ValueError, match="float tensor of images"):
        td.edges(torch.zeros(28, 28))
    with pytest.raises(ValueError, match="fraction"):
        td.paired(images, "edges").split_off(1.5)


# ---- networks ----------------------------------------------------------------------------------------------------
def test_unet_and_patchgan_shapes_and_input_checks():
    generator = UNetGenerator(in_channels=2, out_channels=1, width=8)
    assert generator(torch.zeros(3, 2, 28, 28)).shape == (3, 1, 28, 28)
    discriminator = PatchDiscriminator(condition_channels=2, width=8)
    assert discriminator(torch.zeros(3, 1, 28, 28), torch.zeros(3, 2, 28, 28)).shape == (3, 1, 7, 7)
    assert receptive_field(discriminator) == 18
    with pytest.raises(ValueError, match=r"\(N, 2, 28, 28\)"):
        generator(torch.zeros(3, 1, 28, 28))
    with pytest.raises(ValueError, match="conditional"):
        discriminator(torch.zeros(3, 1, 28, 28))
    with pytest.raises(ValueError, match="unconditional"):
        PatchDiscriminator(width=8)(torch.zeros(3, 1, 28, 28), torch.zeros(3, 1, 28, 28))
    with pytest.raises(ValueError, match="width must be a positive integer"):
        UNetGenerator(width=0)


def test_unet_skip_connections_carry_the_input():
    # a change to one input pixel reaches the output near that pixel through the 14×14 skip connection
    generator = UNetGenerator(width=8).eval()
    x = torch.zeros(1, 1, 28, 28)
    moved = x.clone()
    moved[..., 3, 3] = 1.0
    with torch.no_grad():
        change = (generator(moved) - generator(x)).abs()[0, 0]
    assert change[:8, :8].sum() > change[20:, 20:].sum()


# ---- pix2pix -------------------------------------------------------------------------------------------------------
def _pairs(n: int = 96) -> td.PairedImages:
    return td.paired(_digits(n), "edges")


@pytest.mark.parametrize("adversarial", [False, True])
def test_pix2pix_training_lowers_the_l1_loss(adversarial):
    trainer = Trainer(_pix2pix(adversarial, lr_g=2e-3), channels_last=False)
    history = trainer.fit(_pairs().batches(16, seed=0), 40, progress=False)
    l1 = history["l1"]
    assert sum(l1[-5:]) / 5 < 0.6 * sum(l1[:5]) / 5
    expected = {"l1", "loss_g", "grad_norm_g"} | ({"loss_d", "adversarial_g", "d_real", "d_fake"} if adversarial else set())
    assert expected <= set(history.keys())


def test_pix2pix_generator_loss_is_adversarial_plus_lambda_l1():
    family = _pix2pix(l1_weight=7.0)
    pairs = _pairs(8)
    x, y = pairs.inputs, pairs.targets
    fake = family.generator(x)
    loss, parts = family.generator_loss(x, y, fake)
    expected = nn.functional.softplus(-family.discriminator(fake, x)).mean() + 7.0 * (fake - y).abs().mean()
    assert torch.allclose(loss, expected) and torch.allclose(parts["l1"], (fake - y).abs().mean())
    loss.backward()  # G's loss leaves D's parameters without gradient
    assert all(p.grad is None for p in family.discriminator.parameters())
    assert all(p.grad is not None for p in family.generator.parameters())


def test_pix2pix_same_seed_same_weights_and_checkpoint_round_trip(tmp_path):
    runs = []
    for _ in range(2):
        trainer = Trainer(_pix2pix(seed=5))
        trainer.fit(_pairs().batches(16, seed=2), 6, progress=False)
        runs.append(trainer)
    a, b = (t.family.state_dict() for t in runs)
    assert all(torch.equal(a[k], b[k]) for k in a)
    path = runs[0].save(tmp_path / "pix2pix.pt")
    runs[0].fit(_pairs().batches(16, seed=9), 3, progress=False)
    restored = Trainer(_pix2pix(seed=5))
    restored.load(path)
    assert restored.step == 6
    state = restored.family.state_dict()
    assert all(torch.equal(state[k], b[k]) for k in b)
    other = Trainer(_pix2pix(seed=5, l1_weight=10.0))
    with pytest.raises(ValueError, match="l1_weight: checkpoint 100.0, this trainer 10.0"):
        other.load(path)


def test_pix2pix_rejects_bad_arguments():
    generator = UNetGenerator(width=8)
    conditional = PatchDiscriminator(condition_channels=1, width=8)
    with pytest.raises(ValueError, match="build it conditional"):
        Pix2Pix(generator, PatchDiscriminator(width=8))
    with pytest.raises(ValueError, match="l1_weight must be > 0"):
        Pix2Pix(generator, None, l1_weight=0)
    with pytest.raises(ValueError, match="l1_weight"):
        Pix2Pix(generator, conditional, l1_weight=-1)
    with pytest.raises(ValueError, match="objective 'wgan-gp' does not apply"):
        Pix2Pix(generator, conditional, objective="wgan-gp")
    with pytest.raises(ValueError, match="L1-only baseline has none"):
        Pix2Pix(generator, None, lr_d=1e-3)
    with pytest.raises(ValueError, match="L1-only baseline has none"):
        Pix2Pix(generator, None, objective="hinge")
    baseline = Pix2Pix(generator, None, l1_weight=1.0)
    assert baseline.config()["discriminator"] is None and set(baseline.optimizers) == {"generator"}
    assert Pix2Pix(generator, conditional, objective=get_objective("hinge")).config()["lr_d"] == 2e-4
    family = _pix2pix()
    with pytest.raises(ValueError, match=r"\(inputs, targets\)"):
        family.train_step(iter([_digits(4)]))


def test_pix2pix_without_the_l1_term_trains_on_the_adversarial_loss_alone():
    family = _pix2pix(l1_weight=0.0)
    history = Trainer(family).fit(_pairs().batches(16), 2, progress=False)
    assert history.last("loss_g") == pytest.approx(history.last("adversarial_g"), rel=1e-6)


# ---- CycleGAN ------------------------------------------------------------------------------------------------------
def _domains(n: int = 96) -> td.UnpairedImages:
    return td.unpaired(_digits(n), "inverted", seed=0)


def test_cyclegan_training_lowers_the_cycle_loss():
    trainer = Trainer(_cyclegan(lr_g=2e-3), channels_last=False)
    history = trainer.fit(_domains().batches(16, seed=0), 40, progress=False)
    cycle = history["cycle"]
    assert sum(cycle[-5:]) / 5 < 0.6 * sum(cycle[:5]) / 5
    assert {"loss_g", "loss_d", "adversarial_g", "d_real_a", "d_fake_b", "grad_norm_d"} <= set(history.keys())


def test_cyclegan_logged_cycle_loss_is_the_cycle_consistency_loss():
    family = _cyclegan()
    domains = _domains(16)
    a, b = domains.a[:8], domains.b[:8]
    with torch.no_grad():
        expected = cycle_consistency_loss(a, b, family.generator_ab, family.generator_ba)
        by_hand = (family.generator_ba(family.generator_ab(a)) - a).abs().mean() + \
                  (family.generator_ab(family.generator_ba(b)) - b).abs().mean()
    stats = family.train_step(iter([(a, b)]))
    assert torch.allclose(stats["cycle"], expected) and torch.allclose(expected, by_hand)


def test_cyclegan_identity_loss_is_logged_only_when_asked_for():
    assert "identity" not in _cyclegan().train_step(iter([(_domains().a[:4], _domains().b[:4])]))
    stats = _cyclegan(identity_weight=5.0).train_step(iter([(_domains().a[:4], _domains().b[:4])]))
    assert stats["identity"] > 0


def test_cyclegan_same_seed_same_weights_and_checkpoint_round_trip(tmp_path):
    runs = []
    for _ in range(2):
        trainer = Trainer(_cyclegan(seed=3))
        trainer.fit(_domains().batches(16, seed=1), 5, progress=False)
        runs.append(trainer)
    a, b = (t.family.state_dict() for t in runs)
    assert all(torch.equal(a[k], b[k]) for k in a)
    path = runs[0].save(tmp_path / "cyclegan.pt")
    restored = Trainer(_cyclegan(seed=3))
    restored.load(path)
    state = restored.family.state_dict()
    assert restored.step == 5 and all(torch.equal(state[k], a[k]) for k in a)
    assert restored.family.config()["generator_ab"] == {"class": "UNetGenerator", "in_channels": 1, "out_channels": 1, "width": 8}
    with pytest.raises(ValueError, match="cycle_weight: checkpoint 10.0, this trainer 1.0"):
        Trainer(_cyclegan(seed=3, cycle_weight=1.0)).load(path)


def test_cyclegan_translates_both_ways_in_eval_mode():
    family = _cyclegan()
    images = _digits(6)
    assert family.translate(images, "ab").shape == family.translate(images, "ba").shape == (6, 1, 28, 28)
    assert family.generator_ab.training
    with pytest.raises(ValueError, match="direction must be 'ab'"):
        family.translate(images, "a→b")


def test_cyclegan_rejects_bad_arguments():
    with seeded(0):
        g1, g2, d1, d2 = UNetGenerator(width=8), UNetGenerator(width=8), PatchDiscriminator(width=8), PatchDiscriminator(width=8)
    with pytest.raises(ValueError, match="four separate networks"):
        CycleGAN(g1, g1, d1, d2)
    with pytest.raises(ValueError, match="must be unconditional"):
        CycleGAN(g1, g2, PatchDiscriminator(condition_channels=1, width=8), d2)
    with pytest.raises(ValueError, match="cycle_weight must be a number ≥ 0"):
        CycleGAN(g1, g2, d1, d2, cycle_weight=-1)
    with pytest.raises(ValueError, match="objective 'wgan' does not apply"):
        CycleGAN(g1, g2, d1, d2, objective="wgan")
    with pytest.raises(TypeError, match="generator_ba must be an nn.Module"):
        CycleGAN(g1, "F", d1, d2)
    family = CycleGAN(g1, g2, d1, d2)
    with pytest.raises(ValueError, match=r"\(a, b\)"):
        family.train_step(iter([_digits(4)]))
