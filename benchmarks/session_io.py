"""Session file save and load (issue 9): 50 MB of parameters and a 100,000-event profile.

Run with `python -m benchmarks.session_io [--record-shapes] [--repeat N]`. The parameters are
float32 arrays (an MLP-like state dict, 50 MB in all); the profile is a real capture of the
profiler benchmark's loop (`(z / x) * y`), cut to 100,000 events. Each figure is the best of
N; beside it, the I/O floor measured in the same run: writing the file's bytes with an fsync
and reading them back, which no format can beat.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

from workbench.session.files import (
    CodeBuffer,
    SessionDocument,
    StoredProfile,
    load_session,
    save_session,
)
from workbench.trace import TraceEvents

PARAM_BYTES = 50_000_000
EVENTS = 100_000


def parameters(total_bytes: int = PARAM_BYTES) -> dict[str, np.ndarray]:
    """1024x1024 layers (4 MiB each) with their biases, until `total_bytes` is reached."""
    rng = np.random.default_rng(0)
    out: dict[str, np.ndarray] = {}
    i = 0
    while sum(a.nbytes for a in out.values()) < total_bytes:
        out[f"layer{i}.weight"] = rng.standard_normal((1024, 1024), dtype=np.float32)
        out[f"layer{i}.bias"] = rng.standard_normal(1024, dtype=np.float32)
        i += 1
    return out


def profile(events: int = EVENTS, record_shapes: bool = False) -> TraceEvents:
    from benchmarks.profiler import work
    from workbench.engine.autograd import profiler

    reps = events // 4000 + 1  # each repeat of the loop records ~4,000 events
    with profiler.profile(record_shapes=record_shapes) as prof:
        work(reps)
    ev = prof.trace_events()
    keep = slice(0, events)
    texts = getattr(ev, "_args_json", None)
    kwargs = {"args_json": texts[keep]} if texts is not None else {"args": ev.args[keep]}
    return TraceEvents(
        ev.name[keep],
        ev.cat[keep],
        ev.start_us[keep],
        ev.dur_us[keep],
        ev.pid[keep],
        ev.tid[keep],
        process_names=ev.process_names,
        thread_names=ev.thread_names,
        **kwargs,
    )


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _floor(path: str, data: bytes, repeat: int) -> tuple[float, float]:
    def write():
        with open(path, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    def read():
        with open(path, "rb") as f:
            f.read()

    return _best(write, repeat), _best(read, repeat)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.session_io")
    parser.add_argument("--record-shapes", action="store_true", help="profile with shapes in args")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    params = parameters()
    events = profile(record_shapes=args.record_shapes)
    doc = SessionDocument(
        code=[CodeBuffer("main", "import workbench.engine as torch\n")],
        modules={"model": params},
        module_types={"model": "MLP"},
        profiles=[StoredProfile("loop", events)],
    )
    nbytes = sum(a.nbytes for a in params.values())
    print(
        f"session: {nbytes / 1e6:.1f} MB of float32 parameters in {len(params)} arrays, "
        f"a profile of {len(events):,} events"
        + (" (args with input shapes)" if args.record_shapes else "")
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.wbsession")
        save = _best(lambda: save_session(doc, path), args.repeat)
        size = os.path.getsize(path)
        load = _best(lambda: load_session(path), args.repeat)
        loaded = load_session(path)
        assert len(loaded.profiles[0].events) == len(events)
        with open(path, "rb") as f:
            data = f.read()
        floor_w, floor_r = _floor(os.path.join(tmp, "floor.bin"), data, args.repeat)
    print(f"file size: {size / 1e6:.1f} MB")
    print(
        f"save: {save:.3f} s (target <= 1 s); I/O floor (write + fsync) {floor_w:.3f} s, "
        f"ratio {save / floor_w:.1f}"
    )
    print(
        f"load: {load:.3f} s (target <= 1 s); I/O floor (read) {floor_r:.3f} s, "
        f"ratio {load / floor_r:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
