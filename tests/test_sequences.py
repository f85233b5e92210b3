"""The discrete-sequence task: the Markov oracle, the Gumbel-softmax sample, the GRU generator, the three training
families, the scores, notebook 09's Gumbel-softmax check and its hand-written SeqGAN loss against the package's."""

import math
from pathlib import Path

import pytest
import torch

from gancourse import sequences
from gancourse.checks import nb09
from gancourse.config import seeded
from gancourse.data import Batches
from gancourse.training.loop import Trainer
from notebook_code import notebook_function

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "09_applications.ipynb"


@pytest.fixture(scope="module")
def oracle():
    return sequences.MarkovOracle(vocab=5, length=8, concentration=0.5, seed=0)


def test_oracle_is_a_distribution_and_leaves_the_global_rng_alone(oracle):
    assert torch.allclose(oracle.transition.sum(1), torch.ones(5, dtype=torch.float64))
    assert oracle.start.sum().item() == pytest.approx(1.0)
    state = torch.get_rng_state()
    sequences.MarkovOracle(seed=3)
    assert torch.equal(state, torch.get_rng_state())
    assert torch.equal(sequences.MarkovOracle(seed=3).transition, sequences.MarkovOracle(seed=3).transition)


def test_likelihood_and_entropy_rate(oracle):
    x = torch.tensor([[0, 1, 2, 3, 4, 0, 1, 2]])
    manual = math.log(oracle.start[0]) + sum(math.log(oracle.transition[a, b]) for a, b in zip(x[0, :-1], x[0, 1:]))
    assert oracle.log_likelihood(x).item() == pytest.approx(manual)
    samples = oracle.sample(20000, seed=1)
    assert samples.shape == (20000, 8) and samples.dtype == torch.int64
    # the oracle NLL of its own samples estimates the exact entropy rate
    assert sequences.oracle_nll(oracle, samples) == pytest.approx(oracle.entropy_rate(), abs=0.01)
    with pytest.raises(ValueError, match="length"):
        oracle.log_likelihood(samples[:, :4])
    with pytest.raises(ValueError, match="tokens must lie"):
        oracle.log_likelihood(samples + 10)


def test_gumbel_softmax_sample_is_the_gumbel_max_trick_relaxed():
    gen = torch.Generator().manual_seed(0)
    logits = torch.tensor([1.0, 0.0, -1.0, 0.5])
    uniform = torch.rand(40000, 4, generator=gen)
    soft = sequences.gumbel_softmax_sample(logits.expand(40000, 4), 1.0, uniform)
    assert torch.allclose(soft.sum(1), torch.ones(40000))
    # argmax of the (or of any τ's) sample is distributed as softmax(logits)
    frequencies = torch.bincount(soft.argmax(1), minlength=4).float() / 40000
    assert torch.allclose(frequencies, torch.softmax(logits, 0), atol=0.01)
    cold = sequences.gumbel_softmax_sample(logits.expand(40000, 4), 0.01, uniform)
    assert (cold.max(1).values > 0.99).float().mean() > 0.95          # τ → 0: nearly one-hot
    with pytest.raises(ValueError, match="temperature"):
        sequences.gumbel_softmax_sample(logits, 0.0, uniform[0])


def _generator(seed=0, vocab=5, length=8):
    with seeded(seed):
        return sequences.SequenceGenerator(vocab=vocab, length=length, embedding=8, hidden=16)


def test_generator_probabilities_sampling_and_completion():
    g = _generator()
    x = torch.randint(5, (6, 8), generator=torch.Generator().manual_seed(0))
    logits = g(x)
    assert logits.shape == (6, 8, 5)
    # log q(x) = Σ_t log softmax at the tokens, and the probabilities of all sequences of length 2 sum to 1
    short = _generator(length=2)
    every = torch.cartesian_prod(torch.arange(5), torch.arange(5))
    assert short.log_prob(every).exp().sum().item() == pytest.approx(1.0, abs=1e-5)
    assert g.nll(x) == pytest.approx(-g.log_prob(x).mean().item() / 8, rel=1e-5)
    prefixes = torch.randint(5, (10, 8), generator=torch.Generator().manual_seed(1))
    kept = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 8])
    done = g.complete(prefixes, kept, torch.Generator().manual_seed(2))
    for i, k in enumerate(kept.tolist()):
        assert torch.equal(done[i, :k], prefixes[i, :k])
    assert torch.equal(g.sample(4, torch.Generator().manual_seed(3)), g.sample(4, torch.Generator().manual_seed(3)))


