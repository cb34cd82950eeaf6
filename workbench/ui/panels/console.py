"""The Console panel: the output of runs (stdout, stderr, run headers and footers) and an input
line that sends expressions to the session, with a history walked by ↑/↓.

Traceback lines that point into an editor tab (`File "<editor: NAME>", line N`) are links: a click
emits `location_clicked(source_name, N)` and the window shows that line in the editor.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.icons import icon
from workbench.ui.theme import THEMES, Theme, code_font, current_theme, theme_manager

MAX_BLOCKS = 20_000  # endless output keeps only the newest lines
# "success" colours a finished run's footer; "echo" shows submitted input.
STREAMS = ("stdout", "stderr", "info", "echo", "success")
IDLE_PLACEHOLDER = "Evaluate an expression in the session — ↑/↓ for history"
BUSY_PLACEHOLDER = "running… (input is queued until the run ends)"

# What a traceback says about an editor buffer; the runner names buffers "<editor: NAME>".
_LOCATION = re.compile(r'File "(?P<source><editor: [^"]+>)", line (?P<line>\d+)')
_ANCHOR_SCHEME = "wb-location:"


def location_anchor(source_name: str, line: int) -> str:
    return f"{_ANCHOR_SCHEME}{line}:{quote(source_name, safe='')}"


def parse_location_anchor(anchor: str) -> tuple[str, int] | None:
    if not anchor.startswith(_ANCHOR_SCHEME):
        return None
    line, _, source = anchor[len(_ANCHOR_SCHEME) :].partition(":")
    if not line.isdigit() or not source:
        return None
    return unquote(source), int(line)


class _Output(QPlainTextEdit):
    """The read-only output; turns clicks on link-formatted text into `anchor_clicked`."""

    anchor_clicked = Signal(str)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and not self.textCursor().hasSelection():
            anchor = self.anchorAt(event.position().toPoint())
            if anchor:
                self.anchor_clicked.emit(anchor)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        super().mouseMoveEvent(event)
        over_link = bool(self.anchorAt(event.position().toPoint()))
        shape = Qt.CursorShape.PointingHandCursor if over_link else Qt.CursorShape.IBeamCursor
        self.viewport().setCursor(shape)


class ConsolePanel(QWidget):
    submitted = Signal(str)  # an expression or statement typed into the input line
    location_clicked = Signal(str, int)  # (source_name, line) of a clicked traceback line

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._history: list[str] = []
        self._history_pos = 0  # == len(history) when not walking it
        self._draft = ""  # what was typed before walking the history
        self._formats: dict[str, QTextCharFormat] = {}
        self._link_format = QTextCharFormat()

        self.output = _Output(self)
        self.output.setReadOnly(True)
        self.output.setFont(code_font())
        self.output.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.output.setMaximumBlockCount(MAX_BLOCKS)
        self.output.setUndoRedoEnabled(False)
        self.output.setFrameShape(QPlainTextEdit.Shape.NoFrame)
        self.output.document().setDocumentMargin(8)
        self.output.setStyleSheet("QPlainTextEdit { border: none; }")
        self.output.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        self.output.setMouseTracking(True)
        self.output.anchor_clicked.connect(self.handle_anchor)

        self.clear_button = QToolButton(self)
        self.clear_button.setIcon(icon("clear"))
        self.clear_button.setToolTip("Clear the console")
        self.clear_button.setAutoRaise(True)
        self.clear_button.clicked.connect(self.clear)

        self.prompt = QLabel(">>>", self)
        self.prompt.setFont(code_font())
        self.input = QLineEdit(self)
        self.input.setFont(code_font())
        self.input.setPlaceholderText(IDLE_PLACEHOLDER)
        self.input.setClearButtonEnabled(False)
        self.input.returnPressed.connect(self._submit)
        self.input.installEventFilter(self)

        input_row = QHBoxLayout()
        input_row.setContentsMargins(8, 6, 8, 6)
        input_row.setSpacing(6)
        input_row.addWidget(self.prompt)
        input_row.addWidget(self.input, 1)

        self._input_bar = QWidget(self)
        self._input_bar.setObjectName("consoleInputBar")
        self._input_bar.setLayout(input_row)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.output, 1)
        layout.addWidget(self._input_bar)
        # The clear button floats over the output's top-right corner, so the output keeps the
        # panel's full height instead of losing a row to a toolbar with one button.
        self.clear_button.raise_()

        self._apply_theme(current_theme())
        theme_manager().changed.connect(self._apply_theme)

    # -- output ---------------------------------------------------------------------------------

    def append_output(self, stream: str, text: str) -> None:
        """Append `text` as it came ("stdout", "stderr", "info" or "echo"), without a newline."""
        if not text:
            return
        fmt = self._formats.get(stream, self._formats["stdout"])
        bar = self.output.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        doc = self.output.document()
        cursor = QTextCursor(doc)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        first_block = cursor.block()
        cursor.beginEditBlock()
        cursor.insertText(text, fmt)
        if stream == "stderr" and "<editor: " in first_block.text() + text:
            # Scanning whole lines from where this text began also catches a location that
            # arrived split over two writes.
            self._link_locations(first_block)
        cursor.endEditBlock()
        if at_bottom:
            bar.setValue(bar.maximum())

    def _link_locations(self, block) -> None:
        while block.isValid():
            for match in _LOCATION.finditer(block.text()):
                start = block.position() + match.start()
                cursor = QTextCursor(self.output.document())
                cursor.setPosition(start)
                cursor.setPosition(block.position() + match.end(), QTextCursor.MoveMode.KeepAnchor)
                link = QTextCharFormat(self._link_format)
                link.setAnchor(True)
                link.setAnchorHref(location_anchor(match["source"], int(match["line"])))
                link.setToolTip(f"Show line {match['line']} in {match['source']}")
                cursor.mergeCharFormat(link)
            block = block.next()

    def _ensure_line_start(self) -> None:
        doc = self.output.document()
        if doc.characterCount() > 1 and not doc.lastBlock().text() == "":
            self.append_output("info", "\n")

    def append_run_header(self, text: str) -> None:
        """A line like "▶ Run 3 · untitled-1 · lines 1–20", set apart from the previous run."""
        self._ensure_line_start()
        if not self.output.document().isEmpty():
            self.append_output("info", "\n")
        self.append_output("info", text.rstrip("\n") + "\n")

    def append_run_footer(self, state: str, text: str) -> None:
        """A line like "✓ finished in 0.12 s"; `state` is "finished", "error" or "stopped"."""
        self._ensure_line_start()
        stream = {"finished": "success", "error": "stderr", "failed": "stderr"}.get(state, "info")
        self.append_output(stream, text.rstrip("\n") + "\n")

    def echo_input(self, code: str) -> None:
        """Show a submitted input as ">>> code" (continuation lines as "... ") before its result."""
        self._ensure_line_start()
        lines = code.rstrip("\n").splitlines() or [""]
        shown = "\n".join((">>> " if i == 0 else "... ") + line for i, line in enumerate(lines))
        self.append_output("echo", shown + "\n")

    def clear(self) -> None:
        self.output.clear()

    def text(self) -> str:
        return self.output.toPlainText()

    # -- input ----------------------------------------------------------------------------------

    def set_busy(self, busy: bool) -> None:
        """While a run is going the input stays usable but says so."""
        self.input.setPlaceholderText(BUSY_PLACEHOLDER if busy else IDLE_PLACEHOLDER)

    def history(self) -> list[str]:
        return list(self._history)

    def _submit(self) -> None:
        code = self.input.text()
        if not code.strip():
            return
        if not self._history or self._history[-1] != code:
            self._history.append(code)
        self._history_pos = len(self._history)
        self._draft = ""
        self.input.clear()
        self.submitted.emit(code)

    def history_previous(self) -> None:
        if not self._history or self._history_pos == 0:
            return
        if self._history_pos == len(self._history):
            self._draft = self.input.text()
        self._history_pos -= 1
        self.input.setText(self._history[self._history_pos])

    def history_next(self) -> None:
        if self._history_pos >= len(self._history):
            return
        self._history_pos += 1
        if self._history_pos == len(self._history):
            self.input.setText(self._draft)
        else:
            self.input.setText(self._history[self._history_pos])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.input and event.type() == QEvent.Type.KeyPress:
            if event.key() == Qt.Key.Key_Up:
                self.history_previous()
                return True
            if event.key() == Qt.Key.Key_Down:
                self.history_next()
                return True
        return super().eventFilter(watched, event)

    # -- links ----------------------------------------------------------------------------------

    def handle_anchor(self, anchor: str) -> bool:
        """Emit `location_clicked` for a traceback-location anchor; False for anything else."""
        location = parse_location_anchor(anchor)
        if location is None:
            return False
        self.location_clicked.emit(*location)
        return True

    # -- look -----------------------------------------------------------------------------------

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._place_clear_button()

    def _place_clear_button(self) -> None:
        hint = self.clear_button.sizeHint()
        bar = self.output.verticalScrollBar()
        scroll = bar.width() if bar.isVisible() else 0
        self.clear_button.setGeometry(self.width() - hint.width() - 6 - scroll, 4, *hint.toTuple())

    def _apply_theme(self, theme: Theme) -> None:
        def fmt(colour: str, italic: bool = False) -> QTextCharFormat:
            f = QTextCharFormat()
            f.setForeground(QColor(colour))
            f.setFontItalic(italic)
            return f

        self._formats = {
            "stdout": fmt(theme.text),
            "stderr": fmt(theme.error),
            "info": fmt(theme.muted),
            "echo": fmt(theme.muted),
            "success": fmt(theme.success),
        }
        link = QTextCharFormat()
        link.setForeground(QColor(theme.accent))
        link.setFontUnderline(True)
        self._link_format = link
        self.clear_button.setIcon(icon("clear"))
        self._input_bar.setStyleSheet(
            f"#consoleInputBar {{ background: {theme.window}; "
            f"border-top: 1px solid {theme.border}; }}"
        )
        self.prompt.setStyleSheet(f"color: {theme.accent}; font-weight: 600;")
        self._recolour_existing(theme)

    def _recolour_existing(self, theme: Theme) -> None:
        """Old output follows a theme switch: map each fragment's colour to the new theme's."""
        doc = self.output.document()
        if doc.isEmpty():
            return
        old_to_new = {}
        for other in (t for t in THEMES.values() if t.name != theme.name):
            for role in ("text", "error", "muted", "success", "accent"):
                old_to_new[QColor(getattr(other, role)).name()] = getattr(theme, role)
        block = doc.begin()
        cursor = QTextCursor(doc)
        cursor.beginEditBlock()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                colour = fragment.charFormat().foreground().color().name()
                if colour in old_to_new:
                    cursor.setPosition(fragment.position())
                    cursor.setPosition(
                        fragment.position() + fragment.length(), QTextCursor.MoveMode.KeepAnchor
                    )
                    recolour = QTextCharFormat()
                    recolour.setForeground(QColor(old_to_new[colour]))
                    cursor.mergeCharFormat(recolour)
                it += 1
            block = block.next()
        cursor.endEditBlock()
