"""The training panel's plots: live curves, the inside view, the decision boundary and the
predictions of a regression.

Every view draws from a run's `RunSeries` (growable NumPy arrays filled on the GUI thread from
what the worker reported) and updates existing pyqtgraph items with `setData`; long series are
decimated to a few thousand points first, so a tick costs the same at step 100 and step 100,000.
"""

from __future__ import annotations

import html
import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGraphicsItem,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.training import EpochMetrics, StepMetrics
from workbench.ui.icons import icon
from workbench.ui.panels.training_worker import HistogramSnapshot
from workbench.ui.theme import Theme, current_theme, style_plot

# A raw curve draws at most about MAX_POINTS points, a smoothed one SMOOTH_POINTS (decimated
# beyond): an antialiased wide line costs the paint in proportion to its points, and the GUI
# thread paints holding the GIL the trainer needs.
MAX_POINTS = 1600
SMOOTH_POINTS = 400
SMOOTH_WIDTH = 2
MAX_SNAPSHOTS = 240  # histogram snapshots kept per run (thinned to every other beyond)
HIST_BINS = 64
HIST_COLUMNS = 200
DEFAULT_SMOOTHING = 0.8
RAW_ALPHA = 70  # the unsmoothed curve behind the smoothed one
UPDATE_RATIO_GUIDE = 1e-3  # the rule of thumb for a healthy update-to-weight ratio


# ----- arithmetic ----------------------------------------------------------------------------


def ema(values, weight: float) -> np.ndarray:
    """TensorBoard's smoothing: an exponential moving average debiased for its zero start
    (`last / (1 - weight**count)`), stepping over non-finite values (kept as they are)."""
    out = np.empty(len(values))
    last, count = 0.0, 0
    for i, v in enumerate(np.asarray(values, dtype=np.float64).tolist()):
        if not math.isfinite(v):
            out[i] = v
            continue
        last = last * weight + (1.0 - weight) * v
        count += 1
        out[i] = last / (1.0 - weight**count)
    return out


def decimate(x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS, peaks: bool = False):
    """At most about `max_points` points of (x, y): every k-th point, or with `peaks` the
    minimum and maximum of each bucket (so a noisy raw curve keeps its envelope)."""
    n = len(x)
    if n <= max_points:
        return x, y
    if not peaks:
        k = math.ceil(n / max_points)
        xs, ys = x[::k], y[::k]
        if xs[-1] != x[-1]:  # the newest point always shows
            xs, ys = np.append(xs, x[-1]), np.append(ys, y[-1])
        return xs, ys
    buckets = max_points // 2
    k = math.ceil(n / buckets)
    m = n // k * k
    yb = y[:m].reshape(-1, k)
    with np.errstate(all="ignore"):
        lo, hi = np.nanmin(yb, axis=1), np.nanmax(yb, axis=1)
    xb = x[:m:k]
    xs = np.repeat(xb, 2)
    ys = np.column_stack([lo, hi]).ravel()
    if m < n:  # the remainder is one more bucket, ending on the newest point
        tail = y[m:]
        with np.errstate(all="ignore"):
            extra = [np.nanmin(tail), np.nanmax(tail)] if np.isfinite(tail).any() else [np.nan] * 2
        xs = np.append(xs, [x[m], x[-1]])
        ys = np.append(ys, extra)
    return xs, ys


class Series:
    """A float64 array that grows by appending (amortised doubling)."""

    def __init__(self) -> None:
        self._a = np.empty(64)
        self.n = 0

    def append(self, value) -> None:
        self.extend([value])

    def extend(self, values: list) -> None:
        """Append `values` (None reads as NaN)."""
        k = len(values)
        if self.n + k > len(self._a):
            self._a = np.resize(self._a, max(2 * len(self._a), self.n + k))
        self._a[self.n : self.n + k] = [math.nan if v is None else v for v in values]
        self.n += k

    def view(self) -> np.ndarray:
        return self._a[: self.n]

    def __len__(self) -> int:
        return self.n


class Smoother:
    """`ema` kept up to date incrementally: each call smooths only the values added since."""

    def __init__(self) -> None:
        self.weight: float | None = None
        self.out = Series()
        self._last = 0.0
        self._count = 0

    def update(self, raw: np.ndarray, weight: float) -> np.ndarray:
        if weight != self.weight:
            self.weight, self.out, self._last, self._count = weight, Series(), 0.0, 0
        for v in raw[self.out.n :].tolist():
            if math.isfinite(v):
                self._last = self._last * weight + (1.0 - weight) * v
                self._count += 1
                v = self._last / (1.0 - weight**self._count)
            self.out.append(v)
        return self.out.view()


