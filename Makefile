# The course's front door: `make lab` opens it, `make test` proves it works.
# Both create .venv on first use and reuse it afterwards (re-installing only when
# pyproject.toml or constraints.txt changed).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.dlcourse-installed
LAB_FLAGS ?=
# JupyterLab refuses to run as root (containers, CI) without this flag.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
PYTEST_FLAGS ?= -n 2

.PHONY: install lab test lint notebooks clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lab: install
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) $(ROOT_FLAG) $(LAB_FLAGS) notebooks/00_welcome.ipynb

lint: install
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest $(PYTEST_FLAGS)

# Re-run every notebook and store only the answer cells' text outputs.
notebooks: install
	$(BIN)/dlcourse notebooks refresh notebooks solutions

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
