"""Stopping runs: endless loops end within a second, and stop() never breaks the session."""

import random
import sys
import threading
import time
from textwrap import dedent

import pytest

from workbench.session import RunState, RunStopped

WAIT = 10.0

LOOPS = {
    "busy loop": "while True:\n    pass",
    "engine loop": dedent(
        """\
        import workbench.engine as torch
        while True:
            x = torch.randn(3) * 2
        """
    ),
    "catches Exception": dedent(
        """\
        while True:
            try:
                n = 1 / 1
            except Exception:
                pass
        """
    ),
    "swallows the first stop": dedent(
        """\
        try:
            while True:
                pass
        except BaseException:
            swallowed = True
        while True:
            pass
        """
    ),
}


def _start_loop(session, code, **kwargs):
    started = threading.Event()
    session.namespace["started"] = started
    run = session.run("started.set()\n" + code, **kwargs)
    assert started.wait(WAIT), "the loop never started"
    return run


@pytest.mark.parametrize("name", list(LOOPS))
def test_endless_loops_stop_within_a_second(session, name):
    run = _start_loop(session, LOOPS[name])
    t0 = time.perf_counter()
    stopped = session.stop()
    elapsed = time.perf_counter() - t0
    assert stopped
    assert elapsed < 1.0, f"{name}: stop took {elapsed:.3f} s"
    assert run.done
    assert run.state is RunState.STOPPED
    assert session.running is None


def test_a_stopped_run_reports_a_one_line_error(session):
    run = _start_loop(session, "i = 0\nwhile True:\n    i += 1", source="<editor: loop>")
    assert run.stop()
    error = run.result.error
    assert error.type_name == "RunStopped"
    assert error.message == "Run stopped by the user"
    assert error.traceback == "RunStopped: Run stopped by the user\n"
    assert error.line in (3, 4)  # the loop's lines (after the `started.set()` line)
    assert error.source == "<editor: loop>"
    assert run.result.output == "RunStopped: Run stopped by the user\n"
    assert run.read_output() == [("stderr", "RunStopped: Run stopped by the user\n")]


def test_the_session_stays_usable_after_a_stop(session, run_code):
    run = _start_loop(session, "i = 0\nwhile True:\n    i += 1")
    assert session.stop()
    i = session.namespace["i"]
    assert i > 0  # the loop's assignments stay
    result = run_code("i = i + 1000")
    assert result.state is RunState.FINISHED
    assert session.namespace["i"] == i + 1000
    assert run.state is RunState.STOPPED


def test_the_session_stays_usable_after_a_failure(session, run_code):
    run_code("a = 1\nraise ValueError('x')\na = 2")
    assert session.namespace["a"] == 1
    assert run_code("a += 1").state is RunState.FINISHED
    assert session.namespace["a"] == 2


def test_stop_without_a_run_is_a_no_op(session):
    assert session.stop() is True


def test_stop_right_after_starting_never_runs_into_trouble(session, run_code):
    run = session.run("while True:\n    pass")
    assert session.stop()
    assert run.state is RunState.STOPPED
    assert run_code("ok = 1").state is RunState.FINISHED


def test_a_stopped_run_exits_its_thread(session):
    run = _start_loop(session, "while True:\n    pass")
    assert run.stop()
    run.thread.join(WAIT)
    assert not run.thread.is_alive()


def test_a_blocking_call_is_interrupted_only_when_it_returns(session):
    # the documented limit: async exceptions are checked between bytecodes
    gate = threading.Event()
    session.namespace["gate"] = gate
    run = _start_loop(session, "gate.wait(30)\nafter = True")
    assert session.stop(timeout=0.3) is False
    assert session.running is run
    gate.set()
    assert run.wait(WAIT)
    assert run.state is RunState.STOPPED
    assert "after" not in session.namespace


