import math

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF
from PySide6.QtGui import QColor

import workbench.engine as torch
from workbench.session import tensorstats
from workbench.session.tensorstats import format_number, tensor_stats
from workbench.ui.panels import inspector as inspector_module
from workbench.ui.panels.inspector import EMPTY_HINT, InspectorPanel
from workbench.ui.panels.inspector_controls import STAT_ROWS, stat_text
from workbench.ui.panels.inspector_data import MISSING, resolve_name
from workbench.ui.selection import Selection
from workbench.ui.theme import DARK, LIGHT, current_theme, theme_manager


@pytest.fixture
def light_theme(qapp):
    # Widgets that earlier tests handed to deleteLater are still queued; flush them so a theme
    # switch (which restyles every widget in the application) does not pay for them.
    qapp.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    manager = theme_manager()
    if manager.theme is not LIGHT:
        manager.set_mode("light")
    yield manager
    if manager.theme is not LIGHT:
        manager.set_mode("light")


@pytest.fixture
def tutorial():
    a = torch.linspace(0, 2 * math.pi, 25, requires_grad=True)
    b = torch.sin(a)
    b.sum().backward()
    return {"a": a, "b": b}


@pytest.fixture
def panel(make_widget, light_theme):
    selection = Selection()
    widget = make_widget(InspectorPanel, selection)
    widget.resize(1000, 560)
    return widget, selection


def shown(widget, namespace, name, tab=0):
    widget, selection = widget
    widget.set_namespace(namespace)
    widget.tabs.setCurrentIndex(tab)
    selection.select(name)
    return widget


def data(pane):
    x, y = pane.curve.getData()
    return np.asarray(x), np.asarray(y)


def test_nothing_selected_shows_the_hint(panel):
    widget, _ = panel
    assert widget.view_kind == "empty"
    assert widget.empty.hint.text() == EMPTY_HINT
    assert widget.current_name == ""


def test_scalar_shows_numbers(panel):
    x = torch.tensor(1.5, requires_grad=True)
    (x * x).backward()
    w = shown(panel, {"x": x}, "x")
    assert w.view_kind == "tensor"
    assert w.value_pane.kind == "scalar" and w.grad_pane.kind == "scalar"
    assert w.value_pane.number.text() == "1.5000"
    assert w.grad_pane.number.text() == "3.0000"
    assert "x" in w.header.text() and "scalar" in w.header.text()


def test_vector_value_and_gradient_against_index(panel, tutorial):
    w = shown(panel, tutorial, "a")
    a = tutorial["a"]
    assert w.value_pane.kind == "line" and w.grad_pane.kind == "line"
    x, y = data(w.value_pane)
    np.testing.assert_array_equal(x, np.arange(25))
    np.testing.assert_allclose(y, a.detach().numpy())
    _, g = data(w.grad_pane)
    np.testing.assert_allclose(g, np.cos(a.detach().numpy()), atol=1e-6)
    assert w.value_pane.curve.opts["symbol"] == "o"  # 25 points: each one marked
    item = w.value_pane.line_plot.getPlotItem()
    assert item.getAxis("bottom").labelText == "index"
    assert item.getAxis("left").labelText == "value"
    assert w.grad_pane.line_plot.getPlotItem().getAxis("left").labelText == "gradient"
    header = w.header.text()
    for part in ("a", "25", "float32", "cpu", "requires_grad", "leaf"):
        assert part in header


def test_x_axis_lists_same_length_vectors_and_replots(panel, tutorial):
    perm = torch.tensor(np.random.default_rng(1).permutation(25).astype(np.float32))
    ns = {
        **tutorial,
        "perm": perm,
        "short": torch.zeros(10),
        "matrix": torch.zeros(25, 1),
        "s": torch.tensor(2.0),
        "n": 25,
    }
    w = shown(panel, ns, "b")
    items = [w.x_combo.itemText(i) for i in range(w.x_combo.count())]
    assert items == ["index", "a", "b", "perm"]
    assert w.x_box.isVisibleTo(w)
    w.x_combo.setCurrentIndex(items.index("a"))
    w.x_combo.activated.emit(items.index("a"))
    x, y = data(w.value_pane)
    a = tutorial["a"].detach().numpy()
    np.testing.assert_allclose(x, a)
    np.testing.assert_allclose(y, np.sin(a), atol=1e-6)
    assert w.value_pane.line_plot.getPlotItem().getAxis("bottom").labelText == "a"
    # an unsorted x is sorted for the line, y following it
    w.x_combo.activated.emit(items.index("perm"))
    x, y = data(w.value_pane)
    order = np.argsort(perm.numpy())
    np.testing.assert_array_equal(x, np.sort(perm.numpy()))
    np.testing.assert_allclose(y, tutorial["b"].detach().numpy()[order])
    # the choice sticks when another vector of that length is selected, and a's grad follows it
    panel[1].select("a")
    assert w.x_combo.currentText() == "perm"
    _, g = data(w.grad_pane)
    np.testing.assert_allclose(g, np.cos(a)[order], atol=1e-6)


