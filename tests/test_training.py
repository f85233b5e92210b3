"""The training core: the loop (stops, checkpoints, callbacks, history), the GAN family, InfoGAN on the same loop."""

import math
import os
import signal
import warnings

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from gancourse import data, losses, models, toy
from gancourse.checkpoints import load_checkpoint
from gancourse.training import (GAN, GANTrainer, Evaluate, History, InfoGAN, Snapshots, TimeBudget, Trainer,
                                WeightAverage, get_objective, tensor_ops)


def _toy_pair(seed=0):
    torch.manual_seed(seed)
    return models.MLPGenerator(2, 2, hidden=(16, 16), tanh_output=False), models.MLPDiscriminator(2, hidden=(16, 16))


def _stream(seed=0, batch=64):
    return toy.ToyStream.from_2d("ring", batch_size=batch, seed=seed)


def _weights(trainer):
    return [t.detach().clone() for t in trainer.family.state_dict().values()]


def _same(a, b):
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))


def _reference(steps, k=1, **kwargs):
    """A trainer that ran exactly ``steps`` clean steps on _stream(): what a stop must leave behind."""
    trainer = GANTrainer(*_toy_pair(), critic_steps=k, device="cpu", **kwargs)
    trainer.fit(_stream(), steps, progress=False)
    return trainer


def _batches_with(position, make):
    """_stream()'s batches, with batch number ``position`` (0-based) replaced by ``make(batch)``."""
    def gen():
        for i, batch in enumerate(_stream()):
            yield make(batch) if i == position else batch
    return gen()


# ---- the GAN step is Goodfellow et al.'s loop --------------------------------------------------------------
def test_trainer_matches_a_hand_written_loop_bit_for_bit():
    """The package step equals Goodfellow's loop written out: k D-steps, then one G-step."""
    k, steps, batch = 2, 5, 32
    g1, d1 = _toy_pair(0)
    g2, d2 = _toy_pair(0)
    trainer = GANTrainer(g1, d1, critic_steps=k, seed=3, device="cpu")
    trainer.fit(_stream(1, batch), steps, progress=False)

    opt_g = torch.optim.Adam(g2.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d2.parameters(), lr=2e-4, betas=(0.5, 0.999))
    rng = torch.Generator().manual_seed(3)
    data_iter = iter(_stream(1, batch))
    for _ in range(steps):
        for _ in range(k):
            real = next(data_iter)
            fake = g2(torch.randn(batch, 2, generator=rng))
            loss_d = losses.discriminator_loss(d2(real), d2(fake.detach()))
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
        loss_g = losses.generator_loss_nonsaturating(d2(fake))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
    for a, b in zip(list(g1.parameters()) + list(d1.parameters()), list(g2.parameters()) + list(d2.parameters())):
        assert torch.equal(a, b)
    assert trainer.history["loss_g"][-1] == loss_g.item()


def test_same_seed_same_result_on_cpu_and_the_global_random_state_is_left_alone():
    runs = []
    for _ in range(2):
        g, d = _toy_pair(0)
        state = torch.get_rng_state()
        trainer = GANTrainer(g, d, seed=0, device="cpu", snapshot_every=5, ema_decay=0.9)
        trainer.fit(_stream(), 10, progress=False)
        runs.append(trainer.sample(5, seed=1))
        assert torch.equal(torch.get_rng_state(), state)  # noise comes from the trainer's own streams
    assert torch.equal(*runs)


def test_gan_learns_a_1d_gaussian():
    torch.manual_seed(0)
    g = models.MLPGenerator(4, 1, hidden=(32, 32), tanh_output=False)
    d = models.MLPDiscriminator(1, hidden=(32, 32))
    stream = toy.ToyStream(lambda n, gen: toy.sample_1d(n, means=(3.0,), stds=(0.5,), generator=gen), 128, seed=0)
    trainer = GANTrainer(g, d, lr_g=1e-3, lr_d=1e-3, device="cpu")
    trainer.fit(stream, 600, progress=False)
    samples = trainer.sample(4000, seed=0)
    assert samples.mean().item() == pytest.approx(3.0, abs=0.25)
    assert samples.std().item() == pytest.approx(0.5, abs=0.2)


