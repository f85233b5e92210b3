"""``speed``: training steps/s of the package trainer against a plain loop written like the PyTorch tutorial.

Both train the same DCGAN (:class:`~gancourse.models.DCGANGenerator` / :class:`~gancourse.models.DCGANDiscriminator`,
same initial weights), the same BCE-with-logits losses, Adam(2e-4, β = (0.5, 0.999)) and batch size:

(a) :class:`gancourse.training.GANTrainer` fed by :class:`gancourse.data.Batches` (in-memory batches);
(b) the reference loop of the PyTorch DCGAN tutorial: a ``DataLoader`` over a ``TensorDataset``,
    ``D(real)`` backward, ``D(fake.detach())`` backward, D step, then ``D(fake)`` backward for G.

They alternate in blocks of steps within one process (order A B B A …), so a change of machine load
during the run affects both alike.  Reported: steps/s of each and their ratio (trainer ÷ reference).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from gancourse.config import get_device, seed_everything
from gancourse.data import Batches, load_images
from gancourse.models import DCGANDiscriminator, DCGANGenerator
from gancourse.training import GANTrainer

#: What makes the trainer's step cheaper than the tutorial's (each measured by ``breakdown``; see README, Results).
WHY_FASTER = (
    "in-memory batches (one randperm per pass, tensor indexing) instead of a DataLoader that calls "
    "__getitem__ 128 times and collates per batch",
    "the generator step runs D with requires_grad_(False) on its weights: only the input gradient is "
    "computed, not D's weight gradients that the tutorial computes and then throws away",
    "on the CPU the models and batches are stored channels-last (NHWC), the layout the CPU convolution "
    "kernels prefer (compare --channels-last off)",
)


class TutorialLoop:
    """One training step at a time, written the way the PyTorch DCGAN tutorial writes it."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module, images: torch.Tensor, batch_size: int,
                 device: torch.device, lr: float = 2e-4, betas=(0.5, 0.999), seed: int = 0):
        self.netG, self.netD, self.device = generator.to(device), discriminator.to(device), device
        self.nz = generator.latent_dim
        self.criterion = nn.BCEWithLogitsLoss()  # the course's models output logits (no Sigmoid layer)
        self.optimizerD = torch.optim.Adam(self.netD.parameters(), lr=lr, betas=betas)
        self.optimizerG = torch.optim.Adam(self.netG.parameters(), lr=lr, betas=betas)
        self.dataloader = DataLoader(TensorDataset(images), batch_size=batch_size, shuffle=True, drop_last=True,
                                     generator=torch.Generator().manual_seed(seed))
        self._iter = iter(())

    def _next(self):
        try:
            return next(self._iter)
        except StopIteration:
            self._iter = iter(self.dataloader)
            return next(self._iter)

    def step(self) -> tuple[float, float]:
        data = self._next()
        # (1) Update D: maximize log(D(x)) + log(1 - D(G(z)))
        self.netD.zero_grad()
        real_cpu = data[0].to(self.device)
        b_size = real_cpu.size(0)
        label = torch.full((b_size,), 1.0, dtype=torch.float, device=self.device)
        output = self.netD(real_cpu).view(-1)
        errD_real = self.criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        noise = torch.randn(b_size, self.nz, 1, 1, device=self.device)
        fake = self.netG(noise)
        label.fill_(0.0)
        output = self.netD(fake.detach()).view(-1)
        errD_fake = self.criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        self.optimizerD.step()
        # (2) Update G: maximize log(D(G(z)))
        self.netG.zero_grad()
        label.fill_(1.0)
        output = self.netD(fake).view(-1)
        errG = self.criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        self.optimizerG.step()
        del D_x, D_G_z1, D_G_z2  # the tutorial prints these; computing them is part of its cost
        return errD.item(), errG.item()


def _models(seed: int, latent_dim: int, width: int):
    seed_everything(seed)
    return DCGANGenerator(latent_dim=latent_dim, width=width), DCGANDiscriminator(width=width)


