# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# make's variables win over the server's own STEPSTACK_HOST/STEPSTACK_PORT, so they default to them
HOST ?= $(or $(STEPSTACK_HOST),127.0.0.1)
PORT ?= $(or $(STEPSTACK_PORT),4566)
ARGS ?=

.PHONY: run test install install-test coverage bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamps: the install is editable, so only a change to pyproject.toml needs pip again.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(VENV)/.installed $(VENV)/.installed-test $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Bytecode written ahead: with PYTHONDONTWRITEBYTECODE set, every start would compile the sources.
run: $(VENV)/.installed
	@$(BIN)/python -m compileall -q server protocols services >/dev/null
	$(BIN)/stepstack --host $(HOST) --port $(PORT) $(ARGS)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest tests

coverage: $(VENV)/.installed
	$(BIN)/stepstack coverage --output docs/coverage.md

bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.sqs
	$(BIN)/python -m bench.sfn

clean:
	rm -rf $(VENV) build *.egg-info
