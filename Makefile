# Targets are what README.md says. The venv is made on first use.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install demo serve test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(BIN)/.installed

## Load the real demo data into the embedded default, then serve on http://127.0.0.1:5000
demo: install
	$(BIN)/fabriques load demo
	$(BIN)/fabriques run --host $(HOST) --port $(PORT)

## Production-style server (gunicorn) with the same settings
serve: install
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 "app:create_app()"

## The whole test suite (PostGIS tests need PostgreSQL on 127.0.0.1:5432, see README)
test: install
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
