# Developer tasks for the factory itself. `make test` is the README's test command and what CI runs.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: help install lint typecheck test test-fast test-slow test-matrix bench bench-serving clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(PY):
	python3 -m venv $(VENV)

install: $(PY) ## Create .venv and install the factory with its dev tools
	$(PY) -m pip install -q -e '.[dev]'

lint: ## ruff (lint and format check)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: ## mypy --strict on generator/
	$(VENV)/bin/mypy

test-fast: ## Unit, CLI, render and upgrade tests (seconds)
	$(PY) -m pytest -n 2 -m "not slow"

test-slow: ## End-to-end: a generated project, all modules together, pairwise cells, the wheel (minutes)
	$(PY) -m pytest -m "slow and not matrix"

test-matrix: ## Every built-in module checked alone for every preset (`factory module check`; ~1 h, not in CI)
	$(PY) -m pytest -m matrix

test: install lint typecheck test-fast test-slow ## Everything CI runs

bench: ## Median times: `factory new` vs `copier copy`; add/update of five modules vs plain copier
	$(PY) bench/bench_new.py
	$(PY) bench/bench_modules.py

bench-serving: ## Generated service (all controls) vs bare FastAPI vs BentoML: req/s, p50-p99, memory, cold start
	$(PY) bench/bench_serving.py

clean: ## Remove caches and build output
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache
