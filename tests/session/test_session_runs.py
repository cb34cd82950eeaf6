"""Running code: the persistent namespace, worker threads, run bookkeeping, history, on_done."""

import io
import sys
import threading
import time
from textwrap import dedent

import pytest

from workbench.session import RunResult, RunState, SessionBusyError
from workbench.session import session as session_module

WAIT = 10.0


def test_names_persist_across_runs(session, run_code):
    assert run_code("a = 21").state is RunState.FINISHED
    assert run_code("def double(v):\n    return 2 * v").state is RunState.FINISHED
    assert run_code("b = double(a)").state is RunState.FINISHED
    assert session.namespace["b"] == 42
    assert session.namespace["__name__"] == "__main__"


def test_engine_import_and_tensor_computation(session, run_code):
    result = run_code(
        dedent(
            """
            import workbench.engine as torch
            x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
            loss = (x * x).sum()
            loss.backward()
            print(loss.item())
            """
        )
    )
    assert result.state is RunState.FINISHED, result.error
    assert result.error is None
    assert result.output == "30.0\n"
    assert session.namespace["x"].grad.tolist() == [[2.0, 4.0], [6.0, 8.0]]


def test_user_code_does_not_inherit_the_runners_future_imports(session, run_code):
    # runner.py uses `from __future__ import annotations`; user code must not
    run_code("def f(v: int) -> int:\n    return v\nann = f.__annotations__")
    assert session.namespace["ann"] == {"v": int, "return": int}


def test_runs_get_increasing_ids_from_one(session, run_code):
    ids = [run_code("pass").run_id for _ in range(3)]
    assert ids == [1, 2, 3]
    assert [r.run_id for r in session.history] == [1, 2, 3]


def test_code_runs_on_a_named_daemon_worker_thread(session, run_code):
    run_code("import threading\nme = threading.current_thread()")
    worker = session.namespace["me"]
    assert worker is not threading.main_thread()
    assert worker.name == "workbench-run-1"
    assert worker.daemon


def test_worker_thread_exits_after_the_run(session):
    run = session.run("x = 1")
    assert run.wait(WAIT)
    run.thread.join(WAIT)
    assert not run.thread.is_alive()


def test_a_second_run_while_one_is_active_is_refused(session):
    gate = threading.Event()
    session.namespace["gate"] = gate
    run = session.run("gate.wait(30)")
    try:
        assert session.running is run
        with pytest.raises(SessionBusyError) as info:
            session.run("x = 1")
        assert str(info.value) == "a run is already in progress; stop it first (Run → Stop)"
        assert isinstance(info.value, RuntimeError)
    finally:
        gate.set()
    assert run.wait(WAIT)
    assert session.running is None
    assert "x" not in session.namespace
    assert [r.run_id for r in session.history] == [1]


def test_run_state_while_running_and_after(session):
    gate = threading.Event()
    session.namespace["gate"] = gate
    run = session.run("gate.wait(30)\nvalue = 5")
    assert run.state is RunState.RUNNING
    assert not run.done
    assert run.result is None
    assert run.wait(0.05) is False
    gate.set()
    assert run.wait(WAIT)
    assert run.done
    assert run.state is RunState.FINISHED
    assert run.result is session.history[-1]


def test_result_records_the_run(session):
    before = time.time()
    run = session.run("for i in range(1000): pass", source="<editor: a>", mode="console")
    assert run.wait(WAIT)
    result = run.result
    assert isinstance(result, RunResult)
    assert (result.run_id, result.source, result.mode) == (1, "<editor: a>", "console")
    assert result.code == "for i in range(1000): pass"
    assert before - 1 <= result.started <= time.time()
    assert 0 < result.duration < WAIT
    assert (run.id, run.source, run.code, run.mode) == (1, "<editor: a>", result.code, "console")


def test_on_done_gets_the_result_on_the_worker_thread(session):
    called = threading.Event()
    seen = {}

    def on_done(result):
        seen["result"] = result
        seen["thread"] = threading.current_thread().name
        called.set()

    run = session.run("y = 3", on_done=on_done)
    assert called.wait(WAIT)
    assert seen["result"] is run.result
    assert seen["result"].state is RunState.FINISHED
    assert seen["thread"] == "workbench-run-1"


def test_on_done_may_start_the_next_run(session):
    chained = []
    called = threading.Event()

    def on_done(result):
        chained.append(session.run("z = 2", on_done=lambda r: called.set()))

    session.run("z = 1", on_done=on_done)
    assert called.wait(WAIT)
    assert session.namespace["z"] == 2
    assert [r.run_id for r in session.history] == [1, 2]


def test_a_failing_on_done_is_logged_and_harmless(session, run_code, monkeypatch):
    log = io.StringIO()
    monkeypatch.setattr(sys, "__stderr__", log)
    called = threading.Event()

    def on_done(result):
        called.set()
        raise ValueError("broken callback")

    run = session.run("x = 1", on_done=on_done)
    assert run.wait(WAIT)
    run.thread.join(WAIT)
    assert called.is_set()
    assert "ValueError: broken callback" in log.getvalue()
    assert run.result.state is RunState.FINISHED
    assert run_code("x += 1").state is RunState.FINISHED
    assert session.namespace["x"] == 2


def test_history_keeps_the_last_thousand_results(session, run_code):
    assert session_module.HISTORY_LIMIT == 1000
    for _ in range(1003):
        session.run("pass").wait(WAIT)
    assert len(session.history) == 1000
    assert session.history[0].run_id == 4
    assert session.history[-1].run_id == 1003


def test_bad_arguments_are_refused(session):
    with pytest.raises(ValueError, match="mode"):
        session.run("x = 1", mode="eval")
    with pytest.raises(ValueError, match="first_line"):
        session.run("x = 1", first_line=0)
    assert session.running is None


def test_close_is_idempotent_and_refuses_new_runs(session):
    session.close()
    session.close()
    assert session.closed
    with pytest.raises(RuntimeError, match="closed"):
        session.run("x = 1")


def test_close_stops_and_joins_a_running_loop(session):
    started = threading.Event()
    session.namespace["started"] = started
    run = session.run("started.set()\nwhile True:\n    pass")
    assert started.wait(WAIT)
    session.close()
    assert run.state is RunState.STOPPED
    assert not run.thread.is_alive()


def test_context_manager_closes(make_session):
    stdout = sys.stdout
    with make_session() as session:
        assert sys.stdout is not stdout
        session.run("x = 1").wait(WAIT)
    assert session.closed
    assert sys.stdout is stdout
