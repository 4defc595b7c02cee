# Two commands: `make run` and `make test`. Everything else is what they need, built only when missing or stale.
SHELL := /bin/bash
.DEFAULT_GOAL := help

APP_VENV := .venv
NLU_VENV := .venv-nlu
APP_PY := $(APP_VENV)/bin/python
NLU_PY := $(NLU_VENV)/bin/python
MODEL := models/nlu.tar.gz
NLU_INPUTS := config.yml $(shell find nlu/data nlu/components -type f \( -name '*.yml' -o -name '*.py' -o -name '*.txt' \) 2>/dev/null)
export RASA_TELEMETRY_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help run test setup lint fmt train nlu-eval nlu-compare db bench clean i18n

help:
	@echo "make run    set up what is missing, then start the bot (terminal chat without TELEGRAM_BOT_TOKEN)"
	@echo "make test   set up what is missing, then run lint and the whole test suite"

## --- set-up -------------------------------------------------------------------------------
$(APP_VENV)/.installed: pyproject.toml requirements.lock
	@py=$$(scripts/find-python.sh app) || exit 1; \
	  [ -x $(APP_PY) ] || $$py -m venv $(APP_VENV)
	$(APP_PY) -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $@

$(NLU_VENV)/.installed: nlu/requirements.txt
	@py=$$(scripts/find-python.sh nlu) || exit 1; \
	  [ -x $(NLU_PY) ] || $$py -m venv $(NLU_VENV)
	$(NLU_PY) -m pip install -q --disable-pip-version-check -r nlu/requirements.txt
	@touch $@

# Retrain only when the training data, the pipeline or the components are newer than the model.
$(MODEL): $(NLU_VENV)/.installed $(NLU_INPUTS)
	@mkdir -p models
	PYTHONPATH=$(CURDIR) $(NLU_VENV)/bin/rasa train nlu --config config.yml --nlu nlu/data \
	  --out models --fixed-model-name nlu
	@touch $@

train: $(MODEL)

db: $(APP_VENV)/.installed
	$(APP_PY) -m db admin migrate
	$(APP_PY) -m db admin load-places

setup: $(APP_VENV)/.installed $(NLU_VENV)/.installed $(MODEL) db

## --- the two commands ------------------------------------------------------------------------
run: setup
	$(APP_PY) -m bot run

test: setup lint
	$(APP_PY) -m pytest -q -p no:cacheprovider
	PYTHONPATH=$(CURDIR) $(NLU_PY) -m pytest -q -p no:cacheprovider tests/nlu/components

## --- helpers ------------------------------------------------------------------------------
lint: $(APP_VENV)/.installed
	$(APP_VENV)/bin/ruff check .
	$(APP_VENV)/bin/ruff format --check .
	$(APP_VENV)/bin/mypy --config-file pyproject.toml

fmt: $(APP_VENV)/.installed
	$(APP_VENV)/bin/ruff format .
	$(APP_VENV)/bin/ruff check --fix .

nlu-eval: $(NLU_VENV)/.installed
	PYTHONPATH=$(CURDIR) $(NLU_PY) -m nlu.eval

nlu-compare: $(NLU_VENV)/.installed
	PYTHONPATH=$(CURDIR) $(NLU_PY) -m nlu.eval --compare

bench: setup
	$(APP_PY) -m bench.quote
	$(APP_PY) -m bench.nlu

clean:
	rm -rf $(APP_VENV) $(NLU_VENV) models var

# Re-extract the bot's Vietnamese msgids and merge them into the English catalog.
i18n: $(APP_VENV)/.installed
	$(APP_VENV)/bin/pybabel extract -F babel.cfg --no-location --sort-output -o bot/locales/messages.pot bot
	@if [ -f bot/locales/en/LC_MESSAGES/messages.po ]; then \
	  $(APP_VENV)/bin/pybabel update --no-fuzzy-matching -i bot/locales/messages.pot -d bot/locales -l en; \
	else $(APP_VENV)/bin/pybabel init -i bot/locales/messages.pot -d bot/locales -l en; fi
