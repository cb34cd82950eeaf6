"""The training panel's plot arithmetic and views: smoothing, decimation, the series a run's
metrics become, histogram images, the boundary's colours, and the curves of overlaid runs."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

from workbench.training import EpochMetrics, StepMetrics
from workbench.ui.panels.training_plots import (
    DEFAULT_SMOOTHING,
    CurvesView,
    InsideView,
    LogAxis,
    RunSeries,
    Series,
    Smoother,
    boundary_rgb,
    decimate,
    ema,
    histogram_image,
    nice_ceil,
    nice_floor,
)
from workbench.ui.panels.training_worker import HistogramSnapshot
from workbench.ui.theme import current_theme

# ----- smoothing -----------------------------------------------------------------------------


def test_ema_is_tensorboards_debiased_average_by_hand():
    # weight 0.5: last = 0.5*last + 0.5*v, shown as last / (1 - 0.5**count)
    # v=1: last 0.5,   / 0.5   = 1
    # v=2: last 1.25,  / 0.75  = 5/3
    # v=3: last 2.125, / 0.875 = 17/7
    assert np.allclose(ema([1.0, 2.0, 3.0], 0.5), [1.0, 5 / 3, 17 / 7])


def test_ema_steps_over_non_finite_values_and_keeps_them():
    out = ema([1.0, math.nan, 3.0, math.inf], 0.5)
    assert out[0] == 1.0 and math.isnan(out[1]) and math.isinf(out[3])
    # the NaN did not count: 3 is the second value, as in [1, 3]
    assert out[2] == pytest.approx(ema([1.0, 3.0], 0.5)[1])


def test_ema_of_weight_zero_is_the_data_and_of_a_constant_is_the_constant():
    values = np.array([3.0, -1.0, 7.5])
    assert np.array_equal(ema(values, 0.0), values)
    assert np.allclose(ema(np.full(50, 2.5), 0.99), 2.5)  # no bias toward the zero start


def test_smoother_extends_incrementally_and_restarts_on_a_new_weight():
    rng = np.random.default_rng(0)
    data = rng.standard_normal(100)
    smoother = Smoother()
    smoother.update(data[:40], 0.9)
    assert np.allclose(smoother.update(data, 0.9), ema(data, 0.9))
    assert np.allclose(smoother.update(data, 0.3), ema(data, 0.3))


# ----- decimation and series -----------------------------------------------------------------


def test_decimate_keeps_short_series_and_bounds_long_ones():
    x = np.arange(100.0)
    assert decimate(x, x, 200)[0] is x
    x = np.arange(10_001.0)
    y = np.sin(x)
    xs, ys = decimate(x, y, 500)
    assert len(xs) <= 502 and xs[0] == 0 and xs[-1] == 10_000
    xs, ys = decimate(x, y, 500, peaks=True)
    assert len(xs) <= 520
    assert ys.max() == pytest.approx(y.max(), abs=1e-3) and ys.min() == pytest.approx(y.min(), 1e-3)


def test_series_grows_and_reads_none_as_nan():
    s = Series()
    s.extend(list(range(100)))
    s.append(None)
    assert len(s) == 101 and s.view()[99] == 99 and math.isnan(s.view()[100])


def _steps(n, layers=("0", "2"), start=1):
    return [
        StepMetrics(
            step=i,
            epoch=0,
            batch=i,
            loss=1.0 / i,
            lr=0.01,
            time=0.001,
            grad_norm={name: 0.1 * i for name in layers},
            weight_norm={name: 1.0 for name in layers},
            update_ratio={name: 1e-3 for name in layers},
        )
        for i in range(start, start + n)
    ]


def test_run_series_takes_steps_epochs_and_snapshots():
    series = RunSeries(["0", "2"])
    epoch = EpochMetrics(0, 4, 0.5, 0.75, 0.6, None, 0.01, 0.01)
    snapshot = HistogramSnapshot(4, {"0": np.zeros(5)}, {"0": np.zeros(5)})
    series.extend([*_steps(4), epoch, snapshot])
    assert series.steps == 4
    x, y = series.raw("loss")
    assert list(x) == [1, 2, 3, 4] and y[-1] == 0.25
    assert list(series.raw("grad_norm/2")[1]) == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert series.has("train_accuracy") and not series.has("test_accuracy")
    assert len(series.snapshots) == 1
    x, raw, smooth = series.smoothed("loss", 0.5)
    assert np.allclose(smooth, ema(raw, 0.5))


def test_run_series_thins_snapshots_and_keeps_them_in_order():
    series = RunSeries(["0"])
    for step in range(1, 1000):
        series.extend([HistogramSnapshot(step, {"0": np.zeros(3)}, {"0": np.zeros(3)})])
    steps = [s.step for s in series.snapshots]
    assert len(steps) <= 241 and steps == sorted(steps) and steps[0] == 1


# ----- images ---------------------------------------------------------------------------------


def test_histogram_image_is_value_bins_by_time_columns_scaled_per_column():
    rng = np.random.default_rng(0)
    snaps = [
        HistogramSnapshot(
            step, {"0": np.sort(rng.normal(0, 1 + step / 10, 129))}, {"0": np.zeros(129)}
        )
        for step in range(10, 110, 10)
    ]
    image, (s0, s1), (lo, hi) = histogram_image(snaps, "0", "weights", bins=32)
    assert image.shape == (32, 10)
    assert (s0, s1) == (10, 100) and lo < 0 < hi
    assert np.allclose(image.max(axis=0), 1.0)
    # later columns are wider spreads: more bins lit
    lit = (image > 0.2).sum(axis=0)
    assert lit[-1] > lit[0]
    assert histogram_image(snaps, "missing", "weights") is None


def test_boundary_rgb_mixes_class_colours_by_confidence():
    probs = np.zeros((2, 2, 2), np.float32)
    probs[..., 0] = [[1.0, 0.5], [0.0, 0.9]]
    probs[..., 1] = 1 - probs[..., 0]
    rgb = boundary_rgb(probs, ["#ff0000", "#0000ff"], "#ffffff")
    assert rgb.shape == (2, 2, 3) and rgb.dtype == np.uint8
    assert rgb[0, 0, 0] > rgb[0, 0, 2]  # sure of class 0: red
    assert rgb[1, 0, 2] > rgb[1, 0, 0]  # sure of class 1: blue
    # unsure: faded toward the white background
    assert rgb[0, 1].min() > rgb[0, 0].min()


def test_nice_numbers():
    assert nice_ceil(0.71) == pytest.approx(0.8)
    assert nice_ceil(7.2) == pytest.approx(8.0)
    assert nice_ceil(1.0) == pytest.approx(1.0)
    assert nice_floor(0.033) == pytest.approx(0.03)
    assert nice_floor(-0.2) == pytest.approx(-0.2)


def test_log_axis_labels_decades_only_over_a_wide_range(qapp):
    axis = LogAxis("left")
    axis.setLogMode(False, True)
    axis.setRange(-4, 0)
    values = [-3.0, math.log10(0.002), math.log10(0.005), -2.0]
    labels = axis.logTickStrings(values, 1.0, 1.0)
    assert labels[0] and labels[3] and not labels[1] and not labels[2]


# ----- views ---------------------------------------------------------------------------------


def _run(number, n_steps, lr=0.01):
    series = RunSeries(["0"])
    epochs = [
        EpochMetrics(e, 4 * (e + 1), 1.0 / (e + 1), 0.5 + e / 100, 1.1 / (e + 1), 0.5, lr, 0.01)
        for e in range(n_steps // 4)
    ]
    series.extend([*_steps(n_steps, layers=("0",)), *epochs])
    config = SimpleNamespace(optimizer="adam", lr=lr, batch_size=32)
    return SimpleNamespace(
        number=number,
        series=series,
        state="finished",
        trainer=None,
        config=config,
        label=lambda: f"#{number} adam · lr {lr:g} · batch 32",
    )


def test_curves_overlay_runs_with_a_legend_entry_each(make_widget):
    view = make_widget(CurvesView)
    view.resize(800, 600)
    runs = [_run(1, 40), _run(2, 80, lr=0.003)]
    view.set_runs(runs)
    assert view.stack.currentIndex() == 1
    assert set(view.items) == {1, 2}
    assert len(view.legend.items) == 2
    x, y = view.curve_data(2, "loss")
    assert len(x) == 80 and np.allclose(y, ema(1.0 / np.arange(1, 81), DEFAULT_SMOOTHING))
    x, y = view.curve_data(1, "loss", smoothed=False)
    assert np.allclose(y, 1.0 / np.arange(1, 41))
    assert len(view.curve_data(2, "test_accuracy")[0]) == 20
    assert view.acc_plot.isVisibleTo(view)
    # colours differ by run
    pens = {view.items[n]["loss"][1].opts["pen"].color().name() for n in (1, 2)}
    assert len(pens) == 2
    view.set_runs(runs[1:])
    assert set(view.items) == {2} and len(view.legend.items) == 1


def test_curves_smoothing_slider_and_log_scale(make_widget):
    view = make_widget(CurvesView)
    view.set_runs([_run(1, 40)])
    view.set_smoothing(0.0)
    assert view.smoothing == 0.0
    _, y = view.curve_data(1, "loss")
    assert np.allclose(y, 1.0 / np.arange(1, 41))
    view.set_log_scale(True)
    _, y = view.curve_data(1, "loss")
    assert np.allclose(y, np.log10(1.0 / np.arange(1, 41)))
    _, acc = view.curve_data(1, "train_accuracy")
    assert acc.max() < 1  # accuracy stays linear


def test_inside_view_draws_a_curve_per_layer_and_histograms(make_widget):
    view = make_widget(InsideView)
    view.resize(900, 600)
    run = _run(1, 40)
    rng = np.random.default_rng(1)
    run.series.extend(
        [
            HistogramSnapshot(s, {"0": np.sort(rng.normal(size=129))}, {"0": rng.normal(size=129)})
            for s in (10, 20, 30, 40)
        ]
    )
    view.show_run(run, {"0": "0 · Linear"})
    assert view.stack.currentIndex() == 1
    x, y = view.grad_items["0"].getData()
    assert len(x) == 40 and np.allclose(10**y, ema(0.1 * np.arange(1, 41), view.smoothing))
    view.refresh_histograms(True)
    assert view.weight_image.image.shape == (64, 4)
    assert view.layer_combo.currentText() == "0 · Linear"
    assert current_theme().series[0] in view.legend.text()
    view.show_run(None)
    assert view.stack.currentIndex() == 0
