"""The GUI-thread garbage collector: automatic collection off while it runs, collections done
by its timer on the GUI thread, and the previous state back when it stops."""

from __future__ import annotations

import gc

from workbench.ui.gc_guard import GuiGarbageCollector


class Cycle:
    def __init__(self):
        self.me = self


def test_it_collects_on_its_timer_and_restores_automatic_collection(qtbot):
    gc.enable()
    try:
        guard = GuiGarbageCollector()
        guard.start()
        assert not gc.isenabled()
        threshold = gc.get_threshold()[0]
        for _ in range(threshold + 10):
            Cycle()
        assert gc.get_count()[0] > threshold  # nothing collected it behind our back
        qtbot.waitUntil(lambda: gc.get_count()[0] < threshold, timeout=2000)
        guard.stop()
        assert gc.isenabled() and not guard.timer.isActive()
    finally:
        gc.enable()
