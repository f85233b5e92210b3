"""Every benchmark subcommand on a tiny budget (no test asserts a time)."""

import json
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest
import torch

from gancourse import models
from gancourse.bench import markdown_table, mean_spread
from gancourse.bench.__main__ import main


def _read(path):
    return json.loads(path.read_text(encoding="utf-8"))


# ---- toy2d ----------------------------------------------------------------------------------------
def test_toy2d_tiny_run_writes_json_and_samples(tmp_path, capsys):
    out, samples = tmp_path / "toy.json", tmp_path / "samples"
    main(["toy2d", "--steps", "15", "--seeds", "0", "1", "--samples", "300", "--dataset", "ring", "grid",
          "--method", "gan", "recommended", "--no-progress", "--json", str(out), "--save-samples", str(samples)])
    text = capsys.readouterr().out
    assert "PacGAN4" in text and "VEEGAN" in text and "HQ %" in text
    payload = _read(out)
    # 2 datasets × 2 seeds × (gan, recommended, and the recommended runs' plain G(z) samples)
    assert payload["benchmark"] == "toy2d" and len(payload["runs"]) == 2 * 2 * 3
    run = payload["runs"][0]
    assert {"dataset", "method", "seed", "modes", "hq_percent", "seconds", "per_mode_hq_counts"} <= set(run)
    assert len(payload["summary"]) == 6 and payload["machine"]["nproc"] >= 1
    assert {r["method"] for r in payload["runs"]} == {"gan", "recommended", "recommended (G only)"}
    assert all(0 < r["drs_acceptance"] <= 1 for r in payload["runs"] if r["method"] == "recommended")
    arr = np.load(samples / "grid_recommended_seed1.npy")
    assert arr.shape == (300, 2) and arr.dtype == np.float32
    assert np.load(samples / "ring_recommended-G-only_seed0.npy").shape == (300, 2)
    assert len(list(samples.glob("*.npy"))) == 12


def test_toy2d_single_seed_flag(tmp_path):
    out = tmp_path / "t.json"
    main(["toy2d", "--steps", "3", "--seed", "7", "--samples", "50", "--dataset", "ring", "--method", "wgan-gp",
          "--no-progress", "--json", str(out)])
    payload = _read(out)
    assert [r["seed"] for r in payload["runs"]] == [7] and payload["runs"][0]["steps"] == 3


# ---- mnist ----------------------------------------------------------------------------------------
def test_mnist_tiny_run(tmp_path, shared_mnist_root, monkeypatch, capsys):
    monkeypatch.setenv("GANCOURSE_DATA", str(shared_mnist_root))
    out, samples = tmp_path / "m.json", tmp_path / "s.npy"
    main(["mnist", "--model", "dcgan", "cdcgan", "--minutes", "0.01", "--limit", "800", "--samples", "200", "--width", "8",
          "--classifier-epochs", "1", "--classifier-cache", str(tmp_path / "cache"), "--no-progress", "--json", str(out),
          "--save-samples", str(samples)])
    assert "floor" in capsys.readouterr().out
    payload = _read(out)
    assert payload["train_images"] == 480 and payload["fid_images"] == 160
    assert [r["model"] for r in payload["runs"]] == ["dcgan", "cdcgan"]
    refs = {r["images"]: r for r in payload["reference_points"]}
    assert refs["half A: real, unseen (the floor)"]["fid"] == pytest.approx(payload["fid_floor"])
    assert refs["half A blurred (3×3 binomial)"]["fid"] > payload["fid_floor"]
    assert refs["half A, digits 0–4 only"]["entropy_ratio"] < 0.8  # five of ten classes: ln 5 / ln 10 = 0.70
    for run in payload["runs"]:
        assert run["steps"] >= 1 and run["fid"] >= 0 and payload["fid_floor"] >= 0
        assert len(run["class_histogram"]) == 10 and sum(run["class_histogram"]) == pytest.approx(1.0)
        arr = np.load(tmp_path / f"s_{run['model']}.npy")
        assert arr.shape == (200, 1, 28, 28) and arr.dtype == np.float32 and arr.min() >= -1 and arr.max() <= 1
    unconditional, conditional = payload["runs"]
    assert unconditional["label_accuracy"] is None and 0 <= conditional["label_accuracy"] <= 1
    assert 0 <= payload["classifier"]["heldout_accuracy"] <= 1


