"""Output capture: per-run stdout/stderr routed by thread, stream behaviour, the output cap."""

import io
import sys
import threading
import warnings
from textwrap import dedent

import pytest

from workbench.session import RunState, Session, capture
from workbench.session.capture import OUTPUT_LIMIT, OutputBuffer

WAIT = 10.0


def test_stdout_and_stderr_are_separate_and_interleaved_in_order(session):
    run = session.run(
        dedent(
            """
            import sys
            print("one")
            print("two", file=sys.stderr)
            sys.stdout.write("three\\n")
            sys.stderr.write("four\\n")
            """
        )
    )
    assert run.wait(WAIT)
    assert run.read_output() == [
        ("stdout", "one\n"),
        ("stderr", "two\n"),
        ("stdout", "three\n"),
        ("stderr", "four\n"),
    ]
    assert run.result.output == "one\ntwo\nthree\nfour\n"


def test_read_output_coalesces_and_drains(session):
    run = session.run("for i in range(5):\n    print(i, end=' ')")
    assert run.wait(WAIT)
    assert run.read_output() == [("stdout", "0 1 2 3 4 ")]
    assert run.read_output() == []


def test_read_output_streams_while_the_run_is_going(session):
    gate, printed = threading.Event(), threading.Event()
    session.namespace.update(gate=gate, printed=printed)
    run = session.run("print('before', flush=True)\nprinted.set()\ngate.wait(30)\nprint('after')")
    assert printed.wait(WAIT)
    assert run.read_output() == [("stdout", "before\n")]
    gate.set()
    assert run.wait(WAIT)
    assert run.read_output() == [("stdout", "after\n")]
    assert run.result.output == "before\nafter\n"


def test_other_threads_keep_printing_to_the_original_stream(make_session):
    original, saved = io.StringIO(), sys.stdout
    sys.stdout = original
    try:
        session = make_session()
        gate, inside = threading.Event(), threading.Event()
        session.namespace.update(gate=gate, inside=inside)
        run = session.run("print('from the run')\ninside.set()\ngate.wait(30)")
        assert inside.wait(WAIT)
        print("from the main thread")
        helper = threading.Thread(target=print, args=("from a helper thread",))
        helper.start()
        helper.join(WAIT)
        gate.set()
        assert run.wait(WAIT)
        session.close()
        assert sys.stdout is original
    finally:
        sys.stdout = saved
    assert original.getvalue() == "from the main thread\nfrom a helper thread\n"
    assert run.result.output == "from the run\n"


def test_the_streams_behave_like_files_inside_a_run(session, run_code):
    result = run_code(
        dedent(
            """
            import io, sys
            print("flushed", flush=True)
            sys.stdout.flush()
            sys.stdout.writelines(["a", "b\\n"])
            written = sys.stderr.write("err")
            tty = sys.stdout.isatty(), sys.stderr.isatty()
            encoding = sys.stdout.encoding
            writable = sys.stdout.writable()
            try:
                sys.stdout.fileno()
            except io.UnsupportedOperation:
                fileno = "unsupported"
            """
        )
    )
    assert result.state is RunState.FINISHED, result.error
    ns = session.namespace
    assert ns["tty"] == (False, False)
    assert ns["fileno"] == "unsupported"
    assert ns["written"] == 3
    assert ns["writable"] is True
    assert isinstance(ns["encoding"], str) and ns["encoding"]
    assert result.output == "flushed\nab\nerr"


def test_writing_bytes_is_a_type_error_as_for_a_text_file(run_code):
    result = run_code("import sys\nsys.stdout.write(b'raw')")
    assert result.error.type_name == "TypeError"
    assert result.error.message == "write() argument must be str, not bytes"


def test_closing_sys_stdout_in_a_run_does_not_close_the_apps_stream(session, run_code):
    run_code("import sys\nsys.stdout.close()")
    assert not sys.stdout.closed
    assert run_code("print('still here')").output == "still here\n"


