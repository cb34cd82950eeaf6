"""The inspector's panes: one shows a value or a gradient (a number, a line plot, a heatmap or a
message), the other a histogram. They draw what they are given; `inspector.py` decides what.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from workbench.session.tensorstats import format_number
from workbench.ui.theme import Theme, code_font, current_theme, style_plot

SYMBOLS_UP_TO = 100  # 1-D plots mark each point up to this many points
DOWNSAMPLE_FROM = 200_000  # 1-D plots longer than this are drawn downsampled

# Sequential for values; diverging and zero-centred for gradients, with a centre that sits well
# on the theme's plot background (light centre on light, dark centre on dark).
VALUE_COLOUR_MAP = "viridis"
GRAD_COLOUR_MAPS = {"light": "CET-D1A", "dark": "CET-D4"}


def colour_map(role: str, theme: Theme) -> pg.ColorMap:
    name = VALUE_COLOUR_MAP if role == "value" else GRAD_COLOUR_MAPS.get(theme.name, "CET-D1A")
    return pg.colormap.get(name)


def heatmap_levels(image: np.ndarray, role: str) -> tuple[float, float]:
    """Colour levels over the finite values: min..max for values, ±max|g| for gradients."""
    finite = image[np.isfinite(image)]
    if finite.size == 0:
        return (-1.0, 1.0)
    if role == "grad":
        m = float(np.abs(finite).max())
        return (-m, m) if m > 0 else (-1.0, 1.0)
    lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        pad = abs(lo) * 0.5 or 0.5
        return (lo - pad, hi + pad)
    return (lo, hi)


def _muted(label: QLabel, theme: Theme) -> None:
    label.setStyleSheet(f"color: {theme.muted};")


def _card(label: QLabel, theme: Theme) -> None:
    """Frame a message or number like the plots beside it, so no pane looks like a hole."""
    label.setStyleSheet(
        f"QLabel {{ background: {theme.plot_background}; border: 1px solid {theme.border};"
        f" border-radius: 4px; color: {label.property('colour') or theme.muted}; }}"
    )


class IndexAxis(pg.AxisItem):
    """An axis of row or column indices: ticks only on whole numbers."""

    def tickSpacing(self, minVal, maxVal, size):
        levels = super().tickSpacing(minVal, maxVal, size)
        whole = [(s, o) for s, o in levels if s >= 1 and float(s).is_integer()]
        return whole or [(1.0, 0.0)]


def _adopt_menus(owner: QWidget, item: pg.PlotItem) -> None:
    """Parent a plot's context menus (pyqtgraph makes them top-level) to `owner`, so they go
    when the panel goes instead of waiting for Python's cycle collector."""
    for menu in (item.ctrlMenu, item.getViewBox().menu):
        if menu is not None:
            menu.setParent(owner, menu.windowFlags())


def _plot_widget(owner: QWidget, index_axes: bool = False) -> pg.PlotWidget:
    axes = {name: IndexAxis(name) for name in ("left", "bottom")} if index_axes else None
    # No context menu: it adds ~50 widgets per plot and nothing the inspector needs.
    widget = pg.PlotWidget(axisItems=axes, enableMenu=False)
    item = widget.getPlotItem()
    _adopt_menus(owner, item)
    item.hideButtons()
    item.setContentsMargins(2, 8, 8, 2)  # room for the end ticks' labels at the edges
    for name in ("left", "bottom"):
        # Tensor values read best as they are ("0.002", "1e-05"), not as "value (x0.001)".
        item.getAxis(name).enableAutoSIPrefix(False)
    widget.setMinimumSize(120, 120)
    return widget


def _theme_plot(widget: pg.PlotWidget, theme: Theme, grid: bool = True) -> None:
    widget.setBackground(theme.plot_background)
    item = widget.getPlotItem()
    style_plot(item, theme)
    if not grid:  # grid lines over a heatmap read as cell borders
        item.showGrid(x=False, y=False)


