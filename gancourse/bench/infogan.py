"""``infogan``: does InfoGAN's categorical code become the digit? Notebook 06's runs, several seeds, with and without Q's warps.

Data and judge as in notebook 06: ``load_images("mnist", split="auto")`` with 40 % held out (seeded); the
classifier trains on the other 60 %, which InfoGAN trains on without labels.  Each run is notebook 06's InfoGAN
(the paper's MNIST networks narrowed to ``--hidden`` units and ``--width`` channels, the paper's settings with a
fused Adam, a weight average of G) for ``--steps`` steps, once per ``--q-invariance`` value and seed: 0 is the paper's InfoGAN, 1 the
course's (Q reads the categorical code through small random warps and stroke-width changes).  Reported per run:

- **code accuracy**: ``--samples-per-code`` samples per code value, read by the classifier, scored by the best
  one-to-one code → digit assignment (the goal: ≥ 90 %; the InfoGAN paper: 95 %);
- **Q on real digits**: Q's most likely code for each held-out real digit, scored the same way (the paper's measure);
- the largest correlation (in absolute value) of a continuous code with the digits' slant and with their width.

``--score-at`` also scores the first two at earlier steps of each run (scoring draws from generators of its own,
so the run goes on exactly as without it): one run then shows what a shorter run would have reached.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from gancourse import codes
from gancourse.classifier import ClassifierConfig, accuracy, load_or_train_classifier, predict
from gancourse.config import get_device, seeded
from gancourse.data import Batches, load_images
from gancourse.training import Evaluate, InfoGAN, Trainer, WeightAverage
from gancourse.training.infogan import InfoGANDiscriminator, InfoGANGenerator

HOLDOUT = 0.4
NOISE, CATEGORIES, CONTINUOUS = 62, 10, 2
GOAL_ACCURACY = 0.90


def build_trainer(args, seed: int, q_invariance: float, device: torch.device) -> Trainer:
    """Notebook 06's InfoGAN: the paper's networks at ``--width`` / ``--hidden`` and the paper's settings."""
    with seeded(seed):
        generator = InfoGANGenerator(NOISE + CATEGORIES + CONTINUOUS, width=args.width, hidden=args.hidden)
        discriminator = InfoGANDiscriminator(CATEGORIES, CONTINUOUS, width=args.width, hidden=args.hidden)
    family = InfoGAN(generator, discriminator, categories=CATEGORIES, continuous=CONTINUOUS, info_weight=1.0,
                     continuous_weight=0.1, lr_g=1e-3, lr_d=2e-4, betas=(0.5, 0.999), optimizer="adam-fused",
                     seed=seed, q_invariance=q_invariance)
    return Trainer(family, callbacks=[WeightAverage(0.99)], device=device)


def score(trainer: Trainer, read_digits, held, per_code: int, seed: int, *, correlations: bool = True) -> dict:
    """Code accuracy on samples and Q's accuracy on held-out real digits; with ``correlations``, also the continuous
    codes' largest correlations with the samples' slant and width (the end-of-run table shows them, --score-at not)."""
    family = trainer.family
    gen = torch.Generator().manual_seed(seed)
    category = torch.arange(CATEGORIES * per_code) % CATEGORIES
    continuous = torch.rand(len(category), CONTINUOUS, generator=gen) * 2 - 1
    images = family.sample(len(category), category=category, continuous=continuous, seed=seed)
    on_samples = codes.best_assignment_accuracy(category, read_digits(images), CATEGORIES, 10)
    on_real = codes.best_assignment_accuracy(family.read_codes(held.images)[0], held.labels, CATEGORIES, 10)
    scores = {"code_accuracy": on_samples.accuracy, "mapping": on_samples.mapping, "q_real_accuracy": on_real.accuracy}
    if correlations:
        for name, value in (("slant", codes.slant(images)), ("width", codes.width(images))):
            scores[f"{name}_correlation"] = max(abs(float(np.corrcoef(continuous[:, which].numpy(), value.numpy())[0, 1]))
                                                for which in range(CONTINUOUS))
    return scores


