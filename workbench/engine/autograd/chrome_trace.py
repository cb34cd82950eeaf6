"""Chrome Trace Event JSON (DESIGN.md §6): the columnar event table and the code base's one writer.

The profiler exports through `dump`, and `workbench.trace` re-exports `TraceEvents`, `dumps` and
`dump` as its own. They live here, at the bottom, because the engine may import nothing else
from `workbench` (DESIGN.md §3), not even lazily; `workbench.trace` adds reading and checking.

We write the object form, `{"traceEvents": [...]}`: one line per event, `M` events naming every
process and thread that has events, then `X` (complete) events with µs times to the nanosecond.
The text is built in bulk, because a profile of 150,000 ops must export in well under a second
and a dict plus `json.dumps` per event cannot: one string per (name, track) for everything up to
the timestamp, the numbers of all events at once as a NumPy byte matrix, then a single join.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["TraceEvents", "dump", "dumps", "encode_each"]

# One encoder for everything: json.dumps(..., separators=...) builds a new encoder per call.
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str).encode
_SPLIT = "\x00wb-split\x00"
_SPLIT_TEXT = "," + _encode(_SPLIT) + ","


def encode_each(values: list) -> list[str]:
    """The compact JSON text of each value, encoded in one C call.

    One encode of [v0, SPLIT, v1, SPLIT, ...] split on the encoded sentinel is much faster than
    an encode per value. A value holding the sentinel would add a split; the count catches it.
    """
    if not values:
        return []
    mixed = [_SPLIT] * (2 * len(values) - 1)
    mixed[::2] = values
    texts = _encode(mixed)[1:-1].split(_SPLIT_TEXT)
    if len(texts) != len(values):
        texts = [_encode(v) for v in values]
    return texts


def _column(values, dtype) -> np.ndarray:
    return np.zeros(0, dtype) if values is None else np.asarray(values, dtype=dtype)


class TraceEvents:
    """Complete ("X") events as parallel columns, plus the names of processes and threads.

    Times are microseconds (float64), like Chrome traces. `args[i]` is a dict or None (ours carry
    op/node ids and shapes; PyTorch's carry its own keys). `process_names` maps pid to a name,
    `thread_names` maps (pid, tid) to a name.

    `args_json` is the profiler's shortcut: each event's args already as compact JSON text (or
    None). The writer uses the text as it is; `args` decodes it on first use, and from then on
    the dicts are the truth (a caller may edit them).
    """

    def __init__(
        self,
        name=(),
        cat=(),
        start_us=None,
        dur_us=None,
        pid=None,
        tid=None,
        args=None,
        process_names=None,
        thread_names=None,
        *,
        args_json=None,
    ):
        self.name = list(name)
        n = len(self.name)
        self.cat = list(cat) if len(cat) else [""] * n
        self.start_us = _column(start_us, np.float64)
        self.dur_us = _column(dur_us, np.float64)
        self.pid = _column(pid, np.int64)
        self.tid = _column(tid, np.int64)
        self.process_names = dict(process_names or {})
        self.thread_names = dict(thread_names or {})
        self._args_json = None
        if args:
            self._args = list(args)
        elif args_json is not None:
            self._args, self._args_json = None, list(args_json)
        else:
            self._args = [None] * n
        lengths = {
            "name": n,
            "cat": len(self.cat),
            "start_us": len(self.start_us),
            "dur_us": len(self.dur_us),
            "pid": len(self.pid),
            "tid": len(self.tid),
            "args": len(self._args if self._args is not None else self._args_json),
        }
        if len(set(lengths.values())) != 1:
            raise ValueError(f"TraceEvents columns differ in length: {lengths}")

    @property
    def args(self) -> list[dict[str, Any] | None]:
        if self._args is None:
            self._args = [None if t is None else json.loads(t) for t in self._args_json]
            self._args_json = None
        return self._args

    @args.setter
    def args(self, value) -> None:
        self._args, self._args_json = list(value), None

    def __len__(self) -> int:
        return len(self.name)

    def __repr__(self) -> str:
        return f"<TraceEvents: {len(self)} events on {len(self.threads())} thread(s)>"

    @property
    def end_us(self) -> np.ndarray:
        return self.start_us + self.dur_us

    def threads(self) -> list[tuple[int, int]]:
        """The (pid, tid) pairs that have events, in first-seen order."""
        return [tuple(p) for p in _tracks(self.pid, self.tid)[0].tolist()]

    def process_name(self, pid: int) -> str:
        return self.process_names.get(pid, f"process {pid}")

    def thread_name(self, pid: int, tid: int) -> str:
        return self.thread_names.get((pid, tid), f"thread {tid}")


def _tracks(pid: np.ndarray, tid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (pid, tid) rows in first-seen order, and each event's index among them."""
    if not len(pid):
        return np.zeros((0, 2), np.int64), np.zeros(0, np.int64)
    if (tid >= 0).all() and (tid < 1 << 32).all() and (np.abs(pid) < 1 << 30).all():
        # one int64 per pair: a 1-D unique is several times faster than rows
        _, first, inv = np.unique((pid << 32) | tid, return_index=True, return_inverse=True)
    else:
        pairs = np.stack([pid, tid], axis=1)
        _, first, inv = np.unique(pairs, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    firsts = first[order]
    return np.stack([pid[firsts], tid[firsts]], axis=1), rank[inv.reshape(-1)]


def _codes(values: list[str]) -> tuple[np.ndarray, list[str]]:
    """Each value's index in the list of distinct values (first-seen order)."""
    table = {v: i for i, v in enumerate(dict.fromkeys(values))}
    return np.fromiter(map(table.__getitem__, values), np.int64, len(values)), list(table)


def _bytes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode(), np.uint8)


_DUR, _ARGS = _bytes(',"dur":'), _bytes(',"args":')


def _fixed3(us: np.ndarray) -> np.ndarray:
    """Each time as text to the nanosecond ("12.345"), as a byte matrix with one column per
    event and 0 where a shorter number has no character.

    Digit by digit for the whole column at once; rows, not columns, so that every step writes
    contiguous memory. Three decimals read back to the same nanosecond every time, so
    load -> dump is stable.
    """
    ns = np.rint(us * 1000.0)
    if np.abs(ns).max() >= 1 << 62:  # past int64's digits (no real trace): the slow way
        text = np.array([f"{v:.3f}" for v in (ns / 1000.0).tolist()], dtype="S")
        return text.view(np.uint8).reshape(len(us), -1).T
    ns = ns.astype(np.int64)
    negative = ns < 0
    ns = np.abs(ns)
    width = max(len(str(int(ns.max()))), 4)  # at least "0" and three decimals
    m = np.empty((width + 2, len(ns)), np.uint8)
    m[0] = negative * ord("-")
    rest = ns
    for row in range(width + 1, 0, -1):
        if row == width - 2:
            m[row] = ord(".")
            continue
        rest, digit = np.divmod(rest, 10)
        m[row] = digit + ord("0")
    # leading zeros go; the units digit stays ("0.123")
    m[1 : width - 3] *= ns >= 10 ** np.arange(width - 1, 3, -1, dtype=np.int64)[:, None]
    return m


def _numbers(start_us: np.ndarray, dur_us: np.ndarray, has_args: np.ndarray) -> list[str]:
    """`12.345,"dur":1.234` per event, plus `,"args":` where args follow: built as one byte
    matrix, squeezed and split, with no Python work per event."""
    n = len(start_us)
    m = np.concatenate(
        [
            _fixed3(start_us),
            np.broadcast_to(_DUR[:, None], (len(_DUR), n)),
            _fixed3(np.maximum(dur_us, 0.0)),
            _ARGS[:, None] * has_args,
            np.full((1, n), ord("\n"), np.uint8),
        ]
    )
    m = np.ascontiguousarray(m.T)  # one event per row, in order
    return m[m != 0].tobytes().decode("ascii").split("\n")[:n]


def _args_texts(events: TraceEvents) -> list[str]:
    """Each event's args as compact JSON text, "" for an event without args."""
    texts = events._args_json
    if texts is None:
        args = events.args
        it = iter(encode_each([a for a in args if a]))
        return [next(it) if a else "" for a in args]
    return [t or "" for t in texts]


def dumps(events: TraceEvents) -> str:
    """The trace as compact Chrome JSON text: metadata naming every track, then the X events."""
    n = len(events)
    if n and not (np.isfinite(events.start_us).all() and np.isfinite(events.dur_us).all()):
        raise ValueError("TraceEvents holds a non-finite start or duration; JSON cannot store it")
    tracks, track = _tracks(events.pid, events.tid)
    lines = []
    for p in dict.fromkeys(tracks[:, 0].tolist()):
        lines.append(
            f'{{"ph":"M","name":"process_name","pid":{p},"tid":0,'
            f'"args":{{"name":{_encode(events.process_name(p))}}}}}'
        )
    for p, t in tracks.tolist():
        lines.append(
            f'{{"ph":"M","name":"thread_name","pid":{p},"tid":{t},'
            f'"args":{{"name":{_encode(events.thread_name(p, t))}}}}}'
        )
    head = '{"traceEvents":[\n' + ",\n".join(lines)
    if not n:
        return head + '\n],"displayTimeUnit":"ms"}\n'

    # An event's text up to "ts" depends only on its (cat, name) and track: one string per
    # combination. It starts with the previous event's closing brace.
    cat_code, cats = _codes(events.cat)
    name_code, names = _codes(events.name)
    key = (cat_code * len(names) + name_code) * len(tracks) + track
    combos, per_event = np.unique(key, return_inverse=True)
    prefixes = []
    for k in combos.tolist():
        k, t = divmod(k, len(tracks))
        c, s = divmod(k, len(names))
        p, tid = tracks[t].tolist()
        prefixes.append(
            f'}},\n{{"ph":"X","cat":{_encode(cats[c])},"name":{_encode(names[s])},'
            f'"pid":{p},"tid":{tid},"ts":'
        )
    texts = _args_texts(events)
    parts = [None] * (3 * n)
    parts[0::3] = np.array(prefixes, dtype=object)[per_event].tolist()
    parts[0] = parts[0][1:]  # the metadata lines end with their own braces
    parts[1::3] = _numbers(events.start_us, events.dur_us, np.fromiter(map(bool, texts), bool, n))
    parts[2::3] = texts
    return head + "".join(parts) + '}\n],"displayTimeUnit":"ms"}\n'


def dump(events: TraceEvents, path: str | os.PathLike) -> Path:
    """Write `events` as a Chrome trace to `path`, gzipped when the name ends in `.gz`."""
    path = Path(path)
    data = dumps(events).encode()
    if path.name.endswith(".gz"):
        # Level 1: these files shrink ~10x even so, and higher levels cost seconds on big traces.
        # mtime=0 keeps the bytes a function of the events alone.
        data = gzip.compress(data, compresslevel=1, mtime=0)
    path.write_bytes(data)
    return path
