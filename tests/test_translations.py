"""The Chinese edition stays in step with the English one: every markdown cell has a current translation in its
catalog (notebooks/zh/NN_name.po), and each generated notebooks/zh/NN_name.ipynb equals what tools/translate.py
builds — the same code cells and outputs, every markdown cell translated. A change to an English cell makes the
first test fail and name the cell until its translation is revised."""

import re

import nbformat
import pytest

from repo_tools import load_tool

translate = load_tool("translate")
ENGLISH = translate.english_notebooks()
MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)
CITATION = re.compile(r"\[@[^\]]+\]")
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
CHINESE_NUMERALS = dict(zip(map(str, range(1, 11)), "一二三四五六七八九十"))


def spans(pattern: re.Pattern, text: str) -> list[str]:
    """The matches, sorted, with runs of whitespace as one space (a translation may rejoin wrapped lines)."""
    return sorted(re.sub(r"\s+", " ", match) for match in pattern.findall(text))


@pytest.mark.parametrize("english", ENGLISH, ids=[p.name for p in ENGLISH])
def test_every_cell_has_a_current_translation_and_the_chinese_notebook_is_up_to_date(english):
    problems = translate.problems(english)
    assert not problems, f"{len(problems)} cell(s) of {english.name} need work:\n" + "\n".join(map(str, problems))


@pytest.mark.parametrize("english", ENGLISH, ids=[p.name for p in ENGLISH])
def test_the_chinese_notebook_keeps_code_outputs_math_and_citations(english):
    chinese_path = translate.ZH / english.name
    if translate.problems(english):
        pytest.fail(f"{english.name}: translation incomplete (see the test above)")
    source, chinese = nbformat.read(english, as_version=4), nbformat.read(chinese_path, as_version=4)
    assert len(source.cells) == len(chinese.cells)
    for en, zh in zip(source.cells, chinese.cells):
        assert en.cell_type == zh.cell_type and en.get("metadata") == zh.get("metadata")
        if en.cell_type == "code":
            assert en.source == zh.source and en.outputs == zh.outputs
            continue
        where = f"{english.name} cell {en.id}"
        assert spans(MATH, en.source) == spans(MATH, zh.source), f"{where}: the math differs"
        assert spans(CITATION, en.source) == spans(CITATION, zh.source), f"{where}: citations differ"
        levels = [len(m) for m in re.findall(r"^(#+) ", en.source, re.M)]
        assert levels == [len(m) for m in re.findall(r"^(#+) ", zh.source, re.M)], f"{where}: the headings differ"
        english_numbers = set(NUMBER.findall(MATH.sub("", en.source)))
        missing = {n for n in english_numbers if n not in zh.source and n.replace(",", "") not in zh.source
                   and CHINESE_NUMERALS.get(n, "-") not in zh.source}  # "1-D" may read 一维
        assert not missing, f"{where}: numbers of the English missing from the Chinese: {sorted(missing)}"


def test_each_title_cell_links_its_twin():
    for english in ENGLISH:
        first = nbformat.read(english, as_version=4).cells[0].source
        assert f"(zh/{english.name})" in first, f"{english.name}: the title cell must link zh/{english.name}"
        chinese = translate.ZH / english.name
        if chinese.is_file():
            zh_first = nbformat.read(chinese, as_version=4).cells[0].source
            assert f"(../{english.name})" in zh_first and f"/notebooks/zh/{english.name})" in zh_first


def test_a_changed_english_cell_becomes_fuzzy_and_is_named(tmp_path, monkeypatch):
    """The drift mechanism itself, on a copy: change one English cell, update, and the cell is named."""
    english = ENGLISH[0]
    monkeypatch.setattr(translate, "NOTEBOOKS", tmp_path)
    monkeypatch.setattr(translate, "ZH", tmp_path / "zh")
    monkeypatch.setattr(translate, "ROOT", tmp_path)
    (tmp_path / "zh").mkdir()
    notebook = nbformat.read(english, as_version=4)
    copy = tmp_path / english.name
    nbformat.write(notebook, copy)
    translate.update(copy)
    catalog = translate.load_catalog(copy)
    for entry in catalog:  # a stand-in translation; the title cell links its English twin as a real one does
        entry.msgstr = "译文 " + entry.msgid.replace("(zh/", "(../")
    translate.save_catalog(catalog, copy)
    translate.build(copy)
    assert translate.problems(copy) == []

    cell = next(c for c in notebook.cells if c.cell_type == "markdown" and c is not notebook.cells[0])
    cell.source += "\n\nA new sentence."
    nbformat.write(notebook, copy)
    named = [p for p in translate.problems(copy) if p.cell_id == cell.id]
    assert named and "English changed since the catalog was updated" in named[0].what
    assert translate.update(copy)["changed"] == 1
    entry = next(e for e in translate.load_catalog(copy) if e.msgctxt == cell.id)
    assert "fuzzy" in entry.flags and entry.previous_msgid and entry.msgid == cell.source
    assert [p.cell_id for p in translate.problems(copy)] == [cell.id]
