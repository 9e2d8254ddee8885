# Two commands on a fresh machine: `make run` (the demo on SQLite) and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test catalogs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# Message catalogs (English) compiled from the .po sources kept in the repository.
catalogs: $(VENV)/.runtime
	@$(BIN)/pybabel -q compile -d translations

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.runtime

$(VENV)/.bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime catalogs
	@mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@echo "Cổng thi: http://$(HOST):$(PORT)  ·  quản trị: http://$(HOST):$(PORT)/admin/login"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: $(VENV)/.test catalogs
	@scripts/ensure-system-packages
	@scripts/run-tests

# Not part of `make test`: about 15 minutes of load on the real stack (gunicorn with
# gunicorn.conf.py, PostgreSQL, Redis; wrk and nginx from Debian), results in
# bench/results/ and docs/performance.md. BENCH_ARGS passes options (--quick: a smoke run).
bench: $(VENV)/.bench catalogs
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance/portal.db* .pytest_cache
