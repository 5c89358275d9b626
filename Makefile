# Two commands do everything: `make run` (demo on SQLite, eager tasks) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEV_ENV := DJANGO_DEBUG=true

.PHONY: run test test-fast worker bench lint migrate clean hooks

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

migrate: $(VENV)/.installed
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

run: migrate
	$(DEV_ENV) $(BIN)/python manage.py seed_demo
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

# Everything: lint, format, types, then every test (slow, integration and browser ones included): first
# those that run in one process on both cores (pytest-xdist), then those that start real workers, servers
# and Chromium, one at a time, since they measure recovery times and must not compete for the cores.
test: lint
	$(BIN)/python tests/run.py -n 2 -m "not integration and not browser" $(PYTEST_ARGS)
	$(BIN)/python tests/run.py -m "integration or browser" $(PYTEST_ARGS)

# The edit-test loop: no slow tests (state machine, schemathesis, big messages, backup drill), no
# real workers or browsers, on both cores (pytest-xdist; tests/xdist_worker.py gives each worker its own Redis
# database).
test-fast: $(VENV)/.installed-dev
	$(BIN)/python tests/run.py -n 2 -m "not slow and not integration and not browser" $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV_ENV) $(BIN)/mypy

# ruff and mypy before each commit (pre-commit, hooks from this venv: nothing is downloaded).
hooks: $(VENV)/.installed-dev
	$(BIN)/pre-commit install

# Celery worker with the beat scheduler embedded (one process; run beat separately in production).
worker: $(VENV)/.installed
	$(DEV_ENV) $(BIN)/celery -A config worker --beat --loglevel INFO

bench: $(VENV)/.installed-dev
	$(BIN)/python tests/benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
