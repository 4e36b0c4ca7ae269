# Every target bootstraps what it needs: a .venv with pinned packages, and the Delta (and S3A)
# jars that `lakeport setup` fetches once into the user cache. Re-running is cheap (stamps).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.lakeport-installed
PYTEST_ARGS ?=

.PHONY: setup demo test test-fast bench bench-profiles dist lint clean

setup: $(STAMP)
	@$(VENV)/bin/lakeport setup --s3

$(STAMP): pyproject.toml
	@scripts/check_java.sh
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip "setuptools>=77" wheel
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

demo: setup
	$(VENV)/bin/lakeport demo

test: setup
	@scripts/install_browser.sh
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: setup
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

bench: setup dist
	$(PY) bench/run.py
	$(PY) bench/profiles_bench.py
	$(PY) bench/readonly.py
	$(PY) bench/demo_time.py

bench-profiles: setup
	$(PY) bench/profiles_bench.py

dist: $(STAMP)
	$(PY) scripts/build_dist.py --wheel

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench scripts jobs
	$(VENV)/bin/ruff format --check src tests bench scripts jobs
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

clean:
	rm -rf build dist lake spark-warehouse .pytest_cache
