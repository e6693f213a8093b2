# The two commands: `make run` and `make test`. Everything installs into .venv.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

.PHONY: run test test-fast test-fuzz lint messages bench bench-stats clean system-deps

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## Install, prepare the SQLite database with reference data and demo traffic, and serve.
run: $(STAMP)
	$(BIN)/cuakhau serve --demo

## Install and run every check and test (browser tests included) on SQLite.
test: $(STAMP) system-deps lint
	$(BIN)/cuakhau compile_translations
	$(BIN)/cuakhau check_translations
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not fuzz" $(PYTEST_ARGS)

## schemathesis over every API operation as every kind of user, on SQLite (CI runs it on PostgreSQL).
test-fuzz: $(STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m fuzz $(PYTEST_ARGS)

## The checks that need no database: lint, types, Django's system and migration checks.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cuakhau check --fail-level WARNING
	$(BIN)/cuakhau makemigrations --check --dry-run

## Tests without the browser (quick loop while coding).
test-fast: $(STAMP)
	$(BIN)/cuakhau compile_translations
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not browser" $(PYTEST_ARGS)

## Chromium, CJK fonts and gettext from Debian when missing (root only; CI is root).
system-deps:
	./scripts/system-deps

## Re-extract translatable strings into the vi and zh_Hans catalogues (needs gettext).
messages: $(STAMP)
	$(BIN)/cuakhau makemessages --locale vi --locale zh_Hans --no-obsolete --ignore '.venv/*' --ignore 'var/*'

clean:
	rm -rf $(VENV) var/static

## Benchmarks, written to docs/benchmarks.md: the engine (a few minutes), then plate events and
## payment callbacks over HTTP to gunicorn, each on a fresh PostgreSQL database at 127.0.0.1:5432
## (a few minutes each).
bench: $(STAMP)
	$(BIN)/python -m engine.bench --output docs/benchmarks.md
	scripts/bench-events
	scripts/bench-payments

## Trade statistics on a year of demo traffic on PostgreSQL (tens of minutes: it builds the year).
bench-stats: $(STAMP)
	scripts/bench-stats
