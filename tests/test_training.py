import warnings

import pytest
import torch

from gancourse import data, losses, models, toy
from gancourse.checkpoints import load_checkpoint
from gancourse.training import GANTrainer, History


def _toy_pair(seed=0):
    torch.manual_seed(seed)
    return models.MLPGenerator(2, 2, hidden=(16, 16), tanh_output=False), models.MLPDiscriminator(2, hidden=(16, 16))


def _stream(seed=0, batch=64):
    return toy.ToyStream.from_2d("ring", batch_size=batch, seed=seed)


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
    assert trainer.history["loss_g"][-1] == pytest.approx(loss_g.item())


def test_same_seed_same_result_on_cpu():
    runs = []
    for _ in range(2):
        g, d = _toy_pair(0)
        trainer = GANTrainer(g, d, seed=0, device="cpu")
        trainer.fit(_stream(), 10, progress=False)
        runs.append(trainer.sample(5, seed=1))
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


def test_history_records_monitoring_metrics_and_snapshots():
    g, d = _toy_pair()
    trainer = GANTrainer(g, d, snapshot_every=4, snapshot_count=9, device="cpu")
    history = trainer.fit(_stream(), 10, progress=False)
    for key in ("loss_d", "loss_g", "d_real", "d_fake", "d_accuracy", "grad_norm_d", "grad_norm_g", "time"):
        assert len(history[key]) == 10
    assert all(0 <= p <= 1 for p in history["d_real"] + history["d_fake"] + history["d_accuracy"])
    assert [s for s, _ in history.snapshots] == [0, 4, 8, 10]
    assert history.snapshots[0][1].shape == (9, 2)
    assert history["time"] == sorted(history["time"])
    with pytest.raises(KeyError, match="no metric 'fid'"):
        history["fid"]


@pytest.mark.parametrize("objective", ["gan-saturating", "wgan", "wgan-gp", "hinge"])
def test_other_objectives_run_and_log_what_they_should(objective):
    g, d = _toy_pair()
    kwargs = {"optimizer": "rmsprop", "lr_d": 5e-5, "lr_g": 5e-5} if objective == "wgan" else {}
    trainer = GANTrainer(g, d, objective=objective, critic_steps=3, device="cpu", **kwargs)
    history = trainer.fit(_stream(), 4, progress=False)
    assert len(history) == 4
    if objective == "wgan":
        assert all(p.abs().max() <= 0.01 + 1e-7 for p in d.parameters())
    if objective.startswith("wgan"):
        assert "wasserstein" in history and "d_accuracy" not in history
    if objective == "wgan-gp":
        assert len(history["gradient_penalty"]) == 4


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


def test_nan_loss_stops_with_message_and_keeps_last_good_weights():
    g, d = _toy_pair()
    trainer = GANTrainer(g, d, device="cpu")
    trainer.fit(_stream(), 3, progress=False)
    before = [p.clone() for p in list(g.parameters()) + list(d.parameters())]
    poisoned = iter(lambda: torch.full((64, 2), float("nan")), None)
    with pytest.warns(RuntimeWarning, match="discriminator loss became nan.*after step 3"):
        history = trainer.fit(poisoned, 5, progress=False)
    assert "stopped at step 4" in history.stop_reason and len(history) == 3
    assert all(torch.equal(a, b) for a, b in zip(before, list(g.parameters()) + list(d.parameters())))


def test_keyboard_interrupt_keeps_model_and_history(capsys):
    g, d = _toy_pair()
    trainer = GANTrainer(g, d, device="cpu")
    stream = iter(_stream())

    def interrupting():
        for i in range(100):
            if i == 6:
                raise KeyboardInterrupt
            yield next(stream)

    history = trainer.fit(interrupting(), 50, progress=False)
    assert len(history) == 6 and trainer.step == 6
    assert "interrupted" in history.stop_reason and "interrupted" in capsys.readouterr().out


