"""``toy2d``: how many modes of the 2-D ring and grid a GAN finds, and how precisely it hits them.

Protocol of VEEGAN / PacGAN (:cite:`srivastava2017veegan`, :cite:`lin2018pacgan`), COURSE.md §6:
ring = 8 Gaussians on the unit circle (std 0.01), grid = 25 Gaussians on {−4, −2, 0, 2, 4}² (std 0.05);
draw 2,500 samples; a sample is high quality (HQ) within 3 std of its nearest mode; a mode is covered
when it has at least one HQ sample (:func:`gancourse.metrics.mode_coverage`).  The methods are the
course's recipes (:mod:`gancourse.recipes`), imported like a notebook imports them.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from gancourse import metrics, toy
from gancourse.config import get_device
from gancourse.recipes import METHODS, N_SAMPLES, train_toy2d

#: Small MLPs gain nothing from intra-op threads, and on a busy machine a second OpenMP thread that
#: spin-waits for a descheduled partner made each step several times slower.
DEFAULT_THREADS = 1
DATASETS = ("ring", "grid")

#: Published rows (modes covered, HQ %), mean over runs, as quoted in COURSE.md §6.
PUBLISHED = {
    "PacGAN4 (Lin et al. 2018)": {"ring": (7.8, 95.9), "grid": (24.8, 93.6)},
    "VEEGAN (Srivastava et al. 2017)": {"ring": (8.0, 52.9), "grid": (24.6, 40.0)},
    "GAN (PacGAN's runs)": {"ring": (6.3, 98.2), "grid": (17.3, 94.8)},
}


def run(args) -> dict:
    """The ``toy2d`` subcommand: every dataset × method × seed; prints the tables, returns the JSON payload."""
    from gancourse.bench import describe_machine, fmt_mean, machine_info, markdown_table

    device = get_device(args.device)
    machine = machine_info(device)
    save_dir = Path(args.save_samples) if args.save_samples else None
    if save_dir is not None:
        save_dir.mkdir(parents=True, exist_ok=True)
    runs = []
    for dataset in args.dataset:
        modes, std = toy.modes_2d(dataset)
        for method in args.method:
            recipe = METHODS[method]()
            if args.steps is not None:
                recipe = replace(recipe, steps=args.steps)
            for seed in args.seeds:
                raw = {}
                trainer, samples, seconds = train_toy2d(dataset, recipe, seed, device=device, progress=args.progress,
                                                        n_samples=args.samples, raw=raw)
                variants = [(method, samples)]
                if recipe.drs_percentile is not None:  # the same run's plain G(z) samples, reported too
                    variants.append((f"{method} (G only)", raw["samples"]))
                for name, points in variants:
                    cov = metrics.mode_coverage(points, modes, std)
                    row = {"dataset": dataset, "method": name, "seed": seed, "modes": cov.covered, "n_modes": len(modes),
                           "hq_percent": 100 * cov.hq_fraction, "seconds": seconds, "steps": recipe.steps,
                           "per_mode_hq_counts": cov.counts.tolist(), "stop_reason": trainer.history.stop_reason}
                    if name == method and raw["acceptance"] is not None:
                        row["drs_acceptance"] = raw["acceptance"]
                    if save_dir is not None:
                        tag = method if name == method else f"{method}-G-only"
                        path = save_dir / f"{dataset}_{tag}_seed{seed}.npy"
                        np.save(path, points)
                        row["samples_file"] = str(path)
                    runs.append(row)
                    if args.progress:
                        print(f"  {dataset} {name} seed {seed}: {cov.covered}/{len(modes)} modes, "
                              f"{100 * cov.hq_fraction:.1f} % HQ, {seconds:.1f} s", flush=True)

    summary = []
    names = list(dict.fromkeys(r["method"] for r in runs))
    for dataset in args.dataset:
        for method in names:
            rows = [r for r in runs if r["dataset"] == dataset and r["method"] == method]
            modes_, hq, secs = [r["modes"] for r in rows], [r["hq_percent"] for r in rows], [r["seconds"] for r in rows]
            summary.append({"dataset": dataset, "method": method, "seeds": len(rows), "n_modes": rows[0]["n_modes"],
                            "modes_mean": float(np.mean(modes_)), "modes_min": int(min(modes_)),
                            "all_modes_every_seed": all(m == rows[0]["n_modes"] for m in modes_),
                            "hq_mean": float(np.mean(hq)), "hq_min": float(min(hq)),
                            "seconds_mean": float(np.mean(secs)), "seconds_max": float(max(secs)),
                            "modes_text": fmt_mean(modes_), "hq_text": fmt_mean(hq), "steps": rows[0]["steps"]})

    print(f"\n### toy2d — mode coverage ({args.samples:,} samples per run; HQ = within 3 std of the nearest mode)\n")
    print(markdown_table(["dataset", "method", "seed", "modes", "HQ %", "seconds", "DRS acceptance"],
                         [[r["dataset"], r["method"], r["seed"], f"{r['modes']}/{r['n_modes']}", f"{r['hq_percent']:.1f}",
                           f"{r['seconds']:.1f}", f"{100 * r['drs_acceptance']:.0f} %" if "drs_acceptance" in r else ""]
                          for r in runs], align="llrrrrr"))
    print("\n(seconds: building, training and sampling one run; a \"G only\" row is the same run's plain G(z) samples.)")
    print("\nSummary (mean ± std over seeds; worst seed in brackets) beside published results:\n")
    table = []
    for s in summary:
        table.append([s["dataset"], f"{s['method']} (ours, {s['seeds']} seed{'s' * (s['seeds'] > 1)}, {s['steps']:,} steps)",
                      f"{s['modes_text']} (min {s['modes_min']})", f"{s['hq_text']} (min {s['hq_min']:.1f})",
                      f"{s['seconds_mean']:.1f} (max {s['seconds_max']:.1f})"])
    for dataset in args.dataset:
        for name, values in PUBLISHED.items():
            table.append([dataset, name + ", published", f"{values[dataset][0]:g}", f"{values[dataset][1]:g}", "—"])
    print(markdown_table(["dataset", "method", "modes", "HQ %", "seconds"], table, align="llrrr"))
    print(f"\nPerfect sampler: all modes, {100 * metrics.perfect_hq_fraction():.1f} % HQ expected. "
          + describe_machine(machine))
    return {"benchmark": "toy2d", "machine": machine, "samples_per_run": args.samples, "runs": runs, "summary": summary,
            "published": PUBLISHED, "recipes": {m: asdict(METHODS[m]()) for m in args.method},
            "steps_override": args.steps, "load_average_end": machine_info(device)["load_average"]}


def add_arguments(parser) -> None:
    parser.add_argument("--dataset", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--method", nargs="+", choices=sorted(METHODS), default=list(METHODS))
    parser.add_argument("--steps", type=int, default=None, help="override every method's number of generator steps")
    parser.add_argument("--samples", type=int, default=N_SAMPLES, help="generated samples per run (protocol: 2,500)")
    parser.add_argument("--save-samples", metavar="DIR", help="write each run's samples as DIR/<dataset>_<method>_seed<S>.npy")
