"""The graph canvas: a QGraphicsView with wheel zoom around the cursor, drag pan, fit-to-view,
and a minimap in the corner for graphs bigger than the view.

Clicks are recognised here (a press and release that barely moved), not by the items, so a drag
that starts on a card still pans. The minimap paints a cached picture of the whole scene and
re-renders it only when the scene changes, never while the user zooms or pans.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, QSizeF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QFrame, QGraphicsView, QWidget

from workbench.ui.panels.graph_items import GraphScene, ModuleBox, NodeCard
from workbench.ui.theme import current_theme

MIN_SCALE = 0.02
MAX_SCALE = 4.0
MAX_FIT_SCALE = 1.25  # fitting a three-node graph should not blow it up to 400 %
READABLE_FIT = 0.3  # below this fit scale, a new graph opens zoomed in on its output
FOCUS_SCALE = 0.85
CLICK_SLOP = 4  # pixels a press may move and still be a click


class GraphView(QGraphicsView):
    node_clicked = Signal(object)  # NodeCard
    node_double_clicked = Signal(object)  # NodeCard
    expand_requested = Signal(object)  # the NodeCard of a module whose + was clicked
    collapse_requested = Signal(object)  # the ModuleBox whose ⊖ was clicked or double-clicked
    background_clicked = Signal()
    context_requested = Signal(object, QPoint)  # NodeCard | ModuleBox | None, global position
    zoom_changed = Signal(float)
    view_changed = Signal()  # zoom or scroll: what is visible moved

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("GraphView")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing
            | QPainter.RenderHint.TextAntialiasing
            | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._press: QPoint | None = None
        self._auto_fit = True  # refit on resize until the user zooms or pans
        self._pending_focus = None  # fit_or_focus asked for while hidden: done when shown
        self.minimap = Minimap(self)
        self.minimap.hide()
        self.overview_enabled = True
        self.horizontalScrollBar().valueChanged.connect(self._on_scrolled)
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)

    # -- scene --------------------------------------------------------------------------------

    def set_graph_scene(self, scene: GraphScene) -> None:
        old = self.scene()
        if old is not None and old is not scene:
            old.changed.disconnect(self.minimap.invalidate)
        self.setScene(scene)
        if old is not scene:
            scene.changed.connect(self.minimap.invalidate)
        self.minimap.invalidate()
        self.fit_all()

    @property
    def auto_fit(self) -> bool:
        """True until the user zooms or pans: the view then refits when resized."""
        return self._auto_fit

    @property
    def scale_factor(self) -> float:
        return self.transform().m11()

    def visible_scene_rect(self) -> QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect()

    # -- zoom and pan -------------------------------------------------------------------------

    def zoom_by(self, factor: float, view_pos: QPointF | None = None) -> None:
        """Scale by `factor`, keeping the scene point under `view_pos` (default: the centre)
        where it is."""
        current = self.scale_factor
        target = min(max(current * factor, self._min_scale()), MAX_SCALE)
        if current <= 0 or abs(target - current) < 1e-9:
            return
        factor = target / current
        if view_pos is None:
            view_pos = QPointF(self.viewport().rect().center())
        anchor = view_pos.toPoint()
        before = self.mapToScene(anchor)
        self.scale(factor, factor)
        after = self.mapToScene(anchor)
        delta = after - before
        self.translate(delta.x(), delta.y())
        self._auto_fit = False
        self._after_view_change()

    def set_zoom(self, scale: float) -> None:
        self.zoom_by(scale / self.scale_factor if self.scale_factor else 1.0)

    def _min_scale(self) -> float:
        # Never zoom out much past "everything fits": beyond it there is only empty canvas.
        return min(MIN_SCALE, self._fit_scale() * 0.5)

    def _fit_scale(self) -> float:
        scene = self.scene()
        if scene is None or scene.sceneRect().isEmpty():
            return 1.0
        rect = scene.sceneRect()
        view = self.viewport().rect()
        return min(view.width() / rect.width(), view.height() / rect.height())

    def fit_all(self) -> None:
        scene = self.scene()
        if scene is None or scene.sceneRect().isEmpty():
            return
        scale = min(self._fit_scale(), MAX_FIT_SCALE)
        self.resetTransform()
        self.scale(scale, scale)
        self.centerOn(scene.sceneRect().center())
        self._auto_fit = True
        self._after_view_change()

    def fit_or_focus(self, item=None) -> None:
        """Fit the whole graph when it stays readable; a big graph instead opens at a readable
        scale on `item` (the output, where backward starts), with the minimap for the rest."""
        view = self.viewport().rect()
        if not self.isVisible() or view.width() < 100 or view.height() < 100:
            # A panel behind another tab has no real size yet: decide once it is shown.
            self._pending_focus = item
            self._auto_fit = True
            return
        self._pending_focus = None
        if item is None or self._fit_scale() >= READABLE_FIT:
            self.fit_all()
            return
        self.resetTransform()
        self.scale(FOCUS_SCALE, FOCUS_SCALE)
        self.centerOn(item.sceneBoundingRect().center())
        self._auto_fit = False
        self._after_view_change()

    def centre_on(self, item) -> None:
        """Scroll so that `item` is in the middle, zooming in if its text would be unreadable."""
        from workbench.ui.panels.graph_items import TEXT_LOD

        if self.scale_factor < TEXT_LOD:
            self.zoom_by(0.9 / self.scale_factor)
        self.centerOn(item.sceneBoundingRect().center())
        self._auto_fit = False
        self._after_view_change()

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if not delta:
            event.ignore()
            return
        self.zoom_by(1.0015**delta, event.position())
        event.accept()

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key == Qt.Key.Key_F and not event.modifiers():
            self.fit_all()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(1.25)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(0.8)
        elif key == Qt.Key.Key_0:
            self.set_zoom(1.0)
        else:
            super().keyPressEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        pending = self._pending_focus
        if pending is not None:
            self.fit_or_focus(pending)
        elif self._auto_fit:
            self.fit_all()
        self._place_minimap()

    def _on_scrolled(self, _value=None) -> None:
        if self._press is not None:  # the user drags the canvas
            self._auto_fit = False
        self._after_view_change()

    def _after_view_change(self) -> None:
        self.zoom_changed.emit(self.scale_factor)
        self._update_minimap_visibility()
        self.minimap.update()
        self.view_changed.emit()

    # -- clicks -------------------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        super().mouseReleaseEvent(event)
        press, self._press = self._press, None
        if press is None or event.button() != Qt.MouseButton.LeftButton:
            return
        if (event.position().toPoint() - press).manhattanLength() > CLICK_SLOP:
            return
        scene_pos = self.mapToScene(press)
        card = self._card_at(press)
        if card is not None:
            if card.button_rect().contains(card.mapFromScene(scene_pos)):
                self.expand_requested.emit(card)
            else:
                self.node_clicked.emit(card)
            return
        box = self._box_at(press)
        if box is not None and box.button_rect().contains(scene_pos):
            self.collapse_requested.emit(box)
        else:
            self.background_clicked.emit()

    def mouseDoubleClickEvent(self, event) -> None:
        pos = event.position().toPoint()
        card = self._card_at(pos)
        if card is not None:
            self.node_double_clicked.emit(card)
            return
        box = self._box_at(pos)
        if box is not None:
            self.collapse_requested.emit(box)
            return
        super().mouseDoubleClickEvent(event)

    def contextMenuEvent(self, event) -> None:
        pos = event.pos()
        item = self._card_at(pos) or self._box_at(pos)
        self.context_requested.emit(item, event.globalPos())

    def _card_at(self, pos: QPoint) -> NodeCard | None:
        scene = self.scene()
        return scene.card_at(self.mapToScene(pos)) if isinstance(scene, GraphScene) else None

    def _box_at(self, pos: QPoint) -> ModuleBox | None:
        scene = self.scene()
        return scene.box_at(self.mapToScene(pos)) if isinstance(scene, GraphScene) else None

    # -- minimap ------------------------------------------------------------------------------

    def set_overview_enabled(self, on: bool) -> None:
        self.overview_enabled = on
        self._update_minimap_visibility()

    def _update_minimap_visibility(self) -> None:
        scene = self.scene()
        show = False
        if self.overview_enabled and scene is not None and not scene.sceneRect().isEmpty():
            items = scene.sceneRect().adjusted(
                GraphScene.MARGIN, GraphScene.MARGIN, -GraphScene.MARGIN, -GraphScene.MARGIN
            )
            show = not self.visible_scene_rect().contains(items)
        if show != self.minimap.isVisible():
            self.minimap.setVisible(show)
            if show:
                self._place_minimap()
                self.minimap.raise_()

    def _place_minimap(self) -> None:
        scene = self.scene()
        if scene is None:
            return
        size = self.minimap.size_for(scene.sceneRect(), self.viewport().size())
        self.minimap.resize(size)
        vp = self.viewport().geometry()
        self.minimap.move(vp.right() - size.width() - 10, vp.bottom() - size.height() - 10)


class Minimap(QWidget):
    """The whole graph in a corner with the visible part framed; click or drag to move there."""

    MAX_W, MAX_H = 220, 160

    def __init__(self, view: GraphView) -> None:
        super().__init__(view)
        self.setObjectName("GraphMinimap")
        self._view = view
        self._pixmap: QPixmap | None = None
        self._dirty = True
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")

    def size_for(self, scene_rect: QRectF, viewport: QSize) -> QSize:
        if scene_rect.isEmpty():
            return QSize(self.MAX_W, self.MAX_H)
        max_w = min(self.MAX_W, max(80, viewport.width() // 3))
        max_h = min(self.MAX_H, max(60, viewport.height() // 3))
        k = min(max_w / scene_rect.width(), max_h / scene_rect.height())
        return QSize(max(int(scene_rect.width() * k), 40), max(int(scene_rect.height() * k), 30))

    def invalidate(self, *_args) -> None:
        self._dirty = True
        if self.isVisible():
            self.update()

    def _scene_rect(self) -> QRectF:
        scene = self._view.scene()
        return scene.sceneRect() if scene is not None else QRectF()

    def _transform(self) -> tuple[float, float, float]:
        """(scale, dx, dy) from scene to minimap coordinates."""
        rect = self._scene_rect()
        if rect.isEmpty():
            return 1.0, 0.0, 0.0
        k = min(self.width() / rect.width(), self.height() / rect.height())
        dx = (self.width() - rect.width() * k) / 2 - rect.left() * k
        dy = (self.height() - rect.height() * k) / 2 - rect.top() * k
        return k, dx, dy

    def _render(self) -> None:
        scene = self._view.scene()
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(self.size() * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(QColor(current_theme().base))
        if scene is not None:
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            target = QRectF(0, 0, self.width(), self.height())
            scene.render(painter, target, self._scene_rect(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.end()
        self._pixmap = pixmap
        self._dirty = False

    def paintEvent(self, event) -> None:
        if (
            self._dirty
            or self._pixmap is None
            or self._pixmap.deviceIndependentSize() != self.size()
        ):
            self._render()
        theme = current_theme()
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._pixmap)
        k, dx, dy = self._transform()
        visible = self._view.visible_scene_rect()
        frame = QRectF(
            visible.left() * k + dx,
            visible.top() * k + dy,
            visible.width() * k,
            visible.height() * k,
        ).intersected(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        # Zoomed far into a big graph the frame would shrink to a dot: keep it findable.
        if frame.width() < 8 or frame.height() < 8:
            centre = frame.center()
            frame.setSize(frame.size().expandedTo(QSizeF(8, 8)))
            frame.moveCenter(centre)
        accent = QColor(theme.accent)
        fill = QColor(accent)
        fill.setAlphaF(0.12)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(accent, 1.5))
        painter.setBrush(fill)
        painter.drawRect(frame)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(theme.border), 1))
        painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        painter.end()

    def scene_point(self, pos: QPointF) -> QPointF:
        k, dx, dy = self._transform()
        return QPointF((pos.x() - dx) / k, (pos.y() - dy) / k)

    def _move_view(self, pos: QPointF) -> None:
        self._view.centerOn(self.scene_point(pos))
        self._view._auto_fit = False
        self._view._after_view_change()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._move_view(event.position())
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._move_view(event.position())
        event.accept()

    def event(self, e) -> bool:
        # Keep wheel events from scrolling the view under the minimap in surprising ways.
        if e.type() == QEvent.Type.Wheel:
            e.accept()
            return True
        return super().event(e)
