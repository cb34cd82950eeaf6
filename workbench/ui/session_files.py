"""The window's session file: open, save, autosave, crash recovery, unsaved-changes prompts.

`workbench.session.files` does the format (no Qt); this is the part that needs a window: which
file the window edits, whether it has unsaved changes, the autosave timer, and the questions.
Dialogs go through small methods (`ask_unsaved`, `ask_restore`) that tests replace.
"""

from __future__ import annotations

import base64
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox

SESSION_SUFFIX = ".wbsession"
AUTOSAVE_MS = 60_000


def is_session_path(path) -> bool:
    return str(path).lower().endswith(SESSION_SUFFIX)


class SessionFiles(QObject):
    """Owned by the MainWindow; `window` gives it the session, the editor and the panels."""

    changed = Signal()  # the file or the unsaved state changed (the title follows)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.path: Path | None = None
        self._dirty = False
        self._autosaved_at_change = -1
        self._changes = 0
        self._autosave = None  # AutosaveManager, made on first use (it imports the format)
        self.timer = QTimer(self)
        self.timer.setObjectName("autosave")
        self.timer.setInterval(AUTOSAVE_MS)
        self.timer.timeout.connect(self.autosave)
        self.timer.start()

    # ----------------------------------------------------------------------------- state

    @property
    def dirty(self) -> bool:
        return self._dirty

    def mark_dirty(self) -> None:
        self._changes += 1
        if not self._dirty:
            self._dirty = True
            self.changed.emit()

    def mark_clean(self) -> None:
        if self._dirty:
            self._dirty = False
            self.changed.emit()

    @property
    def title(self) -> str | None:
        return self.path.name if self.path is not None else None

    # ----------------------------------------------------------------------------- documents

    def document(self):
        """The window as a SessionDocument: code, tensors, modules, captures, UI state."""
        from workbench.session.files import session_to_document

        win = self.window
        win.sync_buffers()
        return session_to_document(win.session, base=win.session.restored, ui_state=self.ui_state())

    def ui_state(self) -> dict:
        win = self.window
        return {
            "selection": win.selection.name,
            "panels": {name: dock.isVisible() for name, dock in win.docks.items()},
            "current_tab": win.editor.tabs.currentIndex(),
            "layout": base64.b64encode(bytes(win.saveState(win.layout_version))).decode("ascii"),
        }

    def apply_ui_state(self, state: dict) -> None:
        """Put back what `ui_state` saved; anything missing or malformed is skipped."""
        win = self.window
        layout = state.get("layout")
        if isinstance(layout, str):
            from PySide6.QtCore import QByteArray

            try:
                win.restoreState(QByteArray(base64.b64decode(layout)), win.layout_version)
            except (ValueError, TypeError):
                pass
        panels = state.get("panels")
        if isinstance(panels, dict):
            for name, visible in panels.items():
                dock = win.docks.get(name)
                if dock is not None and isinstance(visible, bool):
                    dock.setVisible(visible)
        tab = state.get("current_tab")
        if isinstance(tab, int) and 0 <= tab < win.editor.tabs.count():
            win.editor.tabs.setCurrentIndex(tab)
        selection = state.get("selection")
        if isinstance(selection, str) and selection:
            win.selection.select(selection)

    # ----------------------------------------------------------------------------- open/save

    def open(self, path) -> bool:
        """Replace the window's session with the one in `path`. Never runs its code."""
        from workbench.session import SessionFileError, load

        if not self.confirm_discard("opening another session"):
            return False
        try:
            session = load(path)
        except SessionFileError as exc:
            self.window.warn("Cannot open session", str(exc))
            return False
        self.window.replace_session(session)
        self.path = Path(path).resolve()
        self._dirty = False
        self.window.show_restored(session.restored)
        self.apply_ui_state(session.restored.ui_state if session.restored else {})
        self.changed.emit()
        return True

    def restore_recovery(self, path) -> bool:
        """Open a crashed process's recovery file as an unsaved session, then remove it."""
        from workbench.session import SessionFileError, load

        manager = self.autosave_manager()
        source = manager.recovery_info(path).get("source")
        try:
            session = load(path)
        except SessionFileError as exc:
            self.window.warn("Cannot restore", f"The recovery file could not be read:\n{exc}")
            return False
        self.window.replace_session(session)
        self.window.show_restored(session.restored)
        self.path = Path(source) if isinstance(source, str) and source else None
        self.apply_ui_state(session.restored.ui_state if session.restored else {})
        manager.remove(path)
        self._dirty = True  # restored work is not on disk anywhere but the recovery file
        self.changed.emit()
        return True

    def save(self, path=None) -> bool:
        """Save to `path` (or the current file) atomically; a problem shows a warning."""
        from workbench.session import SessionFileError

        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("no session file to save to; choose one with Save As")
        win = self.window
        try:
            win.sync_buffers()
            win.session.save(target, ui_state=self.ui_state(), **win.captures())
        except (OSError, SessionFileError) as exc:
            win.warn("Cannot save session", f"Could not save {target}:\n{exc}")
            return False
        self.path = target.resolve()
        for editor in win.editor.editors():
            if editor.path is None:  # its only copy is in the session file
                editor.document().setModified(False)
        self._dirty = False
        if self._autosave is not None:
            self._autosave.source = str(self.path)
        self.changed.emit()
        return True

    # ----------------------------------------------------------------------------- autosave

    def autosave_manager(self):
        if self._autosave is None:
            from workbench.session.files import AutosaveManager

            self._autosave = AutosaveManager(interval=AUTOSAVE_MS / 1000)
            self._autosave.source = str(self.path) if self.path else None
        return self._autosave

    def autosave(self) -> None:
        """Write the recovery file when something changed since the last one."""
        if not self._dirty or self._autosaved_at_change == self._changes:
            return
        if self.window.controller.busy:
            return  # a run may be changing the namespace under us; the next tick saves
        from workbench.session import SessionFileError

        manager = self.autosave_manager()
        try:
            manager.save_now(self.document())
        except (OSError, SessionFileError) as exc:  # autosave must never break the app
            manager.last_error = exc
            return
        manager.last_error = None
        self._autosaved_at_change = self._changes

    def close(self) -> None:
        """A clean exit: stop the timer and delete this process's recovery file."""
        self.timer.stop()
        if self._autosave is not None:
            self._autosave.discard()

    def offer_recovery(self) -> bool:
        """At launch: if a crashed Workbench left a recovery file, offer to restore it."""
        from workbench.session.files import AutosaveManager

        path = AutosaveManager().latest_recovery()
        if path is None:
            return False
        info = AutosaveManager().recovery_info(path)
        if not self.ask_restore(path, info):
            AutosaveManager().remove(path)
            return False
        return self.restore_recovery(path)

    # ----------------------------------------------------------------------------- questions

    def confirm_discard(self, doing: str) -> bool:
        """True when there is nothing unsaved, or the user saved or chose to discard it."""
        if not self._dirty:
            return True
        answer = self.ask_unsaved(doing)
        if answer == "save":
            if self.path is None:
                return self.window.save_session_as()
            return self.save()
        return answer == "discard"

    def ask_unsaved(self, doing: str) -> str:
        name = self.title or "this session"
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Unsaved changes")
        box.setText(f"Save the changes to {name} before {doing}?")
        box.setInformativeText("Your code, tensors and runs since the last save will be lost.")
        buttons = QMessageBox.StandardButton
        box.setStandardButtons(buttons.Save | buttons.Discard | buttons.Cancel)
        box.setDefaultButton(buttons.Save)
        choice = box.exec()
        box.deleteLater()
        return {buttons.Save: "save", buttons.Discard: "discard"}.get(choice, "cancel")

    def ask_restore(self, path, info: dict) -> bool:
        saved = info.get("saved", "an unknown time")
        source = info.get("source") or "an unsaved session"
        answer = QMessageBox.question(
            self.window,
            "Restore unsaved work?",
            f"Workbench did not close normally. Restore the work autosaved at {saved} ({source})?",
        )
        return answer == QMessageBox.StandardButton.Yes
