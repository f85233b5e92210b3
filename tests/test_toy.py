import math

import pytest
import torch

from gancourse import toy


def test_ring_modes_on_unit_circle():
    modes = toy.ring_modes()
    assert modes.shape == (8, 2)
    assert torch.allclose(modes.norm(dim=1), torch.ones(8), atol=1e-6)
    angles = torch.atan2(modes[:, 1], modes[:, 0]) % (2 * math.pi)
    assert torch.allclose(angles.sort().values, torch.arange(8) * math.pi / 4, atol=1e-5)


def test_grid_modes_values():
    modes = toy.grid_modes()
    assert modes.shape == (25, 2)
    assert set(modes[:, 0].tolist()) == {-4.0, -2.0, 0.0, 2.0, 4.0}
    assert len({tuple(m) for m in modes.tolist()}) == 25


@pytest.mark.parametrize("name,std", [("ring", 0.01), ("grid", 0.05)])
def test_mixture_samples_sit_near_modes_with_right_std(name, std):
    points = toy.sample_2d(name, 20000, torch.Generator().manual_seed(0))
    modes, mode_std = toy.modes_2d(name)
    assert mode_std == std
    nearest = torch.cdist(points, modes).argmin(dim=1)
    offsets = points - modes[nearest]
    assert offsets.std().item() == pytest.approx(std, rel=0.05)
    counts = torch.bincount(nearest, minlength=len(modes)).float()
    assert counts.min() > 0.7 * counts.mean()  # every mode is drawn roughly equally often


def test_sample_2d_is_seeded_and_moons_shape():
    a = toy.sample_2d("moons", 100, torch.Generator().manual_seed(1))
    b = toy.sample_2d("moons", 100, torch.Generator().manual_seed(1))
    assert a.shape == (100, 2) and torch.equal(a, b)


def test_unknown_toy_names_list_valid_ones():
    with pytest.raises(ValueError, match="ring"):
        toy.sample_2d("spiral", 10)
    with pytest.raises(ValueError, match="not a Gaussian mixture"):
        toy.modes_2d("moons")
    with pytest.raises(ValueError, match="positive"):
        toy.sample_2d("ring", 0)


def test_sample_1d_mixture_moments():
    x = toy.sample_1d(50000, means=(-2.0, 2.0), stds=(0.5, 0.5), generator=torch.Generator().manual_seed(0))
    assert x.shape == (50000, 1)
    assert x.mean().item() == pytest.approx(0.0, abs=0.05)
    assert x.var().item() == pytest.approx(4.25, rel=0.03)  # 0.5² + 2²


def test_sample_1d_bad_arguments():
    with pytest.raises(ValueError, match="equal-length"):
        toy.sample_1d(10, means=(0.0, 1.0), stds=(1.0,))
    with pytest.raises(ValueError, match="positive"):
        toy.sample_1d(10, stds=(0.0,))


def test_toy_stream_yields_fresh_seeded_batches():
    stream = iter(toy.ToyStream.from_2d("ring", batch_size=32, seed=3))
    first, second = next(stream), next(stream)
    assert first.shape == (32, 2) and not torch.equal(first, second)
    again = next(iter(toy.ToyStream.from_2d("ring", batch_size=32, seed=3)))
    assert torch.equal(first, again)
    with pytest.raises(ValueError, match="choose one of"):
        toy.ToyStream.from_2d("nope")
