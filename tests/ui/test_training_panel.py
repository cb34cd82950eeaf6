"""The Training panel: the builder, the data chooser and CSV import, training on the worker
thread under Start/Pause/Step/Stop/Reset, the curves, inside view and boundary filling, runs
overlaid, exports, "Show as code", a model from code, and stored runs shown again."""

import csv
import sys

import numpy as np
import pytest
from PySide6.QtCore import QEvent

import workbench.engine as torch
from workbench.training import (
    ModelSpec,
    SpecError,
    TrainConfig,
    build,
    load_safetensors,
    script_for,
)
from workbench.ui.panels.training_data import CSVImportDialog, DatasetChooser
from workbench.ui.panels.training_panel import TrainingPanel
from workbench.ui.selection import Selection
from workbench.ui.theme import LIGHT, theme_manager


@pytest.fixture
def light_theme(qapp):
    qapp.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    manager = theme_manager()
    if manager.theme is not LIGHT:
        manager.set_mode("light")
    return manager


@pytest.fixture
def panel(make_widget, light_theme):
    widget = make_widget(TrainingPanel, Selection())
    widget.resize(1200, 800)
    widget.show()
    return widget


def short(panel, epochs=3, **settings):
    panel.hyper.epochs.setValue(epochs)
    for name, value in settings.items():
        getattr(panel.hyper, name).setValue(value)


def train(qtbot, panel, timeout=30_000):
    """Start and wait for the run to end; the TrainingRun."""
    with qtbot.waitSignal(panel.run_finished, timeout=timeout) as blocker:
        assert panel.start(), panel.last_error
    return blocker.args[0]


def loop_waiting(run) -> bool:
    """Whether the run's training thread is blocked, paused, between two steps."""
    import threading

    for thread in threading.enumerate():
        if thread.name != "workbench-training":
            continue
        frame = sys._current_frames().get(thread.ident)
        names = []
        while frame is not None:
            names.append(frame.f_code.co_name)
            frame = frame.f_back
        if "wait" in names and "steps" in names and "advance" not in names:
            return True
    return False


# ----- the builder ---------------------------------------------------------------------------


def test_starts_with_a_small_mlp_for_spirals_and_can_start(panel):
    builder = panel.builder
    assert [layer.kind for layer in builder.layers] == [
        "Linear",
        "ReLU",
        "Linear",
        "ReLU",
        "Linear",
    ]
    assert builder.error is None
    assert [r.shape.text() for r in builder.rows] == ["(16,)", "(16,)", "(16,)", "(16,)", "(2,)"]
    assert [r.count.text() for r in builder.rows] == ["48", "—", "272", "—", "34"]
    assert "354" in builder.total.text()
    assert panel.start_button.isEnabled() and panel.step_button.isEnabled()
    assert not panel.pause_button.isEnabled() and not panel.stop_button.isEnabled()


def test_editing_a_layer_changes_the_spec_shapes_and_counts(panel):
    builder = panel.builder
    builder.rows[0].editors["out_features"].setValue(32)
    assert builder.spec().layers[0].params["out_features"] == 32
    assert builder.rows[0].shape.text() == "(32,)"
    assert builder.rows[0].count.text() == "96"  # 2*32 + 32
    assert builder.rows[2].count.text() == "528"  # 32*16 + 16
    assert "658" in builder.total.text()  # 96 + 528 + 34
    builder.rows[1].kind.setCurrentText("Tanh")
    assert builder.spec().layers[1].kind == "Tanh"
    assert builder.preset is None  # edited: no longer the preset


def test_add_remove_and_move_layers(panel):
    builder = panel.builder
    builder.select(1)
    builder.add_layer("Dropout")
    assert [layer.kind for layer in builder.layers][:3] == ["Linear", "ReLU", "Dropout"]
    assert builder.selected == 2 and len(builder.rows) == 6
    builder.up_button.click()
    assert [layer.kind for layer in builder.layers][:3] == ["Linear", "Dropout", "ReLU"]
    builder.down_button.click()
    builder.remove_button.click()
    assert [layer.kind for layer in builder.layers] == [
        "Linear",
        "ReLU",
        "Linear",
        "ReLU",
        "Linear",
    ]
    # a drop in the gap before row 0 moves the layer there
    builder._on_dropped(2, 0)
    assert [layer.kind for layer in builder.layers][:2] == ["Linear", "Linear"]
    builder._on_dropped(0, 5)  # past the end: to the last place
    assert builder.layers[-1].kind == "Linear" and builder.layers[0].kind == "Linear"
    add_kinds = [a.text() for a in builder.add_menu.actions() if a.text()]
    for kind in ("Linear", "ReLU", "Dropout", "LayerNorm", "BatchNorm1d", "Conv2d", "MaxPool2d"):
        assert kind in add_kinds


