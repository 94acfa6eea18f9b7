# One short command surface. `make demo` and `make test` are the README's quick start.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export HEEDBACK_DATA_DIR ?= $(CURDIR)/data

.PHONY: demo test test-postgres lint fmt serve worker bench install install-dev browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[postgres]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[postgres,dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## demo: install, migrate the embedded SQLite database, load demo data, serve on 127.0.0.1:$(PORT)
demo: install
	$(BIN)/heedback demo --port $(PORT)

## browser: install Debian's Chromium for the browser tests when it is missing (needs root)
browser:
	@bash scripts/ensure-chromium.sh

## test: install what the tests need and run the whole suite (SQLite unless HEEDBACK_DATABASE_URL says otherwise)
test: install-dev browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## test-postgres: the suite against the local PostgreSQL server
test-postgres: install-dev browser
	HEEDBACK_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/heedback $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

serve: install
	$(BIN)/heedback serve --port $(PORT)

worker: install
	$(BIN)/heedback worker

bench: install-dev
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
