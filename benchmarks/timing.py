"""Timing helpers: best-of-N wall time, which is the figure least disturbed by other load."""

from __future__ import annotations

import gc
import time


def best_time(fn, repeat=7, number=1, warmup=1):
    for _ in range(warmup):
        fn()
    gc_was = gc.isenabled()
    gc.disable()
    try:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            times.append((time.perf_counter() - t0) / number)
    finally:
        if gc_was:
            gc.enable()
    return min(times)
