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

.PHONY: lab test unit notebooks env clean slides

env: $(STAMP)

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation --editable .
	$(BIN)/python -m ipykernel install --user --name gancourse --display-name "Python (gancourse)" >/dev/null
	@rm -f $(VENV)/.stamp-* && touch $@
	@echo "environment ready: $(VENV)"

# JupyterLab refuses to run as root unless told to (containers, CI machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(STAMP)
	MPLBACKEND= $(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG) $(ARGS)

# Unit tests, notebook structure checks, and every notebook executed once with FAST parameters.
# -rs prints why a test skipped (e.g. which folder had no MNIST files).
# Two pytest workers share the two cores: one thread each, or the threads of each wait on the other's.
test: $(STAMP)
	rm -rf $(NBTEST)
	$(BIN)/python tools/prepare_notebooks.py $(NBTEST)
	GANCOURSE_FAST=1 OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadscope -q -rs -p no:cacheprovider \
		--nbval-lax --nbval-current-env tests $(NBTEST)

unit: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 -q -rs -p no:cacheprovider tests

# Execute every notebook with its default parameters and store the outputs in place.
notebooks: $(STAMP)
	$(BIN)/python tools/run_notebooks.py $(NB)

clean:
	rm -rf build .pytest_cache
