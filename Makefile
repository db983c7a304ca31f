# duluan — the two commands a fresh clone needs: `make demo` and `make test`.
# Both bootstrap their own virtualenv (.venv) from pyproject.toml; nothing is installed by hand.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test venv lint typecheck services-up services-down system-deps browser clean bench

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

# the tests also cover the optional transformers backend (torch pulls ~3 GB of CUDA wheels)
TEST_STAMP := $(VENV)/.installed-test-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,transformers]'
	@touch $(TEST_STAMP)

## Run the main job on the embedded default: crawl a local demo site, analyse, index, serve.
demo: venv
	$(BIN)/duluan demo

## Run the whole test suite against real Kafka, Elasticsearch and Chromium.
test: venv $(TEST_STAMP)
	bash scripts/test.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

typecheck: venv
	$(BIN)/mypy

services-up:
	bash scripts/services/services.sh up

services-down:
	bash scripts/services/services.sh down

system-deps browser:
	bash scripts/install_system_deps.sh

bench: venv
	@ls bench/*.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
