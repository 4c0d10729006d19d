# Sequenzia: `make run` serves the gallery, `make test` runs the whole suite.
# Both set up everything they need on a fresh machine (virtualenv, packages,
# Debian packages when run as root, database migrations).

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Where people reach the site (printed with the first admin's login).
SITE_URL ?= http://$(HOST):$(PORT)
export SITE_URL

.PHONY: run test bench lint setup system-deps-run system-deps-test clean

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-mysql.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@# mysqlclient is optional: only the MariaDB/MySQL setup needs it.
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-mysql.txt \
	  || echo "note: mysqlclient not installed (needs libmariadb-dev and pkg-config); MySQL/MariaDB unavailable"
	touch $@

setup: $(VENV)/.installed

system-deps-run:
	@scripts/system-deps.sh run

system-deps-test:
	@scripts/system-deps.sh test

run: system-deps-run setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py ensure_admin
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

test: system-deps-test setup
	$(PY) scripts/test_matrix.py $(TEST_ARGS)

bench: system-deps-test setup
	$(PY) -m bench $(BENCH_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check . || true
	$(VENV)/bin/mypy sequenzia junefs cds cms authware

clean:
	rm -rf test-output bench/out
