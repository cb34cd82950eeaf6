"""The graph canvas: zoom, pan, fit, level of detail, minimap, edges, and a 2,000-node graph."""

import math
import time

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QTransform, QWheelEvent
from PySide6.QtWidgets import QApplication, QStyleOptionGraphicsItem

import workbench.engine as torch
from workbench.graph import Node
from workbench.ui.panels.graph_items import (
    SHAPE_LOD,
    TEXT_LOD,
    GraphStyle,
    NodeCard,
    card_size,
)
from workbench.ui.panels.graph_panel import GraphPanel
from workbench.ui.panels.graph_view import MAX_FIT_SCALE, MAX_SCALE
from workbench.ui.selection import Selection
from workbench.ui.theme import LIGHT, current_theme, theme_manager


@pytest.fixture
def make_panel(make_widget, qapp):
    qapp.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    if theme_manager().theme is not LIGHT:
        theme_manager().set_mode("light")
    theme_manager().apply()

    def make(namespace):
        panel = make_widget(GraphPanel, Selection())
        panel.resize(900, 600)
        panel.show()
        panel.set_namespace(namespace)
        return panel

    return make


def tutorial():
    a = torch.linspace(0.0, 2.0 * math.pi, steps=25, requires_grad=True)
    return {"a": a, "loss": (2 * torch.sin(a) + 1).sum()}


def chain(n):
    """About 4n nodes: a leaf, its AccumulateGrad, a mul and a tanh per link."""
    torch.manual_seed(0)
    h = torch.randn(3, requires_grad=True)
    ns = {"x": h}
    for i in range(n):
        w = torch.randn(3, requires_grad=True)
        ns[f"w{i}"] = w
        h = torch.tanh(h * w)
    ns["loss"] = h.sum()
    return ns


def wheel(view, pos: QPoint, delta: int) -> None:
    event = QWheelEvent(
        QPointF(pos),
        QPointF(view.viewport().mapToGlobal(pos)),
        QPoint(0, 0),
        QPoint(0, delta),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.viewport(), event)


def test_wheel_zooms_around_the_cursor(make_panel):
    view = make_panel(chain(40)).view
    view.set_zoom(1.5)  # bigger than the view both ways: a smaller scene is kept centred
    before_scale = view.scale_factor
    pos = QPoint(200, 150)
    before = view.mapToScene(pos)
    wheel(view, pos, 240)
    assert view.scale_factor == pytest.approx(before_scale * 1.0015**240, rel=1e-6)
    after = view.mapToScene(pos)
    assert abs(after.x() - before.x()) < 1.5 and abs(after.y() - before.y()) < 1.5
    wheel(view, pos, -480)
    assert view.scale_factor < before_scale


def test_zoom_is_clamped_and_labelled(make_panel):
    panel = make_panel(tutorial())
    view = panel.view
    for _ in range(40):
        view.zoom_by(2.0)
    assert view.scale_factor == pytest.approx(MAX_SCALE)
    assert panel.zoom_label.text() == f"{MAX_SCALE * 100:.0f} %"
    for _ in range(60):
        view.zoom_by(0.5)
    assert view.scale_factor > 0.0


def test_fit_key_and_button_show_the_whole_graph(qtbot, make_panel):
    panel = make_panel(chain(6))
    view = panel.view
    fitted = view.transform()
    view.zoom_by(3.0)
    assert view.transform() != fitted
    assert not view.visible_scene_rect().contains(view.scene().itemsBoundingRect())
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_F)
    assert view.transform().m11() == pytest.approx(fitted.m11())
    assert view.scale_factor <= MAX_FIT_SCALE
    assert (
        view.visible_scene_rect().adjusted(-2, -2, 2, 2).contains(view.scene().itemsBoundingRect())
    )
    view.zoom_by(2.0)
    qtbot.mouseClick(panel.fit_button, Qt.MouseButton.LeftButton)
    assert view.transform().m11() == pytest.approx(fitted.m11())


def test_keys_zoom_in_out_and_reset(qtbot, make_panel):
    view = make_panel(tutorial()).view
    view.setFocus()
    start = view.scale_factor
    qtbot.keyClick(view, Qt.Key.Key_Plus)
    assert view.scale_factor == pytest.approx(start * 1.25)
    qtbot.keyClick(view, Qt.Key.Key_Minus)
    assert view.scale_factor == pytest.approx(start)
    qtbot.keyClick(view, Qt.Key.Key_0)
    assert view.scale_factor == pytest.approx(1.0)


def test_dragging_pans_and_is_not_a_click(qtbot, make_panel):
    panel = make_panel(chain(12))
    view = panel.view
    view.set_zoom(1.0)
    clicks = []
    view.node_clicked.connect(clicks.append)
    card = panel.scene.cards[panel.graph.outputs[0]]
    start = view.mapFromScene(card.sceneBoundingRect().center())
    before = view.visible_scene_rect().center()
    vp = view.viewport()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 6):
        qtbot.mouseMove(vp, start + QPoint(0, 30 * step))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=start + QPoint(0, 150))
    after = view.visible_scene_rect().center()
    # the output sits at the bottom: dragging the canvas down shows what is above it
    assert after.y() < before.y() - 100
    assert clicks == []
    assert not view.auto_fit


