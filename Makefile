# The two commands that matter: `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
INSTANCE := instance
export PORTAL_ENV ?= development

.PHONY: run test lint format bench install clean-db translations extract-messages
TRANSLATIONS := portal/translations
PO_FILES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) $(MO_FILES)

# Compiled catalogues are build output (git-ignored): made from the .po files on install.
$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ >/dev/null

translations: $(MO_FILES)

## make extract-messages: refresh the catalogue template and merge it into every language
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k _n:1,2 -k lazy_pgettext:1c,2 \
		--no-location --sort-output -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) \
		--no-fuzzy-matching --ignore-obsolete

$(INSTANCE)/secret_key:
	mkdir -p $(INSTANCE)
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(48))" > $@
	chmod 600 $@

## make run: fresh machine to a working portal with demo data at http://127.0.0.1:5000
run: $(STAMP) $(MO_FILES) $(INSTANCE)/secret_key
	$(BIN)/portal db upgrade
	$(BIN)/portal demo
	$(BIN)/portal run --host 127.0.0.1 --port 5000

## make test: install and run the whole suite (PORTAL_TEST_DATABASE_URL selects PostgreSQL)
test: $(STAMP) $(MO_FILES)
	PORTAL_ENV=testing $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean-db:
	rm -f $(INSTANCE)/portal.db $(INSTANCE)/portal.db-wal $(INSTANCE)/portal.db-shm