def measure(images: torch.Tensor, *, steps: int = 300, block: int = 25, warmup: int = 5, batch_size: int = 128,
            latent_dim: int = 64, width: int = 64, device=None, seed: int = 0, progress: bool = False,
            channels_last: bool | None = None) -> dict:
    """Interleave the trainer and the tutorial loop; return steps/s of each, their ratio and per-block times."""
    from tqdm.auto import tqdm

    device = device if isinstance(device, torch.device) else get_device(device)
    g1, d1 = _models(seed, latent_dim, width)
    g2, d2 = _models(seed, latent_dim, width)
    trainer = GANTrainer(g1, d1, objective="gan", device=device, seed=seed, channels_last=channels_last)
    batches = iter(Batches(images, None, batch_size, seed=seed, device=device))
    reference = TutorialLoop(g2, d2, images, batch_size, device, seed=seed)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    def run_trainer(n):
        trainer.fit(batches, n, progress=False)

    def run_reference(n):
        for _ in range(n):
            reference.step()

    run_trainer(warmup)
    run_reference(warmup)
    times = {"trainer": [], "reference": []}
    done = {"trainer": 0, "reference": 0}
    blocks = max(1, -(-steps // block))
    bar = tqdm(total=2 * blocks * block, desc="speed (trainer ⇄ tutorial loop)", disable=not progress, mininterval=0.5)
    for i in range(blocks):
        order = [("trainer", run_trainer), ("reference", run_reference)]
        if i % 2:
            order.reverse()  # A B, B A, A B, …: drift in machine load hits both sides equally
        for name, fn in order:
            sync()
            t0 = time.perf_counter()
            fn(block)
            sync()
            times[name].append(time.perf_counter() - t0)
            done[name] += block
            bar.update(block)
    bar.close()
    rate = {k: done[k] / sum(v) for k, v in times.items()}
    block_ratios = [r / t for t, r in zip(times["trainer"], times["reference"])]
    return {"steps_per_second": rate, "ratio": rate["trainer"] / rate["reference"],
            "block_ratio_median": statistics.median(block_ratios), "block_ratio_min": min(block_ratios),
            "block_ratio_max": max(block_ratios), "steps_each": done["trainer"], "block": block,
            "block_seconds": times, "ms_per_step": {k: 1000 / v for k, v in rate.items()},
            "trainer_channels_last": trainer.channels_last}


def breakdown(images: torch.Tensor, *, batch_size: int = 128, width: int = 64, latent_dim: int = 64, device=None,
              repeats: int = 10, seed: int = 0) -> dict:
    """Measure, one at a time, the differences between the two loops (ms each, interleaved A/B repeats).

    data:          fetching one batch — DataLoader over a TensorDataset vs in-memory ``Batches``;
    g_backward:    the generator step's D-forward + backward — with D's weight gradients (tutorial) vs
                   without (``requires_grad_(False)``, the trainer);
    channels_last: one whole trainer step — contiguous NCHW vs channels-last (CPU only).
    """
    device = device if isinstance(device, torch.device) else get_device(device)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    def timed(fn, n):
        sync()
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        sync()
        return (time.perf_counter() - t0) / n * 1000

    def ab(fa, fb, n, reps):
        a = b = 0.0
        for i in range(reps):
            if i % 2:
                b += timed(fb, n)
                a += timed(fa, n)
            else:
                a += timed(fa, n)
                b += timed(fb, n)
        return a / reps, b / reps

    out = {}
    loader = iter(())
    dl = DataLoader(TensorDataset(images), batch_size=batch_size, shuffle=True, drop_last=True)

    def from_loader():
        nonlocal loader
        try:
            next(loader)[0].to(device)
        except StopIteration:
            loader = iter(dl)
            next(loader)[0].to(device)

    mem = iter(Batches(images, None, batch_size, seed=seed, device=device))
    out["data"] = dict(zip(("dataloader", "batches"), ab(from_loader, lambda: next(mem), 20, repeats)))

    g, d = _models(seed, latent_dim, width)
    g, d = g.to(device), d.to(device)
    z = torch.randn(batch_size, latent_dim, device=device)

    def g_step(weights_grad: bool):
        d.requires_grad_(weights_grad)
        fake = g(z)
        loss = nn.functional.binary_cross_entropy_with_logits(d(fake), torch.ones(batch_size, device=device))
        loss.backward()
        g.zero_grad(set_to_none=True)
        d.zero_grad(set_to_none=True)
        d.requires_grad_(True)

    out["g_backward"] = dict(zip(("with_d_weight_grads", "without"), ab(lambda: g_step(True), lambda: g_step(False), 2, repeats)))
    if device.type == "cpu":
        trainers = []
        for cl in (False, True):
            g, d = _models(seed, latent_dim, width)
            t = GANTrainer(g, d, device=device, seed=seed, channels_last=cl)
            trainers.append((t, iter(Batches(images, None, batch_size, seed=seed, device=device))))
        for t, it in trainers:
            t.fit(it, 1, progress=False)
        out["channels_last"] = dict(zip(("off", "on"), ab(lambda: trainers[0][0].fit(trainers[0][1], 1, progress=False),
                                                          lambda: trainers[1][0].fit(trainers[1][1], 1, progress=False),
                                                          2, repeats)))
    return out


def run(args) -> dict:
    from gancourse.bench import describe_machine, machine_info, markdown_table

    device = get_device(args.device)
    machine = machine_info(device)
    data = load_images(args.dataset, split="auto", limit=args.limit)
    results = []
    for seed in args.seeds:
        res = measure(data.images, steps=args.steps, block=args.block, batch_size=args.batch_size, device=device,
                      seed=seed, progress=args.progress, width=args.width,
                      channels_last={"auto": None, "on": True, "off": False}[args.channels_last])
        res["seed"] = seed
        results.append(res)

    print(f"\n### speed — DCGAN training steps/s, batch {args.batch_size}, {data.name} ({len(data):,} images), "
          f"{results[0]['steps_each']} steps each in blocks of {args.block}, interleaved; trainer channels_last "
          f"{'on' if results[0]['trainer_channels_last'] else 'off'}\n")
    rows = []
    for r in results:
        rows.append([r["seed"], f"{r['steps_per_second']['trainer']:.2f}", f"{r['ms_per_step']['trainer']:.0f}",
                     f"{r['steps_per_second']['reference']:.2f}", f"{r['ms_per_step']['reference']:.0f}",
                     f"{r['ratio']:.3f}", f"{r['block_ratio_min']:.2f}–{r['block_ratio_max']:.2f}"])
    print(markdown_table(["seed", "trainer steps/s", "ms/step", "tutorial loop steps/s", "ms/step", "ratio", "per-block ratio range"], rows))
    parts = None
    if args.breakdown:
        parts = breakdown(data.images, batch_size=args.batch_size, width=args.width, device=device, repeats=args.breakdown_repeats)
        rows = [["fetch one batch", "DataLoader(TensorDataset)", f"{parts['data']['dataloader']:.2f}", "Batches (in memory)",
                 f"{parts['data']['batches']:.2f}"],
                ["G step: D forward + backward", "with D's weight gradients", f"{parts['g_backward']['with_d_weight_grads']:.1f}",
                 "without (requires_grad_(False))", f"{parts['g_backward']['without']:.1f}"]]
        if "channels_last" in parts:
            rows.append(["one whole trainer step", "NCHW (contiguous)", f"{parts['channels_last']['off']:.1f}",
                         "channels-last (NHWC)", f"{parts['channels_last']['on']:.1f}"])
        print(f"\nWhere the difference comes from (ms, mean of {args.breakdown_repeats} interleaved repeats):\n")
        print(markdown_table(["part", "tutorial way", "ms", "trainer way", "ms"], rows, align="llrlr"))
    print("\nWhy the trainer is faster: " + "; ".join(WHY_FASTER) + ".")
    print(describe_machine(machine))
    return {"benchmark": "speed", "machine": machine, "dataset": data.name, "images": len(data), "batch_size": args.batch_size,
            "width": args.width, "results": results, "why_faster": list(WHY_FASTER), "breakdown_ms": parts,
            "load_average_end": machine_info(device)["load_average"]}


def add_arguments(parser) -> None:
    parser.add_argument("--steps", type=int, default=300, help="training steps of each loop (default 300)")
    parser.add_argument("--block", type=int, default=25, help="steps per block before switching loops")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--width", type=int, default=64, help="DCGAN base channel width")
    parser.add_argument("--dataset", default="mnist", help="mnist (default; falls back to the split on disk) or digits")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N images")
    parser.add_argument("--breakdown", action=argparse.BooleanOptionalAction, default=True,
                        help="also time each difference between the loops on its own")
    parser.add_argument("--breakdown-repeats", type=int, default=6)
    parser.add_argument("--channels-last", choices=("auto", "on", "off"), default="auto",
                        help="the trainer's NHWC layout (auto = on for the CPU); 'off' measures what it adds")
