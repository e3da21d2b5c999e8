# Everything a developer runs. `make run` and `make test` work from a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test test-fast lint typecheck pytest bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/aggregator run

test: lint typecheck pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

# The unit tier: pure modules, a few seconds; run it on every change (in one process:
# starting workers would cost more than it saves).
test-fast: $(BIN)/.installed
	$(BIN)/pytest -q -n 0 tests/unit

pytest: $(BIN)/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,bench]'
	$(BIN)/python benchmarks/refresh.py --n 1000 --peer reader
	$(BIN)/python benchmarks/build.py

clean:
	rm -rf $(VENV) public config/aggregator.sqlite3*
