# Two entry points for a newcomer: `make serve` (the site on the embedded cases) and `make test`.
# Both set themselves up on a fresh machine; see README.md.

VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup setup-dev browser serve test lint bench

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -U pip
	$(VENV)/bin/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(VENV)/bin/pip install -q -e '.[dev,st]'
	touch $@

setup: $(VENV)/.installed

setup-dev: $(VENV)/.installed-dev

# Debian's chromium for the browser tests (never `playwright install`: it downloads a browser).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium)

# A local INDIGO export next to the checkout is used instead of the INDIGO API.
SHARED_INDIGO := $(wildcard $(CURDIR)/../shared/data/indigo/csv)
export CASEBANK_INDIGO_CSV ?= $(if $(SHARED_INDIGO),$(abspath $(SHARED_INDIGO)),)

# The main job: refresh every configured source (a failing one is reported, never fatal),
# update the search index, then serve the site.
serve: setup
	$(PY) -m casebank ingest
	$(PY) -m casebank serve --host $(HOST) --port $(PORT)

test: setup-dev browser
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

lint: setup-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