def test_mnist_self_conditioned_tiny_run(tmp_path, shared_mnist_root, monkeypatch, capsys):
    monkeypatch.setenv("GANCOURSE_DATA", str(shared_mnist_root))
    out = tmp_path / "m.json"
    main(["mnist", "--model", "sdcgan", "--clusters", "4", "--minutes", "0.1", "--limit", "800", "--samples", "200",
          "--width", "8", "--classifier-epochs", "1", "--classifier-cache", str(tmp_path / "cache"), "--no-progress",
          "--json", str(out)])
    assert "4 clusters in" in capsys.readouterr().out
    run = _read(out)["runs"][0]
    assert run["model"] == "sdcgan" and run["steps"] >= 1 and run["label_accuracy"] is None  # it asks for no digit
    clusters = run["clusters"]
    assert clusters["k"] == 4 and sum(clusters["shares"]) == pytest.approx(1.0) and 0.25 <= clusters["purity"] <= 1
    assert 0 < clusters["seconds"] < run["train_seconds"] <= 6 + 1  # the clustering is inside the 6 s budget


def test_mnist_defaults_to_all_three_models_and_clusters_apply_to_sdcgan_only(tmp_path):
    import argparse

    from gancourse.bench.mnist import add_arguments, build_trainer

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args([]).model == ["dcgan", "cdcgan", "sdcgan"]
    with pytest.raises(ValueError, match="--clusters applies to the self-conditioned model only"):
        main(["mnist", "--model", "dcgan", "--clusters", "5", "--no-progress"])
    args = SimpleNamespace(latent_dim=8, width=4, lr=2e-4, ema_decay=0.99)
    family = build_trainer("sdcgan", args, 0, torch.device("cpu"), label_shares=(0.5, 0.25, 0.25)).family
    assert family.num_classes == 3 and family.label_shares == (0.5, 0.25, 0.25)
    with pytest.raises(ValueError, match="needed by sdcgan and apply to no other model"):
        build_trainer("sdcgan", args, 0, torch.device("cpu"))
    with pytest.raises(ValueError, match="needed by sdcgan and apply to no other model"):
        build_trainer("cdcgan", args, 0, torch.device("cpu"), label_shares=(1.0,) * 10)


def test_mnist_conditional_samples_ask_for_every_digit_equally_often():
    from gancourse.bench.mnist import build_trainer, draw_samples

    args = SimpleNamespace(latent_dim=8, width=4, lr=2e-4, ema_decay=0.99)
    trainer = build_trainer("cdcgan", args, seed=0, device=torch.device("cpu"))
    assert trainer.generator_ema is not None  # samples come from the weight average
    samples, asked = draw_samples(trainer, 2500, seed=0, batch=1000)
    assert samples.shape == (2500, 1, 28, 28) and torch.equal(torch.bincount(asked), torch.full((10,), 250))
    assert draw_samples(build_trainer("dcgan", args, 0, torch.device("cpu")), 10, seed=0)[1] is None
    with pytest.raises(ValueError, match="unknown model"):
        build_trainer("stylegan", args, 0, torch.device("cpu"))


def test_mnist_r1_flag_reaches_the_gan_family():
    from gancourse.bench.mnist import build_trainer

    args = SimpleNamespace(latent_dim=8, width=4, lr=2e-4, ema_decay=0.99, r1_weight=1.0, r1_every=4)
    family = build_trainer("dcgan", args, seed=0, device=torch.device("cpu")).family
    assert (family.r1_weight, family.r1_every) == (1.0, 4)
    assert build_trainer("dcgan", SimpleNamespace(**{**vars(args), "r1_weight": 0.0}), 0, torch.device("cpu")).family.r1_weight == 0


def test_mnist_refuses_fewer_samples_than_the_fid_reference(tmp_path, shared_mnist_root, monkeypatch):
    monkeypatch.setenv("GANCOURSE_DATA", str(shared_mnist_root))
    with pytest.raises(ValueError, match="--samples must be at least"):
        main(["mnist", "--minutes", "0.01", "--limit", "800", "--samples", "100", "--no-progress",
              "--classifier-epochs", "1", "--classifier-cache", str(tmp_path / "cache")])


# ---- speed ----------------------------------------------------------------------------------------
def test_speed_tiny_run(tmp_path, capsys):
    out = tmp_path / "speed.json"
    main(["speed", "--dataset", "digits", "--limit", "256", "--steps", "2", "--block", "1", "--width", "8",
          "--batch-size", "32", "--no-progress", "--json", str(out)])
    assert "tutorial loop" in capsys.readouterr().out
    result = _read(out)["results"][0]
    assert result["steps_each"] == 2 and result["ratio"] > 0
    assert set(result["steps_per_second"]) == {"trainer", "reference"}


def test_tutorial_loop_trains_the_same_models():
    from gancourse.bench.speed import TutorialLoop

    g, d = models.DCGANGenerator(latent_dim=8, width=4), models.DCGANDiscriminator(width=4)
    before = [p.clone() for p in g.parameters()]
    loop = TutorialLoop(g, d, torch.rand(40, 1, 28, 28) * 2 - 1, 16, torch.device("cpu"))
    loss_d, loss_g = loop.step()
    assert np.isfinite(loss_d) and np.isfinite(loss_g)
    assert not all(torch.equal(a, b) for a, b in zip(before, g.parameters()))


