"""workbench.trace.timeline: lanes, windows and merged bars; no event lost at any zoom."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from workbench.trace import TraceEvents
from workbench.trace.structure import Kind
from workbench.trace.timeline import TimelineData, pixel_columns


def events_from(spans, names=None, cats=None):
    n = len(spans)
    return TraceEvents(
        name=names or [f"e{i}" for i in range(n)],
        cat=cats or ["cpu_op"] * n,
        start_us=np.array([s[0] for s in spans], float),
        dur_us=np.array([s[1] for s in spans], float),
        pid=np.full(n, 7),
        tid=np.array([s[2] for s in spans]),
        thread_names={(7, 1): "main", (7, 2): "backward"},
    )


def test_lanes_per_track_and_depth():
    ev = events_from(
        [(100, 10, 1), (101, 3, 1), (102, 1, 1), (105, 2, 1), (120, 5, 2), (121, 1, 2)],
        cats=["user_annotation", "cpu_op", "cpu_op", "cpu_op", "backward", "cpu_op"],
    )
    tl = TimelineData(ev)
    assert [(t.name, t.first_lane, t.lanes, t.events) for t in tl.tracks] == [
        ("main", 0, 3, 4),
        ("backward", 3, 2, 2),
    ]
    assert tl.lane.tolist() == [0, 1, 2, 1, 3, 4]
    assert tl.t_origin == 100 and tl.duration_us == 25
    assert tl.relative(4) == (20.0, 25.0)
    bars = tl.visible(0, 25, 100.0)  # 100 px per µs: every event drawn on its own
    assert sorted(bars.event.tolist()) == list(range(6))
    kinds = dict(zip(bars.event.tolist(), bars.kind.tolist()))
    assert kinds[0] == Kind.USER and kinds[1] == Kind.FORWARD and kinds[4] == Kind.BACKWARD


def test_zoomed_out_events_merge_into_one_bar_per_run():
    # 1,000 events of 1 µs, 1 µs apart, on one lane, in a 200 px wide view: sub-pixel each
    ev = events_from([(2.0 * i, 1.0, 1) for i in range(1000)])
    tl = TimelineData(ev)
    bars = tl.visible(0, 2000, 200 / 2000)
    assert len(bars) == 1 and bars.count[0] == 1000 and bars.event[0] == -1
    assert (bars.start_us[0], bars.end_us[0]) == (0.0, 1999.0)
    # zoomed in, the same events come back one by one
    bars = tl.visible(100, 110, 100.0)
    assert bars.count.sum() == 6 == len(bars) and (bars.event >= 0).all()


def test_mask_keeps_only_the_highlighted_events():
    ev = events_from([(2.0 * i, 1.0, 1) for i in range(100)])
    tl = TimelineData(ev)
    mask = np.zeros(100, bool)
    mask[[3, 50]] = True
    bars = tl.visible(0, 200, 1000 / 200, mask=mask)
    assert sorted(bars.event.tolist()) == [3, 50]


def test_event_at_finds_the_nearest_event_within_the_slack():
    ev = events_from([(0, 10, 1), (2, 2, 1), (20, 1, 1)])
    tl = TimelineData(ev)
    assert tl.event_at(0, 5.0) == 0
    assert tl.event_at(1, 3.0) == 1
    assert tl.event_at(1, 5.0) == -1
    assert tl.event_at(1, 4.5, slack_us=1.0) == 1
    assert tl.event_at(0, 18.5, slack_us=2.0) == 2
    assert tl.event_at(5, 1.0) == -1


def test_empty_trace():
    tl = TimelineData(TraceEvents())
    assert tl.n_lanes == 0 and tl.tracks == [] and len(tl.visible(0, 1, 1.0)) == 0


@st.composite
def nested_events(draw):
    spans = []

    def fill(tid, a, b, level):
        t = a
        while len(spans) < 120:
            gap = draw(st.integers(0, 3000))
            length = draw(st.integers(0, 20000))
            if t + gap + length > b:
                return
            s = t + gap
            spans.append((s / 1000, length / 1000, tid))
            if level < 3 and length and draw(st.booleans()):
                fill(tid, s, s + length, level + 1)
            t = s + length

    for tid in range(1, draw(st.integers(1, 3)) + 1):
        fill(tid, 0, 200_000, 0)
    return spans


def columns(lanes, px0, px1, n_lanes):
    out = [set() for _ in range(n_lanes)]
    c0, c1 = pixel_columns(px0, px1)
    for lane, a, b in zip(lanes.tolist(), c0.tolist(), c1.tolist()):
        out[lane].update(range(a, b + 1))
    return out


@given(
    nested_events(),
    st.floats(0.0, 1.0),
    st.floats(1e-4, 1.0),
    st.floats(1e-3, 1e3),
)
def test_no_event_is_lost_at_any_zoom(spans, where, span_frac, px_per_us):
    tl = TimelineData(events_from(spans))
    if tl.n == 0:
        return
    t0 = where * tl.duration_us
    t1 = t0 + max(span_frac * tl.duration_us, 1e-3)
    bars = tl.visible(t0, t1, px_per_us)
    start = np.array([tl.relative(i)[0] for i in range(tl.n)])
    end = np.array([tl.relative(i)[1] for i in range(tl.n)])
    inside = (end >= t0) & (start <= t1)
    # every event overlapping the window is drawn on its own or counted in a merged bar
    per_lane = np.bincount(tl.lane[inside], minlength=tl.n_lanes)
    assert np.bincount(bars.lane, weights=bars.count, minlength=tl.n_lanes).tolist() == (
        per_lane.tolist()
    )
    assert sorted(bars.event[bars.event >= 0].tolist()) == sorted(
        set(bars.event[bars.event >= 0].tolist())
    )
    # an event drawn on its own keeps its exact span
    for e, s, x in zip(bars.event.tolist(), bars.start_us.tolist(), bars.end_us.tolist()):
        if e >= 0:
            assert (s, x) == tl.relative(e)
    # the bars cover exactly the pixel columns the events cover, lane by lane
    ev_cols = columns(
        tl.lane[inside],
        (start[inside] - t0) * px_per_us,
        (end[inside] - t0) * px_per_us,
        tl.n_lanes,
    )
    bar_cols = columns(
        bars.lane, (bars.start_us - t0) * px_per_us, (bars.end_us - t0) * px_per_us, tl.n_lanes
    )
    assert bar_cols == ev_cols
    # merging never draws more than a bar per pixel column per lane, plus the wide events
    width = (t1 - t0) * px_per_us
    assert (bars.event < 0).sum() <= tl.n_lanes * (width + 2)


def test_a_hundred_thousand_events_reduce_to_a_few_bars_per_pixel():
    rng = np.random.default_rng(0)
    n = 100_000
    starts = np.cumsum(rng.uniform(0.5, 3.0, n))
    spans = [(s, d, 1) for s, d in zip(starts.tolist(), rng.uniform(0.1, 0.5, n).tolist())]
    tl = TimelineData(events_from(spans))
    bars = tl.visible(0, tl.duration_us, 1200 / tl.duration_us)
    assert bars.count.sum() == n
    assert len(bars) <= 1200
