"""The Graph panel: what it shows for a namespace, grouping, search, details, step-through,
NaN/Inf provenance and export."""

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QColor, QImage

import workbench.engine as torch
from workbench.graph import Stepper, record_backward
from workbench.ui.panels.graph_details import HINT
from workbench.ui.panels.graph_panel import EMPTY_HINT, GraphPanel
from workbench.ui.selection import Selection
from workbench.ui.theme import DARK, LIGHT, theme_manager


@pytest.fixture
def light(qapp):
    qapp.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    manager = theme_manager()
    if manager.theme is not LIGHT:
        manager.set_mode("light")
    manager.apply()
    return manager


@pytest.fixture
def make_panel(make_widget, light):
    def make():
        selection = Selection()
        panel = make_widget(GraphPanel, selection)
        panel.resize(900, 600)
        panel.show()
        return panel, selection

    return make


def tutorial(with_loss=True):
    a = torch.linspace(0.0, 2.0 * math.pi, steps=25, requires_grad=True)
    b = torch.sin(a)
    c = 2 * b
    d = c + 1
    ns = {"a": a, "b": b, "c": c, "d": d}
    if with_loss:
        ns["loss"] = d.sum()
    return ns


class TwoLayer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = torch.nn.Linear(3, 4)
        self.layer2 = torch.nn.Linear(4, 2)

    def forward(self, x):
        return self.layer2(torch.relu(self.layer1(x)))


def two_layer():
    torch.manual_seed(0)
    model = TwoLayer()
    x = torch.randn(5, 3)
    return {"model": model, "x": x, "loss": model(x).sum()}


def card(panel, label):
    matches = [c for c in panel.scene.cards.values() if (c.node.label or c.node.name) == label]
    assert matches, f"no card {label!r}; cards: {labels(panel)}"
    return matches[0]


def labels(panel):
    return sorted(c.node.label or c.node.name for c in panel.scene.cards.values())


def view_pos(panel, item, where=None):
    rect = item.sceneBoundingRect() if where is None else where
    return panel.view.mapFromScene(rect.center())


def click(qtbot, panel, item, where=None):
    qtbot.mouseClick(
        panel.view.viewport(), Qt.MouseButton.LeftButton, pos=view_pos(panel, item, where)
    )


# -- what is shown -------------------------------------------------------------------------------


def test_empty_state_hint(make_panel):
    panel, _ = make_panel()
    assert panel.stack.currentWidget() is panel.empty
    assert panel.empty_hint.text() == EMPTY_HINT
    assert panel.graph is None and panel.current_title == ""
    assert not panel.search_box.isEnabled() and not panel.record_button.isVisibleTo(panel)


def test_tutorial_graph_one_card_per_node(make_panel):
    panel, selection = make_panel()
    ns = tutorial()
    panel.set_namespace(ns)
    selection.select("d")
    assert panel.current_title == "d"
    graph = panel.graph
    names = sorted(n.name for n in graph.nodes.values())
    assert names == sorted(
        ["AddBackward0", "MulBackward0", "SinBackward0", "AccumulateGrad", "a", "d"]
    )
    assert set(panel.scene.cards) == set(graph.nodes)
    assert len(panel.scene.edges) == len(graph.edges) == 5
    add = next(n for n in graph.nodes.values() if n.name == "AddBackward0")
    # d = c + 1: the constant 1 is an input of the add without an edge (and without a card)
    assert add.details["num_inputs"] == 2
    assert [e.input_nr for e in graph.inputs(add.id)] == [0]
    assert [k for k in panel.scene.edges if k[1] == add.id] == [
        (graph.inputs(add.id)[0].src, add.id, 0)
    ]
    assert card(panel, "a").node.kind == "leaf"
    assert card(panel, "d").node.kind == "output"
    assert panel.stack.currentWidget() is panel.splitter


def test_falls_back_to_loss_and_keeps_the_graph_for_a_leaf(make_panel):
    panel, selection = make_panel()
    ns = tutorial()
    panel.set_namespace(ns)
    assert panel.current_title == "loss"  # nothing selected: the run's loss
    graph = panel.graph
    selection.select("a")  # a leaf: no graph of its own, so the loss graph stays, leaf selected
    assert panel.graph is graph
    leaf = card(panel, "a")
    assert leaf.selected and panel.details.node is leaf.node
    selection.select("b")  # a tensor with a grad_fn: its own graph
    assert panel.current_title == "b" and panel.graph is not graph