def test_set_x_axis_from_code(panel, tutorial):
    w = shown(panel, tutorial, "b")
    w.set_x_axis("a")
    assert w.x_axis == "a" and w.x_combo.currentText() == "a"
    np.testing.assert_allclose(data(w.value_pane)[0], tutorial["a"].detach().numpy())
    w.set_x_axis("")
    assert w.x_axis == "index"
    np.testing.assert_array_equal(data(w.value_pane)[0], np.arange(25))
    w.set_x_axis("missing")  # not a same-length vector: plotted against the index
    assert w.x_combo.currentText() == "index"
    np.testing.assert_array_equal(data(w.value_pane)[0], np.arange(25))


def test_gradient_explanations(panel):
    leaf = torch.ones(3, requires_grad=True)
    plain = torch.ones(3)
    x = torch.ones(3, requires_grad=True)
    y = x * 2
    kept = x * 3
    kept.retain_grad()
    kept.sum().backward()
    ns = {"leaf": leaf, "plain": plain, "y": y, "kept": kept}
    w = shown(panel, ns, "leaf")
    expected = {
        "leaf": "No gradient: leaf is a leaf that has not been through backward()",
        "y": "No gradient: y is not a leaf; call retain_grad() before backward() to keep its "
        "gradient",
        "plain": "No gradient: plain does not require grad",
    }
    for name, text in expected.items():
        panel[1].select(name)
        assert w.grad_pane.kind == "message"
        assert w.grad_pane.message.text() == text
    panel[1].select("kept")
    assert w.grad_pane.kind == "line"
    np.testing.assert_allclose(data(w.grad_pane)[1], [1, 1, 1])
    assert "MulBackward0" in w.header.text()


def test_matrix_heatmaps_with_symmetric_gradient_levels(panel):
    torch.manual_seed(0)
    lin = torch.nn.Linear(20, 10)
    lin(torch.randn(8, 20)).pow(2).mean().backward()
    w = shown(panel, {"lin": lin}, "lin.weight")
    assert w.value_pane.kind == "heatmap" and w.grad_pane.kind == "heatmap"
    value = lin.weight.detach().numpy()
    grad = lin.weight.grad.numpy()
    np.testing.assert_array_equal(w.value_pane.image.image, value)
    assert w.grad_pane.image.image.shape == (10, 20)
    lo, hi = w.grad_pane.image.getLevels()
    assert lo == -hi and hi == pytest.approx(np.abs(grad).max())
    assert tuple(w.value_pane.image.getLevels()) == pytest.approx((value.min(), value.max()))
    assert tuple(w.grad_pane.colour_bar.levels()) == pytest.approx((lo, hi))
    assert w.value_pane.heat_plot.getPlotItem().getViewBox().yInverted()  # row 0 on top
    assert not w.x_box.isVisibleTo(w) and not w.slice_controls.isVisibleTo(w)


def test_four_d_slices_follow_the_controls(panel):
    weight = torch.randn(8, 3, 5, 4, requires_grad=True)
    (weight * weight).sum().backward()
    w = shown(panel, {"w": weight}, "w")
    v, g = weight.detach().numpy(), weight.grad.numpy()
    controls = w.slice_controls
    assert w.slice_controls.isVisibleTo(w)
    assert (controls.rows, controls.cols) == (2, 3)
    assert sorted(controls.spins) == [0, 1]
    np.testing.assert_array_equal(w.value_pane.image.image, v[0, 0])
    controls.spins[0].setValue(3)
    controls.spins[1].setValue(2)
    np.testing.assert_array_equal(w.value_pane.image.image, v[3, 2])
    np.testing.assert_allclose(w.grad_pane.image.image, g[3, 2])
    controls.row_combo.setCurrentIndex(0)  # rows: dim 0, so dims 1 and 2 are fixed
    assert (controls.rows, controls.cols) == (0, 3)
    assert sorted(controls.spins) == [1, 2]
    np.testing.assert_array_equal(w.value_pane.image.image, v[:, 2, 0, :])
    controls.col_combo.setCurrentIndex(0)  # picking the rows' dim swaps the two
    assert (controls.rows, controls.cols) == (3, 0)
    np.testing.assert_array_equal(w.value_pane.image.image, v[:, 2, 0, :].T)
    assert w.value_pane.heat_plot.getPlotItem().getAxis("left").labelText == "dim 3"


