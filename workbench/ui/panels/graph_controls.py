"""The graph panel's bars: the toolbar above the graph, the NaN/Inf banner, the backward
step-through bar under it with the recorder that runs the engine's backward on a helper thread,
and the small icons they use.

Recording runs the user's computation (the engine's backward with hooks), so it stays off the
GUI thread; a GUI-thread timer notices the end and hands the result over as a signal.
"""

from __future__ import annotations

import html
import threading

from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QFont, QFontMetrics, QIcon, QPainter
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSlider,
    QToolButton,
    QWidget,
)

from workbench.ui.icons import icon, svg_icon
from workbench.ui.panels import graph_adapter as api
from workbench.ui.theme import Theme, current_theme

COMPACT_WIDTH = 380  # the narrowest the toolbar gets (short names, no zoom figure)

GROUP_TIP = (
    "Collapse each module into one card (click + or double-click a card to expand it; repeated "
    "blocks fold into one)"
)

POLL_MS = 33

_GLYPHS = {
    "record": '<circle cx="12" cy="12" r="7" fill="currentColor"/>',
    "reset": '<path d="M6 5v14" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>'
    '<path d="M19 6v12l-8-6z M12 6v12l-8-6z" fill="currentColor" transform="translate(1 0)"/>',
    "back": '<path d="M7 5v14" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>'
    '<path d="M18 6v12l-9-6z" fill="currentColor"/>',
    "step": '<path d="M17 5v14" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>'
    '<path d="M6 6v12l9-6z" fill="currentColor"/>',
    "play": '<path d="M8 5v14l11-7z" fill="currentColor"/>',
    "pause": '<path d="M8 5v14M16 5v14" stroke="currentColor" stroke-width="3" '
    'stroke-linecap="round"/>',
    "tb": '<path d="M12 4v14M6 12l6 6 6-6" fill="none" stroke="currentColor" stroke-width="1.8" '
    'stroke-linecap="round" stroke-linejoin="round"/>',
    "lr": '<path d="M4 12h14M12 6l6 6-6 6" fill="none" stroke="currentColor" stroke-width="1.8" '
    'stroke-linecap="round" stroke-linejoin="round"/>',
    "fit": '<path d="M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5" fill="none" stroke="currentColor" '
    'stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/>',
    "close": '<path d="M7 7l10 10M17 7L7 17" stroke="currentColor" stroke-width="1.8" '
    'stroke-linecap="round"/>',
}


def glyph(name: str, colour: str | None = None) -> QIcon:
    """A small icon drawn from `_GLYPHS`, in the theme's text colour unless told otherwise
    (muted when the button is disabled)."""
    return svg_icon(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">' + _GLYPHS[name] + "</svg>",
        colour,
    )


def tool_button(text: str = "", checkable: bool = False, tip: str = "") -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setCheckable(checkable)
    button.setAutoRaise(True)
    if tip:
        button.setToolTip(tip)
    if text:
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button


def separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.VLine)
    line.setObjectName("GraphSeparator")
    line.setFixedWidth(1)
    line.setFixedHeight(18)
    return line


