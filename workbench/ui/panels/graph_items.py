"""What the graph panel draws: node cards (one look per node kind), edges with arrowheads, the
boxes of expanded modules, and the scene that builds them from a `Graph` and its `Layout`.

Items share one `GraphStyle` (colours and fonts from the theme), updated in place on a theme
switch. Cards cache their pixels per view (DeviceCoordinateCache) and drop their text when the
zoom makes it unreadable, so zooming a 2,000-node graph repaints cheap rectangles.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QStyleOptionGraphicsItem

from workbench.ui.theme import Theme

TEXT_LOD = 0.5  # below this scale a 9 pt label is about 6 px tall: greek it
SHAPE_LOD = 0.18  # below this, cards are plain rectangles and edges plain lines
PAD_X = 10.0
MAX_TEXT = 230.0  # labels wider than this are elided (full text in the tooltip)
GLOW = 7.0  # room around a card for the selection halo and the step glow
ARROW = 7.0


def shape_text(shape) -> str:
    if shape is None:
        return "?"
    return "scalar" if len(shape) == 0 else " × ".join(str(s) for s in shape)


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
    )


def _alpha(c: QColor, a: float) -> QColor:
    out = QColor(c)
    out.setAlphaF(a)
    return out


class GraphStyle:
    """Colours and fonts of the scene. One instance is shared by every item of a scene and
    updated in place by `apply`, so a theme switch is `apply` plus a repaint."""

    def __init__(self, theme: Theme) -> None:
        base = QFont()
        size = base.pointSizeF() if base.pointSizeF() > 0 else 9.0
        self.title_font = QFont(base)
        self.title_font.setPointSizeF(max(size, 9.0))
        self.title_font.setWeight(QFont.Weight.DemiBold)
        self.sub_font = QFont(base)
        self.sub_font.setPointSizeF(max(size - 1.0, 8.0))
        self.small_font = QFont(base)
        self.small_font.setPointSizeF(max(size - 1.5, 7.5))
        self.title_metrics = QFontMetricsF(self.title_font)
        self.sub_metrics = QFontMetricsF(self.sub_font)
        self.small_metrics = QFontMetricsF(self.small_font)
        self.apply(theme)

    def apply(self, theme: Theme) -> None:
        c = QColor
        self.theme = theme
        base, alt, window = c(theme.base), c(theme.alt_base), c(theme.window)
        # The canvas is the darker of the list backgrounds and cards the lighter of base and
        # window, which keeps cards lifted off the canvas in light and dark themes alike.
        self.canvas = min(base, alt, key=lambda q: q.lightnessF())
        self.card = max(base, window, key=lambda q: q.lightnessF())
        self.text, self.muted, self.border = c(theme.text), c(theme.muted), c(theme.border)
        self.accent, self.error = c(theme.accent), c(theme.error)
        self.warning, self.success = c(theme.warning), c(theme.success)
        self.value, self.grad = c(theme.value), c(theme.grad)
        param = theme.series[3] if len(theme.series) > 3 else theme.accent
        self.param = c(param)
        self.edge = _mix(self.border, self.muted, 0.55)
        dark = self.canvas.lightnessF() < 0.5
        tint = 0.2 if dark else 0.1
        self.fill = {
            "op": self.card,
            "leaf": _mix(self.card, self.value, tint),
            "parameter": _mix(self.card, self.param, tint),
            "output": _mix(self.card, self.accent, tint * 0.8),
            "accumulate": _mix(self.card, self.muted, tint),
            "saved": self.canvas,
            "module": _mix(self.card, self.accent, tint * 0.6),
        }
        self.stroke = {
            "op": self.border,
            "leaf": self.value,
            "parameter": self.param,
            "output": self.accent,
            "accumulate": _mix(self.border, self.muted, 0.5),
            "saved": self.muted,
            "module": _mix(self.border, self.accent, 0.6),
        }
        # Cards seen from far away (minimap, a zoomed-out big graph) are solid blocks: the
        # kind's outline colour says what they are.
        self.coarse = {k: _mix(v, self.card, 0.25) for k, v in self.stroke.items()}
        self.coarse["op"] = _mix(self.border, self.muted, 0.6)
        self.box_fill = _alpha(self.accent, 0.06 if not dark else 0.09)
        self.box_stroke = _alpha(self.accent, 0.45)


def card_size(node, style: GraphStyle) -> tuple[float, float]:
    """The card's width and height for the layout (text measured in the scene's fonts)."""
    title, sub = card_texts(node)
    kind = node.kind
    if kind in ("accumulate", "saved"):
        w = style.small_metrics.horizontalAdvance(title) + 2 * PAD_X
        return (max(min(w, MAX_TEXT), 64.0), 24.0)
    tw = min(style.title_metrics.horizontalAdvance(title), MAX_TEXT)
    sw = min(style.sub_metrics.horizontalAdvance(sub), MAX_TEXT)
    w = max(tw, sw) + 2 * PAD_X
    if kind in ("leaf", "parameter"):
        w += 14.0  # the kind marker
    if kind == "module":
        w += 26.0  # the expand button
        return (max(w, 120.0), 50.0)
    return (max(w, 84.0), 42.0)


def card_texts(node) -> tuple[str, str]:
    """(title, subtitle) of a node's card."""
    kind = node.kind
    shape = shape_text(node.shape) if node.shape is not None else ""
    if kind == "accumulate":
        return (node.label or "AccumulateGrad", "")
    if kind == "saved":
        return (f"{node.label or node.name} · {shape}" if shape else node.label or node.name, "")
    if kind == "module":
        count = node.details.get("num_nodes")
        params = node.details.get("num_parameters")
        parts = []
        if isinstance(count, int):
            parts.append(f"{count} nodes")
        if params:
            parts.append(f"{params} param{'s' if params != 1 else ''}")
        if shape:
            parts.append(shape)
        return (node.label or node.name, " · ".join(parts) or "module")
    if kind in ("leaf", "parameter", "output"):
        title = node.name or node.label or kind
        dtype = (node.dtype or "").removeprefix("torch.")
        sub = " · ".join(p for p in (shape, dtype) if p)
        return (title, sub)
    title = node.label or node.name or "op"
    return (title, shape)


