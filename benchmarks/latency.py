"""A GUI-thread latency probe: a 10 ms timer that records how late each tick fires (ms).

Shared by the app and training-panel benchmarks; it imports Qt, so it is kept apart from the
engine benchmarks' helpers.
"""

from __future__ import annotations

INTERVAL_MS = 10


class LatencyProbe:
    def __init__(self) -> None:
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.lateness: list[float] = []
        self._clock = QElapsedTimer()
        self._last = 0.0
        self._timer = QTimer()
        self._timer.setTimerType(self._timer.timerType().PreciseTimer)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._clock.start()
        self._last = 0.0
        self._timer.start()

    def stop(self) -> list[float]:
        """Stop; the lateness of every tick but the first, which measures the start."""
        self._timer.stop()
        return self.lateness[1:]

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed() / 1e6
        self.lateness.append(max(0.0, now - self._last - INTERVAL_MS))
        self._last = now
