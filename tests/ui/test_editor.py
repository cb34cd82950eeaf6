"""The code editor, its highlighter and the Editor panel."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QKeySequence, QTextCursor
from PySide6.QtWidgets import QMainWindow

from workbench.ui.panels.code_editor import CodeEditor
from workbench.ui.panels.editor import EMPTY_HINT, EditorPanel
from workbench.ui.theme import DARK, LIGHT, theme_manager


@pytest.fixture
def light(qapp):
    manager = theme_manager()
    previous = manager.mode
    manager.set_mode("light")
    yield LIGHT
    manager.set_mode(previous)


@pytest.fixture
def editor(make_widget, light):
    return make_widget(CodeEditor, "untitled-1")


@pytest.fixture
def panel(make_widget, light):
    return make_widget(EditorPanel)


def kinds_at(editor: CodeEditor, line: int, column: int) -> set[str]:
    """The token kinds whose format the highlighter put on (line, column), both 0-based."""
    block = editor.document().findBlockByNumber(line)
    known = editor.highlighter.formats()
    found = set()
    for fmt_range in block.layout().formats():
        if fmt_range.start <= column < fmt_range.start + fmt_range.length:
            for kind, fmt in known.items():
                if fmt_range.format == fmt:
                    found.add(kind)
    return found


def move_to(editor: CodeEditor, line: int, column: int = 0) -> None:
    cursor = QTextCursor(editor.document().findBlockByNumber(line))
    cursor.movePosition(QTextCursor.MoveOperation.Right, n=column)
    editor.setTextCursor(cursor)


def select_lines(editor: CodeEditor, start: tuple[int, int], end: tuple[int, int]) -> None:
    doc = editor.document()
    cursor = editor.textCursor()
    cursor.setPosition(doc.findBlockByNumber(start[0]).position() + start[1])
    cursor.setPosition(
        doc.findBlockByNumber(end[0]).position() + end[1], QTextCursor.MoveMode.KeepAnchor
    )
    editor.setTextCursor(cursor)


# -- highlighting ---------------------------------------------------------------------------------


def test_keywords_strings_comments_numbers_get_their_formats(editor):
    editor.setPlainText('def f(x):  # add "one"\n    return x + 1_000 if True else 0x1F\n')
    assert kinds_at(editor, 0, 0) == {"keyword"}  # def
    assert kinds_at(editor, 0, 4) == {"definition"}  # f
    assert kinds_at(editor, 0, 11) == {"comment"}  # the # itself
    assert kinds_at(editor, 0, 19) == {"comment"}  # "one" inside the comment is not a string
    assert kinds_at(editor, 1, 4) == {"keyword"}  # return
    assert kinds_at(editor, 1, 11) == set()  # x
    assert kinds_at(editor, 1, 15) == {"number"}  # 1_000
    assert kinds_at(editor, 1, 21) == {"keyword"}  # if
    line = editor.document().findBlockByNumber(1).text()
    assert kinds_at(editor, 1, line.index("0x1F") + 3) == {"number"}


def test_strings_with_prefixes_and_comment_characters(editor):
    editor.setPlainText("s = f'{a}#no' + rb\"raw\" + '1e-3'\nn = 1e-3  # x\n")
    text = editor.document().findBlockByNumber(0).text()
    assert kinds_at(editor, 0, text.index("f'")) == {"string"}  # the prefix belongs to it
    assert kinds_at(editor, 0, text.index("#no")) == {"string"}
    assert kinds_at(editor, 0, text.index("rb")) == {"string"}
    assert kinds_at(editor, 0, text.index("+")) == set()
    assert kinds_at(editor, 1, 4) == kinds_at(editor, 1, 7) == {"number"}  # 1e-3 whole


def test_triple_quoted_string_spans_lines(editor):
    editor.setPlainText('x = """first\nif while\nend""" + len(y)\nimport os\n')
    assert kinds_at(editor, 0, 6) == {"string"}
    assert kinds_at(editor, 1, 0) == {"string"}  # `if` inside the string is not a keyword
    assert kinds_at(editor, 2, 0) == {"string"}
    assert kinds_at(editor, 2, 9) == {"builtin"}  # len, after the string closed
    assert kinds_at(editor, 3, 0) == {"keyword"}
    # Closing the string by editing re-highlights the following lines.
    cursor = QTextCursor(editor.document().findBlockByNumber(0))
    cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
    cursor.insertText('"""')
    assert kinds_at(editor, 1, 0) == {"keyword"}


