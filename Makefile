# The two commands: `make run` and `make test` (and `make serve` in production).
# Everything they need is set up here.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 5000
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run serve test lint system-deps pytest clean translations

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

# WeasyPrint needs Pango and HarfBuzz-Subset; the report tests need poppler's pdftoppm,
# the browser tests Debian's Chromium (Playwright drives it; it downloads no browser).
system-deps:
	@missing=""; \
	ldconfig -p | grep -q 'libpango-1.0.so' || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	ldconfig -p | grep -q 'libharfbuzz-subset.so' || missing="$$missing libharfbuzz-subset0"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; \
	fi

run: $(VENV)/.installed system-deps
	$(FLASK) init-db
	$(FLASK) seed-demo
	@echo "Serving on http://127.0.0.1:$(PORT)  (stop with Ctrl-C)"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Production: gunicorn with gunicorn.conf.py (127.0.0.1:8000 unless BIND or PORT say
# otherwise; put an HTTPS reverse proxy in front and set SECURE_COOKIES=1).
serve: $(VENV)/.installed system-deps
	$(FLASK) init-db
	$(VENV)/bin/gunicorn --config gunicorn.conf.py app:app

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# The suite runs on every core (pytest-xdist, one test file per worker at a time);
# PYTEST_ARGS adds options, e.g. PYTEST_ARGS=--database-tests-only.
PYTEST_WORKERS ?= auto
PYTEST_ARGS ?=
pytest: $(VENV)/.dev-installed system-deps
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test: lint pytest

# The interface's message catalogues (docs/translation.md): extract the marked texts,
# merge them into each language's messages.po, compile the .mo files the app reads.
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -w 100 -o $(VENV)/messages.pot .
	$(VENV)/bin/pybabel update -i $(VENV)/messages.pot -d assessment/translations -w 100
	$(VENV)/bin/pybabel compile -d assessment/translations

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
