"""The repository's notebook tools: cleaning executed notebooks for diffs."""

import nbformat
import pytest

from repo_tools import load_tool

WIDGET = "application/vnd.jupyter.widget-view+json"


def _load_run_notebooks():
    return load_tool("run_notebooks")


def test_clean_drops_progress_bars_and_widget_state(tmp_path):
    tool = _load_run_notebooks()
    view = {"model_id": "abc", "version_major": 2, "version_minor": 0}
    cell = nbformat.v4.new_code_cell("fit()", execution_count=7, outputs=[
        nbformat.v4.new_output("display_data", data={WIDGET: view, "text/plain": "gan training:   0%|          | 0/200 [00:00<?, ?it/s]"}),
        nbformat.v4.new_output("display_data", data={WIDGET: view, "text/plain": "interactive(children=(Dropdown(...),))"}),
        nbformat.v4.new_output("stream", name="stdout", text="done\n"),
    ])
    cell.metadata["papermill"] = {"duration": 1.0}
    slow = nbformat.v4.new_code_cell("train()\nplot()")
    slow.metadata["papermill"] = {"duration": 12.5}
    nb = nbformat.v4.new_notebook(cells=[cell, slow, nbformat.v4.new_markdown_cell("# text")],
                                  metadata={"widgets": {"state": {}}, "papermill": {}})
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    size, slowest = tool.clean(path)
    assert size == path.stat().st_size and slowest == [(12.5, "train()"), (1.0, "fit()")]
    cleaned = nbformat.read(path, as_version=4)
    assert "widgets" not in cleaned.metadata and "papermill" not in cleaned.metadata
    out = cleaned.cells[0]
    assert out.execution_count == 1 and "papermill" not in out.metadata
    assert [o.output_type for o in out.outputs] == ["display_data", "stream"]
    assert out.outputs[0].data == {"text/plain": tool.WIDGET_NOTE}


def test_numbered_notebooks_selects_by_number_and_rejects_unknown_numbers(tmp_path):
    from gancourse.course import numbered_notebooks

    for name in ("01_a.ipynb", "02_b.ipynb", "10_c.ipynb", "notes.ipynb", "3_short.ipynb"):
        (tmp_path / name).write_text("{}")
    assert [p.name for p in numbered_notebooks(tmp_path)] == ["01_a.ipynb", "02_b.ipynb", "10_c.ipynb"]
    assert [p.name for p in numbered_notebooks(tmp_path, ["10", "1"])] == ["01_a.ipynb", "10_c.ipynb"]
    with pytest.raises(ValueError, match=r"no notebook numbered 04, 07 in .*\(it has 01, 02, 10\)"):
        numbered_notebooks(tmp_path, ["01", "07", "4"])


def test_parameters_cell_finds_the_tagged_cell():
    from gancourse.course import parameters_cell

    cells = [nbformat.v4.new_markdown_cell("# title"), nbformat.v4.new_code_cell("FAST = False"),
             nbformat.v4.new_code_cell("import torch")]
    assert parameters_cell(cells) is None
    cells[1].metadata["tags"] = ["parameters"]
    assert parameters_cell(cells) == 1