def test_decorators_self_and_methods_named_like_builtins(editor):
    editor.setPlainText("@torch.no_grad()\ndef step(self):\n    return self.sum()\n")
    assert kinds_at(editor, 0, 0) == kinds_at(editor, 0, 6) == {"decorator", "self"}
    assert "self" in kinds_at(editor, 1, 9)
    assert kinds_at(editor, 2, 16) == set()  # .sum is a method, not the builtin


def test_highlighter_follows_the_theme(editor, light):
    editor.setPlainText("import os\n")

    def first_colour():
        ranges = editor.document().firstBlock().layout().formats()
        return ranges[0].format.foreground().color()

    assert first_colour() == QColor(LIGHT.code["keyword"])
    theme_manager().set_mode("dark")
    assert first_colour() == QColor(DARK.code["keyword"])


# -- editing keys ---------------------------------------------------------------------------------


def test_tab_inserts_spaces_to_the_next_indent_stop(qtbot, editor):
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "    "
    editor.setPlainText("ab")
    move_to(editor, 0, 2)
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "ab  "


def test_tab_and_shift_tab_indent_and_dedent_selected_lines(qtbot, editor):
    editor.setPlainText("a = 1\n\nb = 2\nc = 3")
    select_lines(editor, (0, 2), (2, 1))
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "    a = 1\n\n    b = 2\nc = 3"  # blank lines stay blank
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "        a = 1\n\n        b = 2\nc = 3"
    qtbot.keyClick(editor, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert editor.toPlainText() == "    a = 1\n\n    b = 2\nc = 3"
    # Shift+Tab without a selection dedents the current line, never past column 0.
    editor.setPlainText("  x")
    qtbot.keyClick(editor, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(editor, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert editor.toPlainText() == "x"


def test_enter_keeps_indentation_and_indents_after_a_colon(qtbot, editor):
    qtbot.keyClicks(editor, "for i in range(3):")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "x = i")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "if x:  # odd?")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "break")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "y = 2")
    assert editor.toPlainText() == (
        "for i in range(3):\n    x = i\n    if x:  # odd?\n        break\n    y = 2"
    )


def test_backspace_in_leading_whitespace_removes_one_level(qtbot, editor):
    editor.setPlainText("        x")
    move_to(editor, 0, 8)
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    assert editor.toPlainText() == "    x"
    editor.setPlainText("      x")  # 6 spaces: back to the level at 4
    move_to(editor, 0, 6)
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    assert editor.toPlainText() == "    x"
    move_to(editor, 0, 5)  # after code: an ordinary backspace
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    assert editor.toPlainText() == "    "


def test_no_line_wrap_and_code_font(editor):
    assert editor.lineWrapMode() == CodeEditor.LineWrapMode.NoWrap
    assert editor.font().fixedPitch()


# -- gutter, bands, error marker ------------------------------------------------------------------


def test_gutter_grows_with_the_line_count(editor):
    editor.setPlainText("x\n" * 10)
    narrow = editor.gutter_width()
    editor.setPlainText("x\n" * 1_000)
    wide = editor.gutter_width()
    assert wide > narrow
    assert editor.viewportMargins().left() == wide


def _band_colours(editor: CodeEditor) -> list[str]:
    return [sel.format.background().color().name() for sel in editor.extraSelections()]


def test_current_line_band(editor, light):
    editor.setPlainText("a\nb\nc")
    move_to(editor, 1)
    bands = editor.extraSelections()
    assert [b.format.background().color().name() for b in bands] == [LIGHT.current_line]
    assert bands[0].cursor.blockNumber() == 1


def test_error_line_marks_and_clears_when_that_line_is_edited(qtbot, editor, light):
    editor.setPlainText("a = 1\nb = 1 / 0\nc = 3\n")
    editor.set_error_line(2)
    assert editor.error_line() == 2
    assert LIGHT.error_line in _band_colours(editor)

    # Typing on another line keeps the marker; a new line above moves it down with its text.
    move_to(editor, 0, 5)
    qtbot.keyClicks(editor, "0")
    assert editor.error_line() == 2
    move_to(editor, 0, 0)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert editor.error_line() == 3
    # Highlighting reformats lines without changing them: the marker stays.
    editor.highlighter.rehighlight()
    assert editor.error_line() == 3

    move_to(editor, 2, 5)
    qtbot.keyClicks(editor, " ")
    assert editor.error_line() is None
    assert LIGHT.error_line not in _band_colours(editor)


