"""Fixtures for the session tests: every Session is closed, and must leave no trace behind.

No test may leave a worker thread running or sys.stdout/stderr/unraisablehook hooked, so the fixture
checks both after closing the sessions a test made.
"""

import sys
import threading

import pytest

from workbench.session import Session

WAIT = 10.0  # seconds a run that should finish promptly may take on a loaded CI machine


def _run_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("workbench-run-")]


@pytest.fixture
def make_session():
    stdout, stderr, unraisablehook = sys.stdout, sys.stderr, sys.unraisablehook
    sessions: list[Session] = []

    def make() -> Session:
        session = Session()
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()
    assert sys.stdout is stdout, "a Session left sys.stdout replaced"
    assert sys.stderr is stderr, "a Session left sys.stderr replaced"
    assert sys.unraisablehook is unraisablehook, "a Session left sys.unraisablehook replaced"
    for thread in _run_threads():
        thread.join(WAIT)
    assert not _run_threads(), "a run's worker thread is still alive"


@pytest.fixture
def session(make_session) -> Session:
    return make_session()


@pytest.fixture
def run_code(session):
    """Run code in `session` and wait for its RunResult."""

    def run_code(code: str, **kwargs):
        run = session.run(code, **kwargs)
        assert run.wait(WAIT), f"the run did not finish: {code!r}"
        return run.result

    return run_code
