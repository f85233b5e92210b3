import pytest
import torch

from gancourse import models


@pytest.mark.parametrize("channels,size", [(1, 28), (3, 32)])
def test_dcgan_shapes_tanh_range_and_input_dependence(channels, size):
    torch.manual_seed(0)
    # train mode: BatchNorm scales the small initial activations to unit size, as it does in training
    g = models.DCGANGenerator(latent_dim=16, channels=channels, image_size=size, width=8)
    d = models.DCGANDiscriminator(channels=channels, image_size=size, width=8)
    with torch.no_grad():
        g.net[-2].weight.mul_(100)  # the last convolution now sends values far beyond ±1 into the Tanh
        d.net[-1].weight.mul_(100)
    z = torch.randn(5, 16)
    x = g(z)
    assert x.shape == (5, channels, size, size)
    assert x.abs().max() <= 1 and x.abs().max() > 0.99  # saturated, but bounded: the output is Tanh's
    assert torch.equal(g(z[:, :, None, None]), x)  # the tutorial's (N, z, 1, 1) noise gives the same images
    assert all(not torch.allclose(x[i], x[j]) for i in range(5) for j in range(i))  # each z its own image
    scores = d(x)
    assert scores.shape == (5,) and scores.unique().numel() == 5  # one score per image, from that image
    assert scores.abs().max() > 1  # raw logits: no Sigmoid inside D


def test_default_dcgan_parameter_counts():
    # the numbers COURSE.md quotes for a standard 28×28 DCGAN: G 0.53 M, D 0.14 M
    assert models.count_parameters(models.DCGANGenerator()) == 533_889
    assert models.count_parameters(models.DCGANDiscriminator()) == 138_689


def test_wrong_shapes_name_the_expected_shape():
    g = models.DCGANGenerator(latent_dim=16, width=8)
    with pytest.raises(ValueError, match=r"\(N, 16\)"):
        g(torch.randn(2, 16, 1, 1, 1))  # seed 002's 5-D input
    d = models.DCGANDiscriminator(width=8)
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        d(torch.randn(2, 3, 28, 28))
    mlp = models.MLPDiscriminator(2)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        mlp(torch.randn(4, 3))


def test_impossible_sizes_and_channels():
    with pytest.raises(ValueError, match="image_size"):
        models.DCGANDiscriminator(image_size=16)
    with pytest.raises(ValueError, match="channels"):
        models.DCGANDiscriminator(channels=2)


def test_mlp_models_shapes_tanh_and_linear():
    z = torch.randn(100, 2)
    torch.manual_seed(0)
    toy_g = models.MLPGenerator(2, 2, hidden=(16,), tanh_output=False)
    torch.manual_seed(0)
    tanh_g = models.MLPGenerator(2, 2, hidden=(16,))  # the same weights, with a Tanh at the end
    assert toy_g(z).shape == (100, 2)
    assert torch.allclose(tanh_g(z), torch.tanh(toy_g(z)))
    assert toy_g(100 * z).abs().max() > 4  # a linear output reaches the toy grid's ±4 modes; Tanh never would
    image_g = models.MLPGenerator(8, (1, 28, 28), hidden=(32,))
    assert image_g(torch.randn(3, 8)).shape == (3, 1, 28, 28)
    d = models.MLPDiscriminator((1, 28, 28), hidden=(32,))
    scores = d(torch.randn(3, 1, 28, 28))
    assert scores.shape == (3,) and scores.unique().numel() == 3


@pytest.mark.parametrize("kind", ["mlp", "dcgan"])
def test_conditional_models_use_labels(kind):
    torch.manual_seed(0)
    if kind == "mlp":
        g, d = models.MLPGenerator(8, (1, 28, 28), hidden=(32,), num_classes=10), models.MLPDiscriminator((1, 28, 28), hidden=(32,), num_classes=10)
    else:
        g, d = models.DCGANGenerator(8, width=8, num_classes=10), models.DCGANDiscriminator(width=8, num_classes=10)
    g.eval()
    z = torch.randn(4, 8)
    a, b = g(z, torch.zeros(4, dtype=torch.long)), g(z, torch.full((4,), 7))
    assert not torch.allclose(a, b)
    d.eval()
    as_zero, as_seven = d(a, torch.zeros(4, dtype=torch.long)), d(a, torch.full((4,), 7))
    assert as_zero.shape == (4,) and not torch.allclose(as_zero, as_seven)  # D's verdict depends on the label too
    with pytest.raises(ValueError, match="conditional on 10 classes"):
        g(z)
    with pytest.raises(ValueError, match=r"0\.\.9"):
        g(z, torch.full((4,), 10))
    with pytest.raises(ValueError, match="integer tensor"):
        d(a, torch.zeros(4))


