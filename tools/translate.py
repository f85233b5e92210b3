"""The Chinese edition: translation catalogs beside the notebooks, and the Chinese notebooks made from them.

Each English notebook ``notebooks/NN_name.ipynb`` has a gettext catalog ``notebooks/zh/NN_name.po``: one entry per
markdown cell, keyed by the cell's id (msgctxt) and holding the English text (msgid) and its Chinese translation
(msgstr). ``notebooks/zh/NN_name.ipynb`` is generated from the two: the English notebook with every markdown cell
replaced by its translation — code cells and stored outputs are the same.

    python tools/translate.py update [NN …]          # catalogs follow the English notebooks (see below)
    python tools/translate.py build [NN …]           # write notebooks/zh/NN_name.ipynb from notebook + catalog
    python tools/translate.py check [NN …]           # exit 1, naming the cells, if anything is missing or stale
    python tools/translate.py export NN DIR          # each cell still to translate as DIR/<cell id>.en.md
    python tools/translate.py import NN DIR          # DIR/<cell id>.zh.md files into the catalog

When an English cell changes, ``update`` keeps its old translation but marks it *fuzzy* with the previous English
text beside it (gettext's ``#| msgid``), so a translator sees exactly what changed; the drift test
(tests/test_translations.py) fails until the translation is revised and the fuzzy flag removed (``import`` does
that for the cells it imports). New cells get empty entries; entries of deleted cells are dropped.
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import polib


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from a checkout: the course package beside it
from gancourse.course import numbered_notebooks  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"
ZH = NOTEBOOKS / "zh"
REPOSITORY_NOTEBOOKS = "/blob/main/notebooks/"  # the Colab badge's path part; the Chinese badge opens notebooks/zh/


def english_notebooks(numbers: list[str] | None = None) -> list[Path]:
    try:
        return numbered_notebooks(NOTEBOOKS, numbers)
    except ValueError as error:
        sys.exit(str(error))


def catalog_path(notebook: Path) -> Path:
    return ZH / f"{notebook.stem}.po"


def markdown_cells(notebook) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "markdown"]


def load_catalog(notebook: Path) -> polib.POFile:
    path = catalog_path(notebook)
    if path.is_file():
        return polib.pofile(str(path), wrapwidth=0)
    catalog = polib.POFile(wrapwidth=0)
    catalog.metadata = {"Project-Id-Version": f"gancourse {notebook.stem}", "Language": "zh_CN",
                        "MIME-Version": "1.0", "Content-Type": "text/plain; charset=UTF-8",
                        "Content-Transfer-Encoding": "8bit"}
    return catalog


def entries_by_id(catalog: polib.POFile) -> dict[str, polib.POEntry]:
    return {entry.msgctxt: entry for entry in catalog}


def save_catalog(catalog: polib.POFile, notebook: Path) -> None:
    ZH.mkdir(parents=True, exist_ok=True)
    catalog.save(str(catalog_path(notebook)))


# ---- update -------------------------------------------------------------------------------------------------------
def update(notebook_path: Path) -> dict:
    """Make the catalog follow the notebook; returns counts of new, changed (now fuzzy) and dropped entries."""
    notebook = nbformat.read(notebook_path, as_version=4)
    catalog = load_catalog(notebook_path)
    by_id = entries_by_id(catalog)
    counts = {"new": 0, "changed": 0, "dropped": 0}
    entries = []
    for cell in markdown_cells(notebook):
        entry = by_id.pop(cell.id, None)
        if entry is None:
            entry = polib.POEntry(msgctxt=cell.id, msgid=cell.source, msgstr="")
            counts["new"] += 1
        elif entry.msgid != cell.source:
            if entry.msgstr:  # keep the old translation for the translator, flagged, with the old English beside it
                entry.previous_msgid = entry.msgid
                if "fuzzy" not in entry.flags:
                    entry.flags.append("fuzzy")
            entry.msgid = cell.source
            counts["changed"] += 1
        entries.append(entry)
    counts["dropped"] = len(by_id)
    catalog[:] = entries  # in the notebook's order
    save_catalog(catalog, notebook_path)
    return counts


# ---- problems (the drift test) -----------------------------------------------------------------------------------
@dataclass
class Problem:
    notebook: str
    cell_id: str
    what: str
    english_start: str

    def __str__(self) -> str:
        return f"{self.notebook} cell {self.cell_id} ({self.english_start!r}): {self.what}"


def stale(entry: polib.POEntry | None, cell) -> str | None:
    """Why ``cell`` has no current, reviewed translation in ``entry`` (None: it has one)."""
    if entry is None:
        return "not in the catalog (a new cell): run `python tools/translate.py update`, then translate it"
    if entry.msgid != cell.source:
        return "the English changed since the catalog was updated: run `python tools/translate.py update`"
    if not entry.msgstr.strip():
        return "not translated yet"
    if "fuzzy" in entry.flags:
        return "the English changed since it was translated (fuzzy): revise the translation, remove the flag"
    return None


def problems(notebook_path: Path) -> list[Problem]:
    """Every markdown cell without a current, reviewed translation, and a generated notebook out of date."""
    path = catalog_path(notebook_path)
    if not path.is_file():
        return [Problem(notebook_path.name, "-", f"no catalog {path.relative_to(ROOT)}: run "
                        "`python tools/translate.py update`", "")]
    notebook, by_id = nbformat.read(notebook_path, as_version=4), entries_by_id(load_catalog(notebook_path))
    found = []
    for cell in markdown_cells(notebook):
        what = stale(by_id.get(cell.id), cell)
        if what:
            start = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
            found.append(Problem(notebook_path.name, cell.id, what, start))
    if not found:
        generated = ZH / notebook_path.name
        if not generated.is_file() or nbformat.read(generated, as_version=4) != chinese_notebook(
                notebook, by_id, notebook_path.name):
            found.append(Problem(notebook_path.name, "-", f"{generated.relative_to(ROOT)} is not up to date: run "
                                 "`python tools/translate.py build`", ""))
    return found


# ---- build ---------------------------------------------------------------------------------------------------------
def chinese_notebook(notebook, by_id: dict[str, polib.POEntry], name: str):
    """The Chinese notebook: the English ``notebook`` (file ``name``) with each markdown cell's translation from
    its catalog entries ``by_id``; code and outputs the same."""
    chinese = copy.deepcopy(notebook)
    for cell in markdown_cells(chinese):
        entry = by_id.get(cell.id)
        if stale(entry, cell):
            raise ValueError(f"{name} cell {cell.id} has no current translation: "
                             "run `python tools/translate.py check` to see every such cell")
        cell.source = entry.msgstr
    first = chinese.cells[0]
    first.source = first.source.replace(f"{REPOSITORY_NOTEBOOKS}{name}", f"{REPOSITORY_NOTEBOOKS}zh/{name}")
    if f"../{name}" not in first.source:
        raise ValueError(f"{name}: the Chinese title cell must link its English twin (../{name}, i.e. notebooks/{name})")
    return chinese


def build(notebook_path: Path) -> Path:
    target = ZH / notebook_path.name
    notebook = nbformat.read(notebook_path, as_version=4)
    nbformat.write(chinese_notebook(notebook, entries_by_id(load_catalog(notebook_path)), notebook_path.name), target)
    return target


# ---- export / import (for translators: plain markdown files, no escaping) ------------------------------------------
def export(notebook_path: Path, folder: Path) -> int:
    """Write every cell still to translate (new, untranslated or fuzzy) as <id>.en.md; fuzzy ones also get their
    current translation as <id>.zh.md and the previous English as <id>.previous.en.md."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for entry in load_catalog(notebook_path):
        if entry.msgstr.strip() and "fuzzy" not in entry.flags:
            continue
        (folder / f"{entry.msgctxt}.en.md").write_text(entry.msgid, encoding="utf-8")
        if entry.msgstr.strip():
            (folder / f"{entry.msgctxt}.zh.md").write_text(entry.msgstr, encoding="utf-8")
        if entry.previous_msgid:
            (folder / f"{entry.msgctxt}.previous.en.md").write_text(entry.previous_msgid, encoding="utf-8")
        count += 1
    return count


