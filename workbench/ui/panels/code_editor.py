"""The code editor widget: a QPlainTextEdit with a line-number gutter, Python highlighting,
current-line and error-line bands, and the indentation behaviour of a Python editor.
"""

from __future__ import annotations

import re
import textwrap

from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from workbench.ui.panels.highlighter import PythonHighlighter
from workbench.ui.theme import Theme, code_font, current_theme, theme_manager

INDENT = 4
INDENT_TEXT = " " * INDENT

# The window's run/stop shortcuts: the editor must let them through instead of typing a newline.
_SHORTCUT_KEYS = {
    (Qt.KeyboardModifier.ControlModifier, Qt.Key.Key_Return),
    (Qt.KeyboardModifier.ControlModifier, Qt.Key.Key_Enter),
    (Qt.KeyboardModifier.ShiftModifier, Qt.Key.Key_Return),
    (Qt.KeyboardModifier.ShiftModifier, Qt.Key.Key_Enter),
    (Qt.KeyboardModifier.ControlModifier, Qt.Key.Key_Period),
}
_MODIFIER_MASK = (
    Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.ShiftModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.MetaModifier
)
# A line after which the block ends, so the next line goes one level out.
_BLOCK_END = re.compile(r"^\s*(return|pass|raise|break|continue)\b")

_GUTTER_PAD = 8  # space on each side of the numbers
_MARKER = 12  # room on the gutter's left for the error marker


def _key_combo(event: QKeyEvent) -> tuple[Qt.KeyboardModifier, Qt.Key]:
    return (event.modifiers() & _MODIFIER_MASK, Qt.Key(event.key()))


def is_window_shortcut(event: QKeyEvent) -> bool:
    return _key_combo(event) in _SHORTCUT_KEYS