def test_generator_step_leaves_the_discriminator_trainable_and_untouched():
    g, d = _toy_pair()
    trainer = GANTrainer(g, d, seed=0, device="cpu")
    fake = g(torch.randn(8, 2))
    before = [p.detach().clone() for p in d.parameters()]
    trainer.generator_step(fake, None)
    assert all(p.requires_grad and p.grad is None for p in d.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, d.parameters()))


def test_fused_adam_takes_the_same_steps_up_to_rounding():
    trained = []
    for optimizer in ("adam", "adam-fused"):
        g, d = _toy_pair()
        trainer = GANTrainer(g, d, optimizer=optimizer, lr_g=1e-3, lr_d=1e-3, seed=0, device="cpu")
        trainer.fit(_stream(), 20, progress=False)
        trained.append([p.detach() for p in (*g.parameters(), *d.parameters())])
    start = [p.detach() for p in (*_toy_pair()[0].parameters(), *_toy_pair()[1].parameters())]
    moved = max((a - s).abs().max() for a, s in zip(trained[0], start))
    differ = max((a - b).abs().max() for a, b in zip(*trained))
    assert moved > 1e-3 and differ < 1e-4 * moved  # 20 real steps, and the two optimizers agree


# ---- objectives ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("objective", ["gan-saturating", "wgan", "wgan-gp", "hinge"])
def test_other_objectives_run_and_log_what_their_discriminator_outputs_mean(objective):
    g, d = _toy_pair()
    kwargs = {"optimizer": "rmsprop", "lr_d": 5e-5, "lr_g": 5e-5} if objective == "wgan" else {}
    trainer = GANTrainer(g, d, objective=objective, critic_steps=3, device="cpu", **kwargs)
    history = trainer.fit(_stream(), 4, progress=False)
    assert len(history) == 4
    probabilities = get_objective(objective).outputs_probabilities
    assert probabilities == (objective == "gan-saturating")
    assert ("d_real" in history) == probabilities and ("critic_real" in history) == (not probabilities)
    if objective == "wgan":
        assert all(p.abs().max() <= 0.01 + 1e-7 for p in d.parameters())
    assert ("wasserstein" in history) == objective.startswith("wgan")
    assert ("d_accuracy" in history) == (not objective.startswith("wgan"))
    assert (len(history["gradient_penalty"]) == 4) if objective == "wgan-gp" else "gradient_penalty" not in history


def test_an_objective_with_another_generator_loss():
    g, d = _toy_pair()
    calls = []
    objective = get_objective("gan").with_generator_loss(lambda out: calls.append(1) or -out.mean(), name="mine")
    trainer = GANTrainer(g, d, objective=objective, device="cpu")
    trainer.fit(_stream(), 3, progress=False)
    assert len(calls) == 3 and trainer.family.objective.name == "mine" and trainer.objective.outputs_probabilities


def test_each_player_can_have_its_own_optimizer():
    g, d = _toy_pair()
    family = GAN(g, d, optimizer=("sgd", "adam"), lr_g=0.1, lr_d=1e-3, betas=(0.5, 0.9))
    assert isinstance(family.g_opt, torch.optim.SGD) and family.g_opt.defaults["lr"] == 0.1
    assert isinstance(family.d_opt, torch.optim.Adam) and family.d_opt.defaults["betas"] == (0.5, 0.9)
    assert family.config()["optimizer"] == ("sgd", "adam")
    assert GAN(g, d).config()["optimizer"] == "adam"  # one name stays one name (saved configurations unchanged)


