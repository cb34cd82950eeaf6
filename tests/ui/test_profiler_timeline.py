"""The profiler's timeline widget: zoom, pan, keys, hover, clicks, and 100,000 events."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from workbench.trace import TraceEvents
from workbench.trace.timeline import TimelineData
from workbench.ui.panels.profiler_timeline import (
    PAD,
    RULER_H,
    TimelineView,
    format_duration,
    nice_step,
    ruler_label,
)


def nested_trace(iterations: int) -> TraceEvents:
    """The tutorial's loop as a profiler would see it: per iteration a div and a mul inside a
    block, then a backward node per op, on two threads; 1 µs steps, node ids in args."""
    names, cats, start, dur, tid, args = [], [], [], [], [], []

    def add(name, cat, s, d, t, node=None):
        names.append(name)
        cats.append(cat)
        start.append(s)
        dur.append(d)
        tid.append(t)
        args.append({"node": node, "shapes": [[2, 3], [2, 3]]} if node is not None else None)

    t = 0.0
    add("loop", "user_annotation", 0.0, iterations * 4.0, 1)
    for k in range(iterations):
        add("div", "cpu_op", t + 0.5, 1.0, 1, 2 * k)
        add("mul", "cpu_op", t + 2.5, 1.0, 1, 2 * k + 1)
        t += 4.0
    for k in reversed(range(2 * iterations)):
        name = "MulBackward0" if k % 2 else "DivBackward0"
        add(name, "backward", t + 0.25, 1.5, 2, k)
        t += 2.0
    return TraceEvents(
        name=names,
        cat=cats,
        start_us=start,
        dur_us=dur,
        pid=[9] * len(names),
        tid=tid,
        args=args,
        process_names={9: "python"},
        thread_names={(9, 1): "thread 1 (MainThread)", (9, 2): "backward (thread 2)"},
    )


@pytest.fixture
def view(make_widget):
    v = make_widget(TimelineView)
    v.resize(900, 300)
    v.show()
    return v


def load(view, events):
    view.canvas.set_data(TimelineData(events), events)
    return view.canvas


def wheel(widget, pos: QPointF, dy: int = 0, dx: int = 0, modifiers=Qt.KeyboardModifier.NoModifier):
    event = QWheelEvent(
        pos,
        widget.mapToGlobal(pos),
        QPoint(0, 0),
        QPoint(dx, dy),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def time_at(canvas, x):
    return canvas.view_range()[0] + (x - PAD) / canvas.px_per_us


def test_helpers():
    assert [nice_step(v) for v in (0.7, 1.0, 1.3, 3.0, 7.0, 230.0)] == [1, 1, 2, 5, 10, 500]
    assert ruler_label(0.0, 5.0) == "0"
    assert ruler_label(19305.0, 5.0, 19340.0) == "19.305 ms"
    assert ruler_label(500.0, 100.0) == "500 µs"
    assert ruler_label(1.5e6, 5e5) == "1.5 s"
    assert ruler_label(0.25, 0.05) == "250 ns"
    assert format_duration(0.85) == "850 ns" and format_duration(12.345) == "12.35 µs"
    assert format_duration(3214.0) == "3.214 ms" and format_duration(1.5e6) == "1.500 s"


def test_fit_shows_everything(view):
    canvas = load(view, nested_trace(50))
    t0, t1 = canvas.view_range()
    assert t0 <= 0 and t1 >= canvas.data.duration_us
    assert [t.lanes for t in canvas.data.tracks] == [2, 1]


def test_wheel_zooms_around_the_cursor(view):
    canvas = load(view, nested_trace(50))
    pos = QPointF(300.0, 120.0)
    before = time_at(canvas, pos.x())
    ppu = canvas.px_per_us
    wheel(canvas, pos, dy=120)
    assert canvas.px_per_us == pytest.approx(ppu * 1.2)
    assert time_at(canvas, pos.x()) == pytest.approx(before)
    wheel(canvas, pos, dy=-240)
    assert canvas.px_per_us == pytest.approx(ppu / 1.2)
    assert time_at(canvas, pos.x()) == pytest.approx(before)


def test_shift_wheel_and_arrow_keys_pan_plus_minus_zoom_home_fits(view, qtbot):
    canvas = load(view, nested_trace(50))
    canvas.zoom(8.0)
    t0 = canvas.view_range()[0]
    wheel(canvas, QPointF(300, 100), dy=-120, modifiers=Qt.KeyboardModifier.ShiftModifier)
    assert canvas.view_range()[0] > t0
    t0 = canvas.view_range()[0]
    qtbot.keyClick(canvas, Qt.Key.Key_Left)
    assert canvas.view_range()[0] == pytest.approx(t0 - (900 - 2 * PAD) * 0.15 / canvas.px_per_us)
    ppu = canvas.px_per_us
    qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    assert canvas.px_per_us == pytest.approx(ppu * 1.5)
    qtbot.keyClick(canvas, Qt.Key.Key_Minus)
    assert canvas.px_per_us == pytest.approx(ppu)
    qtbot.keyClick(canvas, Qt.Key.Key_Home)
    t0, t1 = canvas.view_range()
    assert t0 <= 0 and t1 >= canvas.data.duration_us


def test_drag_pans_and_does_not_click(view, qtbot):
    canvas = load(view, nested_trace(50))
    canvas.zoom(4.0)
    t0 = canvas.view_range()[0]
    clicks = []
    canvas.event_clicked.connect(clicks.append)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(400, 60))
    qtbot.mouseMove(canvas, QPoint(300, 60))
    qtbot.mouseMove(canvas, QPoint(200, 60))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(200, 60))
    assert canvas.view_range()[0] == pytest.approx(t0 + 200 / canvas.px_per_us)
    assert clicks == []


def test_click_selects_the_event_under_the_cursor(view, qtbot):
    events = nested_trace(50)
    canvas = load(view, events)
    i = events.name.index("mul")
    canvas.zoom_to(-1.0, 30.0)
    with qtbot.waitSignal(canvas.event_clicked) as blocker:
        qtbot.mouseClick(
            canvas, Qt.MouseButton.LeftButton, pos=canvas.event_rect(i).center().toPoint()
        )
    assert blocker.args == [i]
    # zoomed out, the events are merged bars: a click picks the nearest event in the lane
    canvas.fit()
    rect = canvas.event_rect(i)
    with qtbot.waitSignal(canvas.event_clicked) as blocker:
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    picked = blocker.args[0]
    assert picked >= 0 and canvas.data.lane[picked] == canvas.data.lane[i]
    assert abs(canvas.data.relative(picked)[0] - canvas.data.relative(i)[0]) < 3 / canvas.px_per_us


def test_hover_card_shows_name_duration_shapes_and_node(view, qtbot):
    events = nested_trace(2000)
    canvas = load(view, events)
    i = events.name.index("div")
    canvas.zoom_to(-1.0, 12.0)
    qtbot.mouseMove(canvas, canvas.event_rect(i).center().toPoint())
    lines = dict(canvas._hover_lines()[1:])
    assert canvas._hover_lines()[0][1] == "div"
    assert lines["duration"] == "1.00 µs"
    assert lines["shapes"] == "[[2, 3], [2, 3]]"
    assert lines["node"] == "#0" and lines["kind"] == "forward"
    assert lines["thread"] == "thread 1 (MainThread)"
    canvas.grab()  # paints the card without error
    canvas.fit()
    qtbot.mouseMove(canvas, canvas.event_rect(i).center().toPoint())
    title = canvas._hover_lines()[0][1]
    assert title.endswith("events")  # a merged bar says how many it holds


def test_tracks_scroll_when_they_do_not_fit(view, qtbot):
    canvas = load(view, nested_trace(10))
    view.resize(900, RULER_H + 60)
    qtbot.waitUntil(lambda: view.scrollbar.isVisible())
    assert view.scrollbar.maximum() == canvas.content_height - canvas.viewport_height
    qtbot.keyClick(canvas, Qt.Key.Key_PageDown)
    assert canvas.scroll_y == view.scrollbar.value() > 0


def test_highlight_and_selection_paint(view):
    events = nested_trace(20)
    canvas = load(view, events)
    mask = np.zeros(len(events), bool)
    mask[[1, len(events) - 1]] = True
    canvas.set_highlight(mask)
    canvas.set_selected(1)
    image = canvas.grab().toImage()
    assert not image.isNull()
    canvas.set_highlight(np.zeros(len(events), bool))
    assert canvas._highlight is None


def synthetic(n: int, seed: int = 0) -> TraceEvents:
    """n events: blocks of 100 ops (some with a nested call) on a main thread, then a backward
    thread — nested like a profile, random durations."""
    rng = np.random.default_rng(seed)
    names, start, dur, tid = [], [], [], []
    t = 0.0
    k = 0
    while len(names) < n:
        if k % 100 == 0:
            names.append("step")
            start.append(t)
            dur.append(100 * 4.0)
            tid.append(1)
        d = float(rng.uniform(0.5, 3.0))
        names.append("mul" if k % 2 else "div")
        start.append(t + 0.2)
        dur.append(d)
        tid.append(1 if k % 3 else 2)
        if k % 7 == 0 and len(names) < n:
            names.append("empty_like")
            start.append(t + 0.3)
            dur.append(d / 3)
            tid.append(tid[-1])
        t += 4.0
        k += 1
    names, start, dur, tid = names[:n], start[:n], dur[:n], tid[:n]
    return TraceEvents(
        name=names,
        cat=["cpu_op"] * n,
        start_us=start,
        dur_us=dur,
        pid=[1] * n,
        tid=tid,
        process_names={1: "python"},
        thread_names={(1, 1): "main", (1, 2): "worker"},
    )


def test_a_hundred_thousand_events_render(view, tmp_path):
    events = synthetic(100_000)
    canvas = load(view, events)
    view.resize(1200, 400)
    image = canvas.grab()
    assert not image.isNull()
    frame = canvas._frame()
    assert frame.bars.count.sum() == len(events)  # zoomed out: every event, merged
    assert len(frame.bars) < 5 * 1200  # a few bars per pixel column, not 100,000
    canvas.zoom_to(200_000.0, 200_040.0)
    canvas.grab()
    frame = canvas._frame()
    assert 0 < len(frame.bars) < 100 and (frame.bars.event >= 0).all()
