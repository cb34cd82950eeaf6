"""State that lasts from run to run like a notebook kernel's: grad mode; reset_namespace."""

import threading

import pytest

import workbench.engine as torch
from workbench.session import RunState, SessionBusyError

WAIT = 10.0


def test_grad_mode_set_at_top_level_persists_to_the_next_run(session, run_code):
    run_code("import workbench.engine as torch\ntorch.set_grad_enabled(False)")
    result = run_code(
        "x = torch.ones(2, requires_grad=True)\n"
        "flag = (x * 2).requires_grad\n"
        "mode = torch.is_grad_enabled()"
    )
    assert result.state is RunState.FINISHED
    assert session.namespace["mode"] is False
    assert session.namespace["flag"] is False
    assert torch.is_grad_enabled()  # the test's own thread is untouched
    run_code("torch.set_grad_enabled(True)")
    run_code("mode = torch.is_grad_enabled()")
    assert session.namespace["mode"] is True


def test_runs_start_with_grad_enabled_whatever_the_calling_thread_does(session, run_code):
    with torch.no_grad():
        run_code("import workbench.engine as torch\nmode = torch.is_grad_enabled()")
    assert session.namespace["mode"] is True


def test_each_session_has_its_own_grad_mode(make_session):
    first, second = make_session(), make_session()
    for session, enabled in ((first, False), (second, True)):
        code = f"import workbench.engine as torch\ntorch.set_grad_enabled({enabled})"
        assert session.run(code).wait(WAIT)
    for session, enabled in ((first, False), (second, True)):
        assert session.run("mode = torch.is_grad_enabled()").wait(WAIT)
        assert session.namespace["mode"] is enabled


def test_reset_namespace_starts_over(session, run_code):
    namespace = session.namespace
    run_code("import workbench.engine as torch\nx = 1\ntorch.set_grad_enabled(False)")
    session.reset_namespace()
    assert session.namespace is namespace  # the same dict: views holding it stay valid
    assert set(namespace) == {"__name__", "__builtins__"}
    assert namespace["__name__"] == "__main__"
    result = run_code("import workbench.engine as torch\nmode = torch.is_grad_enabled()\nx")
    assert result.error.type_name == "NameError"
    assert namespace["mode"] is True
    assert len(session.history) == 2  # history is not the namespace


def test_reset_namespace_is_refused_while_running(session):
    gate = threading.Event()
    session.namespace["gate"] = gate
    run = session.run("gate.wait(30)")
    try:
        with pytest.raises(SessionBusyError):
            session.reset_namespace()
    finally:
        gate.set()
    assert run.wait(WAIT)
    assert "gate" in session.namespace
    session.reset_namespace()
    assert "gate" not in session.namespace
