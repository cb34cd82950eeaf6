"""Errors in user code: tracebacks trimmed to the user's frames, editor line numbers."""

import sys
from textwrap import dedent

from workbench.session import RunState
from workbench.session.tracebacks import is_internal_file


def test_zero_division_uses_editor_line_numbers(session, run_code):
    code = "a = 1\nb = 0\ny = a/b\nprint('unreached')\n"
    result = run_code(code, source="<editor: untitled-1>", first_line=10)
    assert result.state is RunState.FAILED
    error = result.error
    assert (error.type_name, error.message) == ("ZeroDivisionError", "division by zero")
    assert error.line == 12
    assert error.source == "<editor: untitled-1>"
    assert error.traceback == dedent(
        """\
        Traceback (most recent call last):
          File "<editor: untitled-1>", line 12, in <module>
            y = a/b
                ~^~
        ZeroDivisionError: division by zero
        """
    )
    assert session.namespace["b"] == 0  # what ran before the error stays


def test_the_traceback_is_also_written_to_the_runs_stderr(session):
    run = session.run("print('before')\n1/0")
    assert run.wait(5)
    chunks = run.read_output()
    assert chunks[0] == ("stdout", "before\n")
    assert chunks[1] == ("stderr", run.result.error.traceback)
    assert run.result.output == "before\n" + run.result.error.traceback


def test_engine_frames_are_dropped(run_code):
    code = "import workbench.engine as torch\n\nz = torch.ones(2, 3) @ torch.ones(2, 3)\n"
    result = run_code(code, source="<editor: mm>")
    text = result.error.traceback
    assert result.error.type_name == "RuntimeError"
    assert result.error.line == 3
    assert "workbench" not in text.replace("workbench.engine as torch", "")
    assert text.count('  File "') == 1
    assert text.startswith('Traceback (most recent call last):\n  File "<editor: mm>", line 3')
    assert text.endswith("RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)\n")


def test_nested_user_functions_keep_all_user_frames(run_code):
    code = dedent(
        """\
        def inner(v):
            return v / 0

        def outer(v):
            return inner(v) + 1

        outer(3)
        """
    )
    result = run_code(code, source="<editor: nest>", first_line=20)
    text = result.error.traceback
    frames = [line.strip() for line in text.splitlines() if line.startswith('  File "')]
    assert frames == [
        'File "<editor: nest>", line 26, in <module>',
        'File "<editor: nest>", line 24, in outer',
        'File "<editor: nest>", line 21, in inner',
    ]
    assert "    return v / 0\n" in text
    assert result.error.line == 21  # the innermost user frame


def test_a_user_callback_called_by_the_engine_keeps_its_frame(run_code):
    code = dedent(
        """\
        import workbench.engine as torch
        x = torch.ones(2, requires_grad=True)
        def hook(grad):
            raise ValueError("bad grad")
        x.register_hook(hook)
        (x * 2).sum().backward()
        """
    )
    result = run_code(code, source="<editor: hook>")
    frames = [line.strip() for line in result.error.traceback.splitlines() if "File" in line]
    assert frames == [
        'File "<editor: hook>", line 6, in <module>',
        'File "<editor: hook>", line 4, in hook',
    ]
    assert result.error.line == 4


def test_a_user_module_from_disk_keeps_its_frames(session, run_code, tmp_path, monkeypatch):
    (tmp_path / "usermod_for_session_test.py").write_text("def boom():\n    raise KeyError('k')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        result = run_code("import usermod_for_session_test as m\nm.boom()", source="<editor: u>")
    finally:
        sys.modules.pop("usermod_for_session_test", None)
    text = result.error.traceback
    assert 'File "<editor: u>", line 2, in <module>' in text
    assert "usermod_for_session_test.py\", line 2, in boom\n    raise KeyError('k')\n" in text
    assert result.error.line == 2
    assert text.endswith("KeyError: 'k'\n")


def test_syntax_error_reports_its_editor_line(run_code):
    result = run_code("x = 1\ny = = 2\n", source="<editor: s>", first_line=7)
    assert result.state is RunState.FAILED
    assert result.error.type_name == "SyntaxError"
    assert result.error.line == 8
    assert result.error.traceback == dedent(
        """\
          File "<editor: s>", line 8
            y = = 2
                ^
        SyntaxError: invalid syntax
        """
    )


def test_indentation_error(run_code):
    result = run_code("if True:\nprint(1)\n", source="<editor: i>", first_line=3)
    assert result.error.type_name == "IndentationError"
    assert result.error.line == 4
    assert result.error.traceback.endswith(
        "IndentationError: expected an indented block after 'if' statement on line 3\n"
    )


def test_a_syntax_error_does_not_run_anything(session, run_code):
    run_code("ran = True\n)")
    assert "ran" not in session.namespace


def test_chained_exceptions_keep_their_chain(run_code):
    code = dedent(
        """\
        def parse(s):
            try:
                return int(s)
            except ValueError as e:
                raise RuntimeError("cannot parse") from e

        try:
            parse("x")
        except RuntimeError:
            {}["missing"]
        """
    )
    text = run_code(code, source="<editor: c>").error.traceback
    assert text.count("Traceback (most recent call last):") == 3
    assert "ValueError: invalid literal for int() with base 10: 'x'\n" in text
    assert "\nThe above exception was the direct cause of the following exception:\n" in text
    assert "\nDuring handling of the above exception, another exception occurred:\n" in text
    assert text.endswith("KeyError: 'missing'\n")
    assert "workbench" not in text


def test_user_exception_classes_print_like_python(run_code):
    result = run_code("class MyError(Exception):\n    pass\nraise MyError('custom')")
    assert result.error.type_name == "MyError"
    assert result.error.traceback.endswith("\nMyError: custom\n")


def test_system_exit_fails_the_run_but_not_the_session(session, run_code):
    result = run_code("import sys\nx = 1\nsys.exit(3)\n")
    assert result.state is RunState.FAILED
    assert result.error.type_name == "SystemExit"
    assert result.error.line == 3
    expected = "SystemExit: 3 — the script called exit(); the session keeps running\n"
    assert result.error.traceback == expected
    assert result.output == expected
    assert run_code("x += 1").state is RunState.FINISHED
    assert session.namespace["x"] == 2


def test_exit_without_a_code(run_code):
    result = run_code("raise SystemExit")
    assert result.error.type_name == "SystemExit"
    assert result.error.message == "the script called exit(); the session keeps running"


def test_recursion_error_is_reported_compactly(run_code):
    result = run_code("def f():\n    return f()\nf()", source="<editor: r>")
    assert result.error.type_name == "RecursionError"
    assert "more times]" in result.error.traceback  # "[Previous line repeated N more times]"
    assert len(result.error.traceback.splitlines()) < 20


def test_functions_from_an_earlier_run_show_their_source(run_code):
    run_code("def f():\n    return 1 / 0\n\nz = 0\n", source="<editor: b>")
    result = run_code("z = 1\n", source="<editor: b>", first_line=4)  # a selection
    assert result.state is RunState.FINISHED
    result = run_code("f()", source="<editor: b>", first_line=5)
    assert '  File "<editor: b>", line 2, in f\n    return 1 / 0\n' in result.error.traceback


def test_internal_files_are_the_workbench_package():
    import workbench.engine

    assert is_internal_file(sys.modules["workbench.engine.tensor"].__file__)
    assert is_internal_file(workbench.engine.__file__)
    assert not is_internal_file("<editor: x>")
    assert not is_internal_file(dedent.__code__.co_filename)
    assert not is_internal_file("")
