"""Facts about the course itself: where it lives, its notebooks, and how a notebook opens on Colab."""

from __future__ import annotations

REPOSITORY = "gancourse/gancourse"  # GitHub owner/name; the Colab badges and the install line use it
BRANCH = "main"
INSTALL_SPEC = f"gancourse @ git+https://github.com/{REPOSITORY}@{BRANCH}"


def colab_url(notebook_path: str) -> str:
    """The 'Open in Colab' address of a notebook given its path in the repository."""
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{notebook_path}"