def import_translations(notebook_path: Path, folder: Path) -> int:
    """Read <id>.zh.md files into the catalog (the translation is then current: the fuzzy flag goes)."""
    catalog = load_catalog(notebook_path)
    by_id = entries_by_id(catalog)
    count = 0
    for path in sorted(folder.glob("*.zh.md")):
        cell_id = path.name[: -len(".zh.md")]
        if cell_id not in by_id:
            sys.exit(f"{path.name}: no cell {cell_id} in {catalog_path(notebook_path).name} (run `update` first?)")
        text = path.read_text(encoding="utf-8")
        if not text.strip():
            sys.exit(f"{path.name} is empty")
        entry = by_id[cell_id]
        entry.msgstr = text.rstrip("\n") if not entry.msgid.endswith("\n") else text
        entry.flags = [flag for flag in entry.flags if flag != "fuzzy"]
        entry.previous_msgid = None
        count += 1
    save_catalog(catalog, notebook_path)
    return count


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in {"update", "build", "check", "export", "import"}:
        sys.exit(__doc__)
    command, rest = argv[0], argv[1:]
    if command in ("export", "import"):
        if len(rest) != 2:
            sys.exit(f"usage: translate.py {command} NN DIR")
        notebook = english_notebooks([rest[0]])[0]
        if command == "export":
            print(f"{notebook.name}: {export(notebook, Path(rest[1]))} cell(s) to translate written to {rest[1]}")
        else:
            print(f"{notebook.name}: {import_translations(notebook, Path(rest[1]))} translation(s) imported")
        return
    notebooks = english_notebooks(rest)
    if command == "update":
        for notebook in notebooks:
            counts = update(notebook)
            print(f"{catalog_path(notebook).relative_to(ROOT)}: {counts['new']} new, {counts['changed']} changed, "
                  f"{counts['dropped']} dropped")
    elif command == "build":
        for notebook in notebooks:
            print(f"wrote {build(notebook).relative_to(ROOT)}")
    else:
        found = [problem for notebook in notebooks for problem in problems(notebook)]
        for problem in found:
            print(problem)
        print(f"{len(found)} problem(s) in {len(notebooks)} notebook(s)")
        sys.exit(1 if found else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