class RunSeries:
    """A run's metrics as arrays, for the plots: per step (x = step) the batch loss and each
    layer's gradient norm and update ratio; per evaluated epoch (x = its last step) the train
    and test loss and accuracy (NaN where there is none); and histogram snapshots."""

    STEP_KEYS = ("loss",)
    EPOCH_KEYS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")

    def __init__(self, layers) -> None:
        self.layers = list(layers)
        self.step = Series()
        self.loss = Series()
        self.grad_norm = {name: Series() for name in self.layers}
        self.update_ratio = {name: Series() for name in self.layers}
        self.epoch_step = Series()
        self.epoch = {key: Series() for key in self.EPOCH_KEYS}
        self.snapshots: list[HistogramSnapshot] = []
        self._stride = 1
        self._seen = 0
        self._smoothers: dict[str, Smoother] = {}
        self.version = 0  # bumped by every extend, so views can skip a run that did not change

    @classmethod
    def from_history(cls, history) -> RunSeries:
        series = cls(history.layers)
        series.extend([*history.steps, *history.epochs])
        return series

    def extend(self, items) -> None:
        """Take in a tick's worth of metrics (in bulk: this runs on the GUI thread while the
        trainer waits for the GIL)."""
        steps = [m for m in items if type(m) is StepMetrics]
        epochs = [m for m in items if type(m) is EpochMetrics]
        if steps:
            self.step.extend([m.step for m in steps])
            self.loss.extend([m.loss for m in steps])
            for name in self.layers:
                self.grad_norm[name].extend([m.grad_norm.get(name) for m in steps])
                self.update_ratio[name].extend([m.update_ratio.get(name) for m in steps])
        if epochs:
            self.epoch_step.extend([m.step for m in epochs])
            for key in self.EPOCH_KEYS:
                self.epoch[key].extend([getattr(m, key) for m in epochs])
        for m in items:
            if type(m) is HistogramSnapshot:
                self._add_snapshot(m)
        self.version += 1

    def _add_snapshot(self, snapshot: HistogramSnapshot) -> None:
        self._seen += 1
        if self.snapshots and self.snapshots[-1].step == snapshot.step:
            self.snapshots[-1] = snapshot
            return
        if self._seen % self._stride and self.snapshots:
            return
        self.snapshots.append(snapshot)
        if len(self.snapshots) > MAX_SNAPSHOTS:
            self.snapshots = self.snapshots[::2]
            self._stride *= 2

    @property
    def steps(self) -> int:
        return self.step.n

    def has(self, key: str) -> bool:
        """Whether the epoch series `key` holds any number (accuracy: classification only)."""
        values = self.epoch[key].view()
        return bool(values.size) and bool(np.isfinite(values).any())

    def raw(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of a series: "loss", an epoch key, or "grad_norm/<layer>", "update_ratio/<…>"."""
        if key == "loss":
            return self.step.view(), self.loss.view()
        if key in self.epoch:
            return self.epoch_step.view(), self.epoch[key].view()
        kind, _, layer = key.partition("/")
        return self.step.view(), getattr(self, kind)[layer].view()

    def smoothed(self, key: str, weight: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, raw y, smoothed y)."""
        x, y = self.raw(key)
        smoother = self._smoothers.setdefault(key, Smoother())
        return x, y, smoother.update(y, weight)


def histogram_image(snapshots, layer: str, which: str, bins=HIST_BINS, columns=HIST_COLUMNS):
    """A histogram-over-time image of one layer's "weights" or "grads": (image, (first step,
    last step), (lo, hi)). `image[b, c]` is the share of values in value bin `b` at time column
    `c`, scaled so each column's fullest bin is 1 (every step stays readable however wide or
    narrow its spread); columns are evenly spaced in steps, each showing the latest snapshot
    at or before its step. The value range covers all snapshots but their outermost 1 %."""
    snaps = [s for s in snapshots if layer in getattr(s, which)]
    if not snaps:
        return None
    steps = np.array([s.step for s in snaps], dtype=np.float64)
    q = np.stack([getattr(s, which)[layer] for s in snaps]).astype(np.float64)
    inner = q[:, 1:-1] if q.shape[1] > 2 else q
    lo, hi = float(inner.min()), float(inner.max())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    if hi - lo < 1e-12:
        pad = abs(lo) * 0.1 or 1e-3
        lo, hi = lo - pad, hi + pad
    n_cols = min(len(snaps), columns)
    targets = np.linspace(steps[0], steps[-1], n_cols)
    pick = np.clip(np.searchsorted(steps, targets, side="right") - 1, 0, len(snaps) - 1)
    values = q[pick]  # (columns, quantiles)
    b = np.clip(((values - lo) / (hi - lo) * bins).astype(np.intp), 0, bins - 1)
    counts = np.zeros((n_cols, bins))
    np.add.at(counts, (np.arange(n_cols)[:, None], b), 1.0)
    # a light blur along the values: a layer of a few dozen weights reads as a distribution
    # rather than as stripes
    for _ in range(2):
        padded = np.pad(counts, ((0, 0), (1, 1)), mode="edge")
        counts = 0.25 * padded[:, :-2] + 0.5 * padded[:, 1:-1] + 0.25 * padded[:, 2:]
    counts /= np.maximum(counts.max(axis=1, keepdims=True), 1e-12)
    return counts.T**0.75, (steps[0], steps[-1]), (lo, hi)


def boundary_rgb(probs: np.ndarray, class_colours, background) -> np.ndarray:
    """A decision grid (res, res, K) as RGB: each cell the probability-weighted mix of the class
    colours, faded toward the background where the model is unsure (like Playground)."""
    colours = np.array([_rgb(c) for c in class_colours[: probs.shape[-1]]], dtype=np.float64)
    k = probs.shape[-1]
    mixed = probs @ colours
    confidence = (probs.max(axis=-1, keepdims=True) - 1.0 / k) / (1.0 - 1.0 / k)
    alpha = 0.22 + 0.5 * np.clip(confidence, 0.0, 1.0)
    bg = np.array(_rgb(background), dtype=np.float64)
    return np.clip(bg * (1.0 - alpha) + mixed * alpha, 0, 255).astype(np.uint8)


def _rgb(colour) -> tuple[int, int, int]:
    c = QColor(colour)
    return c.red(), c.green(), c.blue()


def faint(colour: str, alpha: int = RAW_ALPHA) -> QColor:
    c = QColor(colour)
    c.setAlpha(alpha)
    return c


_NICE = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_ceil(v: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten that is >= v."""
    if v <= 0 or not math.isfinite(v):
        return 1.0 if not math.isfinite(v) or v == 0 else -nice_floor(-v)
    scale = 10 ** math.floor(math.log10(v))
    return next(n * scale for n in _NICE if n * scale >= v * (1 - 1e-9))


def nice_floor(v: float) -> float:
    if v <= 0:
        return -nice_ceil(-v) if v < 0 else 0.0
    scale = 10 ** math.floor(math.log10(v))
    return next(n * scale for n in reversed(_NICE) if n * scale <= v * (1 + 1e-9))


def stable_y_range(item: pg.PlotItem, curves, log: bool = False, include=()) -> None:
    """Fit the y axis to the curves' data in steps of "nice" numbers (whole decades on a log
    axis), so that it moves only when the data outgrow it: every move redraws the axes and
    the grid, and while training the data move a little on every tick."""
    lo, hi = min(include, default=math.inf), max(include, default=-math.inf)
    for curve in curves:
        y = curve.yData
        if y is None or not len(y) or not curve.isVisible():
            continue
        finite = y[np.isfinite(y)]
        if finite.size:
            lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
    if not math.isfinite(lo):
        return
    if log:  # the data are log10 values already
        lo, hi = math.floor(lo), math.ceil(hi)
        if hi - lo < 1:
            hi = lo + 1
    else:
        span = hi - lo or abs(hi) or 1.0
        lo = 0.0 if lo >= 0 and lo < span else nice_floor(lo - 0.02 * span)
        hi = nice_ceil(hi + 0.02 * span)
    vb = item.getViewBox()
    if getattr(vb, "_stable_y", None) != (lo, hi):
        vb._stable_y = (lo, hi)
        vb.enableAutoRange(y=False)
        vb.setYRange(lo, hi, padding=0.02)


def log10(y: np.ndarray) -> np.ndarray:
    """log10 where y > 0, NaN elsewhere (a log axis has no place for the rest)."""
    with np.errstate(all="ignore"):
        return np.where(y > 0, np.log10(y), np.nan)


def curve_item(raw: bool = False) -> pg.PlotCurveItem:
    """A curve for live data. PlotCurveItem, not PlotDataItem: its setData does a fraction of
    the work. A raw curve is noise at full resolution: antialiasing it would cost most of a
    paint; a smoothed one has few points and is antialiased."""
    return pg.PlotCurveItem(connect="finite", skipFiniteCheck=True, antialias=not raw)


NO_CACHE = QGraphicsItem.CacheMode.NoCache
DEVICE_CACHE = QGraphicsItem.CacheMode.DeviceCoordinateCache


def is_live(run) -> bool:
    return getattr(run, "state", "") in ("running", "paused")


def planned_steps(run) -> int:
    """The steps a run will have done when it ends (as many as it did, for a stored run)."""
    trainer = getattr(run, "trainer", None)
    if trainer is not None and run.state in ("running", "paused", "idle"):
        return max(trainer.total_steps, 1)
    series = getattr(run, "series", None)
    done = int(series.step.view()[-1]) if series is not None and series.steps else 0
    return max(done, 1)


def run_colour(theme: Theme, number: int) -> str:
    return theme.series[(number - 1) % len(theme.series)]


# ----- shared widgets ------------------------------------------------------------------------


class LogAxis(pg.AxisItem):
    """An axis that, in log mode, labels the decades only (and 2 and 5 between them when the
    view spans less than a decade and a half): pyqtgraph's default labels every minor tick,
    which piles up into an unreadable column."""

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        strings = super().logTickStrings(values, scale, spacing)
        lo, hi = self.range
        narrow = abs(hi - lo) < 1.5
        out = []
        for v, text in zip(values, strings, strict=True):
            mantissa = round(10 ** (v - math.floor(v + 1e-9)), 3)
            keep = math.isclose(mantissa, 1.0) or (narrow and mantissa in (2.0, 5.0))
            out.append(text if keep else "")
        return out


class LightGrid:
    """Major grid lines as one pairs-connected curve behind the data. pyqtgraph's own grid (the
    axes' ticks stretched across the plot) costs ~20 ms a paint at 800×300 offscreen; this ~1 ms,
    which is what leaves the GIL to the training thread while the curves redraw 30× a second."""

    def __init__(self, item: pg.PlotItem) -> None:
        self.plot_item = item
        self.curve = pg.PlotCurveItem(connect="pairs", antialias=False)
        self.curve.setZValue(-100)
        item.addItem(self.curve, ignoreBounds=True)
        item.getViewBox().sigRangeChanged.connect(self.update)
        item.getViewBox().sigResized.connect(self.update)
        self.visible = True

    def set_visible(self, on: bool) -> None:
        self.visible = on
        self.curve.setVisible(on)
        self.update()

    def _ticks(self, name: str, lo: float, hi: float, size: float) -> list[float]:
        if size <= 0 or not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
            return []
        axis = self.plot_item.getAxis(name)
        levels = axis.tickValues(lo, hi, size)
        values = [v for v in (levels[0][1] if levels else []) if lo <= v <= hi]
        if axis.logMode:  # decades only: a line at every 2, 3, … 9 is a comb, not a grid
            values = [v for v in values if abs(v - round(v)) < 1e-6]
        return values

    def update(self, *_args) -> None:
        if not self.visible:
            return
        vb = self.plot_item.getViewBox()
        (x0, x1), (y0, y1) = vb.viewRange()
        xs = self._ticks("bottom", x0, x1, vb.width())
        ys = self._ticks("left", y0, y1, vb.height())
        px = np.concatenate([np.repeat(xs, 2), np.tile([x0, x1], len(ys))])
        py = np.concatenate([np.tile([y0, y1], len(xs)), np.repeat(ys, 2)])
        self.curve.setData(px, py, connect="pairs")

    def set_colour(self, colour: str) -> None:
        self.curve.setPen(pg.mkPen(colour, width=1))


class PaintClock:
    """The CPU seconds the GUI thread has spent painting the panel's plots. PySide holds the
    GIL through Qt's drawing calls, so this is time taken from a training thread: the panel
    spaces its redraws by it. CPU time, not wall time: a paint that waits for the GIL while
    the trainer runs costs the trainer nothing for the wait."""

    seconds = 0.0


class _PlotWidget(pg.PlotWidget):
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        start = time.thread_time()
        super().paintEvent(event)
        PaintClock.seconds += time.thread_time() - start


def make_plot(
    owner: QWidget, left: str = "", bottom: str = "step", grid: bool = True
) -> pg.PlotWidget:
    widget = _PlotWidget(enableMenu=False, axisItems={"left": LogAxis("left")})
    item = widget.getPlotItem()
    # pyqtgraph makes its context menus top-level; parent them so they go with the panel
    for menu in (item.ctrlMenu, item.getViewBox().menu):
        if menu is not None:
            menu.setParent(owner, menu.windowFlags())
    item.hideButtons()
    item.setContentsMargins(2, 6, 10, 2)
    for name in ("left", "bottom"):
        item.getAxis(name).enableAutoSIPrefix(False)
    if left:
        item.setLabel("left", left)
    if bottom:
        item.setLabel("bottom", bottom)
    widget.setMinimumSize(160, 110)
    widget.light_grid = LightGrid(item) if grid else None
    theme_plot(widget, current_theme())
    return widget


def theme_plot(widget: pg.PlotWidget, theme: Theme, grid: bool = True) -> None:
    widget.setBackground(theme.plot_background)
    item = widget.getPlotItem()
    style_plot(item, theme)
    item.showGrid(x=False, y=False)  # the LightGrid stands in for pyqtgraph's costly grid
    light = getattr(widget, "light_grid", None)
    if light is not None:
        light.set_colour(_mix(theme.grid, theme.plot_background, 0.45))
        light.set_visible(grid)
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        if axis.label.toPlainText():
            axis.setLabel(axis.labelText, color=theme.muted)


def _mix(a: str, b: str, t: float) -> str:
    """`a` moved toward `b` by `t` (0..1), as #rrggbb."""
    ca, cb = _rgb(a), _rgb(b)
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb, strict=True))


