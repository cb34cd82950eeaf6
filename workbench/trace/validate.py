"""Checks a trace against the rules of DESIGN.md §6, so every export is known to open in Perfetto.

The rules: a JSON object with a "traceEvents" list; every event has a "ph"; X events have a name,
numeric ts and dur >= 0, integer pid and tid; `M` events name each process and each thread that
has X events; X events on one thread nest (a child lies inside its parent, never half out); args,
when present, is an object. The first problem raises TraceError naming the event's index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

from .chrome import TraceError, read_trace

# Timestamps are written to the nanosecond, so a child may poke out of its parent by rounding.
EPSILON_US = 0.002


@dataclass(frozen=True)
class TraceReport:
    """What a valid trace holds."""

    events: int  # all entries of traceEvents
    complete_events: int  # X events
    processes: int
    threads: int
    max_depth: int  # deepest nesting of X events on one thread (1 = no nesting)

    def __str__(self) -> str:
        return (
            f"{self.complete_events} events on {self.threads} thread(s) of "
            f"{self.processes} process(es), nesting depth {self.max_depth}"
        )


def _is_int(v: Any) -> bool:
    return type(v) is int or (isinstance(v, Integral) and not isinstance(v, bool))


def _is_number(v: Any) -> bool:
    # Exact-type tests first: the abstract Real check is the slow path on big traces.
    t = type(v)
    if t is float:
        return math.isfinite(v)
    if t is int:
        return True
    return isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v)


def _describe(i: int, ev: dict) -> str:
    return f"event {i} ({ev.get('ph')} {ev.get('name')!r})"


def validate(source: Any, *, epsilon_us: float = EPSILON_US) -> TraceReport:
    """Check a trace (path, .json.gz path, JSON text/bytes or parsed dict); raise TraceError."""
    data = read_trace(source)
    if not isinstance(data, dict):
        raise TraceError(
            f'trace must be a JSON object with "traceEvents", got a JSON {type(data).__name__}'
        )
    raw = data.get("traceEvents")
    if not isinstance(raw, list):
        raise TraceError('trace has no "traceEvents" list')

    process_named: set[int] = set()
    thread_named: set[tuple[int, int]] = set()
    first_x: dict[tuple[int, int], int] = {}  # thread -> index of its first X event
    per_thread: dict[tuple[int, int], list[tuple[float, float, int]]] = {}
    n_x = 0
    for i, ev in enumerate(raw):
        if not isinstance(ev, dict):
            raise TraceError(f"event {i}: not a JSON object")
        ph = ev.get("ph")
        if not isinstance(ph, str) or not ph:
            raise TraceError(f'event {i}: missing "ph"')
        if "args" in ev and not isinstance(ev["args"], dict):
            raise TraceError(f"{_describe(i, ev)}: args must be an object")
        if ph == "X":
            n_x += 1
            name = ev.get("name")
            if not isinstance(name, str) or not name:
                raise TraceError(f'event {i} (X): missing "name"')
            ts, dur = ev.get("ts"), ev.get("dur")
            if not _is_number(ts):
                raise TraceError(f'{_describe(i, ev)}: "ts" must be a number, got {ts!r}')
            if not _is_number(dur):
                raise TraceError(f'{_describe(i, ev)}: "dur" must be a number, got {dur!r}')
            if dur < 0:
                raise TraceError(f'{_describe(i, ev)}: "dur" is negative ({dur})')
            pid, tid = ev.get("pid"), ev.get("tid")
            if not _is_int(pid):
                raise TraceError(f'{_describe(i, ev)}: "pid" must be an integer, got {pid!r}')
            if not _is_int(tid):
                raise TraceError(f'{_describe(i, ev)}: "tid" must be an integer, got {tid!r}')
            key = (pid, tid)
            first_x.setdefault(key, i)
            per_thread.setdefault(key, []).append((float(ts), float(dur), i))
        elif ph == "M":
            kind = ev.get("name")
            if kind in ("process_name", "thread_name"):
                label = ev.get("args", {}).get("name")
                if not isinstance(label, str):
                    raise TraceError(f"{_describe(i, ev)}: args.name must be a string")
                pid, tid = ev.get("pid"), ev.get("tid")
                if not _is_int(pid) or (kind == "thread_name" and not _is_int(tid)):
                    raise TraceError(f"{_describe(i, ev)}: pid and tid must be integers")
                if kind == "process_name":
                    process_named.add(pid)
                else:
                    thread_named.add((pid, tid))

    for (pid, tid), i in sorted(first_x.items(), key=lambda kv: kv[1]):
        if pid not in process_named:
            raise TraceError(f"event {i}: process {pid} has no process_name metadata (M) event")
        if (pid, tid) not in thread_named:
            raise TraceError(
                f"event {i}: thread {tid} of process {pid} has no thread_name metadata (M) event"
            )

    max_depth = 0
    for spans in per_thread.values():
        max_depth = max(max_depth, _check_nesting(raw, spans, epsilon_us))
    return TraceReport(
        events=len(raw),
        complete_events=n_x,
        processes=len({p for p, _ in per_thread}),
        threads=len(per_thread),
        max_depth=max_depth,
    )


def _check_nesting(raw: list, spans: list[tuple[float, float, int]], eps: float) -> int:
    """Walk one thread's X events by start time (parents before their children) with a stack."""
    spans.sort(key=lambda s: (s[0], -s[1]))
    stack: list[tuple[float, int]] = []  # (end, index) of the open ancestors
    depth = 0
    for ts, dur, i in spans:
        end = ts + dur
        while stack and ts >= stack[-1][0] - eps:
            stack.pop()
        if stack and end > stack[-1][0] + eps:
            p_end, p = stack[-1]
            parent = raw[p]
            raise TraceError(
                f"{_describe(i, raw[i])}: overlaps event {p} ({parent.get('name')!r}) on "
                f"pid {parent.get('pid')} tid {parent.get('tid')} without nesting: it starts at "
                f"{ts:g} µs inside [{parent.get('ts'):g}, {p_end:g}] but ends at {end:g} µs"
            )
        stack.append((end, i))
        depth = max(depth, len(stack))
    return depth
