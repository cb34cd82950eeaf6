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

POLL_MS = 33


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

    def start(self, code: str, source: str = "<editor>", first_line: int = 1, mode: str = "exec"):
        """Start a run; raises SessionBusyError when one is active (the UI disables Run then)."""
        run = self.session.run(code, source=source, first_line=first_line, mode=mode)
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
            self.busy_changed.emit(False)

    def _drain(self, run) -> None:
        for stream, text in run.read_output():
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
            if self._stopper is not None:
                self._stopper.join(0.5)
                self._stopper = None
            self.finished.emit(run.result)
            self.busy_changed.emit(False)
