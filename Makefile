# Two commands: `make run` starts the system on SQLite with a demo council; `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTHON ?= python3
STAMP := $(VENV)/.installed
VENDOR := src/safeguarding/web/static/vendor
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-x tests/people"` or `PYTEST_ARGS=--durations=20`.
PYTEST_ARGS ?=

.PHONY: setup run test test-fast test-journeys test-postgres ci lint format typecheck bench clean chromium

setup: $(STAMP) $(VENDOR)/.copied chromium

# Python dependencies come from the dev lock (production's plus tests, lint, type checks), every file checked
# against its hash; the package itself is installed editable on top.
# The spark extra (PySpark, for `people link --engine spark` and its test) is installed too, from its own lock, so
# that the distributed engine is tested wherever the suite runs (it needs Java 17, which Debian provides).
$(STAMP): pyproject.toml requirements/production.txt requirements/dev.txt requirements/spark.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet --require-hashes -r requirements/dev.txt
	$(PIP) install --quiet --require-hashes --no-deps -r requirements/spark.txt
	$(PIP) install --quiet --no-deps -e .
	touch $(STAMP)

$(VENDOR)/.copied: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/govuk-frontend $(VENDOR)/htmx $(VENDOR)/cytoscape $(VENDOR)/vega $(VENDOR)/swagger-ui
	cp -r node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js node_modules/govuk-frontend/dist/govuk/assets $(VENDOR)/govuk-frontend/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/cytoscape/dist/cytoscape.min.js $(VENDOR)/cytoscape/
	cp node_modules/vega/build/vega.min.js node_modules/vega-lite/build/vega-lite.min.js node_modules/vega-embed/build/vega-embed.min.js $(VENDOR)/vega/
	sed "s#from 'vega-util'#from '/static/vega-util-from-global.js'#" node_modules/vega-interpreter/build/vega-interpreter.js > $(VENDOR)/vega/vega-interpreter.js
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css node_modules/swagger-ui-dist/favicon-32x32.png $(VENDOR)/swagger-ui/
	touch $@

# Browser journeys drive Debian's Chromium; install it when missing (never a test tool's own browser download).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
	  else echo "Install Debian's chromium package (sudo apt-get install chromium) for the browser journeys"; fi; \
	fi

run: setup
	$(VENV)/bin/safeguarding db upgrade
	$(VENV)/bin/safeguarding demo --size small --seed 1 --if-empty
	$(VENV)/bin/safeguarding serve --host 127.0.0.1 --port 8000

# On SQLite whatever the environment says (.ci/run exports the PostgreSQL URL for its second run).
test: setup
	env -u SAFEGUARDING_TEST_DATABASE_URL $(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

test-fast: setup
	env -u SAFEGUARDING_TEST_DATABASE_URL $(PY) -m pytest -n 2 -m "not journey"

# Only the browser journeys (screenshots of key pages land in test-results/).
test-journeys: setup
	$(PY) -m pytest -p no:xdist -m journey tests/journeys

# The same suite against PostgreSQL (SAFEGUARDING_TEST_DATABASE_URL names an admin database; each worker
# creates its own database beside it).
test-postgres: setup
	SAFEGUARDING_TEST_DATABASE_URL=$${SAFEGUARDING_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
	  $(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

# What CI runs: lint, the suite on SQLite, then on PostgreSQL (started if down).
ci:
	.ci/run

# The gates of .ci/run and .pre-commit-config.yaml that need no database: lint, formatting, types (src and tests),
# and the layers of the house (import-linter contracts in pyproject.toml).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-logo

# Rewrites the tree in the project's format (what `ruff format --check` asks for).
format: setup
	$(VENV)/bin/ruff format .

bench: setup
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
