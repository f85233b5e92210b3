"""The shipped pre-trained checkpoints: each one loads into today's networks, is checked by its sha256 and with
weights_only, and fit_or_load trains, writes and loads a run exactly as the notebooks use it."""

import json
import pickle
import re
from pathlib import Path

import pytest
import torch

from gancourse import pretrained
from gancourse.checkpoints import save_checkpoint
from gancourse.models import MLPDiscriminator, MLPGenerator
from gancourse.training import GANTrainer

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = {"05_course_dcgan": (1, 28, 28), "06_cgan": (1, 28, 28), "07_gan": (1, 28, 28), "07_wgan": (1, 28, 28),
           "07_wgan-gp": (1, 28, 28)}


def test_the_manifest_lists_what_the_notebooks_load():
    assert set(pretrained.manifest()) == set(SHIPPED)
    for number in {name[:2] for name in SHIPPED}:
        notebook = next((ROOT / "notebooks").glob(f"{number}_*.ipynb")).read_text(encoding="utf-8")
        assert "pretrained.fit_or_load(" in notebook and re.search(r"PRETRAINED = False\s+#", notebook), number


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_each_checkpoint_loads_into_todays_networks(name):
    entry = pretrained.manifest()[name]
    assert entry["bytes"] < 3_500_000, f"{name} is {entry['bytes'] / 1e6:.1f} MB: the shipped files must stay small"
    networks = pretrained.networks(name)  # sha256-checked, weights_only, strict loading into today's classes
    generator = networks.get("generator_ema", networks["generator"])
    latent_dim = generator.config["latent_dim"]
    z = torch.randn(8, latent_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        images = generator(z, torch.arange(8) % 10) if generator.config.get("num_classes") else generator(z)
    assert tuple(images.shape) == (8, *SHIPPED[name]) and torch.isfinite(images).all()
    assert images.abs().max() <= 1 and images.std() > 0.1  # a trained G draws varied images, not a constant


def test_all_shipped_checkpoints_together_stay_small():
    total = sum(entry["bytes"] for entry in pretrained.manifest().values())
    assert total < 12_000_000, f"{total / 1e6:.1f} MB of pre-trained checkpoints in the package"


# ---- fit_or_load on a tiny run, in a folder of its own ------------------------------------------------------------
@pytest.fixture
def weights_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(pretrained, "FOLDER", tmp_path)
    monkeypatch.setattr(pretrained, "MANIFEST", tmp_path / "manifest.json")
    return tmp_path


def _tiny_trainer(lr=1e-3):
    torch.manual_seed(0)
    return GANTrainer(MLPGenerator(4, (1, 4, 4), hidden=(8,)), MLPDiscriminator((1, 4, 4), hidden=(8,)),
                      lr_g=lr, lr_d=lr, ema_decay=0.9, seed=0)


def _data():
    gen = torch.Generator().manual_seed(1)
    while True:
        yield torch.rand(16, 1, 4, 4, generator=gen) * 2 - 1


def test_fit_or_load_trains_writes_and_loads_the_same_run(weights_folder, monkeypatch, capsys):
    trained = _tiny_trainer()
    monkeypatch.setenv(pretrained.WRITE_VARIABLE, "1")
    pretrained.fit_or_load(trained, "tiny", False, _data(), 5, progress=False)
    assert "trained here from scratch" in capsys.readouterr().out
    entry = json.loads((weights_folder / "manifest.json").read_text())["tiny"]
    assert entry["steps"] == 5 and entry["sha256"] == pretrained.sha256(weights_folder / "tiny.pt")

    loaded = _tiny_trainer()
    history = pretrained.fit_or_load(loaded, "tiny", True, None, 5)
    assert "loaded the course's pre-trained checkpoint (5 steps" in capsys.readouterr().out
    assert loaded.step == 5 and history.values == trained.history.values
    for key, value in trained.family.state_dict().items():  # float16 storage: equal to about 3 digits
        torch.testing.assert_close(loaded.family.state_dict()[key].float(), value.float(), rtol=2e-3, atol=2e-3)
    loaded.fit(_data(), 2, progress=False)  # and training goes on from it (Adam restarts its moments)
    assert loaded.step == 7


def test_fit_or_load_refuses_a_changed_file_another_model_or_an_unknown_name(weights_folder, monkeypatch):
    monkeypatch.setenv(pretrained.WRITE_VARIABLE, "1")
    pretrained.fit_or_load(_tiny_trainer(), "tiny", False, _data(), 2, progress=False)
    with pytest.raises(pretrained.PretrainedError, match="(?s)does not fit this notebook's model.*lr_g: checkpoint 0.001"):
        pretrained.fit_or_load(_tiny_trainer(lr=5e-4), "tiny", True, None, 2)
    with pytest.raises(pretrained.PretrainedError, match="no pre-trained checkpoint named 'other'.*tiny"):
        pretrained.fit_or_load(_tiny_trainer(), "other", True, None, 2)
    with pytest.raises(TypeError, match="PRETRAINED must be True or False"):
        pretrained.fit_or_load(_tiny_trainer(), "tiny", "yes", None, 2)
    path = weights_folder / "tiny.pt"
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF  # one flipped byte
    path.write_bytes(bytes(damaged))
    with pytest.raises(pretrained.PretrainedError, match="does not match the sha256"):
        pretrained.fit_or_load(_tiny_trainer(), "tiny", True, None, 2)
    path.unlink()
    with pytest.raises(pretrained.PretrainedError, match="missing from the package"):
        pretrained.fit_or_load(_tiny_trainer(), "tiny", True, None, 2)


class _Code:
    """Stands for code hidden in a pickle: weights_only loading must refuse it."""


def test_a_checkpoint_with_pickled_code_is_refused_even_with_the_right_sha256(weights_folder):
    path = save_checkpoint({"format": "anything", "payload": _Code()}, weights_folder / "evil.pt")
    manifest = {"evil": {"file": path.name, "sha256": pretrained.sha256(path)}}
    (weights_folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(pickle.UnpicklingError):
        pretrained.load_state("evil")