def test_arguments_that_do_not_apply_are_errors_that_say_what_applies():
    g, d = _toy_pair()
    cases = [({"objective": "relativistic"}, "Unknown objective"), ({"critic_steps": 0}, "critic_steps"),
             ({"objective": "wgan", "label_smoothing": 0.1}, "label_smoothing applies to the BCE"),
             ({"gp_weight": 5.0}, "gp_weight applies to the gradient penalty"),
             ({"objective": "hinge", "clip_value": 0.1}, "clip_value applies to weight clipping"),
             ({"optimizer": "rmsprop", "betas": (0.5, 0.9)}, "betas apply to the Adam"),
             ({"optimizer": "lbfgs"}, "optimizer must be"), ({"optimizer": ("sgd", "adam", "adam")}, "pair of names"),
             ({"optimizer": ("sgd", "rmsprop"), "betas": (0.5, 0.9)}, "betas apply to the Adam"),
             ({"r1_every": 2}, "r1_every applies only"),
             ({"snapshot_count": 9}, "snapshot_count applies only"), ({"ema_decay": 1.0}, "ema_decay")]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            GANTrainer(g, d, device="cpu", **kwargs)
    with pytest.raises(ValueError, match="BatchNorm"):
        GANTrainer(models.DCGANGenerator(width=4), models.DCGANDiscriminator(width=4), objective="wgan-gp")
    GANTrainer(models.DCGANGenerator(width=4), models.DCGANDiscriminator(width=4, batch_norm=False), objective="wgan-gp")
    with pytest.raises(TypeError, match="latent_dim"):
        GANTrainer(torch.nn.Linear(2, 2), d)
    trainer = GANTrainer(g, d, device="cpu")
    with pytest.raises(ValueError, match="non-negative"):
        trainer.fit(_stream(), -1)
    with pytest.raises(ValueError, match="steps=None needs a callback"):
        trainer.fit(_stream(), None)
    with pytest.raises(ValueError, match="stateless callbacks"):
        trainer.fit(_stream(), 1, callbacks=[WeightAverage(0.9)])


# ---- data: any finite or endless source --------------------------------------------------------------------
def test_the_loop_restarts_finite_data_and_takes_one_item_lists():
    images = torch.rand(40, 2) * 2 - 1
    loader = DataLoader(TensorDataset(images), batch_size=16, shuffle=True, drop_last=True)  # yields [x], 2 a pass
    trainer = GANTrainer(*_toy_pair(), device="cpu")
    assert len(trainer.fit(loader, 7, progress=False)) == 7
    labelled = DataLoader(TensorDataset(images, torch.zeros(40, dtype=torch.long)), batch_size=8)
    assert len(trainer.fit(labelled, 6, progress=False)) == 13  # (images, labels): an unconditional GAN ignores labels
    with pytest.raises(ValueError, match="yielded no batches"):
        trainer.fit(DataLoader(TensorDataset(images), batch_size=64, drop_last=True), 1, progress=False)
    with pytest.raises(ValueError, match="ran out of batches"):
        trainer.fit(iter([images[:8]] * 2), 3, progress=False)


def test_conditional_training_and_sampling():
    images = torch.rand(64, 1, 28, 28) * 2 - 1
    labels = torch.arange(64) % 10
    g = models.MLPGenerator(8, (1, 28, 28), hidden=(32,), num_classes=10)
    d = models.MLPDiscriminator((1, 28, 28), hidden=(32,), num_classes=10)
    trainer = GANTrainer(g, d, snapshot_every=2, snapshot_count=20, device="cpu")
    trainer.fit(data.Batches(images, labels, 16), 3, progress=False)
    assert trainer.sample(10).shape == (10, 1, 28, 28)
    with pytest.raises(ValueError, match="labelled data"):
        trainer.fit(data.Batches(images, None, 16), 1, progress=False)


