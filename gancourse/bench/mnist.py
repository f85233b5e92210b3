"""``mnist``: what the course DCGANs reach in a fixed wall-time budget, judged by a held-out classifier.

Data: ``load_images("mnist", split="auto")`` (here: the 10,000-image test split).  A fixed, seeded
split holds out 40 %: the GANs and the evaluation classifier train on the other 60 %; the held-out part
is cut in two halves A and B of equal size.
Models (``--model``): ``dcgan``, the unconditional DCGAN; ``cdcgan``, the same networks given the
one-hot label (CGAN), which is asked for every digit equally often; the classifier then judges whether
each sample shows the digit asked for; ``sdcgan``, the self-conditioned DCGAN: the conditional networks on
clusters of the unlabelled training images (:mod:`gancourse.clusters`, computed inside the time budget), a
cluster drawn in the clusters' shares for each sample — unconditional, no label is used.
Reported: the classifier's accuracy on the held-out images; for 10,000 generated samples the predicted
class histogram, its entropy (ln 10 = 2.303 is uniform) and the mean confidence; FID on the classifier's
128-d penultimate features between generated samples and half B, and the real-vs-real floor: half A
against half B, the same number of images, all unseen by the GANs and by the classifier.  Real images
spoiled in known ways (noise, blur, dropped classes) are scored too, to show what an FID here means."""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from gancourse import metrics
from gancourse.classifier import ClassifierConfig, accuracy, load_or_train_classifier, predict
from gancourse.clusters import cluster_images
from gancourse.config import get_device, seeded
from gancourse.data import Batches, ImageData, load_images
from gancourse.models import DCGANDiscriminator, DCGANGenerator
from gancourse.training import GANTrainer, TimeBudget, Trainer

HOLDOUT = 0.4
GOAL_ENTROPY = 0.98 * math.log(10)
GOAL_FID_RATIO = 3.0


def train_for(trainer: Trainer, batches, seconds: float, *, progress: bool = True, description: str = "") -> int:
    """Train ``trainer`` until ``seconds`` of wall time have passed (a :class:`TimeBudget` callback, checked
    between steps); returns the number of steps taken."""
    before = trainer.step
    trainer.fit(batches, None, callbacks=[TimeBudget(seconds)], progress=progress, description=description or "training")
    return trainer.step - before


def reference_points(classifier, held_a: ImageData, kept: ImageData, feats_b: torch.Tensor) -> list[dict]:
    """FID against half B of *real* images spoiled in known ways: what a number in this feature space means.

    Rows: half A (the floor), the GAN's own training images (what a GAN that memorised them would score),
    half A with Gaussian pixel noise, half A blurred by a 3×3 binomial filter, and only the digits 0–4 of
    half A (half the classes dropped, images untouched).
    """
    images, gen = held_a.images, torch.Generator().manual_seed(0)
    kernel = torch.tensor([1.0, 2.0, 1.0])
    kernel = (kernel[:, None] * kernel[None, :] / 16).view(1, 1, 3, 3)
    cases = [("half A: real, unseen (the floor)", images),
             ("the GAN's training images", kept.images[:len(images)]),
             ("half A + pixel noise, std 0.1", images + 0.1 * torch.randn(images.shape, generator=gen)),
             ("half A + pixel noise, std 0.2", images + 0.2 * torch.randn(images.shape, generator=gen)),
             ("half A blurred (3×3 binomial)", F.conv2d(F.pad(images, (1, 1, 1, 1), value=-1.0), kernel)),
             ("half A, digits 0–4 only", images[held_a.labels < 5])]
    rows = []
    for name, x in cases:
        logits, feats = predict(classifier, x.clamp(-1, 1))
        cov = metrics.class_coverage(logits)
        # a spoiled set too small for a non-singular covariance (tiny --limit runs) is skipped; the floor
        # (first row) is always computed, so too little held-out data raises as it should
        enough = not rows or len(x) > feats.shape[1]
        rows.append({"images": name, "n": len(x), "fid": metrics.fid_from_features(feats, feats_b) if enough else None,
                     "entropy_ratio": cov.entropy / cov.max_entropy})
    return rows


#: What ``--model`` can train: the course DCGAN (notebook 05) and its conditional form (CGAN, notebook 06).
MODELS = {
    "dcgan": "DCGAN, unconditional: G(z)",
    "cdcgan": "conditional DCGAN (one-hot label into G and D): G(z, y), asked for each digit equally often",
    "sdcgan": "self-conditioned DCGAN: the conditional networks on clusters c of the unlabelled training images "
              "(PCA → t-SNE → k-means, inside the budget), G(z, c) with c drawn in the clusters' shares; no labels",
}


