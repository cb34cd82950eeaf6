"""Chrome Trace Event JSON (DESIGN.md §6): reading, loading into a TraceEvents table, writing.

We write the object form, `{"traceEvents": [...]}`, with µs timestamps, integer pid/tid named by
`M` metadata events and `X` (complete) events only. We read ours and PyTorch's profiler output,
which also has flow (`s`/`f`), instant (`i`) events and string pids/tids such as "Spans".
"""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from .events import TraceEvents

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


# --------------------------------------------------------------------------- dump

# One encoder for every args dict: json.dumps(..., separators=...) builds a new encoder per call.
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str).encode


_SPLIT = "\x00wb-split\x00"
_SPLIT_TEXT = "," + _encode(_SPLIT) + ","


def _args_tails(args: list[dict | None]) -> list[str]:
    """`,"args":{...}}` (or just `}`) for each event, encoding all the dicts in one C call.

    One encode of [a0, SPLIT, a1, SPLIT, ...] split on the encoded sentinel is ~30% faster than
    an encode per dict. A user string holding the sentinel would add a split; the count catches it.
    """
    present = [a for a in args if a]
    if not present:
        return ["}"] * len(args)
    mixed = [_SPLIT] * (2 * len(present) - 1)
    mixed[::2] = present
    texts = _encode(mixed)[1:-1].split(_SPLIT_TEXT)
    if len(texts) != len(present):
        texts = [_encode(a) for a in present]
    it = iter(texts)
    return [f',"args":{next(it)}}}' if a else "}" for a in args]


def dumps(events: TraceEvents) -> str:
    """The trace as compact Chrome JSON text: metadata naming every track, then the X events."""
    n = len(events)
    meta = []
    threads = events.threads()
    for p in dict.fromkeys(k[0] for k in threads):
        meta.append(
            f'{{"ph":"M","name":"process_name","pid":{p},"tid":0,'
            f'"args":{{"name":{_encode(events.process_name(p))}}}}}'
        )
    for p, t in threads:
        meta.append(
            f'{{"ph":"M","name":"thread_name","pid":{p},"tid":{t},'
            f'"args":{{"name":{_encode(events.thread_name(p, t))}}}}}'
        )
    if n and not (np.isfinite(events.start_us).all() and np.isfinite(events.dur_us).all()):
        raise ValueError("TraceEvents holds a non-finite start or duration; JSON cannot store it")
    # Names and categories repeat endlessly (mul, div, MulBackward0): escape each once.
    quoted: dict[str, str] = {}
    names = [quoted.get(s) or quoted.setdefault(s, _encode(s)) for s in events.name]
    cats = [quoted.get(s) or quoted.setdefault(s, _encode(s)) for s in events.cat]
    # Rounded to the nanosecond: finer digits are noise and cost bytes. np.round keeps the
    # conversion in C; repr of the rounded float is the shortest text that reads back the same.
    starts = np.round(events.start_us, 3).tolist()
    durs = np.round(np.maximum(events.dur_us, 0.0), 3).tolist()
    pids = events.pid.tolist()
    tids = events.tid.tolist()
    tails = _args_tails(events.args)
    parts = meta
    for i in range(n):
        parts.append(
            f'{{"ph":"X","cat":{cats[i]},"name":{names[i]},"pid":{pids[i]},"tid":{tids[i]},'
            f'"ts":{starts[i]!r},"dur":{durs[i]!r}{tails[i]}'
        )
    return '{"traceEvents":[\n' + ",\n".join(parts) + '\n],"displayTimeUnit":"ms"}\n'


def dump(events: TraceEvents, path: str | os.PathLike) -> Path:
    """Write `events` as a Chrome trace to `path`, gzipped when the name ends in `.gz`."""
    path = Path(path)
    data = dumps(events).encode()
    if path.name.endswith(".gz"):
        # Level 6 trades a little size for much speed over the default 9.
        data = gzip.compress(data, compresslevel=6, mtime=0)
    path.write_bytes(data)
    return path