# ---- history and callbacks ---------------------------------------------------------------------------------
def test_history_records_monitoring_metrics_and_snapshots():
    g, d = _toy_pair()
    trainer = GANTrainer(g, d, snapshot_every=4, snapshot_count=9, device="cpu")
    history = trainer.fit(_stream(), 10, progress=False)
    for key in ("loss_d", "loss_g", "d_real", "d_fake", "d_accuracy", "grad_norm_d", "grad_norm_g", "time"):
        assert len(history[key]) == 10
    assert all(0 <= p <= 1 for p in history["d_real"] + history["d_fake"] + history["d_accuracy"])
    assert [s for s, _ in history.snapshots] == [0, 4, 8, 10]
    assert history.snapshots[0][1].shape == (9, 2)
    assert history["time"] == sorted(history["time"]) and history["step"] == list(range(1, 11))
    with pytest.raises(KeyError, match="no metric 'fid'"):
        history["fid"]


def test_each_value_keeps_its_step_so_rare_metrics_line_up_with_the_losses():
    trainer = GANTrainer(*_toy_pair(), device="cpu", log_every=2)
    probe = Evaluate(lambda t: {"probe": t.step * 10.0}, every=3)
    history = trainer.fit(_stream(), 9, callbacks=[probe], progress=False)
    steps, values = history.series("probe")
    assert steps.tolist() == [3, 6, 9] and values.tolist() == [30.0, 60.0, 90.0]
    assert history.series("loss_d")[0].tolist() == [2, 4, 6, 8, 9]  # every 2nd step, and the last
    assert history.steps["loss_d"] == history["step"]


def test_evaluate_at_listed_steps_and_refuses_unclear_schedules():
    trainer = GANTrainer(*_toy_pair(), device="cpu")
    history = trainer.fit(_stream(), 9, callbacks=[Evaluate(lambda t: {"probe": t.step * 1.0}, at=[7, 2, 2])],
                          progress=False)
    assert history.series("probe")[0].tolist() == [2, 7]
    with pytest.raises(ValueError, match="either every=N or at="):
        Evaluate(lambda t: {}, every=3, at=[2])
    with pytest.raises(ValueError, match="either every=N or at="):
        Evaluate(lambda t: {})
    with pytest.raises(ValueError, match="≥ 1"):
        Evaluate(lambda t: {}, at=[0, 4])


def test_history_roundtrip_and_truncate():
    h = History()
    h.log(1, step=1, loss_d=0.5)
    h.log(2, step=2, loss_d=0.4)
    h.snapshots += [(1, torch.zeros(2, 2)), (2, torch.ones(2, 2))]
    h2 = History.from_dict(h.to_dict())
    assert h2["loss_d"] == [0.5, 0.4] and len(h2) == 2 and torch.equal(h2.snapshots[0][1], torch.zeros(2, 2))
    h2.truncate(1)
    assert h2["loss_d"] == [0.5] and h2.steps["loss_d"] == [1] and len(h2.snapshots) == 1


def test_time_budget_ends_a_fit():
    trainer = GANTrainer(*_toy_pair(), device="cpu")
    # 2 s, not less: under a loaded test run the moments before the first step once used up a 0.3 s budget
    trainer.fit(_stream(), None, callbacks=[TimeBudget(2.0)], progress=False)
    assert trainer.step > 0 and "time budget" in trainer.ended_by and trainer.history.stop_reason is None
    assert trainer.callbacks == []  # the budget acted for that fit only


