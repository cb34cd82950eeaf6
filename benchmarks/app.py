"""The desktop app's responsiveness (issue 5): cold start, and GUI latency under a busy worker.

`python -m benchmarks.app [--rounds N] [--probe-seconds S]`

- Cold start: a fresh interpreter from spawn until the main window has been shown and painted,
  against a bare PySide6 + pyqtgraph window (a QMainWindow holding a PlotWidget) started the
  same way. Rounds alternate the two so both see the same load; the figure is the ratio of the
  medians. Target: <= 1.3.
- GUI latency: while a run keeps the Session's worker thread busy (a pure-Python loop doing
  engine ops, the worst case for the GIL; then a loop printing as fast as it can), a 10 ms
  timer on the GUI thread records how late each tick fires. Target: p99 <= 50 ms.

Both run offscreen (QT_QPA_PLATFORM=offscreen), with private settings.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

BARE = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
import pyqtgraph as pg
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.setCentralWidget(pg.PlotWidget())
window.resize(1440, 900)
window.show()
app.processEvents()
window.grab()
print("shown", flush=True)
"""

APP = """
import sys
from workbench.ui.app import create_application
from workbench.ui.main_window import MainWindow
app = create_application(sys.argv[:1])
window = MainWindow()
window.show()
app.processEvents()
window.grab()
print("shown", flush=True)
window.close()
"""

BUSY = """
import workbench.engine as torch
x = torch.randn(64, 64, requires_grad=True)
while True:
    y = (x * 2).tanh().sum()
    y.backward()
"""

# The other worst case: a script that prints as fast as it can.
PRINTING = """
i = 0
while True:
    i += 1
    print('line', i, 'x' * 60)
"""


def _env(settings: str) -> dict:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["WORKBENCH_SETTINGS"] = settings
    # An installed app starts from cached bytecode; without it every start would compile all
    # our modules (tens of ms) and measure the compiler, not the start-up.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def time_to_shown(code: str, env: dict) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - t0
    _, err = proc.communicate(timeout=60)
    if line.strip() != "shown":
        raise RuntimeError(f"the child did not show its window:\n{err}")
    return elapsed


def cold_start(rounds: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(os.path.join(tmp, "settings.ini"))
        time_to_shown(BARE, env), time_to_shown(APP, env)  # warm the file cache
        bare, app = [], []
        for _ in range(rounds):
            bare.append(time_to_shown(BARE, env))
            app.append(time_to_shown(APP, env))
    return statistics.median(bare), statistics.median(app)


def gui_latency(seconds: float, code: str = BUSY) -> list[float]:
    """Lateness (ms) of each 10 ms GUI-thread tick while the worker runs `code`."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer

    from benchmarks.latency import LatencyProbe
    from workbench.ui.app import create_application
    from workbench.ui.main_window import MainWindow

    app = create_application()
    window = MainWindow()
    window.show()
    app.processEvents()
    loop = QEventLoop()
    probe = LatencyProbe()
    window.editor.current_editor().setPlainText(code)
    window.run_all()
    probe.start()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    lateness = probe.stop()
    window.stop()
    done = QEventLoop()
    window.run_finished.connect(lambda _r: done.quit())
    QTimer.singleShot(5000, done.quit)
    if window.controller.busy:
        done.exec()
    window.close()
    return lateness


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.app")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--probe-seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["WORKBENCH_SETTINGS"] = os.path.join(tmp, "settings.ini")
        bare, app = cold_start(args.rounds)
        print(
            f"cold start to window shown: app {app:.2f} s, bare PySide6+pyqtgraph {bare:.2f} s, "
            f"ratio {app / bare:.2f} (target <= 1.3; medians of {args.rounds})"
        )
        for what, code in (("computing", BUSY), ("printing", PRINTING)):
            late = sorted(gui_latency(args.probe_seconds, code))
            p50 = late[len(late) // 2]
            p99 = late[min(len(late) - 1, int(len(late) * 0.99))]
            print(
                f"GUI event latency with a {what} worker: p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
                f"max {late[-1]:.1f} ms over {len(late)} ticks (target p99 <= 50 ms)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
