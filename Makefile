# The two Quick start commands. Both create and reuse a local .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,pdf,postgres,redis]'
	@touch $(STAMP)

## run: the main job: the demo shop with shoptrace inside, on embedded SQLite, at
## http://127.0.0.1:5000 (DEMO_PORT changes the port; data in examples/demo_shop/instance/)
run: $(STAMP)
	@$(BIN)/python -m examples.demo_shop

## test: lint, type-check the SDK, then the whole test suite
test: lint typecheck
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy cannot follow the editable install's package-dir mapping, so it reads the parts through
# shoptrace/<part> links in a folder of its own.
typecheck: $(STAMP)
	@mkdir -p $(VENV)/typecheck/shoptrace
	@ln -sfn $(CURDIR)/sdk $(VENV)/typecheck/shoptrace/sdk
	@ln -sfn $(CURDIR)/shop_plugin $(VENV)/typecheck/shoptrace/shop_plugin
	@ln -sfn $(CURDIR)/widgets $(VENV)/typecheck/shoptrace/widgets
	cd $(VENV)/typecheck && MYPYPATH=. $(CURDIR)/$(BIN)/mypy \
		--config-file $(CURDIR)/pyproject.toml --explicit-package-bases \
		-p shoptrace.sdk -p shoptrace.shop_plugin -p shoptrace.widgets

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_codes.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