def test_set_error_line_none_and_out_of_range_clear(editor):
    editor.setPlainText("a\nb\n")
    editor.set_error_line(1)
    editor.set_error_line(None)
    assert editor.error_line() is None
    editor.set_error_line(99)
    assert editor.error_line() is None


# -- what to run ----------------------------------------------------------------------------------


def test_selected_code_expands_to_whole_lines_and_dedents(editor):
    editor.setPlainText("def f():\n    x = 1\n    y = 2\n    return x\n")
    select_lines(editor, (1, 6), (2, 3))  # from inside line 2 to inside line 3
    assert editor.selected_code() == ("x = 1\ny = 2", 2)
    # A selection ending at the start of a line does not take that line.
    select_lines(editor, (1, 0), (3, 0))
    assert editor.selected_code() == ("x = 1\ny = 2", 2)
    # Mixed indents are kept as they are.
    select_lines(editor, (0, 0), (1, 2))
    assert editor.selected_code() == ("def f():\n    x = 1", 1)


def test_selected_code_without_selection_is_the_current_line(editor):
    editor.setPlainText("a = 1\n    b = a + 1\n")
    move_to(editor, 1, 3)
    assert editor.selected_code() == ("b = a + 1", 2)


def test_run_all_and_run_selection_emit_code_source_and_first_line(qtbot, panel):
    editor = panel.new_tab(text="a = 1\nb = 2\nc = 3")
    assert editor.source_name == "<editor: untitled-1>"
    with qtbot.waitSignal(panel.run_requested) as blocker:
        panel.run_all()
    assert blocker.args == ["a = 1\nb = 2\nc = 3", "<editor: untitled-1>", 1]
    select_lines(editor, (1, 0), (2, 2))
    with qtbot.waitSignal(panel.run_requested) as blocker:
        panel.run_selection()
    assert blocker.args == ["b = 2\nc = 3", "<editor: untitled-1>", 2]


