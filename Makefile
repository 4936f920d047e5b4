# Footnote: `make run` starts it, `make test` tests it, `make check` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
CORPUS ?= $(or $(FOOTNOTE_CORPUS_DIR),corpus)

.PHONY: run test check lint types bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip

# -qq: errors only (not pip's notes on this machine's package indexes); compat: a plain .pth,
# not setuptools' import-hook finder and its banner.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -qq -e '.[dev]' --config-settings editable_mode=compat
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# Index the corpus (incremental: unchanged articles cost nothing), then the bot (with
# TELEGRAM_BOT_TOKEN in the environment or .env) or, without a token, the terminal chat.
run: $(STAMP)
	-$(BIN)/footnote ingest $(CORPUS)
	$(BIN)/footnote run --fallback-chat

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check retrieval bot prompts testing tests bench
	$(BIN)/ruff format --check retrieval bot prompts testing tests bench

types: $(STAMP)
	$(BIN)/mypy

check: lint types test

bench: $(STAMP)
	$(BIN)/pip install -qq -e '.[dev,bench]' --config-settings editable_mode=compat
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
