"""The Session: user code, namespace, runs, captures, cancellation, session files. No Qt.

`Session` runs code on a worker thread in a persistent namespace (runner.py), routes its
stdout/stderr into the run (capture.py), trims tracebacks to the user's frames (tracebacks.py)
and describes the tensors and modules it defined (namespace.py). `Session.save(path)` and
`load(path)` write and read `.wbsession` files (files/); loading never runs the code.
"""

from .namespace import NamespaceEntry, namespace_entries
from .runner import ErrorInfo, Run, RunResult, RunState, RunStopped
from .session import CodeBuffer, Session, SessionBusyError


def load(path) -> Session:
    """A Session from a `.wbsession` file: its code in the buffers (not run), its tensors in
    the namespace; everything else it holds stays on `session.restored`. Any problem with the
    file raises a `SessionFileError` subclass naming it."""
    from .files import document_to_session, load_session

    doc = load_session(path)
    session = document_to_session(doc)
    session.restored = doc
    return session


def __getattr__(name):
    # the file format pulls in safetensors and zipfile: only when someone asks for it
    if name == "SessionFileError":
        from .files import SessionFileError

        return SessionFileError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CodeBuffer",
    "ErrorInfo",
    "NamespaceEntry",
    "Run",
    "RunResult",
    "RunState",
    "RunStopped",
    "Session",
    "SessionBusyError",
    "SessionFileError",
    "load",
    "namespace_entries",
]
