"""The profiler's timeline: events per thread as nested bars, painted with QPainter.

One custom widget paints everything (no item per event), and only what is in view: the bars
come from `workbench.trace.timeline.TimelineData.visible`, which merges the events narrower
than a pixel, so a frame costs the same for 1,000 events or 300,000. Tracks (threads, device
streams) are stacked with a header band each and one lane per nesting depth; a time ruler
stays on top.

Mouse: wheel zooms around the cursor, Shift+wheel (or a horizontal wheel) pans, dragging pans
in time and scrolls the tracks, a click selects an event. Keys: ←/→ pan, +/− zoom, Home fits
everything, ↑/↓ and Page Up/Down scroll the tracks. Hovering shows a card with the event's
name, duration, shapes, module and graph node.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QScrollBar, QWidget

from workbench.trace import TraceEvents
from workbench.trace.structure import KIND_NAMES, Kind, event_args, shapes_of
from workbench.trace.timeline import Bars, TimelineData
from workbench.ui.panels.profiler_table import kind_colour
from workbench.ui.theme import current_theme, theme_manager

__all__ = ["TimelineCanvas", "TimelineView", "format_duration", "nice_step", "ruler_label"]

RULER_H = 28
HEADER_H = 22
LANE_H = 18
TRACK_GAP = 6
PAD = 8  # px left and right of the time axis
MAX_PX_PER_US = 1000.0  # 1 ns per pixel
WHEEL_STEP = 1.2  # zoom per wheel notch
HIT_SLACK_PX = 3.0
MAX_LABELS = 4000  # names drawn on bars per frame, at most


def format_duration(us: float) -> str:
    """A duration for people: "850 ns", "12.35 µs", "3.214 ms", "1.500 s"."""
    if us < 1.0:
        return f"{us * 1000:.0f} ns"
    if us < 1e3:
        return f"{us:.2f} µs"
    if us < 1e6:
        return f"{us / 1e3:.3f} ms"
    return f"{us / 1e6:.3f} s"


def nice_step(us: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at least `us`."""
    if us <= 0 or not math.isfinite(us):
        return 1.0
    k = math.floor(math.log10(us))
    base = us / 10**k
    m = 1 if base <= 1 else 2 if base <= 2 else 5 if base <= 5 else 10
    return m * 10.0**k


def ruler_label(t_us: float, step_us: float, ref_us: float | None = None) -> str:
    """A tick's label. The unit suits `ref_us` (the largest time on the ruler, so one ruler
    keeps one unit: "19.305 ms", not "19305 µs"); the decimals suit the tick spacing."""
    if abs(t_us) < step_us * 1e-6:
        return "0"
    ref = max(abs(ref_us) if ref_us is not None else abs(t_us), step_us)
    for scale, unit in ((1e6, "s"), (1e3, "ms"), (1.0, "µs"), (1e-3, "ns")):
        if ref >= scale or unit == "ns":
            decimals = max(0, -math.floor(math.log10(step_us / scale) + 1e-9))
            return f"{t_us / scale:.{decimals}f} {unit}"
    return f"{t_us:g}"


def _text_on(colour: QColor) -> QColor:
    """Black or white text, whichever reads on `colour`."""
    r, g, b = colour.redF(), colour.greenF(), colour.blueF()
    return QColor("#111418") if 0.299 * r + 0.587 * g + 0.114 * b > 0.6 else QColor("#ffffff")


@dataclass
class _Painted:
    """The bars of the last frame, in widget pixels, for hover and click."""

    bars: Bars
    x0: np.ndarray
    x1: np.ndarray
    key: tuple  # the view they were computed for