def _leading_spaces(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


class LineNumberGutter(QWidget):
    """Paints the line numbers (and the error marker) for its CodeEditor."""

    def __init__(self, editor: CodeEditor) -> None:
        super().__init__(editor)
        self._editor = editor

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(self._editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        self._editor.paint_gutter(event)


class CodeEditor(QPlainTextEdit):
    """A Python code editor; `name` is its tab title, `path` its file (None until saved)."""

    def __init__(self, name: str = "untitled", path: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.name = name
        self.path = path
        self._error_cursor: QTextCursor | None = None
        self._error_text = ""
        self._theme = current_theme()
        self._show_current_line = True

        self.setFont(code_font())
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(INDENT * self.fontMetrics().horizontalAdvance(" "))
        # The tab widget draws the frame; a second border inside it looks doubled.
        self.setFrameShape(QPlainTextEdit.Shape.NoFrame)
        self.setStyleSheet("QPlainTextEdit { border: none; }")
        self.highlighter = PythonHighlighter(self.document())

        self._gutter = LineNumberGutter(self)
        self.blockCountChanged.connect(self._update_gutter_width)
        self.updateRequest.connect(self._update_gutter)
        self.cursorPositionChanged.connect(self._update_extra_selections)
        self.document().contentsChange.connect(self._on_contents_change)
        theme_manager().changed.connect(self._on_theme_changed)
        self._update_gutter_width()
        self._update_extra_selections()

    # -- identity -------------------------------------------------------------------------------

    @property
    def source_name(self) -> str:
        """The filename the runner gives this buffer's code, as seen in tracebacks."""
        return f"<editor: {self.name}>"

    # -- what to run ----------------------------------------------------------------------------

    def selected_code(self) -> tuple[str, int]:
        """The selection expanded to whole lines (or the current line) and its 1-based first line.

        Lines that all share an indent are dedented, so a block picked from inside a function runs.
        """
        blocks = self._selected_blocks()
        code = textwrap.dedent("\n".join(block.text() for block in blocks))
        return code, blocks[0].blockNumber() + 1

    # -- error marker ---------------------------------------------------------------------------

    def set_error_line(self, line: int | None) -> None:
        """Mark `line` (1-based) as where the last error happened; None clears the marker."""
        block = self.document().findBlockByNumber(line - 1) if line else None
        if block is None or not block.isValid():
            self._error_cursor = None
        else:
            # A cursor moves with edits above it, so the marker stays on its line.
            self._error_cursor = QTextCursor(block)
            self._error_text = block.text()
        self._update_extra_selections()
        self._gutter.update()

    def error_line(self) -> int | None:
        if self._error_cursor is None:
            return None
        return self._error_cursor.block().blockNumber() + 1

    def scroll_to_line(self, line: int) -> None:
        block = self.document().findBlockByNumber(max(0, line - 1))
        if block.isValid():
            self.setTextCursor(QTextCursor(block))
            self.centerCursor()

    def _on_contents_change(self, position: int, removed: int, added: int) -> None:
        # Highlighting also reports (position, n, n) changes without touching the text, so the
        # marker goes only when its line's text really changed.
        if self._error_cursor is None:
            return
        block = self._error_cursor.block()
        if not block.isValid() or block.text() != self._error_text:
            self.set_error_line(None)

    # -- gutter ---------------------------------------------------------------------------------

    def gutter_width(self) -> int:
        digits = max(3, len(str(max(1, self.blockCount()))))
        return _MARKER + digits * self.fontMetrics().horizontalAdvance("9") + 2 * _GUTTER_PAD

    def _update_gutter_width(self, *_) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _update_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())
        if rect.contains(self.viewport().rect()):
            self._update_gutter_width()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        area = self.contentsRect()
        self._gutter.setGeometry(QRect(area.left(), area.top(), self.gutter_width(), area.height()))

    def paint_gutter(self, event: QPaintEvent) -> None:
        theme = self._theme
        painter = QPainter(self._gutter)
        painter.fillRect(event.rect(), QColor(theme.alt_base))
        painter.setFont(self.font())
        width = self._gutter.width()
        line_height = self.fontMetrics().height()
        current = self.textCursor().blockNumber()
        error = self.error_line()
        block = self.firstVisibleBlock()
        number = block.blockNumber()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        bottom = top + round(self.blockBoundingRect(block).height())
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible() and bottom >= event.rect().top():
                if error is not None and number + 1 == error:
                    self._paint_error_marker(painter, top, line_height)
                is_current = number == current and self._show_current_line
                colour = theme.text if is_current else theme.muted
                painter.setPen(QColor(colour))
                painter.drawText(
                    0,
                    top,
                    width - _GUTTER_PAD,
                    line_height,
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    str(number + 1),
                )
            block = block.next()
            top = bottom
            bottom = top + round(self.blockBoundingRect(block).height())
            number += 1
        painter.end()

    def _paint_error_marker(self, painter: QPainter, top: int, line_height: int) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(self._theme.error))
        size = min(8, line_height - 4)
        painter.drawEllipse(_GUTTER_PAD // 2 + 1, top + (line_height - size) // 2, size, size)
        painter.restore()

    # -- bands ----------------------------------------------------------------------------------

    def set_current_line_visible(self, visible: bool) -> None:
        """Whether the current line gets its band (off for read-only previews)."""
        self._show_current_line = visible
        self._update_extra_selections()

    def _update_extra_selections(self) -> None:
        bands = []
        if self._show_current_line:
            current = QTextEdit.ExtraSelection()
            current.format.setBackground(QColor(self._theme.current_line))
            current.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            current.cursor = self.textCursor()
            current.cursor.clearSelection()
            bands.append(current)
        if self._error_cursor is not None:
            error = QTextEdit.ExtraSelection()
            error.format.setBackground(QColor(self._theme.error_line))
            error.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            error.cursor = QTextCursor(self._error_cursor.block())
            bands.append(error)
        self.setExtraSelections(bands)
        self._gutter.update()

    def _on_theme_changed(self, theme: Theme) -> None:
        self._theme = theme
        self._update_extra_selections()
        self.viewport().update()

    # -- keys -----------------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and is_window_shortcut(event):
            # Not ours: let the window's Run / Run Selection / Stop actions take it.
            event.ignore()
            return False
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        key = event.key()
        modifiers = event.modifiers() & _MODIFIER_MASK
        if is_window_shortcut(event):
            # No action took it (a bare editor): type nothing rather than a stray line break.
            event.ignore()
            return
        if key == Qt.Key.Key_Tab and not modifiers:
            self._tab()
        elif key == Qt.Key.Key_Backtab or (
            key == Qt.Key.Key_Tab and modifiers == Qt.KeyboardModifier.ShiftModifier
        ):
            self.dedent_lines()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not modifiers:
            self._newline()
        elif key == Qt.Key.Key_Backspace and not modifiers and self._backspace_indent():
            pass
        else:
            super().keyPressEvent(event)

    def _selected_blocks(self) -> list:
        """The blocks the selection touches (the current one without a selection).

        A selection that ends at the very start of a line does not take that line.
        """
        cursor = self.textCursor()
        doc = self.document()
        first = doc.findBlock(cursor.selectionStart())
        last = doc.findBlock(cursor.selectionEnd())
        if last.blockNumber() > first.blockNumber() and cursor.selectionEnd() == last.position():
            last = last.previous()
        blocks = [first]
        while blocks[-1] != last and blocks[-1].next().isValid():
            blocks.append(blocks[-1].next())
        return blocks

    def _tab(self) -> None:
        cursor = self.textCursor()
        if cursor.hasSelection():
            self.indent_lines()
            return
        column = cursor.positionInBlock()
        cursor.insertText(" " * (INDENT - column % INDENT))

    def indent_lines(self) -> None:
        """Indent every line the selection touches by one level (keeping the selection)."""
        self._edit_lines(lambda text: INDENT_TEXT if text.strip() else "", 0)

    def dedent_lines(self) -> None:
        """Remove up to one level of indentation from every line the selection touches."""
        self._edit_lines(None, INDENT)

    def _edit_lines(self, prefix_for, remove: int) -> None:
        blocks = self._selected_blocks()
        cursor = self.textCursor()
        had_selection = cursor.hasSelection()
        cursor.beginEditBlock()
        for block in blocks:
            edit = QTextCursor(block)
            if prefix_for is not None:
                edit.insertText(prefix_for(block.text()))
            else:
                count = min(remove, _leading_spaces(block.text()))
                edit.movePosition(
                    QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.KeepAnchor, count
                )
                edit.removeSelectedText()
        cursor.endEditBlock()
        if had_selection:
            # Reselect the whole lines, so a second Tab indents the same lines again.
            start = blocks[0].position()
            end_block = blocks[-1]
            end = end_block.position() + end_block.length() - 1
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            self.setTextCursor(cursor)

    def _newline(self) -> None:
        cursor = self.textCursor()
        before = cursor.block().text()[: cursor.positionInBlock()]
        indent = _leading_spaces(before) if before.strip() else len(before)
        code = before.split("#", 1)[0].rstrip() if "#" in before else before.rstrip()
        if code.endswith(":"):
            indent += INDENT
        elif _BLOCK_END.match(before):
            indent = max(0, indent - INDENT)
        cursor.beginEditBlock()
        cursor.insertText("\n" + " " * indent)
        cursor.endEditBlock()
        self.ensureCursorVisible()

    def _backspace_indent(self) -> bool:
        """Backspace in leading whitespace goes back to the previous indent level."""
        cursor = self.textCursor()
        if cursor.hasSelection():
            return False
        column = cursor.positionInBlock()
        before = cursor.block().text()[:column]
        if column == 0 or before.strip(" "):
            return False
        count = column % INDENT or INDENT
        cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, count)
        cursor.removeSelectedText()
        return True