def test_a_misfit_layer_shows_its_error_and_disables_start(panel):
    builder = panel.builder
    builder.apply_preset("CNN (shapes)")  # images on spirals' 2-D points
    assert isinstance(builder.error, SpecError) and builder.error.index == 0
    row = builder.rows[0]
    assert row.error.isVisibleTo(row) and "Conv2d" in row.error.text()
    assert "(2,)" in row.error.text()
    assert all(r.shape.text() == "—" for r in builder.rows)
    assert not panel.start_button.isEnabled() and not panel.step_button.isEnabled()
    assert "Conv2d" in panel.start_button.toolTip()
    assert not panel.start()
    assert "Conv2d" in panel.last_error
    # the images dataset makes it fit
    panel.data.set_dataset("shapes")
    assert builder.error is None and panel.start_button.isEnabled()
    assert builder.rows[-1].shape.text() == "(4,)"


def test_an_output_that_does_not_fit_the_loss_is_shown_on_the_last_layer(panel):
    builder = panel.builder
    builder.rows[-1].editors["out_features"].setValue(3)
    assert builder.error is not None and builder.error.index == len(builder.layers) - 1
    assert "out_features" in builder.rows[-1].error.text()
    assert not panel.start_button.isEnabled()


def test_a_preset_follows_the_data(panel):
    panel.data.set_dataset("blobs", {"classes": 4})
    assert panel.builder.layers[-1].params["out_features"] == 4
    panel.data.set_dataset("sine")
    assert panel.builder.rows[-1].shape.text() == "(1,)"
    assert panel.hyper.loss.currentText() == "mse"
    assert panel.builder.error is None


# ----- data ----------------------------------------------------------------------------------


def test_the_dataset_chooser_changes_the_preview(make_widget, light_theme):
    chooser = make_widget(DatasetChooser)
    assert chooser.name == "spirals" and chooser.preview.kind == "scatter"
    assert set(chooser.editors) >= {"n", "noise", "seed", "test_fraction"}
    points = len(chooser.preview.scatter.data)
    chooser.editors["n"].setValue(120)
    assert len(chooser.preview.scatter.data) == 120 != points
    assert chooser.source() == {"name": "spirals", "params": chooser.params()}
    chooser.set_dataset("sine")
    assert chooser.preview.kind == "regression"
    chooser.set_dataset("shapes")
    assert chooser.preview.kind == "images" and chooser.preview.image.image.ndim == 2
    chooser.set_dataset("random_regression")
    assert chooser.preview.kind == "text" and "Regression" in chooser.preview.text.text()
    chooser.set_dataset("polynomial", {"coefficients": (1.0, 2.0)})
    assert list(chooser.dataset().params["coefficients"]) == [1.0, 2.0]


def test_csv_import_shows_an_error_inline_naming_line_and_column(make_widget, tmp_path, qtbot):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,label\n1,2,0\n3,oops,1\n5,6,0\n")
    chooser = make_widget(DatasetChooser)
    dialog = chooser.open_csv_dialog(str(bad))
    assert isinstance(dialog, CSVImportDialog)
    assert [dialog.target.itemText(i) for i in range(dialog.target.count())] == ["a", "b", "label"]
    assert dialog.target.currentText() == "label"
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert dialog.isVisible()
    assert "line 3" in dialog.error_label.text() and "column 2" in dialog.error_label.text()
    assert dialog.error_label.isVisibleTo(dialog)
    dialog.close()

    good = tmp_path / "points.csv"
    rows = ["x,y,label"] + [f"{i / 10},{(i % 7) / 10},{i % 2}" for i in range(40)]
    good.write_text("\n".join(rows) + "\n")
    dialog = chooser.open_csv_dialog(str(good))
    with qtbot.waitSignal(dialog.imported):
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert chooser.name == "csv: points"
    assert chooser.dataset().task == "classification"
    assert chooser.preview.kind == "scatter"
    assert chooser.source()["name"] == "csv"


# ----- training ------------------------------------------------------------------------------


