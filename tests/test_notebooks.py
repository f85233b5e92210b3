"""Structure of every notebook (execution is done by nbval on FAST copies; see `make test`)."""

import re
from pathlib import Path

import nbformat
import pytest

from gancourse.course import colab_url

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-", ""}
# Pandoc-style [@key], [@a; @b], [@key, p. 3] and Sphinx-style :cite:`a,b`
CITATION = re.compile(r"\[(-?@[^\]]+)\]|:cite:`([^`]+)`")
CITATION_KEY = re.compile(r"-?@([A-Za-z0-9_:-]+)")
# The outline's figures and tables (seed 000) that each notebook must show
OUTLINE = {"01": ([1, 2], [1, 2]), "02": ([3, 4], [3, 4]), "03": ([6], [6]), "04": ([5], [5]),
           "05": ([7], [7]), "07": ([8], [8]), "09": ([9, 10, 11, 12, 13], [9, 10, 11, 12, 13]), "10": ([], [14, 15])}


def bib_keys() -> set[str]:
    return set(re.findall(r"@\w+\s*\{\s*([^,\s]+)\s*,", (ROOT / "references.bib").read_text(encoding="utf-8")))


def _cited(text: str) -> set[str]:
    keys = set()
    for bracket, sphinx in CITATION.findall(text):
        if bracket:
            keys.update(CITATION_KEY.findall(bracket))
        else:
            keys.update(k.strip() for k in sphinx.split(",") if k.strip())
    return keys


@pytest.fixture(params=NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def notebook(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/NN_*.ipynb missing"
    numbers = [p.name[:2] for p in NOTEBOOKS]
    assert numbers == [f"{i:02d}" for i in range(1, len(numbers) + 1)], "notebooks must be numbered 01, 02, … without gaps"


def test_valid_nbformat(notebook):
    path, nb = notebook
    nbformat.validate(nb)


def test_title_and_colab_badge(notebook):
    path, nb = notebook
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "first cell: a '# Title' markdown cell"
    url = colab_url(f"notebooks/{path.name}")
    assert url in first.source, f"the Colab badge must link to {url}"
    assert "colab-badge.svg" in first.source


def test_setup_cell_installs_only_when_missing(notebook):
    _, nb = notebook
    setup = next(c for c in nb.cells if c.cell_type == "code")
    src = setup.source
    assert "import gancourse" in src and "except ImportError" in src and "pip install" in src
    assert src.index("import gancourse") < src.index("except ImportError") < src.index("pip install")


def test_parameters_cell(notebook):
    _, nb = notebook
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert re.search(r"^FAST\s*=", tagged[0].source, re.M)
    assert re.search(r"^SEED\s*=", tagged[0].source, re.M)


def test_image_notebooks_default_to_the_auto_dataset(notebook):
    # "auto" is MNIST where it can be had and digits otherwise, so every notebook runs on a fresh offline machine
    path, nb = notebook
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    calls = re.findall(r"load_images\(\s*([^,)]*)", code)
    if not calls:
        return
    assert set(calls) == {"DATASET"}, f"{path.name}: load_images must take the DATASET parameter, got {calls}"
    parameters = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert re.search(r'^DATASET\s*=\s*"auto"', parameters.source, re.M), f"{path.name}: DATASET must default to \"auto\""


def test_slide_types_valid(notebook):
    _, nb = notebook
    for cell in nb.cells:
        slide = cell.metadata.get("slideshow", {}).get("slide_type", "")
        assert slide in SLIDE_TYPES, f"invalid slide_type {slide!r}"
    assert nb.cells[0].metadata.get("slideshow", {}).get("slide_type") == "slide"


def test_citations_exist_in_bib(notebook):
    _, nb = notebook
    keys = bib_keys()
    cited = set().union(*(_cited(c.source) for c in nb.cells))
    assert cited, "a notebook cites its sources with [@key]"
    assert cited <= keys, f"unknown citation keys: {sorted(cited - keys)}"


def test_package_citations_exist_in_bib():
    keys = bib_keys()
    for path in (ROOT / "gancourse").rglob("*.py"):
        missing = _cited(path.read_text(encoding="utf-8")) - keys
        assert not missing, f"{path.name} cites unknown keys {sorted(missing)}"


def test_no_errors_no_widget_state_no_todo(notebook):
    path, nb = notebook
    assert "widgets" not in nb.metadata, "saved widget state: run tools/run_notebooks.py, which strips it"
    for cell in nb.cells:
        assert "TODO" not in cell.source
        for output in cell.get("outputs", []):
            assert output.output_type != "error", f"stored error output in {path.name}"
            assert "application/vnd.jupyter.widget-view+json" not in output.get("data", {})
    assert path.stat().st_size < 3_000_000


def test_outputs_are_stored(notebook):
    path, nb = notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), f"{path.name}: run `make notebooks` to store outputs"


def test_outline_figures_and_tables_are_captioned(notebook):
    path, nb = notebook
    figures, tables = OUTLINE.get(path.name[:2], ([], []))
    text = "\n".join(c.source for c in nb.cells)
    for n in figures:
        assert re.search(rf"Fig(?:ure)?\.? {n} · 图{n}\b", text), f"{path.name}: caption 'Fig {n} · 图{n} …' missing"
    for n in tables:
        assert re.search(rf"Table {n} · 表{n}\b", text), f"{path.name}: caption 'Table {n} · 表{n} …' missing"


def test_learning_objectives_runtime_and_takeaways(notebook):
    _, nb = notebook
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
    for phrase in ("learning objectives", "run time", "key takeaways", "discussion", "references", "errata"):
        assert phrase in text, f"missing section: {phrase}"


def test_citation_parser_reads_every_form():
    text = "see [@a; @b, p. 3] and [@c] and :cite:`d, e` but not an e-mail x@y.org"
    assert _cited(text) == {"a", "b", "c", "d", "e"}
