"""GANs for discrete sequences, on a tiny task whose true distribution is known (SeqGAN's oracle test in miniature).

The data are sequences of ``length`` tokens drawn from a known Markov chain (:class:`MarkovOracle`), so the
*oracle* can score any sequence exactly by its negative log-likelihood under the true process — SeqGAN's
synthetic "oracle" experiment (:cite:`yu2017seqgan`; there the oracle is a random LSTM).  Sampling a token is
a discrete choice with no gradient, so a discriminator's verdict cannot be back-propagated into the
generator as for images.  Three ways to train the same autoregressive GRU generator
(:class:`SequenceGenerator`):

- :class:`SequenceMLE` — maximum likelihood (teacher forcing), the baseline;
- :class:`SeqGAN` — the generator as a policy, D's probability "real" as its reward, the reward of an
  unfinished sequence estimated by Monte Carlo roll-outs, REINFORCE (policy gradient) (:cite:`yu2017seqgan`);
- :class:`GumbelSoftmaxGAN` — each token replaced by a straight-through Gumbel-softmax sample: one-hot in the
  forward pass, the gradient of a softmax relaxation in the backward pass (:cite:`jang2017gumbel`).

:func:`oracle_nll` (quality: how likely the samples are under the truth) and :meth:`SequenceGenerator.nll`
(coverage: how likely real held-out sequences are under the model) measure the result; the oracle's
:meth:`~MarkovOracle.entropy_rate` is the floor of both.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gancourse import losses
from gancourse.config import seeded
from gancourse.models import RecordsConfig, eval_mode
from gancourse.training.family import Family, frozen, make_optimizer, model_config

__all__ = ["MarkovOracle", "SequenceGenerator", "SequenceDiscriminator", "SequenceMLE", "SeqGAN",
           "GumbelSoftmaxGAN", "oracle_nll", "gumbel_softmax_sample", "sequence_scores"]


def _check_tokens(sequences: torch.Tensor, vocab: int) -> torch.Tensor:
    if not isinstance(sequences, torch.Tensor) or sequences.ndim != 2 or sequences.dtype != torch.int64:
        raise ValueError(f"sequences must be an int64 tensor (N, length), got "
                         f"{(tuple(sequences.shape), sequences.dtype) if isinstance(sequences, torch.Tensor) else type(sequences).__name__}")
    if sequences.numel() and (sequences.min() < 0 or sequences.max() >= vocab):
        raise ValueError(f"tokens must lie in 0..{vocab - 1}, got {sequences.min().item()}..{sequences.max().item()}")
    return sequences


class MarkovOracle:
    """A random first-order Markov chain over ``vocab`` tokens: a start distribution and a transition matrix,
    each row drawn from a Dirichlet(``concentration``) (small concentration → a few likely successors per token)."""

    def __init__(self, vocab: int = 8, length: int = 16, concentration: float = 0.3, seed: int = 0):
        if not (isinstance(vocab, int) and vocab >= 2) or not (isinstance(length, int) and length >= 2):
            raise ValueError(f"vocab and length must be integers ≥ 2, got {vocab!r} and {length!r}")
        if not concentration > 0:
            raise ValueError(f"concentration must be > 0, got {concentration!r}")
        self.vocab, self.length, self.seed = vocab, length, seed
        gen = torch.Generator().manual_seed(seed)
        dirichlet = torch.distributions.Dirichlet(torch.full((vocab,), float(concentration)))
        # Dirichlet samples through torch's global RNG: draw them inside a seeded block (the caller's RNG is untouched)
        with seeded(int(torch.randint(2**31 - 1, (1,), generator=gen))):
            self.start = dirichlet.sample().double().clamp_min(1e-12)
            self.transition = dirichlet.sample((vocab,)).double().clamp_min(1e-12)
        self.start /= self.start.sum()
        self.transition /= self.transition.sum(1, keepdim=True)

    def sample(self, n: int, seed: int = 0) -> torch.Tensor:
        """(n, length) int64 sequences drawn from the chain."""
        gen = torch.Generator().manual_seed(seed)
        tokens = [torch.multinomial(self.start.float(), n, replacement=True, generator=gen)]
        for _ in range(self.length - 1):
            tokens.append(torch.multinomial(self.transition[tokens[-1]].float(), 1, generator=gen).squeeze(1))
        return torch.stack(tokens, 1)

    def log_likelihood(self, sequences: torch.Tensor) -> torch.Tensor:
        """log p(x) of each sequence under the chain, shape (N,)."""
        _check_tokens(sequences, self.vocab)
        if sequences.shape[1] != self.length:
            raise ValueError(f"sequences must have length {self.length}, got {sequences.shape[1]}")
        logp = self.start.log()[sequences[:, 0]]
        return logp + self.transition.log()[sequences[:, :-1], sequences[:, 1:]].sum(1)

    def entropy_rate(self) -> float:
        """The exact expected negative log-likelihood per token of the chain's own sequences (nats): the floor of
        :func:`oracle_nll` for a sampler without mode dropping, and of a model's NLL on real data."""
        row_entropy = -(self.transition * self.transition.log()).sum(1)
        marginal, total = self.start, -(self.start * self.start.log()).sum()
        for _ in range(self.length - 1):
            total = total + (marginal * row_entropy).sum()
            marginal = marginal @ self.transition
        return float(total) / self.length