def along_rows(runs: list[dict], q_values) -> list[list]:
    """Table rows of the scores along each run (``--score-at`` steps, then the end), and their mean per warp strength."""
    def cells(runs_of_one_kind):
        points = [[*r["along"].values(), r] for r in runs_of_one_kind]
        return [f"{100 * np.mean([p['code_accuracy'] for p in at]):.1f} % "
                f"({100 * np.mean([p['q_real_accuracy'] for p in at]):.1f} %)" for at in zip(*points)]

    rows = []
    for q_invariance in q_values:
        kind = [r for r in runs if r["q_invariance"] == q_invariance]
        rows += [[f"{q_invariance:g}", r["seed"], *cells([r])] for r in kind]
        if len(kind) > 1:
            rows.append([f"{q_invariance:g}", "mean", *cells(kind)])
    return rows


def run(args) -> dict:
    from gancourse.bench import describe_machine, fmt_mean, machine_info, markdown_table

    if args.steps < 1 or args.samples_per_code < 1:
        raise ValueError(f"--steps and --samples-per-code must be ≥ 1, got {args.steps} and {args.samples_per_code}")
    if len(set(args.q_invariance)) < len(args.q_invariance):
        raise ValueError(f"--q-invariance lists a value twice ({args.q_invariance}); for more runs of one value add --seeds")
    score_at = sorted(set(args.score_at))
    if any(not 0 < step < args.steps for step in score_at):
        raise ValueError(f"--score-at takes steps between 1 and {args.steps - 1} (the last step is always scored), "
                         f"got {args.score_at}")
    device = get_device(args.device)
    machine = machine_info(device)
    data = load_images("mnist", split="auto", limit=args.limit)
    train, held = data.split_off(HOLDOUT, seed=0)
    cache = False if args.no_classifier_cache else args.classifier_cache
    classifier, info = load_or_train_classifier(train.images, train.labels, ClassifierConfig(epochs=args.classifier_epochs),
                                                cache=cache, progress=args.progress)
    classifier = classifier.cpu()
    judge_accuracy = accuracy(classifier, held.images, held.labels)

    def read_digits(images):
        return predict(classifier, images.clamp(-1, 1))[0].argmax(1)

    runs = []
    for q_invariance in args.q_invariance:
        for seed in args.seeds:
            trainer = build_trainer(args, seed, q_invariance, device)

            def scores_along(t, seed=seed):
                scores = score(t, read_digits, held, args.samples_per_code, seed=10_000 + seed, correlations=False)
                return {"code_accuracy": scores["code_accuracy"], "q_real_accuracy": scores["q_real_accuracy"]}

            scoring = [Evaluate(scores_along, at=score_at)] if score_at else []
            start = time.perf_counter()
            history = trainer.fit(Batches.from_data(train, 64, seed=seed, device=device), args.steps, callbacks=scoring,
                                  progress=args.progress, description=f"InfoGAN q_invariance {q_invariance:g} seed {seed}")
            seconds = time.perf_counter() - start  # includes the --score-at scoring
            along = {step: {"code_accuracy": code, "q_real_accuracy": real} for step, code, real in
                     zip(history.steps["code_accuracy"], history["code_accuracy"], history["q_real_accuracy"])
                     } if score_at else {}
            row = {"q_invariance": q_invariance, "seed": seed, "steps": trainer.step, "seconds": seconds,
                   "ms_per_step": 1000 * seconds / trainer.step,
                   **score(trainer, read_digits, held, args.samples_per_code, seed=10_000 + seed),
                   "along": along}
            runs.append(row)
            print(f"  q_invariance {q_invariance:g} seed {seed}: code accuracy {row['code_accuracy']:.1%}, "
                  f"Q on real digits {row['q_real_accuracy']:.1%} ({seconds:.0f} s)", flush=True)

    print(f"\n### infogan — {args.steps:,} steps of 64 images each on {len(train):,} unlabelled images "
          f"({data.split} split, {100 * HOLDOUT:.0f} % held out); G and D at {args.hidden} units and {args.width} channels\n")
    print(markdown_table(
        ["Q's warps", "seed", "code accuracy (samples)", "Q on held-out real digits", "slant: largest r", "width: largest r",
         "ms / step"],
        [[f"{r['q_invariance']:g}", r["seed"], f"{100 * r['code_accuracy']:.1f} %", f"{100 * r['q_real_accuracy']:.1f} %",
          f"{r['slant_correlation']:.2f}", f"{r['width_correlation']:.2f}", f"{r['ms_per_step']:.1f}"] for r in runs],
        align="lrrrrrr"))
    if score_at:
        steps = [*score_at, args.steps]
        print(f"\nCode accuracy on samples (Q on held-out real digits) after {', '.join(f'{s:,}' for s in steps)} steps:\n")
        print(markdown_table(["Q's warps", "seed", *(f"{s:,}" for s in steps)], along_rows(runs, args.q_invariance),
                             align="lr" + "r" * len(steps)))
    summary = []
    for q_invariance in args.q_invariance:
        rows = [r for r in runs if r["q_invariance"] == q_invariance]
        accuracies = [r["code_accuracy"] for r in rows]
        summary.append({"q_invariance": q_invariance, "seeds": len(rows), "mean_code_accuracy": float(np.mean(accuracies)),
                        "lowest_code_accuracy": min(accuracies),
                        "mean_q_real_accuracy": float(np.mean([r["q_real_accuracy"] for r in rows])),
                        "goal_met": float(np.mean(accuracies)) >= GOAL_ACCURACY})
    print()
    print(markdown_table(
        ["Q's warps", "seeds", "code accuracy: mean ± sd", "lowest", "Q on real digits: mean", "goal (mean ≥ 90 %)"],
        [[f"{s['q_invariance']:g}", s["seeds"],
          fmt_mean([r["code_accuracy"] for r in runs if r["q_invariance"] == s["q_invariance"]], 1, 100) + " %",
          f"{100 * s['lowest_code_accuracy']:.1f} %", f"{100 * s['mean_q_real_accuracy']:.1f} %",
          "met" if s["goal_met"] else "not met"] for s in summary], align="lrrrrl"))
    print(f"\nQ's warps: 0 = the InfoGAN paper's Q; 1 = Q reads the categorical code through random rotations up to ±20°, "
          f"shears, ±20 % scalings, small shifts and strokes up to a pixel thicker or thinner. The judge: a classifier "
          f"with {judge_accuracy:.1%} held-out accuracy. " + describe_machine(machine))
    return {"benchmark": "infogan", "machine": machine, "steps": args.steps, "dataset_split": data.split,
            "train_images": len(train), "heldout_images": len(held), "classifier_accuracy": judge_accuracy,
            "settings": {"width": args.width, "hidden": args.hidden, "samples_per_code": args.samples_per_code,
                         "q_invariance": list(args.q_invariance), "score_at": score_at},
            "goal_accuracy": GOAL_ACCURACY, "runs": runs, "summary": summary,
            "load_average_end": machine_info(device)["load_average"]}


def add_arguments(parser) -> None:
    from gancourse.bench import add_classifier_arguments

    parser.add_argument("--steps", type=int, default=1800, help="training steps per run (default 1800: notebook 06's)")
    parser.add_argument("--score-at", type=int, nargs="+", default=[], metavar="STEP",
                        help="also score each run after these steps (the end is always scored)")
    parser.add_argument("--q-invariance", type=float, nargs="+", default=[0.0, 1.0],
                        help="strength of Q's random warps, one set of runs per value (default: 0, the paper, and 1)")
    parser.add_argument("--width", type=int, default=32, help="convolution channels (default 32, notebook 06's)")
    parser.add_argument("--hidden", type=int, default=256, help="fully-connected units (default 256, notebook 06's)")
    parser.add_argument("--samples-per-code", type=int, default=500, help="samples per code value when scoring")
    add_classifier_arguments(parser)
