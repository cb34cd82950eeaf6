"""Key averages of a trace: PyTorch's op table, computed from a `TraceEvents` table.

The engine's `profile.key_averages()` works on its own recording; this works on any trace —
a live profile's `trace_events()`, one of ours read back from JSON, or PyTorch's profiler JSON
— so an imported trace gets the same table as a live profile. Rows group events by name
(and, on demand, by input shapes) in order of first appearance, as PyTorch lists them. Self
time is an event's duration less its children's, from the nesting on each thread.

Device time (the CUDA columns) comes from the device tracks: each device event is linked to
the host op that launched it, by our "op" id or PyTorch's "External id". Ours are the stream's
time between an op's start and end marks, which already covers the op's children; so an op
with device events totals its own, one without totals its children's (as the profiler does).
PyTorch's kernels are disjoint, so there an op totals its own and its children's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .events import TraceEvents
from .structure import Kind, Structure, codes, shape_texts, structure

__all__ = ["OpAverages", "key_averages"]

_ENCLOSING_LINKS = ("op", "op_id")  # ours: a device event's time encloses the op's children
_DISJOINT_LINKS = ("External id",)  # PyTorch's: kernels are disjoint


@dataclass
class OpAverages:
    """One row per op name (and input shapes): counts and times in µs, as parallel columns."""

    name: list[str]
    kind: np.ndarray  # Kind of the row's events (its first event's)
    count: np.ndarray
    cpu_total_us: np.ndarray
    self_cpu_us: np.ndarray
    event_row: np.ndarray  # per event of the trace: its row, -1 for device and meta events
    input_shapes: list[str] | None = None  # set when grouped by input shape
    device_total_us: np.ndarray | None = None  # set when the trace has device tracks
    self_device_us: np.ndarray | None = None
    device: str = "CUDA"

    def __len__(self) -> int:
        return len(self.name)

    @property
    def cpu_avg_us(self) -> np.ndarray:
        return self.cpu_total_us / np.maximum(self.count, 1)

    @property
    def device_avg_us(self) -> np.ndarray | None:
        if self.device_total_us is None:
            return None
        return self.device_total_us / np.maximum(self.count, 1)

    @property
    def self_cpu_time_total(self) -> float:
        """PyTorch's footer: the sum of every row's self CPU time (µs)."""
        return float(self.self_cpu_us.sum())

    @property
    def self_device_time_total(self) -> float:
        return 0.0 if self.self_device_us is None else float(self.self_device_us.sum())

    @property
    def has_device_times(self) -> bool:
        """Whether PyTorch's table would show the device columns: some row has device time."""
        return self.self_device_us is not None and bool((self.self_device_us > 0).any())

    def row_of(self, name: str, shapes: str | None = None) -> int:
        """The row of `name` (and `shapes` when grouped by shape), -1 if there is none."""
        for i, n in enumerate(self.name):
            if n == name and (self.input_shapes is None or shapes in (None, self.input_shapes[i])):
                return i
        return -1


def self_times(events: TraceEvents, st: Structure) -> np.ndarray:
    """Each event's duration less its children's (µs)."""
    has = st.parent >= 0
    child = np.bincount(st.parent[has], weights=events.dur_us[has], minlength=len(events))
    return events.dur_us - child


def key_averages(
    events: TraceEvents,
    group_by_input_shape: bool = False,
    st: Structure | None = None,
) -> OpAverages:
    """The op table of `events` (see the module's docstring). `st` saves recomputing the
    structure when the caller has it."""
    st = st if st is not None else structure(events)
    n = len(events)
    host = (st.kind != Kind.DEVICE) & ~st.meta
    idx = np.flatnonzero(host)
    code = st.name_code
    texts = None
    if group_by_input_shape:
        texts = shape_texts(events)
        shape_code, distinct = codes(texts)
        code = code * max(len(distinct), 1) + shape_code
    groups, first, inv = np.unique(code[idx], return_index=True, return_inverse=True)
    inv = inv.reshape(-1)
    g = len(groups)
    # rows in first-appearance order, as PyTorch lists its averages
    rank = np.empty(g, np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(g)
    row = rank[inv]
    firsts = idx[first[np.argsort(first, kind="stable")]]
    dur = events.dur_us
    self_t = self_times(events, st)
    event_row = np.full(n, -1, np.int64)
    event_row[idx] = row
    out = OpAverages(
        name=[st.names[c] for c in st.name_code[firsts].tolist()],
        kind=st.kind[firsts],
        count=np.bincount(row, minlength=g).astype(np.int64),
        cpu_total_us=np.bincount(row, weights=dur[idx], minlength=g),
        self_cpu_us=np.bincount(row, weights=self_t[idx], minlength=g),
        event_row=event_row,
    )
    if texts is not None:
        out.input_shapes = [texts[i] for i in firsts.tolist()]
    if (st.kind == Kind.DEVICE).any():
        total, self_dev = device_times(events, st)
        out.device_total_us = np.bincount(row, weights=total[idx], minlength=g)
        out.self_device_us = np.bincount(row, weights=self_dev[idx], minlength=g)
    return out


def _link(args: dict | None) -> tuple[object, bool] | None:
    """The id linking an event to its op, and whether it is one of ours (enclosing)."""
    if not args:
        return None
    for key in _ENCLOSING_LINKS:
        if key in args:
            return args[key], True
    for key in _DISJOINT_LINKS:
        if key in args:
            return args[key], False
    return None


def device_times(events: TraceEvents, st: Structure) -> tuple[np.ndarray, np.ndarray]:
    """Each host event's device time total and self (µs): see the module's docstring."""
    n = len(events)
    args = events.args
    device = st.kind == Kind.DEVICE
    host_of: dict = {}
    for i in np.flatnonzero(~device).tolist():
        link = _link(args[i])
        if link is not None:
            host_of.setdefault(link[0], i)
    target, weight = [], []
    enclosing = False
    for i in np.flatnonzero(device).tolist():
        link = _link(args[i])
        h = host_of.get(link[0]) if link is not None else None
        if h is not None:
            target.append(h)
            weight.append(events.dur_us[i])
            enclosing = enclosing or link[1]
    own = np.bincount(np.array(target, np.int64), weights=np.array(weight), minlength=n)
    timed = np.bincount(np.array(target, np.int64), minlength=n) > 0
    total = own.copy()
    child = np.zeros(n)
    hosts = np.flatnonzero(~device)
    by_depth = hosts[np.argsort(st.depth[hosts], kind="stable")[::-1]]
    levels = np.flatnonzero(np.diff(st.depth[by_depth])) + 1
    for level in np.split(by_depth, levels):
        if enclosing:
            total[level] = np.where(timed[level], own[level], child[level])
        else:
            total[level] = own[level] + child[level]
        p = st.parent[level]
        has = p >= 0
        np.add.at(child, p[has], total[level[has]])
    return total, np.maximum(total - child, 0.0)
