"""The Profiler panel: a run's op table and timeline in one view, linked to the graph.

The window turns profiling on with a checkable "Profile" action beside Run (see
`make_profile_action`; the panel's own Profile button mirrors it through `profile_toggled` and
`set_profile_enabled`) and after a profiled run calls `show_profile(result.profile, title)`.
Every profile shown (and every trace imported) stays in the panel's list for the session, so
one can be compared with another.

Linking: clicking an event selects it, outlines every event of the same graph node (the forward
op and its backward node share the node's sequence number) and the op's table row, and emits
`event_selected(seq)` for the window to select the node in the graph panel; the window calls
`select_node(seq)` the other way. Selecting table rows outlines all their events.

Nothing here raises into Qt: a trace that cannot be read or written is reported in a message
bar at the top of the panel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedLayout,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.trace import TraceEvents, TraceReport, dump, load, validate
from workbench.trace.averages import OpAverages, key_averages
from workbench.trace.structure import Structure, node_seqs, structure
from workbench.trace.timeline import TimelineData
from workbench.ui.icons import icon
from workbench.ui.panels.profiler_compare import CompareView
from workbench.ui.panels.profiler_table import (
    OpFilterProxy,
    OpTableModel,
    OpTableView,
    format_time,
)
from workbench.ui.panels.profiler_timeline import TimelineView, format_duration
from workbench.ui.selection import Selection
from workbench.ui.theme import current_theme, theme_manager

__all__ = ["EMPTY_HINT", "ProfilerPanel", "make_profile_action"]

EMPTY_HINT = "Turn on Profile (beside Run) and run your code, or File → Import Trace"
TRACE_FILTER = "Chrome traces (*.json *.json.gz *.gz);;All files (*)"
MAX_PROFILES = 20  # profiles kept for comparison; the oldest go first


def make_profile_action(parent) -> QAction:
    """The window's checkable "Profile" action, to sit beside Run."""
    action = QAction(icon("profiler"), "Profile", parent)
    action.setCheckable(True)
    action.setToolTip(
        "Profile the next runs: record every op, backward node and block, with shapes"
    )
    return action


@dataclass
class _Profile:
    """A profile the panel has shown, with what was worked out from it (on first use)."""

    title: str
    events: TraceEvents
    _structure: Structure | None = None
    _timeline: TimelineData | None = None
    _averages: dict[bool, OpAverages] = field(default_factory=dict)

    @property
    def structure(self) -> Structure:
        if self._structure is None:
            self._structure = structure(self.events)
        return self._structure

    @property
    def timeline(self) -> TimelineData:
        if self._timeline is None:
            self._timeline = TimelineData(self.events, self.structure)
        return self._timeline

    def averages(self, by_shape: bool) -> OpAverages:
        if by_shape not in self._averages:
            self._averages[by_shape] = key_averages(self.events, by_shape, self.structure)
        return self._averages[by_shape]

    def seqs(self) -> np.ndarray:
        return node_seqs(self.events, self.structure)


