"""What a trace's events are to each other: their tracks, their nesting, their kind, their node.

Shared by the op table (`averages`: self time needs each event's parent) and the timeline
(`timeline`: one lane per nesting depth). Worked out for all events at once with NumPy, since
a profile easily holds 100,000 events; the per-event args are decoded only when asked for
(`node_seqs`, `shape_texts`), because decoding them costs more than everything else together.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np

from .events import TraceEvents

__all__ = [
    "DEVICE_CATS",
    "KIND_NAMES",
    "Kind",
    "Structure",
    "event_args",
    "nest",
    "node_seqs",
    "shape_texts",
    "structure",
]


class Kind:
    """What an event is, as a small integer (the timeline colours by it)."""

    FORWARD = 0  # an op's forward dispatch
    BACKWARD = 1  # a backward graph node (or PyTorch's evaluate_function wrapper of one)
    USER = 2  # a record_function block
    DEVICE = 3  # work on a device track (a kernel, a copy)
    OTHER = 4  # anything else: runtime calls, python functions, PyTorch's whole-trace span
    MIXED = 5  # a timeline bar that merges events of different kinds


KIND_NAMES = ("forward", "backward", "user", "device", "other", "mixed")

# PyTorch's categories of device-side events; ours put device work under "kernel".
DEVICE_CATS = frozenset({"kernel", "gpu_memcpy", "gpu_memset", "gpu_user_annotation"})
_USER_CATS = frozenset({"user_annotation", "user"})
_FORWARD_CATS = frozenset({"cpu_op", "op", "operator", ""})
# PyTorch writes one "Trace" event spanning the whole profile on a track of its own.
META_CATS = frozenset({"Trace"})
_BACKWARD_NAME = re.compile(r"(Backward\d*|AccumulateGrad)$|^autograd::engine::evaluate_function")


def classify(name: str, cat: str) -> int:
    """The Kind of an event named `name` in category `cat`."""
    if cat in DEVICE_CATS:
        return Kind.DEVICE
    if cat == "backward" or _BACKWARD_NAME.search(name):
        return Kind.BACKWARD
    if cat in _USER_CATS:
        return Kind.USER
    if cat in _FORWARD_CATS:
        return Kind.FORWARD
    return Kind.OTHER


def codes(values: list[str]) -> tuple[np.ndarray, list[str]]:
    """Each value's index among the distinct values (first-seen order), and those values."""
    distinct = list(dict.fromkeys(values))  # both passes run in C: no Python per value
    index = {v: i for i, v in enumerate(distinct)}
    return np.fromiter(map(index.__getitem__, values), np.int64, len(values)), distinct


def nest(start_us: np.ndarray, dur_us: np.ndarray, track: np.ndarray):
    """Each event's parent (-1 at the top) and nesting depth (0 at the top) within its track.

    The profiler's rule, without its per-event loop: an event encloses a later one that starts
    before it ends. Times are compared in whole nanoseconds (traces are written to the ns), so
    `start + dur` rounding never makes two adjacent events nest. Of events with equal start and
    end, the earlier one is the parent, as the profiler opened it first.

    depth(i) = the events of nonzero length sorted before i on its track, less those of them
    that ended by i's start (which all sort before i): a cumulative count and a binary search.
    The parent is then the last event sorted before i one level up.
    """
    n = len(start_us)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    s = np.rint(np.asarray(start_us, np.float64) * 1000.0).astype(np.int64)
    e = s + np.maximum(np.rint(np.asarray(dur_us, np.float64) * 1000.0), 0).astype(np.int64)
    track = np.asarray(track, np.int64)
    order = np.lexsort((np.arange(n), -e, s, track))
    ts, te, tt = s[order], e[order], track[order]
    long = te > ts  # zero-length events never enclose anything
    before = np.cumsum(long) - long
    depth = np.empty(n, np.int64)
    cuts = np.r_[0, np.flatnonzero(np.diff(tt)) + 1, n]
    for a, b in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
        ends = np.sort(te[a:b][long[a:b]])
        depth[a:b] = before[a:b] - before[a] - np.searchsorted(ends, ts[a:b], side="right")
    np.maximum(depth, 0, out=depth)  # only a malformed (half-overlapping) trace goes below

    pos = np.arange(n, dtype=np.int64)
    key = depth * n + pos
    by_key = np.argsort(key, kind="stable")
    sorted_key = key[by_key]
    parent_sorted = np.full(n, -1, np.int64)
    inner = np.flatnonzero(depth > 0)
    if len(inner):
        q = np.searchsorted(sorted_key, (depth[inner] - 1) * n + inner) - 1
        found = q >= 0
        cand = np.where(found, by_key[np.maximum(q, 0)], 0)
        ok = found & (depth[cand] == depth[inner] - 1) & (tt[cand] == tt[inner])
        parent_sorted[inner[ok]] = cand[ok]
    parent = np.full(n, -1, np.int64)
    has = parent_sorted >= 0
    parent[order[has]] = order[parent_sorted[has]]
    out_depth = np.empty(n, np.int64)
    out_depth[order] = depth
    return parent, out_depth


