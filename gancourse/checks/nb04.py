"""Checks for notebook 04 (adversarial training).

Expected values come from the package itself — :class:`gancourse.training.GAN` (its
discriminator step, counted with forward hooks) and :mod:`gancourse.losses` — never from a copy of
the solution.
"""

from __future__ import annotations

import copy
import math

import torch

from gancourse import losses, models, toy
from gancourse.checks import call, given, run_check
from gancourse.config import seeded
from gancourse.training import GAN

_SEED = 4


def _toy_pair() -> tuple[models.MLPGenerator, models.MLPDiscriminator]:
    with seeded(_SEED):  # the same networks every time, without touching the notebook's random state
        return models.MLPGenerator(2, 2, hidden=(16, 16), tanh_output=False), models.MLPDiscriminator(2, hidden=(16, 16))


def _params(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def _close(a: list[torch.Tensor], b: list[torch.Tensor], tol: float = 1e-6) -> bool:
    return all(torch.allclose(x, y, rtol=0, atol=tol) for x, y in zip(a, b))


def check_discriminator_step(my_discriminator_step) -> bool:
    """Exercise 1: one discriminator update ``my_discriminator_step(generator, discriminator, d_optimizer, real, z)``.

    Compared with ``GAN.discriminator_step`` on copies of the same networks, batch and noise.
    """

    def test():
        generator, discriminator = _toy_pair()
        real = toy.sample_2d("ring", 64, torch.Generator().manual_seed(_SEED))
        # the reference: the package's own D step, drawing the same z from a stream seeded alike
        ref_g, ref_d = copy.deepcopy(generator), copy.deepcopy(discriminator)
        reference = GAN(ref_g, ref_d, seed=_SEED)
        _, _, stats = reference.discriminator_step(real, None, keep_fake_graph=False)
        reference_loss = float(stats["loss_d"])
        ref_grads = [p.grad.clone() for p in ref_d.parameters()]
        z = torch.randn(len(real), generator.latent_dim, generator=torch.Generator().manual_seed(_SEED))

        d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        stale = [torch.ones_like(p) for p in discriminator.parameters()]  # left over from an earlier step
        for p, g in zip(discriminator.parameters(), stale):
            p.grad = g.clone()
        before_d, before_g = _params(discriminator), _params(generator)
        with torch.no_grad():
            loss_before = losses.discriminator_loss(discriminator(real), discriminator(generator(z))).item()
        loss = call(my_discriminator_step, generator, discriminator, d_optimizer, real.clone(), z.clone())

        if any(p.grad is not None and p.grad.abs().sum() > 0 for p in generator.parameters()):
            return ("gradient flowed into the generator's parameters: the fake batch must be detached "
                    "(discriminator(fake.detach())) so that the discriminator's loss only trains D.")
        if not _close(_params(generator), before_g, 0.0):
            return "the generator's weights changed: a discriminator step must update D only."
        if _close(_params(discriminator), before_d, 0.0):
            return "the discriminator's weights did not change: call loss.backward() and d_optimizer.step()."
        grads = [p.grad for p in discriminator.parameters()]
        if all(g is not None for g in grads) and _close(grads, [r + s for r, s in zip(ref_grads, stale)], 1e-5):
            return "old gradients were added to the new ones: call d_optimizer.zero_grad() before backward()."
        value = float(loss.detach() if isinstance(loss, torch.Tensor) else loss)
        if math.isclose(value, reference_loss / 2, rel_tol=1e-5):
            return ("your loss is half the reference: it averages the real and the fake terms (as PyTorch-GAN does). "
                    "The course's L_D = −V adds them, so that it equals log 4 ≈ 1.386 at the equilibrium.")
        if not _close(_params(discriminator), _params(ref_d), 1e-6):
            with torch.no_grad():
                loss_after = losses.discriminator_loss(discriminator(real), discriminator(generator(z))).item()
            if loss_after > loss_before:
                return "D moved the wrong way: real samples get label 1 (target 'real') and fakes label 0."
            return "the update differs from the reference discriminator step on the same batch and noise."
        if not math.isclose(value, reference_loss, rel_tol=1e-5, abs_tol=1e-6):
            return (f"the weights are right but the returned loss {value:.6f} is not the discriminator loss "
                    f"{stats['loss_d']:.6f}: return the sum of the real and the fake BCE terms.")
        return None

    return run_check("Exercise 1 · the discriminator step",
                     "zero D's gradients, score real and fake.detach(), BCE with targets 1 and 0, backward, step; "
                     "losses.discriminator_loss(real_logits, fake_logits) does the BCE part.",
                     test)


def _count_forward_passes(k: int) -> tuple[int, int]:
    """Forward calls of G and D during one ``GAN.train_step`` with ``critic_steps = k``."""
    generator, discriminator = _toy_pair()
    counts = {"G": 0, "D": 0}
    generator.register_forward_hook(lambda *_: counts.__setitem__("G", counts["G"] + 1))
    discriminator.register_forward_hook(lambda *_: counts.__setitem__("D", counts["D"] + 1))
    GAN(generator, discriminator, critic_steps=k, seed=_SEED).train_step(iter(toy.ToyStream.from_2d("ring", batch_size=8, seed=_SEED)))
    return counts["G"], counts["D"]


def check_forward_passes(my_forward_passes) -> bool:
    """Exercise 2: ``my_forward_passes(k)`` → (generator passes, discriminator passes) per training iteration."""

    def test():
        for k in (1, 2, 3, 5):
            got = call(my_forward_passes, k)
            if not (isinstance(got, (tuple, list)) and len(got) == 2):
                return "return a pair (generator_passes, discriminator_passes)."
            g_passes, d_passes = (int(v) for v in got)
            want_g, want_d = _count_forward_passes(k)
            if (g_passes, d_passes) == (want_g, want_d):
                continue
            if g_passes == want_g + 1:
                return (f"k = {k}: G runs {want_g} time{'s' * (want_g > 1)}, not {g_passes}: the generator step reuses the fake batch of "
                        "the last discriminator step (as the PyTorch DCGAN tutorial does) instead of drawing a new one.")
            if g_passes != want_g:
                return f"k = {k}: {g_passes} generator passes is not right; each discriminator step needs one fake batch."
            if d_passes == want_d - 1:
                return f"k = {k}: the generator step also runs D once, on the fakes, to get D(G(z))."
            return f"k = {k}: {d_passes} discriminator passes is not right; count the real and the fake batch separately."
        return None

    return run_check("Exercise 2 · forward passes per iteration",
                     "per discriminator step: one G pass (the fakes) and two D passes (real, fake); then the "
                     "generator step. Which of its passes are new?",
                     test)


def check_equilibrium(d_real, d_fake, d_loss) -> bool:
    """Exercise 3: D(x), D(G(z)) and the discriminator's BCE loss at the equilibrium p_g = p_data."""

    def test():
        real, fake, loss = float(given(d_real)), float(given(d_fake)), float(given(d_loss))
        # at p_g = p_data the optimal D outputs 1/2 everywhere: logit 0
        half = torch.sigmoid(torch.zeros(())).item()
        expected_loss = losses.discriminator_loss(torch.zeros(8), torch.zeros(8)).item()
        if math.isclose(real, 1.0, abs_tol=0.05) and math.isclose(fake, 0.0, abs_tol=0.05):
            return ("D(x) = 1 and D(G(z)) = 0 is a perfect discriminator: the generator has lost. At the "
                    "equilibrium D cannot tell the two apart.")
        if not (math.isclose(real, half, abs_tol=1e-3) and math.isclose(fake, half, abs_tol=1e-3)):
            return f"D(x) = {real:g}, D(G(z)) = {fake:g} is not the equilibrium: D* = p_data / (p_data + p_g)."
        if math.isclose(loss, 0.0, abs_tol=1e-3):
            return "the discriminator's loss does not go to 0 at the equilibrium: it cannot be sure of anything."
        if math.isclose(loss, expected_loss / 2, abs_tol=1e-3):
            return "that is only one of the two BCE terms (real or fake); the loss adds both."
        if not math.isclose(loss, expected_loss, abs_tol=1e-3):
            return f"the outputs are right, but {loss:.4f} is not the BCE loss of a discriminator that says 1/2."
        return None

    return run_check("Exercise 3 · the numbers at equilibrium",
                     "use D*(x) = p_data / (p_data + p_g) with p_g = p_data; then −log D(x) − log(1 − D(G(z))).",
                     test)
