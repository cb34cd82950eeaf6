"""Fixtures for Qt tests: every window or panel is made through `make_widget`, which closes it
at the end and fails the test if it leaked a thread, an active timer or a top-level window.
"""

from __future__ import annotations

import threading

import pytest


@pytest.fixture
def settings_path(tmp_path, monkeypatch):
    """A private QSettings file and recovery folder: tests never touch the user's."""
    path = tmp_path / "workbench-settings.ini"
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(path))
    monkeypatch.setenv("WORKBENCH_RECOVERY_DIR", str(tmp_path / "recovery"))
    return path


@pytest.fixture
def make_widget(qtbot, qapp, settings_path):
    from PySide6.QtCore import QEvent, QTimer
    from PySide6.QtWidgets import QApplication

    threads_before = set(threading.enumerate())
    toplevel_before = set(QApplication.topLevelWidgets())
    made = []

    def make(factory, *args, **kwargs):
        widget = factory(*args, **kwargs)
        made.append(widget)
        return widget

    yield make

    timers = []
    for widget in made:
        widget.close()
        timers += [
            f"{type(t.parent()).__name__}.{t.objectName() or '?'}"
            for t in widget.findChildren(QTimer)
            if t.isActive()
        ]
        widget.deleteLater()
    # deleteLater only happens when deferred deletes are delivered explicitly; without this the
    # widgets of every test pile up and each later theme switch restyles all of them.
    qapp.processEvents()
    qapp.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qapp.processEvents()

    def threads_done():
        return not (set(threading.enumerate()) - threads_before)

    try:
        qtbot.waitUntil(threads_done, timeout=3000)
    except AssertionError:
        pass
    leaked_threads = [t.name for t in set(threading.enumerate()) - threads_before]
    leaked_windows = [
        type(w).__name__
        for w in QApplication.topLevelWidgets()
        if w not in toplevel_before and w.isVisible()
    ]
    assert not timers, f"timers still running after close: {timers}"
    assert not leaked_threads, f"threads still running after close: {leaked_threads}"
    assert not leaked_windows, f"windows still open after close: {leaked_windows}"


@pytest.fixture(autouse=True)
def _gui_thread_gc():
    """As in the app (workbench/ui/gc_guard.py): no automatic collection during a UI test, so
    a worker thread never frees a Qt object; everything is collected here, on this thread."""
    import gc

    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    yield
    gc.collect()
    if was_enabled:
        gc.enable()


@pytest.fixture(autouse=True)
def _no_modal_dialogs(monkeypatch):
    """A modal dialog would wait for a click that never comes: fail instead of hanging."""
    from PySide6.QtWidgets import QDialog, QMessageBox

    def refuse(*args, **kwargs):
        raise AssertionError("a modal dialog opened in a test; replace the method that asks")

    monkeypatch.setattr(QMessageBox, "exec", refuse)
    monkeypatch.setattr(QMessageBox, "question", refuse)
    monkeypatch.setattr(QMessageBox, "warning", refuse)
    monkeypatch.setattr(QMessageBox, "critical", refuse)
    monkeypatch.setattr(QDialog, "exec", refuse)


@pytest.fixture(autouse=True)
def _light_theme_after(qapp):
    """A test that switches to dark must not leave the next test dark."""
    yield
    from workbench.ui.theme import theme_manager

    if theme_manager().mode != "system":
        theme_manager().set_mode("system")


@pytest.fixture
def window(make_widget):
    """The main window with a fresh Session, shown offscreen."""
    from workbench.ui.main_window import MainWindow

    win = make_widget(MainWindow)
    win.show()
    return win


@pytest.fixture
def run_code(qtbot):
    """Run `code` in the window's current editor tab and return the RunResult."""

    def run(win, code: str, timeout: int = 20_000):
        win.editor.current_editor().setPlainText(code)
        with qtbot.waitSignal(win.run_finished, timeout=timeout) as blocker:
            win.run_all()
        return blocker.args[0]

    return run
