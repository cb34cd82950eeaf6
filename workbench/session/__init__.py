"""The Session: user code, namespace, runs, captures, cancellation, session files. No Qt.

`Session` runs code on a worker thread in a persistent namespace (runner.py), routes its
stdout/stderr into the run (capture.py), trims tracebacks to the user's frames (tracebacks.py)
and describes the tensors and modules it defined (namespace.py).
"""

from .namespace import NamespaceEntry, namespace_entries
from .runner import ErrorInfo, Run, RunResult, RunState, RunStopped
from .session import CodeBuffer, Session, SessionBusyError

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
    "namespace_entries",
]
