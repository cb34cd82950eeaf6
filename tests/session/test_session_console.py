"""Console mode: the value of a final expression is echoed with repr() and kept in `_`."""

from textwrap import dedent

from workbench.session import RunState


def test_final_expression_is_echoed_like_pytorch(session, run_code):
    run_code("import workbench.engine as torch\nx = torch.arange(6.0).reshape(2, 3)")
    result = run_code("x * 2", mode="console")
    value = session.namespace["_"]
    assert result.state is RunState.FINISHED
    assert result.output == repr(value) + "\n"
    assert result.output.startswith("tensor([[ 0.,  2.,  4.],")
    assert value.tolist() == [[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]]


def test_statements_before_the_expression_run_first(session, run_code):
    result = run_code("a = 4\nprint('side effect')\na + 1", mode="console")
    assert result.output == "side effect\n5\n"
    assert session.namespace["a"] == 4
    assert session.namespace["_"] == 5


def test_none_is_not_echoed_and_keeps_the_previous_underscore(session, run_code):
    run_code("7", mode="console")
    result = run_code("print('hi')", mode="console")  # print(...) evaluates to None
    assert result.output == "hi\n"
    assert session.namespace["_"] == 7


def test_exec_mode_echoes_nothing(session, run_code):
    result = run_code("1 + 1", mode="exec")
    assert result.output == ""
    assert "_" not in session.namespace


def test_a_final_statement_that_is_not_an_expression_is_not_echoed(session, run_code):
    result = run_code("y = 3", mode="console")
    assert result.output == ""
    assert session.namespace["y"] == 3


def test_trailing_semicolon_silences_the_echo(session, run_code):
    result = run_code("v = 2\nv * 10;  # quiet", mode="console")
    assert result.output == ""
    assert result.state is RunState.FINISHED


def test_console_errors_use_editor_line_numbers(run_code):
    result = run_code("a = 1\nb = 0\na / b", mode="console", source="<console>", first_line=5)
    assert result.state is RunState.FAILED
    assert result.error.line == 7
    assert result.error.traceback == dedent(
        """\
        Traceback (most recent call last):
          File "<console>", line 7, in <module>
            a / b
            ~~^~~
        ZeroDivisionError: division by zero
        """
    )


def test_console_syntax_error_shows_no_parser_frames(run_code):
    result = run_code("x = [1,\n", mode="console", source="<console>")
    assert result.error.type_name == "SyntaxError"
    assert result.error.line == 1
    assert not result.error.traceback.startswith("Traceback")
    assert "ast.py" not in result.error.traceback
    assert result.error.traceback.endswith("SyntaxError: '[' was never closed\n")


def test_repr_errors_fail_the_run(session, run_code):
    run_code("class Bad:\n    def __repr__(self):\n        raise ValueError('no repr')")
    result = run_code("Bad()", mode="console")
    assert result.state is RunState.FAILED
    assert result.error.type_name == "ValueError"
    assert "_" not in session.namespace
