"""The profiler's costs (issue 4): recording overhead, time to the table, trace export.

Workload: the tutorial's profiler loop, `z = (z / x) * y` 1,000 times on 2x3 tensors then
`z.sum().backward()`, repeated 10 times. Run with `python -m benchmarks.profiler [REPS]`;
REPS sets how many repeats feed the table/export timing (38 gives ~150,000 events).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

import workbench.engine as torch
from workbench.engine.autograd import profiler


def work(reps=10):
    x = torch.randn((2, 3), requires_grad=True)
    y = torch.randn((2, 3), requires_grad=True)
    for _ in range(reps):
        z = torch.ones((2, 3), requires_grad=True)
        for _ in range(1000):
            z = (z / x) * y
        z.sum().backward()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    reps = int(argv[0]) if argv else 38
    work()
    off, on = [], []
    for _ in range(21):  # alternated, so both see the same load
        t = time.perf_counter()
        work()
        off.append(time.perf_counter() - t)
        with profiler.profile():
            t = time.perf_counter()
            work()
            on.append(time.perf_counter() - t)
    # the median of each round's ratio as well as best against best: one lucky or unlucky
    # round on a shared machine moves the second but hardly the first
    paired = statistics.median(b / a for a, b in zip(off, on))
    print(
        f"recording overhead: profiled/unprofiled = {min(on) / min(off):.2f} best/best, "
        f"{paired:.2f} median of rounds (best {min(on) * 1e3:.1f} ms vs {min(off) * 1e3:.1f} ms; "
        "target <= 1.3)"
    )
    prof = profiler.profile()
    prof.__enter__()
    work(reps)
    t0 = time.perf_counter()  # the end of profiling: closing the profile counts too
    prof.__exit__(None, None, None)
    prof.key_averages().table(sort_by="self_cpu_time_total")
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "trace.json")
        prof.export_chrome_trace(path)
        t2 = time.perf_counter()
        size = os.path.getsize(path)
        prof.export_chrome_trace(path + ".gz")
        t3 = time.perf_counter()
        gz_size = os.path.getsize(path + ".gz")
    n = len(prof.function_events)  # counted after the clocks stop: it builds an object per event
    per = 100_000 / max(n, 1)
    print(
        f"{n} events: end of profiling to table {t1 - t0:.2f} s ({(t1 - t0) * per:.2f} s per "
        f"100k; target <= 1), export {t2 - t1:.2f} s ({(t2 - t1) * per:.2f} s per 100k; "
        f"target <= 0.5), {size / max(n, 1):.0f} bytes per event (target <= 150); "
        f"gzipped export {(t3 - t2) * per:.2f} s per 100k, "
        f"{gz_size / max(n, 1):.0f} bytes per event"
    )


if __name__ == "__main__":
    main()
