"""No path of the machine that produced a file appears in the notebooks (sources and stored outputs) or the docs.

Such a path tells a reader nothing, differs on their machine, and leaks the author's folder layout.
Data locations are printed relative to the data folder instead (``$GANCOURSE_DATA/MNIST/raw``).
"""

import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
DOCS = [ROOT / "README.md", *sorted((ROOT / "notes").glob("*.md"))]
# POSIX home, scratch and CI folders (and Colab's /content) not inside a URL or a longer path, and
# Windows drive paths with at least two parts (so that LaTeX such as p:\mathbb{R} is not taken for one).
MACHINE_PATH = re.compile(
    r"(?<![\w/.:~-])/(?:work|home|root|tmp|Users|mnt|content|private|var/folders)/[^\s'\"`)]*"
    r"|(?<![\w\\])[A-Za-z]:\\[^\\\s{}$]+\\[^\s'\"`]*"
)


def machine_paths(text: str) -> list[str]:
    return MACHINE_PATH.findall(text)


def _output_text(output) -> str:
    """The readable text of one stored output (images and other binary payloads are skipped)."""
    parts = [output.get("text", ""), "\n".join(output.get("traceback", []))]
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/") or mime.endswith("json"):
            parts.append(value if isinstance(value, str) else json.dumps(value))
    return "\n".join(parts)


def test_the_pattern_finds_machine_paths_and_nothing_else():
    found = ["/work/shared/data/MNIST/raw", "/home/ana/gancourse/data", "/tmp/pytest-1/x.pt",
             "C:\\Users\\ana\\data", "/root/.cache/gancourse/m.pt", "/Users/ana/course"]
    for path in found:
        assert machine_paths(f"Loaded mnist from {path}\n") == [path]
    harmless = ["from $GANCOURSE_DATA/MNIST/raw", "data/MNIST/raw", "https://example.org/home/tmp/index.html",
                "~/.cache/gancourse", "$p:\\mathbb{R}^d \\to [0, 1]$", "tests/test_nb04.py", "x / 127.5 − 1"]
    for text in harmless:
        assert machine_paths(text) == [], text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebooks_hold_no_machine_paths(path):
    nb = nbformat.read(path, as_version=4)
    problems = [f"{path.name} notebook metadata: {found}"] if (found := machine_paths(json.dumps(nb.metadata))) else []
    for index, cell in enumerate(nb.cells):
        where = f"{path.name} cell {index} (id {cell.get('id', '?')})"
        if found := machine_paths(cell.source):
            problems.append(f"{where}, source: {found}")
        for output in cell.get("outputs", []):
            if found := machine_paths(_output_text(output)):
                problems.append(f"{where}, stored output: {found}")
    assert not problems, "machine paths (re-run the notebook after fixing what printed them):\n" + "\n".join(problems)


@pytest.mark.parametrize("path", DOCS, ids=[p.name for p in DOCS])
def test_docs_hold_no_machine_paths(path):
    problems = [f"{path.name} line {n}: {machine_paths(line)}"
                for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if machine_paths(line)]
    assert not problems, "\n".join(problems)
