"""The profiler's op table: PyTorch's key-averages columns as a sortable, filterable Qt table.

Cells show times the way PyTorch's table prints them ("12.345us", "1.234ms") but sort on the
numbers underneath (`SORT_ROLE`). Names are never elided: the column grows to fit and the full
text is in the tooltip. Ctrl+C copies the selected rows as tab-separated text.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from workbench.trace.averages import OpAverages
from workbench.trace.structure import Kind
from workbench.ui.theme import Theme, current_theme

__all__ = [
    "SORT_ROLE",
    "OpTableModel",
    "OpTableView",
    "format_share",
    "format_time",
    "kind_colour",
    "kind_icon",
]

SORT_ROLE = Qt.ItemDataRole.UserRole
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def format_time(us: float) -> str:
    """PyTorch's table's time format: 3 decimals in us, ms or s."""
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def format_share(us: float, total: float) -> str:
    return "NaN" if total == 0 else f"{us * 100.0 / total:.2f}%"


def kind_colour(kind: int, theme: Theme | None = None) -> QColor:
    """The colour of an event kind, shared by the table's markers and the timeline's bars."""
    theme = theme or current_theme()
    series = theme.series
    colours = {
        Kind.FORWARD: theme.value,
        Kind.BACKWARD: theme.grad,
        Kind.USER: series[3] if len(series) > 3 else theme.success,
        Kind.DEVICE: series[4] if len(series) > 4 else theme.warning,
        Kind.OTHER: series[5] if len(series) > 5 else theme.muted,
    }
    return QColor(colours.get(int(kind), theme.muted))


_icons: dict[tuple[str, int], QIcon] = {}


def kind_icon(kind: int) -> QIcon:
    """A small rounded square in the kind's colour: the table row's link to the timeline."""
    theme = current_theme()
    key = (theme.name, int(kind))
    if key not in _icons:
        pixmap = QPixmap(12, 12)
        pixmap.fill(Qt.GlobalColor.transparent)
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(kind_colour(kind, theme))
        p.drawRoundedRect(1, 1, 10, 10, 2.5, 2.5)
        p.end()
        _icons[key] = QIcon(pixmap)
    return _icons[key]


@dataclass(frozen=True)
class Column:
    header: str
    csv_header: str
    value: Callable[[OpAverages, int], object]  # the number (or text) the column sorts on
    text: Callable[[OpAverages, int], str]
    numeric: bool = True


def _count_text(a: OpAverages, i: int) -> str:
    return str(a.count[i])


def columns_for(avg: OpAverages) -> list[Column]:
    """PyTorch's columns for this table: device ones when it has device times, the shapes
    column when grouped by shape."""
    total = avg.self_cpu_time_total

    def time_col(header, array):
        return Column(
            header,
            f"{header} (us)",
            lambda a, i: float(array(a)[i]),
            lambda a, i: format_time(float(array(a)[i])),
        )

    def share_col(header, array, denominator):
        return Column(
            header,
            header,
            lambda a, i: 0.0 if denominator == 0 else float(array(a)[i]) * 100.0 / denominator,
            lambda a, i: format_share(float(array(a)[i]), denominator),
        )

    cols = [
        Column("Name", "Name", lambda a, i: a.name[i], lambda a, i: a.name[i], numeric=False),
        share_col("Self CPU %", lambda a: a.self_cpu_us, total),
        time_col("Self CPU", lambda a: a.self_cpu_us),
        share_col("CPU total %", lambda a: a.cpu_total_us, total),
        time_col("CPU total", lambda a: a.cpu_total_us),
        time_col("CPU time avg", lambda a: a.cpu_avg_us),
    ]
    if avg.has_device_times:
        dev = avg.device
        dev_total = avg.self_device_time_total
        cols += [
            time_col(f"Self {dev}", lambda a: a.self_device_us),
            share_col(f"Self {dev} %", lambda a: a.self_device_us, dev_total),
            time_col(f"{dev} total", lambda a: a.device_total_us),
            time_col(f"{dev} time avg", lambda a: a.device_avg_us),
        ]
    cols.append(
        Column(
            "# of Calls", "# of Calls", lambda a, i: int(a.count[i]), lambda a, i: str(a.count[i])
        )
    )
    if avg.input_shapes is not None:
        cols.append(
            Column(
                "Input Shapes",
                "Input Shapes",
                lambda a, i: a.input_shapes[i],
                lambda a, i: a.input_shapes[i],
                numeric=False,
            )
        )
    return cols


class OpTableModel(QAbstractTableModel):
    """Rows of an `OpAverages`; Display is PyTorch's text, `SORT_ROLE` the number."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.averages: OpAverages | None = None
        self.columns: list[Column] = []

    def set_averages(self, avg: OpAverages | None) -> None:
        self.beginResetModel()
        self.averages = avg
        self.columns = columns_for(avg) if avg is not None else []
        self.endResetModel()

    def rowCount(self, parent=None) -> int:
        return (
            0
            if (parent is not None and parent.isValid()) or self.averages is None
            else len(self.averages)
        )

    def columnCount(self, parent=None) -> int:
        return 0 if (parent is not None and parent.isValid()) else len(self.columns)

    def column_index(self, header: str) -> int:
        return next((k for k, c in enumerate(self.columns) if c.header == header), -1)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.averages is None:
            return None
        avg, row, col = self.averages, index.row(), self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.text(avg, row)
        if role == SORT_ROLE:
            return col.value(avg, row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT if col.numeric else LEFT
        if role == Qt.ItemDataRole.ToolTipRole and not col.numeric:
            tip = avg.name[row]
            if avg.input_shapes is not None:
                tip += f"\nInput shapes: {avg.input_shapes[row]}"
            return tip
        if role == Qt.ItemDataRole.DecorationRole and index.column() == 0:
            return kind_icon(int(avg.kind[row]))
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].header
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT if self.columns[section].numeric else LEFT
        return None

    def row_texts(self, row: int) -> list[str]:
        return [c.text(self.averages, row) for c in self.columns]

    def row_values(self, row: int) -> list:
        """A row for CSV: numbers as numbers (µs, percent), text as text."""
        out = []
        for c in self.columns:
            v = c.value(self.averages, row)
            out.append(round(v, 6) if isinstance(v, float) else v)
        return out

    def refresh_decorations(self) -> None:
        """Repaint the kind markers (after a theme switch)."""
        if self.rowCount():
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(self.rowCount() - 1, 0),
                [Qt.ItemDataRole.DecorationRole],
            )


