# The two commands of the README: `make run` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
STAFF_EMAIL ?= staff@example.org
export FLASK_APP := wsgi

.PHONY: run test test-fast test-cluster check lint install install-test system-deps browser-deps cluster-deps bench clean translations translations-update

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: system-deps $(VENV)/.installed translations static/vendor/bootstrap.rtl.min.css
install-test: system-deps browser-deps $(VENV)/.installed-test translations static/vendor/bootstrap.rtl.min.css

# The interface's languages: catalogue/translations/<lang>/LC_MESSAGES/messages.po, compiled here.
TRANSLATIONS := catalogue/translations
translations: | $(BIN)/python
	@out=$$($(BIN)/pybabel compile -d $(TRANSLATIONS) 2>&1) || { echo "$$out"; exit 1; }

# After changing interface text: gather the messages and add the new ones to every language
# (then translate them; `make check` fails while any is missing or fuzzy).
translations-update: | $(BIN)/python
	$(BIN)/pybabel extract -F babel.cfg --ignore-dirs='.* __pycache__ static' -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
	  --sort-output -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete \
	  -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)

# Arabic pages use Bootstrap's right-to-left stylesheet, from the npm package of the same
# version as Bootstrap-Flask's (the left-to-right one comes with Bootstrap-Flask).
BOOTSTRAP_VERSION := 5.3.8
static/vendor/bootstrap.rtl.min.css:
	@command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null)
	tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent bootstrap@$(BOOTSTRAP_VERSION) >/dev/null && \
	  tar -xzf bootstrap-$(BOOTSTRAP_VERSION).tgz package/dist/css/bootstrap.rtl.min.css && \
	  mkdir -p $(CURDIR)/static/vendor && cp package/dist/css/bootstrap.rtl.min.css $(CURDIR)/$@ && \
	  rm -rf $$tmp

# The browser tests drive Debian's Chromium through Playwright (never a downloaded browser build).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  echo "Installing Chromium for the browser tests (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# WeasyPrint needs Pango; a bare Debian machine may not have it.
system-deps:
	@if ! ldconfig -p | grep -q libpango-1.0; then \
	  echo "Installing Pango for WeasyPrint (Debian packages)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
	fi
# Without HarfBuzz's subsetter WeasyPrint subsets fonts with fontTools: 4-9 s per PDF with Korean.
	@if ! ldconfig -p | grep -q libharfbuzz-subset; then \
	  echo "Installing HarfBuzz's font subsetter for WeasyPrint (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libharfbuzz-subset0 >/dev/null; \
	fi
# PDF text is set in DejaVu Sans, Korean names in Noto Sans CJK KR (print.css), via fontconfig.
	@if ! fc-list :lang=ko 2>/dev/null | grep -q . || ! fc-list "DejaVu Sans" | grep -q .; then \
	  echo "Installing the fonts of the PDF exports (Debian packages)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fontconfig fonts-dejavu-core fonts-noto-cjk >/dev/null; \
	fi

instance/secret_key:
	mkdir -p instance
	$(PYTHON) -c "import secrets; print(secrets.token_hex(32))" > $@
	chmod 600 $@

# `make run` serves the production configuration. Every absolute link (e-mails, PDFs) is built
# from SITE_URL, and only requests naming its host are answered: set SITE_URL=https://... behind
# a TLS proxy (cookies are then Secure), or when HOST is 0.0.0.0. gunicorn.conf.py holds the
# server settings (2 threaded workers that gather slow clients' requests, timeouts, limits).
SITE_URL ?= http://$(HOST):$(PORT)
RUN_ENV = FLASK_CONFIG=production SITE_URL="$(SITE_URL)" SECRET_KEY="$$(cat instance/secret_key)"

run: install instance/secret_key
	$(RUN_ENV) $(BIN)/flask db upgrade
	$(RUN_ENV) $(BIN)/flask seed
	$(RUN_ENV) $(BIN)/flask search reindex
# Spec sheets and profiles stored before the first visitor (~30 s after a fresh seed, ~2 s after).
	$(RUN_ENV) $(BIN)/flask exports prerender
	$(RUN_ENV) $(BIN)/flask users ensure-staff $(STAFF_EMAIL)
	@echo "Serving on $(SITE_URL)"
	$(RUN_ENV) $(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) wsgi:app

test: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

# The quick tier while working: SQLite only, no browser.
test-fast: install-test
	env -u TEST_DATABASE_URL $(BIN)/pytest -m "not browser"

# Two web nodes behind nginx, a worker, PostgreSQL (the local server), Redis and an S3 server,
# started from deploy/ by tests/cluster/cluster.py; about two minutes, timings printed.
test-cluster: install-test cluster-deps
	$(BIN)/pytest -s tests/cluster --cluster

# The cluster test's nginx and redis-server are Debian's (moto_server comes with the test extra).
cluster-deps:
	@if [ ! -x /usr/sbin/nginx ]; then \
	  echo "Installing nginx for the cluster test (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	fi
	@if ! command -v redis-server >/dev/null 2>&1; then \
	  echo "Installing redis-server for the cluster test (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	fi

# Every benchmark script in bench/ prints its figures (see the README for the targets).
bench: install-test $(VENV)/.installed-bench
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
	@for script in bench/*.py; do case "$$script" in *locustfile.py|*bare_app.py) continue;; esac; \
	  echo "== $$script"; $(BIN)/python $$script || exit 1; done

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

# Security and style checks: ruff, bandit (medium and high findings fail; the few explained ones
# carry a "nosec" with the reason) and pip-audit of the pinned dependencies, which needs PyPI:
# without a network it reports that and goes on.
check: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
# Types of catalogue/ (mypy; its settings are under [tool.mypy] in pyproject.toml).
	$(BIN)/mypy
	$(BIN)/bandit -q -r catalogue config.py wsgi.py --severity-level medium
# Every language's catalogue complete: no missing, empty or fuzzy message, placeholders as in English.
	$(BIN)/python -m catalogue.i18n.check
	@out=$$($(BIN)/pip-audit --skip-editable --progress-spinner off 2>&1); status=$$?; \
	echo "$$out" | grep -v "could not be audited"; \
	if [ $$status -ne 0 ]; then \
	  if echo "$$out" | grep -qi "known vulnerabilit"; then exit 1; fi; \
	  echo "pip-audit could not reach the vulnerability database (no network?): not checked."; \
	fi; \
	unaudited=$$(echo "$$out" | grep -c "could not be audited"); \
	if [ "$$unaudited" -gt 0 ]; then echo "pip-audit: $$unaudited dependencies could not be looked up from here: not checked."; fi

lint: install-test
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
