"""The Profiler panel: a profiled run's op table and timeline, linked both ways, export,
import, compare."""

import csv
from pathlib import Path
from textwrap import dedent

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication

from workbench.session import RunState, Session
from workbench.trace import TraceEvents, load, validate
from workbench.trace.compare import compare
from workbench.trace.structure import node_seqs
from workbench.ui.panels.profiler_panel import EMPTY_HINT, ProfilerPanel, make_profile_action
from workbench.ui.panels.profiler_table import SORT_ROLE
from workbench.ui.selection import Selection

FIXTURES = Path(__file__).parent.parent / "trace" / "fixtures"

CODE = dedent(
    """
    import workbench.engine as torch
    x = torch.ones(2, 3, requires_grad=True)
    y = torch.ones(2, 3, requires_grad=True)
    z = torch.ones(2, 3, requires_grad=True)
    with torch.autograd.profiler.record_function("loop"):
        for _ in range(100):
            z = (z / x) * y
    (z * 2.0).sum().backward()
    """
)


@pytest.fixture(scope="module")
def profiled():
    """A run of the tutorial's loop made with Session.run(profile=True)."""
    session = Session()
    try:
        run = session.run(CODE, profile=True)
        assert run.wait(30)
        result = run.result
    finally:
        session.close()
    assert result.state is RunState.FINISHED, result.error
    return result


@pytest.fixture
def panel(make_widget):
    p = make_widget(ProfilerPanel, Selection())
    p.resize(1000, 700)
    p.show()
    return p


def shown_column(panel, header):
    """The column's sort values, in the order the table shows them."""
    k = panel.model.column_index(header)
    proxy = panel.proxy
    return [proxy.index(r, k).data(SORT_ROLE) for r in range(proxy.rowCount())]


def shown_names(panel):
    return [panel.proxy.index(r, 0).data() for r in range(panel.proxy.rowCount())]


def spans(items):
    n = len(items)
    return TraceEvents(
        name=[s[0] for s in items],
        cat=["cpu_op"] * n,
        start_us=[s[1] for s in items],
        dur_us=[s[2] for s in items],
        pid=[1] * n,
        tid=[1] * n,
        process_names={1: "python"},
        thread_names={(1, 1): "main"},
    )


def test_empty_state(panel):
    assert panel.empty.isVisible() and not panel.splitter.isVisible()
    assert panel.empty_hint.text() == EMPTY_HINT
    assert not panel.export_button.isEnabled() and not panel.compare_button.isEnabled()
    assert panel.export_trace("unused.json") is None  # says so instead of raising
    assert panel.message.isVisible() and "Nothing to export" in panel.message.label.text()


def test_a_profiled_run_fills_the_table_and_the_timeline(panel, profiled):
    panel.show_profile(profiled.profile, f"Run {profiled.run_id}")
    assert panel.splitter.isVisible() and not panel.empty.isVisible()
    expected = profiled.profile.key_averages()
    assert set(shown_names(panel)) == {e.key for e in expected}
    calls = dict(zip(shown_names(panel), shown_column(panel, "# of Calls")))
    assert calls["div"] == 100 and calls["MulBackward0"] == 101 and calls["loop"] == 1
    data = panel.canvas.data
    assert data.n == len(profiled.profile.trace_events()) and data.n_lanes == 2
    assert "workbench-run-1" in data.tracks[0].name
    assert panel.title == "Run 1" and panel.profile_titles() == ["Run 1"]
    # the timeline painted bars: its picture holds the forward and backward colours
    image = panel.canvas.grab().toImage()
    colours = {
        image.pixelColor(x, y).name()
        for x in range(0, image.width(), 3)
        for y in range(28, image.height(), 3)
    }
    from workbench.ui.theme import current_theme

    assert current_theme().value in colours and current_theme().grad in colours


def test_footer_totals_equal_the_engines(panel, profiled):
    panel.show_profile(profiled.profile, "Run 1")
    table = profiled.profile.key_averages().table()
    footer_line = table.strip().splitlines()[-1]
    assert footer_line.startswith("Self CPU time total: ")
    assert footer_line in panel.footer.text()
    assert panel.averages.self_cpu_time_total == pytest.approx(
        profiled.profile.key_averages().self_cpu_time_total
    )


