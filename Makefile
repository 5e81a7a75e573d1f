# The two commands of the README: `make run` and `make test`. Both set up a fresh machine.
SHELL := /bin/bash
# .python-version names 3.13; pyenv's shim picks it up inside this directory.
PYTHON ?= $(shell python3.13 -c '' 2>/dev/null && echo python3.13 || echo python3.12)
VENV := .venv
BIN := $(VENV)/bin
MOTO_PORT ?= 4566

.PHONY: run test lint schema bench bench-feed loadtest venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

## make run: the whole stack (moto for S3/SQS, API, worker, beat) with a demo administrator.
run: venv
	$(BIN)/python scripts/check_services.py
	$(BIN)/python scripts/with_moto.py --port $(MOTO_PORT) -- scripts/run.sh

## make test: the whole test suite against PostgreSQL, Redis and a throwaway moto server.
test: venv
	$(BIN)/python scripts/check_services.py
	scripts/ensure_chromium.sh
	$(BIN)/python scripts/with_moto.py -- $(BIN)/pytest $(PYTEST_ARGS)

## make bench: benchmarks that print figures (they never fail on a slow machine).
bench: venv
	$(BIN)/python -m bench.media_processing
	$(BIN)/python -m bench.trust_recalculation
	$(MAKE) bench-feed

## make bench-feed: the feed dataset (100,000 users, 5 M posts; minutes) and its benchmark.
bench-feed: venv
	$(BIN)/python -m bench.feed_dataset $(DATASET_ARGS)
	$(BIN)/python -m bench.feed --write-docs

## make loadtest: a mixed-traffic Locust run against gunicorn on the feed benchmark's dataset,
## beside a throwaway moto server (minutes); figures in docs/performance.md. LOADTEST_ARGS passes
## options, e.g. LOADTEST_ARGS="--small --runs 1" (python -m bench.loadtest_run --help).
loadtest: venv
	$(BIN)/python scripts/check_services.py
	$(BIN)/python scripts/with_moto.py -- $(BIN)/python -m bench.loadtest_run --write-docs $(LOADTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

schema: venv
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file /tmp/ciel-openapi.yaml

clean:
	rm -rf $(VENV) .run staticfiles .pytest_cache
