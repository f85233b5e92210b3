"""The procedural faces (gancourse.faces) and their loaders."""

import math

import numpy as np
import pytest
import torch

from gancourse import faces
from gancourse.data import DatasetUnavailableError, load_images


def test_faces_are_deterministic_shaped_and_in_range():
    a, factors = faces.procedural_faces(12, seed=3)
    b, _ = faces.procedural_faces(12, seed=3)
    c, _ = faces.procedural_faces(12, seed=4)
    assert a.shape == (12, 3, 32, 32) and a.dtype == torch.float32
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.min() >= -1 and a.max() <= 1
    assert set(factors) == set(faces.FACTORS) and all(len(v) == 12 for v in factors.values())
    assert faces.procedural_faces(2, seed=0, image_size=64)[0].shape == (2, 3, 64, 64)


def test_global_random_state_is_untouched():
    torch.manual_seed(0)
    np.random.seed(0)
    expected_torch, expected_numpy = torch.rand(1), np.random.rand()
    torch.manual_seed(0)
    np.random.seed(0)
    faces.procedural_faces(4, seed=1)
    assert torch.equal(torch.rand(1), expected_torch) and np.random.rand() == expected_numpy


def test_the_factors_are_what_is_drawn():
    images, factors = faces.procedural_faces(200, seed=0, image_size=32)
    pixels = (images + 1) / 2
    # the corner shows the background, whose hue is the `background` factor
    hue = 2 * math.pi * factors["background"]
    background = 0.6 + 0.25 * np.stack([np.cos(hue), np.cos(hue - 2.1), np.cos(hue + 2.1)], 1)
    assert np.allclose(pixels[:, :, 0, 0].numpy(), background, atol=0.01)
    # the cheek (left of the nose, below the eyes) shows the skin: darker skin classes are darker
    cheek = pixels[:, :, 19, 13].mean(1).numpy()
    light, dark = cheek[factors["skin"] == 0].mean(), cheek[factors["skin"] == 4].mean()
    assert light > dark + 0.4
    # bald faces show skin at the top of the head, the others hair
    top = pixels[:, :, 8, 16].numpy()
    cheek_rgb = pixels[:, :, 19, 13].numpy()
    bald = factors["hair_style"] == 2
    assert np.abs(top[bald] - cheek_rgb[bald]).max(1).mean() < 0.05
    assert np.abs(top[~bald] - cheek_rgb[~bald]).max(1).mean() > 0.2


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="n must be"):
        faces.procedural_faces(0)
    with pytest.raises(ValueError, match="image_size"):
        faces.procedural_faces(2, image_size=8)
    with pytest.raises(ValueError, match="Unknown faces dataset"):
        faces.load_faces("lfw")


def test_load_images_serves_the_procedural_faces(capsys):
    data = load_images("faces-procedural", limit=10)
    assert data.name == "faces-procedural" and data.shape == (3, 32, 32) and len(data) == 10
    expected, factors = faces.procedural_faces(10, seed=0)
    assert torch.allclose(data.images, expected, atol=1 / 127.5)        # stored as 8-bit pixels like every dataset
    assert torch.equal(data.labels, torch.as_tensor(factors["hair_style"]))
    assert data.classes == tuple(f"hair: {s}" for s in faces.HAIR_STYLES)
    assert "procedural" in capsys.readouterr().out
    assert load_images("faces-procedural", image_size=64, limit=2, verbose=False).shape == (3, 64, 64)
    with pytest.raises(ValueError, match="single split"):
        load_images("faces-procedural", split="test")


def test_auto_falls_back_to_the_procedural_faces_offline(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("GANCOURSE_DATA", str(tmp_path))            # no Olivetti on disk
    monkeypatch.setattr(faces, "_olivetti_reachable", lambda: False)
    data = faces.load_faces("auto", limit=5)
    assert data.name == "faces-procedural" and len(data) == 5
    assert "offline" in capsys.readouterr().out
    with pytest.raises(DatasetUnavailableError):
        load_images("olivetti", download=False)
