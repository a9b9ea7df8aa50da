# Set-up and checks for Classifier Explorer.
#   make run    start the app on http://127.0.0.1:$(PORT)
#   make test   run the whole test suite, browser tests included
#   make lint   ruff lint and format check

PYTHON ?= python3
PORT ?= 8501
PYTEST_ARGS ?=

VENV := .venv
PY := $(VENV)/bin/python
CHROMIUM := /usr/bin/chromium

# pip reinstalls only when a requirements file is newer than its stamp.
APP_STAMP := $(VENV)/.requirements.stamp
DEV_STAMP := $(VENV)/.requirements-dev.stamp

.DEFAULT_GOAL := help
.PHONY: help run test lint

help:
	@echo "make run    start the app on http://127.0.0.1:$(PORT) (PORT=... to change)"
	@echo "make test   run the whole test suite, browser tests included"
	@echo "make lint   ruff lint and format check"

run: $(APP_STAMP)
	$(PY) -m streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

test: $(DEV_STAMP) $(CHROMIUM)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

$(PY):
	@echo "==> Creating the virtual environment in $(VENV)"
	$(PYTHON) -m venv $(VENV)

$(APP_STAMP): requirements.txt | $(PY)
	@echo "==> Installing requirements.txt into $(VENV) (the first time takes a few minutes)"
	$(PY) -m pip install --quiet --quiet --progress-bar off -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	@echo "==> Installing requirements-dev.txt into $(VENV) (the first time takes a few minutes)"
	$(PY) -m pip install --quiet --quiet --progress-bar off -r requirements-dev.txt
	@touch $@ $(APP_STAMP)

# Playwright drives Debian's Chromium because it cannot download its own
# browser build here.
$(CHROMIUM):
	@if [ "$$(id -u)" -ne 0 ]; then \
		echo "Chromium is missing at $(CHROMIUM) and the browser tests need it."; \
		echo "Install it as root with: apt-get update && apt-get install -y chromium"; \
		exit 1; \
	fi
	@echo "==> Installing Debian's chromium for the browser tests"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