def theme_legend(legend: pg.LegendItem | None, theme: Theme) -> None:
    if legend is None:
        return
    legend.setBrush(pg.mkBrush(faint(theme.plot_background, 220)))
    legend.setPen(pg.mkPen(theme.border))
    legend.setLabelTextColor(theme.plot_foreground)
    for _sample, label in legend.items:
        label.setText(label.text, color=theme.plot_foreground)


class Caption(QLabel):
    """A bold plot caption."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        font = self.font()
        font.setBold(True)
        self.setFont(font)


class Hint(QWidget):
    """An empty state: an icon and a sentence on what to do to fill this place."""

    def __init__(self, text: str, icon_name: str = "training", parent=None) -> None:
        super().__init__(parent)
        self._icon_name = icon_name
        self.icon = QLabel()
        self.text = QLabel(text)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for label in (self.icon, self.text):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
            layout.addWidget(label)
        layout.addStretch(1)
        self.apply_theme(current_theme())

    def set_text(self, text: str) -> None:
        self.text.setText(text)

    def apply_theme(self, theme: Theme) -> None:
        from PySide6.QtGui import QIcon

        self.icon.setPixmap(icon(self._icon_name).pixmap(40, 40, QIcon.Mode.Disabled))
        self.text.setStyleSheet(f"color: {theme.muted}; font-size: 10.5pt;")


def steady_label() -> QLabel:
    """A label whose text changes while training without moving anything: its width does not
    follow its text, so a new text never relayouts (and resizes) the plots beside it."""
    label = QLabel()
    label.setFixedWidth(300)
    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return label


def _muted(label: QLabel, theme: Theme) -> None:
    label.setStyleSheet(f"color: {theme.muted};")


# ----- live curves ---------------------------------------------------------------------------


class CurvesView(QWidget):
    """Train and test loss (per step and per evaluated epoch) and accuracy of every run,
    overlaid, each run in its own colour; smoothed curves over faint raw ones."""

    clear_requested = Signal()
    smoothing_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs: list = []
        self.items: dict[int, dict[str, tuple[pg.PlotCurveItem, pg.PlotCurveItem]]] = {}
        self._drawn: dict[int, int] = {}  # run number -> the series version drawn
        self._smoothing = DEFAULT_SMOOTHING

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 99)
        self.slider.setValue(round(DEFAULT_SMOOTHING * 100))
        self.slider.setFixedWidth(140)
        self.slider.setToolTip("Exponential moving average, debiased like TensorBoard's")
        self.slider.valueChanged.connect(self._on_slider)
        self.smoothing_value = QLabel(f"{DEFAULT_SMOOTHING:.2f}")
        self.smoothing_value.setMinimumWidth(32)
        self.log_box = QCheckBox("Log-scale loss")
        self.log_box.toggled.connect(self.set_log_scale)
        self.clear_button = QPushButton(icon("clear"), "Clear runs")
        self.clear_button.setToolTip("Remove every finished run from the plots")
        self.clear_button.clicked.connect(self.clear_requested)
        controls = QHBoxLayout()
        controls.setSpacing(8)
        controls.addWidget(QLabel("Smoothing"))
        controls.addWidget(self.slider)
        controls.addWidget(self.smoothing_value)
        controls.addSpacing(12)
        controls.addWidget(self.log_box)
        controls.addStretch(1)
        controls.addWidget(self.clear_button)

        self.loss_plot = make_plot(self, "loss")
        self.acc_plot = make_plot(self, "accuracy")
        self.acc_plot.setYRange(0, 1, padding=0.06)
        self.acc_plot.getPlotItem().getViewBox().setLimits(yMin=-0.1, yMax=1.1)
        self.acc_plot.setXLink(self.loss_plot)
        self.legend = self.loss_plot.getPlotItem().addLegend(offset=(-8, 8), labelTextSize="9pt")
        self.legend.setCacheMode(DEVICE_CACHE)
        self.loss_caption = Caption("Loss")
        self.acc_caption = Caption("Accuracy")
        self.key = QLabel("solid: train · dashed: test (per epoch) · faint: unsmoothed")

        plots = QWidget()
        grid = QVBoxLayout(plots)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        grid.addWidget(self.loss_caption)
        grid.addWidget(self.loss_plot, 3)
        grid.addWidget(self.acc_caption)
        grid.addWidget(self.acc_plot, 2)
        grid.addWidget(self.key)
        self.hint = Hint("Press Start to train: loss and accuracy appear here as the model learns")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.hint)
        self.stack.addWidget(plots)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(controls)
        layout.addWidget(self.stack, 1)
        self.apply_theme(current_theme())

    @property
    def smoothing(self) -> float:
        return self._smoothing

    def set_smoothing(self, weight: float) -> None:
        self.slider.setValue(round(weight * 100))

    def _on_slider(self, value: int) -> None:
        self._smoothing = value / 100
        self.smoothing_value.setText(f"{self._smoothing:.2f}")
        self._drawn.clear()
        self.refresh()
        self.smoothing_changed.emit(self._smoothing)

    @property
    def log_scale(self) -> bool:
        return self.log_box.isChecked()

    def set_log_scale(self, on: bool) -> None:
        if self.log_box.isChecked() != on:
            self.log_box.setChecked(on)  # comes back here through toggled
            return
        # log mode sets the axis; the curves get log10 values themselves (PlotCurveItems, for
        # their cheap setData, are not transformed by the plot)
        item = self.loss_plot.getPlotItem()
        item.setLogMode(y=on)
        item.getViewBox()._stable_y = None
        self._drawn.clear()
        self.refresh()

    def set_runs(self, runs: list) -> None:
        """Show these runs (TrainingRuns with `series`), adding and removing curves to match."""
        self.runs = list(runs)
        keep = {run.number for run in self.runs}
        for number in [n for n in self.items if n not in keep]:
            for key, (raw, smooth) in self.items.pop(number).items():
                plot = self.loss_plot if key.endswith("loss") else self.acc_plot
                plot.removeItem(raw)
                plot.removeItem(smooth)
                if key == "loss":
                    self.legend.removeItem(smooth)
            self._drawn.pop(number, None)
        theme = current_theme()
        for run in self.runs:
            if run.number not in self.items:
                self._add_items(run)
            else:
                self._colour(run, theme)  # live or not decides the pens and the caching
        self.stack.setCurrentIndex(1 if self.runs else 0)
        self.set_step_range(max((planned_steps(r) for r in self.runs), default=1))
        self.refresh()

    def set_step_range(self, steps: int) -> None:
        """Fix the x axis to the runs' planned steps: the curves grow into a still frame, and
        the axes are not redrawn on every tick as they would be following the data."""
        vb = self.loss_plot.getPlotItem().getViewBox()
        vb.enableAutoRange(x=False)
        vb.setXRange(0, max(steps, 1), padding=0.02)

    def _add_items(self, run) -> None:
        items = {}
        for key, plot in (
            ("loss", self.loss_plot),
            ("test_loss", self.loss_plot),
            ("train_accuracy", self.acc_plot),
            ("test_accuracy", self.acc_plot),
        ):
            raw, smooth = curve_item(raw=True), curve_item()
            raw.setZValue(-1)
            plot.addItem(raw)
            plot.addItem(smooth)
            items[key] = (raw, smooth)
        self.legend.addItem(items["loss"][1], run.label())
        self.items[run.number] = items
        self._colour(run, current_theme())

    def _colour(self, run, theme: Theme) -> None:
        colour = run_colour(theme, run.number)
        live = is_live(run)
        for key, (raw, smooth) in self.items[run.number].items():
            dashed = key.startswith("test")
            style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
            raw.setPen(pg.mkPen(faint(colour), width=1, style=style))
            smooth.setPen(pg.mkPen(colour, width=SMOOTH_WIDTH, style=style))
            # a wide antialiased line costs ~1.5 ms a paint (Qt strokes it): a live run's is
            # drawn aliased, and a finished run's, which no longer changes, from a cache
            smooth.opts["antialias"] = not live
            mode = NO_CACHE if live else DEVICE_CACHE
            raw.setCacheMode(mode)
            smooth.setCacheMode(mode)

    def refresh(self, run=None) -> None:
        """Redraw `run`'s curves (all runs' by default) where their data changed."""
        runs = self.runs if run is None else [run]
        log = self.log_scale
        for r in runs:
            series = r.series
            if series is None or r.number not in self.items:
                continue
            if self._drawn.get(r.number) == series.version:
                continue
            self._drawn[r.number] = series.version
            for key, (raw_item, smooth_item) in self.items[r.number].items():
                x, raw, smooth = series.smoothed(key, self._smoothing)
                if log and key.endswith("loss"):
                    raw, smooth = log10(raw), log10(smooth)
                raw_item.setData(*decimate(x, raw, MAX_POINTS, peaks=True))
                smooth_item.setData(*decimate(x, smooth, SMOOTH_POINTS))
        loss_curves = [
            c
            for items in self.items.values()
            for k, pair in items.items()
            if k.endswith("loss")
            for c in pair
        ]
        stable_y_range(self.loss_plot.getPlotItem(), loss_curves, log)
        has_accuracy = any(
            r.series is not None and r.series.has("train_accuracy") for r in self.runs
        )
        self.acc_plot.setVisible(has_accuracy)
        self.acc_caption.setVisible(has_accuracy)

    def curve_data(self, number: int, key: str, smoothed: bool = True):
        """The (x, y) a run's curve draws (for tests and snapshots)."""
        raw, smooth = self.items[number][key]
        x, y = (smooth if smoothed else raw).getData()
        return (np.asarray([]), np.asarray([])) if x is None else (np.asarray(x), np.asarray(y))

    def apply_theme(self, theme: Theme) -> None:
        for plot in (self.loss_plot, self.acc_plot):
            theme_plot(plot, theme)
        theme_legend(self.legend, theme)
        for run in self.runs:
            if run.number in self.items:
                self._colour(run, theme)
        for label in (self.key, self.smoothing_value):
            _muted(label, theme)
        self.hint.apply_theme(theme)