def build_trainer(model: str, args, seed: int, device: torch.device,
                  label_shares: tuple[float, ...] | None = None) -> GANTrainer:
    """Seeded generator, discriminator and trainer for ``model`` with the command line's settings
    (``label_shares``: the clusters' shares, for ``sdcgan`` only)."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose from {sorted(MODELS)}")
    if (model == "sdcgan") != (label_shares is not None):
        raise ValueError("label_shares (the clusters' shares) are needed by sdcgan and apply to no other model")
    num_classes = {"dcgan": None, "cdcgan": 10, "sdcgan": len(label_shares or ())}[model]
    with seeded(seed):
        g = DCGANGenerator(latent_dim=args.latent_dim, width=args.width, num_classes=num_classes)
        d = DCGANDiscriminator(width=args.width, num_classes=num_classes)
    r1 = getattr(args, "r1_weight", 0.0)
    regulariser = {"r1_weight": r1, "r1_every": args.r1_every} if r1 else {}
    lr_d = getattr(args, "lr_d", None) or args.lr
    shares = {"label_shares": label_shares} if label_shares else {}
    return GANTrainer(g, d, objective="gan", lr_g=args.lr, lr_d=lr_d, ema_decay=args.ema_decay, device=device, seed=seed,
                      **regulariser, **shares)


@torch.no_grad()
def draw_samples(trainer: GANTrainer, n: int, seed: int, batch: int = 1000) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``n`` samples (N, 1, 28, 28) in [-1, 1], float32, on the CPU (generator in eval mode), and the
    labels a conditional generator was asked for (0, 1, …, 9, 0, 1, … — every digit equally often); a
    self-conditioned one draws its clusters in their shares and asks for no digit (None)."""
    asks_digits = trainer.num_classes and not trainer.family.label_shares
    labels = torch.arange(n) % trainer.num_classes if asks_digits else None
    parts = [trainer.sample(min(batch, n - i), seed=seed + i, labels=None if labels is None else labels[i:i + batch])
             for i in range(0, n, batch)]
    return torch.cat(parts).float().clamp_(-1, 1), labels


def _samples_path(base: str, model: str, seed: int, many_models: bool, many_seeds: bool) -> Path:
    path = Path(base)
    suffix = (f"_{model}" if many_models else "") + (f"_seed{seed}" if many_seeds else "")
    return path.with_name(f"{path.stem}{suffix}{path.suffix or '.npy'}")


