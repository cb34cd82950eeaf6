"""The training panel's cost (issue 7): steps/s with the panel open against the headless trainer,
and the GUI thread's event latency while it trains.

`python -m benchmarks.training_panel [--steps N] [--rounds R] [--tab curves|inside|boundary]`

Workload: benchmarks/training.py's — spirals, MLP 2-64-64-2 with ReLU, batch 64, Adam at lr 0.01,
per-layer metrics every step, train/test evaluation every epoch (4 steps). The panel is offscreen,
shown at 1200×800 on the chosen tab, and trains the run from Start to `run_finished`: its GUI
thread drains the worker at ~30 Hz and redraws the views as often as its drawing budget allows
(`redraws/s`). Its steps/s is over the training thread's running time, as the headless figure
is over `run()` alone (building the model before and drawing the final state after are not
training).

Each round runs, back to back: the headless `Trainer.run()`, then the panel with the switch
interval it sets while training (1 ms), then the panel leaving Python's default (5 ms) — each
panel run's ratio is taken against the headless run just before it, which saw the same load —
and then both panel runs again with a 10 ms precise QTimer probing the GUI thread's latency
(the lateness of each tick past 10 ms). The probe is kept out of the throughput runs: waking
the GUI thread 100 times a second costs the trainer several percent by itself. Reported: the
median and the best ratio over the rounds, and the probe's p50/p99 pooled over all rounds.

The GUI thread draws holding the GIL (PySide keeps it through Qt's painting calls), so each
millisecond of drawing is one the trainer waits: the panel measures what its redraws cost and
spaces them to stay within `training_panel.DRAW_BUDGET` of the time. On a shared two-core
machine single runs move by ±10 %; run with one BLAS thread (`make bench` sets it).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import tempfile

from benchmarks.training import BATCH
from benchmarks.training import trainer as headless

TABS = ("curves", "inside", "boundary")


def _panel(app, tab: str):
    from workbench.ui.panels.training_panel import TrainingPanel
    from workbench.ui.selection import Selection

    panel = TrainingPanel(Selection())
    panel.resize(1200, 800)
    panel.show()
    panel.data.set_dataset("spirals")
    panel.builder.apply_preset("MLP 2-64-64")
    panel.hyper.optimizer.setCurrentText("adam")
    panel.hyper.lr.setValue(0.01)
    panel.hyper.batch.setValue(BATCH)
    panel.tabs.setCurrentIndex(TABS.index(tab))
    app.processEvents()
    return panel


def panel_run(app, panel, epochs: int, switch_interval, probe: bool = False):
    """(seconds, steps, lateness in ms of each probe tick, redraws) for one run from Start to
    its end."""
    from PySide6.QtCore import QEventLoop

    from benchmarks.latency import LatencyProbe

    panel.hyper.epochs.setValue(epochs)
    panel.switch_interval = switch_interval
    latency = LatencyProbe()
    loop = QEventLoop()
    panel.run_finished.connect(loop.quit)
    if probe:
        latency.start()
    redraws = panel.redraws
    if not panel.start():
        raise RuntimeError(f"the panel did not start: {panel.last_error}")
    loop.exec()
    lateness = latency.stop()
    panel.run_finished.disconnect(loop.quit)
    run = panel.runs()[-1]
    steps, seconds = run.steps_done, run.seconds
    panel.clear_runs()
    app.processEvents()
    return seconds, steps, lateness, panel.redraws - redraws


def _percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.training_panel")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--tab", choices=TABS, default="curves")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["WORKBENCH_SETTINGS"] = os.path.join(tmp, "settings.ini")
        from PySide6.QtWidgets import QApplication

        from workbench.training import load_dataset
        from workbench.ui.panels.training_worker import TRAIN_SWITCH_INTERVAL
        from workbench.ui.theme import theme_manager

        app = QApplication.instance() or QApplication([])
        theme_manager().set_mode("light")
        dataset = load_dataset("spirals")
        per_epoch = -(-dataset.n_train // BATCH)
        epochs = max(1, args.steps // per_epoch)
        panel = _panel(app, args.tab)
        modes = {"panel, 1 ms switch": TRAIN_SWITCH_INTERVAL, "panel, 5 ms (default)": None}
        ratios = {name: [] for name in modes}
        rates = {name: [] for name in modes}
        late = {name: [] for name in modes}
        heads = []
        headless(dataset, 64, per_epoch * 10)  # warm up
        for _ in range(args.rounds):
            for name, interval in modes.items():
                gc.collect()
                seconds, done = headless(dataset, 64, epochs * per_epoch)
                heads.append(done / seconds)
                gc.collect()
                seconds, done, _, redraws = panel_run(app, panel, epochs, interval)
                ratios[name].append(done / seconds / heads[-1])
                rates[name].append(redraws / seconds)
            for name, interval in modes.items():
                gc.collect()
                late[name] += panel_run(app, panel, epochs, interval, probe=True)[2]
        panel.close()
        print(
            f"spirals, MLP 2-64-64-2, batch {BATCH}, Adam, layer metrics, eval every epoch; "
            f"{epochs * per_epoch} steps x {args.rounds} rounds; panel on the {args.tab!r} tab "
            f"at 1200x800 (offscreen); headless {statistics.median(heads):.0f} steps/s (median)"
        )
        print(
            f"{'':<24}{'vs headless':>13}{'best':>7}{'redraws/s':>11}{'GUI p50':>10}{'GUI p99':>10}"
        )
        for name in modes:
            p50, p99 = _percentile(late[name], 0.5), _percentile(late[name], 0.99)
            print(
                f"{name:<24}{statistics.median(ratios[name]):>13.2f}{max(ratios[name]):>7.2f}"
                f"{statistics.median(rates[name]):>11.1f}{p50:>8.1f}ms{p99:>8.1f}ms"
            )
        print(
            "vs headless: median over rounds of each panel run against the headless run before "
            "it; targets: >= 0.90, GUI event latency p99 <= 50 ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
