"""The Namespace panel: rows from the session's entries, module parameters nested, filter,
and the shared selection in both directions."""

from __future__ import annotations

import workbench.engine as torch
from workbench.session.namespace import namespace_entries
from workbench.ui.panels.namespace import COLUMNS, NamespacePanel
from workbench.ui.selection import Selection


def _namespace():
    torch.manual_seed(0)
    a = torch.linspace(0, 1, 5, requires_grad=True)
    b = (a * 2).sin()
    b.sum().backward()
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU())
    return {"a": a, "b": b, "model": model, "n": 3, "_hidden": a}


def _panel(make_widget):
    selection = Selection()
    panel = make_widget(NamespacePanel, selection)
    panel.set_entries(namespace_entries(_namespace()))
    return panel, selection


def _row(panel, name):
    item = panel._items[name]
    return {column: item.text(i) for i, column in enumerate(COLUMNS)}


def test_rows_show_shape_dtype_grad_and_grad_fn(make_widget):
    panel, _ = _panel(make_widget)
    assert panel.names() == ["a", "b", "model", "model.0.weight", "model.0.bias"]
    a, b = _row(panel, "a"), _row(panel, "b")
    assert (a["Shape"], a["dtype"], a["Device"], a["requires_grad"], a["grad"]) == (
        "5",
        "float32",
        "cpu",
        "✓",
        "✓",
    )
    assert a["grad_fn"] == "" and b["grad_fn"] == "SinBackward0" and b["grad"] == "–"
    assert _row(panel, "model")["Shape"] == "8 params"
    weight = panel._items["model.0.weight"]
    assert weight.parent() is panel._items["model"] and weight.text(0) == "0.weight"
    assert _row(panel, "model.0.weight")["Shape"] == "2 × 3"


def test_filter_hides_rows_but_keeps_a_matching_parameters_module(make_widget):
    panel, _ = _panel(make_widget)
    panel.filter.setText("bias")
    assert panel.visible_names() == ["model", "model.0.bias"]
    panel.filter.setText("sinbackward")
    assert panel.visible_names() == ["b"]
    panel.filter.clear()
    assert len(panel.visible_names()) == 5


def test_selection_goes_both_ways_and_survives_a_refresh(make_widget):
    panel, selection = _panel(make_widget)
    panel.tree.setCurrentItem(panel._items["b"])
    assert selection.name == "b"
    selection.select("model.0.weight")
    assert panel.tree.currentItem() is panel._items["model.0.weight"]
    panel.set_entries(namespace_entries(_namespace()))
    assert panel.tree.currentItem() is panel._items["model.0.weight"]
    assert selection.name == "model.0.weight"


def test_empty_namespace_shows_the_hint(make_widget):
    panel, _ = _panel(make_widget)
    panel.set_entries([])
    assert panel._stack.currentWidget() is panel.empty
    assert "Run some code" in panel.empty.text()
