"""Facts about the course itself: where it lives, which notebooks it has, how a notebook opens on Colab, and how its
slides look.

The repository's address is written once, in ``pyproject.toml`` (``[project.urls] Repository``). Installing
the package copies it into the distribution's metadata, and this module reads it from there, so a
notebook's Colab badge and install line cannot drift from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "gancourse"
BRANCH = "main"
GITHUB = "https://github.com/"
COLAB = "https://colab.research.google.com/github/"

#: The notebook-level ``rise`` metadata block of every notebook. jupyterlab-rise 0.43 merges it over its
#: settings (tests/test_notebooks.py validates it against the extension's settings schema).
RISE = {
    "autolaunch": False,  # students open the notebooks too: never start a slideshow on opening
    "start_slideshow_at": "selected",  # a lecture covers a few sections: start at the selected cell
    "scroll": True,  # a slide taller than the screen scrolls instead of being cut off
    "center": False,  # slides of different heights start at the top, so headings do not jump
    "theme": "simple",  # light theme (the extension warns that dark ones need manual tweaks)
    "transition": "none",  # no animation between slides: nothing moves on a projector but the content
    "slideNumber": "c/t",  # slide n of N, to keep the lecture's time
}


class CourseMetadataError(RuntimeError):
    """The installed package's metadata does not say where the course repository is."""


@cache
def repository_url() -> str:
    """The course repository's address, e.g. ``https://github.com/gancourse/gancourse``, as pyproject.toml's
    ``[project.urls] Repository`` recorded it when the package was installed."""
    try:
        entries = metadata.distribution(DISTRIBUTION).metadata.get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        raise CourseMetadataError(
            "gancourse is imported but not installed, so its repository address is unknown: install it from the "
            "repository folder with `pip install -e .` (or run `make lab`)") from None
    for entry in entries:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "repository":
            url = url.strip().rstrip("/")
            if not url.startswith(GITHUB) or url.count("/") != 4:
                raise CourseMetadataError(f"[project.urls] Repository must be a GitHub repository address "
                                          f"'{GITHUB}OWNER/NAME' (Colab opens notebooks from GitHub), got {url!r}")
            return url
    raise CourseMetadataError(
        "the installed gancourse metadata has no 'Repository' project URL: check [project.urls] in pyproject.toml, "
        "then reinstall the package (`pip install -e .` or `make lab`), since metadata is written at install time")


def repository() -> str:
    """GitHub's ``owner/name`` of the course repository."""
    return repository_url().removeprefix(GITHUB)


def install_spec() -> str:
    """The pip requirement that installs the course package from its repository's branch (Colab's setup cell)."""
    return f"{DISTRIBUTION} @ git+{repository_url()}@{BRANCH}"


def colab_url(notebook_path: str) -> str:
    """The 'Open in Colab' address of a notebook given its path in the repository."""
    return f"{COLAB}{repository()}/blob/{BRANCH}/{notebook_path}"


def numbered_notebooks(folder: Path, numbers: Iterable[str] | None = None) -> list[Path]:
    """The course notebooks ``NN_*.ipynb`` in ``folder``, in order; only those numbered ``numbers`` (e.g. ``["03", "4"]``)
    if given.  A number that names no notebook is an error, not a silent skip."""
    found = sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))
    if not numbers:
        return found
    wanted = {str(n).zfill(2) for n in numbers}
    unknown = sorted(wanted - {p.name[:2] for p in found})
    if unknown:
        raise ValueError(f"no notebook numbered {', '.join(unknown)} in {Path(folder).name}/ "
                         f"(it has {', '.join(p.name[:2] for p in found) or 'none'})")
    return [p for p in found if p.name[:2] in wanted]


def parameters_cell(cells: Sequence) -> int | None:
    """The index of the cell tagged ``parameters`` (where papermill injects FAST=True and the like), or None."""
    return next((i for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])), None)
