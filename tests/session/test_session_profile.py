"""Session.run(profile=True): the user's code runs under the engine's profiler on the worker."""

import threading
from textwrap import dedent

from workbench.session import RunState

WAIT = 10.0

LOOP = dedent(
    """
    import workbench.engine as torch
    x = torch.randn(2, 3, requires_grad=True)
    y = torch.randn(2, 3, requires_grad=True)
    z = torch.ones(2, 3, requires_grad=True)
    for _ in range(10):
        z = (z / x) * y
    z.sum().backward()
    """
)


def run(session, code, **kwargs):
    r = session.run(code, **kwargs)
    assert r.wait(WAIT), "the run did not finish"
    return r.result


def test_a_profiled_run_records_the_users_ops_with_shapes(session):
    result = run(session, LOOP, profile=True)
    assert result.state is RunState.FINISHED, result.error
    prof = result.profile
    assert prof is not None
    averages = {a.key: a for a in prof.key_averages()}
    assert averages["div"].count == 10 and averages["mul"].count == 10
    assert averages["DivBackward0"].count == 10
    events = prof.trace_events()
    assert events.args[events.name.index("div")]["shapes"] == [[2, 3], [2, 3]]
    # recorded on the run's worker thread, not the caller's
    (thread,) = events.thread_names.values()
    assert "workbench-run-1" in thread and str(threading.get_native_id()) not in thread


def test_runs_are_not_profiled_unless_asked(session):
    result = run(session, LOOP)
    assert result.state is RunState.FINISHED and result.profile is None


def test_the_profile_is_kept_when_the_code_fails_and_the_profiler_is_released(session):
    result = run(session, LOOP + "raise ValueError('boom')\n", profile=True)
    assert result.state is RunState.FAILED and result.error.type_name == "ValueError"
    assert {a.key for a in result.profile.key_averages()} >= {"div", "mul"}
    # the engine's one profiler slot is free again: the next profiled run works
    again = run(session, LOOP, profile=True)
    assert again.state is RunState.FINISHED and again.profile is not result.profile


def test_a_stopped_run_releases_the_profiler(session):
    r = session.run(
        "import workbench.engine as torch\nx = torch.ones(2)\nwhile True:\n    x = x * 1.0\n",
        profile=True,
    )
    assert r.stop(WAIT)
    assert r.result.state is RunState.STOPPED
    assert r.result.profile.key_averages()[0].key == "mul"
    from workbench.engine.autograd import profiler

    with profiler.profile() as prof:  # would raise if the run's profiler were still on
        pass
    assert len(prof.trace_events()) == 0


def test_a_script_that_profiles_itself_gets_the_profiler_inside_a_profiled_run(session):
    # the gallery's profiling example with the Profile toggle on: the run's profiler steps
    # aside for the script's own block, then records again
    code = dedent(
        """
        import workbench.engine as torch
        x = torch.randn(2, 3, requires_grad=True)
        before = (x * 2).sum()
        with torch.autograd.profiler.profile() as prf:
            z = x
            for _ in range(5):
                z = z / 3.0
        after = (x - 1).sum()
        mine = {a.key: a.count for a in prf.key_averages()}
        """
    )
    result = run(session, code, profile=True)
    assert result.state is RunState.FINISHED, result.error
    assert session.namespace["mine"] == {"div": 5}
    outer = {a.key: a.count for a in result.profile.key_averages()}
    assert outer.get("mul") == 1 and outer.get("sub") == 1  # before and after the block
    assert "div" not in outer  # the script's block went to the script's profiler
    # a profiler of the user's own still refuses another inside it, as PyTorch's does
    nested = "import workbench.engine as torch\nP = torch.autograd.profiler.profile\n"
    nested += "with P():\n    with P():\n        pass\n"
    failed = run(session, nested, profile=True)
    assert failed.state is RunState.FAILED and failed.error.line == 4
    assert "Profiler is already enabled" in failed.error.message


def test_a_profiler_that_cannot_start_fails_the_run_cleanly(session):
    from workbench.engine.autograd import profiler

    with profiler.profile():  # the engine runs one profiler at a time
        result = run(session, "ran = True\n", profile=True)
    assert result.state is RunState.FAILED and result.profile is None
    assert "Profiler is already enabled" in result.error.message
    assert "ran" not in session.namespace
    assert run(session, "ran = True\n", profile=True).state is RunState.FINISHED


def test_a_run_whose_work_is_all_in_its_own_profiler_shows_that_profile(session):
    code = dedent(
        """
        import workbench.engine as torch
        with torch.autograd.profiler.profile() as prf:
            torch.ones(2, requires_grad=True).exp().sum().backward()
        """
    )
    result = run(session, code, profile=True)
    assert result.state is RunState.FINISHED, result.error
    assert result.profile is session.namespace["prf"]
    assert {"exp", "sum", "ExpBackward0"} <= {a.key for a in result.profile.key_averages()}
