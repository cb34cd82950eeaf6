"""Bridges the Session's worker-thread runs to the GUI thread.

The worker never touches Qt. While a run is active a GUI-thread timer (~30 Hz) drains the run's
output and notices its end; so a script that prints in a tight loop costs the GUI one append
per tick, not one signal per `print`.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, QTimer, Signal

from workbench.session import Session
from workbench.ui import switching

POLL_MS = 33
# What one tick may add to the console. A script printing in a tight loop produces megabytes a
# second; laying all of it out would freeze the window, and nobody reads it at that speed. The
# tail is shown (the newest lines matter) and the run's history keeps the last megabyte.
MAX_CHARS_PER_TICK = 16_000
# While a run is active the worker and the GUI thread share the GIL. Each time the GUI thread
# lets go of it inside a Qt call it waits up to a whole switch interval to get it back, so a
# GUI tick of many Qt calls can stall for a tenth of a second against a busy worker (CPython's
# convoy effect). A shorter interval for the run's duration keeps the window responsive, for
# a percent or two of the worker's speed.
RUN_SWITCH_INTERVAL = 0.001


class RunController(QObject):
    started = Signal(object)  # the Run
    output = Signal(str, str)  # stream, text
    finished = Signal(object)  # the RunResult
    busy_changed = Signal(bool)

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._run = None
        self._started_at = 0.0
        self._stopper: threading.Thread | None = None
        self._switching = None  # the switch-interval hold while a run is active
        self._timer = QTimer(self)
        self._timer.setObjectName("run-poll")
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def busy(self) -> bool:
        return self._run is not None

    @property
    def current_run(self):
        return self._run

    def elapsed(self) -> float:
        return time.perf_counter() - self._started_at if self._run is not None else 0.0

    def start(
        self,
        code: str,
        source: str = "<editor>",
        first_line: int = 1,
        mode: str = "exec",
        profile: bool = False,
    ):
        """Start a run (under the profiler with `profile`); raises SessionBusyError when one is
        active (the UI disables Run then)."""
        run = self.session.run(
            code, source=source, first_line=first_line, mode=mode, profile=profile
        )
        self._switching = switching.hold(RUN_SWITCH_INTERVAL)
        self._run = run
        self._started_at = time.perf_counter()
        self._timer.start()
        self.started.emit(run)
        self.busy_changed.emit(True)
        return run

    def stop(self) -> None:
        """Ask the run to stop without blocking the GUI: the stop loop runs on a helper thread."""
        run = self._run
        if run is None or (self._stopper is not None and self._stopper.is_alive()):
            return
        self._stopper = threading.Thread(
            target=run.stop, kwargs={"timeout": 2.0}, name="workbench-stop", daemon=True
        )
        self._stopper.start()

    def shutdown(self, timeout: float = 2.0) -> None:
        """Stop whatever runs and release the worker (window closing)."""
        self._timer.stop()
        self.session.close(timeout=timeout)
        if self._stopper is not None:
            self._stopper.join(timeout)
        if self._run is not None:
            self._drain(self._run)
            self._run = None
            switching.release(self._switching)
            self._switching = None
            self.busy_changed.emit(False)

    def _drain(self, run) -> None:
        chunks = run.read_output()
        total = sum(len(text) for _, text in chunks)
        if total > MAX_CHARS_PER_TICK:
            chunks = _tail(chunks, MAX_CHARS_PER_TICK)
            skipped = total - sum(len(text) for _, text in chunks)
            self.output.emit("info", f"[… {skipped:,} characters of output skipped …]\n")
        for stream, text in chunks:
            self.output.emit(stream, text)

    def _poll(self) -> None:
        run = self._run
        if run is None:
            self._timer.stop()
            return
        # Read `done` before draining so no output written just before the end is left behind.
        done = run.done
        self._drain(run)
        if done:
            self._timer.stop()
            self._run = None
            switching.release(self._switching)
            self._switching = None
            if self._stopper is not None:
                self._stopper.join(0.5)
                self._stopper = None
            self.finished.emit(run.result)
            self.busy_changed.emit(False)


def _tail(chunks: list[tuple[str, str]], limit: int) -> list[tuple[str, str]]:
    """The last `limit` characters of the (stream, text) chunks, starting at a line start."""
    kept: list[tuple[str, str]] = []
    room = limit
    for stream, text in reversed(chunks):
        if room <= 0:
            break
        if len(text) <= room:
            kept.append((stream, text))
            room -= len(text)
            continue
        cut = text[len(text) - room :]
        newline = cut.find("\n")
        if 0 <= newline < len(cut) - 1:
            cut = cut[newline + 1 :]
        kept.append((stream, cut))
        break
    kept.reverse()
    return kept
