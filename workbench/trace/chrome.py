"""Chrome Trace Event JSON (DESIGN.md §6): reading, loading into a TraceEvents table, writing.

We write the object form, `{"traceEvents": [...]}`, with µs timestamps, integer pid/tid named by
`M` metadata events and `X` (complete) events only. We read ours and PyTorch's profiler output,
which also has flow (`s`/`f`), instant (`i`) events and string pids/tids such as "Spans".

Writing is `dump`/`dumps` of `workbench.engine.autograd.chrome_trace`, re-exported here: the
profiler's `export_chrome_trace` writes through the same code, so there is one writer, and it
sits in the engine because the engine may import nothing from `workbench`.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from workbench.engine.autograd.chrome_trace import dump, dumps

from .events import TraceEvents

__all__ = ["TraceError", "dump", "dumps", "load", "read_trace"]

_GZIP_MAGIC = b"\x1f\x8b"


class TraceError(ValueError):
    """A trace that cannot be read or breaks the rules of DESIGN.md §6."""


def read_trace(source: Any) -> Any:
    """The parsed JSON of a trace: a path (.json or gzipped), JSON text/bytes, or parsed data."""
    if isinstance(source, dict | list):
        return source
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    elif isinstance(source, str) and source.lstrip()[:1] in ("{", "["):
        data = source.encode()
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise TraceError(f"cannot read trace {str(path)!r}: {exc.strerror or exc}") from exc
    else:
        raise TypeError(
            f"expected a path, JSON text or a parsed trace, got {type(source).__name__}"
        )
    # Sniff gzip rather than trusting the suffix: a renamed file should still open.
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise TraceError(f"trace is not valid gzip: {exc}") from exc
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TraceError(f"trace is not valid JSON: {exc}") from exc


# --------------------------------------------------------------------------- load

_DIGITS = re.compile(r"-?\d+")


class _IdMap:
    """Maps PyTorch's ids (ints, numeric strings, or labels like "Spans") to integers."""

    def __init__(self) -> None:
        self.ids: dict[Any, int] = {}
        self.labels: dict[int, str] = {}  # integer id -> the label it came from
        self.next = -1  # labels get negative ids so they never collide with real ones

    def __call__(self, value: Any) -> int:
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        hit = self.ids.get(value)
        if hit is not None:
            return hit
        text = str(value)
        if _DIGITS.fullmatch(text.strip()):
            new = int(text)
        else:
            new = self.next
            self.next -= 1
            self.labels[new] = text
        self.ids[value] = new
        return new


def load(source: Any) -> TraceEvents:
    """Read a trace (ours or PyTorch profiler JSON) into a TraceEvents table of its X events.

    Flow, instant and other phases are ignored; `process_name`/`thread_name` metadata become the
    table's names. Timestamps are kept as written (PyTorch's are absolute µs).
    """
    data = read_trace(source)
    if isinstance(data, dict):
        raw = data.get("traceEvents")
        if not isinstance(raw, list):
            raise TraceError('trace has no "traceEvents" list')
    elif isinstance(data, list):  # the JSON array form some tools write
        raw = data
    else:
        raise TraceError(f"trace must be a JSON object, got {type(data).__name__}")

    pids, tids = _IdMap(), _IdMap()
    name: list[str] = []
    cat: list[str] = []
    start: list[float] = []
    dur: list[float] = []
    pid: list[int] = []
    tid: list[int] = []
    args: list[dict | None] = []
    process_names: dict[int, str] = {}
    thread_names: dict[tuple[int, int], str] = {}
    for i, ev in enumerate(raw):
        if not isinstance(ev, dict):
            continue
        ph = ev.get("ph")
        if ph == "X":
            try:
                ts = float(ev["ts"])
                d = float(ev.get("dur", 0.0))
            except (KeyError, TypeError, ValueError) as exc:
                raise TraceError(f"event {i}: X event without a numeric ts/dur") from exc
            name.append(str(ev.get("name", "")))
            cat.append(str(ev.get("cat", "")))
            start.append(ts)
            dur.append(d)
            pid.append(pids(ev.get("pid", 0)))
            tid.append(tids(ev.get("tid", 0)))
            a = ev.get("args")
            args.append(a if isinstance(a, dict) else None)
        elif ph == "M":
            a = ev.get("args")
            label = a.get("name") if isinstance(a, dict) else None
            if not isinstance(label, str):
                continue
            if ev.get("name") == "process_name":
                process_names.setdefault(pids(ev.get("pid", 0)), label)
            elif ev.get("name") == "thread_name":
                key = (pids(ev.get("pid", 0)), tids(ev.get("tid", 0)))
                thread_names.setdefault(key, label)

    # Tracks that only had a label for an id ("Spans", "stream 7") keep it as their name.
    for p, label in pids.labels.items():
        process_names.setdefault(p, label)
    for p, t in zip(pid, tid):
        if t in tids.labels:
            thread_names.setdefault((p, t), tids.labels[t])
    return TraceEvents(
        name=name,
        cat=cat,
        start_us=np.array(start, dtype=np.float64),
        dur_us=np.array(dur, dtype=np.float64),
        pid=np.array(pid, dtype=np.int64),
        tid=np.array(tid, dtype=np.int64),
        args=args,
        process_names=process_names,
        thread_names=thread_names,
    )
