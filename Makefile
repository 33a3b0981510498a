# kilowatch: `make demo` runs the whole pipeline on embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install demo test test-floors test-services bench clean

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

test: install test-services ## Provision test services and run the whole suite (then test-floors)
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@# The whole suite also checks the dependency floors; a subset (PYTEST_ARGS) does not.
	@if [ -z "$(PYTEST_ARGS)" ]; then $(MAKE) --no-print-directory test-floors; fi

test-floors: test-services ## Run a smoke subset with the lowest declared dependency versions (~3 min)
	@ci/test-floors.sh $(PYTHON)

bench: install test-services ## Measure throughput and latency (see docs/benchmarks.md)
	$(BIN)/python -m bench $(ARGS)

clean: ## Remove the virtual environment and local data
	rm -rf $(VENV) data .pytest_cache
