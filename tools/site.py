"""Build the course as static web pages from the notebooks' stored outputs (nothing is executed).

    python tools/site.py slides build/slides        # one offline reveal.js deck per notebook, plus lib/
    python tools/site.py book build/book build/slides   # the book (Sphinx + MyST-NB), with the decks in slides/
    python tools/site.py readme                      # README.md's glossary table regenerated from assets/glossary.csv

Neither loads anything from another host: reveal.js, require.js, jQuery and MathJax come from the npm registry
(web/package.json, installed by `make web` into the folder $GANCOURSE_WEB names) and are copied beside the pages.
Widgets cannot run on a static page; each has a static figure beside it in the notebook, which stands in.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from a checkout: the course package beside it
from gancourse.course import colab_url  # noqa: E402

BOOK_SOURCE = ROOT / "book"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
CITATION = re.compile(r"\[(@[\w-]+(?:;\s*@[\w-]+)*)\]")  # [@key] or [@key1; @key2] (the notebooks' citations)


def web_modules() -> Path:
    """The npm packages' folder (node_modules), with a clear error when `make web` has not installed it."""
    folder = Path(os.environ.get("GANCOURSE_WEB", ROOT / ".web")) / "node_modules"
    if not (folder / "reveal.js" / "dist" / "reveal.js").is_file():
        sys.exit(f"the front-end files are missing from {folder}: run `make web` once (it needs the npm registry)")
    return folder


def course_notebooks() -> list[Path]:
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        sys.exit("no notebooks/NN_*.ipynb found")
    return notebooks


def title_of(notebook) -> str:
    """The English title: the first heading of the first cell, before its ' · 中文' part."""
    first_line = notebook.cells[0].source.splitlines()[0]
    return first_line.lstrip("# ").split(" · ")[0].strip()