def test_generator_weight_average_follows_the_formula_and_is_what_sample_uses():
    """ema_t = β_t·ema_{t−1} + (1 − β_t)·G_t with β_t = min(β, (1 + t)/(10 + t)), written out by hand."""
    decay, steps = 0.9, 6
    g, d = _toy_pair()
    trainer = GANTrainer(g, d, ema_decay=decay, seed=0, device="cpu")
    expected = [p.detach().clone() for p in g.parameters()]
    stream = iter(_stream())
    for t in range(steps):
        trainer.fit(stream, 1, progress=False)
        beta = min(decay, (1 + t) / (10 + t))
        expected = [beta * e + (1 - beta) * p.detach() for e, p in zip(expected, g.parameters())]
    for e, p, q in zip(expected, trainer.generator_ema.parameters(), g.parameters()):
        assert torch.allclose(e, p, atol=1e-6) and not torch.equal(p, q) and not p.requires_grad
    z = torch.randn(5, 2, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.equal(trainer.sample(5, seed=1), trainer.generator_ema(z))


def test_private_foreach_calls_have_an_identical_public_fallback(monkeypatch):
    def run():
        trainer = GANTrainer(*_toy_pair(), ema_decay=0.9, device="cpu")
        trainer.fit(_stream(), 5, progress=False)
        return _weights(trainer), trainer.history["grad_norm_d"]

    fast = run()
    monkeypatch.setattr(tensor_ops, "_fused", lambda name: None)  # as on a torch without torch._foreach_*
    slow = run()
    assert _same(fast[0], slow[0]) and fast[1] == pytest.approx(slow[1], rel=1e-6)
    targets, sources = [torch.zeros(3)], [torch.ones(3)]
    tensor_ops.lerp_all(targets, sources, 0.25)
    tensor_ops.copy_all(sources, targets)
    assert torch.equal(sources[0], torch.full((3,), 0.25)) and tensor_ops.total_norm([]).item() == 0


def test_no_item_call_per_step_and_one_host_copy_per_logged_step(monkeypatch):
    # SGD: torch's Adam reads its CPU step counters with .item() (no device sync); the loop itself must not
    trainer = GANTrainer(*_toy_pair(), optimizer="sgd", r1_weight=0.1, ema_decay=0.9, device="cpu", log_every=4)
    copies = []
    real_tolist = torch.Tensor.tolist

    def counting_tolist(self):
        copies.append(1)
        return real_tolist(self)

    def no_item(self):
        raise AssertionError(".item() called in the training loop")

    monkeypatch.setattr(torch.Tensor, "item", no_item)
    monkeypatch.setattr(torch.Tensor, "tolist", counting_tolist)
    trainer.fit(_stream(), 12, progress=False)
    assert len(copies) == 3 and trainer.step == 12


# ---- trustworthy stops -------------------------------------------------------------------------------------
def test_nan_in_the_first_discriminator_step_restores_the_last_finite_state():
    trainer = GANTrainer(*_toy_pair(), device="cpu")
    nan_at_step_4 = _batches_with(3, lambda b: torch.full_like(b, float("nan")))
    with pytest.warns(RuntimeWarning, match="stopped at step 4: loss_d became nan.*restored.*after step 3"):
        history = trainer.fit(nan_at_step_4, 5, progress=False)
    assert trainer.step == 3 and len(history) == 3 and history.stop_reason.startswith("stopped at step 4")
    assert _same(_weights(trainer), _weights(_reference(3)))


def test_nan_in_the_second_of_k_critic_steps_leaves_neither_network_half_updated():
    trainer = GANTrainer(*_toy_pair(), critic_steps=2, device="cpu")
    nan_second_batch_of_step_3 = _batches_with(5, lambda b: torch.full_like(b, float("inf")))
    with pytest.warns(RuntimeWarning, match="at step 3"):
        trainer.fit(nan_second_batch_of_step_3, 6, progress=False)
    reference = _reference(2, k=2)
    assert trainer.step == 2 and _same(_weights(trainer), _weights(reference))
    assert _same(list(trainer.d_opt.state_dict()["state"][0].values()), list(reference.d_opt.state_dict()["state"][0].values()))
    trainer.fit(_stream(5), 2, progress=False)  # and it trains again afterwards
    assert trainer.step == 4 and trainer.history.stop_reason is None and all(map(math.isfinite, trainer.history["loss_g"]))


def test_nan_in_the_generator_step_and_the_first_step():
    calls = {"n": 0}

    def poisoned(fake_logits):
        calls["n"] += 1
        return losses.generator_loss_nonsaturating(fake_logits) * (float("nan") if calls["n"] == 4 else 1.0)

    trainer = GANTrainer(*_toy_pair(), objective=get_objective("gan").with_generator_loss(poisoned), device="cpu")
    with pytest.warns(RuntimeWarning, match="loss_g became nan"):
        trainer.fit(_stream(), 10, progress=False)
    assert trainer.step == 3 and _same(_weights(trainer), _weights(_reference(3)))
    # a NaN in the very first step: back to the untrained networks, optimizer state discarded
    fresh = GANTrainer(*_toy_pair(), device="cpu")
    untrained = _weights(fresh)
    with pytest.warns(RuntimeWarning, match="after step 0"):
        fresh.fit(_batches_with(0, lambda b: b * float("nan")), 3, progress=False)
    assert fresh.step == 0 and _same(_weights(fresh), untrained) and not fresh.d_opt.state


def test_nan_between_logged_steps_is_still_caught_and_rolled_back_to_the_last_check():
    trainer = GANTrainer(*_toy_pair(), device="cpu", log_every=3)
    with pytest.warns(RuntimeWarning, match="at step 6: a logged value became NaN.*restored to those after step 3"):
        trainer.fit(_batches_with(4, lambda b: torch.full_like(b, float("nan"))), 9, progress=False)
    assert trainer.step == 3 and len(trainer.history) == 1 and _same(_weights(trainer), _weights(_reference(3)))


def test_ctrl_c_is_honoured_at_a_step_boundary(capsys):
    """A real SIGINT during the 2nd critic batch of step 3: step 3 completes, then the fit stops."""
    trainer = GANTrainer(*_toy_pair(), critic_steps=2, device="cpu")

    def press_ctrl_c(batch):
        os.kill(os.getpid(), signal.SIGINT)
        return batch

    before = signal.getsignal(signal.SIGINT)  # Python's default, or SIG_IGN in a shell's background job
    history = trainer.fit(_batches_with(5, press_ctrl_c), 10, progress=False)
    assert trainer.step == 3 and len(history) == 3 and "interrupted" in history.stop_reason
    assert "interrupted" in capsys.readouterr().out
    assert _same(_weights(trainer), _weights(_reference(3, k=2)))
    assert signal.getsignal(signal.SIGINT) is before  # the caller's handler is put back
    trainer.fit(_stream(3), 2, progress=False)
    assert trainer.step == 5 and history.stop_reason is None


def test_an_interrupt_inside_a_step_undoes_that_step():
    """KeyboardInterrupt raised mid-step (e.g. a second Ctrl-C): D must not stay updated without G."""
    trainer = GANTrainer(*_toy_pair(), critic_steps=2, ema_decay=0.9, device="cpu", snapshot_every=1)

    def interrupt(batch):
        raise KeyboardInterrupt

    history = trainer.fit(_batches_with(5, interrupt), 10, progress=False)
    reference = _reference(2, k=2, ema_decay=0.9)
    assert trainer.step == 2 and len(history) == 2 and [s for s, _ in history.snapshots] == [0, 1, 2]
    assert _same(_weights(trainer), _weights(reference)) and "was undone" in history.stop_reason
    trainer.fit(_stream(), 1, progress=False)
    assert trainer.step == 3


# ---- checkpoints -------------------------------------------------------------------------------------------
def test_checkpoint_roundtrip_resumes_identically(tmp_path):
    path = tmp_path / "run" / "ckpt.pt"
    g, d = _toy_pair()
    trainer = GANTrainer(g, d, snapshot_every=5, ema_decay=0.99, device="cpu")
    trainer.fit(_stream(), 5, progress=False, checkpoint=path, checkpoint_every=5)
    assert path.is_file() and not list(path.parent.glob(".*.tmp"))
    g2, d2 = _toy_pair(seed=99)
    resumed = GANTrainer(g2, d2, snapshot_every=5, ema_decay=0.99, device="cpu")
    resumed.load(path)
    assert resumed.step == 5 and len(resumed.history) == 5 and len(resumed.history.snapshots) == 2
    assert _same(_weights(trainer), _weights(resumed))
    # continuing both gives the same weights: optimiser state and noise stream were restored
    trainer.fit(_stream(7), 3, progress=False)
    resumed.fit(_stream(7), 3, progress=False)
    assert _same(_weights(trainer), _weights(resumed))


def test_a_checkpoint_carries_what_rebuilds_the_run(tmp_path):
    trainer = GANTrainer(*_toy_pair(), objective="hinge", critic_steps=2, lr_g=1e-4, lr_d=4e-4, betas=(0.0, 0.9),
                         seed=7, ema_decay=0.99, device="cpu")
    trainer.fit(_stream(), 2, progress=False)
    state = load_checkpoint(trainer.save(tmp_path / "c.pt"))  # weights_only=True
    config = state["config"]
    assert {k: config[k] for k in ("family", "objective", "critic_steps", "lr_g", "lr_d", "seed")} == \
        {"family": "gan", "objective": "hinge", "critic_steps": 2, "lr_g": 1e-4, "lr_d": 4e-4, "seed": 7}
    assert tuple(config["betas"]) == (0.0, 0.9) and config["callbacks"] == {"WeightAverage": {"ema_decay": 0.99}}
    assert state["rng"].device.type == "cpu" and state["rng"].dtype == torch.uint8  # loads on any device
    rebuilt_g, rebuilt_d = models.from_config(config["generator"]), models.from_config(config["discriminator"])
    options = {k: config[k] for k in ("objective", "critic_steps", "lr_g", "lr_d", "betas", "seed")}
    rebuilt = GANTrainer(rebuilt_g, rebuilt_d, ema_decay=0.99, device="cpu", **options)
    rebuilt.load(tmp_path / "c.pt")
    assert _same(_weights(rebuilt), _weights(trainer))
    with pytest.raises(ValueError, match="not a model class"):
        models.from_config({"class": "os"})


def test_a_checkpoint_that_does_not_fit_changes_nothing_and_says_what_differs(tmp_path, monkeypatch):
    source = GANTrainer(*_toy_pair(), ema_decay=0.99, device="cpu")
    source.fit(_stream(), 3, progress=False)
    source.save(tmp_path / "a.pt")
    target = GANTrainer(*_toy_pair(5), objective="hinge", device="cpu")
    target.fit(_stream(), 2, progress=False)
    before, history = _weights(target), target.history
    with pytest.raises(ValueError, match=r"(?s)(?=.*objective: checkpoint 'gan', this trainer 'hinge')(?=.*ema_decay).*nothing was changed"):
        target.load(tmp_path / "a.pt")
    wider = GANTrainer(models.MLPGenerator(2, 2, hidden=(32, 16), tanh_output=False),
                       models.MLPDiscriminator(2, hidden=(16, 16)), ema_decay=0.99, device="cpu")
    with pytest.raises(ValueError, match=r"shape \(16, 2\) in the checkpoint, \(32, 2\) here"):
        wider.load(tmp_path / "a.pt")
    assert _same(_weights(target), before) and target.history is history and target.step == 2
    # a failure half-way through loading (after the weights) is undone too
    same = GANTrainer(*_toy_pair(5), ema_decay=0.99, device="cpu")
    untouched = _weights(same)
    monkeypatch.setattr(same.d_opt, "load_state_dict", lambda state: (_ for _ in ()).throw(RuntimeError("disk error")))
    with pytest.raises(RuntimeError, match="disk error"):
        same.load(tmp_path / "a.pt")
    assert _same(_weights(same), untouched) and same.step == 0
    with pytest.raises(ValueError, match="not a gancourse-trainer-2 checkpoint"):
        same.load_state_dict({"generator": {}})


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_cpu_checkpoint_continues_on_cuda_and_back(tmp_path):
    cpu = GANTrainer(*_toy_pair(), device="cpu")
    cpu.fit(_stream(), 3, progress=False)
    cpu.save(tmp_path / "cpu.pt")
    gpu = GANTrainer(*_toy_pair(1), device="cuda")
    gpu.load(tmp_path / "cpu.pt")
    gpu.fit(_stream(), 2, progress=False)
    gpu.save(tmp_path / "gpu.pt")
    back = GANTrainer(*_toy_pair(2), device="cpu")
    back.load(tmp_path / "gpu.pt")
    assert back.step == 5 and all(math.isfinite(v) for v in back.history["loss_d"])


# ---- another family on the same loop -----------------------------------------------------------------------
class _InfoDiscriminator(torch.nn.Module):
    """A shared body with two heads: D's logit and Q's guess of the codes (4 category logits + 1 value)."""

    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.LeakyReLU(0.2), torch.nn.Linear(64, 64),
                                        torch.nn.LeakyReLU(0.2))
        self.d_head, self.q_head = torch.nn.Linear(64, 1), torch.nn.Linear(64, 5)

    def forward(self, x):
        h = self.body(x)
        return self.d_head(h).squeeze(1), self.q_head(h)