# ---- notebooks --------------------------------------------------------------------------------------
def _notebook(path, body):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("FAST = False\nSEED = 0")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# tiny"), params, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_notebooks_bench_runs_copies_and_reports_failures(tmp_path):
    src = tmp_path / "nbs"
    src.mkdir()
    _notebook(src / "01_ok.ipynb", "import os\nassert FAST and os.environ['GANCOURSE_FAST'] == '1'\nprint(SEED)")
    _notebook(src / "02_broken.ipynb", "raise RuntimeError('boom')")
    _notebook(src / "03_skipped.ipynb", "print('not selected')")
    before = {p.name: p.read_bytes() for p in src.iterdir()}
    out = tmp_path / "nb.json"
    main(["notebooks", "--dir", str(src), "--fast-only", "--only", "01", "02", "--seed", "3", "--no-progress",
          "--no-yardstick", "--keep", str(tmp_path / "executed"), "--json", str(out)])
    payload = _read(out)
    runs = {r["notebook"]: r for r in payload["runs"]}
    assert all(r["yardstick_ms"] is None for r in runs.values())
    assert set(runs) == {"01_ok.ipynb", "02_broken.ipynb"} and payload["modes"] == ["fast"]
    assert runs["01_ok.ipynb"]["ok"] and runs["01_ok.ipynb"]["seconds"] > 0
    assert not runs["02_broken.ipynb"]["ok"] and "boom" in runs["02_broken.ipynb"]["error"]
    assert {p.name: p.read_bytes() for p in src.iterdir()} == before  # the sources are never overwritten
    executed = nbformat.read(runs["01_ok.ipynb"]["output"], as_version=4)
    assert "3" in "".join(o.get("text", "") for o in executed.cells[-1].outputs)


def test_notebooks_bench_measures_the_machine_before_each_run(tmp_path, monkeypatch, capsys):
    import gancourse.bench

    src = tmp_path / "nbs"
    src.mkdir()
    _notebook(src / "01_ok.ipynb", "print(1)")
    monkeypatch.setattr(gancourse.bench, "yardstick", lambda: 12.5)
    out = tmp_path / "nb.json"
    main(["notebooks", "--dir", str(src), "--fast-only", "--no-progress", "--json", str(out)])
    printed = capsys.readouterr().out
    assert "01_ok.ipynb [fast]" in printed and "(yardstick 12 ms a step)" in printed
    assert "| fast (s) | yardstick (ms) |" in printed.replace("  ", " ").replace("  ", " ")
    (run,) = _read(out)["runs"]
    assert run["yardstick_ms"] == 12.5


def test_yardstick_times_dcgan_steps_and_restores_torch_state():
    from gancourse.bench import yardstick

    threads, state = torch.get_num_threads(), torch.random.get_rng_state()
    assert 0 < yardstick(steps=4, threads=1) < 10_000
    assert torch.get_num_threads() == threads and torch.equal(torch.random.get_rng_state(), state)
    with pytest.raises(ValueError, match="steps ≥ 4"):
        yardstick(steps=2)


# ---- helpers ------------------------------------------------------------------------------------------
def test_table_and_spread_helpers():
    table = markdown_table(["a", "b"], [["x", 1], ["yy", 22]])
    assert table.splitlines()[0] == "| a  |  b |" and len(table.splitlines()) == 4
    assert mean_spread([1, 3]) == pytest.approx((2.0, 2 ** 0.5)) and mean_spread([5]) == (5.0, 0.0)


def test_mnist_lr_d_flag_gives_d_its_own_learning_rate():
    from gancourse.bench.mnist import build_trainer

    args = SimpleNamespace(latent_dim=8, width=4, lr=2e-4, lr_d=8e-4, ema_decay=0.99, r1_weight=0.0, r1_every=4)
    family = build_trainer("dcgan", args, seed=0, device=torch.device("cpu")).family
    assert (family.lr_g, family.lr_d) == (2e-4, 8e-4)
    same = build_trainer("dcgan", SimpleNamespace(**{**vars(args), "lr_d": None}), 0, torch.device("cpu")).family
    assert same.lr_d == 2e-4


