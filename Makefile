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

# The learner's lab: JupyterLab settings from deploy/lab/settings/ go into the course's own
# environment (JupyterLab's app settings folder), never into the user's home.
LAB_SETTINGS_DIR := $(VENV)/share/jupyter/lab/settings
LAB_SETTINGS := $(LAB_SETTINGS_DIR)/overrides.json $(LAB_SETTINGS_DIR)/page_config.json
JUPYTER_LAB = $(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) $(ROOT_FLAG) $(LAB_FLAGS)
# JupyterHub's proxy, from the npm registry (deploy/jupyterhub/package-lock.json).
HUB_PROXY := deploy/jupyterhub/node_modules/.bin/configurable-http-proxy

.PHONY: install lab instructor-lab hub-proxy test lint notebooks clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

$(LAB_SETTINGS_DIR)/%.json: deploy/lab/settings/%.json $(STAMP)
	mkdir -p $(@D)
	cp $< $@

install: $(STAMP) $(LAB_SETTINGS)

lab: install
	$(JUPYTER_LAB) notebooks/00_welcome.ipynb

# The same lab plus nbgrader's instructor panels (deploy/lab/instructor/ takes precedence
# over the learner's settings for this server only).
instructor-lab: install
	JUPYTER_CONFIG_PATH=$(CURDIR)/deploy/lab/instructor $(JUPYTER_LAB)

$(HUB_PROXY): deploy/jupyterhub/package.json deploy/jupyterhub/package-lock.json
	@command -v npm >/dev/null || { echo "JupyterHub's proxy needs npm and Node.js >= 20.19" \
	    "(Debian: apt-get install npm)" >&2; exit 1; }
	cd deploy/jupyterhub && npm ci --no-audit --no-fund --loglevel=error
	touch $@

hub-proxy: $(HUB_PROXY)

lint: install
	$(BIN)/ruff check .

# The whole suite, on two workers.  It includes the runs on the CPU's other kernel path
# (tests/test_other_kernels.py) and on the CuPy stand-in (tests/test_gpu_standin.py);
# tests/suite_plan.py starts the longest work first.
test: lint $(HUB_PROXY)
	$(BIN)/python -m pytest $(PYTEST_FLAGS)

# Re-run every notebook and store only the answer cells' text outputs.
notebooks: install
	$(BIN)/dlcourse notebooks refresh notebooks solutions

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache deploy/jupyterhub/node_modules