def test_falls_back_to_last_scalar_without_loss(make_panel):
    panel, _ = make_panel()
    ns = tutorial(with_loss=False)
    ns["total"] = ns["d"].sum()
    ns["later"] = ns["d"] * 3  # not a scalar: the scalar wins
    panel.set_namespace(ns)
    assert panel.current_title == "total"


def test_show_graph_directly_disables_recording(make_panel):
    panel, _ = make_panel()
    from workbench.graph import capture

    ns = tutorial()
    panel.show_graph(capture(ns["loss"]), "stored")
    assert panel.current_title == "stored"
    assert not panel.record_button.isEnabled()
    assert "live tensor" in panel.record_button.toolTip()


# -- grouping ------------------------------------------------------------------------------------


def test_two_layer_model_groups_into_two_modules_and_expands(qtbot, make_panel):
    panel, _ = make_panel()
    panel.set_namespace(two_layer())
    assert panel.group_button.isEnabled()
    panel.set_grouped(True)
    modules = sorted(c.node.label for c in panel.scene.cards.values() if c.node.kind == "module")
    assert modules == ["layer1: Linear", "layer2: Linear"]
    assert "Addmm" not in labels(panel)

    layer1 = card(panel, "layer1: Linear")
    title = layer1.mapRectToScene(layer1.rect.adjusted(0, 0, -40, 0))  # not on the + button
    qtbot.mouseDClick(
        panel.view.viewport(), Qt.MouseButton.LeftButton, pos=view_pos(panel, layer1, title)
    )
    assert [c.node.label for c in panel.scene.cards.values() if c.node.kind == "module"] == [
        "layer2: Linear"
    ]
    assert "Addmm" in labels(panel) and "model.layer1.weight" in {
        c.node.name for c in panel.scene.cards.values()
    }
    box = panel.scene.boxes["layer1"]
    assert box.label == "layer1: Linear"
    inside = [c for c in panel.scene.cards.values() if box.rect.contains(c.sceneBoundingRect())]
    assert {c.node.module for c in inside} == {"layer1"}

    # the frame's ⊖ button collapses it again
    click(qtbot, panel, box, box.button_rect())
    modules = sorted(c.node.label for c in panel.scene.cards.values() if c.node.kind == "module")
    assert modules == ["layer1: Linear", "layer2: Linear"]
    assert not panel.scene.boxes

    # and the + on the card expands it too
    layer2 = card(panel, "layer2: Linear")
    click(qtbot, panel, layer2, layer2.mapRectToScene(layer2.button_rect()))
    assert "layer2" in panel.scene.boxes


def test_repeated_blocks_fold_and_expand(make_panel):
    torch.manual_seed(0)
    model = torch.nn.Sequential(*[torch.nn.Linear(4, 4) for _ in range(5)])
    x = torch.randn(2, 4)
    panel, _ = make_panel()
    panel.set_namespace({"model": model, "x": x, "loss": model(x).sum()})
    panel.set_grouped(True)
    folds = [c for c in panel.scene.cards.values() if c.node.kind == "module"]
    assert [c.node.label for c in folds] == ["Linear × 5"]
    panel.expand(folds[0].node.name)
    modules = sorted(c.node.label for c in panel.scene.cards.values() if c.node.kind == "module")
    assert modules == [f"{i}: Linear" for i in range(5)]
    panel.collapse_module(folds[0].node.name)
    assert [c.node.label for c in panel.scene.cards.values() if c.node.kind == "module"] == [
        "Linear × 5"
    ]


def test_saved_tensors_toggle_adds_dashed_cards(make_panel):
    panel, _ = make_panel()
    panel.set_namespace(tutorial())
    before = len(panel.scene.cards)
    panel.set_show_saved(True)
    saved = [c for c in panel.scene.cards.values() if c.node.kind == "saved"]
    assert saved and len(panel.scene.cards) == before + len(saved)
    mul = next(n for n in panel.graph.nodes.values() if n.name == "MulBackward0")
    into_mul = [e for k, e in panel.scene.edges.items() if k[1] == mul.id and e.dashed]
    assert len(into_mul) == len(mul.saved) >= 1
    panel.set_show_saved(False)
    assert len(panel.scene.cards) == before