class OpFilterProxy(QSortFilterProxyModel):
    """Sorts on the numbers and filters on the name (and the shapes, when shown)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._needle = ""

    def set_needle(self, text: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9 deprecates invalidateFilter
            self.beginFilterChange()
            self._needle = text.strip().lower()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._needle = text.strip().lower()
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:
        if not self._needle:
            return True
        avg = self.sourceModel().averages
        if avg is None:
            return True
        hay = avg.name[source_row]
        shapes = getattr(avg, "input_shapes", None)  # the compare view's rows have none
        if shapes is not None:
            hay += " " + shapes[source_row]
        return self._needle in hay.lower()


class OpTableView(QTableView):
    """The table view: whole rows selected, names never elided, Ctrl+C copies rows as TSV."""

    copied = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setWordWrap(False)
        self.setSortingEnabled(True)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(24)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setHighlightSections(False)
        header.setSortIndicatorShown(True)
        # The app's style draws the sort arrow over right-aligned header text: it goes in a
        # margin of its own on the left instead.
        header.setStyleSheet(
            "QHeaderView::section { padding: 3px 8px 3px 18px; }"
            "QHeaderView::up-arrow, QHeaderView::down-arrow { subcontrol-origin: margin;"
            " subcontrol-position: center left; width: 8px; height: 8px; left: 5px; }"
        )

    def fit_columns(self) -> None:
        """Every column as wide as its widest cell (the name column included: no eliding)."""
        self.resizeColumnsToContents()
        header = self.horizontalHeader()
        for k in range(header.count()):
            header.resizeSection(k, header.sectionSize(k) + 12)

    def selected_source_rows(self) -> list[int]:
        """Selected rows in the order shown, as rows of the source model."""
        proxy = self.model()
        rows = sorted({i.row() for i in self.selectionModel().selectedRows()})
        return [proxy.mapToSource(proxy.index(r, 0)).row() for r in rows]

    def shown_source_rows(self) -> list[int]:
        proxy = self.model()
        return [proxy.mapToSource(proxy.index(r, 0)).row() for r in range(proxy.rowCount())]

    def copy_selection(self) -> str:
        """The selected rows (with the header line) as TSV, put on the clipboard."""
        source = self.model().sourceModel()
        rows = self.selected_source_rows()
        if not rows:
            return ""
        lines = ["\t".join(c.header for c in source.columns)]
        lines += ["\t".join(source.row_texts(r)) for r in rows]
        text = "\n".join(lines) + "\n"
        QGuiApplication.clipboard().setText(text)
        self.copied.emit(text)
        return text

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
            event.accept()
            return
        super().keyPressEvent(event)

    def write_csv(self, path) -> int:
        """Write the rows shown (filtered, in the shown order) to `path`; numbers stay
        numbers (times in µs). Returns the number of rows written."""
        source = self.model().sourceModel()
        rows = self.shown_source_rows()
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow([c.csv_header for c in source.columns])
            for r in rows:
                writer.writerow(source.row_values(r))
        return len(rows)
