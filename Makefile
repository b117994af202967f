# Quick start:  make demo   (run the index on the bundled synthetic panel)
#               make test   (the whole test suite)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/nqpf index run examples/nqpf-index.yaml
	$(BIN)/nqpf analyze run examples/nqpf-analyze.yaml

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -rs

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

bench: $(STAMP)
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[bench]'
	$(BIN)/python benchmarks/bench_index.py

clean:
	rm -rf out .pytest_cache