def test_checkpoint_roundtrip_resumes_identically(tmp_path):
    path = tmp_path / "run" / "ckpt.pt"
    g, d = _toy_pair()
    trainer = GANTrainer(g, d, snapshot_every=5, device="cpu")
    trainer.fit(_stream(), 5, progress=False, checkpoint=path, checkpoint_every=5)
    assert path.is_file() and not list(path.parent.glob(".*.tmp"))
    g2, d2 = _toy_pair(seed=99)
    resumed = GANTrainer(g2, d2, snapshot_every=5, device="cpu")
    resumed.load(path)
    assert resumed.step == 5 and len(resumed.history) == 5 and len(resumed.history.snapshots) == 2
    assert all(torch.equal(a, b) for a, b in zip(g.state_dict().values(), g2.state_dict().values()))
    # continuing both gives the same weights: optimiser state and noise stream were restored
    trainer.fit(_stream(7), 3, progress=False)
    resumed.fit(_stream(7), 3, progress=False)
    assert all(torch.equal(a, b) for a, b in zip(g.parameters(), g2.parameters()))
    assert load_checkpoint(path)["step"] == 5  # plain tensors and containers: weights_only loading works


def test_checkpoint_of_other_objective_is_refused(tmp_path):
    g, d = _toy_pair()
    GANTrainer(g, d, device="cpu").save(tmp_path / "a.pt")
    with pytest.raises(ValueError, match="objective"):
        GANTrainer(g, d, objective="hinge", device="cpu").load(tmp_path / "a.pt")


def test_bad_trainer_arguments():
    g, d = _toy_pair()
    with pytest.raises(ValueError, match="Unknown objective"):
        GANTrainer(g, d, objective="lsgan")
    with pytest.raises(ValueError, match="critic_steps"):
        GANTrainer(g, d, critic_steps=0)
    with pytest.raises(ValueError, match="label_smoothing"):
        GANTrainer(g, d, objective="wgan", label_smoothing=0.1)
    with pytest.raises(ValueError, match="optimizer"):
        GANTrainer(g, d, optimizer="lbfgs")
    with pytest.raises(TypeError, match="latent_dim"):
        GANTrainer(torch.nn.Linear(2, 2), d)
    with pytest.raises(ValueError, match="non-negative"):
        GANTrainer(g, d).fit(_stream(), -1)


def test_history_roundtrip():
    h = History()
    h.log(step=1, loss_d=0.5)
    h.snapshots.append((1, torch.zeros(2, 2)))
    h2 = History.from_dict(h.to_dict())
    assert h2["loss_d"] == [0.5] and len(h2) == 1 and torch.equal(h2.snapshots[0][1], torch.zeros(2, 2))


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


def test_generator_step_leaves_the_discriminator_trainable_and_untouched():
    g, d = _toy_pair()
    trainer = GANTrainer(g, d, seed=0, device="cpu")
    fake = g(torch.randn(8, 2))
    before = [p.detach().clone() for p in d.parameters()]
    trainer.generator_step(fake, None)
    assert all(p.requires_grad and p.grad is None for p in d.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, d.parameters()))


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
    with pytest.raises(ValueError, match="ema_decay"):
        GANTrainer(g, d, ema_decay=1.0)


def test_weight_average_is_checkpointed_and_must_match(tmp_path):
    g, d = _toy_pair()
    trainer = GANTrainer(g, d, ema_decay=0.99, device="cpu")
    trainer.fit(_stream(), 4, progress=False)
    trainer.save(tmp_path / "ema.pt")
    g2, d2 = _toy_pair(seed=5)
    resumed = GANTrainer(g2, d2, ema_decay=0.99, device="cpu")
    resumed.load(tmp_path / "ema.pt")
    assert all(torch.equal(a, b) for a, b in zip(trainer.generator_ema.parameters(), resumed.generator_ema.parameters()))
    with pytest.raises(ValueError, match="ema_decay"):
        GANTrainer(*_toy_pair(), device="cpu").load(tmp_path / "ema.pt")
