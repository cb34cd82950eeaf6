"""Performance workloads, each measured beside a NumPy floor and PyTorch in the same run.

`python -m benchmarks [NAME ...]`. Workloads are written once against the torch API and run on
both engines: ours in this process, PyTorch in a subprocess of an interpreter that has it
(`WORKBENCH_TORCH_PYTHON`, or `.venv-torch/bin/python` made by `make bench-torch`). PyTorch is
never a dependency of the product or of the tests.
"""
