# Actito Admin — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# mypy's Django plugin loads the settings, which want a secret outside DEBUG; this one signs nothing.
MYPY := SECRET_KEY=mypy-only-reads-the-settings-this-key-signs-nothing-0123456789 DEBUG=false $(VENV)/bin/mypy
export DEBUG ?= true

.PHONY: run test lint typecheck pytest install install-dev chromium clean messages

run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_setup
	$(PY) manage.py run_console

test: export DEBUG := false
test: $(VENV)/.installed-dev chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MYPY)
	$(VENV)/bin/pytest

# After changing any text shown to users: refresh locale/*/LC_MESSAGES/django.po (GNU gettext's
# xgettext), translate the new or fuzzy entries, then run it again to compile the .mo files, which
# are committed so a fresh machine needs no gettext (README: "Languages").
messages: $(VENV)/.installed-dev
	$(PY) manage.py makemessages $(foreach l,$(LANGS),-l $(l)) --no-obsolete --add-location=file \
		--ignore='.venv/*' --ignore='tests/*' --ignore='bench/*' --ignore='actito_admin/sandbox/*' \
		--ignore='var/*' --ignore='static/vendor/*'
	$(PY) manage.py compilemessages --ignore='.venv/*'
LANGS ?= fr nl

typecheck: $(VENV)/.installed-dev
	$(MYPY)

# The suite alone (CI runs it a second time against PostgreSQL and Redis).
pytest: export DEBUG := false
pytest: $(VENV)/.installed-dev chromium
	$(VENV)/bin/pytest

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MYPY)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Browser tests drive Debian's chromium. Installed automatically when we are root.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian's chromium for the browser tests…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Browser tests need Debian's chromium: run 'sudo apt-get install -y chromium', then 'make test' again."; \
	    exit 1; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
