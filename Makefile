# The two commands of the README: `make repro` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install repro test lint bench clean

install: $(STAMP)

# Reinstall whenever the dependency list changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

repro: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/dvc repro

test: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python benchmarks/preprocess.py
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python benchmarks/train.py

clean:
	rm -rf $(VENV)
