# Two commands do all the set-up on a fresh machine with Python 3.11 and make:
#   make run    create .venv if needed, install reltui, start it on the default database
#   make test   the same with the test extras, then the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ARGS   ?=
# the suite on every core (a test file stays on one worker: the tmux and kill tests time
# themselves); XDIST= runs it in one process
XDIST  ?= -n auto --dist loadfile

.PHONY: run test bench sample clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	@echo "Starting reltui. To explore the sample book instead: make run ARGS='--db sample.db'"
	@$(BIN)/reltui $(ARGS)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(XDIST) $(ARGS)

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/run.py $(ARGS)

sample: $(VENV)/.installed
	rm -f sample.db sample.db-wal sample.db-shm
	$(BIN)/reltui sample sample.db --seed 7 --today 2026-11-22

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .hypothesis