def test_infogan_trains_on_the_same_loop_and_its_codes_become_readable(tmp_path):
    torch.manual_seed(0)
    generator = models.MLPGenerator(2 + 4 + 1, 2, hidden=(64, 64), tanh_output=False)
    family = InfoGAN(generator, _InfoDiscriminator(), categories=4, continuous=1, lr_g=1e-3, lr_d=1e-3)
    trainer = Trainer(family, callbacks=[Snapshots(every=100, count=8)], device="cpu")
    history = trainer.fit(_stream(batch=128), 400, progress=False)
    early, late = sum(history["info_g"][:20]) / 20, sum(history["info_g"][-20:]) / 20
    assert early > 1.0 and late < 0.5 * early  # ln 4 = 1.39 for unreadable codes
    means = torch.stack([family.sample(500, category=torch.full((500,), c), seed=c).mean(0) for c in range(4)])
    assert torch.cdist(means, means).topk(2, dim=1, largest=False).values[:, 1].min() > 0.1  # categories differ
    asked = torch.arange(400) % 4
    read, continuous = family.read_codes(family.sample(400, category=asked, seed=5), batch_size=64)
    assert read.shape == (400,) and continuous.shape == (400, 1) and family.discriminator.training
    assert (read == asked).float().mean() > 0.9  # Q reads back the category each sample was drawn with
    assert [s for s, _ in history.snapshots] == [0, 100, 200, 300, 400]
    trainer.save(tmp_path / "info.pt")
    assert load_checkpoint(tmp_path / "info.pt")["config"]["categories"] == 4
    with pytest.raises(ValueError, match="latent_dim"):
        InfoGAN(models.MLPGenerator(5, 2), _InfoDiscriminator(), categories=4, continuous=1)


def test_setting_a_family_attribute_on_the_trainer_is_refused():
    trainer = GANTrainer(*_toy_pair(), device="cpu")
    assert trainer.lr_g == trainer.family.lr_g == 2e-4  # reads fall through to the family
    with pytest.raises(AttributeError, match="no setting 'g_loss_fn'"):
        trainer.g_loss_fn = losses.generator_loss_saturating
    trainer.elapsed = 1.0  # the trainer's own attributes stay writable


def test_the_loop_refuses_what_is_not_a_family():
    with pytest.raises(TypeError, match="Family"):
        Trainer(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="log_every"):
        Trainer(GAN(*_toy_pair()), log_every=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # building a trainer warns about nothing
        Trainer(GAN(*_toy_pair()), device="cpu")