class TensorPane(QWidget):
    """Shows one array (a tensor's value or its gradient) in the form that suits its rank.

    `kind` says what is showing: "message", "scalar", "line" or "heatmap". The plots are made
    on first use (a pyqtgraph plot costs ~10 ms and dozens of widgets). Tests and the panel
    read the pyqtgraph items directly: `curve`, `image`, `colour_bar`, `readout`.
    """

    def __init__(self, role: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.role = role  # "value" | "grad"
        self.kind = "message"
        self._image_data: np.ndarray | None = None  # the full (un-strided) 2-D slice
        self._image_shape = (0, 0)
        self._index_label: Callable[[int, int], str] = lambda r, c: f"{r}, {c}"
        self.line_plot: pg.PlotWidget | None = None
        self.curve: pg.PlotDataItem | None = None
        self.heatmap: QWidget | None = None
        self.heat_plot: pg.PlotWidget | None = None
        self.image: pg.ImageItem | None = None
        self.colour_bar: pg.ColorBarItem | None = None
        self.readout: QLabel | None = None

        self.caption = QLabel("Value" if role == "value" else "Gradient")
        bold = self.caption.font()
        bold.setBold(True)
        self.caption.setFont(bold)

        self.message = QLabel()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setMargin(12)

        self.number = QLabel()
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.number.setFont(code_font(24))

        self.stack = QStackedWidget()
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.number)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.caption)
        layout.addWidget(self.stack, 1)
        self.apply_theme(current_theme())

    def _make_line_plot(self) -> pg.PlotWidget:
        if self.line_plot is None:
            self.line_plot = _plot_widget(self)
            self.curve = pg.PlotDataItem(connect="finite")
            self.line_plot.addItem(self.curve)
            _theme_plot(self.line_plot, current_theme())
            self.stack.addWidget(self.line_plot)
        return self.line_plot

    def _make_heatmap(self) -> pg.PlotWidget:
        if self.heat_plot is None:
            self.heat_plot = _plot_widget(self, index_axes=True)
            item = self.heat_plot.getPlotItem()
            item.invertY(True)  # row 0 at the top, like a printed matrix
            self.image = pg.ImageItem(axisOrder="row-major")
            item.addItem(self.image)
            self.colour_bar = pg.ColorBarItem(
                values=(0, 1), width=14, interactive=False, colorMapMenu=False
            )
            _adopt_menus(self, self.colour_bar)
            self.colour_bar.setImageItem(self.image, insert_in=item)
            self.readout = QLabel()
            self.readout.setFont(code_font(9))
            self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.heatmap = QWidget()
            layout = QVBoxLayout(self.heatmap)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.setSpacing(4)
            layout.addWidget(self.heat_plot, 1)
            layout.addWidget(self.readout)
            self.heat_plot.scene().sigMouseMoved.connect(self.on_hover)
            self._theme_heatmap(current_theme())
            self.stack.addWidget(self.heatmap)
        return self.heat_plot

    def _show(self, kind: str, widget: QWidget) -> None:
        self.kind = kind
        self.stack.setCurrentWidget(widget)

    def set_caption(self, text: str) -> None:
        self.caption.setText(text)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        # Drop the drawn arrays: a hidden plot should not keep a large tensor's copy alive.
        if self.curve is not None:
            self.curve.setData([], [])
        if self.image is not None:
            self.image.clear()
        self._image_data = None
        self._show("message", self.message)

    def show_scalar(self, value) -> None:
        self.number.setText(format_number(value))
        self._show("scalar", self.number)

    def show_line(self, x: np.ndarray, y: np.ndarray, x_label: str, y_label: str) -> None:
        theme = current_theme()
        colour = theme.value if self.role == "value" else theme.grad
        item = self._make_line_plot().getPlotItem()
        long = len(y) > DOWNSAMPLE_FROM
        # Downsampling and clipping keep a million-point plot interactive; they need sorted x,
        # which index and the inspector's sorted x-axis tensors are.
        item.setDownsampling(ds=long, auto=long, mode="peak")
        item.setClipToView(long)
        symbols = len(y) <= SYMBOLS_UP_TO
        self.curve.setData(
            x,
            y,
            pen=pg.mkPen(colour, width=2),
            symbol="o" if symbols else None,
            symbolSize=6,
            symbolPen=pg.mkPen(colour),
            symbolBrush=pg.mkBrush(colour),
        )
        item.setLabel("bottom", x_label)
        item.setLabel("left", y_label)
        style_plot(item, theme)
        item.enableAutoRange()
        self._show("line", self.line_plot)

    def show_heatmap(
        self,
        data: np.ndarray,
        shown: np.ndarray,
        axis_labels: tuple[str, str],
        index_label: Callable[[int, int], str] | None = None,
    ) -> None:
        """`data` is the full 2-D slice (read for the hover read-out); `shown` is what is drawn,
        possibly strided; it is stretched over `data`'s extent so axes count real rows/cols."""
        theme = current_theme()
        item = self._make_heatmap().getPlotItem()
        rows, cols = data.shape
        self._image_data = data
        self._image_shape = (rows, cols)
        self._index_label = index_label or (lambda r, c: f"{r}, {c}")
        levels = heatmap_levels(shown, self.role)
        self.image.setImage(shown, autoLevels=False, levels=levels)
        # Cell (r, c) is centred on (c, r), so the whole-number ticks name rows and columns;
        # a strided image is stretched over the full extent, so ticks still count real ones.
        self.image.setRect(QRectF(-0.5, -0.5, cols, rows))
        self.colour_bar.setColorMap(colour_map(self.role, theme))
        self.colour_bar.setLevels(levels)
        item.setLabel("left", axis_labels[0])
        item.setLabel("bottom", axis_labels[1])
        self._theme_heatmap(theme)
        # The image fills the pane (no locked aspect), so a 1×1000 strip is as readable as a
        # square; limits keep panning and zooming on the matrix.
        vb = item.getViewBox()
        vb.setLimits(
            xMin=-0.5, xMax=cols - 0.5, yMin=-0.5, yMax=rows - 0.5, minXRange=1, minYRange=1
        )
        vb.setRange(xRange=(-0.5, cols - 0.5), yRange=(-0.5, rows - 0.5), padding=0)
        self.readout.setText("Hover to read a value")
        _muted(self.readout, theme)
        self._show("heatmap", self.heatmap)

    def on_hover(self, scene_pos: QPointF) -> None:
        """Show "[row, col] = value" for the cell under `scene_pos` (a scene coordinate)."""
        data = self._image_data
        if data is None or self.kind != "heatmap":
            return
        point = self.heat_plot.getPlotItem().getViewBox().mapSceneToView(scene_pos)
        row, col = math.floor(point.y() + 0.5), math.floor(point.x() + 0.5)
        rows, cols = self._image_shape
        if not (0 <= row < rows and 0 <= col < cols):
            return
        try:
            value = data[row, col].item()
        except (IndexError, ValueError):  # the array changed under a running script
            return
        self.readout.setText(f"[{self._index_label(row, col)}] = {format_number(value)}")
        self.readout.setStyleSheet(f"color: {current_theme().text};")

    def _theme_heatmap(self, theme: Theme) -> None:
        _theme_plot(self.heat_plot, theme, grid=False)
        _muted(self.readout, theme)
        for name in ("left", "right", "top", "bottom"):
            axis = self.colour_bar.getAxis(name)
            axis.setPen(theme.grid)
            axis.setTextPen(theme.plot_foreground)
        self.colour_bar.setColorMap(colour_map(self.role, theme))

    def apply_theme(self, theme: Theme) -> None:
        colour = theme.value if self.role == "value" else theme.grad
        self.caption.setStyleSheet(f"color: {colour};")
        self.number.setProperty("colour", colour)
        _card(self.number, theme)
        _card(self.message, theme)
        if self.line_plot is not None:
            _theme_plot(self.line_plot, theme)
        if self.heat_plot is not None:
            self._theme_heatmap(theme)