def test_hover_reads_out_the_cell(panel, qtbot):
    m = torch.arange(12.0).reshape(3, 4)
    w = shown(panel, {"m": m}, "m")
    w.show()
    qtbot.waitExposed(w)
    pane = w.value_pane
    vb = pane.heat_plot.getPlotItem().getViewBox()
    pane.on_hover(vb.mapViewToScene(QPointF(3.2, 1.1)))  # column 3, row 1
    assert pane.readout.text() == "[1, 3] = 7.0000"
    pane.on_hover(vb.mapViewToScene(QPointF(50, 50)))  # outside: keeps the last read-out
    assert pane.readout.text() == "[1, 3] = 7.0000"


def test_hover_names_the_full_index_of_a_slice(panel, qtbot):
    t = torch.arange(24.0).reshape(2, 3, 4)
    w = shown(panel, {"t": t}, "t")
    w.slice_controls.spins[0].setValue(1)
    w.show()
    qtbot.waitExposed(w)
    vb = w.value_pane.heat_plot.getPlotItem().getViewBox()
    w.value_pane.on_hover(vb.mapViewToScene(QPointF(2, 0)))
    assert w.value_pane.readout.text() == "[1, 0, 2] = 14.0000"


def test_statistics_table_matches_tensorstats(panel, tutorial):
    w = shown(panel, tutorial, "a", tab=2)
    a = tutorial["a"]
    value, grad = tensor_stats(a), tensor_stats(a.grad)
    for row, (field, _) in enumerate(STAT_ROWS):
        assert w.stats_table.item(row, 0).text() == stat_text(value, field)
        assert w.stats_table.item(row, 1).text() == stat_text(grad, field)
    assert w.stats_table.item(1, 0).text() == format_number(0.0)
    panel[1].select("b")  # no gradient: a dash in every row
    assert {w.stats_table.item(r, 1).text() for r in range(len(STAT_ROWS))} == {"—"}


def test_nan_counts_in_the_error_colour(panel):
    t = torch.tensor([[1.0, float("nan")], [float("inf"), 0.0]])
    w = shown(panel, {"t": t}, "t", tab=2)
    fields = [field for field, _ in STAT_ROWS]
    nan_item = w.stats_table.item(fields.index("nan_count"), 0)
    inf_item = w.stats_table.item(fields.index("inf_count"), 0)
    assert nan_item.text() == "1" and inf_item.text() == "1"
    assert nan_item.foreground().color() == QColor(LIGHT.error)
    assert inf_item.foreground().color() == QColor(LIGHT.error)
    mean_item = w.stats_table.item(fields.index("mean"), 0)
    assert mean_item.foreground().color() == QColor(LIGHT.text)
    assert mean_item.text() == format_number(0.5)


def test_histograms_of_values_and_gradients(panel, tutorial):
    w = shown(panel, tutorial, "a", tab=1)
    counts, edges = tensorstats.histogram(tutorial["a"])
    x, y = w.value_hist.bars.getData()
    np.testing.assert_allclose(x, edges)
    np.testing.assert_array_equal(y, counts)
    assert w.grad_hist.kind == "histogram"
    assert w.value_hist.note.text() == "25 finite of 25"
    panel[1].select("b")
    assert w.value_hist.kind == "histogram" and w.grad_hist.kind == "message"
    assert "not a leaf" in w.grad_hist.message.text()


def test_module_shows_its_repr_and_parameter_count(panel):
    model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    w = shown(panel, {"model": model}, "model")
    assert w.view_kind == "module"
    text = w.module_text.toPlainText()
    assert text.startswith(repr(model))
    assert "65 parameters (65 trainable)" in text
    assert "0.weight" in text and "16 × 2" in text
    assert "Sequential" in w.header.text()


def test_dotted_names_reach_parameters_and_grads(panel, tutorial):
    model = torch.nn.Sequential(torch.nn.Linear(2, 3))
    ns = {**tutorial, "model": model}
    assert resolve_name(ns, "model.0.weight") is model[0].weight
    assert resolve_name(ns, "model.0") is model[0]
    assert resolve_name(ns, "a.grad") is tutorial["a"].grad
    assert resolve_name(ns, "model.9.weight") is MISSING
    assert resolve_name(ns, "nothing") is MISSING
    w = shown(panel, ns, "model.0.weight")
    assert w.value_pane.kind == "heatmap"
    assert w.value_pane.image.image.shape == (3, 2)
    panel[1].select("a.grad")
    assert w.value_pane.kind == "line"


def test_vanished_name_shows_the_empty_state(panel, tutorial):
    w = shown(panel, tutorial, "a")
    assert w.view_kind == "tensor"
    w.set_namespace({"b": tutorial["b"]})
    assert w.view_kind == "empty"
    assert "not in the namespace" in w.empty.detail.text()
    w.set_namespace({"a": 3})
    assert w.view_kind == "empty"
    assert "int, not a tensor" in w.empty.detail.text()


