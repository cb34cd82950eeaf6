"""The timeline's level of detail: which bars to draw for a time window at a given zoom.

Every track (a thread, or a device stream) gets one lane per nesting depth. For a window
[t0, t1] at `px_per_us`, `visible` returns the events to draw as bars: each event at least a
pixel wide on its own, and the narrower ones merged — per lane, the events that start in one
pixel column become one bar, and bars of neighbouring columns of one kind (forward, backward…)
one longer bar — so no more
bars than pixels per lane are ever drawn, whatever the number of events, and none is lost:
every pixel column an event touches is covered by a bar, and every bar counts its events.

Times here are µs from the trace's first event (PyTorch writes absolute clock times, which
lose precision in pixel arithmetic). All of it is NumPy over sorted columns: a window is a
binary search per lane, not a scan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .events import TraceEvents
from .structure import Kind, Structure, structure

__all__ = ["Bars", "TimelineData", "TrackInfo", "pixel_columns"]


@dataclass(frozen=True)
class TrackInfo:
    pid: int
    tid: int
    name: str
    first_lane: int
    lanes: int  # nesting depths in use
    events: int


@dataclass
class Bars:
    """Bars to draw, as parallel columns. `event` is the event's index in the trace for a bar
    that is one event, -1 for a merged bar; `count` is how many events a bar stands for."""

    lane: np.ndarray
    start_us: np.ndarray
    end_us: np.ndarray
    event: np.ndarray
    count: np.ndarray
    kind: np.ndarray

    def __len__(self) -> int:
        return len(self.lane)

    @classmethod
    def empty(cls) -> Bars:
        z = np.zeros(0, np.int64)
        return cls(z, np.zeros(0), np.zeros(0), z, z, np.zeros(0, np.int8))


def pixel_columns(px0: np.ndarray, px1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first and last pixel column a span [px0, px1] covers (at least the one it starts
    in; a span ending exactly on a column's left edge does not reach into that column)."""
    c0 = np.floor(px0).astype(np.int64)
    c1 = np.maximum(c0, np.ceil(px1).astype(np.int64) - 1)
    return c0, c1


