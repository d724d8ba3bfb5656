# Chorus: `make run` serves the demo, `make test` runs the whole suite. Both set up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHORUS := $(BIN)/chorus
DIST := chorus/web/static/dist
PO_FILES := $(wildcard chorus/locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)
CHROMIUM ?= /usr/bin/chromium
CHORUS_TEST_POSTGRES_URL ?=

.PHONY: help setup setup-dev run test lint test-sqlite test-postgres test-browser demo messages screenshots clean

help:
	@echo "make run   set everything up and serve the demo at http://127.0.0.1:8000"
	@echo "           (CHORUS_DEMO=0 make run: an empty instance, set up at /setup/ with the printed code)"
	@echo "make test  set everything up and run lint, the suite (SQLite, PostgreSQL) and browser tests"

# --- set-up: each step is redone only when its inputs change ---
# The venv's own pip (whatever `python3 -m venv` ships) only installs a pinned, hash-checked pip;
# that pip installs the locks. run.lock serves the product; dev.lock adds the test and lint tools.
# Both are hash-locked (requirements/README.md says how to refresh them).
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check
$(BIN)/.pip: requirements/pip.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --require-hashes --no-deps -r requirements/pip.lock
	@touch $@

$(BIN)/.installed: $(BIN)/.pip requirements/run.lock pyproject.toml
	$(PIP) install --require-hashes -r requirements/run.lock
	$(PIP) install --no-deps --no-build-isolation -e .
	@touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements/dev.lock
	$(PIP) install --require-hashes -r requirements/dev.lock
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# A real Bluesky PDS and PLC directory for the client tests (tests/pds/server.mjs).
PDS_INSTALLED := tests/pds/node_modules/.installed
$(PDS_INSTALLED): tests/pds/package.json tests/pds/package-lock.json
	cd tests/pds && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# A real OpenID Provider for the single sign-on tests (tests/oidc/server.mjs).
OIDC_INSTALLED := tests/oidc/node_modules/.installed
$(OIDC_INSTALLED): tests/oidc/package.json tests/oidc/package-lock.json
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# A real SAML 2.0 identity provider for the single sign-on tests (tests/saml/server.mjs).
SAML_INSTALLED := tests/saml/node_modules/.installed
$(SAML_INSTALLED): tests/saml/package.json tests/saml/package-lock.json
	cd tests/saml && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(DIST)/app.js: node_modules/.installed $(wildcard frontend/*)
	npm run --silent build

%.mo: %.po $(BIN)/.installed
	$(BIN)/pybabel compile -i $< -o $@

messages: $(MO_FILES)

setup: $(BIN)/.installed $(DIST)/app.js messages

setup-dev: setup $(BIN)/.installed-dev

# --- run: the embedded profile, web + worker, with the demo organisation unless CHORUS_DEMO=0 ---
# SECRET_KEY: the embedded profile reads (or makes) var/secret_key itself (chorus/settings.py).
run: setup
	@$(CHORUS) migrate --no-input -v0 && \
	$(CHORUS) collectstatic --no-input -v0 && \
	$(CHORUS) demo --if-enabled && \
	exec $(CHORUS) serve

demo: setup
	$(CHORUS) demo

# --- test: lint, the suite on SQLite, on PostgreSQL when configured, then Chromium ---
test: setup-dev $(PDS_INSTALLED) $(OIDC_INSTALLED) $(SAML_INSTALLED) lint test-sqlite test-postgres test-browser

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	CHORUS_DEBUG=1 $(BIN)/mypy chorus
	$(BIN)/lint-imports --no-cache

test-sqlite: setup-dev $(PDS_INSTALLED) $(OIDC_INSTALLED) $(SAML_INSTALLED)
	$(BIN)/pytest -m "not browser and not postgres" -q

# The API contract (schemathesis, a fixed budget of derandomised cases) and the tests that run
# the embedded profile in processes of their own (backups, shared rate limits) run in the SQLite
# pass only: what they check does not depend on the suite's database, and they cost minutes.
test-postgres: setup-dev $(PDS_INSTALLED) $(OIDC_INSTALLED) $(SAML_INSTALLED)
	@if [ -n "$(CHORUS_TEST_POSTGRES_URL)" ]; then \
	  DATABASE_URL="$(CHORUS_TEST_POSTGRES_URL)" $(BIN)/pytest -m "not browser and not contract and not embedded" -q; \
	else \
	  echo "CHORUS_TEST_POSTGRES_URL is not set: the PostgreSQL run is left out."; \
	fi

test-browser: setup-dev $(OIDC_INSTALLED) $(SAML_INSTALLED)
	@test -x "$(CHROMIUM)" || { echo "Chromium is missing at $(CHROMIUM): apt-get install -y chromium (or set CHROMIUM)."; exit 1; }
	CHROMIUM="$(CHROMIUM)" $(BIN)/pytest -m browser -q

# The README's screenshots (docs/screenshots/*.png): a throw-away demo instance on 127.0.0.1,
# photographed by Chromium through Playwright at phone and desktop sizes.
screenshots: setup-dev
	@test -x "$(CHROMIUM)" || { echo "Chromium is missing at $(CHROMIUM): apt-get install -y chromium (or set CHROMIUM)."; exit 1; }
	CHROMIUM="$(CHROMIUM)" $(BIN)/python -m tests.browser.screenshots docs/screenshots

clean:
	rm -rf $(VENV) node_modules tests/pds/node_modules tests/oidc/node_modules tests/saml/node_modules $(DIST) var .pytest_cache .mypy_cache .ruff_cache