def test_trains_spirals_pauses_steps_once_and_stops(panel, qtbot):
    short(panel, epochs=2000)
    runs_finished = []
    panel.run_finished.connect(runs_finished.append)
    assert panel.start()
    assert panel.state == "running"
    assert not panel.builder.isEnabled() and panel.pause_button.isEnabled()
    run = panel.active_run
    qtbot.waitUntil(lambda: run.series.steps >= 40, timeout=20_000)

    panel.pause()
    assert panel.state == "paused" and panel.start_button.text() == "Resume"
    qtbot.waitUntil(lambda: loop_waiting(run), timeout=10_000)
    qtbot.waitUntil(lambda: run.series.steps == run.trainer.step, timeout=5_000)
    before = run.trainer.step
    panel.step()
    qtbot.waitUntil(lambda: run.trainer.step == before + 1 and loop_waiting(run), timeout=10_000)
    qtbot.waitUntil(lambda: run.series.steps == before + 1, timeout=5_000)
    assert len(run.history.steps) == before + 1

    # the views filled: curves, the inside view, the decision boundary
    x, y = panel.curves.curve_data(run.number, "loss")
    assert len(x) == before + 1 and np.isfinite(y).all()
    assert len(panel.curves.curve_data(run.number, "test_accuracy")[0]) == len(run.history.epochs)
    panel.tabs.setCurrentIndex(panel.inside_tab)
    assert len(panel.inside.grad_items) == 3
    assert len(panel.inside.grad_items["0"].getData()[0]) == before + 1
    assert panel.inside.weight_image.image is not None
    panel.tabs.setCurrentIndex(panel.result_tab)
    assert panel.tabs.tabText(panel.result_tab) == "Boundary"
    assert panel.boundary.image_shape == (60, 60, 3)
    assert len(panel.boundary.train_points.data) == run.dataset.n_train
    assert "step" in panel.boundary.note.text()

    panel.stop()
    qtbot.waitUntil(lambda: panel.state == "idle", timeout=10_000)
    assert runs_finished == [run] and run.state == "stopped"
    assert run.steps_done == before + 1
    assert panel.start_button.isEnabled() and panel.builder.isEnabled()
    assert "Stopped" in panel.status.text()


def test_step_from_idle_does_exactly_one_step(panel, qtbot):
    short(panel, epochs=5)
    assert panel.step()
    run = panel.active_run
    qtbot.waitUntil(lambda: run.series.steps == 1 and loop_waiting(run), timeout=10_000)
    assert panel.state == "paused" and run.trainer.step == 1
    panel.step()
    qtbot.waitUntil(lambda: run.series.steps == 2 and loop_waiting(run), timeout=10_000)
    assert run.trainer.step == 2
    with qtbot.waitSignal(panel.run_finished, timeout=20_000):
        panel.start()  # resumes to the end
    assert run.state == "finished" and run.steps_done == 5 * 8
    assert panel.progress.value() == panel.progress.maximum()


def test_two_runs_overlay_with_their_settings(panel, qtbot):
    short(panel, epochs=3)
    first = train(qtbot, panel)
    panel.hyper.lr.setValue(0.003)
    panel.hyper.optimizer.setCurrentText("sgd")
    second = train(qtbot, panel)
    assert [r.number for r in panel.runs()] == [1, 2]
    assert set(panel.curves.items) == {1, 2}
    labels = [label.text for _sample, label in panel.curves.legend.items]
    assert labels == [first.label(), second.label()]
    assert "sgd · lr 0.003 · batch 32" in labels[1]
    assert first.history.config["lr"] == 0.01 and second.history.config["lr"] == 0.003
    assert panel.current_run is second
    panel.run_combo.setCurrentIndex(0)
    assert panel.current_run is first
    panel.clear_runs()
    assert panel.runs() == [] and panel.curves.items == {}


def test_reset_discards_the_run(panel, qtbot):
    short(panel, epochs=2000)
    panel.start()
    run = panel.active_run
    qtbot.waitUntil(lambda: run.series.steps > 5, timeout=20_000)
    panel.reset()
    assert panel.state == "idle" and panel.runs() == [] and panel.current_run is None
    assert panel.curves.stack.currentIndex() == 0  # the hint again


def test_regression_shows_predictions(panel, qtbot):
    panel.data.set_dataset("sine")
    short(panel, epochs=5)
    run = train(qtbot, panel)
    assert run.dataset.task == "regression"
    panel.tabs.setCurrentIndex(panel.result_tab)
    assert panel.tabs.tabText(panel.result_tab) == "Predictions"
    assert panel.predictions.mode == "curve"
    x, y = panel.predictions.curve.getData()
    assert len(x) == 200 and np.isfinite(y).all()
    assert not panel.curves.acc_plot.isVisibleTo(panel.curves)


# ----- export and code -----------------------------------------------------------------------


def test_show_as_code_is_script_for_and_opens_in_the_editor(panel, qtbot):
    short(panel, epochs=2)
    run = train(qtbot, panel)
    dialog = panel.show_code()
    expected = script_for(run.spec, "spirals", panel.data.params(), run.config)
    assert dialog.text == expected
    assert dialog.editor.isReadOnly()
    assert dialog.highlighter.document() is dialog.editor.document()
    with qtbot.waitSignal(panel.open_code) as blocker:
        dialog.open_button.click()
    name, text = blocker.args
    assert name.endswith(".py") and text == expected
    dialog.copy()