class TimelineData:
    """The events of a trace laid out in lanes, sorted for fast window queries."""

    def __init__(self, events: TraceEvents, st: Structure | None = None) -> None:
        st = st if st is not None else structure(events)
        self.structure = st
        n = len(events)
        self.n = n
        self.t_origin = float(events.start_us.min()) if n else 0.0
        start = events.start_us - self.t_origin
        end = start + np.maximum(events.dur_us, 0.0)
        self.t_end = float(end.max()) if n else 0.0

        n_tracks = len(st.tracks)
        lanes_per_track = np.zeros(n_tracks, np.int64)
        if n:
            np.maximum.at(lanes_per_track, st.track, st.depth + 1)
        first_lane = np.r_[0, np.cumsum(lanes_per_track)[:-1]].astype(np.int64)
        self.n_lanes = int(lanes_per_track.sum())
        self.lane = first_lane[st.track] + st.depth if n else np.zeros(0, np.int64)
        counts = np.bincount(st.track, minlength=n_tracks) if n else np.zeros(n_tracks, np.int64)
        self.tracks = [
            TrackInfo(
                pid,
                tid,
                events.thread_name(pid, tid),
                int(first_lane[k]),
                int(lanes_per_track[k]),
                int(counts[k]),
            )
            for k, (pid, tid) in enumerate(st.tracks)
        ]
        self.lane_track = np.repeat(np.arange(n_tracks), lanes_per_track)

        # Sorted by (lane, start): a lane's events are disjoint, so their ends ascend too;
        # the running maximum keeps the binary search right on a malformed trace.
        order = np.lexsort((start, self.lane))
        self.order = order
        self.start = start[order]
        self.end = end[order]
        self.kind = st.kind[order]
        self.sorted_lane = self.lane[order]
        self.bounds = np.searchsorted(self.sorted_lane, np.arange(self.n_lanes + 1))
        self.end_max = self.end.copy()
        for lane in range(self.n_lanes):
            a, b = self.bounds[lane], self.bounds[lane + 1]
            np.maximum.accumulate(self.end[a:b], out=self.end_max[a:b])
        self.rank = np.empty(n, np.int64)  # event index -> sorted position
        self.rank[order] = np.arange(n)

    @property
    def duration_us(self) -> float:
        return self.t_end

    def relative(self, event: int) -> tuple[float, float]:
        """Event `event`'s start and end, µs from the trace's first event."""
        p = self.rank[event]
        return float(self.start[p]), float(self.end[p])

    def _window(self, t0: float, t1: float, lanes=None) -> np.ndarray:
        """Sorted positions of the events overlapping [t0, t1], lane by lane."""
        parts = []
        for lane in range(self.n_lanes) if lanes is None else lanes:
            a, b = int(self.bounds[lane]), int(self.bounds[lane + 1])
            if a == b:
                continue
            lo = a + int(np.searchsorted(self.end_max[a:b], t0, side="left"))
            hi = a + int(np.searchsorted(self.start[a:b], t1, side="right"))
            if lo < hi:
                parts.append(np.arange(lo, hi))
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def count_in(self, t0: float, t1: float) -> int:
        """How many events overlap [t0, t1]."""
        return len(self._window(t0, t1))

    def visible(
        self,
        t0: float,
        t1: float,
        px_per_us: float,
        mask: np.ndarray | None = None,
        min_px: float = 1.0,
        lanes=None,
    ) -> Bars:
        """The bars for the window [t0, t1] (relative µs) at `px_per_us`.

        Pixel columns count from t0. `mask` (a bool per event, in trace order) keeps only
        some events — the highlighted ones, say — and merges among those alone; `lanes` (an
        iterable of lane numbers) keeps only those lanes, the ones scrolled into view.
        """
        pos = self._window(t0, t1, lanes)
        if mask is not None and len(pos):
            pos = pos[np.asarray(mask, bool)[self.order[pos]]]
        if not len(pos):
            return Bars.empty()
        px0 = (self.start[pos] - t0) * px_per_us
        px1 = (self.end[pos] - t0) * px_per_us
        wide = (px1 - px0) >= min_px
        w = pos[wide]
        bars = [
            (
                self.sorted_lane[w],
                self.start[w],
                self.end[w],
                self.order[w],
                np.ones(len(w), np.int64),
                self.kind[w],
            )
        ]
        narrow = ~wide
        if narrow.any():
            bars.append(self._merge(pos[narrow], px0[narrow], px1[narrow]))
        # merged bars first: an event drawn on its own then lies on top of them
        lane, start, end, event, count, kind = (np.concatenate(c) for c in zip(*reversed(bars)))
        return Bars(lane, start, end, event, count, kind)

    def _merge(self, pos, px0, px1):
        """Narrow events (in lane, start order) to one bar per run of touched pixel columns."""
        lane = self.sorted_lane[pos]
        c0, c1 = pixel_columns(px0, px1)
        # groups: the events of one lane starting in one column (consecutive, being sorted)
        new_group = np.r_[True, (lane[1:] != lane[:-1]) | (c0[1:] != c0[:-1])]
        g_first = np.flatnonzero(new_group)
        g_c0 = c0[g_first]
        g_c1 = np.maximum.reduceat(c1, g_first)
        g_lane = lane[g_first]
        kind = self.kind[pos]
        g_kind = np.where(
            np.minimum.reduceat(kind, g_first) == np.maximum.reduceat(kind, g_first),
            kind[g_first],
            Kind.MIXED,
        )
        # runs: groups of one kind whose columns join up (a group's last column is its own or
        # the next), so forward and backward stretches stay apart however far out one zooms
        new_run = np.r_[
            True,
            (g_lane[1:] != g_lane[:-1]) | (g_c0[1:] > g_c1[:-1] + 1) | (g_kind[1:] != g_kind[:-1]),
        ]
        r_first = g_first[np.flatnonzero(new_run)]
        k_min = np.minimum.reduceat(kind, r_first)
        k_max = np.maximum.reduceat(kind, r_first)
        count = np.diff(np.r_[r_first, len(pos)])
        single = count == 1
        return (
            lane[r_first],
            self.start[pos[r_first]],
            np.maximum.reduceat(self.end[pos], r_first),
            np.where(single, self.order[pos[r_first]], -1),
            count.astype(np.int64),
            np.where(k_min == k_max, k_min, Kind.MIXED).astype(np.int8),
        )

    def event_at(self, lane: int, t_us: float, slack_us: float = 0.0) -> int:
        """The event on `lane` at time `t_us` (relative), or within `slack_us` of it (the
        nearest); -1 if none."""
        if not 0 <= lane < self.n_lanes:
            return -1
        a, b = int(self.bounds[lane]), int(self.bounds[lane + 1])
        p = a + int(np.searchsorted(self.start[a:b], t_us + slack_us, side="right")) - 1
        best, best_gap = -1, np.inf
        for q in (p, p - 1):
            if a <= q < b:
                gap = max(self.start[q] - t_us, t_us - self.end[q], 0.0)
                if gap <= slack_us and gap < best_gap:
                    best, best_gap = q, gap
        return int(self.order[best]) if best >= 0 else -1
