# Two commands: `make demo` and `make test`. Both set everything up from a fresh clone.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.neuronmotif-ready
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup demo test lint bench bench-quick clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch 2.13.0 (CPU wheel) only when no torch is importable; a bare `torch` pulls a multi-GB CUDA build.
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[test,bench]"
	# memelite's (and modisco-lite's) numba kernels compile once (~45 s); do it here, never inside a timed run.
	$(PY) benchmarks/warmup.py
	# the report's browser tests: Debian's chromium, driven by Playwright (which downloads no browser)
	command -v chromium >/dev/null || $(SUDO) apt-get install -y -q chromium \
		|| ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium) \
		|| echo "no chromium installed: the report's browser tests will skip"
	touch $(STAMP)

demo: setup
	$(VENV)/bin/neuronmotif demo -o demo_out --overwrite

test: setup
	$(VENV)/bin/pytest -q

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks

bench: setup
	$(PY) benchmarks/throughput.py

bench-quick: setup
	$(PY) benchmarks/grammar_recovery.py --quick

clean:
	rm -rf $(VENV) demo_out bench_out .pytest_cache