def static_copy(path: Path):
    """The notebook with its setup cell hidden (the install lines mean nothing on a page). Stored notebooks hold
    no widget state or views (tools/run_notebooks.py strips them; tests/test_notebooks.py checks): each widget's
    static figure and its one-line note stand in for it."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source.startswith("# Setup:"):
            cell.metadata.setdefault("tags", []).append("remove-cell")
    return notebook


def rewrite_markdown(notebook, rewrite) -> None:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = rewrite(cell.source)


# ---- slides ------------------------------------------------------------------------------------------------------
def short_citations(bib_path: Path):
    """A function turning '[@key1; @key2]' into '(Goodfellow et al., 2014; …)' for slides, read from the .bib."""
    from pybtex.database import parse_file

    entries = parse_file(str(bib_path)).entries

    def cite(key: str) -> str:
        if key not in entries:
            raise KeyError(f"citation @{key} is not in {bib_path.name}: add it there or fix the key")
        entry = entries[key]
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [" ".join(p.last_names) for p in people] or [entry.fields.get("title", key)]
        who = names[0] if len(names) == 1 else f"{names[0]} & {names[1]}" if len(names) == 2 else f"{names[0]} et al."
        return f"{who}, {entry.fields.get('year', 'n.d.')}"

    def rewrite(text: str) -> str:
        return CITATION.sub(lambda m: "(" + "; ".join(cite(k.strip().lstrip("@")) for k in m.group(1).split(";")) + ")",
                            text)

    return rewrite


def copy_mathjax2(modules: Path, target: Path) -> None:
    """The parts of MathJax 2.7 that TeX-AMS_CHTML-full needs (12 of its 73 MB)."""
    source = modules / "mathjax2"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / "MathJax.js", target / "MathJax.js")
    for part in ("config", "extensions", "jax/input/TeX", "jax/element", "jax/output/CommonHTML", "localization/en",
                 "fonts/HTML-CSS/TeX/woff"):
        shutil.copytree(source / part, target / part, dirs_exist_ok=True)


def build_slides(out: Path) -> list[Path]:
    from nbconvert import SlidesExporter

    modules = web_modules()
    out.mkdir(parents=True, exist_ok=True)
    lib = out / "lib"
    shutil.copytree(modules / "reveal.js" / "dist", lib / "reveal.js" / "dist", dirs_exist_ok=True)
    shutil.copytree(modules / "reveal.js" / "plugin", lib / "reveal.js" / "plugin", dirs_exist_ok=True)
    shutil.copy2(modules / "requirejs" / "require.js", lib / "require.js")
    shutil.copy2(modules / "jquery" / "dist" / "jquery.min.js", lib / "jquery.min.js")
    copy_mathjax2(modules, lib / "mathjax")
    shutil.copy2(BOOK_SOURCE / "colab-badge.svg", lib / "colab-badge.svg")
    exporter = SlidesExporter(
        template_file=str(BOOK_SOURCE / "slides_template.html.j2"),
        reveal_url_prefix="lib/reveal.js", reveal_theme="white", reveal_transition="none", reveal_scroll=True,
        require_js_url="lib/require.js", jquery_url="lib/jquery.min.js",
        mathjax_url="lib/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe")
    cite = short_citations(ROOT / "references.bib")
    written = []
    for path in course_notebooks():
        notebook = static_copy(path)
        rewrite_markdown(notebook, lambda text: cite(text.replace(COLAB_BADGE, "lib/colab-badge.svg")))
        html, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title_of(notebook)}})
        target = out / f"{path.stem}.slides.html"
        target.write_text(html, encoding="utf-8")
        written.append(target)
    return written


# ---- book --------------------------------------------------------------------------------------------------------
def glossary_table(csv_path: Path, notebooks: list[Path], link) -> list[str]:
    """The glossary as markdown table lines; ``link(notebook_file_name)`` is where a notebook number points."""
    pages = {path.name[:2]: path.name for path in notebooks}
    with csv_path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    lines = ["| 中文 | English | notebook |", "|---|---|---|"]
    for row in rows:
        if row["notebook"] not in pages:
            raise ValueError(f"glossary term {row['en']!r} names notebook {row['notebook']!r}, which does not exist")
        lines.append(f"| {row['zh']} | {row['en']} | [{row['notebook']}]({link(pages[row['notebook']])}) |")
    return lines


def glossary_page(csv_path: Path, notebooks: list[Path]) -> str:
    lines = ["# Glossary · 术语表", "",
             "The course's Chinese and English terms, in the order the notebooks introduce them. The same table is "
             "`assets/glossary.csv` in the repository.", ""]
    return "\n".join(lines + glossary_table(csv_path, notebooks, lambda name: name)) + "\n"


README_GLOSSARY = re.compile(r"(<!-- glossary:start -->\n)(?:.*?\n)?(<!-- glossary:end -->)", re.S)


def readme_with_glossary(readme: str) -> str:
    """The README with its glossary block (between the glossary:start/end comments) regenerated from the CSV."""
    if not README_GLOSSARY.search(readme):
        raise ValueError("README.md has no <!-- glossary:start --> … <!-- glossary:end --> block")
    table = "\n".join(glossary_table(ROOT / "assets" / "glossary.csv", course_notebooks(),
                                     lambda name: f"notebooks/{name}"))
    return README_GLOSSARY.sub(lambda m: m.group(1) + "\n" + table + "\n\n" + m.group(2), readme)


def chapter_table(chapters: dict[Path, str], slides_prefix: str | None, headers: tuple[str, ...], badge: str) -> str:
    """The landing page's list of chapters ({notebook: title}): title, slides (if any) and a Colab badge (a local
    copy of the image)."""
    rows = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for path, title in chapters.items():
        slides = f' <a href="{slides_prefix}{path.stem}.slides.html">slides</a> |' if slides_prefix else ""
        repository_path = path.relative_to(ROOT).as_posix()
        rows.append(f"| {path.name[:2]} | [{title}]({path.name}) |{slides} "
                    f"[![Open In Colab]({badge})]({colab_url(repository_path)}) |")
    return "\n".join(rows)


def web_notebook(path: Path, badge: str):
    """A notebook as a page: citations become sphinxcontrib-bibtex roles (linked to the references page) and the
    Colab badge image is the site's own copy."""
    notebook = static_copy(path)
    rewrite_markdown(notebook, lambda text: CITATION.sub(
        lambda m: "{cite:p}`" + ",".join(k.strip().lstrip("@") for k in m.group(1).split(";")) + "`",
        text.replace(COLAB_BADGE, badge)))
    return notebook


def stage_notebooks(notebooks: list[Path], folder: Path, badge: str) -> dict[Path, str]:
    """Write each notebook as a page into ``folder``; returns {notebook: title} (each notebook is read once)."""
    titles = {}
    for path in notebooks:
        notebook = web_notebook(path, badge)
        nbformat.write(notebook, folder / path.name)
        titles[path] = title_of(notebook)
    return titles


