"""Run the workloads and print each beside its NumPy floor and PyTorch, as ratios."""

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


def torch_python():
    env = os.environ.get("WORKBENCH_TORCH_PYTHON")
    if env:
        return env
    local = ROOT / ".venv-torch" / "bin" / "python"
    return str(local) if local.exists() else None


def time_torch(names, repeat):
    """Times the workloads on PyTorch in a subprocess; {} when no PyTorch is to be had."""
    py = torch_python()
    if py is None:
        return {}
    code = (
        "import json, sys, torch\n"
        "from benchmarks.workloads import GPU_WORKLOADS, WORKLOADS\n"
        "WORKLOADS.update(GPU_WORKLOADS)\n"
        "from benchmarks.timing import best_time\n"
        f"names = {names!r}\n"
        f"print(json.dumps({{n: best_time(WORKLOADS[n][0](torch), repeat={repeat}) "
        "for n in names}))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([py, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    if out.returncode != 0:
        print("PyTorch run failed:\n" + out.stderr[-2000:], file=sys.stderr)
        return {}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", help="workloads to run (default: all)")
    parser.add_argument("--repeat", type=int, default=7)
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

    rows = []
    for n in names:
        work, floor, target = WORKLOADS[n]
        t_ours = best_time(work(ours), repeat=args.repeat)
        t_floor = best_time(floor(), repeat=args.repeat) if floor else None
        rows.append((n, t_ours, t_floor, target))
    torch_times = time_torch(names, args.repeat)

    print(
        f"{'workload':<18}{'ours ms':>10}{'floor ms':>10}{'torch ms':>10}"
        f"{'ours/floor':>12}{'ours/torch':>12}{'torch/floor':>12}  target"
    )
    for n, t, f, target in rows:
        tt = torch_times.get(n)
        cells = [
            f"{n:<18}",
            f"{t * 1e3:>10.2f}",
            f"{f * 1e3:>10.2f}" if f else f"{'-':>10}",
            f"{tt * 1e3:>10.2f}" if tt else f"{'-':>10}",
            f"{t / f:>12.2f}" if f else f"{'-':>12}",
            f"{t / tt:>12.2f}" if tt else f"{'-':>12}",
            f"{tt / f:>12.2f}" if (tt and f) else f"{'-':>12}",
        ]
        print("".join(cells) + "  " + target)
    if not torch_times:
        print(
            "(PyTorch not found: `make bench-torch` makes .venv-torch, or set "
            "WORKBENCH_TORCH_PYTHON)"
        )


if __name__ == "__main__":
    main()