class ElidedLabel(QWidget):
    """One line of text, `strong` in bold then `rest` in a second colour, elided at the right
    end when the bar is narrow (the full text is in the tooltip)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._strong = self._rest = ""
        self._colour = self._rest_colour = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_text(self, strong: str, rest: str = "", colour=None, rest_colour=None) -> None:
        self._strong, self._rest = strong, rest
        self._colour, self._rest_colour = colour, rest_colour
        self.setToolTip(strong + rest)
        self.updateGeometry()
        self.update()

    def text(self) -> str:
        return self._strong + self._rest

    def sizeHint(self) -> QSize:
        bold = QFont(self.font())
        bold.setBold(True)
        width = QFontMetrics(bold).horizontalAdvance(self._strong)
        width += self.fontMetrics().horizontalAdvance(self._rest)
        return QSize(width + 2, self.fontMetrics().height() + 4)

    def minimumSizeHint(self) -> QSize:
        return QSize(24, self.fontMetrics().height() + 4)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        theme = current_theme()
        rect = self.rect()
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        x = 0
        if self._strong:
            bold = QFont(self.font())
            bold.setBold(True)
            fm = QFontMetrics(bold)
            text = fm.elidedText(self._strong, Qt.TextElideMode.ElideRight, rect.width())
            painter.setFont(bold)
            painter.setPen(QColor(self._colour or theme.text))
            painter.drawText(rect, align, text)
            x = fm.horizontalAdvance(text)
        if self._rest and x < rect.width():
            fm = self.fontMetrics()
            text = fm.elidedText(self._rest, Qt.TextElideMode.ElideRight, rect.width() - x)
            painter.setFont(self.font())
            painter.setPen(QColor(self._rest_colour or theme.muted))
            painter.drawText(rect.adjusted(x, 0, 0, 0), align, text)
        painter.end()


class BackwardRecorder(QObject):
    """Runs `record_backward` on a helper thread, one recording at a time.

    `finished(result, error)`: `(graph, steps)` and "" on success, None and the error text
    ("RuntimeError: …") when backward raised."""

    finished = Signal(object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self._result = None
        self._poll = QTimer(self)
        self._poll.setObjectName("graph-record-poll")
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.poll)

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def start(self, tensor, names: dict, forward=None) -> bool:
        """Record a backward of `tensor`; False when a recording is already running."""
        if self._thread is not None:
            return False
        self._result = None

        def work() -> None:
            try:
                # retain_graph: the user can record again, or call backward() afterwards.
                recorded = api.record_backward(
                    tensor, names=names, forward=forward, retain_graph=True
                )
                result = ("ok", recorded)
            except BaseException as exc:  # reported in the panel, never raised on the thread
                result = ("error", exc)
            self._result = result

        self._thread = threading.Thread(target=work, name="workbench-graph-record", daemon=True)
        self._thread.start()
        self._poll.start()
        return True

    def poll(self) -> None:
        thread = self._thread
        if thread is None or thread.is_alive():
            return
        self._poll.stop()
        thread.join()
        self._thread = None
        status, payload = self._result or ("error", RuntimeError("no result"))
        self._result = None
        if status == "ok":
            self.finished.emit(payload, "")
        else:
            self.finished.emit(None, f"{type(payload).__name__}: {payload}")

    def wait(self, timeout: float = 30.0) -> None:
        """Block until the recording ends and deliver it (scripts, the CLI)."""
        if self._thread is not None:
            self._thread.join(timeout)
            self.poll()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop polling and wait for the thread (the panel is closing); nothing is delivered."""
        self._poll.stop()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


