# Minyi (民意速办). `make` alone lists the targets; `make run` and `make test` work on a fresh clone
# with only python3 (3.11 or 3.12) installed: they create .venv first.

.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
BIN := $(VENV)/bin
# The first interpreter that satisfies pyproject's requires-python (>=3.11,<3.13). Evaluated only when
# a target needs it, so `make help` stays instant.
ifndef PYTHON
PYTHON = $(eval PYTHON := $(shell for p in python3.11 python3.12 python3; do \
	  $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))' >/dev/null 2>&1 \
	  && { echo $$p; break; }; done))$(PYTHON)
endif
# The packages and folders that ruff checks; a folder not there yet is left out.
CODE := $(wildcard service dispatch responsibility_lists tests bench)
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: help venv run test lint format bench-intake bench-escalation bench-routing db-upgrade clean

help: ## List the targets
	@echo "Usage: make <target>    (DATABASE_URL / REDIS_URL and the MINYI_* variables pass through)"
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-zA-Z_-]+:[^#]*## / {printf "  %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The stamp is newer than pyproject.toml once the install succeeded; editing the dependencies reinstalls.
$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.11 or 3.12 is needed (as python3.11, python3.12 or python3)." >&2; exit 1; }
	@test -x $(BIN)/python || { echo "creating $(VENV) with $$($(PYTHON) --version)"; $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --disable-pip-version-check -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed ## Create .venv and install the project with the dev tools (again only when pyproject.toml changes)

run: venv ## Run everything on the embedded defaults (SQLite + Redis under var/): web, worker, demo data
	$(BIN)/minyi run

test: venv ## Run the tests (PYTEST_ARGS="-k intake -x" to pass options; set DATABASE_URL/REDIS_URL for PostgreSQL/Redis)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: venv ## Check the code with ruff (lint rules and formatting)
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)

format: venv ## Fix what ruff can fix and format the code
	$(BIN)/ruff check --fix $(CODE)
	$(BIN)/ruff format $(CODE)

bench-intake: venv ## Benchmark appeal intake (BENCH_ARGS to pass options)
	$(BIN)/python -m bench.intake $(BENCH_ARGS)

bench-escalation: venv ## Benchmark escalation: urgent notice latency, sweeps, 10,000 escalated (BENCH_ARGS; --quick)
	$(BIN)/python -m bench.escalation $(BENCH_ARGS)

bench-routing: venv ## Benchmark routing over a responsibility list (BENCH_ARGS to pass options)
	$(BIN)/python -m bench.routing $(BENCH_ARGS)

db-upgrade: venv ## Apply the database migrations (to DATABASE_URL, default the SQLite file under var/)
	$(BIN)/minyi db upgrade

clean: ## Remove var/ (the embedded database, Redis data, secret key) and .venv
	rm -rf var $(VENV)
