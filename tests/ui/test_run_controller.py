"""RunController: output drained on the GUI thread, floods cut to their tail, the GIL switch
interval shortened only while a run is active."""

from __future__ import annotations

import sys

from workbench.session import Session
from workbench.ui.run_controller import (
    MAX_CHARS_PER_TICK,
    RUN_SWITCH_INTERVAL,
    RunController,
    _tail,
)


def test_tail_keeps_the_newest_whole_lines_across_streams():
    chunks = [("stdout", "a1\na2\n"), ("stderr", "b1\nb2\n"), ("stdout", "c1\n")]
    assert _tail(chunks, 100) == chunks
    assert _tail(chunks, 7) == [("stderr", "b2\n"), ("stdout", "c1\n")]
    assert _tail(chunks, 3) == [("stdout", "c1\n")]


def test_a_flood_of_output_shows_its_tail_and_says_what_was_skipped(qtbot):
    session = Session()
    controller = RunController(session)
    received = []
    controller.output.connect(lambda stream, text: received.append((stream, text)))
    before = sys.getswitchinterval()
    lines = 20_000
    with qtbot.waitSignal(controller.finished, timeout=20_000) as done:
        controller.start(f"for i in range({lines}):\n    print('line', i, 'x' * 40)\n")
        assert sys.getswitchinterval() == min(before, RUN_SWITCH_INTERVAL)
    assert done.args[0].state.value == "finished"
    assert sys.getswitchinterval() == before
    shown = "".join(text for stream, text in received if stream == "stdout")
    assert shown.endswith(f"line {lines - 1} {'x' * 40}\n")
    total = sum(len(f"line {i} {'x' * 40}\n") for i in range(lines))
    assert len(shown) < total / 2  # the tails of a few ticks, not the whole megabyte
    assert all(len(text) <= MAX_CHARS_PER_TICK for _, text in received)
    notices = [text for stream, text in received if stream == "info"]
    assert notices and "characters of output skipped" in notices[0]
    controller.shutdown()
    assert session.closed and not controller.busy