# ----- the inside view -----------------------------------------------------------------------


class InsideView(QWidget):
    """One run's insides: gradient norm and update-to-weight ratio per layer over the steps
    (log scale: vanishing or exploding gradients stand out), and a histogram over time of the
    chosen layer's weights and gradients."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run = None
        self.smoothing = DEFAULT_SMOOTHING
        self.layer_titles: dict[str, str] = {}
        self.grad_items: dict[str, pg.PlotCurveItem] = {}
        self.ratio_items: dict[str, pg.PlotCurveItem] = {}
        self._drawn = (None, -1, None)
        self._hist_drawn = (None, -1, None)

        self.grad_plot = make_plot(self, "‖grad‖")
        self.grad_plot.getPlotItem().setLogMode(y=True)
        self.legend = QLabel()  # one key for both plots, outside them: no curve hides under it
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.ratio_plot = make_plot(self, "‖Δw‖ / ‖w‖")
        self.ratio_plot.getPlotItem().setLogMode(y=True)
        self.ratio_plot.setXLink(self.grad_plot)
        self.guide = pg.InfiniteLine(pos=math.log10(UPDATE_RATIO_GUIDE), angle=0, movable=False)
        self.guide.setZValue(-2)
        self.ratio_plot.addItem(self.guide)

        self.layer_combo = QComboBox()
        self.layer_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.layer_combo.currentIndexChanged.connect(lambda _i: self.refresh_histograms(True))
        self.weight_plot, self.weight_image = self._image_plot("weight")
        self.grad_hist_plot, self.grad_image = self._image_plot("gradient")
        self.hist_note = QLabel("brighter: more values")

        self.grad_caption = Caption("Gradient norm per layer")
        self.ratio_caption = Caption("Update / weight ratio")
        self.ratio_note = QLabel("dashed: 1e-3")
        self.ratio_note.setToolTip(
            "‖Δw‖/‖w‖ of each step; around 1e-3 is the rule of thumb for a healthy rate of change"
        )
        self.weight_caption = Caption("Weights over time")
        self.grad_hist_caption = Caption("Gradients over time")

        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        grid.addWidget(self.grad_caption, 0, 0)
        ratio_head = QHBoxLayout()
        ratio_head.addWidget(self.ratio_caption)
        ratio_head.addStretch(1)
        ratio_head.addWidget(self.ratio_note)
        grid.addLayout(ratio_head, 0, 1)
        grid.addWidget(self.grad_plot, 1, 0)
        grid.addWidget(self.ratio_plot, 1, 1)
        grid.addWidget(self.legend, 2, 0, 1, 2)
        hist_head = QHBoxLayout()
        hist_head.setSpacing(8)
        hist_head.addWidget(Caption("Histograms of layer"))
        hist_head.addWidget(self.layer_combo)
        hist_head.addStretch(1)
        hist_head.addWidget(self.hist_note)
        grid.addLayout(hist_head, 3, 0, 1, 2)
        grid.addWidget(self.weight_caption, 4, 0)
        grid.addWidget(self.grad_hist_caption, 4, 1)
        grid.addWidget(self.weight_plot, 5, 0)
        grid.addWidget(self.grad_hist_plot, 5, 1)
        grid.setRowMinimumHeight(3, 36)
        grid.setRowStretch(1, 1)
        grid.setRowStretch(5, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        page = QWidget()
        page.setLayout(grid)

        self.hint = Hint(
            "Train a model to see its insides: gradient norms, update ratios and the "
            "distributions of weights and gradients, layer by layer"
        )
        self.stack = QStackedWidget()
        self.stack.addWidget(self.hint)
        self.stack.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.stack)
        self.apply_theme(current_theme())

    def _image_plot(self, left: str):
        plot = make_plot(self, left, grid=False)
        image = pg.ImageItem(axisOrder="row-major")
        plot.addItem(image)
        return plot, image

    def show_run(self, run, layer_titles: dict[str, str] | None = None) -> None:
        """Show `run` (None: the hint); `layer_titles` names layers ("0" -> "0 · Linear")."""
        self.run = run
        self.layer_titles = dict(layer_titles or {})
        if run is None or run.series is None:
            self.stack.setCurrentIndex(0)
            return
        self.stack.setCurrentIndex(1)
        layers = run.series.layers
        if list(self.grad_items) != layers or self._titles_changed(layers):
            self._make_items(layers)
        self._drawn = (None, -1, None)
        self._hist_drawn = (None, -1, None)
        for plot in (self.grad_plot, self.weight_plot, self.grad_hist_plot):
            vb = plot.getPlotItem().getViewBox()
            vb.enableAutoRange(x=False)
            vb.setXRange(0, planned_steps(run), padding=0.02)
        self.refresh()

    def _titles_changed(self, layers) -> bool:
        current = [self.layer_combo.itemText(i) for i in range(self.layer_combo.count())]
        return current != [self.title(name) for name in layers]

    def title(self, layer: str) -> str:
        return self.layer_titles.get(layer, layer)

    def _make_items(self, layers) -> None:
        for items, plot in ((self.grad_items, self.grad_plot), (self.ratio_items, self.ratio_plot)):
            for item in items.values():
                plot.removeItem(item)
            items.clear()
        for name in layers:
            grad, ratio = curve_item(), curve_item()
            self.grad_plot.addItem(grad)
            self.ratio_plot.addItem(ratio)
            self.grad_items[name] = grad
            self.ratio_items[name] = ratio
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        for name in layers:
            self.layer_combo.addItem(self.title(name), name)
        self.layer_combo.blockSignals(False)
        self._colour(current_theme())

    def _colour(self, theme: Theme) -> None:
        for i, name in enumerate(self.grad_items):
            # 1 px: Qt draws thin antialiased lines fast and wider ones slowly (~10 ms a plot)
            pen = pg.mkPen(theme.series[i % len(theme.series)], width=1)
            self.grad_items[name].setPen(pen)
            self.ratio_items[name].setPen(pen)
        self.guide.setPen(pg.mkPen(theme.muted, width=1, style=Qt.PenStyle.DashLine))
        keys = [
            f"<span style='color:{theme.series[i % len(theme.series)]}'>━━</span>&nbsp;"
            f"{html.escape(self.title(name))}"
            for i, name in enumerate(self.grad_items)
        ]
        self.legend.setText("&nbsp;&nbsp;&nbsp;".join(keys))

    def refresh(self) -> None:
        """Redraw the per-layer curves if the run has new steps; histograms at their own pace."""
        run = self.run
        if run is None or run.series is None:
            return
        series = run.series
        key = (run.number, series.version, self.smoothing)
        if key != self._drawn:
            self._drawn = key
            pairs = (("grad_norm", self.grad_items), ("update_ratio", self.ratio_items))
            for name in series.layers:
                for kind, items in pairs:
                    x, _raw, smooth = series.smoothed(f"{kind}/{name}", self.smoothing)
                    items[name].setData(*decimate(x, log10(smooth), SMOOTH_POINTS))
            stable_y_range(self.grad_plot.getPlotItem(), self.grad_items.values(), log=True)
            guide = (math.log10(UPDATE_RATIO_GUIDE),)
            stable_y_range(
                self.ratio_plot.getPlotItem(), self.ratio_items.values(), True, include=guide
            )

    def refresh_histograms(self, force: bool = False) -> None:
        run = self.run
        if run is None or run.series is None:
            return
        layer = self.layer_combo.currentData()
        key = (run.number, len(run.series.snapshots), layer)
        if key == self._hist_drawn and not force:
            return
        self._hist_drawn = key
        snaps = run.series.snapshots
        if not snaps or layer is None:
            self.weight_image.clear()
            self.grad_image.clear()
            self.hist_note.setToolTip("Histograms are recorded while the panel trains")
            return
        theme = current_theme()
        for which, image, colour in (
            ("weights", self.weight_image, theme.value),
            ("grads", self.grad_image, theme.grad),
        ):
            made = histogram_image(snaps, layer, which)
            if made is None:
                image.clear()
                continue
            data, (s0, s1), (lo, hi) = made
            if getattr(image, "_theme", None) is not theme:  # a lookup table costs ~5 ms
                image._theme = theme
                image.setColorMap(_density_map(theme, colour))
            image.setImage(data, autoLevels=False, levels=(0.0, 1.0))
            image.setRect(QRectF(s0, lo, max(s1 - s0, 1.0), hi - lo))
        self.hist_note.setToolTip(f"{len(snaps)} snapshots of the weights and gradients")

    def apply_theme(self, theme: Theme) -> None:
        for plot in (self.grad_plot, self.ratio_plot):
            theme_plot(plot, theme)
        for plot in (self.weight_plot, self.grad_hist_plot):
            theme_plot(plot, theme, grid=False)
        self._colour(theme)
        for label in (self.hist_note, self.ratio_note):
            _muted(label, theme)
        self.legend.setStyleSheet(f"color: {theme.text};")
        self.weight_caption.setStyleSheet(f"color: {theme.value};")
        self.grad_hist_caption.setStyleSheet(f"color: {theme.grad};")
        self.hint.apply_theme(theme)
        self.refresh_histograms(True)


def _density_map(theme: Theme, colour: str) -> pg.ColorMap:
    bg = QColor(theme.plot_background)
    top = QColor(colour)
    ink = QColor(theme.plot_foreground)
    strong = QColor(
        (top.red() + ink.red()) // 2,
        (top.green() + ink.green()) // 2,
        (top.blue() + ink.blue()) // 2,
    )
    return pg.ColorMap([0.0, 0.04, 0.6, 1.0], [bg, faint(colour, 60), top, strong])


# ----- decision boundary and predictions ---------------------------------------------------


class BoundaryView(QWidget):
    """For 2-D classification: the model's decision regions as a heatmap, with the data on top
    in class colours (train filled, test ringed)."""

    RESOLUTION = 60

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = make_plot(self, "x₂", "x₁", grid=False)
        item = self.plot.getPlotItem()
        item.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        item.addItem(self.image)
        self.train_points = pg.ScatterPlotItem(size=7)
        self.test_points = pg.ScatterPlotItem(size=8)
        item.addItem(self.train_points)
        item.addItem(self.test_points)
        _frame(
            self,
            "Decision boundary",
            "filled: train · ringed: test · shade: the model's confidence",
        )
        self._dataset = None
        self._probs: np.ndarray | None = None
        self.bounds: tuple[float, float, float, float] | None = None
        self.apply_theme(current_theme())

    def show_message(self, text: str) -> None:
        self.hint.set_text(text)
        self.stack.setCurrentIndex(0)
        self.note.setText("")
        self.image.clear()
        self._probs = None

    def set_dataset(self, dataset) -> None:
        """The points to scatter; sets the grid's bounds (the data with a 10 % margin)."""
        self._dataset = dataset
        pts = np.concatenate([dataset.x_train, dataset.x_test])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = 0.1 * np.maximum(hi - lo, 1e-6)
        self.bounds = (lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1])
        self._scatter(current_theme())
        x0, x1, y0, y1 = self.bounds
        self.plot.getPlotItem().setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self.stack.setCurrentIndex(1)

    def _scatter(self, theme: Theme) -> None:
        ds = self._dataset
        if ds is None:
            return
        colours = [QColor(c) for c in theme.series]
        edge = pg.mkPen(theme.plot_background, width=1)
        self.train_points.setData(
            ds.x_train[:, 0],
            ds.x_train[:, 1],
            brush=[pg.mkBrush(colours[int(c) % len(colours)]) for c in ds.y_train],
            pen=edge,
        )
        self.test_points.setData(
            ds.x_test[:, 0],
            ds.x_test[:, 1],
            brush=[pg.mkBrush(faint(theme.series[int(c) % len(colours)], 90)) for c in ds.y_test],
            pen=[pg.mkPen(colours[int(c) % len(colours)], width=2) for c in ds.y_test],
        )

    def set_grid(self, probs: np.ndarray, note: str = "") -> None:
        """`probs` from Trainer.decision_grid over `self.bounds`."""
        self._probs = probs
        self._paint(current_theme())
        self.note.setText(note)

    def _paint(self, theme: Theme) -> None:
        if self._probs is None or self.bounds is None:
            return
        res = self._probs.shape[0]
        self.image.setImage(boundary_rgb(self._probs, theme.series, theme.plot_background))
        x0, x1, y0, y1 = self.bounds
        # the grid's points are pixel centres: the image reaches half a pixel past them
        dx, dy = (x1 - x0) / (res - 1), (y1 - y0) / (res - 1)
        self.image.setRect(QRectF(x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy))

    @property
    def image_shape(self) -> tuple:
        return () if self.image.image is None else tuple(self.image.image.shape)

    def apply_theme(self, theme: Theme) -> None:
        theme_plot(self.plot, theme, grid=False)
        for label in (self.note, self.key):
            _muted(label, theme)
        self.hint.apply_theme(theme)
        self._scatter(theme)
        self._paint(theme)


