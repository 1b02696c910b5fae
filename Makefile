# Kadence — `make demo` serves the demo company; `make test` runs the whole suite.
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test lint serve clean messages

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Kadence needs Python >= 3.11 (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## make demo [PORT=9000]: create .venv, install, build the SQLite demo database once, serve it with gunicorn
demo: install
	PORT=$(PORT) $(BIN)/kadence demo --port $(PORT)

## make test: install the test dependencies and run the whole suite (PostgreSQL when DATABASE_URL is set)
test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make lint: ruff, the import layers, mypy against its baseline (tools/mypy_ratchet.py)
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python tools/mypy_ratchet.py

serve: install
	PORT=$(PORT) $(BIN)/kadence serve --port $(PORT)

## make messages: extract new strings into the zh-Hans catalogue (no source locations, so branches merge cleanly) and compile it
messages: install-test
	$(BIN)/python manage.py makemessages -l zh_Hans --no-location --no-obsolete -i '.venv/*' -i 'var/*' -i 'tests/*' -i 'bench/*' -i 'build/*'
	cd kadence && ../$(BIN)/python ../manage.py compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) var build *.egg-info
