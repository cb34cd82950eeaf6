"""Sessions in the window: save, open (never running the code), unsaved-changes questions,
damaged files, drag and drop, autosave and crash recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

CODE = "import workbench.engine as torch\nw = torch.arange(4.).reshape(2, 2)\nw.requires_grad_()\n"


def _saved_session(window, run_code, path):
    run_code(window, CODE)
    window.selection.select("w")
    assert window._save_session_to(path)
    return path


def test_save_then_open_restores_code_tensors_and_selection_without_running(
    window, run_code, make_widget, tmp_path
):
    from workbench.ui.main_window import MainWindow

    path = _saved_session(window, run_code, tmp_path / "work.wbsession")
    assert window.files.path == path.resolve() and not window.files.dirty
    assert window.windowTitle().startswith("work.wbsession —")

    other = make_widget(MainWindow)
    other.show()
    assert other.open_path(path)
    assert [e.toPlainText() for e in other.editor.editors()] == [CODE]
    assert other.session.history == []  # nothing ran
    w = other.session.namespace["w"]
    assert w.tolist() == [[0.0, 1.0], [2.0, 3.0]] and w.requires_grad
    assert "w" in other.namespace.names()
    assert other.selection.name == "w" and other.inspector.current_name == "w"
    assert not other.files.dirty


def test_unsaved_changes_are_asked_about_before_opening_another_session(
    window, run_code, tmp_path, monkeypatch
):
    first = _saved_session(window, run_code, tmp_path / "a.wbsession")
    run_code(window, "extra = 1\n")
    assert window.files.dirty and window.windowTitle().startswith("a.wbsession•")
    asked = []
    monkeypatch.setattr(window.files, "ask_unsaved", lambda doing: asked.append(doing) or "cancel")
    assert not window.open_path(first)
    assert asked == ["opening another session"]
    assert "extra" in window.session.namespace  # nothing replaced
    monkeypatch.setattr(window.files, "ask_unsaved", lambda doing: "discard")
    assert window.open_path(first)
    assert "extra" not in window.session.namespace


def test_a_damaged_session_gets_a_clear_warning_and_changes_nothing(
    window, run_code, tmp_path, monkeypatch
):
    run_code(window, "keep = 5\n")
    monkeypatch.setattr(window.files, "ask_unsaved", lambda doing: "discard")
    bad = tmp_path / "broken.wbsession"
    bad.write_bytes(b"PK\x03\x04" + os.urandom(200))
    assert not window.open_path(bad)
    assert "broken.wbsession" in window.last_warning.text()
    assert window.session.namespace["keep"] == 5


def test_dropping_a_script_opens_it(window, tmp_path):
    script = tmp_path / "dropped.py"
    script.write_text("d = 1\n")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(script))])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    window.dropEvent(event)
    assert [e.name for e in window.editor.editors()] == ["dropped.py"]


def test_autosave_writes_a_recovery_file_that_a_clean_close_removes(window, run_code, tmp_path):
    recovery = tmp_path / "recovery"
    run_code(window, "x = 1\n")
    assert window.files.dirty
    window.files.autosave()
    saved = list(recovery.glob("recovery-*.wbsession"))
    assert len(saved) == 1
    window.files.autosave()  # nothing changed since: no second write
    assert saved[0].stat().st_mtime_ns == list(recovery.glob("*.wbsession"))[0].stat().st_mtime_ns
    window.close()
    assert not list(recovery.glob("recovery-*"))


def test_after_a_crash_the_next_launch_offers_the_work_back(make_widget, tmp_path, qtbot):
    from workbench.ui.main_window import MainWindow

    recovery = tmp_path / "recovery"
    # a Workbench process that autosaves and is then killed
    child = textwrap.dedent(
        """
        import os, signal
        import numpy as np
        from workbench.session.files import AutosaveManager, SessionDocument, CodeBuffer
        doc = SessionDocument(code=[CodeBuffer("lost", "lost = 42\\n")],
                              tensors={"t": np.arange(3, dtype=np.float32)})
        AutosaveManager().save_now(doc)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    env = dict(os.environ, WORKBENCH_RECOVERY_DIR=str(recovery))
    proc = subprocess.run([sys.executable, "-c", child], env=env, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert len(list(recovery.glob("recovery-*.wbsession"))) == 1

    window = make_widget(MainWindow)
    window.show()
    offered = []
    window.files.ask_restore = lambda path, info: offered.append(info) or True
    assert window.files.offer_recovery()
    assert offered and offered[0]["pid"] > 0
    assert [e.toPlainText() for e in window.editor.editors()] == ["lost = 42\n"]
    assert window.session.namespace["t"].tolist() == [0.0, 1.0, 2.0]
    assert window.files.dirty and window.files.path is None
    assert not list(recovery.glob("recovery-*.wbsession"))  # restored: its file is gone


def test_the_example_sessions_menu_opens_the_shipped_sessions(window):
    window._fill_example_sessions()
    titles = [a.text() for a in window.example_sessions_menu.actions()]
    assert titles == ["Autograd walkthrough", "Spirals training", "Profiled loop"]
    window.example_sessions_menu.actions()[0].trigger()
    assert window.files.path.name == "10_autograd_walkthrough.wbsession"
    assert window.selection.name == "b" and window.inspector.current_name == "b"
    assert window.editor.current_editor().name == "01_derivative_of_sin.py"
    # its stored graph is shown without running anything
    assert window.graph.current_title == "out"
    assert {n.name for n in window.graph.graph.nodes.values() if n.kind == "op"} == {
        "SumBackward0", "AddBackward0", "MulBackward0", "SinBackward0",
    }  # fmt: skip