class StepBar(QFrame):
    """Record backward · reset · back · step · play · a slider over the steps · "step 4 of 11".

    It only shows state (`show_state`) and reports clicks; the panel does the stepping."""

    record_clicked = Signal()
    reset_clicked = Signal()
    back_clicked = Signal()
    step_clicked = Signal()
    play_clicked = Signal()
    exit_clicked = Signal()
    moved = Signal(int)  # the slider was dragged to a step (-1: before the first)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("GraphStepBar")
        self.record_button = QPushButton("Record backward")
        self.record_button.clicked.connect(self.record_clicked)
        self.reset_button = tool_button(tip="Back to before the first step")
        self.reset_button.clicked.connect(self.reset_clicked)
        self.back_button = tool_button(tip="Step back")
        self.back_button.clicked.connect(self.back_clicked)
        self.step_button = tool_button(tip="Run the next node")
        self.step_button.clicked.connect(self.step_clicked)
        self.play_button = tool_button(tip="Play / pause (about 3 steps a second)")
        self.play_button.clicked.connect(self.play_clicked)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setMinimum(-1)
        self.slider.setPageStep(1)
        self.slider.valueChanged.connect(self.moved)
        self.label = ElidedLabel()
        self.exit_button = tool_button(tip="Leave step-through (the gradients stay)")
        self.exit_button.clicked.connect(self.exit_clicked)
        self._playing = False
        bar = QHBoxLayout(self)
        bar.setContentsMargins(8, 6, 8, 6)
        bar.setSpacing(6)
        bar.addWidget(self.record_button)
        bar.addWidget(separator())
        for w in (self.reset_button, self.back_button, self.step_button, self.play_button):
            bar.addWidget(w)
        bar.addWidget(self.slider, 1)
        bar.addWidget(self.label)
        bar.addWidget(self.exit_button)

    def apply_theme(self, theme: Theme) -> None:
        self.record_button.setIcon(glyph("record", theme.error))
        self.reset_button.setIcon(glyph("reset"))
        self.back_button.setIcon(glyph("back"))
        self.step_button.setIcon(glyph("step"))
        self.play_button.setIcon(glyph("pause" if self._playing else "play"))
        self.exit_button.setIcon(glyph("close"))

    def set_playing(self, playing: bool) -> None:
        if playing != self._playing:
            self._playing = playing
            self.play_button.setIcon(glyph("pause" if playing else "play"))

    def show_state(
        self,
        stepper,
        record_tip: str,
        can_record: bool,
        recording: bool,
        message: str,
        error: bool = False,
    ) -> None:
        """`message` is what the label says (already worded by the panel)."""
        self.record_button.setEnabled(can_record and not recording)
        self.record_button.setToolTip(record_tip)
        self.record_button.setText("Recording…" if recording else "Record backward")
        has = stepper is not None and len(stepper) > 0
        self.exit_button.setVisible(stepper is not None)
        self.play_button.setEnabled(has)
        self.slider.setEnabled(has)
        self.back_button.setEnabled(has and stepper.position >= 0)
        self.reset_button.setEnabled(has and stepper.position >= 0)
        self.step_button.setEnabled(has and not stepper.at_end)
        self.slider.blockSignals(True)
        self.slider.setMaximum(len(stepper) - 1 if has else -1)
        self.slider.setValue(stepper.position if has else -1)
        self.slider.blockSignals(False)
        theme = current_theme()
        colour = theme.error if error else (theme.text if has or recording else theme.muted)
        self.label.set_text("", message, rest_colour=colour)


