"""Execute notebooks with their default parameters (papermill) and store clean outputs in place.

    python tools/run_notebooks.py            # every notebooks/NN_*.ipynb
    python tools/run_notebooks.py 03 04      # only these numbers
    python tools/run_notebooks.py --out build/runs 05   # executed copies in build/runs; the notebooks stay as they are

After execution the notebook is cleaned for diffs: no widget state, no papermill timing metadata,
execution counts renumbered.  Widget outputs cannot be shown without their state: a progress bar's is
dropped (its text fallback is the bar at 0 %), any other widget's is replaced by a one-line note.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import nbformat
import papermill as pm


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from a checkout: the course package beside it
from gancourse.course import numbered_notebooks  # noqa: E402

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PROGRESS_BAR = re.compile(r"\d+%\|.*\|")  # tqdm's text fallback, e.g. "gan:   0%|          | 0/200 […]"
WIDGET_NOTE = "[interactive widget: run the notebook to use it]"
CELL_TIMEOUT = 900  # seconds


def slowest_cells(nb, count: int = 5) -> list[tuple[float, str]]:
    """The ``count`` slowest code cells as (seconds, first line), from papermill's timing metadata."""
    timed = [(cell.metadata.get("papermill", {}).get("duration") or 0.0, cell.source.strip().split("\n")[0][:60])
             for cell in nb.cells if cell.cell_type == "code"]
    return sorted(timed, reverse=True)[:count]


def clean(path: Path) -> tuple[int, list[tuple[float, str]]]:
    """Strip volatile metadata and widget state; returns the file size in bytes and the slowest cells."""
    nb = nbformat.read(path, as_version=4)
    slowest = slowest_cells(nb)
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("papermill", None)
    count = 0
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        count += 1
        cell.execution_count = count
        kept = []
        for output in cell.get("outputs", []):
            if "execution_count" in output:
                output["execution_count"] = count
            data = output.get("data")
            if data and WIDGET_VIEW in data:
                data.pop(WIDGET_VIEW)
                if PROGRESS_BAR.search("".join(data.get("text/plain", ""))):
                    continue
                data["text/plain"] = WIDGET_NOTE
            kept.append(output)
        if "outputs" in cell:
            cell.outputs = kept
    nbformat.write(nb, path)
    return path.stat().st_size, slowest


def main(selected: list[str], out: Path | None = None) -> None:
    try:
        notebooks = numbered_notebooks(ROOT / "notebooks", selected)
    except ValueError as error:
        sys.exit(str(error))
    if out:
        out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MPLBACKEND", "agg")
    for nb in notebooks:
        start = time.perf_counter()
        target = out / nb.name if out else nb
        # A default run takes ≤ 10 min in all, so a cell silent for 15 min has hung (seen once under heavy load):
        # fail with papermill's timeout error instead of waiting forever.
        pm.execute_notebook(str(nb), str(target), cwd=str(nb.parent), kernel_name="python3", progress_bar=False,
                            execution_timeout=CELL_TIMEOUT)
        size, slowest = clean(target)
        print(f"{nb.name}: {time.perf_counter() - start:.1f} s, {size / 1e6:.2f} MB; slowest cells:")
        for seconds, first_line in slowest:
            print(f"  {seconds:7.1f} s  {first_line}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Execute notebooks with their default parameters and store the outputs.")
    parser.add_argument("numbers", nargs="*", help="notebook numbers, e.g. 03 04 (default: all)")
    parser.add_argument("--out", type=Path, help="write executed copies here; the notebooks stay as they are")
    arguments = parser.parse_args()
    main(arguments.numbers, arguments.out)
