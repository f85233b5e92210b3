"""``notebooks``: the cost of the course — wall time of each notebook with FAST and with default parameters.

Every ``notebooks/NN_*.ipynb`` is executed by papermill into a temporary folder (the repository's
notebooks are never overwritten), with the notebook folder as working directory and ``MPLBACKEND=agg``.
FAST runs inject ``FAST=True`` (and set ``GANCOURSE_FAST=1``); default runs inject nothing (and set
``GANCOURSE_FAST=0``).  Goals (COURSE.md §7): FAST ≤ 45 s each and ≤ 6 min for all; default ≤ 10 min each.

Before each run the machine's speed is measured (:func:`gancourse.bench.yardstick`, ms per step of the course DCGAN,
about 6 s; ``--no-yardstick`` skips it): this machine's speed moves from hour to hour, so read each time beside it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import traceback
from pathlib import Path

from gancourse.course import numbered_notebooks

ROOT = Path(__file__).resolve().parents[2]
GOAL_FAST_EACH, GOAL_FAST_ALL, GOAL_DEFAULT_EACH = 45.0, 360.0, 600.0


def execute(notebook: Path, out_dir: Path, mode: str, *, seed: int | None = None, device: str | None = None,
            kernel: str = "python3", progress: bool = False, timeout: int | None = None) -> dict:
    """Run ``notebook`` once (``mode`` = "fast" or "default") into ``out_dir``; return timing and status."""
    import papermill as pm

    params = {"FAST": True} if mode == "fast" else {}
    if seed is not None:
        params["SEED"] = seed
    if device is not None:
        params["DEVICE"] = device
    out = out_dir / f"{notebook.stem}.{mode}{'' if seed is None else f'.seed{seed}'}.ipynb"
    saved = {k: os.environ.get(k) for k in ("GANCOURSE_FAST", "MPLBACKEND")}
    os.environ["GANCOURSE_FAST"] = "1" if mode == "fast" else "0"
    os.environ["MPLBACKEND"] = "agg"
    start = time.perf_counter()
    error = None
    try:
        pm.execute_notebook(str(notebook), str(out), parameters=params, cwd=str(notebook.parent), kernel_name=kernel,
                            progress_bar=progress, log_output=False, execution_timeout=timeout)
    except Exception as exc:  # papermill raises PapermillExecutionError on any cell error
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"[:500]
        if not hasattr(exc, "ename"):
            error += " | " + traceback.format_exc(limit=1).strip().splitlines()[-1][:200]
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    seconds = time.perf_counter() - start
    goal = GOAL_FAST_EACH if mode == "fast" else GOAL_DEFAULT_EACH
    return {"notebook": notebook.name, "mode": mode, "seed": seed, "seconds": seconds, "ok": error is None,
            "error": error, "goal_seconds": goal, "within_goal": error is None and seconds <= goal, "output": str(out)}


def run(args) -> dict:
    from gancourse.bench import describe_machine, machine_info, markdown_table, yardstick

    folder = Path(args.dir) if args.dir else ROOT / "notebooks"
    notebooks = numbered_notebooks(folder, args.only)  # a number that names no notebook is an error
    machine = machine_info()
    if not notebooks:
        print(f"no notebooks NN_*.ipynb in {folder}")
    modes = ["fast"] if args.fast_only else (["default"] if args.default_only else ["fast", "default"])
    out_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="gancourse-nbbench-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = []
    for seed in args.seeds:
        for mode in modes:
            for nb in notebooks:
                speed = yardstick() if args.yardstick else None
                res = execute(nb, out_dir, mode, seed=seed, device=args.device, kernel=args.kernel,
                              progress=args.progress, timeout=args.timeout)
                res["yardstick_ms"] = speed
                runs.append(res)
                status = "ok" if res["ok"] else f"FAILED ({res['error']})"
                measured = "" if speed is None else f" (yardstick {speed:.0f} ms a step)"
                print(f"  {nb.name} [{mode}{'' if seed is None else f', SEED={seed}'}]: {res['seconds']:.1f} s{measured}, "
                      f"{status}", flush=True)

    print(f"\n### notebooks — wall time per notebook (papermill, cwd = {folder.name}/, MPLBACKEND=agg)\n")
    def with_speed(cell: str, speed: str) -> list[str]:
        """A mode's cells: its time, and beside it the yardstick when one was measured."""
        return [cell, speed] if args.yardstick else [cell]

    rows = []
    for nb in notebooks:
        for seed in args.seeds:
            cells = [nb.name] + ([] if args.seeds == [None] else [seed])
            for mode in modes:
                r = next(r for r in runs if r["notebook"] == nb.name and r["mode"] == mode and r["seed"] == seed)
                mark = "" if r["within_goal"] else (" ✗" if r["ok"] else " (error)")
                cells += with_speed(f"{r['seconds']:.1f}{mark}", f"{r['yardstick_ms'] or 0:.0f}")
            rows.append(cells)
    headers = (["notebook"] + ([] if args.seeds == [None] else ["seed"])
               + [cell for m in modes for cell in with_speed(f"{m} (s)", "yardstick (ms)")])
    totals = {m: sum(r["seconds"] for r in runs if r["mode"] == m) for m in modes}
    if notebooks:
        rows.append(["**total**"] + ([""] if args.seeds != [None] else [])
                    + [cell for m in modes for cell in with_speed(f"{totals[m]:.1f}", "")])
        print(markdown_table(headers, rows))
    failed = [f"{r['notebook']} [{r['mode']}]" for r in runs if not r["ok"]]
    speed_note = ("Yardstick: the machine's speed just before each run, ms per step of the course DCGAN on two threads "
                  "(gancourse.bench.yardstick; lower = faster). " if args.yardstick else "")
    print(f"\nGoals: FAST ≤ {GOAL_FAST_EACH:.0f} s each and ≤ {GOAL_FAST_ALL / 60:.0f} min for all; default ≤ "
          f"{GOAL_DEFAULT_EACH / 60:.0f} min each (✗ = over its goal). Failed: {', '.join(failed) or 'none'}. "
          f"{speed_note}Executed copies in {out_dir}. " + describe_machine(machine))
    return {"benchmark": "notebooks", "machine": machine, "folder": str(folder), "modes": modes, "runs": runs,
            "totals_seconds": totals, "failed": failed, "output_dir": str(out_dir),
            "goals": {"fast_each": GOAL_FAST_EACH, "fast_all": GOAL_FAST_ALL, "default_each": GOAL_DEFAULT_EACH},
            "fast_all_within_goal": ("fast" in totals and totals["fast"] <= GOAL_FAST_ALL),
            "load_average_end": machine_info()["load_average"]}


def add_arguments(parser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--fast-only", action="store_true", help="only the FAST runs")
    group.add_argument("--default-only", action="store_true", help="only the default runs")
    parser.add_argument("--only", nargs="+", metavar="NN", help="only these notebook numbers, e.g. --only 01 03")
    parser.add_argument("--dir", help="folder of NN_*.ipynb notebooks (default: the repository's notebooks/)")
    parser.add_argument("--keep", metavar="DIR", help="write the executed copies here instead of a temporary folder")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    parser.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds")
    parser.add_argument("--yardstick", action=argparse.BooleanOptionalAction, default=True,
                        help="measure the machine's speed before each run (about 6 s; default: on)")
