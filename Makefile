# Fangkong: `make demo` to try it, `make test` to check everything.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
FK := $(VENV)/bin/fangkong
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
PYTEST := $(PY) -m pytest -q -p no:randomly
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install demo serve test test-sqlite test-postgresql lint format messages messages-update bench clean

# setuptools announces every editable install with a warning a newcomer cannot act on, and
# pip warns of a machine's own index settings: -qq keeps pip to its errors.
$(STAMP): pyproject.toml
	@echo "正在安装运行环境（首次运行约需一两分钟）……"
	@PYBIN=$$(scripts/find-python) && { [ -x $(PY) ] || $$PYBIN -m venv $(VENV); }
	@$(PY) -m pip install -qq --disable-pip-version-check --upgrade pip
	@PYTHONWARNINGS="ignore:Editable installation" \
	  $(PY) -m pip install -qq --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) messages

messages: $(STAMP)
	@cd fangkong && ../$(PY) ../manage.py compilemessages -l zh_Hans -v 0

# Re-extract the strings of code and templates into the zh_Hans catalogue (then translate).
messages-update: $(STAMP)
	@cd fangkong && ../$(PY) ../manage.py makemessages -l zh_Hans --no-obsolete --ignore '*/tests/*' --ignore 'migrations/*'
	@cd fangkong && ../$(PY) ../manage.py makemessages -d djangojs -l zh_Hans --no-obsolete --ignore '*/tests/*' --ignore 'static/vendor/*'

demo: install
	@$(FK) demo

serve: install
	$(FK) serve

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache --no-logo
	$(PY) manage.py makemigrations --check --dry-run -v 1
	$(PY) devtools/sizes.py

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The whole suite on SQLite (with the browser tests), then again on PostgreSQL;
# coverage is the union of both runs and must reach 85 % of fangkong/.
test: install lint
	rm -f .coverage
	FANGKONG_TEST_DB=sqlite $(PYTEST) --cov=fangkong --cov-report= 
	FANGKONG_TEST_DB=postgresql $(PYTEST) -m "not e2e" --cov=fangkong --cov-append --cov-report=term --cov-fail-under=85

test-sqlite: install
	FANGKONG_TEST_DB=sqlite $(PYTEST)

test-postgresql: install
	FANGKONG_TEST_DB=postgresql $(PYTEST) -m "not e2e"

bench: install
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) .coverage htmlcov *.egg-info
