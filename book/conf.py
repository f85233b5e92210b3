"""Sphinx configuration of the course's book site (built by `make book` through tools/site.py, which stages this
folder together with the notebooks; nothing is executed: the pages show the notebooks' stored outputs)."""

from gancourse import course

project = "gancourse"
author = "The gancourse authors"
copyright = "2026, The gancourse authors"
html_title = "gancourse · GANs in PyTorch"

extensions = ["myst_nb", "sphinxcontrib.bibtex"]
nb_execution_mode = "off"                      # stored outputs only: `make notebooks` is what runs them
myst_enable_extensions = ["dollarmath", "amsmath"]
bibtex_bibfiles = ["references.bib"]
bibtex_reference_style = "author_year"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
# MathJax 3 served from the site itself (tools/site.py copies it from the npm package): no page loads anything
# from another host.
mathjax_path = "mathjax/tex-chtml.js"
html_copy_source = False                       # the notebooks are in the repository; the pages link there
html_show_sourcelink = False
_repository = course.repository_url()           # pyproject's [project.urls] Repository, the course's one address
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,
    "repository_url": _repository,
    "repository_branch": course.BRANCH,
    "use_repository_button": True,
    # Each chapter page is a notebook of the repository's notebooks/ folder: its launch buttons open that file
    # in Colab or on Binder (links only; nothing is loaded from those hosts until the reader clicks).
    "path_to_docs": "notebooks",
    "launch_buttons": {"colab_url": "https://colab.research.google.com", "binderhub_url": "https://mybinder.org",
                       "notebook_interface": "jupyterlab"},
}
