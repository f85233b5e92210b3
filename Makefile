# gancourse — two commands: `make lab` (set up and open the course) and `make test` (run every check).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
ARGS ?=
BIN := $(VENV)/bin
# The environment is rebuilt only when the lock, the project metadata or the checkout path change: their
# hash is in the stamp's name (file dates are not used, as a fresh clone makes every file new).
STAMP := $(VENV)/.stamp-$(shell cat requirements-lock.txt pyproject.toml | sha256sum | cut -c1-12)-$(shell echo $(CURDIR) | sha256sum | cut -c1-8)
# Offline data: the MNIST test split beside the repo (../shared/data) unless GANCOURSE_DATA is set.
SHARED_DATA := $(abspath $(CURDIR)/../shared/data)
export GANCOURSE_DATA ?= $(if $(wildcard $(SHARED_DATA)/MNIST),$(SHARED_DATA),)
export MPLBACKEND ?= agg
NBTEST := build/nbtest
# Front-end files of the book, the slides and the browser checks (web/package.json, from the npm registry).
export GANCOURSE_WEB ?= $(abspath .web)
WEB_STAMP := $(GANCOURSE_WEB)/.stamp-$(shell cat web/package-lock.json | sha256sum | cut -c1-12)

.PHONY: lab test unit notebooks pretrained zh env clean web slides book

env: $(STAMP)

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation --editable .
	@# Colab's ipywidgets (7.7.1) in a folder of its own: tests put it first on PYTHONPATH to check the widgets there too.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --upgrade --target $(VENV)/ipywidgets7 \
		ipywidgets==7.7.1 ipython_genutils==0.2.0
	$(BIN)/python -m ipykernel install --user --name gancourse --display-name "Python (gancourse)" >/dev/null
	@rm -f $(VENV)/.stamp-* && touch $@
	@echo "environment ready: $(VENV)"

web: $(WEB_STAMP)

# Like the environment's stamp, keyed on the lock's hash, not on file dates (a fresh clone makes every file new).
$(WEB_STAMP):
	mkdir -p $(GANCOURSE_WEB) && cp web/package.json web/package-lock.json $(GANCOURSE_WEB)/
	npm ci --prefix $(GANCOURSE_WEB) --no-audit --no-fund --loglevel=error
	@rm -f $(GANCOURSE_WEB)/.stamp-* && touch $@

# Static pages from the notebooks' stored outputs (nothing is executed); both load nothing from other hosts.
slides: $(STAMP) $(WEB_STAMP)
	$(BIN)/python tools/site.py slides build/slides

book: slides
	$(BIN)/python tools/site.py book build/book build/slides

# JupyterLab refuses to run as root unless told to (containers, CI machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(STAMP)
	MPLBACKEND= $(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG) $(ARGS)

# Unit tests, notebook structure checks, and every notebook executed once with FAST parameters.
# -rs prints why a test skipped (e.g. which folder had no MNIST files).
# Two pytest workers share the two cores: one thread each, or the threads of each wait on the other's.
# The browser checks (tests/test_site.py) need the npm packages: installed here when npm is found, else they skip.
test: $(STAMP)
	@if ! command -v npm >/dev/null; then echo "npm not found: the browser checks will skip (install Node.js to run them)"; \
	elif ! $(MAKE) --no-print-directory web; then echo "could not install the npm packages: the browser checks will skip"; fi
	rm -rf $(NBTEST)
	$(BIN)/python tools/prepare_notebooks.py $(NBTEST)
	GANCOURSE_FAST=1 OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadscope -q -rs -p no:cacheprovider \
		--nbval-lax --nbval-current-env tests $(NBTEST)

unit: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 -q -rs -p no:cacheprovider tests

# Execute every notebook with its default parameters and store the outputs in place.
notebooks: $(STAMP)
	$(BIN)/python tools/run_notebooks.py $(NB)

# The pre-trained checkpoints that PRETRAINED = True loads (gancourse/weights): notebooks 05–07 run with their
# default parameters (≈ 30 min on 2 CPU cores) and write what they train; their stored outputs are not touched.
pretrained: $(STAMP)
	GANCOURSE_WRITE_PRETRAINED=1 $(BIN)/python tools/run_notebooks.py --out build/pretrained-runs 05 06 07

# The Chinese edition: the catalogs (notebooks/zh/*.po) follow the English notebooks, then notebooks/zh/*.ipynb are
# regenerated from both; a cell whose English changed must be re-translated first (tools/translate.py check).
zh: $(STAMP)
	$(BIN)/python tools/translate.py update
	$(BIN)/python tools/translate.py build

clean:
	rm -rf build .pytest_cache