def test_sorting_is_numeric_not_lexicographic(panel):
    # 9 us, 10 us, 100 us and 1 ms as text sort "1.000ms" < "10.000us" < "100.000us" < "9.000us"
    panel.show_profile(
        spans([("a", 0, 9), ("b", 20, 10), ("c", 40, 100), ("d", 200, 1000), ("d", 1300, 1)]),
        "times",
    )
    self_cpu = panel.model.column_index("Self CPU")
    panel.table.sortByColumn(self_cpu, Qt.SortOrder.AscendingOrder)
    assert shown_names(panel) == ["a", "b", "c", "d"]
    assert [panel.proxy.index(r, self_cpu).data() for r in range(4)] == [
        "9.000us",
        "10.000us",
        "100.000us",
        "1.001ms",
    ]
    panel.table.sortByColumn(self_cpu, Qt.SortOrder.DescendingOrder)
    assert shown_names(panel) == ["d", "c", "b", "a"]
    calls = panel.model.column_index("# of Calls")
    panel.table.sortByColumn(calls, Qt.SortOrder.DescendingOrder)
    assert shown_names(panel)[0] == "d"
    # a new profile keeps the chosen sort
    panel.show_profile(spans([("x", 0, 1), ("y", 2, 1), ("y", 4, 1)]), "other")
    assert shown_names(panel) == ["y", "x"]


def test_default_sort_is_self_cpu_descending(panel, profiled):
    panel.show_profile(profiled.profile, "Run 1")
    values = shown_column(panel, "Self CPU")
    assert values == sorted(values, reverse=True)


def test_filter(panel, qtbot, profiled):
    panel.show_profile(profiled.profile, "Run 1")
    qtbot.keyClicks(panel.filter, "BACKWARD")
    assert sorted(shown_names(panel)) == ["DivBackward0", "MulBackward0", "SumBackward0"]
    panel.filter.clear()
    assert len(shown_names(panel)) == len(panel.averages)


def test_group_by_input_shape(panel, profiled):
    panel.show_profile(profiled.profile, "Run 1")
    assert panel.model.column_index("Input Shapes") < 0
    panel.group_by_shape.setChecked(True)
    k = panel.model.column_index("Input Shapes")
    assert k == len(panel.model.columns) - 1
    rows = [
        (panel.proxy.index(r, 0).data(), panel.proxy.index(r, k).data())
        for r in range(panel.proxy.rowCount())
    ]
    assert ("mul", "[[2, 3], [2, 3]]") in rows and ("mul", "[[2, 3], []]") in rows
    expected = profiled.profile.key_averages(group_by_input_shape=True)
    assert len(rows) == len(expected)
    panel.group_by_shape.setChecked(False)
    assert shown_names(panel).count("mul") == 1


def event_of(panel, name, nth=0):
    return [i for i, n in enumerate(panel.events.name) if n == name][nth]