# -- search --------------------------------------------------------------------------------------


def test_search_highlights_counts_and_cycles(qtbot, make_panel):
    panel, _ = make_panel()
    panel.set_namespace(two_layer())
    qtbot.keyClicks(panel.search_box, "accum")
    matched = [c for c in panel.scene.cards.values() if c.match]
    assert len(matched) == 4 and all(c.node.kind == "accumulate" for c in matched)
    assert panel.match_text == "1 of 4"
    first = next(c for c in matched if c.match == 2)
    qtbot.keyClick(panel.search_box, Qt.Key.Key_Return)
    assert panel.match_text == "2 of 4"
    assert first.match == 1 and sum(c.match == 2 for c in matched) == 1
    panel.search("model.layer2")
    assert panel.match_text == "1 of 2"
    panel.search("nothing like this")
    assert panel.match_text == "no match"
    assert not any(c.match for c in panel.scene.cards.values())
    panel.search("")
    assert panel.match_text == ""


# -- clicking ------------------------------------------------------------------------------------


def test_clicking_a_leaf_fills_details_and_selects_it(qtbot, make_panel):
    panel, selection = make_panel()
    ns = tutorial()
    panel.set_namespace(ns)
    assert HINT in panel.details.text()
    leaf = card(panel, "a")
    with qtbot.waitSignal(panel.node_selected) as sig:
        click(qtbot, panel, leaf)
    assert sig.args[0] is leaf.node
    assert selection.name == "a"
    assert panel.current_title == "loss"  # selecting the leaf kept the graph
    text = panel.details.text()
    assert "leaf tensor" in text and "25 · float32" in text
    assert leaf.selected


def test_clicking_an_op_shows_inputs_saved_tensors_and_asks_the_inspector(qtbot, make_panel):
    panel, selection = make_panel()
    panel.set_namespace(tutorial())
    mul = card(panel, "Mul")
    with qtbot.waitSignal(panel.inspect_requested) as sig:
        click(qtbot, panel, mul)
    name, array = sig.args
    assert "Mul" in name and np.allclose(
        array, 2 * np.sin(np.linspace(0, 2 * math.pi, 25)), atol=1e-5
    )
    assert selection.name == ""  # an op is not a namespace tensor: the selection stays
    text = panel.details.text()
    assert "MulBackward0" in text and "Inputs" in text and "constant" in text
    assert "Saved tensors" in text and "Sin" in text
    # an input link goes to that node
    sin = next(n for n in panel.graph.nodes.values() if n.name == "SinBackward0")
    panel.details.node_requested.emit(sin.id)
    assert panel.details.node is sin and card(panel, "Sin").selected
    # "inspect" links hand arrays to the inspector
    with qtbot.waitSignal(panel.inspect_requested) as sig:
        panel.details.activate("value")
    assert sig.args[1].shape == (25,)


def test_background_click_clears_the_details(qtbot, make_panel):
    panel, _ = make_panel()
    panel.set_namespace(tutorial())
    panel.select_node(card(panel, "Sin").node.id)
    assert panel.details.node is not None
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert panel.details.node is None and HINT in panel.details.text()


# -- backward step by step ----------------------------------------------------------------------


def record(qtbot, panel):
    assert panel.record_button.isEnabled(), panel.record_button.toolTip()
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.stepper is not None, timeout=10_000)


