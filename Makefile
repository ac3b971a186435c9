# The two commands of the README: `make repro` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pip itself is pinned here (it cannot install itself from the lock).
PIP_VERSION := 26.3

.PHONY: install lock repro test lint bench clean

install: $(STAMP)

# Reinstall whenever the dependency list or the lock changes.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==$(PIP_VERSION)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	# No build isolation: the build backend (setuptools) comes from the lock too.
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Regenerate requirements.lock: run after editing dependencies in pyproject.toml.
lock:
	d=$$(mktemp -d) && $(PYTHON) -m venv $$d && $$d/bin/python -m pip install --quiet pip-tools==7.6.2 \
	  && $$d/bin/pip-compile --quiet --generate-hashes --extra test --strip-extras --allow-unsafe \
	     --no-emit-index-url --output-file requirements.lock pyproject.toml; \
	  rc=$$?; rm -rf $$d; exit $$rc

repro: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/dvc repro

test: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports

bench: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python benchmarks/preprocess.py
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python benchmarks/train.py

clean:
	rm -rf $(VENV)