def test_namespace_is_kept_by_reference(panel):
    ns = {"a": torch.zeros(3)}
    w = shown(panel, ns, "a")
    ns["a"] = torch.ones(4)  # the run rebinds the name; the window then asks for a refresh
    w.refresh()
    np.testing.assert_array_equal(data(w.value_pane)[1], np.ones(4))


def test_show_tensor_directly(panel):
    w, _ = panel
    w.show_tensor("node output", torch.arange(6.0).reshape(2, 3))
    assert w.current_name == "node output"
    assert w.value_pane.kind == "heatmap"
    assert "node output" in w.header.text()
    w.set_namespace({"other": torch.zeros(2)})  # still shown: the name is not in the namespace
    assert w.value_pane.kind == "heatmap"
    panel[1].select("other")
    assert w.current_name == "other" and w.value_pane.kind == "line"


def test_ints_bools_empty_and_numpy_arrays(panel):
    ns = {
        "ints": torch.arange(12).reshape(3, 4),
        "flags": torch.tensor([True, False, True]),
        "empty": torch.zeros(0, 3),
        "arr": np.linspace(0, 1, 5),
    }
    w = shown(panel, ns, "ints", tab=2)
    assert w.stats_table.item(2, 0).text() == "11"  # max of an int tensor stays an int
    w.tabs.setCurrentIndex(0)
    assert w.value_pane.kind == "heatmap"
    panel[1].select("flags")
    np.testing.assert_array_equal(data(w.value_pane)[1], [1, 0, 1])
    panel[1].select("empty")
    assert w.value_pane.kind == "message" and "empty" in w.value_pane.message.text()
    panel[1].select("arr")
    assert w.value_pane.kind == "line"
    assert w.grad_pane.message.text() == "No gradient: arr is a NumPy array"


def test_big_arrays_are_strided_and_downsampled(panel):
    ns = {"tall": torch.zeros(4100, 3), "long": torch.zeros(200_001)}
    w = shown(panel, ns, "tall")
    assert w.value_pane.image.image.shape == (1367, 3)
    assert "heatmap shows every 3rd row" in w.header.text()
    assert w.value_pane.image.mapRectToParent(w.value_pane.image.boundingRect()).height() == 4100
    panel[1].select("long")
    ds, auto, _ = w.value_pane.line_plot.getPlotItem().downsampleMode()
    assert auto and w.value_pane.line_plot.getPlotItem().clipToViewMode()
    assert "200,001 points, drawn downsampled" in w.header.text()
    assert "heatmap" not in w.header.text()


def test_failed_read_shows_updating(panel, tutorial, monkeypatch):
    def broken(_):
        raise ValueError("array changed size during the read")

    monkeypatch.setattr(inspector_module, "to_numpy", broken)
    w = shown(panel, tutorial, "a")
    assert "updating…" in w.header.text()
    assert w.value_pane.message.text() == "updating…"
    monkeypatch.undo()
    w.refresh()
    assert w.value_pane.kind == "line" and "updating" not in w.header.text()


def test_theme_switch_recolours(panel, tutorial, light_theme):
    w = shown(panel, tutorial, "a")
    assert w.value_pane.curve.opts["pen"].color() == QColor(LIGHT.value)
    light_theme.set_mode("dark")
    assert current_theme() is DARK
    assert w.value_pane.curve.opts["pen"].color() == QColor(DARK.value)
    assert w.grad_pane.curve.opts["pen"].color() == QColor(DARK.grad)
    background = w.value_pane.line_plot.backgroundBrush().color()
    assert background == QColor(DARK.plot_background)
    panel[1].select("b")
    w.tabs.setCurrentIndex(1)
    light_theme.set_mode("light")
    assert w.value_hist.bars.opts["pen"].color() == QColor(LIGHT.value)
    torch.manual_seed(0)
    m = torch.randn(3, 3, requires_grad=True)
    (m * m).sum().backward()
    w.set_namespace({"m": m})
    panel[1].select("m")
    w.tabs.setCurrentIndex(0)
    light_lut = w.grad_pane.colour_bar.colorMap().getLookupTable(nPts=3)
    light_theme.set_mode("dark")
    dark_lut = w.grad_pane.colour_bar.colorMap().getLookupTable(nPts=3)
    assert not np.array_equal(light_lut[1], dark_lut[1])  # the zero colour suits the background


def test_an_all_zero_gradient_says_so_in_its_caption(panel):
    w = torch.ones(3, 4, requires_grad=True)
    (w * 0).sum().backward()
    widget = shown(panel, {"w": w}, "w")
    assert widget.grad_pane.caption.text() == "Gradient · w.grad · all zeros"
    w.grad += 1
    widget.refresh()
    assert widget.grad_pane.caption.text() == "Gradient · w.grad"