class GraphToolbar(QFrame):
    """Title · search and its count · Group by module · Saved tensors · direction · zoom · fit ·
    export. The panel connects to the widgets themselves."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("GraphToolbar")
        self.title_label = ElidedLabel()
        self.title_label.setObjectName("GraphTitle")
        self.search_box = QLineEdit(placeholderText="Search op or name")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setFixedWidth(170)
        self.search_box.setToolTip("Highlight matching nodes; Enter goes to the next one")
        self.match_label = QLabel()
        self.match_label.setMinimumWidth(54)
        self.group_button = tool_button("Group by module", checkable=True, tip=GROUP_TIP)
        self.saved_button = tool_button(
            "Saved tensors", checkable=True, tip="Show the tensors each op saved for backward"
        )
        self.direction_button = tool_button(checkable=True)
        self.zoom_label = QLabel("100 %")
        self.zoom_label.setMinimumWidth(44)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.fit_button = tool_button(tip="Fit the graph to the view (F)")
        self.export_button = tool_button(tip="Export the graph as PNG or SVG")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        self.act_export_png = QAction("Export PNG…", self)
        self.act_export_svg = QAction("Export SVG…", self)
        menu.addActions([self.act_export_png, self.act_export_svg])
        self.export_button.setMenu(menu)
        top = QHBoxLayout(self)
        top.setContentsMargins(8, 6, 8, 6)
        top.setSpacing(6)
        top.addWidget(self.title_label, 1)
        for w in (self.search_box, self.match_label, separator(), self.group_button):
            top.addWidget(w)
        for w in (self.saved_button, self.direction_button, separator(), self.zoom_label):
            top.addWidget(w)
        top.addWidget(self.fit_button)
        top.addWidget(self.export_button)
        # Below the width everything needs, the toggles get short names and the zoom figure
        # goes, so the panel still fits a narrow dock.
        self._compact = False
        self._full_width = top.minimumSize().width()

    def minimumSizeHint(self) -> QSize:
        return QSize(COMPACT_WIDTH, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:
        self.set_compact(event.size().width() < self._full_width)
        super().resizeEvent(event)

    @property
    def compact(self) -> bool:
        return self._compact

    def set_compact(self, compact: bool) -> None:
        if compact == self._compact:
            return
        self._compact = compact
        self.group_button.setText("Modules" if compact else "Group by module")
        self.saved_button.setText("Saved" if compact else "Saved tensors")
        self.search_box.setFixedWidth(110 if compact else 170)
        self.match_label.setMinimumWidth(0 if compact else 54)
        self.zoom_label.setVisible(not compact and self.search_box.isEnabled())

    def apply_theme(self, theme: Theme) -> None:
        self.fit_button.setIcon(glyph("fit"))
        self.export_button.setIcon(icon("export"))
        self.show_direction()

    def show_direction(self) -> None:
        lr = self.direction_button.isChecked()
        self.direction_button.setIcon(glyph("lr" if lr else "tb"))
        self.direction_button.setToolTip(
            "Layout: left to right (click for top to bottom)"
            if lr
            else "Layout: top to bottom (click for left to right)"
        )

    def set_graph_shown(self, shown: bool, groupable: bool) -> None:
        """Enable what needs a graph; "Group by module" only when the graph has modules."""
        for w in (
            self.search_box,
            self.saved_button,
            self.direction_button,
            self.fit_button,
            self.export_button,
        ):
            w.setEnabled(shown)
        self.zoom_label.setVisible(shown and not self._compact)
        self.group_button.setEnabled(shown and groupable)
        self.group_button.setToolTip(
            GROUP_TIP if groupable or not shown else "This graph has no modules (no nn.Module ran)"
        )


class ProvenanceBanner(QFrame):
    """ "⚠ NaN/Inf first appears at LogBackward0 — log of 0 …" with Show and close buttons."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("GraphBanner")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.show_button = QPushButton("Show")
        self.show_button.setToolTip("Select the node and bring it into view")
        self.close_button = tool_button(tip="Hide this message")
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.setSpacing(8)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.show_button)
        layout.addWidget(self.close_button)
        self._graph = self._provenance = None
        self.hide()

    def set_provenance(self, graph, provenance) -> None:
        """Explain `provenance` (a `workbench.graph.Provenance` in `graph`), or hide."""
        self._graph, self._provenance = graph, provenance
        if provenance is None or graph is None:
            self.hide()
            return
        node = graph.nodes.get(provenance.node_id)
        if node is None:
            where, message = "?", provenance.message
        else:
            where = node.name if node.kind == "op" else node.label
            message = provenance.message
            # The message starts with the node's name, which the banner's head already says.
            head = f"{where} (created at seq {node.seq}) "
            if message.startswith(head):
                message = message[len(head) :]
        t = current_theme()
        what = "a gradient" if provenance.where == "gradient" else "the values"
        self.label.setText(
            f"<span style='color:{t.error}; font-weight:600'>⚠ NaN/Inf first appears at "
            f"{html.escape(where)}</span> ({what}) — {html.escape(message)}"
        )
        self.show()

    def apply_theme(self, theme: Theme) -> None:
        self.close_button.setIcon(glyph("close"))
        if self.isVisibleTo(self.parentWidget()) if self.parentWidget() else self.isVisible():
            self.set_provenance(self._graph, self._provenance)
