"""The code a notebook shows, run in a test: the function a notebook defines, for comparison with the package's."""

from pathlib import Path

import nbformat
import pytest


def notebook_function(notebook: Path, name: str, namespace: dict, *, definition_only: bool = False):
    """Execute the one code cell of ``notebook`` that defines ``name`` with the given globals; return the function.

    ``definition_only`` runs the cell up to its first blank-line pair (the definition, not a demonstration after it).
    A notebook not built yet skips the test.
    """
    if not notebook.exists():
        pytest.skip(f"{notebook.name} is not built yet")
    cells = [c.source for c in nbformat.read(notebook, as_version=4).cells
             if c.cell_type == "code" and f"def {name}(" in c.source]
    assert len(cells) == 1, f"{notebook.name} must define {name} in exactly one code cell"
    source = cells[0].split("\n\n\n")[0] if definition_only else cells[0]
    scope = dict(namespace)
    exec(compile(source, str(notebook), "exec"), scope)
    return scope[name]
