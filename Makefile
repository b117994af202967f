# Quick start:  make demo   (index and regional analyses of the bundled synthetic panel → out/,
#                            then the platform with the demo park and its job worker on
#                            http://127.0.0.1:8000 — accounts in data/demo-accounts.txt;
#                            Ctrl-C stops server and worker)
#               make test   (the whole test suite)
# make demo SERVE=0 builds and seeds without serving (for scripts); DATA=dir moves the data
# directory (SQLite database, job queue, accounts file); PORT=8080 serves on another port.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SERVE  ?= 1
DATA   ?= data
PORT   ?= 8000

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml constraints.txt setup.py src/nqpf/assessment/_records.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/nqpf index run examples/nqpf-index.yaml
	$(BIN)/nqpf analyze run examples/nqpf-analyze.yaml
	$(BIN)/nqpf demo --data-dir $(DATA) --reuse --port $(PORT) $(if $(filter 0,$(SERVE)),--no-serve,)

# worksteal: the two workers split the tests in halves and an idle one takes queued tests
# from the other, keeping a module's tests (and its shared fixtures) together
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist worksteal -q -rs

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

bench: $(STAMP)
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[bench]'
	$(BIN)/python benchmarks/bench_index.py

clean:
	rm -rf out .pytest_cache