def test_exports_metrics_csv_and_weights_that_load_back(panel, qtbot, tmp_path):
    short(panel, epochs=2)
    run = train(qtbot, panel)
    path = panel.export_metrics(str(tmp_path / "metrics.csv"))
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == run.steps_done
    assert float(rows[-1]["loss"]) == pytest.approx(run.history.steps[-1].loss)
    path = panel.export_weights(str(tmp_path / "weights.safetensors"))
    model = build(run.spec, seed=123)
    load_safetensors(model, path)
    x = torch.from_numpy(run.dataset.x_test)
    run.model.eval()
    model.eval()
    assert np.array_equal(model(x).detach().numpy(), run.model(x).detach().numpy())


# ----- model from code, sessions, theme ------------------------------------------------------


def test_trains_a_model_written_in_code(panel, qtbot):
    nn = torch.nn
    torch.manual_seed(0)
    x = torch.randn(160, 2)
    y = (x[:, 0] * x[:, 1] > 0).long()
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    panel.set_namespace({"model": model, "x": x, "y": y, "other": 3})
    panel.set_source("code")
    assert not panel.data.isVisibleTo(panel)
    assert panel.code_chooser.selection() == ("model", "x", "y")
    assert panel.hyper.loss.currentText() == "cross_entropy"
    short(panel, epochs=3)
    before = model[0].weight.detach().numpy().copy()
    run = train(qtbot, panel)
    assert run.spec is None and run.model is model
    assert run.source == {"name": "namespace", "model": "model", "x": "x", "y": "y"}
    assert run.steps_done == 3 * 5
    assert not np.array_equal(model[0].weight.detach().numpy(), before)  # trained in place
    assert not panel.code_button_show.isEnabled()
    panel.tabs.setCurrentIndex(panel.result_tab)
    assert panel.boundary.image_shape == (60, 60, 3)
    stored = run.stored()
    assert stored["spec"] is None and "0.weight" in stored["weights"]


def test_a_model_from_code_that_does_not_fit_reports_the_error(panel, qtbot):
    nn = torch.nn
    panel.set_namespace(
        {"model": nn.Linear(3, 2), "x": torch.randn(20, 2), "y": torch.zeros(20).long()}
    )
    panel.set_source("code")
    short(panel, epochs=1)
    assert panel.start()
    qtbot.waitUntil(lambda: panel.state == "idle", timeout=10_000)
    assert "Training failed" in panel.error_label.text()
    assert panel.runs() == []


def test_a_stored_run_shows_without_training(panel, qtbot, make_widget):
    short(panel, epochs=3)
    run = train(qtbot, panel)
    stored = run.stored()
    assert stored["settings"]["config"] == TrainConfig.from_dict(run.config.to_dict()).to_dict()
    assert stored["settings"]["dataset"]["name"] == "spirals"
    assert ModelSpec.from_dict(stored["spec"]).layers == run.spec.layers

    other = make_widget(TrainingPanel, Selection())
    other.resize(1200, 800)
    loaded = other.load_run(stored)
    assert loaded.state == "loaded" and other.runs() == [loaded]
    assert loaded.history.to_dict() == run.history.to_dict()
    assert len(other.curves.curve_data(loaded.number, "loss")[0]) == run.steps_done
    other.tabs.setCurrentIndex(other.result_tab)
    assert other.boundary.image_shape == (60, 60, 3)
    x = torch.from_numpy(run.dataset.x_test)
    run.model.eval()
    loaded.model.eval()
    assert np.array_equal(loaded.model(x).detach().numpy(), run.model(x).detach().numpy())
    assert other.state == "idle" and other.active_run is None


def test_follows_the_theme(panel, qtbot, light_theme):
    short(panel, epochs=2)
    train(qtbot, panel)
    light_bg = panel.curves.loss_plot.backgroundBrush().color().name()
    light_theme.set_mode("dark")
    dark_bg = panel.curves.loss_plot.backgroundBrush().color().name()
    assert dark_bg != light_bg and dark_bg == theme_manager().theme.plot_background
    pen = panel.curves.items[1]["loss"][1].opts["pen"].color().name()
    assert pen == theme_manager().theme.series[0]


def test_closing_mid_run_ends_the_thread(make_widget, light_theme, qtbot):
    widget = make_widget(TrainingPanel, Selection())
    short(widget, epochs=100_000)
    widget.start()
    qtbot.waitUntil(lambda: widget.active_run.series.steps > 0, timeout=20_000)
    widget.close()  # the fixture fails on a leaked thread or timer
    assert widget.state == "idle"


def test_selecting_a_module_picks_it_for_code(panel):
    nn = torch.nn
    selection = panel.selection
    panel.set_namespace({"a": nn.Linear(2, 2), "b": nn.Linear(2, 2), "x": torch.randn(4, 2)})
    panel.set_source("code")
    selection.select("b")
    assert panel.code_chooser.selection()[0] == "b"
    assert panel.builder_button.isChecked() is False
    panel.set_source("builder")
    assert panel.builder_button.isChecked() and panel.data.isVisibleTo(panel)
