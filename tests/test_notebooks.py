"""Structure of every notebook (execution is done by nbval on FAST copies; see `make test`)."""

import ast
import json
import re
from pathlib import Path

import nbformat
import pytest

from gancourse import course

try:
    import tomllib  # Python 3.11+
except ModuleNotFoundError:  # Python 3.10: the same parser, from PyPI (the test extra installs it there)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-", ""}
# Pandoc-style [@key], [@a; @b], [@key, p. 3] and Sphinx-style :cite:`a,b`
CITATION = re.compile(r"\[(-?@[^\]]+)\]|:cite:`([^`]+)`")
CITATION_KEY = re.compile(r"-?@([A-Za-z0-9_:-]+)")
# The outline's figures and tables (seed 000) that each notebook must show
OUTLINE = {"01": ([1, 2], [1, 2]), "02": ([3, 4], [3, 4]), "03": ([6], [6]), "04": ([5], [5]),
           "05": ([7], [7]), "07": ([8], [8]), "09": ([9, 10, 11, 12, 13], [9, 10, 11, 12, 13]), "10": ([], [14, 15])}


# A Colab badge's target and the setup cell's install line, wherever they appear in a notebook
COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^)\s\"']+")
INSTALL_LINE = re.compile(r'%pip install[^\n]*"gancourse @ git\+([^"@]+)@([^"]+)"')


def repository_url() -> str:
    """The repository's address as pyproject.toml states it: the one place it is written."""
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"].get("urls", {})
    assert "Repository" in urls, "pyproject.toml: [project.urls] needs Repository = \"https://github.com/OWNER/NAME\""
    return urls["Repository"].rstrip("/")


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
    owner_name = repository_url().removeprefix("https://github.com/")
    url = f"https://colab.research.google.com/github/{owner_name}/blob/{course.BRANCH}/notebooks/{path.name}"
    assert url in first.source, f"{path.name}: the Colab badge must open this notebook from pyproject's Repository: {url}"
    assert "colab-badge.svg" in first.source
    stray = {link for cell in nb.cells for link in COLAB_LINK.findall(cell.source)} - {url}
    assert not stray, f"{path.name}: Colab links that are not this notebook in pyproject's Repository: {sorted(stray)}"


def test_setup_cell_installs_only_when_missing(notebook):
    path, nb = notebook
    setup = next(c for c in nb.cells if c.cell_type == "code")
    src = setup.source
    assert "import gancourse" in src and "except ImportError" in src and "pip install" in src
    assert src.index("import gancourse") < src.index("except ImportError") < src.index("pip install")
    installs = INSTALL_LINE.findall(src)
    assert installs == [(repository_url(), course.BRANCH)], (
        f"{path.name}: the setup cell must install \"gancourse @ git+{repository_url()}@{course.BRANCH}\" "
        f"(pyproject's Repository), found {installs}")
    elsewhere = [i for i, c in enumerate(nb.cells) if c is not setup and "git+https://" in c.source]
    assert not elsewhere, f"{path.name}: only the setup cell installs the package; cells {elsewhere} do too"


def test_course_module_reads_the_repository_from_pyproject():
    # gancourse.course reads the installed metadata; stale metadata (pyproject edited, package not
    # reinstalled) would give the notebook builder another address than the one the tests check
    expected = f"https://colab.research.google.com/github/{repository_url().removeprefix('https://github.com/')}"
    assert course.colab_url("notebooks/x.ipynb") == f"{expected}/blob/{course.BRANCH}/notebooks/x.ipynb", (
        "the installed gancourse metadata disagrees with pyproject.toml: reinstall (`make lab` or `pip install -e .`)")
    assert course.install_spec() == f"gancourse @ git+{repository_url()}@{course.BRANCH}"


def test_every_project_url_lives_in_the_repository():
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    others = {name: url for name, url in urls.items() if not url.startswith(repository_url())}
    assert not others, f"pyproject [project.urls] that name another address than Repository: {others}"


