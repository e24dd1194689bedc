# The two Quick start commands. Both create and reuse a local .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,pdf,postgres]'
	@touch $(STAMP)

## run: the main job (until the demo shop lands: the shoptrace CLI on a sample trace code)
run: $(STAMP)
	@$(BIN)/python examples/sample_codes.py out

## test: lint, then the whole test suite
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_codes.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