def run(args) -> dict:
    from gancourse.bench import describe_machine, machine_info, markdown_table

    if args.clusters is not None and "sdcgan" not in args.model:
        raise ValueError("--clusters applies to the self-conditioned model only: add sdcgan to --model or drop --clusters")
    device = get_device(args.device)
    machine = machine_info(device)
    data = load_images("mnist", split="auto", limit=args.limit)
    kept, held = data.split_off(HOLDOUT, seed=0)
    held_a, held_b = held.split_off(0.5, seed=1)
    if len(held_a) != len(held_b):  # odd sizes: drop one image so both halves match
        n = min(len(held_a), len(held_b))
        held_a.images, held_b.images = held_a.images[:n], held_b.images[:n]
        held_a.labels, held_b.labels = held_a.labels[:n], held_b.labels[:n]
    n_eval = len(held_b)
    if args.samples < n_eval:
        raise ValueError(f"--samples must be at least the {n_eval:,} held-out images FID compares against, got {args.samples:,}")

    cache = False if args.no_classifier_cache else args.classifier_cache
    config = ClassifierConfig(epochs=args.classifier_epochs)
    classifier, info = load_or_train_classifier(kept.images, kept.labels, config, cache=cache, progress=args.progress)
    classifier = classifier.cpu()
    acc = accuracy(classifier, held.images, held.labels)
    print(f"evaluation classifier: {'loaded from cache' if info['cached'] else 'trained'} in {info['seconds']:.1f} s, "
          f"held-out accuracy {100 * acc:.2f} % on {len(held):,} images")
    logits_b, feats_b = predict(classifier, held_b.images)
    real_cov = metrics.class_coverage(logits_b)
    references = reference_points(classifier, held_a, kept, feats_b)
    floor = references[0]["fid"]  # half A against half B

    runs = []
    for model in args.model:
        for seed in args.seeds:
            start = time.perf_counter()
            train_data, clusters = kept, None
            if model == "sdcgan":  # the clustering is part of the training, so it counts against the budget
                clusters = cluster_images(kept.images, args.clusters or 10, seed=seed)
                train_data = dataclasses.replace(kept, labels=clusters.labels)
            trainer = build_trainer(model, args, seed, device, clusters.shares if clusters else None)
            batches = Batches.from_data(train_data, batch_size=min(args.batch_size, len(kept)), seed=seed, device=device)
            left = 60 * args.minutes - (time.perf_counter() - start)
            if left <= 0:
                raise ValueError(f"the clustering took {clusters.seconds:.1f} s, the whole budget of {60 * args.minutes:g} s: "
                                 "raise --minutes")
            fit_start = time.perf_counter()
            steps = train_for(trainer, batches, left, progress=args.progress, description=f"{model} seed {seed}")
            train_seconds = time.perf_counter() - start  # the clustering included: it is part of the budget
            fit_seconds = time.perf_counter() - fit_start
            samples, asked = draw_samples(trainer, args.samples, seed=10_000 + seed)
            logits, feats = predict(classifier, samples)
            cov = metrics.class_coverage(logits)
            fid = metrics.fid_from_features(feats[:n_eval], feats_b)
            row = {"model": model, "seed": seed, "steps": steps, "train_seconds": train_seconds,
                   "steps_per_second": steps / fit_seconds, "images_seen": steps * batches.batch_size,
                   "epochs": steps * batches.batch_size / len(kept),
                   "class_histogram": cov.histogram.tolist(), "classes_seen": cov.classes_seen, "entropy": cov.entropy,
                   "entropy_ratio": cov.entropy / cov.max_entropy, "confidence": cov.confidence, "fid": fid,
                   "fid_images": n_eval, "fid_floor": floor, "fid_ratio": fid / floor if floor > 0 else math.inf,
                   "label_accuracy": None if asked is None else float((logits.argmax(1) == asked).float().mean()),
                   "stop_reason": trainer.history.stop_reason,
                   "clusters": None if clusters is None else {
                       "k": len(clusters.shares), "seconds": clusters.seconds, "shares": list(clusters.shares),
                       "purity": clusters.purity(kept.labels)}}
            row["goal_met"] = bool(cov.classes_seen == 10 and cov.entropy >= GOAL_ENTROPY and row["fid_ratio"] <= GOAL_FID_RATIO)
            if args.save_samples:
                path = _samples_path(args.save_samples, model, seed, len(args.model) > 1, len(args.seeds) > 1)
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(path, samples.numpy().astype(np.float32))
                row["samples_file"] = str(path)
            runs.append(row)
            if clusters is not None:
                print(f"  {model} seed {seed}: {len(clusters.shares)} clusters in {clusters.seconds:.1f} s of the budget; "
                      f"judged by the labels it never saw, {100 * row['clusters']['purity']:.1f} % of each cluster is one digit")
            if args.progress:
                print(f"  {model} seed {seed}: {steps} steps, entropy {row['entropy_ratio']:.3f} · ln 10, "
                      f"FID {fid:.2f} = {row['fid_ratio']:.2f} × floor", flush=True)

    print(f"\n### mnist — trained for {args.minutes:g} min of wall time each on {len(kept):,} images "
          f"({data.split} split, {100 * HOLDOUT:.0f} % held out), batch {args.batch_size}, "
          f"{f'R1 γ = {args.r1_weight:g} every {args.r1_every} steps, ' if args.r1_weight else ''}"
          f"Adam {args.lr:g}{f' (G), {args.lr_d:g} (D)' if args.lr_d else ''}, "
          f"samples from {'a weight average of G, β = ' + format(args.ema_decay, 'g') if args.ema_decay else 'G'}\n")
    print(markdown_table(
        ["model", "seed", "steps", "epochs", "classes", "entropy (÷ ln 10)", "confidence", "asked digit drawn",
         f"FID ({n_eval:,} vs {n_eval:,})", "floor", "FID ÷ floor", "goal"],
        [[r["model"], r["seed"], r["steps"], f"{r['epochs']:.1f}", f"{r['classes_seen']}/10",
          f"{r['entropy']:.3f} ({r['entropy_ratio']:.3f})", f"{r['confidence']:.3f}",
          "—" if r["label_accuracy"] is None else f"{100 * r['label_accuracy']:.1f} %",
          f"{r['fid']:.2f}", f"{r['fid_floor']:.2f}", f"{r['fid_ratio']:.2f}", "met" if r["goal_met"] else "not met"]
         for r in runs], align="llrrrrrrrrrl"))
    hist_rows = [[f"{r['model']} seed {r['seed']}"] + [f"{100 * p:.1f}" for p in r["class_histogram"]] for r in runs]
    hist_rows.append(["real (half B)"] + [f"{100 * p:.1f}" for p in real_cov.histogram])
    print(f"\nPredicted-class histogram of {args.samples:,} generated samples (%):\n")
    print(markdown_table(["samples"] + [str(i) for i in range(10)], hist_rows))
    print("\nWhat the numbers mean: FID of real images against half B, spoiled in known ways:\n")
    ref_rows = []
    for r in references:
        fid_cells = [f"{r['fid']:.2f}", f"{r['fid'] / floor:.1f}"] if r["fid"] is not None else ["—", "—"]
        ref_rows.append([r["images"], f"{r['n']:,}", f"{r['entropy_ratio']:.3f}", *fid_cells])
    print(markdown_table(["images", "n", "entropy (÷ ln 10)", "FID", "FID ÷ floor"], ref_rows))
    print("\nModels: " + "; ".join(f"{m} = {MODELS[m]}" for m in args.model) + ".")
    print(f"Evaluation classifier: held-out accuracy {100 * acc:.2f} %; real half B scores entropy {real_cov.entropy:.3f}, "
          f"confidence {real_cov.confidence:.3f}. Goal: 10 classes, entropy ≥ {GOAL_ENTROPY:.3f} (0.98 · ln 10), "
          f"FID ≤ {GOAL_FID_RATIO:g} × floor. " + describe_machine(machine))
    return {"benchmark": "mnist", "machine": machine, "minutes": args.minutes, "dataset_split": data.split,
            "train_images": len(kept), "heldout_images": len(held), "fid_images": n_eval,
            "classifier": {"heldout_accuracy": acc, "cached": info["cached"], "seconds": info["seconds"],
                           "path": info["path"], "num_features": classifier.num_features, "epochs": config.epochs},
            "fid_floor": floor, "reference_points": references,
            "real_class_coverage": {"entropy": real_cov.entropy, "confidence": real_cov.confidence,
                                    "histogram": real_cov.histogram.tolist()},
            "settings": {"models": list(args.model), "latent_dim": args.latent_dim, "width": args.width,
                         "batch_size": args.batch_size, "lr": args.lr, "lr_d": args.lr_d or args.lr, "ema_decay": args.ema_decay, "samples": args.samples,
                         "r1_weight": args.r1_weight, "r1_every": args.r1_every, "clusters": args.clusters},
            "goals": {"entropy_min": GOAL_ENTROPY, "fid_ratio_max": GOAL_FID_RATIO},
            "runs": runs, "load_average_end": machine_info(device)["load_average"]}


