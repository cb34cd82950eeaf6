PY ?= python3
VENV = .venv
BIN = $(VENV)/bin

.PHONY: all run test bench bench-torch lint format clean screenshots example-sessions

all: test

# The virtual environment, rebuilt when the project metadata changes.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/python -m workbench

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

# One BLAS/OpenMP thread for every engine: on this 2-core machine multi-threaded matrix
# products have a long, noisy tail that swamps the per-op costs being compared.
BENCH_ENV = OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

bench: $(VENV)/.installed
	$(BENCH_ENV) $(BIN)/python -m benchmarks
	$(BENCH_ENV) $(BIN)/python -m benchmarks.memory
	$(BENCH_ENV) $(BIN)/python -m benchmarks.profiler
	$(BENCH_ENV) $(BIN)/python -m benchmarks.app
	$(BENCH_ENV) $(BIN)/python -m benchmarks.graph_layout
	$(BENCH_ENV) $(BIN)/python -m benchmarks.training
	$(BENCH_ENV) $(BIN)/python -m benchmarks.session_io
	$(BENCH_ENV) $(BIN)/python -m benchmarks.graph_render
	$(BENCH_ENV) $(BIN)/python -m benchmarks.training_panel
	$(BENCH_ENV) $(BIN)/python -m benchmarks.profiler_render

# A separate environment with PyTorch, only for the benchmarks' comparison column.
bench-torch:
	test -x .venv-torch/bin/python || $(PY) -m venv .venv-torch
	.venv-torch/bin/python -m pip install torch==2.13.0 numpy

# The README's pictures, rendered offscreen from the shipped examples (docs/screenshots/).
SHOTS = docs/screenshots
screenshots: $(VENV)/.installed
	mkdir -p $(SHOTS)
	$(BIN)/python -m workbench snapshot assets/examples/01_derivative_of_sin.py --run -o $(SHOTS)/window-light.png
	$(BIN)/python -m workbench snapshot assets/examples/01_derivative_of_sin.py --run --theme dark -o $(SHOTS)/window-dark.png
	$(BIN)/python -m workbench snapshot assets/examples/02_tiny_training_step.py --run --panel inspector --size 1440x900 -o $(SHOTS)/inspector.png
	$(BIN)/python -m workbench snapshot assets/examples/09_two_layer_graph.py --run --panel graph --size 1700x1300 -o $(SHOTS)/graph.png
	$(BIN)/python $(SHOTS)/scripts/training_shot.py $(SHOTS)/training.png
	$(BIN)/python -m workbench snapshot $(SHOTS)/scripts/profiled_loop.py --run --profile --panel profiler --size 1700x1300 -o $(SHOTS)/profiler.png

# The example sessions in assets/examples/ (Help → Example Sessions), from a seeded script.
example-sessions: $(VENV)/.installed
	$(BIN)/python scripts/make_example_sessions.py

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Apply the fixes that lint asks for.
format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -not -path "./.git/*" -exec rm -rf {} +
