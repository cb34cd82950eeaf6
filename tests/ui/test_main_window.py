"""The main window: menus, docks, running code, errors, stop, settings, shortcuts, themes."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt

TUTORIAL = """\
import workbench.engine as torch
import math
a = torch.linspace(0., 2. * math.pi, steps=25, requires_grad=True)
b = torch.sin(a)
c = 2 * b
d = c + 1
out = d.sum()
out.backward()
"""


def _menu_texts(win):
    menus = {}
    for action in win.menuBar().actions():
        menu = action.menu()
        title = action.text().replace("&", "")
        menus[title] = [a.text().replace("&", "") for a in menu.actions() if a.text()]
    return menus


def test_window_has_the_menus_docks_and_status_bar(window, qtbot):
    menus = _menu_texts(window)
    assert list(menus) == ["File", "Edit", "Run", "View", "Help"]
    for item in ("New", "Open…", "Open Recent", "Save", "Save As…", "Export", "Quit"):
        assert item in menus["File"]
    for item in ("Run", "Run Selection", "Stop"):
        assert item in menus["Run"]
    for item in (
        "Editor",
        "Console",
        "Namespace",
        "Inspector",
        "Profiler",
        "Reset Layout",
        "Theme",
    ):
        assert item in menus["View"]
    for item in ("Examples…", "Keyboard Shortcuts", "About Autograd Workbench"):
        assert item in menus["Help"]
    assert set(window.docks) == {
        "editor", "console", "namespace", "inspector", "graph", "training", "profiler",
    }  # fmt: skip
    assert all(dock.isVisible() for dock in window.docks.values())
    assert window.status_run.text() == "Ready"
    qtbot.waitUntil(lambda: window.status_device.text().startswith(("CPU", "GPU")), timeout=5000)
    assert "engine" in window.status_version.text()
    assert window.act_stop.isEnabled() is False and window.act_run.isEnabled()


def test_shortcuts_are_the_documented_ones(window):
    keys = {
        window.act_run: "Ctrl+Return",
        window.act_run_selection: "Shift+Return",
        window.act_stop: "Ctrl+.",
        window.act_save: "Ctrl+S",
        window.act_open: "Ctrl+O",
        window.act_new: "Ctrl+N",
    }
    for action, key in keys.items():
        assert action.shortcut().toString() == key


def test_running_the_tutorial_fills_namespace_and_inspector(window, run_code):
    result = run_code(window, TUTORIAL)
    assert result.state.value == "finished"
    names = window.namespace.names()
    for name in ("a", "b", "c", "d", "out"):
        assert name in names
    assert "torch" not in names and "math" not in names
    window.selection.select("a")
    assert window.inspector.current_name == "a"
    assert window.status_run.text().startswith("Finished in")
    assert "finished" in window.console.output.toPlainText()


def test_a_user_exception_shows_a_trimmed_traceback_and_the_app_keeps_working(window, run_code):
    result = run_code(window, "x = 1\ny = x / 0\n")
    assert result.state.value == "failed"
    text = window.console.output.toPlainText()
    assert "ZeroDivisionError: division by zero" in text
    assert "line 2" in text and "run_controller" not in text and "runner.py" not in text
    assert window.editor.current_editor().error_line() == 2
    assert window.status_run.text().startswith("Failed: ZeroDivisionError")
    again = run_code(window, "z = x + 41\n")
    assert again.state.value == "finished"
    assert window.session.namespace["z"] == 42


def test_stop_ends_an_endless_loop_within_a_second(window, qtbot):
    window.editor.current_editor().setPlainText("while True:\n    pass\n")
    window.run_all()
    qtbot.waitUntil(lambda: window.controller.busy and window.act_stop.isEnabled(), timeout=5000)
    assert not window.act_run.isEnabled()
    t0 = time.perf_counter()
    with qtbot.waitSignal(window.run_finished, timeout=5000) as blocker:
        window.stop()
    elapsed = time.perf_counter() - t0
    assert blocker.args[0].state.value == "stopped"
    assert elapsed < 1.0, f"stop took {elapsed:.2f} s"
    assert window.act_run.isEnabled() and not window.act_stop.isEnabled()
    window.editor.current_editor().setPlainText("after = 'still usable'\n")
    with qtbot.waitSignal(window.run_finished, timeout=5000):
        window.run_all()
    assert window.session.namespace["after"] == "still usable"


def test_ctrl_enter_in_the_editor_runs_the_script(window, qtbot):
    editor = window.editor.current_editor()
    editor.setPlainText("v = 7\n")
    editor.setFocus()
    with qtbot.waitSignal(window.run_finished, timeout=10_000):
        qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.session.namespace["v"] == 7
    assert editor.toPlainText() == "v = 7\n"


def test_console_input_evaluates_in_the_session_namespace(window, run_code, qtbot):
    run_code(window, "import workbench.engine as torch\nt = torch.tensor([1., 2.])\n")
    with qtbot.waitSignal(window.run_finished, timeout=10_000):
        window.console.submitted.emit("t * 2")
    assert "tensor([2., 4.])" in window.console.output.toPlainText()


def test_selecting_in_the_namespace_selects_everywhere(window, run_code):
    run_code(window, TUTORIAL)
    window.namespace.tree.setCurrentItem(window.namespace._items["b"])
    assert window.selection.name == "b"
    assert window.inspector.current_name == "b"


def test_layout_geometry_theme_and_recent_files_persist(make_widget, settings_path, tmp_path):
    from workbench.ui.main_window import MainWindow

    script = tmp_path / "keep.py"
    script.write_text("k = 1\n")
    first = make_widget(MainWindow)
    first.show()
    first.resize(780, 560)
    first.docks["inspector"].close()
    first.set_theme_mode("dark")
    assert first.open_path(script)
    first.close()
    assert settings_path.exists()

    second = make_widget(MainWindow)
    second.show()
    assert (second.width(), second.height()) == (780, 560)
    assert not second.docks["inspector"].isVisible()
    assert second.docks["namespace"].isVisible()
    from workbench.ui.settings import recent_files
    from workbench.ui.theme import theme_manager

    assert recent_files(second.settings)[0] == str(script.resolve())
    assert theme_manager().mode == "dark"
    second._fill_recent_menu()
    assert [a.text() for a in second.recent_menu.actions()][0] == "keep.py"
    second.reset_layout()
    assert all(dock.isVisible() for dock in second.docks.values())


def test_opening_a_missing_file_warns_instead_of_raising(window, tmp_path):
    assert window.open_path(tmp_path / "missing.py") is False
    assert window.last_warning.isVisible()
    assert "missing.py" in window.last_warning.text()
    assert window.editor.current_editor() is not None


def test_theme_switch_changes_palette(window):
    from PySide6.QtWidgets import QApplication

    window.set_theme_mode("dark")
    dark = QApplication.palette().window().color().lightness()
    window.set_theme_mode("light")
    light = QApplication.palette().window().color().lightness()
    assert dark < 80 < light


def test_opening_a_script_replaces_the_blank_first_tab(window, tmp_path):
    script = tmp_path / "first.py"
    script.write_text("x = 1\n")
    assert window.open_path(script)
    assert [e.name for e in window.editor.editors()] == ["first.py"]
    assert window.windowTitle().startswith("first.py")


def test_an_example_opens_as_an_unsaved_copy_and_shows_what_it_asks_for(window, qtbot):
    from workbench.session.examples import list_examples

    example = next(e for e in list_examples() if e.name.startswith("01_"))
    window.open_example(example)
    editor = window.editor.current_editor()
    assert editor.path is None and editor.name == example.path.name
    with qtbot.waitSignal(window.run_finished, timeout=20_000):
        window.run_all()
    name, x_name = example.inspect[0]
    assert window.selection.name == name
    assert window.inspector.current_name == name


def test_a_run_mirrors_the_editor_tabs_into_the_session(window, run_code):
    window.editor.new_tab(name="second", text="y = 2\n")
    window.editor.tabs.setCurrentIndex(0)
    run_code(window, "x = 1\n")
    assert [(b.name, b.text) for b in window.session.buffers] == [
        ("untitled-1", "x = 1\n"),
        ("second", "y = 2\n"),
    ]


LOOP = """\
import workbench.engine as torch
x = torch.randn((2, 3), requires_grad=True)
y = torch.randn((2, 3), requires_grad=True)
z = torch.ones((2, 3), requires_grad=True)
for _ in range(50):
    z = (z / x) * y
