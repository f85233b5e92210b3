"""Notebook 04: its hand-written loop equals GANTrainer bit for bit; the 2-D playground; the exercise checks."""

import math
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pytest
import torch

from gancourse import losses, models, playground, toy
from gancourse.checks import nb04
from gancourse.data import Batches
from gancourse.training import GANTrainer

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "04_adversarial_training.ipynb"


# ---- the notebook's loop against the package -----------------------------------------------------------
def _loop_source() -> str:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code" and "def train_by_hand(" in c.source]
    assert len(cells) == 1, "the notebook must define train_by_hand in exactly one code cell"
    return cells[0]


def _compile_loop(source: str):
    """Run the notebook cell with the names the notebook imports; returns its train_by_hand."""
    namespace = {"torch": torch, "discriminator_loss": losses.discriminator_loss,
                 "generator_loss_nonsaturating": losses.generator_loss_nonsaturating}
    exec(compile(source, str(NOTEBOOK), "exec"), namespace)
    return namespace["train_by_hand"]


def _pair(seed):
    torch.manual_seed(seed)
    generator = models.MLPGenerator(6, (1, 8, 8), hidden=(32, 32), batch_norm=True)
    return generator, models.MLPDiscriminator((1, 8, 8), hidden=(32, 32))


def _image_batches(seed):
    images = torch.rand(96, 1, 8, 8, generator=torch.Generator().manual_seed(1)) * 2 - 1
    return Batches(images, torch.arange(96) % 10, 16, seed=seed)


@pytest.mark.parametrize("k, seed", [(1, 0), (3, 5)])
def test_notebook_loop_equals_trainer_bit_for_bit(k, seed):
    train_by_hand = _compile_loop(_loop_source())
    hand_g, hand_d = _pair(seed)
    package_g, package_d = _pair(seed)
    hand = train_by_hand(hand_g, hand_d, _image_batches(seed), 6, k=k, lr_g=1e-3, lr_d=3e-4, seed=seed)
    trainer = GANTrainer(package_g, package_d, critic_steps=k, lr_g=1e-3, lr_d=3e-4, seed=seed, device="cpu")
    history = trainer.fit(_image_batches(seed), 6, progress=False)
    hand_state = [*hand_g.parameters(), *hand_d.parameters(), *hand_g.buffers()]
    package_state = [*package_g.parameters(), *package_d.parameters(), *package_g.buffers()]
    assert len(hand_state) == len(package_state)
    for a, b in zip(hand_state, package_state):
        assert torch.equal(a, b)  # BatchNorm's running statistics included
    assert hand == (history.last("loss_d"), history.last("loss_g"))


def test_the_comparison_would_catch_a_missing_detach():
    source = _loop_source()
    assert "discriminator(fake.detach())" in source
    broken = _compile_loop(source.replace("discriminator(fake.detach())", "discriminator(fake)"))
    generator, discriminator = _pair(0)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        broken(generator, discriminator, _image_batches(0), 2)


# ---- the playground ----------------------------------------------------------------------------------------
SMALL = {"steps": 12, "checkpoints": 3, "hidden": (8, 8), "n_points": 50, "batch_size": 32}


def test_train_playground_records_checkpoints():
    run = playground.train_playground("ring", seed=1, **SMALL)
    assert run.steps == [0, 4, 8, 12] and len(run.samples) == len(run.discriminators) == 4
    assert all(s.shape == (50, 2) for s in run.samples) and run.real.shape == (50, 2)
    assert not any(p.requires_grad for d in run.discriminators for p in d.parameters())
    first, last = run.discriminators[0], run.discriminators[-1]
    assert not torch.equal(next(first.parameters()), next(last.parameters()))  # copies, not one shared module
    assert run.n_modes == 8 and 0 <= run.coverage.covered <= 8 and len(run.history) == 12
    assert "modes covered" in playground.describe(run)
    assert playground.train_playground("moons", **SMALL).coverage is None


def test_chunked_training_equals_one_uninterrupted_run():
    run = playground.train_playground("grid", objective="hinge", critic_steps=2, lr_g=3e-3, lr_d=1e-3, seed=2, **SMALL)
    torch.manual_seed(2)
    generator = models.MLPGenerator(2, 2, hidden=SMALL["hidden"], tanh_output=False)
    discriminator = models.MLPDiscriminator(2, hidden=SMALL["hidden"])
    trainer = GANTrainer(generator, discriminator, objective="hinge", critic_steps=2, lr_g=3e-3, lr_d=1e-3,
                         seed=2, device="cpu")
    trainer.fit(toy.ToyStream.from_2d("grid", batch_size=SMALL["batch_size"], seed=2), SMALL["steps"], progress=False)
    assert torch.equal(run.samples[-1], trainer.sample(SMALL["n_points"], seed=2 + 10_000))
    assert run.history["loss_d"] == trainer.history["loss_d"]


def test_same_seed_same_run():
    a, b = (playground.train_playground("moons", seed=3, **SMALL) for _ in range(2))
    assert all(torch.equal(x, y) for x, y in zip(a.samples, b.samples))


def test_a_nan_stops_the_run_and_keeps_the_last_good_state(monkeypatch):
    good = toy.ToyStream.from_2d("ring", batch_size=SMALL["batch_size"], seed=0)

    def poisoned(*_args, **_kwargs):
        batches = iter(good)
        return iter([next(batches) for _ in range(5)] + [torch.full((SMALL["batch_size"], 2), float("nan"))] * 20)

    monkeypatch.setattr(playground.toy.ToyStream, "from_2d", poisoned)
    with pytest.warns(RuntimeWarning, match="loss_d became nan"):
        run = playground.train_playground("ring", **SMALL)
    assert run.stopped_early and run.steps == [0, 4, 5]
    assert all(torch.isfinite(s).all() for s in run.samples)
    assert "stopped at step 6" in playground.describe(run) and "after step 5" in playground.describe(run)


def test_playground_rejects_bad_settings():
    with pytest.raises(ValueError, match="dataset"):
        playground.train_playground("spiral", **SMALL)
    with pytest.raises(ValueError, match="objectives"):
        playground.train_playground("ring", objective="wgan", **SMALL)


def test_plot_and_callback(capsys):
    run = playground.train_playground("ring", objective="wgan-gp", **SMALL)
    fig = playground.plot_playground(run)
    titles = [ax.get_title() for ax in fig.axes]
    assert [t.split(" · ")[0] for t in titles if t.startswith("step")] == ["step 0", "step 4", "step 8", "step 12"]
    assert "critic scores" in titles and "sigmoid(score)" in fig._suptitle.get_text()
    curves = next(ax for ax in fig.axes if ax.get_title() == "critic scores")
    assert [t.get_text() for t in curves.get_legend().get_texts()] == ["critic score, real", "critic score, fake"]
    colour_bars = [ax for ax in fig.axes if ax.get_ylabel().startswith("sigmoid(critic score)")]
    assert len(colour_bars) == 1  # one colour bar for all heat maps
    for ax in fig.axes:
        if ax not in colour_bars:
            assert ax.get_xlabel() and ax.get_ylabel()  # both axes labelled in every panel
    plt.close("all")
    result = playground.playground_callback("grid", "gan", 3e-4, 1e-3, 2, steps=8, seed=0)
    assert isinstance(result, playground.PlaygroundRun) and result.settings["critic_steps"] == 2
    assert "grid · gan · lr_G 0.0003 · lr_D 0.001 · k = 2" in capsys.readouterr().out
    assert plt.get_fignums()  # outside IPython show_now falls back to plt.show(), a no-op on Agg
    plt.close("all")


def test_runs_on_one_dataset_share_the_view_and_a_collapse_is_marked():
    healthy = playground.train_playground("ring", seed=1, **SMALL)
    other = playground.train_playground("ring", lr_g=1e-2, seed=1, **SMALL)
    assert playground.view_extent(healthy) == playground.view_extent(other)  # from the data only
    collapsed = other.samples[-1][:1].repeat(len(other.samples[-1]), 1)  # every G(z) on one spot
    collapsed[:3] += torch.tensor([50.0, 0.0])  # three of them far off the view
    other.samples[-1] = collapsed
    fig = playground.plot_playground(other)
    last = next(ax for ax in fig.axes if ax.get_title().startswith("step 12"))
    notes = " ".join(t.get_text() for t in last.texts)
    assert "3 G(z) off the view" in notes and f"all {len(collapsed) - 3} G(z) on one spot" in notes
    assert last.get_xlim() == (-playground.view_extent(other), playground.view_extent(other))
    plt.close("all")


# ---- GAN Lab's arrows: the force on each generated point ------------------------------------------------------
def test_generator_gradient_field_points_up_d_slope():
    torch.manual_seed(0)
    discriminator = models.MLPDiscriminator(2, hidden=(16, 16)).requires_grad_(False)
    points = torch.randn(64, 2)
    for objective in ("gan", "gan-saturating", "hinge", "wgan-gp"):
        force = playground.generator_gradient_field(discriminator, points, objective)
        assert force.shape == points.shape and not force.requires_grad
        x = points.clone().requires_grad_(True)
        (slope,) = torch.autograd.grad(discriminator(x).sum(), x)
        # every G loss falls as D's score rises: the force is a positive multiple of D's slope at each point
        along = (force * slope).sum(1)
        assert (along > 0).all()
        parallel = force[:, 0] * slope[:, 1] - force[:, 1] * slope[:, 0]
        assert torch.allclose(parallel, torch.zeros(64), atol=1e-5 * float(force.norm() * slope.norm()))
    assert all(p.grad is None for p in discriminator.parameters())


def test_generator_gradient_field_is_each_points_own_gradient():
    torch.manual_seed(1)
    discriminator = models.MLPDiscriminator(2, hidden=(8,))
    points = torch.randn(5, 2)
    force = playground.generator_gradient_field(discriminator, points, "gan")
    for i in range(5):
        x = points[i:i + 1].clone().requires_grad_(True)
        (alone,) = torch.autograd.grad(losses.generator_loss_nonsaturating(discriminator(x)), x)
        assert torch.allclose(force[i], -alone[0], atol=1e-6)
    # where D is flat there is no force: a constant discriminator gives zero arrows
    flat = models.MLPDiscriminator(2, hidden=(8,))
    torch.nn.init.zeros_(flat.out.weight)
    assert torch.equal(playground.generator_gradient_field(flat, points), torch.zeros(5, 2))
    with pytest.raises(ValueError, match="shape"):
        playground.generator_gradient_field(discriminator, torch.zeros(2, 3, 4))


def test_widget_trains_only_on_the_button_and_calls_the_callback():
    widget = playground.playground_widget()
    controls = {w._kwarg: w for w in widget.kwargs_widgets}
    assert set(controls) == {"dataset", "objective", "lr_g", "lr_d", "critic_steps", "steps", "seed"}
    assert widget.manual_button.description == "train"
    assert getattr(widget, "result", None) is None  # nothing trained on construction
    controls["steps"].value = min(playground.STEP_CHOICES)
    controls["dataset"].value = "moons"
    widget.update()
    assert isinstance(widget.result, playground.PlaygroundRun)
    assert widget.result.settings["dataset"] == "moons" and widget.result.steps[-1] == min(playground.STEP_CHOICES)
    plt.close("all")


def test_training_loop_diagram_draws_both_steps():
    ax = playground.training_loop_diagram()
    texts = " ".join(t.get_text() for t in ax.texts)
    for phrase in ("G(z).detach()", "not detached", "just updated", "frozen", "Adam step on D only", "Adam step on G only",
                   "repeat k times"):
        assert phrase in texts
    plt.close("all")


# ---- exercise checks: accept the reference, reject typical mistakes ----------------------------------------
def _out(capsys):
    return capsys.readouterr().out


def _reference_step(generator, discriminator, d_optimizer, real, z):
    fake = generator(z)
    loss = losses.discriminator_loss(discriminator(real), discriminator(fake.detach()))
    d_optimizer.zero_grad()
    loss.backward()
    d_optimizer.step()
    return loss


def test_check_discriminator_step(capsys):
    assert nb04.check_discriminator_step(_reference_step)

    def no_detach(generator, discriminator, d_optimizer, real, z):
        loss = losses.discriminator_loss(discriminator(real), discriminator(generator(z)))
        d_optimizer.zero_grad()
        loss.backward()
        d_optimizer.step()
        return loss

    def no_zero_grad(generator, discriminator, d_optimizer, real, z):
        loss = losses.discriminator_loss(discriminator(real), discriminator(generator(z).detach()))
        loss.backward()
        d_optimizer.step()
        return loss

    def swapped_labels(generator, discriminator, d_optimizer, real, z):
        return _reference_step(generator, lambda x: -discriminator(x), d_optimizer, real, z)

    def averaged(generator, discriminator, d_optimizer, real, z):
        loss = 0.5 * losses.discriminator_loss(discriminator(real), discriminator(generator(z).detach()))
        d_optimizer.zero_grad()
        loss.backward()
        d_optimizer.step()
        return loss

    def placeholder(generator, discriminator, d_optimizer, real, z):
        ...

    for wrong, message in ((no_detach, "detached"), (no_zero_grad, "zero_grad"), (swapped_labels, "wrong way"),
                           (averaged, "half the reference"), (placeholder, "not attempted")):
        assert not nb04.check_discriminator_step(wrong)
        assert message in _out(capsys)


def test_check_forward_passes(capsys):
    assert nb04.check_forward_passes(lambda k: (k, 2 * k + 1))
    assert not nb04.check_forward_passes(lambda k: (k + 1, 2 * k + 2))
    assert "reuses the fake batch" in _out(capsys)
    assert not nb04.check_forward_passes(lambda k: (k, 2 * k))
    assert "generator step also runs D" in _out(capsys)
    assert not nb04.check_forward_passes(lambda k: (1, 3))  # right for k = 1 only
    assert not nb04.check_forward_passes(lambda k: ...)
    out = _out(capsys)
    assert "not attempted" in out and "2 * k" not in out and "2k" not in out  # the hint is not the solution


class _History(dict):
    """Just enough of a History for the checks: history[key] → list."""


def test_check_loss_band(capsys):
    healthy = _History(loss_d=[1.4] * 90 + [0.95, 1.0, 1.05] * 3 + [1.0])  # last 10 %: mean 1.0
    assert nb04.tail_mean(healthy, "loss_d") == pytest.approx(1.0)
    assert nb04.check_loss_band("B", healthy)
    assert nb04.check_loss_band(" b ", healthy)
    assert not nb04.check_loss_band("C", healthy)  # the typical wrong answer: the equilibrium value
    out = _out(capsys)
    assert "1.000" in out and "keeps a lead" in out
    assert not nb04.check_loss_band("A", healthy)
    assert "has won" in _out(capsys)
    assert nb04.check_loss_band("A", _History(loss_d=[0.1] * 20))  # the answer follows the measurement
    assert nb04.check_loss_band("C", _History(loss_d=[math.log(4)] * 20))
    assert not nb04.check_loss_band("E", healthy)
    assert not nb04.check_loss_band(..., healthy)
    out = _out(capsys)
    assert "one letter" in out and "not attempted" in out


def test_check_k_prediction(capsys):
    class Run:
        n_modes = 8

        def __init__(self, covered):
            self.coverage = type("Coverage", (), {"covered": covered})()

    assert nb04.check_k_prediction("B", Run(3))
    assert nb04.check_k_prediction("a", Run(0))
    assert nb04.check_k_prediction("C", Run(7)) and nb04.check_k_prediction("C", Run(8))
    assert not nb04.check_k_prediction("A", Run(3))  # the typical wrong answer: "more D steps cannot help"
    out = _out(capsys)
    assert "3/8" in out and "keeps up" in out
    assert not nb04.check_k_prediction("C", Run(3))
    assert "no longer sit on one spot" in _out(capsys)
    assert not nb04.check_k_prediction(..., Run(3))
    assert "not attempted" in _out(capsys)
