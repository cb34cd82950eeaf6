"""Does training leak? 2,000 Adam steps of the MLP workload, with RSS and live objects counted.

`python -m benchmarks.memory [--steps N] [--batch B]`. Prints the resident set size and the
number of live engine Tensors and graph Nodes at a few checkpoints, then PASS when the RSS grew
by less than 5 MiB from step 500 to the end (the allocator has settled by then) and the object
counts did not grow; FAIL and a non-zero exit status otherwise.
"""

from __future__ import annotations

import argparse
import gc
import sys

import numpy as np

from .workloads import mlp_adam_step

LIMIT_MIB = 5.0


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    import resource  # no /proc: the peak is the best figure to be had

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def live_objects() -> tuple[int, int]:
    """(Tensors, graph Nodes) that a full collection leaves alive."""
    from workbench.engine.autograd.function import Node
    from workbench.engine.tensor import Tensor

    gc.collect()
    tensors = nodes = 0
    for obj in gc.get_objects():
        if isinstance(obj, Tensor):
            tensors += 1
        elif isinstance(obj, Node):
            nodes += 1
    return tensors, nodes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args(argv)
    np.seterr(all="ignore")
    import workbench.engine as torch

    step = mlp_adam_step(torch, batch=args.batch)
    checkpoints = sorted({c for c in (100, 500, 1000, 1500, args.steps) if c <= args.steps})
    rows = {}
    print(f"{'step':>6}{'RSS MiB':>10}{'Tensors':>10}{'Nodes':>8}{'loss':>12}")
    for i in range(1, args.steps + 1):
        loss = step()
        if i in checkpoints:
            tensors, nodes = live_objects()
            rows[i] = (rss_mib(), tensors, nodes)
            print(f"{i:>6}{rows[i][0]:>10.1f}{tensors:>10}{nodes:>8}{loss.item():>12.3g}")
        del loss

    # steps should free their graphs by reference counting alone: count what only the cycle
    # collector would reclaim (a cycle through a node or hook would delay every graph's release)
    gc.collect()
    gc.disable()
    try:
        for _ in range(20):
            step()
        cyclic = gc.collect()
    finally:
        gc.enable()
    print(f"objects left to the cycle collector by 20 steps: {cyclic}")

    base = 500 if 500 in rows else checkpoints[0]
    growth = rows[args.steps][0] - rows[base][0]
    counts_flat = rows[args.steps][1:] == rows[base][1:]
    print(f"RSS growth from step {base} to {args.steps}: {growth:.2f} MiB (limit {LIMIT_MIB})")
    print(
        f"live Tensors/Nodes {'flat' if counts_flat else 'GROWING'} from step {base}: "
        f"{rows[base][1:]} -> {rows[args.steps][1:]}"
    )
    ok = growth < LIMIT_MIB and counts_flat
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
