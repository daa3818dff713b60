# Two entry points for a newcomer: `make serve` (the site on the embedded cases) and `make test`.
# Both set themselves up on a fresh machine; see README.md.

VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

WORKERS ?=

.PHONY: setup setup-dev browser serve test test-fast lint bench

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -U pip
	$(VENV)/bin/pip install -q -e .
	@echo "casebank: compiling the glossary (its lemma dictionaries are built once per machine, ~20 s)"
	$(PY) -m casebank glossary check
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

# Serve at once. The ingest job runs first only when the store is empty and its last run
# is older than 24 h (CASEBANK_INGEST_MAX_AGE); with cases already in the store a stale
# job runs behind the server instead. Failed sources never block serving. The search
# index builds behind the server (lexical search until it is ready); see README.md.
serve: setup
	$(PY) -m casebank serve --refresh --host $(HOST) --port $(PORT) $(if $(WORKERS),--workers $(WORKERS),)

# Everything, as CI runs it (CI=true: a missing ../shared export or browser fails the run).
test: setup-dev browser
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

# The quick loop: everything but the tests marked slow (real INDIGO data, killed builds).
test-fast: setup-dev
	$(PY) -m pytest -m "not slow"

lint: setup-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