def oracle_nll(oracle: MarkovOracle, sequences: torch.Tensor) -> float:
    """Mean negative log-likelihood per token of ``sequences`` under the true chain (SeqGAN's NLL_oracle)."""
    return float(-oracle.log_likelihood(sequences).mean()) / oracle.length


def gumbel_softmax_sample(logits: torch.Tensor, temperature: float, uniform: torch.Tensor) -> torch.Tensor:
    """softmax((logits + g) / τ) with Gumbel noise g = −log(−log u) from given uniforms u (:cite:`jang2017gumbel`).

    As τ → 0 it approaches the one-hot of argmax(logits + g), an exact sample of softmax(logits) (the Gumbel-max
    trick); for τ > 0 it is differentiable in the logits."""
    if not temperature > 0:
        raise ValueError(f"temperature τ must be > 0, got {temperature!r}")
    if uniform.shape != logits.shape:
        raise ValueError(f"uniform must have the logits' shape {tuple(logits.shape)}, got {tuple(uniform.shape)}")
    gumbel = -torch.log(-torch.log(uniform.clamp(1e-10, 1 - 1e-7)))
    return torch.softmax((logits + gumbel) / temperature, dim=-1)


class SequenceGenerator(RecordsConfig):
    """An autoregressive GRU over ``vocab`` tokens: a learned start state, token embeddings, one GRU cell and a
    linear layer to the next token's logits.  Inputs may be token ids or (soft) one-hot vectors, which is what
    lets a Gumbel-softmax sample pass a gradient back through the embedding."""

    def __init__(self, vocab: int = 8, length: int = 16, embedding: int = 16, hidden: int = 32):
        super().__init__()
        for name, value in (("vocab", vocab), ("length", length), ("embedding", embedding), ("hidden", hidden)):
            if not (isinstance(value, int) and value >= 2):
                raise ValueError(f"{name} must be an integer ≥ 2, got {value!r}")
        self.vocab, self.length, self.hidden = vocab, length, hidden
        self.embed = nn.Linear(vocab, embedding, bias=False)  # one-hot (or soft one-hot) → embedding
        self.start_input = nn.Parameter(torch.zeros(embedding))
        self.cell = nn.GRUCell(embedding, hidden)
        self.out = nn.Linear(hidden, vocab)

    def initial(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(hidden state, input) before the first token, for a batch of n."""
        h = torch.zeros(n, self.hidden, device=self.out.weight.device)
        return h, self.start_input.expand(n, -1)

    def step(self, h: torch.Tensor, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: new hidden state and the next token's logits."""
        h = self.cell(inputs, h)
        return h, self.out(h)

    def forward(self, sequences: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: logits (N, length, vocab) of each token given the true tokens before it."""
        _check_tokens(sequences, self.vocab)
        h, inputs = self.initial(len(sequences))
        one_hot = F.one_hot(sequences, self.vocab).float()
        logits = []
        for t in range(sequences.shape[1]):
            h, step_logits = self.step(h, inputs)
            logits.append(step_logits)
            inputs = self.embed(one_hot[:, t])
        return torch.stack(logits, 1)

    def nll(self, sequences: torch.Tensor) -> float:
        """Mean negative log-likelihood per token of ``sequences`` under the model (nats), without gradients."""
        with torch.no_grad():
            logits = self(sequences.to(self.out.weight.device))
            return float(F.cross_entropy(logits.flatten(0, 1), sequences.flatten().to(logits.device)))

    def log_prob(self, sequences: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        """log q(x) of each sequence under the model sampled at ``temperature`` (logits / τ), shape (N,)."""
        logits = self(sequences) / temperature
        return torch.log_softmax(logits, -1).gather(2, sequences.unsqueeze(2)).squeeze(2).sum(1)

    def sample(self, n: int, generator: torch.Generator | None = None, temperature: float = 1.0) -> torch.Tensor:
        """(n, length) token ids drawn from the model at ``temperature`` (no gradient); τ < 1 sharpens."""
        empty = torch.zeros(n, self.length, dtype=torch.int64, device=self.out.weight.device)
        return self.complete(empty, torch.zeros(n, dtype=torch.int64), generator, temperature)

    def complete(self, prefixes: torch.Tensor, kept: torch.Tensor, generator: torch.Generator | None = None,
                 temperature: float = 1.0) -> torch.Tensor:
        """Row i keeps its first ``kept[i]`` tokens of ``prefixes`` and the model draws the rest (no gradient):
        SeqGAN's roll-outs of many prefixes in one pass."""
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature!r}")
        _check_tokens(prefixes, self.vocab)
        with torch.no_grad():
            h, inputs = self.initial(len(prefixes))
            kept = kept.to(prefixes.device)
            tokens = []
            for t in range(self.length):
                h, logits = self.step(h, inputs)
                probs = torch.softmax(logits / temperature, -1).cpu()
                drawn = torch.multinomial(probs, 1, generator=generator).squeeze(1).to(h.device)
                token = torch.where(kept > t, prefixes[:, t], drawn)
                tokens.append(token)
                inputs = self.embed(F.one_hot(token, self.vocab).float())
            return torch.stack(tokens, 1)


class SequenceDiscriminator(RecordsConfig):
    """(Soft) one-hot sequences (N, length, vocab) → one logit each: two 1-D convolutions over time (LeakyReLU),
    mean over positions, a linear layer — SeqGAN's CNN discriminator in miniature.  Token ids are accepted too."""

    def __init__(self, vocab: int = 8, width: int = 32):
        super().__init__()
        if not (isinstance(vocab, int) and vocab >= 2 and isinstance(width, int) and width >= 1):
            raise ValueError(f"vocab must be an integer ≥ 2 and width ≥ 1, got {vocab!r}, {width!r}")
        self.vocab = vocab
        self.net = nn.Sequential(nn.Conv1d(vocab, width, 3, padding=1), nn.LeakyReLU(0.2),
                                 nn.Conv1d(width, width, 3, padding=1), nn.LeakyReLU(0.2))
        self.out = nn.Linear(width, 1)

    def forward(self, sequences: torch.Tensor) -> torch.Tensor:
        if sequences.dtype == torch.int64:
            sequences = F.one_hot(_check_tokens(sequences, self.vocab), self.vocab).float()
        if sequences.ndim != 3 or sequences.shape[2] != self.vocab:
            raise ValueError(f"expected (N, length, {self.vocab}) one-hot sequences or (N, length) token ids, "
                             f"got {tuple(sequences.shape)}")
        return self.out(self.net(sequences.transpose(1, 2)).mean(2)).squeeze(1)


class _SequenceFamily(Family):
    """Shared parts: the generator, its Adam optimizer, batches of real token sequences."""

    def __init__(self, generator: SequenceGenerator, *, lr_g: float, seed: int):
        super().__init__(seed)
        if not isinstance(generator, SequenceGenerator):
            raise TypeError(f"generator must be a gancourse.sequences.SequenceGenerator, got {type(generator).__name__}")
        self.generator, self.lr_g = generator, lr_g
        self.g_opt = make_optimizer("adam", generator.parameters(), lr_g, None)
        self.optimizers = {"generator": self.g_opt}
        self._generator_params = list(generator.parameters())

    def real_batch(self, batches) -> torch.Tensor:
        items = self.prepare(next(batches))
        return _check_tokens(items[0], self.generator.vocab)

    def config(self) -> dict:
        return {**super().config(), "lr_g": self.lr_g, "generator": model_config(self.generator)}

    def sample(self, n: int, seed: int = 0) -> torch.Tensor:
        """n token sequences on the CPU from a seeded stream."""
        return self.generator.sample(n, torch.Generator().manual_seed(seed)).cpu()


class SequenceMLE(_SequenceFamily):
    """Maximum likelihood: minimise the cross-entropy of each real token given the real tokens before it."""

    name = "sequence-mle"

    def __init__(self, generator: SequenceGenerator, *, lr_g: float = 1e-2, seed: int = 0):
        super().__init__(generator, lr_g=lr_g, seed=seed)

    def train_step(self, batches) -> dict[str, torch.Tensor]:
        real = self.real_batch(batches)
        logits = self.generator(real)
        loss = F.cross_entropy(logits.flatten(0, 1), real.flatten())
        return {"loss_g": loss.detach(), "grad_norm_g": self.descend(self.g_opt, loss, self._generator_params)}


class _AdversarialSequences(_SequenceFamily):
    def __init__(self, generator, discriminator, *, lr_g, lr_d, d_steps, seed):
        super().__init__(generator, lr_g=lr_g, seed=seed)
        if not isinstance(discriminator, nn.Module):
            raise TypeError(f"discriminator must be an nn.Module, got {type(discriminator).__name__}")
        if not (isinstance(d_steps, int) and d_steps >= 1):
            raise ValueError(f"d_steps must be an integer ≥ 1, got {d_steps!r}")
        self.discriminator, self.lr_d, self.d_steps = discriminator, lr_d, d_steps
        self.d_opt = make_optimizer("adam", discriminator.parameters(), lr_d, None)
        self.optimizers["discriminator"] = self.d_opt
        self._discriminator_params = list(discriminator.parameters())

    def config(self) -> dict:
        return {**super().config(), "lr_d": self.lr_d, "d_steps": self.d_steps,
                "discriminator": model_config(self.discriminator)}

    def discriminator_steps(self, batches) -> dict[str, torch.Tensor]:
        """``d_steps`` updates of D on real sequences against sampled ones (BCE)."""
        for _ in range(self.d_steps):
            real = self.real_batch(batches)
            fake = self.generator.sample(len(real), self.rng)
            real_out, fake_out = self.discriminator(real), self.discriminator(fake)
            loss_d = losses.discriminator_loss(real_out, fake_out)
            grad_norm = self.descend(self.d_opt, loss_d, self._discriminator_params)
        return {"loss_d": loss_d.detach(), "grad_norm_d": grad_norm,
                "d_accuracy": 0.5 * ((real_out > 0).float().mean() + (fake_out < 0).float().mean()).detach()}


class SeqGAN(_AdversarialSequences):
    """SeqGAN (:cite:`yu2017seqgan`): G is a policy; D(Y) = P(real) of a finished sequence is the reward.
    The value of token y_t after prefix Y_{1:t−1} is estimated by ``rollouts`` Monte Carlo completions of
    Y_{1:t} by G itself, scored by D (for t = length: D(Y) directly); G ascends the REINFORCE gradient
    Σ_t Q(Y_{1:t−1}, y_t) ∇ log G(y_t | Y_{1:t−1}).  ``baseline=True`` subtracts the batch mean of Q at each
    t (a common variance reduction; the paper has none)."""

    name = "seqgan"

    def __init__(self, generator: SequenceGenerator, discriminator: nn.Module, *, rollouts: int = 4,
                 baseline: bool = False, lr_g: float = 1e-3, lr_d: float = 1e-3, d_steps: int = 1, seed: int = 0):
        super().__init__(generator, discriminator, lr_g=lr_g, lr_d=lr_d, d_steps=d_steps, seed=seed)
        if not (isinstance(rollouts, int) and rollouts >= 1):
            raise ValueError(f"rollouts must be an integer ≥ 1, got {rollouts!r}")
        self.rollouts, self.baseline = rollouts, bool(baseline)

    def config(self) -> dict:
        return {**super().config(), "rollouts": self.rollouts, "baseline": self.baseline}

    @torch.no_grad()
    def rewards(self, sequences: torch.Tensor) -> torch.Tensor:
        """Q(Y_{1:t−1}, y_t) for t = 1 … length, shape (N, length): mean D(real) probability of the roll-outs."""
        n, length = sequences.shape
        q = torch.empty(n, length, device=sequences.device)
        # every prefix length t = 1 … length−1, `rollouts` times each, completed in one batched pass
        kept = torch.arange(1, length, device=sequences.device).repeat_interleave(self.rollouts * n)
        completed = self.generator.complete(sequences.repeat((length - 1) * self.rollouts, 1), kept, self.rng)
        with eval_mode(self.discriminator) as d:
            q[:, :-1] = torch.sigmoid(d(completed)).view(length - 1, self.rollouts, n).mean(1).T
            q[:, -1] = torch.sigmoid(d(sequences))
        return q

    def policy_gradient_loss(self, sequences: torch.Tensor, rewards: torch.Tensor) -> torch.Tensor:
        """−mean over sequences of Σ_t rewards_t · log G(y_t | Y_{1:t−1}): its gradient is the REINFORCE estimate
        of −∇ E[reward] (rewards are constants here, no gradient flows through D)."""
        log_probs = torch.log_softmax(self.generator(sequences), -1).gather(2, sequences.unsqueeze(2)).squeeze(2)
        return -(log_probs * rewards.detach()).sum(1).mean()

    def train_step(self, batches) -> dict[str, torch.Tensor]:
        """D step(s) on real vs sampled sequences, then one policy-gradient step of G with roll-out rewards."""
        stats = self.discriminator_steps(batches)
        fake = self.generator.sample(self.real_batch(batches).shape[0], self.rng)
        q = self.rewards(fake)
        loss_g = self.policy_gradient_loss(fake, q - q.mean(0, keepdim=True) if self.baseline else q)
        stats["grad_norm_g"] = self.descend(self.g_opt, loss_g, self._generator_params)
        return {**stats, "loss_g": loss_g.detach(), "reward": q[:, -1].mean()}


class GumbelSoftmaxGAN(_AdversarialSequences):
    """A GAN whose generator emits straight-through Gumbel-softmax tokens (:cite:`jang2017gumbel`): each token
    is the one-hot argmax of (logits + Gumbel noise) in the forward pass, and D's gradient flows back through
    softmax((logits + g)/τ) as if it had been that soft vector.  The one-hot is fed on as the next input, so
    the whole sequence is differentiable end to end."""

    name = "gumbel-softmax-gan"

    def __init__(self, generator: SequenceGenerator, discriminator: nn.Module, *, temperature: float = 1.0,
                 lr_g: float = 1e-3, lr_d: float = 1e-3, d_steps: int = 1, seed: int = 0):
        super().__init__(generator, discriminator, lr_g=lr_g, lr_d=lr_d, d_steps=d_steps, seed=seed)
        if not (isinstance(temperature, (int, float)) and temperature > 0):
            raise ValueError(f"temperature τ must be a number > 0, got {temperature!r}")
        self.temperature = float(temperature)

    def config(self) -> dict:
        return {**super().config(), "temperature": self.temperature}

    def relaxed_sample(self, n: int) -> torch.Tensor:
        """(n, length, vocab) one-hot tokens that carry the gradient of their Gumbel-softmax relaxation."""
        g = self.generator
        h, inputs = g.initial(n)
        tokens = []
        for _ in range(g.length):
            h, logits = g.step(h, inputs)
            uniform = torch.rand(logits.shape, generator=self.rng).to(logits.device)
            soft = gumbel_softmax_sample(logits, self.temperature, uniform)
            hard = F.one_hot(soft.argmax(-1), g.vocab).to(soft.dtype)
            token = hard + soft - soft.detach()  # straight-through: forward = hard, backward = ∂soft
            tokens.append(token)
            inputs = g.embed(token)
        return torch.stack(tokens, 1)

    def train_step(self, batches) -> dict[str, torch.Tensor]:
        """D step(s) on real vs sampled sequences, then one G step on −log D(relaxed sample) (non-saturating)."""
        stats = self.discriminator_steps(batches)
        fake = self.relaxed_sample(self.real_batch(batches).shape[0])
        with frozen(self._discriminator_params):
            loss_g = losses.generator_loss_nonsaturating(self.discriminator(fake))
        stats["grad_norm_g"] = self.descend(self.g_opt, loss_g, self._generator_params)
        return {**stats, "loss_g": loss_g.detach()}


@torch.no_grad()
def sequence_scores(oracle: MarkovOracle, generator: SequenceGenerator, held_out: torch.Tensor, n: int = 2000,
                    seed: int = 0, temperature: float = 1.0) -> dict[str, float]:
    """All per-token, in nats, from ``n`` samples of ``generator`` (at ``temperature``) and real held-out sequences:

    - ``oracle_nll``: −log p(x) of the samples under the true chain (SeqGAN's NLL_oracle; quality);
    - ``entropy``: −log q(x) of the samples under the generator itself, an unbiased estimate of its entropy
      (diversity);
    - ``reverse_kl`` = oracle_nll − entropy, an estimate of KL(q ‖ p): a sampler that drops variety lowers
      oracle_nll, but not this;
    - ``held_nll``: −log q(x) of the real held-out sequences under q at ``temperature`` (coverage; the MLE
      objective on new data);
    - ``forward_kl`` = held_nll − the oracle's entropy rate, an estimate of KL(p ‖ q).
    """
    samples = generator.sample(n, torch.Generator().manual_seed(seed), temperature).cpu()
    device = generator.out.weight.device
    length = oracle.length
    entropy = float(-generator.log_prob(samples.to(device), temperature).mean()) / length
    held_nll = float(-generator.log_prob(held_out.to(device), temperature).mean()) / length  # q at the same τ
    quality = oracle_nll(oracle, samples)
    return {"oracle_nll": quality, "entropy": entropy, "reverse_kl": quality - entropy,
            "held_nll": held_nll, "forward_kl": held_nll - oracle.entropy_rate()}
