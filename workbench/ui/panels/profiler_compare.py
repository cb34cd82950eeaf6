"""Two profiles compared: per op, calls, self and total time of each, the change and B / A.

The rows come from `workbench.trace.compare` already sorted by how much an op's self time
changed; clicking a header sorts on the numbers instead. Faster is green, slower red.
"""

from __future__ import annotations

import html
import math

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from workbench.trace.averages import OpAverages
from workbench.trace.compare import OpDelta, compare
from workbench.ui.panels.profiler_table import (
    LEFT,
    RIGHT,
    SORT_ROLE,
    Column,
    OpFilterProxy,
    OpTableModel,
    OpTableView,
    format_time,
)
from workbench.ui.theme import current_theme, theme_manager

__all__ = ["CompareModel", "CompareView", "format_delta", "format_ratio"]


def format_delta(us: float) -> str:
    """A signed time change in PyTorch's units: "+1.234ms", "−0.500us", "0"."""
    if us == 0:
        return "0"
    sign = "+" if us > 0 else "−"
    return sign + format_time(abs(us))


def format_ratio(b: float, a: float) -> str:
    if a == 0 and b == 0:
        return "—"
    if a == 0:
        return "new"
    if b == 0:
        return "gone"
    return f"{b / a:.2f}×"


def _ratio_value(d: OpDelta, i: int) -> float:
    r = float(d.ratio[i])
    return -1.0 if math.isnan(r) else r


def _columns() -> list[Column]:
    def t(header, attr):
        return Column(
            header,
            f"{header} (us)",
            lambda d, i: float(getattr(d, attr)[i]),
            lambda d, i: format_time(float(getattr(d, attr)[i])),
        )

    def delta(header, attr):
        return Column(
            header,
            f"{header} (us)",
            lambda d, i: float(getattr(d, attr)[i]),
            lambda d, i: format_delta(float(getattr(d, attr)[i])),
        )

    def calls(header, attr):
        return Column(
            header,
            header,
            lambda d, i: int(getattr(d, attr)[i]),
            lambda d, i: str(getattr(d, attr)[i]),
        )

    return [
        Column("Name", "Name", lambda d, i: d.name[i], lambda d, i: d.name[i], numeric=False),
        calls("Calls A", "count_a"),
        calls("Calls B", "count_b"),
        t("Self A", "self_a"),
        t("Self B", "self_b"),
        delta("Δ Self", "delta_self"),
        t("Total A", "total_a"),
        t("Total B", "total_b"),
        delta("Δ Total", "delta_total"),
        Column(
            "B / A",
            "Self B / A",
            _ratio_value,
            lambda d, i: format_ratio(float(d.self_b[i]), float(d.self_a[i])),
        ),
    ]


_DELTA_COLUMNS = {5, 8, 9}


class CompareModel(OpTableModel):
    """The rows of an `OpDelta`, with the op table's roles (so the same view serves): row and
    column counts, headers and row texts come from `OpTableModel`; the columns are the delta's."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.averages: OpDelta | None = None  # named so for OpFilterProxy and OpTableView
        self.columns = _columns()

    def set_delta(self, delta: OpDelta | None) -> None:
        self.beginResetModel()
        self.averages = delta
        self.endResetModel()

    @property
    def delta(self) -> OpDelta | None:
        return self.averages

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.averages is None:
            return None
        d, row, k = self.averages, index.row(), index.column()
        col = self.columns[k]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.text(d, row)
        if role == SORT_ROLE:
            return col.value(d, row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT if col.numeric else LEFT
        if role == Qt.ItemDataRole.ForegroundRole and k in _DELTA_COLUMNS:
            change = float(d.delta_self[row]) if k != 8 else float(d.delta_total[row])
            theme = current_theme()
            if change < 0:
                return QColor(theme.success)
            if change > 0:
                return QColor(theme.error)
            return QColor(theme.muted)
        if role == Qt.ItemDataRole.ToolTipRole and k == 0:
            where = (
                "only in A" if not d.in_b[row] else "only in B" if not d.in_a[row] else "in both"
            )
            return f"{d.name[row]}\n{where}"
        return None

    def row_values(self, row: int) -> list:
        return [c.value(self.averages, row) for c in self.columns]


class CompareView(QWidget):
    """A (the chosen baseline) against B (the profile shown): the delta table and totals."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title_a = self.title_b = ""
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.model = CompareModel(self)
        self.proxy = OpFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = OpTableView()
        self.table.setModel(self.proxy)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # compare's own order
        self.footer = QLabel()
        self.footer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.footer)
        theme_manager().changed.connect(self._on_theme)
        self._on_theme()

    @property
    def delta(self) -> OpDelta | None:
        return self.model.delta

    def set_profiles(self, title_a: str, a: OpAverages, title_b: str, b: OpAverages) -> OpDelta:
        self.title_a, self.title_b = title_a, title_b
        delta = compare(a, b)
        self.model.set_delta(delta)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.fit_columns()
        self._a_total, self._b_total = a.self_cpu_time_total, b.self_cpu_time_total
        self._write_texts()
        return delta

    def set_filter(self, text: str) -> None:
        self.proxy.set_needle(text)

    def _write_texts(self) -> None:
        if self.model.delta is None:
            self.heading.setText("")
            self.footer.setText("")
            return
        theme = current_theme()
        self.heading.setText(
            f"<span style='color:{theme.muted}'>A</span> <b>{html.escape(self.title_a)}</b>"
            f" &nbsp;→&nbsp; <span style='color:{theme.muted}'>B</span> "
            f"<b>{html.escape(self.title_b)}</b>"
        )
        a, b = self._a_total, self._b_total
        self.footer.setText(
            f"Self CPU time total: A {format_time(a)} · B {format_time(b)} · "
            f"Δ {format_delta(b - a)} ({format_ratio(b, a)})"
        )

    def _on_theme(self, _theme=None) -> None:
        self.footer.setStyleSheet("font-weight: 600;")
        self._write_texts()
        if self.model.rowCount():
            self.model.dataChanged.emit(
                self.model.index(0, 0),
                self.model.index(self.model.rowCount() - 1, len(self.model.columns) - 1),
            )