z.sum().backward()
"""


def test_profile_toggle_records_the_run_into_the_profiler_panel(window, run_code, tmp_path):
    window.act_profile.setChecked(True)
    result = run_code(window, LOOP)
    assert result.profile is not None
    assert window.profiler.title == f"Run {result.run_id}"
    averages = window.profiler.averages
    names = dict(zip(averages.name, averages.count.tolist()))
    assert names["mul"] == 50 and names["div"] == 50 and names["MulBackward0"] == 50
    window.act_profile.setChecked(False)
    assert run_code(window, "q = 1\n").profile is None

    # the profile travels with the session file
    assert window._save_session_to(tmp_path / "prof.wbsession")
    window.profiler.clear()
    window.files._dirty = False
    assert window.open_path(tmp_path / "prof.wbsession")
    assert window.profiler.profile_titles() == [f"Run {result.run_id}"]


def test_the_graph_panel_follows_the_selection_and_links_to_the_profiler(window, run_code):
    window.act_profile.setChecked(True)
    run_code(window, TUTORIAL)
    window.selection.select("d")
    graph = window.graph.graph
    names = sorted(n.name for n in graph.nodes.values() if n.kind == "op")
    assert names == ["AddBackward0", "MulBackward0", "SinBackward0"]
    # profiler event -> graph node: the sin op's event selects the SinBackward0 node
    sin = next(n for n in graph.nodes.values() if n.name == "SinBackward0")
    window._on_profiler_event(sin.seq)
    assert window.graph._selected == sin.id


def test_a_small_graph_fits_when_its_tab_is_brought_to_front(window, run_code, qtbot):
    run_code(window, TUTORIAL)
    window.docks["inspector"].raise_()  # the graph's tab behind: it has no real size
    window.selection.select("out")
    window.docks["graph"].raise_()
    view = window.graph.view
    qtbot.waitUntil(lambda: view.isVisible() and view.viewport().width() > 100, timeout=3000)
    scene = view.scene().sceneRect()
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert shown.contains(scene.adjusted(1, 1, -1, -1))  # the whole graph is in view


def test_the_window_opens_without_loading_the_engine(tmp_path):
    # start-up time: the engine loads when code runs or a panel that needs it is shown
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from workbench.ui.app import create_application\n"
        "from workbench.ui.main_window import MainWindow\n"
        "app = create_application(sys.argv[:1])\n"
        "w = MainWindow(); w.show(); app.processEvents()\n"
        "print(sorted(m for m in sys.modules if m.startswith('workbench.engine'))[:3])\n"
        "w.close()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
        env={
            **__import__("os").environ,
            "QT_QPA_PLATFORM": "offscreen",
            "WORKBENCH_SETTINGS": str(tmp_path / "settings.ini"),
            "WORKBENCH_RECOVERY_DIR": str(tmp_path / "recovery"),
        },
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_training_runs_travel_with_the_session(window, qtbot, tmp_path, monkeypatch):
    panel = window.training  # built on first use
    panel.start()
    qtbot.waitUntil(
        lambda: panel.current_run is not None and bool(panel.current_run.history.steps),
        timeout=20_000,
    )
    panel.stop()
    qtbot.waitUntil(lambda: panel.state == "idle", timeout=20_000)
    steps = len(panel.runs()[-1].history.steps)
    assert steps > 0
    assert window._save_session_to(tmp_path / "train.wbsession")
    from workbench.session.files import load_session

    doc = load_session(tmp_path / "train.wbsession")
    assert len(doc.training_runs) == 1
    assert len(doc.training_runs[0].history["steps"]) == steps
    assert doc.training_runs[0].weights  # the final weights, by state_dict key


def test_profile_the_next_training_steps_into_the_profiler(window, qtbot):
    panel = window.training
    panel.start()
    qtbot.waitUntil(lambda: panel.current_run is not None, timeout=20_000)
    panel.profile_next(5)
    qtbot.waitUntil(lambda: window.profiler.title.startswith("Training steps"), timeout=30_000)
    panel.stop()
    qtbot.waitUntil(lambda: panel.state == "idle", timeout=20_000)
    first, last = (int(n) for n in window.profiler.title.split()[-1].split("–"))
    assert last - first == 4
    averages = window.profiler.averages
    calls = dict(zip(averages.name, averages.count.tolist()))
    assert calls["AddmmBackward0"] == 5 * 3  # three Linear layers, five steps
