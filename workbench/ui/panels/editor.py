"""The Editor panel: tabs of CodeEditors, opening and (atomically) saving files, asking what to
run, and pointing at the line of the last error.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMessageBox,
    QStackedWidget,
    QTabBar,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.panels.code_editor import CodeEditor
from workbench.ui.theme import Theme, current_theme, theme_manager

EMPTY_HINT = "No file open — File → New (Ctrl+N) or Help → Examples"
MODIFIED_MARK = " •"


class EditorPanel(QWidget):
    run_requested = Signal(str, str, int)  # code, source_name, first line (1-based)
    current_changed = Signal(object)  # the current CodeEditor, or None
    modified_changed = Signal(bool)  # whether any tab has unsaved changes

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._untitled = 0
        self._any_modified = False

        # Empty: the lead adds the window's Run / Run Selection / Stop actions.
        self.toolbar = QToolBar("Editor", self)
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)

        self.tabs = QTabWidget(self)
        # Our own close buttons: Fusion's are boxed bitmaps that ignore the theme.
        self.tabs.setTabsClosable(False)
        self.tabs.setMovable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.setElideMode(Qt.TextElideMode.ElideMiddle)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.tabs.currentChanged.connect(self._on_current_changed)

        self.empty_hint = QLabel(EMPTY_HINT, self)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setWordWrap(True)

        self._stack = QStackedWidget(self)
        self._stack.addWidget(self.empty_hint)
        self._stack.addWidget(self.tabs)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self._stack, 1)

        self._apply_theme(current_theme())
        theme_manager().changed.connect(self._apply_theme)
        self._show_empty_state()

    # -- tabs -----------------------------------------------------------------------------------

    def editors(self) -> list[CodeEditor]:
        return [self.tabs.widget(i) for i in range(self.tabs.count())]

    def current_editor(self) -> CodeEditor | None:
        return self.tabs.currentWidget()

    def new_tab(
        self, name: str | None = None, text: str = "", path: str | None = None
    ) -> CodeEditor:
        """Open a tab holding `text` (unmodified); without a name it is untitled-1, untitled-2, …"""
        if name is None:
            name = self._next_untitled()
        editor = CodeEditor(self._unique_name(name), path)
        editor.setPlainText(text)
        editor.document().setModified(False)
        editor.document().modificationChanged.connect(lambda _m, e=editor: self._on_modified(e))
        index = self.tabs.addTab(editor, editor.name)
        self.tabs.tabBar().setTabButton(
            index, QTabBar.ButtonPosition.RightSide, self._close_button(editor)
        )
        self._update_tab(editor)
        self.tabs.setCurrentIndex(index)
        self._show_empty_state()
        editor.setFocus()
        return editor

    def open_file(self, path: str | os.PathLike) -> CodeEditor:
        """Open a UTF-8 file in a tab, or switch to its tab when it is already open.

        Raises OSError (naming the file) when it cannot be read and UnicodeDecodeError when it is
        not UTF-8 text.
        """
        path = os.path.abspath(os.fspath(path))
        for editor in self.editors():
            if editor.path and _same_file(editor.path, path):
                self.tabs.setCurrentWidget(editor)
                return editor
        try:
            with open(path, encoding="utf-8") as file:
                text = file.read()
        except UnicodeDecodeError as error:
            raise UnicodeDecodeError(
                error.encoding,
                error.object,
                error.start,
                error.end,
                f"{error.reason}: {path} is not UTF-8 text",
            ) from None
        return self.new_tab(os.path.basename(path), text, path)

    def save(self, editor: CodeEditor | None = None, path: str | os.PathLike | None = None) -> str:
        """Write the tab's text to `path` (default: its own path) atomically; returns the path.

        The text goes to a temporary file beside the target, is flushed to disk, then renamed
        over the target: a crash mid-save leaves the previous file intact.
        """
        editor = editor or self.current_editor()
        if editor is None:
            raise ValueError("no editor to save")
        target = path if path is not None else editor.path
        if target is None:
            raise ValueError(f"{editor.name} has no file yet: give a path to save it to")
        target = os.path.abspath(os.fspath(target))
        atomic_write_text(target, editor.toPlainText())
        if editor.path is None or not _same_file(editor.path, target):
            editor.path = target
            editor.name = self._unique_name(os.path.basename(target), editor)
        editor.document().setModified(False)
        self._update_tab(editor)
        return target

    def close_tab(self, index: int) -> bool:
        """Close tab `index`, asking first when it has unsaved changes; False if cancelled."""
        editor = self.tabs.widget(index)
        if editor is None:
            return False
        if editor.document().isModified():
            choice = self._confirm_discard(editor)
            if choice == "cancel":
                return False
            if choice == "save":
                path = editor.path or self._ask_save_path(editor)
                if not path:
                    return False
                self.save(editor, path)
        self.tabs.removeTab(index)
        editor.deleteLater()
        self._show_empty_state()
        self._emit_modified()
        return True

    def close_all(self) -> bool:
        """Close every tab (asking about unsaved ones); False when the user cancelled one."""
        while self.tabs.count():
            if not self.close_tab(self.tabs.count() - 1):
                return False
        return True

    # -- hooks tests replace --------------------------------------------------------------------

    def _close_button(self, editor: CodeEditor) -> QToolButton:
        button = QToolButton(self.tabs)
        button.setObjectName("tabCloseButton")
        button.setAutoRaise(True)
        button.setFixedSize(18, 18)
        button.setIconSize(QSize(10, 10))
        button.setIcon(_close_icon(current_theme().muted))
        button.setToolTip("Close")
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(lambda: self.close_tab(self.tabs.indexOf(editor)))
        return button

    def _confirm_discard(self, editor: CodeEditor) -> str:
        """Ask what to do with unsaved changes: "save", "discard" or "cancel"."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Unsaved changes")
        box.setText(f"Save the changes to {editor.name} before closing?")
        box.setInformativeText("Your changes are lost if you don't save them.")
        box.setStandardButtons(
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        box.deleteLater()
        return {
            QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard",
        }.get(QMessageBox.StandardButton(answer), "cancel")

    def _ask_save_path(self, editor: CodeEditor) -> str | None:
        path, _ = QFileDialog.getSaveFileName(
            self, f"Save {editor.name}", f"{editor.name}.py", "Python files (*.py)"
        )
        return path or None

    # -- running --------------------------------------------------------------------------------

    def run_all(self) -> None:
        editor = self.current_editor()
        if editor is not None:
            self.run_requested.emit(editor.toPlainText(), editor.source_name, 1)

    def run_selection(self) -> None:
        editor = self.current_editor()
        if editor is not None:
            code, first_line = editor.selected_code()
            self.run_requested.emit(code, editor.source_name, first_line)

    def show_error(self, source_name: str, line: int) -> bool:
        """Switch to the tab whose code raised and mark `line`; False when no tab has that name."""
        for editor in self.editors():
            if editor.source_name == source_name:
                self.clear_error_markers()
                self.tabs.setCurrentWidget(editor)
                editor.set_error_line(line)
                editor.scroll_to_line(line)
                return True
        return False

    def clear_error_markers(self) -> None:
        for editor in self.editors():
            editor.set_error_line(None)

    # -- internals ------------------------------------------------------------------------------

    def _next_untitled(self) -> str:
        names = {editor.name for editor in self.editors()}
        while True:
            self._untitled += 1
            name = f"untitled-{self._untitled}"
            if name not in names:
                return name

    def _unique_name(self, name: str, editor: CodeEditor | None = None) -> str:
        """`name`, or `name (2)`, … when another tab uses it: tracebacks tell tabs apart by name."""
        taken = {e.name for e in self.editors() if e is not editor}
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{name} ({n})"
        return candidate

    def _update_tab(self, editor: CodeEditor) -> None:
        index = self.tabs.indexOf(editor)
        if index < 0:
            return
        modified = editor.document().isModified()
        self.tabs.setTabText(index, editor.name + (MODIFIED_MARK if modified else ""))
        self.tabs.setTabToolTip(index, editor.path or f"{editor.name} (not saved yet)")

    def _on_modified(self, editor: CodeEditor) -> None:
        self._update_tab(editor)
        self._emit_modified()

    def _emit_modified(self) -> None:
        modified = any(e.document().isModified() for e in self.editors())
        if modified != self._any_modified:
            self._any_modified = modified
            self.modified_changed.emit(modified)

    def _on_current_changed(self, _index: int) -> None:
        self.current_changed.emit(self.current_editor())

    def _show_empty_state(self) -> None:
        self._stack.setCurrentWidget(self.tabs if self.tabs.count() else self.empty_hint)

    def _apply_theme(self, theme: Theme) -> None:
        self.empty_hint.setStyleSheet(f"color: {theme.muted}; padding: 24px;")
        close = _close_icon(theme.muted)
        for button in self.tabs.findChildren(QToolButton, "tabCloseButton"):
            button.setIcon(close)


def _close_icon(colour: str) -> QIcon:
    """A thin ×, drawn rather than loaded so it takes the theme's colour."""
    icon = QIcon()
    for size in (10, 20):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor(colour), size / 8)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        inset = size / 5
        painter.drawLine(QPointF(inset, inset), QPointF(size - inset, size - inset))
        painter.drawLine(QPointF(size - inset, inset), QPointF(inset, size - inset))
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def _same_file(a: str, b: str) -> bool:
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write `text` as UTF-8 to `path` through a temporary file and a rename."""
    target = Path(path)
    mode = _file_mode(target)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _file_mode(target: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0o666 less the umask."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
