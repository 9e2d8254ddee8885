# Two commands on a fresh machine: `make run` (the demo on SQLite) and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	@mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@echo "Cổng thi: http://$(HOST):$(PORT)  ·  quản trị: http://$(HOST):$(PORT)/admin/login"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: $(VENV)/.test
	@scripts/ensure-chromium
	@scripts/run-tests

clean:
	rm -rf $(VENV) instance/portal.db* .pytest_cache