def test_readme_binder_badge_and_repository_links_use_pyproject():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    owner_name = repository_url().removeprefix("https://github.com/")
    badge = f"(https://mybinder.org/v2/gh/{owner_name}/{course.BRANCH}?urlpath=lab)"
    assert "[![Binder](https://mybinder.org/badge_logo.svg)]" + badge in readme, f"README: Binder badge linking {badge}"
    # every repository address in the README, written plainly or URL-encoded (the nbgitpuller link)
    named = set(re.findall(r"github\.com/([\w.-]+/[\w.-]+)", readme))
    named |= {m.replace("%2F", "/") for m in re.findall(r"github\.com%2F([\w.-]+%2F[\w.-]+)", readme)}
    named |= set(re.findall(r"mybinder\.org/v2/gh/([\w.-]+/[\w.-]+)", readme))
    assert named == {owner_name}, f"README names repositories other than pyproject's {owner_name}: {sorted(named)}"


def test_parameters_cell(notebook):
    _, nb = notebook
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert nb.cells[course.parameters_cell(nb.cells)] is tagged[0]
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
    parameters = nb.cells[course.parameters_cell(nb.cells)]
    assert re.search(r'^DATASET\s*=\s*"auto"', parameters.source, re.M), f"{path.name}: DATASET must default to \"auto\""


def test_slide_types_valid(notebook):
    _, nb = notebook
    for cell in nb.cells:
        slide = cell.metadata.get("slideshow", {}).get("slide_type", "")
        assert slide in SLIDE_TYPES, f"invalid slide_type {slide!r}"
    assert nb.cells[0].metadata.get("slideshow", {}).get("slide_type") == "slide"


def _first_line(cell) -> str:
    return cell.source.split("\n", 1)[0]


def _slide_type(cell) -> str:
    return cell.metadata.get("slideshow", {}).get("slide_type", "")


def test_rise_notebook_metadata(notebook):
    path, nb = notebook
    assert nb.metadata.get("rise") == course.RISE, (
        f"{path.name}: the notebook-level 'rise' metadata must be gancourse.course.RISE, got {nb.metadata.get('rise')}")


def test_rise_settings_are_ones_jupyterlab_rise_reads():
    jsonschema = pytest.importorskip("jsonschema")
    from jupyter_core.paths import jupyter_path

    schemas = [Path(folder) / "jupyterlab-rise" / "schemas" / "jupyterlab-rise" / "plugin.json"
               for folder in jupyter_path("labextensions")]
    schema = next((s for s in schemas if s.exists()), None)
    if schema is None:
        pytest.skip("jupyterlab-rise is not installed here (the notebooks extra has it): run `make lab`")
    # the extension's settings schema forbids unknown keys (additionalProperties: false) and lists each value
    jsonschema.validate(course.RISE, json.loads(schema.read_text(encoding="utf-8")))
    assert course.RISE["scroll"] is True and course.RISE["autolaunch"] is False


def test_slides_follow_the_notebook_structure(notebook):
    """Set-up cells are skipped, '## ' sections are slides, '### ' steps sub-slides, speaker notes are notes."""
    path, nb = notebook
    problems = []

    def problem(index, cell, text):
        problems.append(f"{path.name} cell {index} ({_first_line(cell)[:60]!r}): {text}")

    first_section = next((i for i, c in enumerate(nb.cells)
                          if c.cell_type == "markdown" and c.source.startswith("## ")), len(nb.cells))
    opening = range(1, first_section)
    setup = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    parameters = course.parameters_cell(nb.cells)
    for name, index in (("setup", setup), ("parameters", parameters)):
        if index not in opening:
            problem(index, nb.cells[index], f"the {name} cell must come before the first '## ' section")
    for index in opening:  # setup, parameters and imports: run, never shown as slides
        if _slide_type(nb.cells[index]) != "skip":
            problem(index, nb.cells[index], f"a set-up cell before the first section must be 'skip', "
                                            f"not {_slide_type(nb.cells[index])!r}")
    for index, cell in enumerate(nb.cells):
        slide = _slide_type(cell)
        if cell.cell_type == "markdown" and cell.source.startswith("## ") and slide != "slide":
            problem(index, cell, f"a '## ' section heading starts a slide, not {slide!r}")
        if cell.cell_type == "markdown" and cell.source.startswith("### ") and slide != "subslide":
            problem(index, cell, f"a '### ' heading starts a sub-slide, not {slide!r}")
        if cell.cell_type == "markdown" and cell.source.startswith("Speaker notes") and slide != "notes":
            problem(index, cell, f"speaker notes must be 'notes' (shown only in the speaker view), not {slide!r}")
        if slide == "notes" and cell.cell_type != "markdown":
            problem(index, cell, "a code cell marked 'notes' would run unseen: only markdown can be notes")
    assert not problems, "\n".join(problems)


