"""Sphinx configuration of the course's book site (built by `make book` through tools/site.py, which stages this
folder together with the notebooks; nothing is executed: the pages show the notebooks' stored outputs)."""

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
html_theme_options = {"home_page_in_toc": True, "show_toc_level": 2}