class PredictionsView(QWidget):
    """For regression: with one input feature, the model's curve over x through the data;
    otherwise predicted against true values around the y = x line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = make_plot(self, "y", "x")
        item = self.plot.getPlotItem()
        self.train_points = pg.ScatterPlotItem(size=5)
        self.test_points = pg.ScatterPlotItem(size=7)
        self.curve = pg.PlotDataItem()
        self.diagonal = pg.PlotDataItem()
        for it in (self.train_points, self.test_points, self.curve, self.diagonal):
            item.addItem(it)
        _frame(self, "Predictions")
        self.mode = "message"
        self.apply_theme(current_theme())

    def show_message(self, text: str) -> None:
        self.mode = "message"
        self.hint.set_text(text)
        self.stack.setCurrentIndex(0)
        self.note.setText("")

    def set_data(self, x_train, y_train, x_test, y_test) -> None:
        """The data of a one-feature regression (scattered once per run)."""
        self.mode = "curve"
        self.train_points.setData(np.ravel(x_train), np.ravel(y_train[:, 0]))
        self.test_points.setData(np.ravel(x_test), np.ravel(y_test[:, 0]))
        self.diagonal.setData([], [])
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "x")
        item.setLabel("left", "y")
        self.key.setText("dots: train · rings: test · line: the model")
        self._colour(current_theme())
        self.stack.setCurrentIndex(1)

    def set_curve(self, x: np.ndarray, y: np.ndarray, note: str = "") -> None:
        self.curve.setData(np.ravel(x), np.ravel(y))
        self.note.setText(note)

    def show_scatter(self, y_true: np.ndarray, y_pred: np.ndarray, note: str = "") -> None:
        self.mode = "scatter"
        t, p = np.ravel(y_true), np.ravel(y_pred)
        self.train_points.setData([], [])
        self.curve.setData([], [])
        self.test_points.setData(t, p)
        finite = np.concatenate([t[np.isfinite(t)], p[np.isfinite(p)]])
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        self.diagonal.setData([lo, hi], [lo, hi])
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "true")
        item.setLabel("left", "predicted")
        self.key.setText("rings: test targets against predictions · dashed: y = x")
        self.note.setText(note)
        self._colour(current_theme())
        self.stack.setCurrentIndex(1)

    def _colour(self, theme: Theme) -> None:
        self.train_points.setBrush(pg.mkBrush(faint(theme.muted, 150)))
        self.train_points.setPen(pg.mkPen(None))
        self.test_points.setBrush(pg.mkBrush(faint(theme.series[0], 60)))
        self.test_points.setPen(pg.mkPen(theme.series[0], width=1.5))
        self.curve.setPen(pg.mkPen(theme.series[1], width=2.5))
        self.diagonal.setPen(pg.mkPen(theme.muted, width=1, style=Qt.PenStyle.DashLine))

    def apply_theme(self, theme: Theme) -> None:
        theme_plot(self.plot, theme)
        for label in (self.note, self.key):
            _muted(label, theme)
        self.hint.apply_theme(theme)
        self._colour(theme)


def _frame(pane, caption: str, key: str = "") -> None:
    """Lay out `pane` (with its `plot`): caption and note above, the plot or a hint in its place
    when there is nothing to draw, a key below. Sets caption, note, key, hint and stack."""
    pane.caption = Caption(caption)
    pane.note = steady_label()
    pane.key = QLabel(key)
    pane.hint = Hint("")
    pane.stack = QStackedWidget()
    pane.stack.addWidget(pane.hint)
    pane.stack.addWidget(pane.plot)
    head = QHBoxLayout()
    head.addWidget(pane.caption)
    head.addStretch(1)
    head.addWidget(pane.note)
    layout = QVBoxLayout(pane)
    layout.setContentsMargins(0, 8, 0, 0)
    layout.setSpacing(4)
    layout.addLayout(head)
    layout.addWidget(pane.stack, 1)
    layout.addWidget(pane.key)