def test_slide_structure_check_names_the_notebook_and_cell():
    # the structural test must fail, naming the cell, when a section heading is not a slide
    path = NOTEBOOKS[0]
    nb = nbformat.read(path, as_version=4)
    section = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## "))
    nb.cells[section].metadata["slideshow"] = {"slide_type": "fragment"}
    with pytest.raises(AssertionError, match=rf"{path.name} cell {section} .*starts a slide, not 'fragment'"):
        test_slides_follow_the_notebook_structure((path, nb))


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


def test_fast_lengths_are_written_once_after_the_parameters_cell(notebook):
    """The parameters cell holds the default run's lengths; FAST's are written once, in one `if FAST:` block of a later
    cell.  A length computed from FAST inside the parameters cell would miss `papermill -p FAST True` (papermill
    injects its values after that cell), and a second copy of it could disagree with the first.  Each length the block
    shortens is a parameter, and numbers are shortened with ``min`` so that a length set lower stays lower."""
    path, nb = notebook
    index = course.parameters_cell(nb.cells)
    parameters = nb.cells[index].source
    assert "if FAST else" not in parameters, f"{path.name}: the parameters cell computes a length from FAST"
    names = set(re.findall(r"^(\w+) = ", parameters, re.M))
    code = [cell.source for cell in nb.cells[index + 1:] if cell.cell_type == "code"]
    assert sum("if FAST:" in source for source in code) == 1, f"{path.name}: FAST's lengths belong in one cell"
    blocks = [node for node in ast.parse(code[0]).body  # the next code cell, as the README says
              if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "FAST"]
    assert len(blocks) == 1, f"{path.name}: expected one `if FAST:` block in the code cell after the parameters"
    shortened = {}
    for statement in blocks[0].body:
        assert isinstance(statement, ast.Assign), f"{path.name}: the `if FAST:` block should only assign lengths"
        (target,) = statement.targets
        pairs = (zip(target.elts, statement.value.elts) if isinstance(target, ast.Tuple) else [(target, statement.value)])
        shortened.update((name.id, value) for name, value in pairs)
    assert shortened and set(shortened) <= names, f"{path.name}: FAST shortens {set(shortened) - names}, not parameters"
    for name, value in shortened.items():
        if isinstance(value, ast.Call) and getattr(value.func, "id", None) == "min":
            assert isinstance(value.args[0], ast.Name) and value.args[0].id == name, (path.name, name)
        else:  # a tuple of seeds or budgets, cut from the parameter itself (e.g. SEEDS[:2])
            assert not isinstance(value, ast.Call), f"{path.name}: shorten {name} with min(), or cut the tuple itself"
            assert name in {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}, f"{path.name}: {name}"


def test_papermill_reads_every_parameter(notebook):
    """`papermill --help-notebook` and papermill's parameter checks see every name of the parameters cell, with its
    default run's value (papermill skips a line holding a second `=`, e.g. in its comment)."""
    import papermill

    path, nb = notebook
    parameters = nb.cells[course.parameters_cell(nb.cells)].source
    names = re.findall(r"^(\w+) = ", parameters, re.M)
    assert sorted(papermill.inspect_notebook(str(path))) == sorted(names), path.name