def add_arguments(parser) -> None:
    from gancourse.bench import add_classifier_arguments

    parser.add_argument("--model", nargs="+", choices=sorted(MODELS), default=list(MODELS),
                        help="which GANs to train, one run per model and seed (default: all three)")
    parser.add_argument("--minutes", type=float, default=5.0, help="wall-time training budget per run (default 5)")
    parser.add_argument("--samples", type=int, default=10_000, help="generated samples to evaluate and save")
    parser.add_argument("--save-samples", metavar="PATH", help="write the samples as .npy (N×1×28×28 float32 in [-1, 1])")
    parser.add_argument("--batch-size", type=int, default=64,
                        help="images per step (default 64: in a fixed time budget more, smaller steps won; see README)")
    parser.add_argument("--lr", type=float, default=8e-4,
                        help="Adam learning rate of G and D, β = (0.5, 0.999) (default 8e-4, 4× the DCGAN paper's 2e-4: "
                             "faster in a 5-minute budget, see README)")
    parser.add_argument("--lr-d", type=float, default=None,
                        help="D's own Adam learning rate (a two-time-scale update, TTUR); default: --lr")
    parser.add_argument("--ema-decay", type=float, default=0.99,
                        help="β of the generator's weight average that draws the samples (0 = G itself; default 0.99)")
    parser.add_argument("--r1-weight", type=float, default=0.0,
                        help="γ of an R1 penalty (γ/2)·E‖∇D(x)‖² on real images (0 = none, the default; 1 halved FID at "
                             "equal steps, see README)")
    parser.add_argument("--r1-every", type=int, default=4, help="lazy R1: computed every N-th step, N times the weight")
    parser.add_argument("--clusters", type=int, default=None,
                        help="sdcgan only: how many clusters of the training images it conditions on (default 10)")
    parser.add_argument("--latent-dim", type=int, default=64)
    parser.add_argument("--width", type=int, default=64, help="DCGAN base channel width")
    add_classifier_arguments(parser)
