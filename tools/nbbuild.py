"""Helpers for writing course notebooks from a script, with the standard opening cells.

    from nbbuild import Notebook
    nb = Notebook("01_what_is_a_gan.ipynb")
    nb.title("What is a GAN", "生成对抗网络的基本概念", objectives=[...], runtime="FAST ≈ 20 s · default ≈ 3 min (2 CPU cores)", position="…")
    nb.setup()
    nb.parameters("FAST = fast_mode()\nSEED = 0\nDEVICE = 'auto'")
    nb.md("## 1. …", slide="slide")
    nb.code("x = 1", slide="-")
    nb.save()      # writes notebooks/01_what_is_a_gan.ipynb without outputs; run tools/run_notebooks.py next
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from gancourse.course import RISE, install_spec, colab_url  # noqa: E402

BADGE = "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"

SETUP = f'''# Setup: install the course package only where it is missing (e.g. Google Colab).
try:
    import gancourse
except ImportError:
    %pip install --quiet "{install_spec()}"
    import gancourse
try:  # Colab renders ipywidgets only with its custom widget manager
    from google.colab import output
    output.enable_custom_widget_manager()
except ImportError:
    pass
%matplotlib inline'''


class Notebook:
    def __init__(self, filename: str):
        self.path = ROOT / "notebooks" / filename
        self.cells = []

    def md(self, source: str, slide: str = "-"):
        cell = new_markdown_cell(source.strip("\n"))
        cell.metadata["slideshow"] = {"slide_type": slide}
        self.cells.append(cell)
        return cell

    def code(self, source: str, slide: str = "-", tags: list[str] | None = None):
        cell = new_code_cell(source.strip("\n"))
        cell.metadata["slideshow"] = {"slide_type": slide}
        if tags:
            cell.metadata["tags"] = tags
        self.cells.append(cell)
        return cell

    def title(self, english: str, chinese: str, objectives: list[str], runtime: str, position: str):
        url = colab_url(f"notebooks/{self.path.name}")
        bullets = "\n".join(f"- {o}" for o in objectives)
        twin = f" · [中文版 (Chinese edition)](zh/{self.path.name})"  # the Chinese edition (tools/translate.py)
        self.md(f"# {english} · {chinese}\n\n{BADGE.format(url=url)}{twin}\n\n"
                f"**Where this sits in the lecture:** {position}\n\n"
                f"**Learning objectives**\n\n{bullets}\n\n**Estimated run time:** {runtime}", slide="slide")

    def setup(self, extra: str = ""):
        self.code(SETUP + ("\n" + extra.strip("\n") if extra else ""), slide="skip")

    def parameters(self, source: str):
        self.code("# Parameters (papermill injects FAST=True in CI; FAST shortens training, it never skips a section)\n"
                  + source.strip("\n"), slide="skip", tags=["parameters"])

    def save(self):
        nb = new_notebook(cells=self.cells)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.metadata["language_info"] = {"name": "python"}
        nb.metadata["rise"] = dict(RISE)  # the slideshow settings every course notebook carries
        nbformat.validate(nb)
        nbformat.write(nb, self.path)
        return self.path
