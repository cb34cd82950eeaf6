"""Run the workloads and print each beside its NumPy floor and PyTorch, as ratios.

The three are measured in rounds, interleaved (ours, floor, PyTorch, ours, ...), and each
keeps its best time over all rounds: on a shared machine the load drifts, and interleaving
exposes all three to the same drift instead of giving one a quiet minute and another a busy
one. PyTorch runs in a long-lived subprocess of an interpreter that has it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from .timing import best_time
from .workloads import GPU_WORKLOADS, WORKLOADS

ROOT = Path(__file__).resolve().parent.parent

# Runs in the PyTorch interpreter: builds each workload once, then answers "name repeat"
# requests on stdin with the best time on stdout.
_TORCH_WORKER = """
import json, sys, torch
from benchmarks.workloads import GPU_WORKLOADS, WORKLOADS
from benchmarks.timing import best_time
WORKLOADS.update(GPU_WORKLOADS)
runs = {}
for line in sys.stdin:
    name, repeat = line.split()
    if name not in runs:
        runs[name] = WORKLOADS[name][0](torch)
    print(json.dumps(best_time(runs[name], repeat=int(repeat))), flush=True)
"""


def torch_python():
    env = os.environ.get("WORKBENCH_TORCH_PYTHON")
    if env:
        return env
    local = ROOT / ".venv-torch" / "bin" / "python"
    return str(local) if local.exists() else None


class TorchWorker:
    """PyTorch in a subprocess, kept for the whole run; None-like when there is none."""

    def __init__(self):
        py = torch_python()
        self.proc = None
        if py is not None:
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            self.proc = subprocess.Popen(
                [py, "-c", _TORCH_WORKER],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env,
                cwd=ROOT,
            )

    def time(self, name, repeat):
        if self.proc is None:
            return None
        self.proc.stdin.write(f"{name} {repeat}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            print("PyTorch worker stopped; no PyTorch column from here on", file=sys.stderr)
            self.proc = None
            return None
        return json.loads(line)

    def close(self):
        if self.proc is not None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


# Each round times a workload at least this long in all: a best of 21 single runs of a 0.2 ms
# step moves its ratio to the floor by 0.1-0.2 from run to run here; a few hundred do not.
_ROUND_SECONDS = 0.05


def _samples(fn, repeat):
    """How many timed runs per round: `repeat`, or more for a workload so short that
    `repeat` runs would not fill `_ROUND_SECONDS` (the same count for ours, floor, PyTorch)."""
    t = best_time(fn, repeat=3)
    return max(repeat, min(2000, int(_ROUND_SECONDS / max(t, 1e-6))))


def _best(a, b):
    return b if a is None else a if b is None else min(a, b)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", help="workloads to run (default: all)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument(
        "--gpu",
        action="store_true",
        help="also run the GPU workloads (needs CuPy and a CUDA device)",
    )
    args = parser.parse_args(argv)
    if args.gpu:
        WORKLOADS.update(GPU_WORKLOADS)
    names = args.names or list(WORKLOADS)
    np.seterr(all="ignore")
    import workbench.engine as ours

    worker = TorchWorker()
    rows = []
    try:
        for n in names:
            work, floor, target = WORKLOADS[n]
            run_ours = work(ours)
            run_floor = floor() if floor else None
            t_ours = t_floor = t_torch = None
            repeat = _samples(run_ours, args.repeat)
            for _ in range(args.rounds):
                t_ours = _best(t_ours, best_time(run_ours, repeat=repeat))
                if run_floor:
                    t_floor = _best(t_floor, best_time(run_floor, repeat=repeat))
                t_torch = _best(t_torch, worker.time(n, repeat))
            rows.append((n, t_ours, t_floor, t_torch, target))
    finally:
        worker.close()

    print(
        f"{'workload':<20}{'ours ms':>10}{'floor ms':>10}{'torch ms':>10}"
        f"{'ours/floor':>12}{'ours/torch':>12}{'torch/floor':>12}  target"
    )
    for n, t, f, tt, target in rows:
        cells = [
            f"{n:<20}",
            f"{t * 1e3:>10.2f}",
            f"{f * 1e3:>10.2f}" if f else f"{'-':>10}",
            f"{tt * 1e3:>10.2f}" if tt else f"{'-':>10}",
            f"{t / f:>12.2f}" if f else f"{'-':>12}",
            f"{t / tt:>12.2f}" if tt else f"{'-':>12}",
            f"{tt / f:>12.2f}" if (tt and f) else f"{'-':>12}",
        ]
        print("".join(cells) + "  " + target)
    if worker.proc is None and torch_python() is None:
        print(
            "(PyTorch not found: `make bench-torch` makes .venv-torch, or set "
            "WORKBENCH_TORCH_PYTHON)"
        )


if __name__ == "__main__":
    main()
