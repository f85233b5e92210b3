"""The bilingual glossary, assets/glossary.csv: a well-formed table that holds every Chinese term the notebooks use
in their headings and beside their bold English terms."""

import csv
import re
from pathlib import Path

import nbformat
import pytest

from repo_tools import load_tool

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "assets" / "glossary.csv"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NOTEBOOK_NUMBERS = {path.name[:2] for path in NOTEBOOKS}
REQUIRED_COLUMNS = ["zh", "en", "notebook"]
OPTIONAL_COLUMNS = ["note"]
MIN_TERMS = 80
HOW_TO_ADD = "add a row zh,en,notebook[,note] to assets/glossary.csv (sorted by notebook, then English)"

# Words that join or qualify the terms of a heading ("生成器与判别器", "其他应用与深度伪造") but are no terms.
FUNCTION_WORDS = {
    "与": "and", "和": "and", "及": "and", "以及": "as well as", "的": "possessive particle",
    "其他": "other", "如何": "how", "然后": "then", "代替": "instead of", "续": "continued",
}
CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{CJK_CHARS}]+")
FUNCTION_WORD_SPLIT = re.compile("|".join(sorted(FUNCTION_WORDS, key=len, reverse=True)))
# Hyphen variants are one character for matching: "感知-失真权衡" and "感知–失真权衡" are the same term.
DASHES = str.maketrans({"-": "–", "‐": "–", "‑": "–", "—": "–"})
HEADING = re.compile(r"^ {0,3}#{1,6}\s")
# "**mode collapse** (模式崩溃)" and "**latent code** c (潜在编码)": a bold term, at most one short symbol, then a
# parenthesis (no nested parentheses); "(**saturation**, 饱和)": the bold term opens the parenthesis.
BOLD_THEN_PARENTHESIS = re.compile(r"\*\*([^*]+)\*\*\s*(?:[^\s()（）*]{1,3}\s*)?[(（]([^()（）]*)[)）]")
PARENTHESIS_WITH_BOLD = re.compile(r"[(（]\*\*([^*]+)\*\*\s*[,，]([^()（）]*)[)）]")
QUOTED = re.compile(r'"[^"]*"|“[^”]*”|「[^」]*」|『[^』]*』')
LIST_SEPARATOR = re.compile(r"[,，;；、]")


def normalise(text: str) -> str:
    """Compare terms without spaces, case or hyphen style: "JS 散度" and "JS散度" are one term."""
    return re.sub(r"\s+", "", text).translate(DASHES).casefold()


def read_glossary() -> tuple[list[str], list[list[str]]]:
    with GLOSSARY.open(encoding="utf-8", newline="") as file:
        header, *rows = list(csv.reader(file))
    return header, rows


def glossary_terms() -> set[str]:
    header, rows = read_glossary()
    return {normalise(row[header.index("zh")]) for row in rows}


def _can_segment(text: str, words: set[str]) -> bool:
    """Whether ``text`` is a sequence of ``words`` with nothing left over."""
    reachable = [True] + [False] * len(text)
    for start in range(len(text)):
        if reachable[start]:
            for word in words:
                if text.startswith(word, start):
                    reachable[start + len(word)] = True
    return reachable[-1]


def missing_terms(text: str, terms: set[str]) -> list[str]:
    """The Chinese pieces of ``text`` that are not glossary terms.

    Glossary terms that mix scripts ("Inception 分数", "感知–失真权衡") are matched first; every other run of Chinese
    characters must then split into glossary terms and function words. A run that does not is cut at its function
    words and each piece that is no sequence of terms is reported.
    """
    text = normalise(text)
    terms = {normalise(term) for term in terms}
    for term in sorted((t for t in terms if not CJK_RUN.fullmatch(t)), key=len, reverse=True):
        text = text.replace(term, " ")
    words = {t for t in terms if CJK_RUN.fullmatch(t)} | set(FUNCTION_WORDS)
    missing = []
    for run in CJK_RUN.findall(text):
        if not _can_segment(run, words):
            pieces = [p for p in FUNCTION_WORD_SPLIT.split(run) if p and not _can_segment(p, words)]
            missing.extend(pieces or [run])
    return missing


