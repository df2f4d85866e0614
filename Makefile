# Tessera: `make run` to try it, `make test` to prove it. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON ?= python3.11
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

# Embedded defaults for a local run; any of them may be overridden from the environment.
RUN_ENV := DJANGO_DEBUG=$${DJANGO_DEBUG:-true}

# The test suite always uses the local PostgreSQL and Redis (see tests/README in the README).
TEST_DATABASE_URL ?= postgres://postgres@localhost:5432/tessera
TEST_REDIS_URL ?= redis://localhost:6379/15

.PHONY: install run serve worker beat test lint format messages browser check-services clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# The environment is rebuilt whenever the lock file changes.
$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	UV_PYTHON=$(PYTHON) $(UV) sync --frozen --quiet
	@touch $@

install: $(VENV)/.synced messages

messages: $(VENV)/.synced
	@command -v msgfmt >/dev/null || apt-get install -y -q gettext >/dev/null
	@$(RUN_ENV) $(PY) manage.py compilemessages --ignore=.venv --ignore=.tools -v 0

run: install
	$(RUN_ENV) $(MANAGE) migrate --no-input -v 0
	$(RUN_ENV) $(MANAGE) demo_data
	$(RUN_ENV) $(MANAGE) runserver 127.0.0.1:8000

worker: install
	$(VENV)/bin/celery -A config worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A config beat --loglevel=INFO

# Browser tests drive Debian's Chromium; never a downloaded browser build.
browser:
	@command -v chromium >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }

check-services: install
	@$(PY) -m config.checkservices "$(TEST_DATABASE_URL)" "$(TEST_REDIS_URL)"

test: install browser check-services
	$(VENV)/bin/lint-imports --no-cache
	DJANGO_SECRET_KEY=test-only-secret-key-not-for-production \
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	EMAIL_HOST= DJANGO_DEBUG=false \
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) $(TOOLS) staticfiles db.sqlite3