class HistogramPane(QWidget):
    """A histogram of a tensor's values or gradients, or a message when there is none."""

    def __init__(self, role: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.role = role
        self.kind = "message"
        self.plot: pg.PlotWidget | None = None  # made on first use, as in TensorPane
        self.bars: pg.PlotDataItem | None = None
        self.caption = QLabel("Values" if role == "value" else "Gradients")
        bold = self.caption.font()
        bold.setBold(True)
        self.caption.setFont(bold)
        self.note = QLabel()
        self.message = QLabel()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setMargin(12)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.message)
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.caption)
        top.addStretch(1)
        top.addWidget(self.note)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        self.apply_theme(current_theme())

    def _make_plot(self) -> pg.PlotWidget:
        if self.plot is None:
            self.plot = _plot_widget(self)
            self.bars = pg.PlotDataItem(stepMode="center", fillLevel=0)
            self.plot.addItem(self.bars)
            item = self.plot.getPlotItem()
            item.setLabel("left", "count")
            item.setLabel("bottom", "value" if self.role == "value" else "gradient")
            _theme_plot(self.plot, current_theme())
            self.stack.addWidget(self.plot)
        return self.plot

    def show_message(self, text: str) -> None:
        self.kind = "message"
        self.message.setText(text)
        self.note.setText("")
        if self.bars is not None:
            self.bars.setData([], [])
        self.stack.setCurrentWidget(self.message)

    def show_histogram(self, counts: np.ndarray, edges: np.ndarray, note: str = "") -> None:
        self.kind = "histogram"
        plot = self._make_plot()
        self.bars.setData(edges, counts)
        self._colour_bars(current_theme())
        self.note.setText(note)
        plot.getPlotItem().enableAutoRange()
        self.stack.setCurrentWidget(plot)

    def _colour_bars(self, theme: Theme) -> None:
        colour = QColor(theme.value if self.role == "value" else theme.grad)
        fill = QColor(colour)
        fill.setAlpha(90)
        self.bars.setPen(pg.mkPen(colour, width=1.5))
        self.bars.setBrush(pg.mkBrush(fill))

    def apply_theme(self, theme: Theme) -> None:
        self.caption.setStyleSheet(f"color: {theme.value if self.role == 'value' else theme.grad};")
        _muted(self.note, theme)
        _card(self.message, theme)
        if self.plot is not None:
            _theme_plot(self.plot, theme)
            self._colour_bars(theme)