def test_level_of_detail_hides_text_when_small(qapp):
    theme_manager().apply()
    style = GraphStyle(current_theme())
    node = Node(1, "op", "MulBackward0", "Mul", (25,), "float32", None, 1)
    card = NodeCard(node, style, card_size(node, style))
    assert not NodeCard.text_visible(TEXT_LOD * 0.9) and NodeCard.text_visible(TEXT_LOD)
    assert NodeCard.text_visible(1.0) and not NodeCard.text_visible(SHAPE_LOD)

    def text_pixels(scale: float) -> int:
        image = QImage(400, 200, QImage.Format.Format_ARGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.setTransform(QTransform().translate(20, 20).scale(scale, scale))
        card.paint(painter, QStyleOptionGraphicsItem())
        painter.end()
        text = style.text
        return sum(
            QColor(image.pixel(x, y)) == text for x in range(image.width()) for y in range(60)
        )

    assert text_pixels(1.5) > 0
    assert text_pixels(TEXT_LOD * 0.8) == 0


def test_minimap_shows_for_a_big_graph_and_navigates(qtbot, make_panel):
    panel = make_panel(chain(150))
    view = panel.view
    minimap = view.minimap
    # too big to fit readably: it opens on the output, with the overview in the corner
    assert view.scale_factor == pytest.approx(0.85)
    assert minimap.isVisible()
    out = panel.scene.cards[panel.graph.outputs[0]]
    assert view.visible_scene_rect().intersects(out.sceneBoundingRect())
    grab = minimap.grab()
    assert not grab.isNull()

    # clicking the top of the minimap moves the view to the top of the graph
    top = QPoint(minimap.width() // 2, 3)
    qtbot.mouseClick(minimap, Qt.MouseButton.LeftButton, pos=top)
    centre = view.visible_scene_rect().center()
    scene = view.scene().sceneRect()
    assert centre.y() < scene.top() + scene.height() * 0.2
    assert minimap.scene_point(QPointF(top)).y() < scene.top() + scene.height() * 0.05

    view.fit_all()
    assert not minimap.isVisible()
    view.set_overview_enabled(False)
    view.zoom_by(8.0)
    assert not minimap.isVisible()


def test_edges_highlight_on_hover_and_carry_their_shape(make_panel):
    panel = make_panel(tutorial())
    sin = next(n for n in panel.graph.nodes.values() if n.name == "SinBackward0")
    edge = next(e for k, e in panel.scene.edges.items() if k[0] == sin.id)
    assert "25" in edge.toolTip() and "Sin" in edge.toolTip()
    assert not edge.hovered
    edge.hoverEnterEvent(None)
    assert edge.hovered and edge.zValue() > 0
    edge.hoverLeaveEvent(None)
    assert not edge.hovered
    # the edges of a selected node light up
    panel.select_node(sin.id)
    lit = {k for k, e in panel.scene.edges.items() if e.highlighted}
    assert lit == {k for k in panel.scene.edges if sin.id in k[:2]} and len(lit) == 2
    shape = edge.shape()
    assert not shape.isEmpty()


def test_left_to_right_layout(make_panel):
    panel = make_panel(tutorial())
    leaf = next(c for c in panel.scene.cards.values() if c.node.kind == "leaf")
    out = next(c for c in panel.scene.cards.values() if c.node.kind == "output")
    assert out.y() > leaf.y()
    panel.set_direction("LR")
    assert panel.direction == "LR"
    leaf = next(c for c in panel.scene.cards.values() if c.node.kind == "leaf")
    out = next(c for c in panel.scene.cards.values() if c.node.kind == "output")
    assert out.x() > leaf.x()
    with pytest.raises(ValueError):
        panel.set_direction("BT")


def test_a_2000_node_graph_renders_and_fits(make_panel):
    ns = chain(500)
    start = time.perf_counter()
    panel = make_panel(ns)
    built = time.perf_counter() - start
    assert len(panel.scene.cards) >= 2000
    view = panel.view
    view.fit_all()
    pixel = 1.0 / view.scale_factor  # scrolling is in whole pixels: allow one either way
    visible = view.visible_scene_rect().adjusted(-pixel, -pixel, pixel, pixel)
    assert visible.contains(view.scene().itemsBoundingRect())
    start = time.perf_counter()
    picture = view.grab()
    view.zoom_by(20.0)
    view.grab()
    drawn = time.perf_counter() - start
    assert not picture.isNull()
    # Figures for the record only (benchmarks/graph_render.py measures properly).
    print(f"2,000+ nodes: built in {built:.2f} s, drawn twice in {drawn:.2f} s")
