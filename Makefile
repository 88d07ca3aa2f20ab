# Linkage — `make run` starts the demo site, `make test` runs the whole test suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export FLASK_APP := wsgi.py
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_WORKERS ?= 2

.PHONY: run install migrate seed serve lint test test-sqlite test-postgresql services browser worker \
        translations benchmarks clean

run: install migrate seed serve  ## set up and start the demo-seeded site on http://127.0.0.1:8000

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[postgres,redis,test]'
	touch $(STAMP)

# The Open Contracting Data Standard's schemas the tests validate against (tests/ocds_schema.py says from where).
OCDS_SCHEMA := $(VENV)/share/ocds-schema/record-package-schema.json

$(OCDS_SCHEMA): tests/ocds_schema.py | $(STAMP)
	$(BIN)/python -m tests.ocds_schema fetch

install: $(STAMP) $(OCDS_SCHEMA)

migrate: install
	$(BIN)/flask db upgrade

seed: install
	$(BIN)/flask seed-demo

# Metrics of the web and worker processes of this host add up there (docs/deploy.md, "Metrics").
METRICS_DIR ?= $(CURDIR)/instance/prometheus

serve: install
	PROMETHEUS_MULTIPROC_DIR=$(METRICS_DIR) $(BIN)/gunicorn -c gunicorn.conf.py --bind $(HOST):$(PORT) --workers 2 wsgi:app

worker: install  ## run queued match runs (needs REDIS_URL)
	mkdir -p $(METRICS_DIR)
	PROMETHEUS_MULTIPROC_DIR=$(METRICS_DIR) $(BIN)/flask worker

lint: install  ## import layers (contracts in setup.cfg) and function complexity (max-complexity in setup.cfg)
	$(BIN)/lint-imports --no-cache
	$(BIN)/flake8 --select=C901 matching linkage

# The optimizer's own tests (tests/matching) use no database (the import contracts keep `matching` apart from
# the app), and the layout tests (marked `layout`) measure pages in Chromium, which no database changes:
# `make test` runs both with the SQLite half only.
test: lint services browser  ## lint, then the whole suite on SQLite and, but for tests/matching and layout, on PostgreSQL
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgresql PYTEST_ARGS="--ignore=tests/matching -m 'not layout' $(PYTEST_ARGS)"

test-sqlite: install
	LINKAGE_TEST_DB=sqlite $(BIN)/python -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider $(PYTEST_ARGS)

test-postgresql: install services
	LINKAGE_TEST_DB=postgresql $(BIN)/python -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider $(PYTEST_ARGS)

services:  ## start the local PostgreSQL and Redis if they are down
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --daemonize yes --port 6379 --save "" --appendonly no
	@for i in 1 2 3 4 5; do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done

browser:  ## Debian's Chromium and CJK fonts for the browser tests (never a downloaded browser)
	@{ command -v chromium && dpkg -s fonts-noto-cjk; } >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

translations: install  ## extract messages, update the catalogs, compile
	$(BIN)/pybabel extract -F linkage/translations/babel.cfg -k _l -k lazy_gettext -o linkage/translations/messages.pot --no-location --sort-output --omit-header --no-wrap .
	$(BIN)/pybabel update -i linkage/translations/messages.pot -d linkage/translations --no-fuzzy-matching --no-wrap --ignore-obsolete
	$(BIN)/pybabel compile -d linkage/translations

benchmarks: install
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/pages.py
	$(BIN)/python benchmarks/demo_runs.py
	$(MAKE) --no-print-directory services
	$(BIN)/python benchmarks/load.py

clean:
	rm -rf $(VENV) instance/*.sqlite3* .pytest_cache
