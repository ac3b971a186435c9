# The two commands of the README: `make repro` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pip itself is pinned here (it cannot install itself from the lock).
PIP_VERSION := 26.3

.PHONY: install lock repro test lint bench clean browser

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

test: $(STAMP) browser
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python -m pytest -q

# The page checks open reports in a real headless browser: Debian's Chromium, installed
# when missing where that is possible (root with apt-get, as in CI); elsewhere they skip.
APT_CHROMIUM := DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && { $(APT_CHROMIUM) || { apt-get update -q >/dev/null && $(APT_CHROMIUM); }; } \
	  || echo "chromium not installed: the browser checks will skip"; }

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports

bench: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python benchmarks/preprocess.py
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python benchmarks/train.py

clean:
	rm -rf $(VENV)