def _show_warnings_on_stderr():
    """pytest records warnings instead of printing them; put back Python's own display."""

    def show(message, category, filename, lineno, file=None, line=None):
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))

    warnings.showwarning = show


def test_warnings_go_to_the_runs_stderr(run_code):
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        _show_warnings_on_stderr()
        result = run_code(
            dedent(
                """\
                import workbench.engine as torch
                x = torch.ones(2, requires_grad=True)
                y = x * 2
                g = y.grad
                """
            ),
            source="<editor: w>",
        )
    assert result.state is RunState.FINISHED
    assert result.output.startswith("<editor: w>:4: UserWarning: The .grad attribute of a Tensor")
    assert result.output.endswith("\n  g = y.grad\n")  # the source line, from linecache


def test_a_warning_is_shown_again_by_the_next_run(session):
    outputs = []
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # once per location, as Python shows them
        _show_warnings_on_stderr()
        for _ in range(2):
            run = session.run("import warnings\nwarnings.warn('careful')")
            assert run.wait(WAIT)
            outputs.append(run.read_output())
    assert outputs[0] == outputs[1]
    assert outputs[0][0][0] == "stderr"
    assert "UserWarning: careful" in outputs[0][0][1]


def test_output_is_capped_keeping_the_tail(session):
    run = session.run("print('x' * 1_500_000)\nprint('the end')")
    assert run.wait(WAIT)
    output = run.result.output
    marker, tail = output.split("\n", 1)
    dropped = 1_500_000 + len("\nthe end\n") - OUTPUT_LIMIT
    assert marker == f"[... {dropped} characters of earlier output dropped ...]"
    assert len(tail) == OUTPUT_LIMIT
    assert tail.endswith("x\nthe end\n")
    # the live chunks are not capped
    chunks = run.read_output()
    assert sum(len(text) for _, text in chunks) == 1_500_000 + len("\nthe end\n")


def test_output_buffer_cap_with_many_small_chunks():
    buffer = OutputBuffer(limit=10)
    for i in range(100):
        buffer.write("stdout" if i % 2 else "stderr", str(i % 10))
    text = buffer.text()
    assert text == "[... 90 characters of earlier output dropped ...]\n0123456789"
    chunks = buffer.drain()
    assert len(chunks) == 100 and chunks[0] == ("stderr", "0")
    assert buffer.drain() == []


def test_output_buffer_without_overflow_has_no_marker():
    buffer = OutputBuffer(limit=10)
    buffer.write("stdout", "abc")
    buffer.write("stdout", "")
    assert buffer.text() == "abc"


def test_streams_are_installed_once_and_restored_with_the_last_session():
    stdout, stderr = sys.stdout, sys.stderr
    first, second = Session(), Session()
    try:
        hooked = sys.stdout
        assert isinstance(hooked, capture.RoutingStream)
        assert hooked.original is stdout
        first.close()
        assert sys.stdout is hooked  # the second session still needs it
    finally:
        first.close()
        second.close()
    assert sys.stdout is stdout and sys.stderr is stderr
    assert not capture.installed()


def test_a_stream_replaced_after_the_session_started_is_wrapped_again(session, run_code):
    replacement, saved = io.StringIO(), sys.stdout
    sys.stdout = replacement
    try:
        result = run_code("print('captured')")
        print("passes through")
        session.close()
        assert sys.stdout is replacement
    finally:
        sys.stdout = saved
    assert result.output == "captured\n"
    assert replacement.getvalue() == "passes through\n"


@pytest.mark.parametrize("attribute", ["isatty", "fileno"])
def test_other_threads_see_the_original_stream(session, attribute):
    class Original(io.StringIO):
        def isatty(self):
            return True

        def fileno(self):
            return 99

    wrapper = capture.RoutingStream(Original(), "stdout")
    assert getattr(wrapper, attribute)() in (True, 99)
