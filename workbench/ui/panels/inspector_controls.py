"""The inspector's smaller widgets: the empty state, the statistics table and the picker of an
N-D tensor's 2-D slice."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.session.tensorstats import Stats, format_number
from workbench.ui.icons import icon
from workbench.ui.theme import Theme, code_font, current_theme


class FlowLayout(QLayout):
    """Lays its widgets out left to right and wraps onto further lines when narrow, so the
    slice controls of a 6-D tensor fit a narrow dock."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 12) -> None:
        super().__init__(parent)
        self._items: list = []
        self._gap = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int):
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int):
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self):
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._place(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._place(rect, apply=True)

    def sizeHint(self) -> QSize:
        shown = [item.sizeHint() for item in self._shown()]
        width = sum(h.width() for h in shown) + self._gap * max(len(shown) - 1, 0)
        return QSize(width, max((h.height() for h in shown), default=0))

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._shown():
            size = size.expandedTo(item.minimumSize())
        return size

    def _shown(self) -> list:
        return [i for i in self._items if i.widget() is None or not i.widget().isHidden()]

    def _place(self, rect: QRect, apply: bool) -> int:
        x, y, line = rect.x(), rect.y(), 0
        for item in self._shown():
            hint = item.sizeHint()
            if x > rect.x() and x + hint.width() > rect.right() + 1:
                x, y, line = rect.x(), y + line + self._gap // 2, 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._gap
            line = max(line, hint.height())
        return y + line - rect.y()


def _labelled(text: str, widget: QWidget) -> QWidget:
    group = QWidget()
    layout = QHBoxLayout(group)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(6)
    layout.addWidget(QLabel(text))
    layout.addWidget(widget)
    return group


class EvenSplitter(QSplitter):
    """Side-by-side panes that stay equal halves until the user drags the handle."""

    def __init__(self, *panes: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setChildrenCollapsible(False)
        self.setHandleWidth(12)
        for pane in panes:
            self.addWidget(pane)
        self._dragged = False
        self.splitterMoved.connect(self._on_moved)

    def _on_moved(self, *_) -> None:
        self._dragged = True

    def even_out(self) -> None:
        if not self._dragged and self.count():
            self.setSizes([max(self.width(), 2) // self.count()] * self.count())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.even_out()


class EmptyState(QWidget):
    """What the inspector shows with nothing to inspect: an icon, a hint, and why."""

    def __init__(self, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon = QLabel()
        self.hint = QLabel(hint)
        self.detail = QLabel()
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addStretch(1)
        for label in (self.icon, self.hint, self.detail):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
            layout.addWidget(label)
        layout.addStretch(1)
        self.detail.hide()

    def set_detail(self, text: str) -> None:
        self.detail.setText(text)
        self.detail.setVisible(bool(text))

    def apply_theme(self, theme: Theme) -> None:
        self.icon.setPixmap(icon("inspector").pixmap(48, 48, QIcon.Mode.Disabled))
        self.hint.setStyleSheet(f"color: {theme.text}; font-size: 11pt;")
        self.detail.setStyleSheet(f"color: {theme.muted};")


STAT_ROWS = (
    ("numel", "numel"),
    ("min", "min"),
    ("max", "max"),
    ("mean", "mean"),
    ("std", "std (unbiased)"),
    ("norm", "norm (L2)"),
    ("nan_count", "NaN count"),
    ("inf_count", "Inf count"),
    ("zero_fraction", "fraction of zeros"),
)


def stat_text(stats: Stats | None, field: str) -> str:
    if stats is None:
        return "—"
    value = getattr(stats, field)
    if field in ("numel", "nan_count", "inf_count"):
        return f"{value:,}"
    return format_number(value)


class StatsTable(QTableWidget):
    """min, max, mean, … of the value and of the gradient, side by side."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(len(STAT_ROWS), 2, parent)
        self.setHorizontalHeaderLabels(["value", "gradient"])
        self.setVerticalHeaderLabels([label for _, label in STAT_ROWS])
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QTableWidget.SelectionMode.ContiguousSelection)
        self.setAlternatingRowColors(True)
        # As big as its contents, not the whole tab: nine rows of numbers in a sea of grid lines
        # read worse than a compact card.
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.horizontalHeader().setDefaultSectionSize(170)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.verticalHeader().setMinimumWidth(130)
        self.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        self._stats: tuple[Stats | None, Stats | None] = (None, None)
        font = code_font(10)
        for row in range(len(STAT_ROWS)):
            for col in range(2):
                item = QTableWidgetItem("—")
                item.setFont(font)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.setItem(row, col, item)

    def show_stats(self, value: Stats | None, grad: Stats | None) -> None:
        self._stats = (value, grad)
        theme = current_theme()
        for col, stats in enumerate((value, grad)):
            for row, (field, _) in enumerate(STAT_ROWS):
                item = self.item(row, col)
                item.setText(stat_text(stats, field))
                bad = field in ("nan_count", "inf_count") and stats is not None
                bad = bad and getattr(stats, field) > 0
                item.setForeground(QColor(theme.error if bad else theme.text))

    def apply_theme(self, theme: Theme) -> None:
        self.setStyleSheet(
            f"QTableCornerButton::section {{ background: {theme.window}; border: none;"
            f" border-bottom: 1px solid {theme.border}; border-right: 1px solid {theme.border}; }}"
        )
        self.show_stats(*self._stats)


class SliceControls(QWidget):
    """Pick a 2-D slice of an N-D tensor: which dims are rows and columns, and the index of each
    other dim. `changed` fires after any pick; `rows`, `cols` and `index` hold the choice."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shape: tuple[int, ...] = ()
        self.rows, self.cols = 0, 1
        self.index: dict[int, int] = {}
        self.row_combo = QComboBox()
        self.col_combo = QComboBox()
        for combo in (self.row_combo, self.col_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.row_combo.setToolTip("The dim shown down the heatmap")
        self.col_combo.setToolTip("The dim shown across the heatmap")
        self.row_combo.currentIndexChanged.connect(lambda i: self._pick_dims(i, self.cols))
        self.col_combo.currentIndexChanged.connect(lambda i: self._pick_dims(self.rows, i))
        self.spins: dict[int, QSpinBox] = {}
        self._spin_groups: list[QWidget] = []
        self._flow = FlowLayout(self)
        self._flow.addWidget(_labelled("rows", self.row_combo))
        self._flow.addWidget(_labelled("cols", self.col_combo))

    def configure(self, shape: tuple[int, ...]) -> None:
        """Adopt a tensor's shape, keeping the current picks where they still fit."""
        shape = tuple(shape)
        ndim = len(shape)
        if len(self.shape) != ndim:
            self.rows, self.cols, self.index = ndim - 2, ndim - 1, {}
        self.index = {
            d: min(max(i, 0), shape[d] - 1) for d, i in self.index.items() if shape[d] > 0
        }
        self.shape = shape
        for combo in (self.row_combo, self.col_combo):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([f"dim {d} ({size})" for d, size in enumerate(shape)])
            combo.blockSignals(False)
        self._sync()

    def _pick_dims(self, rows: int, cols: int) -> None:
        if rows < 0 or cols < 0:
            return
        if rows == cols:  # picking the other combo's dim swaps the two
            rows, cols = (rows, self.rows) if rows != self.rows else (self.cols, cols)
        self.rows, self.cols = rows, cols
        self._sync()
        self.changed.emit()

    def _sync(self) -> None:
        for combo, dim in ((self.row_combo, self.rows), (self.col_combo, self.cols)):
            combo.blockSignals(True)
            combo.setCurrentIndex(dim)
            combo.blockSignals(False)
        for group in self._spin_groups:
            self._flow.removeWidget(group)
            group.deleteLater()
        self._spin_groups = []
        self.spins = {}
        for dim, size in enumerate(self.shape):
            if dim in (self.rows, self.cols):
                continue
            spin = QSpinBox()
            spin.setRange(0, max(size - 1, 0))
            spin.setValue(self.index.get(dim, 0))
            spin.setToolTip(f"Index along dim {dim} (0 to {max(size - 1, 0)})")
            spin.valueChanged.connect(lambda value, d=dim: self._pick_index(d, value))
            group = _labelled(f"dim {dim} ({size})", spin)
            self._flow.addWidget(group)
            self._spin_groups.append(group)
            self.spins[dim] = spin
        self.updateGeometry()

    def _pick_index(self, dim: int, value: int) -> None:
        self.index[dim] = value
        self.changed.emit()

    def full_index(self, row: int, col: int) -> str:
        """The N-D index of heatmap cell (row, col), e.g. "1, 0, 3, 2"."""
        parts = []
        for dim in range(len(self.shape)):
            if dim == self.rows:
                parts.append(str(row))
            elif dim == self.cols:
                parts.append(str(col))
            else:
                parts.append(str(self.index.get(dim, 0)))
        return ", ".join(parts)
