# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 4566

.PHONY: run test install install-test coverage bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

run: install
	$(BIN)/stepstack --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest tests

coverage: install
	$(BIN)/stepstack coverage --output docs/coverage.md

bench: install-test
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.sqs
	$(BIN)/python -m bench.sfn

clean:
	rm -rf $(VENV) build *.egg-info