def markdown_lines(path: Path):
    """Every markdown line of a notebook outside fenced code blocks."""
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
            elif not fenced:
                yield line


def headings(path: Path) -> list[str]:
    return [line.strip() for line in markdown_lines(path) if HEADING.match(line)]


def bold_term_translations(path: Path) -> list[tuple[str, str]]:
    """(bold English term, Chinese item) for each "**term** (中文, …)" and "(**term**, 中文)" in the markdown.

    Quoted text is dropped first: errata boxes quote the seeds in bold and in parentheses, and a quotation is no term.
    Items of the parenthesis without Chinese characters ("GAN", "slerp") are not glossary entries.
    """
    markdown = "\n".join(
        cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown")
    pairs = []
    for bold, inside in BOLD_THEN_PARENTHESIS.findall(markdown) + PARENTHESIS_WITH_BOLD.findall(markdown):
        # a quotation or a Chinese caption in bold is no English term
        if QUOTED.search(bold) or bold.lstrip().startswith(('"', "“")) or CJK_RUN.search(bold):
            continue
        for item in LIST_SEPARATOR.split(QUOTED.sub(" ", inside)):
            if CJK_RUN.search(item):
                pairs.append((" ".join(bold.split()), " ".join(item.split())))
    return pairs


# --- the table itself ---------------------------------------------------------------------------------------

def test_glossary_is_utf8_without_byte_order_mark():
    raw = GLOSSARY.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "assets/glossary.csv: save it as UTF-8 without a byte order mark"
    raw.decode("utf-8")


def test_header_and_row_shape():
    header, rows = read_glossary()
    allowed = [REQUIRED_COLUMNS, REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    assert header in allowed, f"assets/glossary.csv header is {header}; it must be one of {allowed}"
    wrong = [(number, row) for number, row in enumerate(rows, start=2) if len(row) != len(header)]
    assert not wrong, f"rows with a cell count other than {len(header)} (line, row): {wrong}"


def test_enough_terms():
    _, rows = read_glossary()
    assert len(rows) >= MIN_TERMS, f"assets/glossary.csv has {len(rows)} terms; the course needs at least {MIN_TERMS}"


def test_cells_are_filled_and_in_the_right_language():
    header, rows = read_glossary()
    problems = []
    for line, row in enumerate(rows, start=2):
        entry = dict(zip(header, row))
        for column in REQUIRED_COLUMNS:
            if not entry[column].strip():
                problems.append(f"line {line}: empty {column}")
            elif entry[column] != entry[column].strip():
                problems.append(f"line {line}: {column} {entry[column]!r} has spaces around it")
        if entry["zh"].strip() and not CJK_RUN.search(entry["zh"]):
            problems.append(f"line {line}: zh {entry['zh']!r} has no Chinese characters")
        if CJK_RUN.search(entry["en"]):
            problems.append(f"line {line}: en {entry['en']!r} contains Chinese characters")
    assert not problems, "assets/glossary.csv:\n" + "\n".join(problems)


def test_no_duplicate_terms():
    header, rows = read_glossary()
    for column, key in (("zh", normalise), ("en", str.casefold)):
        seen: dict[str, int] = {}
        duplicates = []
        for line, row in enumerate(rows, start=2):
            value = key(row[header.index(column)])
            if value in seen:
                duplicates.append(f"{row[header.index(column)]!r} on lines {seen[value]} and {line}")
            seen.setdefault(value, line)
        assert not duplicates, f"assets/glossary.csv repeats {column} terms: " + "; ".join(duplicates)


def test_notebook_numbers_name_existing_notebooks():
    header, rows = read_glossary()
    assert NOTEBOOK_NUMBERS == {f"{n:02d}" for n in range(1, 11)}, "the course has notebooks 01 to 10"
    wrong = [(line, row[header.index("notebook")]) for line, row in enumerate(rows, start=2)
             if row[header.index("notebook")] not in NOTEBOOK_NUMBERS]
    assert not wrong, f"notebook numbers that are no notebooks/NN_*.ipynb (line, number): {wrong}; use 01 … 10"


def test_sorted_by_notebook_then_english():
    header, rows = read_glossary()
    keys = [(row[header.index("notebook")], row[header.index("en")].casefold()) for row in rows]
    out_of_order = [f"line {line}: {keys[line - 2]} after {keys[line - 3]}"
                    for line in range(3, len(keys) + 2) if keys[line - 2] < keys[line - 3]]
    assert not out_of_order, "assets/glossary.csv must be sorted by notebook, then English:\n" + "\n".join(out_of_order)


def test_the_issue_examples_are_in():
    header, rows = read_glossary()
    pairs = {(row[header.index("zh")], row[header.index("en")]) for row in rows}
    for pair in [("生成器", "generator"), ("判别器", "discriminator"), ("模式崩溃", "mode collapse"),
                 ("纳什均衡", "Nash equilibrium")]:
        assert pair in pairs, f"assets/glossary.csv lacks {pair}"


# --- how a heading is split into terms ----------------------------------------------------------------------

@pytest.mark.parametrize("text, terms, missing", [
    ("# Generator and discriminator · 生成器与判别器", {"生成器", "判别器"}, []),
    ("# Generator and discriminator · 生成器与判别器", {"生成器"}, ["判别器"]),
    ("## Other areas (其他应用与深度伪造)", {"应用", "深度伪造"}, []),
    ("# What is a GAN? · 生成对抗网络的基本概念", {"生成对抗网络"}, ["基本概念"]),
    ("## 2. Inception Score (IS, Inception 分数)", {"Inception 分数"}, []),
    ("## 2. Inception Score (IS, Inception 分数)", set(), ["分数"]),
    ("### The trade-off (感知–失真权衡)", {"感知-失真权衡"}, []),
    ("### Errata, continued (勘误，续)", {"勘误"}, []),
    ("## Adversarial training · 对抗训练", {"对抗", "训练"}, []),
    ("## 9. Errata (勘误与常见错误)", {"勘误", "常见"}, ["常见错误"]),
    ("## A heading in English only", set(), []),
])
def test_missing_terms_splits_headings_into_terms(text, terms, missing):
    assert missing_terms(text, terms) == missing


def test_bold_translations_skip_quotations_and_latin_items(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        'A **conditional GAN** (CGAN,\n条件生成对抗网络) and **mode collapse** (模式崩溃).\n'
        '**"GAN training ends"** (seed 001, "当 generator 生成的数据…时，训练就结束了")\n'
        '**virtual batch normalisation** (虚拟批量归一化, seed 003 writes "虚拟批量正则")\n'
        '**Fig 6 · 图6 损失函数示意图** — (a) and a **latent code** c (潜在编码), which saturates (**saturation**, 饱和)')])
    path = tmp_path / "01_example.ipynb"
    nbformat.write(notebook, path)
    assert bold_term_translations(path) == [
        ("conditional GAN", "条件生成对抗网络"), ("mode collapse", "模式崩溃"),
        ("virtual batch normalisation", "虚拟批量归一化"), ("latent code", "潜在编码"), ("saturation", "饱和")]


# --- the notebooks against the glossary ---------------------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_chinese_heading_term_is_in_the_glossary(path):
    chinese_headings = [h for h in headings(path) if CJK_RUN.search(h)]
    assert chinese_headings, f"{path.name}: no heading with Chinese text; the title is in English and Chinese"
    terms = glossary_terms()
    problems = list(dict.fromkeys(f"{path.name}: heading {heading!r} uses {term!r}, which the glossary lacks"
                                  for heading in chinese_headings for term in missing_terms(heading, terms)))
    assert not problems, "\n".join(problems) + f"\n→ {HOW_TO_ADD}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_chinese_translation_of_a_bold_term_is_in_the_glossary(path):
    terms = glossary_terms()
    problems = list(dict.fromkeys(f"{path.name}: **{bold}** ({item}) uses {term!r}, which the glossary lacks"
                                  for bold, item in bold_term_translations(path)
                                  for term in missing_terms(item, terms)))
    assert not problems, "\n".join(problems) + f"\n→ {HOW_TO_ADD}"


def test_readme_shows_the_glossary_as_it_is_in_the_csv():
    site = load_tool("site")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert site.readme_with_glossary(readme) == readme, \
        "README.md's glossary table differs from assets/glossary.csv: run `python tools/site.py readme`"