class TimelineCanvas(QWidget):
    event_clicked = Signal(int)  # the event's index in the trace; -1: a click on nothing
    view_changed = Signal()  # zoom, pan or scroll

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumHeight(RULER_H + HEADER_H + 2 * LANE_H)
        self._data: TimelineData | None = None
        self._events: TraceEvents | None = None
        self._t0 = 0.0
        self._ppu = 1.0
        self._y = 0
        self._lane_y = np.zeros(0, np.int64)
        self._track_y: list[int] = []
        self._content_h = 0
        self._highlight: np.ndarray | None = None
        self._selected = -1
        self._hover: QPointF | None = None
        self._press: QPointF | None = None
        self._press_view = (0.0, 0)
        self._dragging = False
        self._painted: _Painted | None = None
        self._font = QFont(self.font())
        self._bold = QFont(self.font())
        self._bold.setBold(True)
        self._small = QFont(self.font())
        self._small.setPointSizeF(max(self.font().pointSizeF() - 1.0, 7.0))
        theme_manager().changed.connect(self._on_theme)

    # ----------------------------------------------------------------------------- data

    @property
    def data(self) -> TimelineData | None:
        return self._data

    def set_data(self, data: TimelineData | None, events: TraceEvents | None) -> None:
        self._data, self._events = data, events
        self._highlight = None
        self._selected = -1
        self._hover = None
        self._painted = None
        self._layout_tracks()
        self.fit()

    def _layout_tracks(self) -> None:
        data = self._data
        y = 0
        self._track_y = []
        self._lane_y = np.zeros(data.n_lanes if data else 0, np.int64)
        for track in data.tracks if data else ():
            self._track_y.append(y)
            y += HEADER_H
            lanes = slice(track.first_lane, track.first_lane + track.lanes)
            self._lane_y[lanes] = y + np.arange(track.lanes) * LANE_H
            y += track.lanes * LANE_H + TRACK_GAP
        self._content_h = y

    @property
    def content_height(self) -> int:
        return self._content_h

    @property
    def viewport_height(self) -> int:
        return max(self.height() - RULER_H, 0)

    # ----------------------------------------------------------------------------- view

    @property
    def px_per_us(self) -> float:
        return self._ppu

    @property
    def scroll_y(self) -> int:
        return self._y

    def view_range(self) -> tuple[float, float]:
        """The relative µs at the left and right ends of the time axis."""
        return self._t0, self._t0 + self._plot_width() / self._ppu

    def _plot_width(self) -> float:
        return max(self.width() - 2 * PAD, 10)

    def _min_ppu(self) -> float:
        span = self._data.duration_us if self._data and self._data.duration_us > 0 else 1.0
        return self._plot_width() / span / 4

    def fit(self) -> None:
        """Show the whole trace (Home)."""
        span = self._data.duration_us if self._data and self._data.duration_us > 0 else 1.0
        self._ppu = self._plot_width() / (span * 1.02)
        self._t0 = -span * 0.01
        self._changed()

    def zoom_to(self, t0: float, t1: float) -> None:
        """Show [t0, t1] (relative µs) across the time axis."""
        if t1 <= t0:
            t1 = t0 + 1e-3
        self._ppu = min(max(self._plot_width() / (t1 - t0), self._min_ppu()), MAX_PX_PER_US)
        self._t0 = t0
        self._changed()

    def zoom(self, factor: float, anchor_x: float | None = None) -> None:
        """Zoom by `factor` (>1 in) keeping the time under `anchor_x` (widget px) in place."""
        if anchor_x is None:
            anchor_x = PAD + self._plot_width() / 2
        t_anchor = self._t0 + (anchor_x - PAD) / self._ppu
        self._ppu = min(max(self._ppu * factor, self._min_ppu()), MAX_PX_PER_US)
        self._t0 = t_anchor - (anchor_x - PAD) / self._ppu
        self._changed()

    def pan_px(self, dx: float) -> None:
        """Move the view `dx` pixels later in time (negative: earlier)."""
        self._t0 += dx / self._ppu
        self._changed()

    def set_scroll_y(self, y: int) -> None:
        top = max(self._content_h - self.viewport_height, 0)
        y = int(min(max(y, 0), top))
        if y != self._y:
            self._y = y
            self._changed()

    def _changed(self) -> None:
        if self._data is not None:
            span = self._plot_width() / self._ppu
            lo, hi = -span * 0.5, self._data.duration_us - span * 0.5
            self._t0 = min(max(self._t0, lo), max(hi, lo))
        self._y = int(min(max(self._y, 0), max(self._content_h - self.viewport_height, 0)))
        self.update()
        self.view_changed.emit()

    def resizeEvent(self, event) -> None:
        old = event.oldSize().width()
        super().resizeEvent(event)
        if old <= 0:  # first shown: the data may have been fitted to a guessed width
            self.fit()
            return
        if self._data is not None:
            # keep the same time span in view
            self._ppu *= max(self.width() - 2 * PAD, 10) / max(old - 2 * PAD, 10)
        self._changed()

    # ----------------------------------------------------------------------------- selection

    def set_highlight(self, mask: np.ndarray | None) -> None:
        """Outline these events (a bool per event), or none."""
        self._highlight = None if mask is None or not np.any(mask) else np.asarray(mask, bool)
        self.update()

    def set_selected(self, event: int) -> None:
        self._selected = event
        self.update()

    @property
    def selected(self) -> int:
        return self._selected

    def lane_top(self, lane: int) -> float:
        """The widget y of a lane's top edge (may lie outside the widget)."""
        return RULER_H + float(self._lane_y[lane]) - self._y

    def event_rect(self, event: int) -> QRectF:
        """Where event `event` is drawn, in widget coordinates (at least a pixel wide)."""
        s, e = self._data.relative(event)
        x0 = PAD + (s - self._t0) * self._ppu
        x1 = max(PAD + (e - self._t0) * self._ppu, x0 + 1)
        y = self.lane_top(int(self._data.lane[event]))
        return QRectF(x0, y + 1, x1 - x0, LANE_H - 2)

    def ensure_visible(self, event: int) -> None:
        """Scroll (and, for an event wider than the view, zoom) so that `event` shows."""
        if self._data is None or not 0 <= event < self._data.n:
            return
        s, e = self._data.relative(event)
        t0, t1 = self.view_range()
        if e - s > (t1 - t0) * 0.9:
            pad = (e - s) * 0.1
            self.zoom_to(s - pad, e + pad)
        elif s < t0 or e > t1:
            self._t0 = (s + e) / 2 - (t1 - t0) / 2
            self._changed()
        top = float(self._lane_y[int(self._data.lane[event])])
        if top < self._y or top + LANE_H > self._y + self.viewport_height:
            self.set_scroll_y(int(top - self.viewport_height / 2))

    # ----------------------------------------------------------------------------- painting

    def _visible_lanes(self) -> range:
        if self._data is None or not self._data.n_lanes:
            return range(0)
        top, bottom = self._y - LANE_H, self._y + self.viewport_height
        lo = int(np.searchsorted(self._lane_y, top, side="left"))
        hi = int(np.searchsorted(self._lane_y, bottom, side="right"))
        return range(lo, hi)

    def paintEvent(self, event) -> None:
        theme = current_theme()
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.base))
        if self._data is None or self._data.n == 0:
            p.setPen(QColor(theme.muted))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No events to show")
            p.end()
            return
        p.setClipRect(0, RULER_H, self.width(), self.height() - RULER_H)
        self._paint_tracks(p, theme)
        step = self._paint_grid(p, theme)
        self._paint_bars(p, theme)
        p.setClipping(False)
        self._paint_ruler(p, theme, step)
        if self._hover is not None and not self._dragging:
            self._paint_hover(p, theme)
        p.end()

    def _paint_tracks(self, p: QPainter, theme) -> None:
        width = self.width()
        fm = QFontMetricsF(self._bold)
        for track, ty in zip(self._data.tracks, self._track_y):
            y = RULER_H + ty - self._y
            if y > self.height() or y + HEADER_H + track.lanes * LANE_H < RULER_H:
                continue
            p.fillRect(QRectF(0, y, width, HEADER_H), QColor(theme.alt_base))
            p.setPen(QColor(theme.border))
            p.drawLine(QPointF(0, y + HEADER_H - 0.5), QPointF(width, y + HEADER_H - 0.5))
            p.setFont(self._bold)
            p.setPen(QColor(theme.text))
            baseline = y + (HEADER_H + fm.ascent() - fm.descent()) / 2
            p.drawText(QPointF(PAD, baseline), track.name)
            p.setFont(self._small)
            p.setPen(QColor(theme.muted))
            lanes = "lane" if track.lanes == 1 else "levels"
            events = "event" if track.events == 1 else "events"
            detail = f"{track.events:,} {events} · {track.lanes} {lanes}"
            p.drawText(QPointF(PAD + fm.horizontalAdvance(track.name) + 10, baseline), detail)

    def _paint_grid(self, p: QPainter, theme) -> float:
        step = nice_step(90.0 / self._ppu)
        t0, t1 = self.view_range()
        grid = QColor(theme.grid)
        grid.setAlpha(90)
        p.setPen(QPen(grid, 1))
        k0 = math.floor(t0 / step)
        k1 = math.ceil(t1 / step)
        for k in range(k0, k1 + 1):
            x = round(PAD + (k * step - self._t0) * self._ppu) + 0.5
            p.drawLine(QPointF(x, RULER_H), QPointF(x, self.height()))
        return step

    def _bar_colours(self, theme) -> dict[tuple[int, bool], QColor]:
        out = {}
        for kind in range(len(KIND_NAMES)):
            solid = kind_colour(kind, theme) if kind != Kind.MIXED else QColor(theme.muted)
            merged = QColor(solid)
            merged.setAlpha(150)
            out[(kind, False)] = solid
            out[(kind, True)] = merged
        return out

    def _view_key(self) -> tuple:
        return (self._t0, self._ppu, self._y, self.width(), self.height(), id(self._data))

    def _frame(self) -> _Painted:
        """The bars of the current view in widget pixels (kept until the view changes, for
        painting and hit tests alike)."""
        key = self._view_key()
        if self._painted is None or self._painted.key != key:
            t0, t1 = self.view_range()
            margin = PAD / self._ppu
            start = t0 - margin  # pixel columns of the merge line up with the widget's pixels
            bars = self._data.visible(start, t1 + margin, self._ppu, lanes=self._visible_lanes())
            x0 = (bars.start_us - start) * self._ppu
            x1 = np.maximum((bars.end_us - start) * self._ppu, x0 + 1.0)
            self._painted = _Painted(bars, x0, x1, key)
        return self._painted

    def _paint_bars(self, p: QPainter, theme) -> None:
        frame = self._frame()
        bars, x0, x1 = frame.bars, frame.x0, frame.x1
        t0, t1 = self.view_range()
        margin = PAD / self._ppu
        start = t0 - margin
        lanes = self._visible_lanes()
        if not len(bars):
            return
        w = self.width()
        cx0 = np.maximum(x0, -2.0)
        cx1 = np.minimum(x1, w + 2.0)
        # a hairline gap between neighbours wide enough to spare it
        cx1 = np.where(cx1 - cx0 > 3.0, cx1 - 1.0, cx1)
        y = RULER_H + self._lane_y[bars.lane] - self._y + 1
        merged = bars.event < 0
        colours = self._bar_colours(theme)
        p.setPen(Qt.PenStyle.NoPen)
        keys = bars.kind.astype(np.int64) * 2 + merged
        for key in np.unique(keys).tolist():
            sel = np.flatnonzero(keys == key)
            p.setBrush(colours[(key // 2, bool(key % 2))])
            rects = [
                QRectF(a, b, c - a, LANE_H - 2)
                for a, b, c in zip(cx0[sel].tolist(), y[sel].tolist(), cx1[sel].tolist())
            ]
            p.drawRects(rects)
        self._paint_labels(p, theme, bars, cx0, cx1, y, colours)
        self._paint_marks(p, theme, start, t1 + margin, lanes)

    def _paint_labels(self, p, theme, bars, cx0, cx1, y, colours) -> None:
        wide = np.flatnonzero((cx1 - cx0) >= 28.0)[:MAX_LABELS]
        if not len(wide):
            return
        p.setFont(self._small)
        fm = QFontMetricsF(self._small)
        names = self._events.name
        text_y = (LANE_H - 2 + fm.ascent() - fm.descent()) / 2
        for i in wide.tolist():
            event, kind = int(bars.event[i]), int(bars.kind[i])
            if event >= 0:
                text = names[event]
                colour = colours[(kind, False)]
            else:
                text = f"{int(bars.count[i]):,} events"
                colour = colours[(kind, True)]
            room = min(cx1[i], self.width()) - max(cx0[i], 0.0) - 6
            if event < 0 and fm.horizontalAdvance(text) > room:
                continue  # a count is read whole or not at all
            text = fm.elidedText(text, Qt.TextElideMode.ElideRight, room)
            if not text or text == "…":
                continue
            ink = _text_on(colour) if event >= 0 else QColor(theme.text)
            p.setPen(ink)
            p.drawText(QPointF(max(cx0[i], 0.0) + 3, y[i] + text_y), text)

    def _paint_marks(self, p: QPainter, theme, start: float, end: float, lanes) -> None:
        """Outline the highlighted events (a graph node's, an op's) and the selected one."""
        if self._highlight is not None:
            hb = self._data.visible(start, end, self._ppu, mask=self._highlight, lanes=lanes)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(QColor(theme.warning), 2))
            for s, e, lane in zip(hb.start_us.tolist(), hb.end_us.tolist(), hb.lane.tolist()):
                x0 = (s - start) * self._ppu
                x1 = max((e - start) * self._ppu, x0 + 3)
                ly = RULER_H + float(self._lane_y[lane]) - self._y
                p.drawRect(QRectF(x0 - 1, ly, x1 - x0 + 2, LANE_H))
        if self._selected >= 0:
            r = self.event_rect(self._selected)
            r = QRectF(r.x() - 2, r.y() - 2, max(r.width(), 3) + 4, r.height() + 4)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(QColor(theme.text), 2))
            p.drawRoundedRect(r, 2, 2)

    def _paint_ruler(self, p: QPainter, theme, step: float) -> None:
        w = self.width()
        p.fillRect(QRectF(0, 0, w, RULER_H), QColor(theme.window))
        p.setPen(QColor(theme.border))
        p.drawLine(QPointF(0, RULER_H - 0.5), QPointF(w, RULER_H - 0.5))
        t0, t1 = self.view_range()
        minor = step / 5
        ref = max(abs(t0), abs(t1))
        p.setFont(self._small)
        fm = QFontMetricsF(self._small)
        for k in range(math.floor(t0 / minor), math.ceil(t1 / minor) + 1):
            x = round(PAD + (k * minor - self._t0) * self._ppu) + 0.5
            if x < 0 or x > w:
                continue
            major = k % 5 == 0
            p.setPen(QColor(theme.muted if major else theme.border))
            p.drawLine(QPointF(x, RULER_H - (9 if major else 4)), QPointF(x, RULER_H - 1))
            if major:
                label = ruler_label(k * minor, step, ref)
                if x + 3 + fm.horizontalAdvance(label) <= w - 2:
                    p.drawText(QPointF(x + 3, 4 + fm.ascent()), label)

    def _hover_lines(self) -> list[tuple[str, str]] | None:
        """The hover card: (label, text) lines, the first being the title."""
        hit = self._hit(self._hover)
        if hit is None:
            return None
        i, event = hit
        bars = self._frame().bars
        if event < 0:
            kinds = KIND_NAMES[int(bars.kind[i])]
            span = float(bars.end_us[i] - bars.start_us[i])
            return [
                ("", f"{int(bars.count[i]):,} events"),
                ("kind", kinds),
                ("span", format_duration(span)),
                ("", "zoom in to see them one by one"),
            ]
        s, e = self._data.relative(event)
        lines = [("", self._events.name[event]), ("duration", format_duration(e - s))]
        lines.append(("start", format_duration(s) if s > 0 else "0"))
        args = event_args(self._events, event)
        shapes = shapes_of(args)
        if shapes:
            lines.append(("shapes", str(shapes)))
        module = args.get("module") or args.get("scope") or args.get("Module Hierarchy")
        if module:
            lines.append(("module", str(module)))
        seq = args.get("node", args.get("node_id"))
        if isinstance(seq, int):
            lines.append(("node", f"#{seq}"))
        lines.append(("kind", KIND_NAMES[int(self._data.structure.kind[event])]))
        track = self._data.tracks[int(self._data.structure.track[event])]
        lines.append(("thread", track.name))
        return lines

    def _paint_hover(self, p: QPainter, theme) -> None:
        lines = self._hover_lines()
        if not lines:
            return
        fm, bold = QFontMetricsF(self._small), QFontMetricsF(self._bold)
        label_w = max((fm.horizontalAdvance(k) for k, _ in lines[1:] if k), default=0) + 10
        width = max(
            bold.horizontalAdvance(lines[0][1]),
            *(label_w + fm.horizontalAdvance(v) for _, v in lines[1:]),
        )
        row = fm.height() + 2
        h = bold.height() + 6 + row * (len(lines) - 1) + 10
        w = min(width + 20, self.width() - 8)
        x = self._hover.x() + 14
        y = self._hover.y() + 16
        if x + w > self.width() - 4:
            x = self._hover.x() - w - 10
        if y + h > self.height() - 4:
            y = self._hover.y() - h - 8
        x, y = max(x, 4), max(y, 4)
        card = QRectF(x, y, w, h)
        p.setPen(QPen(QColor(theme.border), 1))
        p.setBrush(QColor(theme.base))
        p.drawRoundedRect(card, 5, 5)
        p.setFont(self._bold)
        p.setPen(QColor(theme.text))
        p.drawText(QPointF(x + 10, y + 6 + bold.ascent()), lines[0][1])
        p.setFont(self._small)
        ty = y + 6 + bold.height() + 6
        for label, value in lines[1:]:
            if label:
                p.setPen(QColor(theme.muted))
                p.drawText(QPointF(x + 10, ty + fm.ascent()), label)
                p.setPen(QColor(theme.text))
                p.drawText(QPointF(x + 10 + label_w, ty + fm.ascent()), value)
            else:
                p.setPen(QColor(theme.muted))
                p.drawText(QPointF(x + 10, ty + fm.ascent()), value)
            ty += row

    # ----------------------------------------------------------------------------- input

    def lane_at(self, y: float) -> int:
        """The lane under widget y, -1 over a header, the ruler or nothing."""
        if self._data is None or y < RULER_H or not len(self._lane_y):
            return -1
        cy = y - RULER_H + self._y
        lane = int(np.searchsorted(self._lane_y, cy, side="right")) - 1
        if lane < 0 or cy >= self._lane_y[lane] + LANE_H:
            return -1
        return lane

    def _hit(self, pos: QPointF | None) -> tuple[int, int] | None:
        """The painted bar under `pos`: (its index in the last frame's bars, its event)."""
        if pos is None or self._data is None:
            return None
        lane = self.lane_at(pos.y())
        if lane < 0:
            return None
        frame = self._frame()
        bars, x = frame.bars, pos.x()
        near = (bars.lane == lane) & (frame.x0 - HIT_SLACK_PX <= x)
        near &= x <= frame.x1 + HIT_SLACK_PX
        idx = np.flatnonzero(near)
        if not len(idx):
            return None
        gap = np.maximum(frame.x0[idx] - x, x - frame.x1[idx]).clip(0)
        # an event drawn on its own lies on top of a merged bar: it wins a tie
        best = idx[np.lexsort((bars.event[idx] < 0, gap))[0]]
        return int(best), int(bars.event[best])

    def event_at(self, pos: QPointF) -> int:
        """The event a click at `pos` selects: the one under it, or in a merged bar the
        nearest one; -1 for none."""
        hit = self._hit(pos)
        if hit is None:
            return -1
        i, event = hit
        if event >= 0:
            return event
        frame = self._frame()
        x0, x1 = frame.x0[i], frame.x1[i]
        t = self._t0 + (pos.x() - PAD) / self._ppu
        slack = (x1 - x0 + HIT_SLACK_PX) / self._ppu
        return self._data.event_at(self.lane_at(pos.y()), t, slack)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position()
            self._press_view = (self._t0, self._y)
            self._dragging = False
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        if self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            dx, dy = pos.x() - self._press.x(), pos.y() - self._press.y()
            if self._dragging or abs(dx) + abs(dy) > 3:
                self._dragging = True
                self.setCursor(Qt.CursorShape.ClosedHandCursor)
                t0, y0 = self._press_view
                self._t0 = t0 - dx / self._ppu
                self._y = int(y0 - dy)
                self._changed()
            return
        self._hover = pos
        self.update()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._press is not None:
            if not self._dragging:
                self.event_clicked.emit(self.event_at(event.position()))
            self._press = None
            self._dragging = False
            self.unsetCursor()
        super().mouseReleaseEvent(event)

    def leaveEvent(self, event) -> None:
        self._hover = None
        self.update()
        super().leaveEvent(event)

    def wheelEvent(self, event) -> None:
        if self._data is None:
            return
        delta = event.angleDelta()
        shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        if delta.x() or shift:
            self.pan_px(-(delta.x() or delta.y()) / 120 * self._plot_width() * 0.1)
        elif delta.y():
            self.zoom(WHEEL_STEP ** (delta.y() / 120), event.position().x())
        event.accept()

    def keyPressEvent(self, event) -> None:
        key = event.key()
        K = Qt.Key
        step = self._plot_width() * 0.15
        if key == K.Key_Left:
            self.pan_px(-step)
        elif key == K.Key_Right:
            self.pan_px(step)
        elif key in (K.Key_Plus, K.Key_Equal):
            self.zoom(1.5)
        elif key in (K.Key_Minus, K.Key_Underscore):
            self.zoom(1 / 1.5)
        elif key == K.Key_Home:
            self.fit()
        elif key == K.Key_Up:
            self.set_scroll_y(self._y - LANE_H)
        elif key == K.Key_Down:
            self.set_scroll_y(self._y + LANE_H)
        elif key == K.Key_PageUp:
            self.set_scroll_y(self._y - self.viewport_height)
        elif key == K.Key_PageDown:
            self.set_scroll_y(self._y + self.viewport_height)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def _on_theme(self, _theme=None) -> None:
        self.update()


class TimelineView(QWidget):
    """The canvas with a vertical scroll bar for traces with more lanes than fit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = TimelineCanvas()
        self.scrollbar = QScrollBar(Qt.Orientation.Vertical)
        self.scrollbar.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.scrollbar)
        self.canvas.view_changed.connect(self._sync_scrollbar)
        self.scrollbar.valueChanged.connect(self.canvas.set_scroll_y)

    def _sync_scrollbar(self) -> None:
        c = self.canvas
        top = max(c.content_height - c.viewport_height, 0)
        self.scrollbar.blockSignals(True)
        self.scrollbar.setRange(0, top)
        self.scrollbar.setPageStep(max(c.viewport_height, 1))
        self.scrollbar.setSingleStep(LANE_H)
        self.scrollbar.setValue(c.scroll_y)
        self.scrollbar.blockSignals(False)
        self.scrollbar.setVisible(top > 0)
