"""Copy every notebook into OUT_DIR with FAST parameters injected by papermill (nothing is executed).

Used by `make test`: pytest --nbval-lax then executes each prepared copy exactly once.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import papermill as pm


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from a checkout: the course package beside it
from gancourse.course import parameters_cell  # noqa: E402

CHINESE_EXECUTED = "02"  # the Chinese notebook executed in `make test` (a short one)


def parameters_source(path: Path) -> str:
    """The source of the notebook's cell tagged `parameters` (empty if it has none)."""
    cells = nbformat.read(path, as_version=4).cells
    index = parameters_cell(cells)
    return "" if index is None else cells[index].source


def main(out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        sys.exit("no notebooks/NN_*.ipynb found")
    # One Chinese notebook runs too (they all hold the same code as the English ones; tests/test_translations.py
    # checks that): it shows the generated notebooks execute from their own folder.
    chinese = sorted((ROOT / "notebooks" / "zh").glob(f"{CHINESE_EXECUTED}_*.ipynb"))
    runs = [(nb, out / nb.relative_to(ROOT / "notebooks"), {"FAST": True}) for nb in notebooks + chinese]
    # Notebooks with a PRETRAINED parameter run a second time loading the shipped checkpoints: this fails when a
    # checkpoint no longer fits the notebook's model or settings (tests/test_pretrained.py checks the files).
    pretrained = [nb for nb in notebooks if "PRETRAINED = " in parameters_source(nb)]
    runs += [(nb, out / "pretrained" / nb.name, {"FAST": True, "PRETRAINED": True}) for nb in pretrained]
    for nb, target, parameters in runs:
        target.parent.mkdir(parents=True, exist_ok=True)
        pm.execute_notebook(str(nb), str(target), parameters=parameters, prepare_only=True,
                            log_output=False, progress_bar=False)
    print(f"prepared {len(notebooks)} notebooks, {len(chinese)} Chinese and {len(pretrained)} with PRETRAINED=True "
          f"(all FAST) in {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/nbtest")