def test_step_through_follows_the_engine(qtbot, make_panel):
    panel, _ = make_panel()
    ns = tutorial()
    panel.set_namespace(ns)
    assert "adds the gradients into the leaves' .grad" in panel.record_button.toolTip()
    record(qtbot, panel)
    assert not panel.recording

    # the same computation, recorded directly: same ids, same order
    ref = tutorial()
    ref_graph, ref_steps = record_backward(ref["loss"], names=ref)
    expected = [s.node_id for s in ref_steps]
    stepper = panel.stepper
    assert [s.node_id for s in stepper.steps] == expected
    assert [panel.graph.nodes[i].name for i in expected] == [
        "SumBackward0",
        "AddBackward0",
        "MulBackward0",
        "SinBackward0",
        "AccumulateGrad",
    ]
    ref_stepper = Stepper(ref_graph, ref_steps)
    assert panel.step_text.startswith("Step through") or panel.step_text.startswith("step 0")

    visited = []
    for k in range(len(expected)):
        panel.step()
        ref_stepper.step()
        current = [c for c in panel.scene.cards.values() if c.step_state == "current"]
        # the node that runs, and for an AccumulateGrad also its leaf
        assert len(current) == 1 or {c.node.kind for c in current} == {"accumulate", "leaf"}
        visited.append(stepper.current.node_id)
        assert panel.scene.cards[stepper.current.node_id].step_state == "current"
        assert panel.step_text.startswith(f"step {k + 1} of {len(expected)}")
        ref_state = ref_stepper.state()
        shown = {nid: c.step_state for nid, c in panel.scene.cards.items() if nid in ref_state}
        assert shown == ref_state
        assert panel.details.node.id == stepper.current.node_id
        assert f"Backward step {k + 1} of {len(expected)}" in panel.details.text()
    assert visited == expected
    assert not panel.step_button.isEnabled()

    # the leaf's .grad as shown equals the engine's a.grad
    leaf = card(panel, "a")
    a_grad = ns["a"].grad.numpy()
    np.testing.assert_allclose(stepper.leaf_grad(leaf.node.id), a_grad)
    np.testing.assert_allclose(a_grad, 2 * np.cos(np.linspace(0, 2 * math.pi, 25)), atol=1e-5)
    assert leaf.badge == f"grad ✓ ‖{np.linalg.norm(a_grad.astype(np.float64)):.3g}‖"
    panel.select_node(leaf.node.id)
    assert ".grad so far" in panel.details.text()
    assert any(np.array_equal(arr, a_grad) for _, arr in panel.details.arrays().values())

    # step back: the AccumulateGrad has not run, the leaf has no grad badge yet
    panel.step_back()
    assert panel.step_text.startswith(f"step {len(expected) - 1} of")
    assert leaf.badge == "" and leaf.step_state == "pending"
    panel.reset_steps()
    assert panel.stepper.position == -1
    assert all(c.step_state in ("pending", "done") for c in panel.scene.cards.values())
    assert card(panel, "loss").step_state == "done"  # the seed gradient is there from the start
    assert not panel.back_button.isEnabled()
    panel.go_to_step(2)
    assert panel.slider.value() == 2 and card(panel, "Mul").step_state == "current"
    panel.exit_steps()
    assert panel.stepper is None and all(c.step_state is None for c in panel.scene.cards.values())


def test_play_runs_to_the_end_and_stops(qtbot, make_panel):
    panel, _ = make_panel()
    panel.set_namespace(tutorial())
    record(qtbot, panel)
    panel._play_timer.setInterval(5)
    panel.toggle_play()
    assert panel._play_timer.isActive()
    qtbot.waitUntil(lambda: panel.stepper.at_end and not panel._play_timer.isActive(), timeout=5000)
    assert panel.step_text.startswith(f"step {len(panel.stepper)} of")


def test_record_is_disabled_for_a_non_scalar_output(make_panel):
    panel, selection = make_panel()
    panel.set_namespace(tutorial())
    selection.select("d")
    assert not panel.record_button.isEnabled()
    assert "scalar" in panel.record_button.toolTip()


def test_record_is_disabled_after_backward_freed_the_graph(make_panel):
    panel, _ = make_panel()
    ns = tutorial()
    ns["loss"].backward()
    panel.set_namespace(ns)
    assert not panel.record_button.isEnabled()
    assert "retain_graph=True" in panel.record_button.toolTip()


def test_record_is_disabled_while_a_run_is_busy(make_panel):
    panel, _ = make_panel()
    panel.set_namespace(tutorial())
    panel.set_busy(True)
    assert not panel.record_button.isEnabled()
    panel.set_busy(False)
    assert panel.record_button.isEnabled()


def test_record_error_is_reported_in_the_panel(qtbot, make_panel):
    panel, _ = make_panel()
    ns = tutorial()
    panel.set_namespace(ns)
    with torch.no_grad():
        ns["a"].mul_(2)  # an in-place change to a saved tensor: backward must fail
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.recording, timeout=10_000)
    assert panel.stepper is None
    assert "RuntimeError" in panel.step_text and "inplace" in panel.step_text


# -- provenance ---------------------------------------------------------------------------------


