"""The repository's notebook tools: cleaning executed notebooks for diffs."""

import nbformat

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
    nb = nbformat.v4.new_notebook(cells=[cell], metadata={"widgets": {"state": {}}, "papermill": {}})
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    tool.clean(path)
    cleaned = nbformat.read(path, as_version=4)
    assert "widgets" not in cleaned.metadata and "papermill" not in cleaned.metadata
    (out,) = cleaned.cells
    assert out.execution_count == 1 and "papermill" not in out.metadata
    assert [o.output_type for o in out.outputs] == ["display_data", "stream"]
    assert out.outputs[0].data == {"text/plain": tool.WIDGET_NOTE}