class _MessageBar(QFrame):
    """A dismissable line at the top of the panel: errors, and what an export produced."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("ProfilerMessage")
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # file names and errors, verbatim
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.error = False
        self.hide()

    def show_text(self, text: str, error: bool) -> None:
        self.error = error
        self.label.setText(text)
        self.recolour()
        self.show()

    def recolour(self) -> None:
        theme = current_theme()
        colour = theme.error if self.error else theme.success
        self.setStyleSheet(
            f"#ProfilerMessage {{ border: 1px solid {colour}; border-radius: 4px;"
            f" background: {theme.base}; }}"
        )
        self.label.setStyleSheet(f"color: {colour if self.error else theme.text};")


class ProfilerPanel(QWidget):
    """The op table over the timeline, of the profile chosen in the panel's list."""

    event_selected = Signal(int)  # the graph node (seq) of the clicked event; -1: none
    profile_toggled = Signal(bool)  # the panel's Profile button was toggled

    def __init__(self, selection: Selection, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ProfilerPanel")
        self.selection = selection  # the graph panel maps nodes to tensors; kept for parity
        self._profiles: dict[str, _Profile] = {}
        self._current: _Profile | None = None
        self._syncing = False
        self._build()
        theme_manager().changed.connect(self._on_theme)
        self._on_theme()
        self._show_empty()

    # ----------------------------------------------------------------------------- building

    def _build(self) -> None:
        self.profile_button = QToolButton()
        self.profile_button.setText("Profile")
        self.profile_button.setCheckable(True)
        self.profile_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.profile_button.setToolTip("Profile the next runs (the same as Profile beside Run)")
        self.profile_button.toggled.connect(self.profile_toggled)

        self.picker = QComboBox()
        self.picker.setToolTip("The profiles shown this session")
        self.picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.picker.currentTextChanged.connect(self._pick)
        self.summary = QLabel()

        self.filter = QLineEdit(placeholderText="Filter ops")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMaximumWidth(220)
        self.filter.setMinimumWidth(110)  # "Filter ops" must stay readable in a narrow dock
        self.filter.textChanged.connect(self._apply_filter)

        self.group_by_shape = QCheckBox("Group by input shape")
        self.group_by_shape.toggled.connect(self._regroup)

        self.compare_button = QPushButton("Compare with…")
        self.compare_button.setToolTip("Compare this profile with another one, op by op")
        self.compare_menu = QMenu(self.compare_button)
        self.compare_menu.aboutToShow.connect(self._fill_compare_menu)
        self.compare_button.setMenu(self.compare_menu)

        self.export_button = QPushButton("Export")
        export = QMenu(self.export_button)
        self.act_export_csv = export.addAction("Table as CSV…", self.export_csv_dialog)
        self.act_export_trace = export.addAction("Trace (Chrome JSON)…", self.export_trace_dialog)
        self.export_button.setMenu(export)

        self.import_button = QToolButton()
        self.import_button.setAutoRaise(True)
        self.import_button.setToolTip("Import a trace: ours, or a PyTorch profiler JSON")
        self.import_button.clicked.connect(self.import_trace_dialog)

        bar = QHBoxLayout()
        bar.setSpacing(8)
        bar.addWidget(self.profile_button)
        bar.addWidget(self.picker)
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.filter)
        bar.addWidget(self.group_by_shape)
        bar.addWidget(self.compare_button)
        bar.addWidget(self.export_button)
        bar.addWidget(self.import_button)

        self.message = _MessageBar()

        # the op table, its footer (PyTorch's totals) and the compare view share the top
        self.model = OpTableModel(self)
        self.proxy = OpFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = OpTableView()
        self.table.setModel(self.proxy)
        self.table.selectionModel().selectionChanged.connect(self._on_rows_selected)
        self.footer = QLabel()
        self.footer.setTextFormat(Qt.TextFormat.RichText)
        self.footer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        ops = QWidget()
        ops_layout = QVBoxLayout(ops)
        ops_layout.setContentsMargins(0, 6, 0, 0)
        ops_layout.setSpacing(6)
        ops_layout.addWidget(self.table, 1)
        ops_layout.addWidget(self.footer)
        self.compare_view = CompareView()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(ops, "Operators")

        self.timeline = TimelineView()
        self.canvas = self.timeline.canvas
        self.canvas.event_clicked.connect(self._on_event_clicked)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(self.timeline)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)

        self.empty_icon = QLabel()
        self.empty_icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint = QLabel(EMPTY_HINT)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setWordWrap(True)
        self.empty_import = QPushButton("Import a Trace…")
        self.empty_import.clicked.connect(self.import_trace_dialog)
        empty = QWidget()
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty_icon)
        empty_layout.addWidget(self.empty_hint)
        empty_layout.addWidget(self.empty_import, 0, Qt.AlignmentFlag.AlignCenter)
        empty_layout.addStretch(1)
        self.empty = empty

        self._stack = QStackedLayout()
        self._stack.addWidget(self.empty)
        self._stack.addWidget(self.splitter)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addLayout(self._stack, 1)

    # ----------------------------------------------------------------------------- public API

    @property
    def title(self) -> str:
        """The title of the profile shown ("" for none)."""
        return self._current.title if self._current else ""

    @property
    def events(self) -> TraceEvents | None:
        return self._current.events if self._current else None

    @property
    def averages(self) -> OpAverages | None:
        return self.model.averages

    def profile_titles(self) -> list[str]:
        """The profiles shown this session (imported traces included), oldest first."""
        return list(self._profiles)

    def stored_profiles(self) -> list[tuple[str, TraceEvents]]:
        """(title, events) of every profile kept, oldest first: what a session file saves."""
        return [(p.title, p.events) for p in self._profiles.values()]

    def show_profile(self, profile_or_events, title: str) -> None:
        """Show an engine `profile` (finished) or a `TraceEvents` under `title`, and keep it
        for comparison. A title shown before is replaced."""
        if isinstance(profile_or_events, TraceEvents):
            events = profile_or_events
        else:
            try:
                events = profile_or_events.trace_events()
            except Exception as exc:  # not a finished profile: say so, never raise into Qt
                self.show_message(f"Cannot show {title}: {exc}", error=True)
                return
        previous = self.title
        self._profiles.pop(title, None)
        self._profiles[title] = _Profile(title, events)
        while len(self._profiles) > MAX_PROFILES:
            self._profiles.pop(next(iter(self._profiles)))
        self.message.hide()
        try:
            self._show(title)
        except Exception as exc:  # a trace too strange to lay out: report it, keep what was
            self._profiles.pop(title, None)
            if previous in self._profiles:
                self._show(previous)
            else:
                self._current = None
                self._show_empty()
            self._refresh_picker(self.title)
            self.show_message(f"Cannot show {title}: {exc}", error=True)
            return
        self._refresh_picker(title)

    def clear(self) -> None:
        """Forget every profile and show the empty state."""
        self._profiles.clear()
        self._current = None
        self.model.set_averages(None)
        self.canvas.set_data(None, None)
        self.compare_view.model.set_delta(None)
        self._remove_compare_tab()
        self._refresh_picker("")
        self.message.hide()
        self._show_empty()

    def set_profile_enabled(self, on: bool) -> None:
        """Mirror the window's Profile action (no `profile_toggled` echo)."""
        self.profile_button.blockSignals(True)
        self.profile_button.setChecked(on)
        self.profile_button.blockSignals(False)

    def select_node(self, seq: int) -> bool:
        """Outline the events of graph node `seq` and select their op's table row; False if the
        profile shown has none."""
        prof = self._current
        if prof is None:
            return False
        mask = prof.seqs() == seq if seq >= 0 else None
        if mask is None or not mask.any():
            self.canvas.set_highlight(None)
            self.canvas.set_selected(-1)
            self._select_rows([])
            return False
        first = int(np.flatnonzero(mask)[0])  # the forward op that made the node
        self.canvas.set_selected(-1)
        self.canvas.set_highlight(mask)
        self._select_rows([int(self.model.averages.event_row[first])])
        self.canvas.ensure_visible(first)
        return True

    def select_event(self, event: int) -> None:
        """Select event `event` (its index in the trace) as a click on it does."""
        self._on_event_clicked(event)

    def export_csv(self, path) -> bool:
        """Write the op table as shown (filtered, sorted; times in µs) to `path`."""
        if self._current is None:
            self.show_message("Nothing to export yet: profile a run first.", error=True)
            return False
        try:
            rows = self.table.write_csv(path)
        except OSError as exc:
            self.show_message(f"Could not write {Path(path).name}: {exc}", error=True)
            return False
        self.show_message(f"Wrote {rows} rows to {path}", error=False)
        return True

    def export_trace(self, path) -> TraceReport | None:
        """Write the profile shown as a Chrome trace (.json, or gzipped .json.gz) and check it
        with the validator; the report, or None after showing what went wrong."""
        if self._current is None:
            self.show_message("Nothing to export yet: profile a run first.", error=True)
            return None
        name = Path(path).name
        try:
            dump(self._current.events, path)
            report = validate(path)
        except Exception as exc:  # an unwritable path, a trace the validator rejects
            self.show_message(f"Could not export {name}: {exc}", error=True)
            return None
        self.show_message(f"Exported {name}: {report} — valid, opens in Perfetto", error=False)
        return report

    def import_trace(self, path) -> bool:
        """Show a trace file (ours or PyTorch's profiler JSON, maybe gzipped); False after
        showing why it could not be read."""
        events = self._load(path)
        if events is None:
            return False
        self.show_profile(events, self._unique_title(Path(path).name))
        return True

    def compare_with(self, title: str) -> bool:
        """Compare profile `title` (A, the baseline) with the one shown (B)."""
        other = self._profiles.get(title)
        if other is None or self._current is None:
            return False
        self.compare_view.set_profiles(
            other.title, other.averages(False), self._current.title, self._current.averages(False)
        )
        self.compare_view.set_filter(self.filter.text())
        if self.tabs.indexOf(self.compare_view) < 0:
            self.tabs.addTab(self.compare_view, "Compare")
        self.tabs.setTabText(self.tabs.indexOf(self.compare_view), f"Compare with {title}")
        self.tabs.setCurrentWidget(self.compare_view)
        return True

    def show_message(self, text: str, error: bool = True) -> None:
        self.message.show_text(text, error)

    # ----------------------------------------------------------------------------- dialogs

    def export_trace_dialog(self) -> None:
        name = (self.title or "trace").replace(" ", "_") + ".json.gz"
        path, _ = QFileDialog.getSaveFileName(self, "Export Trace", name, TRACE_FILTER)
        if path:
            self.export_trace(path)

    def import_trace_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import Trace", "", TRACE_FILTER)
        if path:
            self.import_trace(path)

    def export_csv_dialog(self) -> None:
        name = (self.title or "profile").replace(" ", "_") + ".csv"
        path, _ = QFileDialog.getSaveFileName(
            self, "Export Table as CSV", name, "CSV files (*.csv);;All files (*)"
        )
        if path:
            self.export_csv(path)

    def _compare_with_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Compare with Trace", "", TRACE_FILTER)
        if not path:
            return
        events = self._load(path)
        if events is None:
            return
        title = self._unique_title(Path(path).name)
        self._profiles[title] = _Profile(title, events)
        self._refresh_picker(self.title)
        self.compare_with(title)

    # ----------------------------------------------------------------------------- showing

    def _load(self, path) -> TraceEvents | None:
        name = Path(path).name
        try:
            events = load(path)
        except Exception as exc:  # TraceError, OSError, anything a broken file can cause
            self.show_message(f"Could not import {name}: {exc}", error=True)
            return None
        if not len(events):
            self.show_message(f"Could not import {name}: it holds no complete events", True)
            return None
        return events

    def _unique_title(self, title: str) -> str:
        base, k = title, 2
        while title in self._profiles:
            title = f"{base} ({k})"
            k += 1
        return title

    def _refresh_picker(self, current: str) -> None:
        self.picker.blockSignals(True)
        self.picker.clear()
        self.picker.addItems(list(reversed(self._profiles)))  # newest first
        self.picker.setCurrentText(current)
        self.picker.blockSignals(False)
        self.picker.setVisible(bool(self._profiles))

    def _pick(self, title: str) -> None:
        if title and title in self._profiles and title != self.title:
            self._show(title)

    def _show(self, title: str) -> None:
        prof = self._profiles[title]
        self._current = prof
        sort, order = self._sort()
        self._set_averages(prof.averages(self.group_by_shape.isChecked()), sort, order)
        self.canvas.set_data(prof.timeline, prof.events)
        self._remove_compare_tab()
        self._write_summary()
        if self._stack.currentWidget() is not self.splitter:
            # the first profile: the table gets what its rows need, up to 45%, the timeline
            # the rest
            total = max(self.splitter.height(), 400)
            rows = self.table.verticalHeader().defaultSectionSize() * (self.proxy.rowCount() + 1)
            top = min(rows + 90, int(total * 0.45))
            self.splitter.setSizes([top, total - top])
        self._stack.setCurrentWidget(self.splitter)
        for widget in (self.compare_button, self.export_button, self.filter, self.group_by_shape):
            widget.setEnabled(True)

    def _sort(self) -> tuple[str, Qt.SortOrder]:
        """The column the table is sorted on (by header) and the order; Self CPU, most first,
        before the user has chosen."""
        header = self.table.horizontalHeader()
        k = header.sortIndicatorSection()
        if 0 <= k < len(self.model.columns):
            return self.model.columns[k].header, header.sortIndicatorOrder()
        return "Self CPU", Qt.SortOrder.DescendingOrder

    def _set_averages(self, avg: OpAverages, sort_header: str, order) -> None:
        self._syncing = True
        self.model.set_averages(avg)
        column = self.model.column_index(sort_header)
        if column < 0:
            column, order = self.model.column_index("Self CPU"), Qt.SortOrder.DescendingOrder
        self.table.sortByColumn(column, order)
        self.table.fit_columns()
        self._syncing = False

    def _show_empty(self) -> None:
        self._stack.setCurrentWidget(self.empty)
        self.picker.setVisible(False)
        self.summary.setText("")
        for widget in (self.compare_button, self.export_button, self.filter, self.group_by_shape):
            widget.setEnabled(False)

    def _write_summary(self) -> None:
        prof, avg = self._current, self.model.averages
        theme = current_theme()
        tl = prof.timeline
        threads = len(tl.tracks)
        self.summary.setText(
            f"<span style='color:{theme.muted}'>{len(prof.events):,} events · "
            f"{threads} track{'s' if threads != 1 else ''} · "
            f"{format_duration(tl.duration_us)}</span>"
        )
        parts = [f"<b>Self CPU time total: {format_time(avg.self_cpu_time_total)}</b>"]
        if avg.has_device_times:
            parts.append(
                f"<b>Self {avg.device} time total: {format_time(avg.self_device_time_total)}</b>"
            )
        parts.append(f"<span style='color:{theme.muted}'>{len(avg):,} ops</span>")
        self.footer.setText(" &nbsp;·&nbsp; ".join(parts))

    def _remove_compare_tab(self) -> None:
        index = self.tabs.indexOf(self.compare_view)
        if index >= 0:
            self.tabs.removeTab(index)

    def _fill_compare_menu(self) -> None:
        self.compare_menu.clear()
        others = [t for t in reversed(self._profiles) if t != self.title]
        for title in others:
            self.compare_menu.addAction(title, lambda t=title: self.compare_with(t))
        if not others:
            self.compare_menu.addAction("No other profile yet").setEnabled(False)
        self.compare_menu.addSeparator()
        self.compare_menu.addAction("Trace File…", self._compare_with_file)

    # ----------------------------------------------------------------------------- linking

    def _apply_filter(self, text: str) -> None:
        self.proxy.set_needle(text)
        self.compare_view.set_filter(text)

    def _regroup(self, by_shape: bool) -> None:
        if self._current is None:
            return
        selected = self.canvas.selected
        self._set_averages(self._current.averages(by_shape), *self._sort())
        self._write_summary()
        if selected >= 0:
            self._select_rows([int(self.model.averages.event_row[selected])])

    def _select_rows(self, rows: list[int]) -> None:
        """Select these source rows without echoing into the timeline."""
        self._syncing = True
        self.table.clearSelection()
        for row in rows:
            if row < 0:
                continue
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            if index.isValid():
                self.table.selectRow(index.row())
                self.table.scrollTo(index)
        self._syncing = False

    def _on_rows_selected(self, *_args) -> None:
        if self._syncing or self._current is None:
            return
        rows = self.table.selected_source_rows()
        self.canvas.set_selected(-1)
        if rows:
            self.canvas.set_highlight(np.isin(self.model.averages.event_row, rows))
        else:
            self.canvas.set_highlight(None)

    def _on_event_clicked(self, event: int) -> None:
        prof = self._current
        if prof is None or not 0 <= event < len(prof.events):
            self.canvas.set_selected(-1)
            self.canvas.set_highlight(None)
            self._select_rows([])
            self.event_selected.emit(-1)
            return
        seqs = prof.seqs()
        seq = int(seqs[event])
        self.canvas.set_selected(event)
        self.canvas.set_highlight(seqs == seq if seq >= 0 else None)
        self._select_rows([int(self.model.averages.event_row[event])])
        self.canvas.ensure_visible(event)
        self.event_selected.emit(seq)

    # ----------------------------------------------------------------------------- theme

    def _on_theme(self, _theme=None) -> None:
        theme = current_theme()
        self.profile_button.setIcon(icon("profiler"))
        self.export_button.setIcon(icon("export"))
        self.import_button.setIcon(icon("open"))
        self.empty_icon.setPixmap(icon("profiler").pixmap(48, 48, QIcon.Mode.Disabled))
        self.empty_hint.setStyleSheet(f"color: {theme.muted}; font-size: 11pt;")
        self.message.recolour()
        self.model.refresh_decorations()
        if self._current is not None:
            self._write_summary()