def test_nan_provenance_banner_points_at_the_log(qtbot, make_panel):
    panel, _ = make_panel()
    x = torch.tensor([1.0, 0.0, 2.0], requires_grad=True)
    y = torch.log(x)
    panel.set_namespace({"x": x, "y": y, "loss": y.sum()})
    assert panel.banner.isVisible()
    text = panel.banner_label.text()
    assert "NaN/Inf first appears at LogBackward0" in text and "log of 0" in text
    log = card(panel, "Log")
    assert log.error and sum(c.error for c in panel.scene.cards.values()) == 1
    qtbot.mouseClick(panel.banner_show, Qt.MouseButton.LeftButton)
    assert panel.details.node is log.node and log.selected
    qtbot.mouseClick(panel.banner_close, Qt.MouseButton.LeftButton)
    assert not panel.banner.isVisible()


def test_no_banner_for_a_finite_graph(make_panel):
    panel, _ = make_panel()
    panel.set_namespace(tutorial())
    assert not panel.banner.isVisible() and panel.provenance is None


# -- export and theme ---------------------------------------------------------------------------


def test_export_png_is_a_real_picture(tmp_path, make_panel):
    panel, _ = make_panel()
    panel.set_namespace(tutorial())
    path = tmp_path / "graph.png"
    panel.export_png(path)
    image = QImage(str(path))
    assert not image.isNull()
    rect = panel.scene.sceneRect()
    assert image.width() >= rect.width() and image.height() >= rect.height()
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    assert len(colours) > 10  # cards, text and edges on the canvas, not a blank picture
    corner = QColor(image.pixel(1, 1))
    assert corner == panel.style_.canvas


def test_export_svg_parses_and_holds_the_labels(tmp_path, make_panel):
    panel, _ = make_panel()
    panel.set_namespace(tutorial())
    path = tmp_path / "graph.svg"
    panel.export_svg(path)
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    text = " ".join(t.strip() for t in root.itertext())
    for label in ("Sin", "Mul", "Add", "AccumulateGrad", "loss"):
        assert label in text


def test_follows_the_theme(make_panel):
    panel, _ = make_panel()
    panel.set_namespace(tutorial())
    assert panel.style_.theme is LIGHT
    theme_manager().set_mode("dark")
    assert panel.style_.theme is DARK
    assert panel.scene.backgroundBrush().color() == panel.style_.canvas
    assert panel.style_.canvas.lightnessF() < 0.3
    theme_manager().set_mode("light")
    assert panel.style_.canvas.lightnessF() > 0.8


def test_step_through_with_modules_collapsed(qtbot, make_panel):
    panel, _ = make_panel()
    panel.set_namespace(two_layer())
    panel.set_grouped(True)
    record(qtbot, panel)
    layer2 = card(panel, "layer2: Linear")
    while (
        panel.stepper.current is None
        or panel.graph.nodes[panel.stepper.current.node_id].module != "layer2"
    ):
        panel.step()
    inside = panel.graph.nodes[panel.stepper.current.node_id]
    assert layer2.step_state == "current"
    assert panel.step_text.endswith(f"{inside.label} in layer2: Linear")
    # the details describe the node that runs, not the module card
    assert panel.details.node is inside
    assert "Backward step" in panel.details.text()
    # a module backward has only partly been through is neither dimmed nor ticked
    while panel.graph.nodes[panel.stepper.current.node_id].module == "layer2":
        panel.step()
    assert layer2.step_state in ("partial", "done")
    panel.go_to_step(len(panel.stepper) - 1)
    modules = {c.step_state for c in panel.scene.cards.values() if c.node.kind == "module"}
    assert modules <= {"done", "current"}


def test_a_forward_record_gives_every_op_its_value(make_panel):
    from workbench.graph import record_forward

    x = torch.tensor([1.0, 0.0, 2.0], requires_grad=True)
    with record_forward() as fw:
        loss = (torch.log(x) + 1).sum()  # the log's output is named and saved nowhere
    panel, _ = make_panel()
    panel.set_namespace({"x": x, "loss": loss})
    assert card(panel, "Log").node.value is None
    panel.set_namespace({"x": x, "loss": loss}, forward=fw)
    log = card(panel, "Log").node
    assert log.value is not None and np.isneginf(log.value[1])
    assert card(panel, "Log").error and "LogBackward0" in panel.banner_label.text()