# ---- infogan --------------------------------------------------------------------------------------
def test_infogan_tiny_run(tmp_path, shared_mnist_root, monkeypatch, capsys):
    monkeypatch.setenv("GANCOURSE_DATA", str(shared_mnist_root))
    out = tmp_path / "i.json"
    tiny = ["--limit", "800", "--width", "4", "--hidden", "16", "--samples-per-code", "20", "--classifier-epochs", "1",
            "--classifier-cache", str(tmp_path / "cache"), "--no-progress"]
    main(["infogan", "--steps", "3", "--seeds", "0", "1", "--q-invariance", "0", "1", "--score-at", "2", "1", *tiny,
          "--json", str(out)])
    printed = capsys.readouterr().out
    assert "code accuracy" in printed and "Q on held-out real digits" in printed and "after 1, 2, 3 steps" in printed
    payload = _read(out)
    assert payload["train_images"] == 480 and payload["heldout_images"] == 320
    assert [(r["q_invariance"], r["seed"]) for r in payload["runs"]] == [(0.0, 0), (0.0, 1), (1.0, 0), (1.0, 1)]
    for run in payload["runs"]:
        assert run["steps"] == 3 and 0.1 <= run["code_accuracy"] <= 1 and 0.1 <= run["q_real_accuracy"] <= 1
        assert 0 <= run["slant_correlation"] <= 1 and sorted(run["mapping"].values()) == list(range(10))
        assert list(run["along"]) == ["1", "2"] and all(0.1 <= a["code_accuracy"] <= 1 for a in run["along"].values())
    assert [s["seeds"] for s in payload["summary"]] == [2, 2]
    # scoring along the way leaves the run as it was: the same run without --score-at ends with the same scores
    main(["infogan", "--steps", "3", "--seed", "1", "--q-invariance", "1", *tiny, "--json", str(out)])
    (alone,) = _read(out)["runs"]
    scored = payload["runs"][-1]
    assert (alone["code_accuracy"], alone["q_real_accuracy"]) == (scored["code_accuracy"], scored["q_real_accuracy"])


def test_infogan_refuses_impossible_settings(tmp_path, shared_mnist_root, monkeypatch):
    monkeypatch.setenv("GANCOURSE_DATA", str(shared_mnist_root))
    with pytest.raises(ValueError, match="--steps"):
        main(["infogan", "--steps", "0", "--no-progress"])
    with pytest.raises(ValueError, match="twice"):
        main(["infogan", "--q-invariance", "0", "1", "0", "--no-progress"])
    with pytest.raises(ValueError, match=r"--score-at takes steps between 1 and 9 .*\[10\]"):
        main(["infogan", "--steps", "10", "--score-at", "10", "--no-progress"])
    with pytest.raises(ValueError, match="q_invariance"):
        main(["infogan", "--q-invariance", "7", "--steps", "1", "--limit", "800", "--classifier-epochs", "1",
              "--classifier-cache", str(tmp_path / "cache"), "--no-progress"])


def test_infogan_builds_notebook_06s_model_and_settings():
    """The bench's InfoGAN is the one notebook 06's `train_infogan` builds: same networks, settings and callbacks."""
    from notebook_code import notebook_function

    from gancourse.bench.infogan import build_trainer
    from gancourse.config import seeded
    from gancourse.training import Evaluate, InfoGAN, WeightAverage
    from gancourse.training.infogan import InfoGANDiscriminator, InfoGANGenerator

    built = {}

    class Built(Exception):
        pass

    def capture_trainer(family, callbacks, device):
        built.update(family=family, callbacks=callbacks)
        raise Built

    # the notebook's globals, with no seeds to run (so the cell only defines) and a Trainer that stops at construction
    namespace = dict(torch=torch, seeded=seeded, Evaluate=Evaluate, InfoGAN=InfoGAN, WeightAverage=WeightAverage,
                     InfoGANGenerator=InfoGANGenerator, InfoGANDiscriminator=InfoGANDiscriminator,
                     Trainer=capture_trainer, FAST=False, SEED=0, INFOGAN_STEPS=2000, INFOGAN_SEEDS=[],
                     SAMPLES_PER_CLASS=10, Q_INVARIANCE=1.0, INFO_WIDTH=8, INFO_HIDDEN=32, device=torch.device("cpu"))
    notebook_06 = Path(__file__).resolve().parent.parent / "notebooks" / "06_conditional_gans.ipynb"
    train_infogan = notebook_function(notebook_06, "train_infogan", namespace)
    with pytest.raises(Built):
        train_infogan(3)
    notebook = built["family"]
    bench = build_trainer(SimpleNamespace(width=8, hidden=32), 3, 1.0, torch.device("cpu"))
    assert bench.family.config() == notebook.config()
    for ours, theirs in ((bench.family.generator, notebook.generator), (bench.family.discriminator, notebook.discriminator)):
        assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), theirs.state_dict().values()))

    def decays(callbacks):
        return [c.decay for c in callbacks if isinstance(c, WeightAverage)]

    assert decays(built["callbacks"]) == decays(bench.callbacks) == [0.99]