def test_a_stop_during_an_import_waits_for_the_import(session, tmp_path, monkeypatch):
    # an exception inside an import can break a C extension for the whole process, so the
    # stop is held back until the import is over (here: a busy loop in the module's body)
    flag = tmp_path / "go"
    (tmp_path / "wb_slow_import.py").write_text(
        f"import os\nwhile not os.path.exists({str(flag)!r}):\n    pass\ncomplete = True\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "wb_slow_import", raising=False)
    importing = threading.Event()
    run = _start_loop(session, "import wb_slow_import\nwhile True:\n    pass")
    while "wb_slow_import" not in sys.modules and not run.done:
        importing.wait(0.005)
    assert session.stop(timeout=0.3) is False
    flag.touch()
    assert session.stop(timeout=WAIT)
    assert run.state is RunState.STOPPED
    assert sys.modules["wb_slow_import"].complete is True


def test_a_stop_swallowed_by_a_finalizer_is_sent_again_quietly(session):
    in_del = threading.Event()
    session.namespace["in_del"] = in_del
    code = dedent(
        """        class Slow:
            def __del__(self):
                in_del.set()
                while True:
                    pass
        x = Slow()
        del x
        after_del = True
        while True:
            pass
        """
    )
    run = session.run(code)
    assert in_del.wait(WAIT)
    t0 = time.perf_counter()
    assert session.stop()
    assert time.perf_counter() - t0 < 1.0
    assert run.state is RunState.STOPPED
    assert session.namespace["after_del"] is True  # the first stop ended only __del__
    assert "Exception ignored" not in run.result.output


def test_user_code_stopping_itself(session, run_code):
    session.namespace["session"] = session
    result = run_code("x = 1\nsession.stop()\nx = 2")
    assert result.state is RunState.STOPPED
    assert session.namespace["x"] == 1


def test_grad_mode_is_restored_when_a_stop_leaves_a_no_grad_block(session, run_code):
    run_code("import workbench.engine as torch")
    run = _start_loop(session, "with torch.no_grad():\n    while True:\n        pass")
    assert run.stop()
    assert run_code("mode = torch.is_grad_enabled()").state is RunState.FINISHED
    assert session.namespace["mode"] is True


@pytest.fixture
def fast_thread_switching():
    # the default 5 ms GIL switch interval lets every short run finish before the main thread
    # gets to call stop(); switching often puts stops at random points, near the end included
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(interval)


def test_stop_stress_every_run_ends_consistently(session, monkeypatch, fast_thread_switching):
    escaped = []
    monkeypatch.setattr(threading, "excepthook", escaped.append)
    rng = random.Random(0)
    pause = threading.Event()  # never set: its wait(timeout) is the delay
    session.namespace["count"] = 0
    runs = []
    for i in range(200):
        n = rng.randrange(0, 60_000)
        run = session.run(f"for _ in range({n}):\n    pass\ncount += 1", source=f"<stress {i}>")
        pause.wait(rng.uniform(0, 0.002))
        assert session.stop(timeout=WAIT), f"run {run.id} did not stop"
        assert run.wait(WAIT)
        runs.append(run)
    states = [run.state for run in runs]
    assert set(states) <= {RunState.FINISHED, RunState.STOPPED}
    assert RunState.FINISHED in states and RunState.STOPPED in states
    for run in runs:
        result = run.result
        assert result.state is run.state
        if result.state is RunState.FINISHED:
            assert result.error is None
        else:
            assert result.error.type_name == "RunStopped"
    assert len(session.history) == 200
    assert [r.run_id for r in session.history] == list(range(1, 201))
    assert session.running is None
    assert not escaped, f"an exception escaped a worker: {escaped[0]}"
    # every finished run counted; a stop landing as the code returned may still say STOPPED
    assert states.count(RunState.FINISHED) <= session.namespace["count"] <= 200
    run = session.run("count = 'usable'")
    assert run.wait(WAIT) and run.state is RunState.FINISHED
    assert session.namespace["count"] == "usable"


def test_run_stopped_is_a_keyboard_interrupt():
    assert issubclass(RunStopped, KeyboardInterrupt)
    assert not issubclass(RunStopped, Exception)
