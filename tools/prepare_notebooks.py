"""Copy every notebook into OUT_DIR with FAST parameters injected by papermill (nothing is executed).

Used by `make test`: pytest --nbval-lax then executes each prepared copy exactly once.
"""

from __future__ import annotations

import sys
from pathlib import Path

import papermill as pm

ROOT = Path(__file__).resolve().parent.parent


def main(out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        sys.exit("no notebooks/NN_*.ipynb found")
    for nb in notebooks:
        pm.execute_notebook(str(nb), str(out / nb.name), parameters={"FAST": True}, prepare_only=True,
                            log_output=False, progress_bar=False)
    print(f"prepared {len(notebooks)} notebook(s) with FAST=True in {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/nbtest")
