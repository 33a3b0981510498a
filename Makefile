# kilowatch: `make demo` runs the whole pipeline on embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
# Flux's parser and type checker (npm, WebAssembly) for tests/store/test_flux_semantics.py.
FLUX_LSP := $(VENV)/flux-lsp

.DEFAULT_GOAL := help
.PHONY: help install demo lint format format-check test test-floors test-services flux-checker bench evaluation-example clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml scripts/bootstrap.sh
	@scripts/bootstrap.sh $(PYTHON) $(VENV)
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install kilowatch into it

demo: install ## Run the whole pipeline on embedded defaults (Ctrl-C stops)
	$(BIN)/kilowatch demo $(ARGS)

test-services: ## Install the servers the tests need (as root), or say what to install
	@scripts/test-services.sh

# Configured in pyproject.toml ([tool.ruff], [tool.mypy]); the versions are the dev extra's.
lint: install ## Lint and format check (ruff), type-check core, ingest, api, models, kilowatch and simulators (mypy); make test runs it first
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format-check: install ## Say which files ruff format would change (make format rewrites them)
	$(BIN)/ruff format --check .

format: install ## Format the code with ruff (the style make lint checks)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install lint test-services flux-checker ## Lint, provision test services and run the whole suite (then test-floors)
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@# The whole suite also checks the dependency floors; a subset (PYTEST_ARGS) does not.
	@if [ -z "$(PYTEST_ARGS)" ]; then $(MAKE) --no-print-directory test-floors; fi

flux-checker: ## Install Flux's type checker (npm) that checks the influx2 queries
	@if [ -f $(FLUX_LSP)/node_modules/@influxdata/flux-lsp-browser/flux-lsp-browser_bg.wasm ]; then :; \
	elif command -v npm >/dev/null 2>&1; then \
	  npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix $(FLUX_LSP) @influxdata/flux-lsp-browser@0.8.40; \
	else echo "npm not found: tests/store/test_flux_semantics.py will be skipped (apt-get install npm)" >&2; fi

test-floors: test-services ## Run a smoke subset with the lowest declared dependency versions (~3 min)
	@ci/test-floors.sh $(PYTHON)

bench: install test-services ## Measure throughput and latency (see docs/benchmarks.md)
	$(BIN)/python -m bench $(ARGS)

# The command recorded in evaluation/report.md; `kilowatch evaluate` alone writes to reports/evaluation.
evaluation-example: install ## Rewrite the committed example report in evaluation/ (a few minutes)
	$(BIN)/kilowatch evaluate --scenario classic --seed 7 --sites 5 --weeks 3 --history-days 28 -q --out evaluation

clean: ## Remove the virtual environment and local data
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