@dataclass
class Structure:
    """Per event: its track (an index into `tracks`), parent, depth, kind and name code."""

    tracks: list[tuple[int, int]]
    track: np.ndarray
    parent: np.ndarray
    depth: np.ndarray
    kind: np.ndarray  # int8 Kind per event
    name_code: np.ndarray
    names: list[str]
    meta: np.ndarray  # bool: PyTorch's whole-trace span, not an op
    _seqs: np.ndarray | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.track)


def structure(events: TraceEvents) -> Structure:
    """Tracks, nesting, kinds and name codes of every event of `events`."""
    pid, tid = events.pid, events.tid
    if len(pid):
        pairs = np.stack([pid, tid], axis=1)
        uniq, first, inv = np.unique(pairs, axis=0, return_index=True, return_inverse=True)
        rank = np.empty(len(first), np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(len(first))
        track = rank[inv.reshape(-1)]
        tracks = [tuple(p) for p in uniq[np.argsort(first, kind="stable")].tolist()]
    else:
        track, tracks = np.zeros(0, np.int64), []
    parent, depth = nest(events.start_us, events.dur_us, track)
    name_code, names = codes(events.name)
    cat_code, cats = codes(events.cat)
    # A kind per distinct (name, cat): a few hundred classifications, not one per event.
    combo = name_code * max(len(cats), 1) + cat_code
    uniq_combo, inv = np.unique(combo, return_inverse=True)
    kinds = np.array(
        [classify(names[c // max(len(cats), 1)], cats[c % max(len(cats), 1)]) for c in uniq_combo],
        np.int8,
    )
    meta_cat = np.array([c in META_CATS for c in cats], bool)
    return Structure(
        tracks=tracks,
        track=track,
        parent=parent,
        depth=depth,
        kind=kinds[inv.reshape(-1)] if len(combo) else np.zeros(0, np.int8),
        name_code=name_code,
        names=names,
        meta=meta_cat[cat_code] if len(cat_code) else np.zeros(0, bool),
    )


# ------------------------------------------------------------------------------------ args

_NODE = re.compile(r'"node(?:_id)?":(-?\d+)')


def _raw_args(events: TraceEvents) -> list[str | None] | None:
    """The args still as the profiler's JSON text, or None once they have been decoded.

    Reading the text spares decoding 100,000 dicts to find one number in each; the dicts,
    once decoded (`events.args`), are the truth, so this is only used before that.
    """
    return events._args_json


def event_args(events: TraceEvents, i: int) -> dict:
    """Event i's args as a dict ({} when it has none), decoding only that one event."""
    raw = _raw_args(events)
    if raw is not None:
        text = raw[i]
        return json.loads(text) if text else {}
    return events.args[i] or {}


def _seq_of(args: dict | None) -> int:
    if not args:
        return -1
    v = args.get("node", args.get("node_id", -1))
    return v if isinstance(v, int) and not isinstance(v, bool) else -1


def node_seqs(events: TraceEvents, st: Structure | None = None) -> np.ndarray:
    """Each event's graph node sequence number (args "node", or "node_id" of older traces;
    -1: none). Cached on `st` when given."""
    if st is not None and st._seqs is not None:
        return st._seqs
    raw = _raw_args(events)
    if raw is not None:
        search = _NODE.search
        seqs = np.fromiter(
            ((int(m.group(1)) if (m := search(t)) else -1) if t else -1 for t in raw),
            np.int64,
            len(raw),
        )
    else:
        seqs = np.fromiter((_seq_of(a) for a in events.args), np.int64, len(events))
    if st is not None:
        st._seqs = seqs
    return seqs


def shapes_of(args: dict | None) -> list:
    """An event's input shapes: ours under "shapes", PyTorch's under "Input Dims"."""
    if not args:
        return []
    shapes = args.get("shapes", args.get("Input Dims"))
    return shapes if isinstance(shapes, list) else []


def shape_texts(events: TraceEvents) -> list[str]:
    """Each event's input shapes as PyTorch's key_averages prints them ("[[2, 3], [2, 3]]")."""
    raw = _raw_args(events)
    if raw is not None:
        # The profiler writes "shapes" last: the text after it is the shapes' JSON and a "}".
        # Only the distinct texts are decoded.
        cut = [t[t.find('"shapes":') + 9 : -1] if t and '"shapes":' in t else "" for t in raw]
        try:
            table = {c: str(json.loads(c)) if c else "[]" for c in set(cut)}
        except json.JSONDecodeError:
            pass
        else:
            return [table[c] for c in cut]
    return [str(shapes_of(a)) for a in events.args]
