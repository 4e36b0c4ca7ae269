# Every target bootstraps what it needs: a .venv with pinned packages, and the Delta jars that
# Maven fetches once into build/jars. Re-running is cheap (stamp files).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.lakeport-installed
JARS   := build/jars/.ready
PYTEST_ARGS ?=

.PHONY: setup demo test test-fast bench bench-profiles dist lint clean

setup: $(STAMP) $(JARS)

$(STAMP): pyproject.toml
	@scripts/check_java.sh
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

$(JARS): $(STAMP) jars/delta/pom.xml jars/s3/pom.xml scripts/fetch_jars.py
	$(PY) scripts/fetch_jars.py delta s3
	@touch $(JARS)

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

bench-profiles: setup
	$(PY) bench/profiles_bench.py

dist: $(STAMP)
	$(PY) scripts/build_dist.py

lint: $(STAMP)
	$(VENV)/bin/ruff check jobs tests bench scripts
	$(VENV)/bin/ruff format --check jobs tests bench scripts
	$(VENV)/bin/mypy

clean:
	rm -rf build dist lake spark-warehouse .pytest_cache