def test_window_shortcuts_reach_the_window_actions_not_the_text(qtbot, make_widget, light):
    window = make_widget(QMainWindow)
    panel = EditorPanel()
    window.setCentralWidget(panel)
    triggered = []
    for name, keys in (("run", "Ctrl+Return"), ("line", "Shift+Return"), ("stop", "Ctrl+.")):
        action = QAction(name, window, shortcut=QKeySequence(keys))
        action.triggered.connect(lambda _=False, n=name: triggered.append(n))
        window.addAction(action)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    editor = panel.new_tab(text="x = 1")
    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus)

    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(editor, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier)
    assert triggered == ["run", "line", "stop"]
    assert editor.toPlainText() == "x = 1"
    # A bare editor (no actions) types no line break for those keys either.
    bare = make_widget(CodeEditor)
    qtbot.keyClick(bare, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert bare.toPlainText() == ""


# -- tabs, files ----------------------------------------------------------------------------------


def test_empty_state_hint_and_untitled_names(panel):
    assert panel.current_editor() is None
    assert panel.empty_hint.isVisibleTo(panel) and panel.empty_hint.text() == EMPTY_HINT
    first, second = panel.new_tab(), panel.new_tab()
    assert (first.name, second.name) == ("untitled-1", "untitled-2")
    assert panel.editors() == [first, second] and panel.current_editor() is second
    assert not panel.empty_hint.isVisibleTo(panel)
    assert panel.toolbar.actions() == []  # the window fills it


def test_tab_title_shows_modified_and_panel_reports_it(qtbot, panel):
    editor = panel.new_tab(text="x = 1")
    assert panel.tabs.tabText(0) == "untitled-1"
    with qtbot.waitSignal(panel.modified_changed) as blocker:
        qtbot.keyClicks(editor, "y")
    assert blocker.args == [True]
    assert panel.tabs.tabText(0) == "untitled-1 •"


def test_save_is_atomic_and_clears_modified(qtbot, panel, tmp_path):
    editor = panel.new_tab(text="print('hi')\n")
    qtbot.keyClicks(editor, "# ")
    target = tmp_path / "script.py"
    assert panel.save(editor, target) == str(target)
    assert target.read_text(encoding="utf-8") == "# print('hi')\n"
    assert sorted(os.listdir(tmp_path)) == ["script.py"]  # no temporary file left
    assert (editor.name, editor.path) == ("script.py", str(target))
    assert not editor.document().isModified()
    assert panel.tabs.tabText(0) == "script.py"
    assert editor.source_name == "<editor: script.py>"

    # Saving again goes to its own path and keeps the file's permissions.
    os.chmod(target, 0o640)
    editor.setPlainText("x = 'é'\n")
    panel.save()
    assert target.read_text(encoding="utf-8") == "x = 'é'\n"
    assert target.stat().st_mode & 0o777 == 0o640


def test_failed_save_leaves_the_old_file_and_no_temporary(panel, tmp_path, monkeypatch):
    target = tmp_path / "keep.py"
    target.write_text("old\n", encoding="utf-8")
    editor = panel.open_file(target)
    editor.selectAll()
    editor.insertPlainText("new\n")  # an edit (setPlainText would count as unmodified)

    def refuse(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        panel.save(editor)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert os.listdir(tmp_path) == ["keep.py"]
    assert editor.document().isModified()


def test_save_without_a_path_asks_for_one(panel):
    panel.new_tab()
    with pytest.raises(ValueError, match="untitled-1 has no file"):
        panel.save()


def test_open_file_reads_utf8_and_switches_to_an_open_file(panel, tmp_path):
    path = tmp_path / "sin.py"
    path.write_text("a = 'π'\n", encoding="utf-8")
    editor = panel.open_file(path)
    assert (editor.name, editor.path, editor.toPlainText()) == ("sin.py", str(path), "a = 'π'\n")
    assert not editor.document().isModified()
    panel.new_tab()
    assert panel.open_file(str(path)) is editor
    assert panel.current_editor() is editor and len(panel.editors()) == 2
    # Another file with the same name gets a distinct tab name (tracebacks tell tabs by name).
    other = tmp_path / "sub"
    other.mkdir()
    (other / "sin.py").write_text("", encoding="utf-8")
    assert panel.open_file(other / "sin.py").name == "sin.py (2)"


def test_open_file_errors_name_the_file(panel, tmp_path):
    missing = tmp_path / "nowhere.py"
    with pytest.raises(OSError, match="nowhere.py"):
        panel.open_file(missing)
    binary = tmp_path / "latin1.py"
    binary.write_bytes(b"x = '\xe9'\n")
    with pytest.raises(UnicodeDecodeError, match="latin1.py"):
        panel.open_file(binary)
    assert panel.editors() == []


@pytest.mark.parametrize("choice", ["save", "discard", "cancel"])
def test_close_tab_asks_about_unsaved_changes(qtbot, panel, tmp_path, monkeypatch, choice):
    path = tmp_path / "work.py"
    path.write_text("old\n", encoding="utf-8")
    editor = panel.open_file(path)
    qtbot.keyClicks(editor, "new ")
    asked = []
    monkeypatch.setattr(panel, "_confirm_discard", lambda e: asked.append(e) or choice)

    closed = panel.close_tab(0)

    assert asked == [editor]
    assert closed is (choice != "cancel")
    assert panel.editors() == ([editor] if choice == "cancel" else [])
    expected = "new old\n" if choice == "save" else "old\n"
    assert path.read_text(encoding="utf-8") == expected


def test_close_unsaved_untitled_tab_saves_through_the_path_dialog(
    qtbot, panel, tmp_path, monkeypatch
):
    editor = panel.new_tab()
    qtbot.keyClicks(editor, "z = 1")
    target = tmp_path / "z.py"
    monkeypatch.setattr(panel, "_confirm_discard", lambda e: "save")
    monkeypatch.setattr(panel, "_ask_save_path", lambda e: str(target))
    assert panel.close_tab(0)
    assert target.read_text(encoding="utf-8") == "z = 1"
    assert panel.empty_hint.isVisibleTo(panel)


def test_unmodified_tab_closes_without_asking(panel, monkeypatch):
    panel.new_tab(text="x")
    monkeypatch.setattr(panel, "_confirm_discard", lambda e: pytest.fail("asked"))
    assert panel.close_all()
    assert panel.editors() == []


def test_show_error_switches_tab_marks_and_clears(panel):
    first = panel.new_tab(text="a = 1\nb = 1 / 0\n")
    second = panel.new_tab(text="c = 2\n")
    assert panel.current_editor() is second
    assert panel.show_error(first.source_name, 2)
    assert panel.current_editor() is first and first.error_line() == 2
    assert first.textCursor().blockNumber() == 1
    assert panel.show_error("<editor: nowhere>", 1) is False
    panel.clear_error_markers()
    assert first.error_line() is None


def test_current_changed_reports_the_editor(qtbot, panel):
    with qtbot.waitSignal(panel.current_changed) as blocker:
        editor = panel.new_tab()
    assert blocker.args == [editor]
    with qtbot.waitSignal(panel.current_changed) as blocker:
        panel.close_tab(0)
    assert blocker.args == [None]