def fill(page: Path, chapters: str, toctree: dict[Path, str]) -> None:
    text = page.read_text(encoding="utf-8")
    text = text.replace("<!-- chapters -->", chapters).replace("<!-- toctree -->", "\n".join(p.name for p in toctree))
    page.write_text(text, encoding="utf-8")


def stage_book(stage: Path) -> None:
    """Sphinx's source folder: the book's own pages, the English notebooks and (in zh/) the Chinese ones rewritten
    for the web, MathJax 3, the .bib."""
    if stage.exists():
        shutil.rmtree(stage)
    shutil.copytree(BOOK_SOURCE, stage, ignore=shutil.ignore_patterns("slides_template.html.j2", "zh_index.md",
                                                                      "__pycache__"))
    shutil.copy2(ROOT / "references.bib", stage / "references.bib")
    mathjax = web_modules() / "mathjax" / "es5"
    (stage / "_static" / "mathjax" / "output" / "chtml" / "fonts").mkdir(parents=True, exist_ok=True)
    shutil.copy2(mathjax / "tex-chtml.js", stage / "_static" / "mathjax" / "tex-chtml.js")
    shutil.copytree(mathjax / "output" / "chtml" / "fonts" / "woff-v2",
                    stage / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2")
    notebooks = course_notebooks()
    english = stage_notebooks(notebooks, stage, "colab-badge.svg")
    fill(stage / "index.md", chapter_table(english, "slides/", ("", "chapter", "slides", "run it"), "colab-badge.svg"),
         english)
    (stage / "glossary.md").write_text(glossary_page(ROOT / "assets" / "glossary.csv", notebooks), encoding="utf-8")
    # The Chinese edition (tools/translate.py makes notebooks/zh/): its own landing page and chapters in zh/.
    chinese = [ROOT / "notebooks" / "zh" / p.name for p in notebooks if (ROOT / "notebooks" / "zh" / p.name).is_file()]
    if chinese:
        (stage / "zh").mkdir()
        titles = stage_notebooks(chinese, stage / "zh", "../colab-badge.svg")
        shutil.copy2(BOOK_SOURCE / "zh_index.md", stage / "zh" / "index.md")
        fill(stage / "zh" / "index.md", chapter_table(titles, None, ("", "章节", "运行"), "../colab-badge.svg"), titles)
    index = (stage / "index.md").read_text(encoding="utf-8")
    if chinese:
        index = index.replace("<!-- zh -->", "zh/index")
    else:  # no Chinese notebooks generated (yet): no link to them
        index = "\n".join(line for line in index.splitlines() if "zh/index" not in line and "<!-- zh -->" not in line)
    (stage / "index.md").write_text(index, encoding="utf-8")


def build_book(out: Path, slides: Path) -> Path:
    stage = out.parent / f"{out.name}-source"
    stage_book(stage)
    if out.exists():
        shutil.rmtree(out)
    # -W: a warning (a broken reference, a missing image, an unknown citation key) fails the build.
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", str(stage), str(out)]
    subprocess.run(command, check=True)
    shutil.copytree(slides, out / "slides")
    return out / "index.html"


def main(argv: list[str]) -> None:
    usage = "usage: site.py slides OUT | site.py book OUT SLIDES | site.py readme"
    arity = {"slides": 2, "book": 3, "readme": 1}
    if not argv or argv[0] not in arity or len(argv) != arity[argv[0]]:
        sys.exit(usage)
    start = time.perf_counter()
    if argv[0] == "readme":
        readme = ROOT / "README.md"
        readme.write_text(readme_with_glossary(readme.read_text(encoding="utf-8")), encoding="utf-8")
        print("README.md: glossary table regenerated")
    elif argv[0] == "slides":
        decks = build_slides(Path(argv[1]))
        print(f"{len(decks)} slide decks in {argv[1]} ({time.perf_counter() - start:.1f} s)")
    else:
        slides = Path(argv[2])
        if not any(slides.glob("*.slides.html")):
            sys.exit(f"no slide decks in {slides}: build them first (`make slides`)")
        build_book(Path(argv[1]), slides)
        print(f"book built in {argv[1]} ({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
