"""The Console panel: coloured streams, run headers, history, links from tracebacks."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextCursor

from workbench.ui.panels.console import (
    BUSY_PLACEHOLDER,
    IDLE_PLACEHOLDER,
    MAX_BLOCKS,
    ConsolePanel,
    location_anchor,
)
from workbench.ui.theme import DARK, LIGHT, theme_manager

TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "<editor: untitled-1>", line 14, in <module>\n'
    "    y = 1 / 0\n"
    "ZeroDivisionError: division by zero\n"
)


@pytest.fixture
def light(qapp):
    manager = theme_manager()
    previous = manager.mode
    manager.set_mode("light")
    yield LIGHT
    manager.set_mode(previous)


@pytest.fixture
def console(make_widget, light):
    widget = make_widget(ConsolePanel)
    widget.resize(700, 300)
    return widget


def fragments(console: ConsolePanel) -> list[tuple[str, str, str]]:
    """(text, foreground colour, anchor href) of every run of equally formatted text."""
    found = []
    block = console.output.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            fmt = fragment.charFormat()
            found.append((fragment.text(), fmt.foreground().color().name(), fmt.anchorHref()))
            it += 1
        block = block.next()
    return found


def colour_of(console: ConsolePanel, text: str) -> str:
    for fragment_text, colour, _href in fragments(console):
        if text in fragment_text:
            return colour
    raise AssertionError(f"{text!r} not in the console")


def test_streams_get_their_colours(console):
    console.append_output("stdout", "tensor([1., 2.])\n")
    console.append_output("stderr", "oops\n")
    console.append_output("info", "▶ Run 1\n")
    assert colour_of(console, "tensor") == LIGHT.text
    assert colour_of(console, "oops") == LIGHT.error
    assert colour_of(console, "▶ Run 1") == LIGHT.muted
    assert console.text() == "tensor([1., 2.])\noops\n▶ Run 1\n"


def test_partial_writes_join_on_one_line(console):
    console.append_output("stdout", "a = ")
    console.append_output("stdout", "1\n")
    assert console.text() == "a = 1\n"


def test_header_footer_and_echo_sit_on_lines_of_their_own(console):
    console.append_run_header("▶ Run 1 · untitled-1 · lines 1–2")
    console.append_output("stdout", "no newline at the end")
    console.append_run_footer("finished", "✓ finished in 0.12 s")
    console.append_run_header("▶ Run 2 · untitled-1 · lines 1–2")
    console.append_run_footer("error", "✗ ZeroDivisionError after 0.01 s")
    console.append_run_footer("stopped", "■ stopped after 1.00 s")
    console.echo_input("a.grad")
    assert console.text().splitlines() == [
        "▶ Run 1 · untitled-1 · lines 1–2",
        "no newline at the end",
        "✓ finished in 0.12 s",
        "",
        "▶ Run 2 · untitled-1 · lines 1–2",
        "✗ ZeroDivisionError after 0.01 s",
        "■ stopped after 1.00 s",
        ">>> a.grad",
    ]
    assert colour_of(console, "✓ finished") == LIGHT.success
    assert colour_of(console, "✗ ZeroDivisionError") == LIGHT.error
    assert colour_of(console, "■ stopped") == LIGHT.muted
    assert colour_of(console, ">>> a.grad") == LIGHT.muted


def test_submitted_and_empty_input_ignored(qtbot, console):
    got = []
    console.submitted.connect(got.append)
    qtbot.keyClicks(console.input, "a.grad")
    qtbot.keyClick(console.input, Qt.Key.Key_Return)
    qtbot.keyClicks(console.input, "   ")
    qtbot.keyClick(console.input, Qt.Key.Key_Return)
    assert got == ["a.grad"]
    assert console.input.text() == "   "  # nothing sent, nothing thrown away


def test_history_walks_with_up_and_down_and_restores_the_draft(qtbot, console):
    for line in ("a", "b", "b", "c"):
        qtbot.keyClicks(console.input, line)
        qtbot.keyClick(console.input, Qt.Key.Key_Return)
    assert console.history() == ["a", "b", "c"]  # no duplicates in a row

    qtbot.keyClicks(console.input, "dra")
    seen = []
    for key in (Qt.Key.Key_Up,) * 4 + (Qt.Key.Key_Down,) * 4:
        qtbot.keyClick(console.input, key)
        seen.append(console.input.text())
    assert seen == ["c", "b", "a", "a", "b", "c", "dra", "dra"]


def test_busy_shows_a_placeholder_and_keeps_the_input_enabled(console):
    assert console.input.placeholderText() == IDLE_PLACEHOLDER
    console.set_busy(True)
    assert console.input.placeholderText() == BUSY_PLACEHOLDER
    assert "running…" in BUSY_PLACEHOLDER
    assert console.input.isEnabled()
    console.set_busy(False)
    assert console.input.placeholderText() == IDLE_PLACEHOLDER


def test_output_is_capped(console):
    for chunk in range(300):
        console.append_output("stdout", "".join(f"line {chunk * 100 + i}\n" for i in range(100)))
    doc = console.output.document()
    assert doc.blockCount() <= MAX_BLOCKS + 1
    assert console.output.maximumBlockCount() == MAX_BLOCKS
    # The newest output is what survives.
    assert doc.lastBlock().previous().text() == "line 29999"


def test_keeps_to_the_bottom_only_when_it_was_there(console):
    console.show()
    bar = console.output.verticalScrollBar()
    console.append_output("stdout", "x\n" * 200)
    assert bar.value() == bar.maximum() > 0
    bar.setValue(0)  # the user scrolled up to read something
    console.append_output("stdout", "more\n" * 50)
    assert bar.value() == 0


def test_traceback_locations_are_links_that_emit_location_clicked(qtbot, console):
    console.append_output("stderr", TRACEBACK)
    links = [(text, colour, href) for text, colour, href in fragments(console) if href]
    assert links == [
        (
            'File "<editor: untitled-1>", line 14',
            LIGHT.accent,
            location_anchor("<editor: untitled-1>", 14),
        )
    ]
    with qtbot.waitSignal(console.location_clicked) as blocker:
        assert console.handle_anchor(links[0][2])
    assert blocker.args == ["<editor: untitled-1>", 14]
    assert console.handle_anchor("https://example.org") is False


def test_clicking_a_traceback_line_emits_location_clicked(qtbot, console):
    console.show()
    qtbot.waitExposed(console)
    console.append_output("stderr", TRACEBACK)
    doc = console.output.document()
    position = doc.find("untitled-1").position() - 2
    cursor = QTextCursor(doc)
    cursor.setPosition(position)
    point = console.output.cursorRect(cursor).center()
    with qtbot.waitSignal(console.location_clicked) as blocker:
        qtbot.mouseClick(console.output.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args == ["<editor: untitled-1>", 14]


def test_a_location_split_over_two_writes_is_still_a_link(console):
    console.append_output("stderr", '  File "<editor: my script.py>", li')
    console.append_output("stderr", "ne 3, in f\n")
    hrefs = [href for _text, _colour, href in fragments(console) if href]
    assert hrefs == [location_anchor("<editor: my script.py>", 3)]


def test_other_files_in_tracebacks_are_not_links(console):
    console.append_output("stderr", '  File "/usr/lib/python3.11/runpy.py", line 88, in _run\n')
    console.append_output("stdout", 'File "<editor: x>", line 1\n')  # printed by the user
    assert not any(href for _text, _colour, href in fragments(console))


def test_clear_button_empties_the_output(qtbot, console):
    console.append_output("stdout", "something\n")
    qtbot.mouseClick(console.clear_button, Qt.MouseButton.LeftButton)
    assert console.text() == ""


def test_theme_switch_recolours_existing_output(console, light):
    console.append_output("stdout", "out\n")
    console.append_output("stderr", TRACEBACK)
    theme_manager().set_mode("dark")
    assert colour_of(console, "out") == DARK.text
    assert colour_of(console, "ZeroDivisionError") == DARK.error
    assert colour_of(console, 'File "<editor') == DARK.accent
    console.append_output("info", "later\n")
    assert colour_of(console, "later") == DARK.muted
    assert QColor(colour_of(console, "later")) != QColor(LIGHT.muted)