def test_clicking_an_event_emits_its_node_and_selects_its_row(panel, qtbot, profiled):
    panel.show_profile(profiled.profile, "Run 1")
    i = event_of(panel, "div", 10)
    s, e = panel.canvas.data.relative(i)
    panel.canvas.zoom_to(s - (e - s), e + (e - s))
    rect = panel.canvas.event_rect(i)
    with qtbot.waitSignal(panel.event_selected) as blocker:
        qtbot.mouseClick(panel.canvas, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    seq = panel.events.args[i]["node"]
    assert blocker.args == [seq]
    assert panel.canvas.selected == i
    assert [
        panel.proxy.index(r.row(), 0).data() for r in panel.table.selectionModel().selectedRows()
    ] == ["div"]
    # the node's backward event is highlighted with it
    highlighted = np.flatnonzero(panel.canvas._highlight)
    assert [panel.events.name[j] for j in highlighted] == ["div", "DivBackward0"]
    # a click on nothing clears it all
    with qtbot.waitSignal(panel.event_selected) as blocker:
        qtbot.mouseClick(panel.canvas, Qt.MouseButton.LeftButton, pos=QPoint(20, 5))
    assert blocker.args == [-1] and panel.canvas.selected == -1
    assert not panel.table.selectionModel().selectedRows()


def test_select_node_highlights_its_events_and_row(panel, profiled):
    panel.show_profile(profiled.profile, "Run 1")
    seqs = node_seqs(panel.events)
    backward = event_of(panel, "MulBackward0", 5)
    seq = int(seqs[backward])
    with_signal = []
    panel.event_selected.connect(with_signal.append)
    assert panel.select_node(seq)
    assert not with_signal  # the window asked: no echo back to the graph
    highlighted = np.flatnonzero(panel.canvas._highlight)
    assert [panel.events.name[j] for j in highlighted] == ["mul", "MulBackward0"]
    rows = panel.table.selectionModel().selectedRows()
    assert [panel.proxy.index(r.row(), 0).data() for r in rows] == ["mul"]
    # the node's forward op is scrolled into view
    t0, t1 = panel.canvas.view_range()
    s, _ = panel.canvas.data.relative(int(highlighted[0]))
    assert t0 <= s <= t1
    assert not panel.select_node(10**9)
    assert panel.canvas._highlight is None and not panel.table.selectionModel().selectedRows()


def test_selecting_rows_highlights_their_events(panel, profiled):
    panel.show_profile(profiled.profile, "Run 1")
    row = shown_names(panel).index("DivBackward0")
    panel.table.selectRow(row)
    mask = panel.canvas._highlight
    assert mask.sum() == 100
    assert {panel.events.name[j] for j in np.flatnonzero(mask)} == {"DivBackward0"}


@pytest.mark.parametrize("suffix", [".json", ".json.gz"])
def test_exported_traces_pass_the_validator(panel, profiled, tmp_path, suffix):
    panel.show_profile(profiled.profile, "Run 1")
    path = tmp_path / f"run{suffix}"
    report = panel.export_trace(path)
    assert report is not None and report.complete_events == len(panel.events)
    assert validate(path) == report
    assert load(path).name == panel.events.name
    assert "valid" in panel.message.label.text() and not panel.message.error


def test_export_to_a_bad_path_shows_a_message(panel, profiled, tmp_path):
    panel.show_profile(profiled.profile, "Run 1")
    assert panel.export_trace(tmp_path / "missing" / "run.json") is None
    assert panel.message.isVisible() and panel.message.error
    assert "Could not export run.json" in panel.message.label.text()


def test_importing_a_pytorch_trace_fills_the_table(panel):
    assert panel.import_trace(FIXTURES / "pytorch_profiler.json")
    assert panel.title == "pytorch_profiler.json"
    calls = dict(zip(shown_names(panel), shown_column(panel, "# of Calls")))
    assert calls["aten::div"] == 12 and calls["aten::mul"] == 9 and calls["step"] == 1
    assert "PyTorch Profiler (0)" not in calls
    assert {t.name for t in panel.canvas.data.tracks} == {
        "thread 8529 (python)",
        "PyTorch Profiler",
    }
    # imported again: a second entry, not a replacement
    assert panel.import_trace(FIXTURES / "pytorch_profiler.json")
    assert panel.profile_titles() == ["pytorch_profiler.json", "pytorch_profiler.json (2)"]


def test_importing_a_broken_trace_reports_it(panel, profiled, tmp_path):
    panel.show_profile(profiled.profile, "Run 1")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert not panel.import_trace(bad)
    assert panel.message.error and "Could not import bad.json" in panel.message.label.text()
    assert not panel.import_trace(tmp_path / "nowhere.json")
    empty = tmp_path / "empty.json"
    empty.write_text('{"traceEvents": []}')
    assert not panel.import_trace(empty)
    assert "no complete events" in panel.message.label.text()
    assert panel.title == "Run 1"  # what was shown stays


def test_compare_view_arithmetic(panel):
    a = spans([("block", 0, 10), ("mul", 1, 3), ("div", 5, 2), ("mul", 12, 1), ("gone", 20, 4)])
    b = spans([("block", 0, 6), ("mul", 0.5, 4), ("div", 4.5, 1.5), ("mul", 8, 2), ("new", 11, 1)])
    panel.show_profile(a, "before")
    panel.show_profile(b, "after")
    assert panel.compare_with("before")
    view = panel.compare_view
    assert panel.tabs.currentWidget() is view
    assert panel.tabs.tabText(panel.tabs.currentIndex()) == "Compare with before"
    expected = compare(a, b)
    model = view.model
    names = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert names == expected.name == ["block", "gone", "mul", "new", "div"]
    row = {n: r for r, n in enumerate(names)}
    headers = [c.header for c in model.columns]

    def cell(name, header):
        return model.index(row[name], headers.index(header)).data()

    assert cell("block", "Self A") == "5.000us" and cell("block", "Self B") == "0.500us"
    assert cell("block", "Δ Self") == "−4.500us" and cell("block", "B / A") == "0.10×"
    assert cell("mul", "Calls A") == "2" and cell("mul", "Δ Self") == "+2.000us"
    assert cell("mul", "B / A") == "1.50×" and cell("mul", "Δ Total") == "+2.000us"
    assert cell("gone", "B / A") == "gone" and cell("new", "B / A") == "new"
    # self totals: the top-level spans, 10 + 1 + 4 against 6 + 2 + 1
    assert view.footer.text().endswith("A 15.000us · B 9.000us · Δ −6.000us (0.60×)")
    assert not panel.compare_with("nothing")


def test_copy_rows_as_tsv_and_export_csv(panel, qtbot, profiled, tmp_path):
    panel.show_profile(profiled.profile, "Run 1")
    panel.table.setFocus()
    panel.table.selectRow(0)
    qtbot.keyClick(panel.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QGuiApplication.clipboard().text().splitlines()
    assert lines[0].split("\t")[:3] == ["Name", "Self CPU %", "Self CPU"]
    top = shown_names(panel)[0]
    assert lines[1].split("\t")[0] == top and len(lines) == 2

    panel.filter.setText("mul")
    path = tmp_path / "ops.csv"
    assert panel.export_csv(path)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["Name", "Self CPU %", "Self CPU (us)"]
    assert [r[0] for r in rows[1:]] == shown_names(panel)  # filtered, in the shown order
    self_cpu = float(rows[1][2])
    avg = panel.averages
    assert self_cpu == pytest.approx(avg.self_cpu_us[avg.name.index(rows[1][0])], abs=1e-5)


def test_profile_toggle_mirrors_the_windows_action(panel, qtbot, make_widget):
    action = make_profile_action(panel)
    assert action.isCheckable() and action.text() == "Profile"
    with qtbot.waitSignal(panel.profile_toggled) as blocker:
        panel.profile_button.click()
    assert blocker.args == [True]
    seen = []
    panel.profile_toggled.connect(seen.append)
    panel.set_profile_enabled(False)
    assert not panel.profile_button.isChecked() and not seen


def test_picker_switches_between_profiles_and_clear_empties(panel, profiled):
    panel.show_profile(profiled.profile, "Run 1")
    panel.show_profile(spans([("a", 0, 1)]), "Run 2")
    assert [panel.picker.itemText(i) for i in range(panel.picker.count())] == ["Run 2", "Run 1"]
    panel.picker.setCurrentText("Run 1")
    assert panel.title == "Run 1" and "div" in shown_names(panel)
    panel.clear()
    assert panel.profile_titles() == [] and panel.empty.isVisible()


def test_show_profile_of_an_unfinished_profile_says_so(panel):
    from workbench.engine.autograd import profiler

    prof = profiler.profile()
    panel.show_profile(prof, "broken")
    assert panel.message.error and "Cannot show broken" in panel.message.label.text()
    assert panel.empty.isVisible()


def test_follows_the_theme(panel, profiled):
    from workbench.ui.theme import DARK, theme_manager

    panel.show_profile(profiled.profile, "Run 1")
    theme_manager().set_mode("dark")
    image = panel.canvas.grab().toImage()
    assert image.pixelColor(image.width() - 3, image.height() - 3).name() == DARK.base
    assert DARK.muted in panel.summary.text()


def test_the_filter_applies_to_the_compare_view_too(panel, qtbot):
    panel.show_profile(spans([("mul", 0, 2), ("div", 3, 1)]), "A")
    panel.show_profile(spans([("mul", 0, 3), ("div", 4, 1)]), "B")
    panel.compare_with("A")
    qtbot.keyClicks(panel.filter, "mu")
    proxy = panel.compare_view.proxy
    assert [proxy.index(r, 0).data() for r in range(proxy.rowCount())] == ["mul"]


def test_device_times_add_pytorchs_cuda_columns(panel, monkeypatch):
    import workbench.engine as torch
    from workbench.engine.autograd import profiler, profiler_cuda
    from workbench.engine.autograd.profiler_cuda import FakeDeviceTimer

    monkeypatch.setattr(profiler_cuda, "make_device_timer", lambda: FakeDeviceTimer(1000.0))
    x = torch.ones(3, requires_grad=True)
    with profiler.profile(use_device="cuda", record_shapes=True) as prof:
        (x * x).sum().backward()
    panel.show_profile(prof, "gpu")
    headers = [c.header for c in panel.model.columns]
    assert headers[6:11] == [
        "Self CUDA",
        "Self CUDA %",
        "CUDA total",
        "CUDA time avg",
        "# of Calls",
    ]
    table_lines = prof.key_averages().table().strip().splitlines()
    assert table_lines[-2] in panel.footer.text()  # "Self CPU time total: ..."
    assert table_lines[-1] in panel.footer.text()  # "Self CUDA time total: ..."
    # the device stream is a track of its own, its events coloured as device work
    from workbench.trace.structure import Kind

    data = panel.canvas.data
    assert [t.name for t in data.tracks][-1] == "cuda:0 stream 7"
    assert (data.structure.kind == Kind.DEVICE).sum() > 0


def test_a_trace_that_cannot_be_laid_out_is_reported_not_raised(panel, monkeypatch):
    from workbench.ui.panels import profiler_panel

    panel.show_profile(spans([("a", 0, 1)]), "good")

    def broken(*_args):
        raise ValueError("no lanes for you")

    monkeypatch.setattr(profiler_panel, "TimelineData", broken)
    panel.show_profile(spans([("b", 0, 1)]), "bad")
    assert panel.message.error and "Cannot show bad: no lanes for you" in panel.message.label.text()
    assert panel.title == "good" and panel.profile_titles() == ["good"]
    assert shown_names(panel) == ["a"]