class NodeCard(QGraphicsItem):
    """One node. Its position is the top-left corner of the card; `rect` its local geometry."""

    def __init__(self, node, style: GraphStyle, size: tuple[float, float]) -> None:
        super().__init__()
        self.node = node
        self._style = style
        self.rect = QRectF(0.0, 0.0, float(size[0]), float(size[1]))
        self.selected = False
        self.match = 0  # 0 no search match, 1 a match, 2 the current match
        self.step_state: str | None = None  # "done" | "current" | "pending" | None
        self.error = False
        self.badge = ""
        title, sub = card_texts(node)
        self._title, self._sub = self._elide(title, sub)
        self.setToolTip(_node_tooltip(node))
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # the view handles clicks
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1.0)

    def _elide(self, title: str, sub: str) -> tuple[str, str]:
        s = self._style
        mode = Qt.TextElideMode.ElideMiddle
        if self.node.kind in ("accumulate", "saved"):
            return s.small_metrics.elidedText(title, mode, self.rect.width() - 2 * PAD_X), ""
        room = self.rect.width() - 2 * PAD_X - self._left_inset() - self._right_inset()
        return (
            s.title_metrics.elidedText(title, mode, room),
            s.sub_metrics.elidedText(sub, mode, room),
        )

    def _left_inset(self) -> float:
        return 14.0 if self.node.kind in ("leaf", "parameter") else 0.0

    def _right_inset(self) -> float:
        return 26.0 if self.node.kind == "module" else 0.0

    @staticmethod
    def text_visible(lod: float) -> bool:
        """Whether labels are drawn at level of detail `lod` (the view's scale)."""
        return lod >= TEXT_LOD

    @property
    def title(self) -> str:
        return self._title

    def center(self) -> QPointF:
        return self.mapToScene(self.rect.center())

    def set_state(self, **changes) -> None:
        """Change any of selected, match, step_state, error, badge; repaint only on a change."""
        changed = False
        for key, value in changes.items():
            if getattr(self, key) != value:
                setattr(self, key, value)
                changed = True
        if changed:
            self.setOpacity(0.38 if self.step_state == "pending" else 1.0)
            self.update()

    # -- painting -----------------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-GLOW, -GLOW, GLOW, GLOW + 4.0)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self.rect)
        return path

    def _outline(self) -> QPainterPath:
        path = QPainterPath()
        r = self.rect
        kind = self.node.kind
        radius = {"leaf": 11.0, "parameter": 11.0, "accumulate": r.height() / 2}.get(kind, 6.0)
        if kind == "saved":
            radius = 4.0
        path.addRoundedRect(r, radius, radius)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        s = self._style
        kind = self.node.kind
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        if lod < SHAPE_LOD:
            colour = s.coarse.get(kind, s.edge)
            if self.error:
                colour = s.error
            elif self.step_state == "current" or self.selected:
                colour = s.accent
            elif self.match:
                colour = s.warning
            painter.fillRect(self.rect, colour)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        outline = self._outline()
        self._paint_halo(painter, outline)
        if kind == "module":  # a second card peeking out behind: "there is more inside"
            painter.setPen(QPen(s.stroke["module"], 1.0))
            painter.setBrush(s.fill["module"])
            painter.drawPath(outline.translated(3.5, 3.5))
        pen = QPen(s.stroke.get(kind, s.border), 1.0)
        if kind == "output" or self.selected:
            pen.setWidthF(2.0)
        if self.selected:
            pen.setColor(s.accent)
        if self.error:
            pen = QPen(s.error, 2.0)
        if kind == "saved":
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(s.fill.get(kind, s.card))
        painter.drawPath(outline)
        if kind in ("leaf", "parameter"):
            self._paint_marker(painter)
        if kind == "module":
            self._paint_expand(painter)
        if not self.text_visible(lod):
            self._paint_greeked(painter)
        else:
            self._paint_text(painter)
            if self.step_state == "done":
                self._paint_check(painter)
            if self.badge:
                self._paint_badge(painter)

    def _paint_halo(self, painter: QPainter, outline: QPainterPath) -> None:
        s = self._style
        colour = None
        width = 0.0
        if self.error:
            colour, width = _alpha(s.error, 0.35), 9.0
        elif self.step_state == "current":
            colour, width = _alpha(s.accent, 0.45), 11.0
        elif self.match == 2:
            colour, width = _alpha(s.warning, 0.7), 9.0
        elif self.match == 1:
            colour, width = _alpha(s.warning, 0.4), 7.0
        elif self.selected:
            colour, width = _alpha(s.accent, 0.25), 8.0
        if colour is None:
            return
        painter.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(outline)

    def _paint_marker(self, painter: QPainter) -> None:
        s = self._style
        cy = self.rect.height() / 2
        colour = s.stroke[self.node.kind]
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        if self.node.kind == "parameter":  # a diamond: a trainable weight
            x = PAD_X + 3.5
            painter.drawPolygon(
                QPolygonF(
                    [
                        QPointF(x, cy - 5),
                        QPointF(x + 5, cy),
                        QPointF(x, cy + 5),
                        QPointF(x - 5, cy),
                    ]
                )
            )
        else:  # a dot: a tensor the user made
            painter.drawEllipse(QPointF(PAD_X + 3.5, cy), 4.0, 4.0)

    def button_rect(self) -> QRectF:
        """A module card's expand button (local coordinates); empty for other kinds."""
        if self.node.kind != "module":
            return QRectF()
        c = QPointF(self.rect.right() - PAD_X - 8, self.rect.center().y())
        return QRectF(c.x() - 11, c.y() - 11, 22, 22)

    def _paint_expand(self, painter: QPainter) -> None:
        s = self._style
        c = self.button_rect().center()
        painter.setPen(QPen(s.accent, 1.2))
        painter.setBrush(s.card)
        painter.drawEllipse(c, 8.5, 8.5)
        painter.setPen(QPen(s.accent, 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.drawLine(QPointF(c.x() - 4, c.y()), QPointF(c.x() + 4, c.y()))
        painter.drawLine(QPointF(c.x(), c.y() - 4), QPointF(c.x(), c.y() + 4))

    def _paint_text(self, painter: QPainter) -> None:
        s = self._style
        r = self.rect
        kind = self.node.kind
        left = r.left() + PAD_X + self._left_inset()
        width = r.width() - 2 * PAD_X - self._left_inset() - self._right_inset()
        centre = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter
        if kind in ("accumulate", "saved"):
            painter.setFont(s.small_font)
            painter.setPen(s.muted if kind == "saved" else s.text)
            painter.drawText(r, centre, self._title)
            return
        align = (
            Qt.AlignmentFlag.AlignLeft if self._left_inset() else Qt.AlignmentFlag.AlignHCenter
        ) | Qt.AlignmentFlag.AlignVCenter
        th = s.title_metrics.height()
        sh = s.sub_metrics.height() if self._sub else 0.0
        top = r.top() + (r.height() - th - sh) / 2
        painter.setFont(s.title_font)
        painter.setPen(s.error if self.error else s.text)
        painter.drawText(QRectF(left, top, width, th), align, self._title)
        if self._sub:
            painter.setFont(s.sub_font)
            painter.setPen(s.muted)
            painter.drawText(QRectF(left, top + th, width, sh), align, self._sub)

    def _paint_greeked(self, painter: QPainter) -> None:
        """Text too small to read is drawn as a bar of its width, so the card is not blank."""
        s = self._style
        fm = s.small_metrics if self.node.kind in ("accumulate", "saved") else s.title_metrics
        width = min(fm.horizontalAdvance(self._title), self.rect.width() - 2 * PAD_X)
        left = self.rect.left() + PAD_X + self._left_inset()
        if not self._left_inset():
            left = self.rect.center().x() - width / 2
        h = min(6.0, self.rect.height() / 3)
        bar = QRectF(left, self.rect.center().y() - h / 2, width, h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_alpha(s.error if self.error else s.muted, 0.55))
        painter.drawRoundedRect(bar, h / 2, h / 2)

    def _paint_check(self, painter: QPainter) -> None:
        s = self._style
        c = QPointF(self.rect.right() - 1, self.rect.top() + 1)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(s.success)
        painter.drawEllipse(c, 6.5, 6.5)
        painter.setPen(QPen(s.card, 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.drawPolyline(
            QPolygonF(
                [
                    QPointF(c.x() - 3, c.y()),
                    QPointF(c.x() - 0.8, c.y() + 2.4),
                    QPointF(c.x() + 3.2, c.y() - 2.4),
                ]
            )
        )

    def _paint_badge(self, painter: QPainter) -> None:
        s = self._style
        w = min(s.small_metrics.horizontalAdvance(self.badge) + 12, self.rect.width() + 2 * GLOW)
        h = s.small_metrics.height() + 3
        box = QRectF(self.rect.center().x() - w / 2, self.rect.bottom() - h / 2 + 2, w, h)
        painter.setPen(QPen(s.grad, 1.0))
        painter.setBrush(s.card)
        painter.drawRoundedRect(box, h / 2, h / 2)
        painter.setFont(s.small_font)
        painter.setPen(s.grad)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.badge)


def _node_tooltip(node) -> str:
    lines = [node.label or node.name]
    if node.name and node.name != node.label:
        lines.append(f"name: {node.name}")
    lines.append(f"kind: {node.kind}")
    if node.shape is not None:
        dtype = f" · {node.dtype}" if node.dtype else ""
        lines.append(f"shape: {shape_text(node.shape)}{dtype}")
    if node.module:
        lines.append(f"module: {node.module}")
    return "\n".join(lines)


class EdgeItem(QGraphicsItem):
    """A forward data-flow edge: a smooth path through the layout's points with an arrowhead at
    the consumer. Highlighted on hover (its tooltip gives the tensor's shape) and when one of
    its ends is the selected node."""

    def __init__(self, edge, points, style: GraphStyle, vertical: bool, tooltip: str) -> None:
        super().__init__()
        self.edge = edge
        self._style = style
        self.hovered = False
        self.highlighted = False
        self.dashed = edge.input_nr < 0  # a saved tensor's edge, not an operand
        self.path = _smooth_path(points, vertical)
        self._arrow = _arrow_head(points, vertical)
        self._shape: QPainterPath | None = None
        self._bounds = self.path.controlPointRect().united(self._arrow.boundingRect())
        self._bounds.adjust(-4.0, -4.0, 4.0, 4.0)
        self.setToolTip(tooltip)
        self.setAcceptHoverEvents(True)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(0.0)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        if self._shape is None:  # built on first hover test only: most edges never need it
            stroker = QPainterPathStroker()
            stroker.setWidth(9.0)
            self._shape = stroker.createStroke(self.path)
        return self._shape

    def set_highlighted(self, on: bool) -> None:
        if on != self.highlighted:
            self.highlighted = on
            self.setZValue(0.5 if on else 0.0)
            self.update()

    def hoverEnterEvent(self, event) -> None:
        self.hovered = True
        self.setZValue(0.6)
        self.update()

    def hoverLeaveEvent(self, event) -> None:
        self.hovered = False
        self.setZValue(0.5 if self.highlighted else 0.0)
        self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        s = self._style
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        hot = self.hovered or self.highlighted
        colour = s.accent if hot else s.edge
        width = (2.2 if self.hovered else 1.8) if hot else 1.3
        if lod < SHAPE_LOD:
            painter.setPen(QPen(colour, 0))  # cosmetic hairline: cheap and always visible
            painter.drawPath(self.path)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        style = Qt.PenStyle.DashLine if self.dashed else Qt.PenStyle.SolidLine
        painter.setPen(QPen(colour, width, style, Qt.PenCapStyle.RoundCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPolygon(self._arrow)


def _smooth_path(points, vertical: bool) -> QPainterPath:
    """Cubic segments between consecutive points with tangents along the layout's flow
    direction, so an edge routed through several layers bends smoothly at each of them."""
    pts = [QPointF(float(x), float(y)) for x, y in points]
    path = QPainterPath(pts[0])
    end = pts[-1]
    # Stop the line at the arrowhead's base, so its round cap does not poke through the tip.
    if len(pts) >= 2:
        prev = pts[-2]
        dx, dy = end.x() - prev.x(), end.y() - prev.y()
        length = math.hypot(dx, dy) or 1.0
        if vertical:
            end = QPointF(end.x(), end.y() - math.copysign(ARROW, dy or 1.0))
        else:
            end = QPointF(end.x() - math.copysign(ARROW, dx or 1.0), end.y())
        if length < 2 * ARROW:
            end = pts[-1]
        pts[-1] = end
    for a, b in zip(pts, pts[1:], strict=False):
        if vertical:
            my = (a.y() + b.y()) / 2
            path.cubicTo(QPointF(a.x(), my), QPointF(b.x(), my), b)
        else:
            mx = (a.x() + b.x()) / 2
            path.cubicTo(QPointF(mx, a.y()), QPointF(mx, b.y()), b)
    return path


def _arrow_head(points, vertical: bool) -> QPolygonF:
    (x0, y0), (x1, y1) = points[-2] if len(points) > 1 else points[-1], points[-1]
    tip = QPointF(float(x1), float(y1))
    if vertical:
        d = 1.0 if y1 >= y0 else -1.0
        base = tip.y() - d * ARROW
        return QPolygonF(
            [tip, QPointF(tip.x() - ARROW * 0.55, base), QPointF(tip.x() + ARROW * 0.55, base)]
        )
    d = 1.0 if x1 >= x0 else -1.0
    base = tip.x() - d * ARROW
    return QPolygonF(
        [tip, QPointF(base, tip.y() - ARROW * 0.55), QPointF(base, tip.y() + ARROW * 0.55)]
    )


class ModuleBox(QGraphicsItem):
    """The light rectangle behind the nodes of an expanded module, labelled with its name."""

    LABEL_H = 20.0

    def __init__(self, module: str, label: str, rect: QRectF, style: GraphStyle) -> None:
        super().__init__()
        self.module = module
        self.label = label
        self._style = style
        self.rect = QRectF(rect)
        self.rect.adjust(-12.0, -12.0 - self.LABEL_H, 12.0, 12.0)
        self.setToolTip(f"{label}\nclick ⊖ (or double-click the frame) to collapse")
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(-10.0)

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-1, -1, 1, 1)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self.rect)
        return path

    def button_rect(self) -> QRectF:
        """The collapse button at the top right (scene coordinates: the box is not moved)."""
        return QRectF(self.rect.right() - 26, self.rect.top() + 3, 20, 20)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        s = self._style
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, lod >= SHAPE_LOD)
        pen = QPen(s.box_stroke, 1.0, Qt.PenStyle.DashLine)
        pen.setCosmetic(lod < SHAPE_LOD)
        painter.setPen(pen)
        painter.setBrush(s.box_fill)
        painter.drawRoundedRect(self.rect, 10.0, 10.0)
        if NodeCard.text_visible(lod):
            painter.setFont(s.sub_font)
            painter.setPen(s.accent)
            r = self.rect
            text_rect = QRectF(r.left() + 12, r.top() + 4, r.width() - 44, 18)
            painter.drawText(
                text_rect,
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                s.sub_metrics.elidedText(
                    self.label, Qt.TextElideMode.ElideRight, text_rect.width()
                ),
            )
            c = self.button_rect().center()
            painter.setPen(QPen(s.accent, 1.2))
            painter.setBrush(s.card)
            painter.drawEllipse(c, 7.5, 7.5)
            painter.setPen(QPen(s.accent, 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            painter.drawLine(QPointF(c.x() - 3.5, c.y()), QPointF(c.x() + 3.5, c.y()))


class GraphScene(QGraphicsScene):
    """The items of one laid-out graph: `cards` by node id, `edges` by edge key, `boxes` by
    module path."""

    MARGIN = 40.0

    def __init__(self, style: GraphStyle, parent=None) -> None:
        super().__init__(parent)
        self.style = style
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.cards: dict[int, NodeCard] = {}
        self.edges: dict[tuple[int, int, int], EdgeItem] = {}
        self.boxes: dict[str, ModuleBox] = {}
        self.setBackgroundBrush(QBrush(style.canvas))

    def build(self, graph, layout, vertical: bool, boxes=()) -> None:
        """Replace the items with `graph` laid out by `layout`; `boxes` are (module path,
        label, node ids) of the expanded modules to frame."""
        self.clear()
        self.cards, self.edges, self.boxes = {}, {}, {}
        # Items are added before the index sees them: one BSP rebuild instead of thousands of
        # incremental inserts.
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        s = self.style
        for nid, node in graph.nodes.items():
            if nid not in layout.positions:
                continue
            x, y, w, h = layout.positions[nid]
            card = NodeCard(node, s, (w, h))
            card.setPos(float(x), float(y))
            self.addItem(card)
            self.cards[nid] = card
        for e in graph.edges:
            points = layout.edges.get(e.key)
            if not points or e.src not in self.cards or e.dst not in self.cards:
                continue
            src, dst = graph.nodes[e.src], graph.nodes[e.dst]
            what = f"input {e.input_nr}" if e.input_nr >= 0 else "saved for backward"
            tip = (
                f"{shape_text(e.shape)}\n{src.label or src.name} → {dst.label or dst.name} ({what})"
            )
            item = EdgeItem(e, points, s, vertical, tip)
            self.addItem(item)
            self.edges[e.key] = item
        for module, label, ids in boxes:
            rects = [self.cards[i].sceneBoundingRect() for i in ids if i in self.cards]
            if not rects:
                continue
            rect = rects[0]
            for r in rects[1:]:
                rect = rect.united(r)
            box = ModuleBox(module, label, rect.adjusted(GLOW, GLOW, -GLOW, -GLOW - 4), s)
            self.addItem(box)
            self.boxes[module] = box
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        bounds = QRectF(0.0, 0.0, float(layout.width), float(layout.height))
        for box in self.boxes.values():
            bounds = bounds.united(box.boundingRect())
        m = self.MARGIN
        self.setSceneRect(bounds.adjusted(-m, -m, m, m))

    def restyle(self, theme: Theme) -> None:
        self.style.apply(theme)
        self.setBackgroundBrush(QBrush(self.style.canvas))
        for item in self.items():
            item.update()

    def card_at(self, pos: QPointF) -> NodeCard | None:
        for item in self.items(pos):
            if isinstance(item, NodeCard):
                return item
        return None

    def box_at(self, pos: QPointF) -> ModuleBox | None:
        for item in self.items(pos):
            if isinstance(item, ModuleBox):
                return item
        return None
