"""Garbage collection only on the GUI thread.

Python's cyclic collector runs on whichever thread happens to allocate when a threshold is
crossed: a user's run, a training worker, a backward recording. If the garbage it finds holds a
Qt object (a closed dialog's wrapper caught in a cycle), Qt deletes it from that thread and the
process can crash. So while the app runs, automatic collection is off and this timer on the GUI
thread does the same work the automatic collector would, generation by generation.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 100


class GuiGarbageCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        self.timer = QTimer(self)
        self.timer.setObjectName("gc")
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.check)

    def start(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        gc.collect()  # here, on the GUI thread, before other threads could do it
        if self._was_enabled:
            gc.enable()

    def check(self) -> None:
        """Collect the oldest generation whose count passed its threshold, as gc would."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return