def test_mle_learns_the_chain(oracle):
    data = oracle.sample(2000, seed=1)
    held = oracle.sample(500, seed=2)
    g = _generator()
    before = g.nll(held)
    Trainer(sequences.SequenceMLE(g, seed=0), device="cpu").fit(Batches(data, None, 64, seed=0), 150, progress=False)
    after = g.nll(held)
    assert after < before - 0.2 and after < oracle.entropy_rate() + 0.1
    scores = sequences.sequence_scores(oracle, g, held, n=1000)
    assert scores["reverse_kl"] > -0.05 and abs(scores["forward_kl"] - (after - oracle.entropy_rate())) < 1e-6
    # a sharpened sampler (τ < 1) is a different q: the held-out data are less likely under it
    sharp = sequences.sequence_scores(oracle, g, held, n=1000, temperature=0.5)
    with torch.no_grad():
        expected = float(-g.log_prob(held, 0.5).mean()) / oracle.length
    assert abs(sharp["held_nll"] - expected) < 1e-6 and sharp["forward_kl"] > scores["forward_kl"] + 0.05


def _seqgan(rollouts):
    """A small generator and the SeqGAN family around it (a fixed discriminator initialisation)."""
    g = _generator()
    with seeded(1):
        d = sequences.SequenceDiscriminator(vocab=5, width=8)
    return g, sequences.SeqGAN(g, d, rollouts=rollouts, seed=0)


def test_seqgan_rewards_and_step(oracle):
    data = oracle.sample(256, seed=1)
    g, family = _seqgan(rollouts=3)
    d = family.discriminator
    fake = g.sample(6, torch.Generator().manual_seed(0))
    q = family.rewards(fake)
    assert q.shape == (6, 8) and (q > 0).all() and (q < 1).all()
    assert torch.allclose(q[:, -1], torch.sigmoid(d(fake)))
    trainer = Trainer(family, device="cpu")
    trainer.fit(Batches(data, None, 32, seed=0), 2, progress=False)
    assert {"loss_d", "loss_g", "reward", "d_accuracy"} <= set(trainer.history.keys())
    with pytest.raises(ValueError, match="rollouts"):
        sequences.SeqGAN(g, d, rollouts=0)


def test_gumbel_gan_passes_a_gradient_through_one_hot_tokens(oracle):
    g = _generator()
    with seeded(1):
        d = sequences.SequenceDiscriminator(vocab=5, width=8)
    family = sequences.GumbelSoftmaxGAN(g, d, temperature=0.7, seed=0)
    tokens = family.relaxed_sample(4)
    assert tokens.shape == (4, 8, 5)
    one_hot = torch.nn.functional.one_hot(tokens.detach().argmax(2), 5).float()
    assert torch.allclose(tokens.detach(), one_hot, atol=1e-6)  # one-hot forward (up to rounding of hard + soft − soft)
    d(tokens).sum().backward()
    assert g.out.weight.grad is not None and g.out.weight.grad.abs().sum() > 0
    Trainer(family, device="cpu").fit(Batches(oracle.sample(64, seed=1), None, 16, seed=0), 2, progress=False)
    with pytest.raises(ValueError, match="temperature"):
        sequences.GumbelSoftmaxGAN(g, d, temperature=0)
    with pytest.raises(TypeError, match="SequenceGenerator"):
        sequences.SequenceMLE(torch.nn.Linear(2, 2))


def test_notebook_seqgan_loss_is_the_package_loss():
    seqgan_generator_loss = notebook_function(NOTEBOOK, "seqgan_generator_loss", {"torch": torch})
    g, family = _seqgan(rollouts=2)
    fake = g.sample(5, torch.Generator().manual_seed(0))
    q = family.rewards(fake)
    assert seqgan_generator_loss(g, fake, q).item() == pytest.approx(family.policy_gradient_loss(fake, q).item(), rel=1e-6)


# ---- the exercise check ----------------------------------------------------------------------------------------
def test_gumbel_check_both_ways(capsys):
    def right(logits, temperature, uniform):
        return torch.softmax((logits - torch.log(-torch.log(uniform))) / temperature, dim=-1)

    def no_temperature(logits, temperature, uniform):
        return torch.softmax(logits - torch.log(-torch.log(uniform)), dim=-1)

    def temperature_on_logits_only(logits, temperature, uniform):
        return torch.softmax(logits / temperature - torch.log(-torch.log(uniform)), dim=-1)

    def no_noise(logits, temperature, uniform):
        return torch.softmax(logits / temperature, dim=-1)

    def hard(logits, temperature, uniform):
        return torch.nn.functional.one_hot((logits - torch.log(-torch.log(uniform))).argmax(-1), logits.shape[-1]).float()

    def unattempted(logits, temperature, uniform):
        ...

    assert nb09.check_gumbel_softmax(right)
    assert not nb09.check_gumbel_softmax(no_temperature)
    assert "temperature" in capsys.readouterr().out
    assert not nb09.check_gumbel_softmax(temperature_on_logits_only)
    assert not nb09.check_gumbel_softmax(no_noise)
    assert "noise is missing" in capsys.readouterr().out
    assert not nb09.check_gumbel_softmax(hard)
    assert "no gradient" in capsys.readouterr().out
    assert not nb09.check_gumbel_softmax(unattempted)
    assert "not attempted" in capsys.readouterr().out
