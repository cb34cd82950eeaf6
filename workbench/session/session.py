"""The Session: a notebook-like kernel that runs the user's code, one run at a time.

Names that one run defines stay in `namespace` for the next, and so do context variables such
as the engine's grad mode: every run executes inside the same `contextvars.Context`, kept by
the session, so a top-level `torch.set_grad_enabled(False)` lasts until a run changes it back
(worker threads would otherwise each start from the defaults).
"""

from __future__ import annotations

import builtins
import contextvars
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import capture
from .namespace import NamespaceEntry, namespace_entries
from .runner import (
    MODES,
    Run,
    RunResult,
    install_unraisable_hook,
    uninstall_unraisable_hook,
)

__all__ = ["SessionBusyError", "CodeBuffer", "Session", "HISTORY_LIMIT"]

HISTORY_LIMIT = 1000


class SessionBusyError(RuntimeError):
    def __init__(self, message: str = "a run is already in progress; stop it first (Run → Stop)"):
        super().__init__(message)


@dataclass
class CodeBuffer:
    name: str
    text: str = ""
    path: str | None = None

    @property
    def source(self) -> str:
        """The pseudo-filename to pass to `Session.run` for code from this buffer."""
        return f"<editor: {self.name}>"


def _fresh_namespace() -> dict[str, object]:
    return {"__name__": "__main__", "__builtins__": builtins}


class Session:
    def __init__(self) -> None:
        self.buffers: list[CodeBuffer] = []
        self.namespace: dict[str, object] = _fresh_namespace()
        self.history: list[RunResult] = []
        self._context = contextvars.Context()
        self._lock = threading.Lock()
        self._active: Run | None = None
        self._last_run: Run | None = None  # its thread may outlive `_active` (on_done)
        self._last_id = 0
        self._closed = False
        # The document this session was loaded from (graphs, runs, profiles, module state
        # dicts it holds), so saving again keeps what the namespace cannot rebuild.
        self.restored = None
        capture.install()
        install_unraisable_hook()

    def save(self, path, **captures):
        """Save to a `.wbsession` file atomically (see `workbench.session.files`). `captures`
        are `graphs=`, `training_runs=`, `profiles=`, `ui_state=`; returns the path written."""
        from .files import save_session, session_to_document

        doc = session_to_document(self, base=self.restored, **captures)
        path = save_session(doc, path)
        self.restored = doc
        return path

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def running(self) -> Run | None:
        return self._active

    @property
    def closed(self) -> bool:
        return self._closed

    def run(
        self,
        code: str,
        *,
        source: str = "<editor>",
        first_line: int = 1,
        mode: str = "exec",
        on_done: Callable[[RunResult], None] | None = None,
        profile: bool = False,
    ) -> Run:
        """Start running `code` on a worker thread; returns at once.

        `first_line` is the editor line the code starts on (for a selection), so tracebacks
        and `ErrorInfo.line` use the editor's numbering. `on_done` is called on the worker
        thread once the run is done. With `profile`, the code runs under the engine's
        profiler (shapes recorded) and the result's `profile` holds it.
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if first_line < 1:
            raise ValueError(f"first_line must be at least 1, not {first_line}")
        with self._lock:
            if self._closed:
                raise RuntimeError("the session is closed")
            if self._active is not None:
                raise SessionBusyError()
            self._last_id += 1
            run = Run(
                self._last_id,
                code,
                source=source,
                first_line=first_line,
                mode=mode,
                namespace=self.namespace,
                context=self._context,
                on_finish=self._run_finished,
                on_done=on_done,
                profile=profile,
            )
            self._active = self._last_run = run
            capture.ensure_installed()
            try:
                run._start()
            except BaseException:
                self._active = None
                raise
        return run

    def _run_finished(self, run: Run, result: RunResult) -> None:
        # on the worker, just before the run reports done: history and `running` change with it
        with self._lock:
            self.history.append(result)
            del self.history[:-HISTORY_LIMIT]
            if self._active is run:
                self._active = None

    def stop(self, timeout: float = 1.0) -> bool:
        """Stop the active run (see `Run.stop`). True if no run remains active."""
        run = self._active
        return True if run is None else run.stop(timeout)

    def reset_namespace(self) -> None:
        """Start over: an empty namespace (the same dict object) and default context vars."""
        with self._lock:
            if self._active is not None:
                raise SessionBusyError()
            self.namespace.clear()
            self.namespace.update(_fresh_namespace())
            self._context = contextvars.Context()

    def namespace_entries(self) -> list[NamespaceEntry]:
        return namespace_entries(self.namespace)

    def close(self, timeout: float = 2.0) -> None:
        """Stop any run, join its worker and give back the stdout/stderr hooks. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            run = self._last_run
        try:
            if run is not None:
                deadline = time.perf_counter() + timeout
                run.stop(timeout)
                if run.thread.is_alive() and run.thread is not threading.current_thread():
                    run.thread.join(max(0.0, deadline - time.perf_counter()))
        finally:
            capture.uninstall()
            uninstall_unraisable_hook()
