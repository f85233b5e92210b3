import random

import numpy as np
import pytest
import torch

from gancourse import config


def test_seed_everything_repeats_torch_numpy_random():
    config.seed_everything(123)
    first = (torch.randn(3), np.random.rand(3), random.random())
    config.seed_everything(123)
    second = (torch.randn(3), np.random.rand(3), random.random())
    assert torch.equal(first[0], second[0])
    assert np.array_equal(first[1], second[1])
    assert first[2] == second[2]


def test_seed_everything_returns_seeded_generator():
    g1, g2 = config.seed_everything(5), config.seed_everything(5)
    assert torch.equal(torch.rand(4, generator=g1), torch.rand(4, generator=g2))


@pytest.mark.parametrize("bad", [1.5, "7", True])
def test_seed_everything_rejects_non_int(bad):
    with pytest.raises(TypeError, match="seed must be an int"):
        config.seed_everything(bad)


def test_get_device_auto_is_cpu_here_and_env_override(monkeypatch):
    monkeypatch.delenv("GANCOURSE_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else None
    device = config.get_device()
    if expected:
        assert device.type == expected
    monkeypatch.setenv("GANCOURSE_DEVICE", "cpu")
    assert config.get_device() == torch.device("cpu")
    assert config.get_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_get_device_unavailable_cuda_raises():
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        config.get_device("cuda")


@pytest.mark.parametrize("value,expected", [("1", True), ("true", True), ("0", False), ("", False)])
def test_fast_mode(monkeypatch, value, expected):
    monkeypatch.setenv("GANCOURSE_FAST", value)
    assert config.fast_mode() is expected


def test_fast_mode_unset_and_invalid(monkeypatch):
    monkeypatch.delenv("GANCOURSE_FAST", raising=False)
    assert config.fast_mode() is False
    monkeypatch.setenv("GANCOURSE_FAST", "maybe")
    with pytest.raises(ValueError, match="GANCOURSE_FAST"):
        config.fast_mode()


def test_data_dir_env_and_default(monkeypatch, tmp_path):
    monkeypatch.setenv("GANCOURSE_DATA", str(tmp_path))
    assert config.data_dir() == tmp_path.resolve()
    monkeypatch.delenv("GANCOURSE_DATA")
    default = config.data_dir()
    assert default.name == "data" and (default.parent / "pyproject.toml").is_file()