def test_unconditional_model_rejects_labels():
    with pytest.raises(ValueError, match="unconditional"):
        models.MLPGenerator(4, 2, hidden=(8,))(torch.randn(2, 4), torch.zeros(2, dtype=torch.long))


def test_dcgan_init_statistics():
    g = models.DCGANGenerator(latent_dim=64, width=64)
    conv = g.net[0].weight
    assert conv.mean().abs() < 2e-3 and conv.std().item() == pytest.approx(0.02, rel=0.05)
    bn = g.net[1].weight
    assert bn.mean().item() == pytest.approx(1.0, abs=0.01)


def test_spectral_norm_bounds_the_largest_singular_value():
    d = models.MLPDiscriminator(2, hidden=(64,), spectral_norm=True)
    for _ in range(20):  # power iteration converges while running forward passes in train mode
        d(torch.randn(8, 2))
    weight = d.hidden[0].weight
    assert torch.linalg.matrix_norm(weight, ord=2).item() == pytest.approx(1.0, abs=0.05)
    dc = models.DCGANDiscriminator(width=8, spectral_norm=True)
    assert dc(torch.randn(2, 1, 28, 28)).shape == (2,)


def test_minibatch_std_changes_output_with_batch_spread():
    torch.manual_seed(0)
    d = models.MLPDiscriminator(2, hidden=(16, 16), minibatch_std=True)
    x = torch.randn(8, 2)
    same = d(torch.cat([x[:1]] * 8))[0]
    spread = d(torch.cat([x[:1], x[1:]]))[0]
    assert not torch.isclose(same, spread)


def test_dcgan_minibatch_std_adds_one_channel_that_sees_the_batch():
    torch.manual_seed(0)
    plain, with_std = models.DCGANDiscriminator(), models.DCGANDiscriminator(minibatch_std=True)
    assert models.count_parameters(with_std) - models.count_parameters(plain) == 7 * 7  # one more channel into the 7×7 head
    h = torch.randn(6, 3, 5, 5)
    out = models.minibatch_stddev(h)
    expected = h.std(dim=0, unbiased=False).mean()  # mean over features of the per-feature batch std
    assert out.shape == (6, 4, 5, 5) and torch.allclose(out[:, 3], expected.expand(6, 5, 5), atol=1e-5)
    with_std.eval()  # BatchNorm fixed: only the batch-spread channel couples the samples
    x = torch.randn(4, 1, 28, 28)
    alone = with_std(x[:1].expand(4, -1, -1, -1).contiguous())[0]
    mixed = with_std(x)[0]
    assert not torch.allclose(alone, mixed)  # same first image, different batch spread, different score


@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_64x64_for_faces_has_the_papers_layout_and_trains(channels):
    """64×64 as in the DCGAN paper: 4×4 → 64×64 in four doublings, channels halving (8w, 4w, 2w, w)."""
    g = models.DCGANGenerator(latent_dim=16, channels=channels, image_size=64, width=8)
    d = models.DCGANDiscriminator(channels=channels, image_size=64, width=8)
    ups = [m for m in g.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    downs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [m.out_channels for m in ups] == [64, 32, 16, 8, channels]
    assert [m.out_channels for m in downs] == [8, 16, 32, 64, 1]
    x = g(torch.randn(4, 16))
    assert x.shape == (4, channels, 64, 64) and d(x).shape == (4,)
    from gancourse.training import GANTrainer

    trainer = GANTrainer(g, d, device="cpu")
    trainer.fit([torch.rand(8, channels, 64, 64) * 2 - 1], 2, progress=False)
    assert trainer.step == 2 and trainer.sample(3).shape == (3, channels, 64, 64)
    with pytest.raises(ValueError, match="image_size in \\(28, 32, 64\\)"):
        models.DCGANGenerator(image_size=48)


def test_eval_mode_restores_the_mode_even_after_an_error():
    d = models.DCGANDiscriminator(width=8)
    with models.eval_mode(d) as same:
        assert same is d and not any(m.training for m in d.modules())
    assert all(m.training for m in d.modules())
    d.eval()
    with pytest.raises(RuntimeError, match="inside"), models.eval_mode(d):
        d.train()  # the block may switch it; the mode on entry comes back
        raise RuntimeError("inside")
    assert not any(m.training for m in d.modules())


def test_from_config_rebuilds_course_networks_of_every_module():
    from gancourse.training.infogan import InfoGANDiscriminator
    from gancourse.translation_models import PatchDiscriminator

    for net in (InfoGANDiscriminator(10, 2, width=8), PatchDiscriminator(channels=1, condition_channels=1)):
        rebuilt = models.from_config(net.config)
        assert type(rebuilt) is type(net) and rebuilt.config == net.config
    assert not any(name.startswith("_") for name in models.network_classes())  # bases are not rebuildable
    with pytest.raises(ValueError, match="not a model class of the course"):
        models.from_config({"class": "Linear"})
