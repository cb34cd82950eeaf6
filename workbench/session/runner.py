"""One run of user code on a worker thread: output capture, error reports, cancellation.

A `Run` compiles the code under the buffer's pseudo-filename (padded so line numbers are the
editor's), executes it in the session's namespace and context on a fresh daemon thread, and
ends in exactly one `RunResult`.

Stopping raises `RunStopped` inside the worker with `PyThreadState_SetAsyncExc`, re-sent every
0.1 s while the worker is still in user code (user code may swallow one). The exception is
only ever sent while `_in_user_code` is set, under `_lock`; the worker clears the flag under
the same lock and then cancels anything still pending, and the few bytecodes in between are
retried if a late `RunStopped` lands there, so the runner's own bookkeeping is never hit.
A `RunStopped` that lands in a `__del__` or weakref callback is swallowed by Python ("Exception
ignored in …"); while sessions exist an unraisable hook hides that message for runs' threads
and wakes `stop()` to send the next one at once.

Known limits:

- An async exception is checked between bytecodes, so one long C call (`time.sleep(60)`, a
  huge matmul, a blocking `input()` or socket read) is interrupted only when it returns;
  `stop()` then reports False after its timeout and the run stops later on its own.
- Code that catches `BaseException` (or uses a bare `except:`) inside its loop swallows every
  `RunStopped` and cannot be stopped.
- stop() waits while the worker is inside an import (see `_importing`), so a long import
  delays the stop until it has finished.
- Output is routed by thread: threads that user code starts print to the app's own stdout.
"""

from __future__ import annotations

import ast
import contextvars
import ctypes
import enum
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from . import capture
from .tracebacks import format_user_exception, innermost_line, register_source

__all__ = ["RunState", "RunStopped", "ErrorInfo", "RunResult", "Run"]

STOP_MESSAGE = "Run stopped by the user"
EXIT_NOTE = "the script called exit(); the session keeps running"
_RESEND_INTERVAL = 0.1
_IMPORT_POLL_INTERVAL = 0.01
MODES = ("exec", "console")


class RunState(enum.Enum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    STOPPED = "stopped"


class RunStopped(KeyboardInterrupt):
    """Raised inside user code by Session.stop()."""


@dataclass(frozen=True)
class ErrorInfo:
    type_name: str
    message: str
    traceback: str
    line: int | None
    source: str


@dataclass
class RunResult:
    run_id: int
    source: str
    code: str
    mode: str
    state: RunState
    started: float
    duration: float
    output: str
    error: ErrorInfo | None
    profile: object | None = None  # the engine's finished `profile`, for a run made with one


# thread ident -> its Run, for the unraisable hook
_runs_by_thread: dict[int, Run] = {}
_hook_lock = threading.Lock()
_hook_users = 0
_previous_unraisablehook: Callable | None = None


def _unraisable_hook(unraisable) -> None:
    exc_type = unraisable.exc_type
    if isinstance(exc_type, type) and issubclass(exc_type, RunStopped):
        run = _runs_by_thread.get(threading.get_ident())
        if run is not None:
            run._wake.set()  # the stop was swallowed: have stop() send another now
            return
    (_previous_unraisablehook or sys.__unraisablehook__)(unraisable)


def install_unraisable_hook() -> None:
    """Install `_unraisable_hook` (counted, like capture.install)."""
    global _hook_users, _previous_unraisablehook
    with _hook_lock:
        if _hook_users == 0 and sys.unraisablehook is not _unraisable_hook:
            _previous_unraisablehook = sys.unraisablehook
            sys.unraisablehook = _unraisable_hook
        _hook_users += 1


def uninstall_unraisable_hook() -> None:
    global _hook_users, _previous_unraisablehook
    with _hook_lock:
        if _hook_users == 0:
            return
        _hook_users -= 1
        if _hook_users == 0 and sys.unraisablehook is _unraisable_hook:
            sys.unraisablehook = _previous_unraisablehook or sys.__unraisablehook__
            _previous_unraisablehook = None


def _importing(ident: int) -> bool:
    """Whether the thread is inside an import. An exception there can leave a C extension
    half-initialised for the life of the process (NumPy: "cannot load module more than once
    per process"), so stop() waits for the import to finish."""
    frame = sys._current_frames().get(ident)
    while frame is not None:
        code = frame.f_code
        # loading a module, not the cheap `from . import x` of one already loaded
        if code.co_name == "_load_unlocked" and code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _set_async_exc(ident: int, exc_type: type[BaseException] | None) -> None:
    # None clears a pending exception (the C API takes NULL for that)
    arg = None if exc_type is None else ctypes.py_object(exc_type)
    if ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), arg) > 1:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), None)


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # a user exception whose __str__ fails
        return "<exception str() failed>"


def _echo_suppressed(lines: list[str], node: ast.expr) -> bool:
    """IPython's rule: a trailing `;` after the last expression silences the echo."""
    rest = lines[node.end_lineno - 1].encode()[node.end_col_offset :]  # offsets are UTF-8 bytes
    return rest.lstrip().startswith(b";")


def compile_run(code: str, source: str, first_line: int, mode: str):
    """Compile `code` as lines `first_line…` of `source`: (statements, final expression or None).

    In console mode a final expression statement is split off so its value can be echoed.
    """
    padded = "\n" * (first_line - 1) + code
    register_source(source, code, first_line)
    if mode == "exec":
        return compile(padded, source, "exec", dont_inherit=True), None
    try:
        tree = ast.parse(padded, source, "exec")
    except SyntaxError as exc:  # without ast.parse's frame, like the compile() above
        raise exc.with_traceback(None) from None
    last = tree.body[-1] if tree.body else None
    if not isinstance(last, ast.Expr) or _echo_suppressed(padded.splitlines(), last.value):
        return compile(tree, source, "exec", dont_inherit=True), None
    body = ast.Module(body=tree.body[:-1], type_ignores=[])
    return (
        compile(body, source, "exec", dont_inherit=True),
        compile(ast.Expression(last.value), source, "eval", dont_inherit=True),
    )


class Run:
    """A run of user code on its own worker thread; made and started by `Session.run`."""

    def __init__(
        self,
        run_id: int,
        code: str,
        *,
        source: str,
        first_line: int,
        mode: str,
        namespace: dict[str, object],
        context: contextvars.Context,
        on_finish: Callable[[Run, RunResult], None],
        on_done: Callable[[RunResult], None] | None = None,
        profile: bool = False,
    ) -> None:
        self.id = run_id
        self.source = source
        self.code = code
        self.mode = mode
        self._first_line = first_line
        self._namespace = namespace
        self._context = context
        self._on_finish = on_finish
        self._on_done = on_done
        self._profile = profile
        self._profiler = None  # the profile recorded around the user's code, when asked for
        self._output = capture.OutputBuffer()
        self._lock = threading.Lock()
        self._in_user_code = False
        self._stop_requested = False
        self._done = threading.Event()
        self._wake = threading.Event()  # done, or a stop was swallowed: stop() looks again
        self._result: RunResult | None = None
        self._started = time.time()
        self._thread = threading.Thread(
            target=self._main, name=f"workbench-run-{run_id}", daemon=True
        )

    def __repr__(self) -> str:
        return f"<Run {self.id} {self.source} {self.state.value}>"

    # ------------------------------------------------------------------ public view

    @property
    def state(self) -> RunState:
        result = self._result
        return result.state if result is not None and self._done.is_set() else RunState.RUNNING

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def result(self) -> RunResult | None:
        return self._result if self._done.is_set() else None

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def read_output(self) -> list[tuple[str, str]]:
        """Drain (stream, text) chunks written since the last call; stream is "stdout" or
        "stderr". Adjacent chunks of one stream come joined. Never waits on the worker."""
        return self._output.drain()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the run is done (its on_done callback may still be running)."""
        return self._done.wait(timeout)

    def stop(self, timeout: float = 1.0) -> bool:
        """Raise RunStopped in the user's code, again every 0.1 s, until the run ends or
        `timeout` passes. Returns whether the run has ended."""
        if threading.current_thread() is self._thread:
            if self._in_user_code:  # user code stopping itself
                raise RunStopped(STOP_MESSAGE)
            return self._done.is_set()  # on_done: the run is over already
        deadline = time.perf_counter() + timeout
        with self._lock:
            self._stop_requested = True  # a worker that has not entered user code yet skips it
        while not self._done.is_set():
            interval = _RESEND_INTERVAL
            with self._lock:
                if self._in_user_code:
                    if _importing(self._thread.ident):
                        interval = _IMPORT_POLL_INTERVAL
                    else:
                        _set_async_exc(self._thread.ident, RunStopped)
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                break
            self._wake.wait(min(interval, remaining))
            self._wake.clear()
        return self._done.is_set()

    # ------------------------------------------------------------------ worker thread

    def _start(self) -> None:
        self._thread.start()

    def _main(self) -> None:
        ident = threading.get_ident()
        capture.route(ident, self._output.write)
        _runs_by_thread[ident] = self
        t0 = time.perf_counter()
        outcome = None
        if self._profile:
            outcome = self._start_profiler()
        # Until _leave_user_code has returned, a RunStopped sent just before the user's code
        # returned may still land at any call here: catch it and redo what it cut short.
        while True:
            try:
                if outcome is None:
                    outcome = self._execute()
                self._leave_user_code()
                break
            except RunStopped as exc:
                if outcome is None:
                    outcome = (RunState.STOPPED, exc)
        if self._profiler is not None:
            try:
                self._profiler.__exit__(None, None, None)
                self._profiler = _profile_to_show(self._profiler)
            except Exception:  # the run must end whatever happens
                pass
        duration = time.perf_counter() - t0
        try:
            self._finish(*outcome, duration)
        finally:
            capture.unroute(ident)
            _runs_by_thread.pop(ident, None)
        self._notify()

    def _start_profiler(self) -> tuple[RunState, BaseException] | None:
        """Enter the engine's profiler on this worker thread (its recorder is per thread).

        It is entered before and left after the user-code window, where no RunStopped can
        land, so a stop never leaves the engine's one profiler half-closed. A profiler that
        cannot start (another one is running) fails the run with its error. It yields to a
        profiler the script starts itself: the script's table is complete, and the run's
        profile has everything outside that block.
        """
        try:
            # Imported here: runs without profiling must not load the engine.
            from workbench.engine.autograd.profiler import profile

            prof = profile(record_shapes=True)
            prof._yields = True  # a script that profiles itself gets the engine meanwhile
            prof.__enter__()
        except Exception as exc:
            return RunState.FAILED, exc
        self._profiler = prof
        return None

    def _execute(self) -> tuple[RunState, BaseException | None]:
        with self._lock:
            if self._stop_requested:
                return RunState.STOPPED, None
            self._in_user_code = True
        try:
            self._context.run(self._run_user_code)
        except RunStopped as exc:
            return RunState.STOPPED, exc
        except BaseException as exc:  # user code may raise anything
            return RunState.FAILED, exc
        return RunState.FINISHED, None

    def _leave_user_code(self) -> None:
        with self._lock:
            self._in_user_code = False
            _set_async_exc(threading.get_ident(), None)

    def _run_user_code(self) -> None:
        namespace = self._namespace
        # a fresh registry per run, so a warning shown by the last run is shown again
        namespace.pop("__warningregistry__", None)
        body, final = compile_run(self.code, self.source, self._first_line, self.mode)
        exec(body, namespace)
        if final is not None:
            value = eval(final, namespace)
            if value is not None:
                text = repr(value)
                namespace["_"] = value
                sys.stdout.write(text + "\n")

    def _finish(self, state: RunState, exc: BaseException | None, duration: float) -> None:
        error = None
        try:
            if state is not RunState.FINISHED:
                error = self._error_info(state, exc)
                self._output.write("stderr", error.traceback)
            output = self._output.text()
        except BaseException as failure:  # the run must end whatever happens
            text = f"{type(failure).__name__}: the run's error could not be reported\n"
            error = ErrorInfo(type(failure).__name__, text.strip(), text, None, self.source)
            output = ""
        self._result = RunResult(
            run_id=self.id,
            source=self.source,
            code=self.code,
            mode=self.mode,
            state=state,
            started=self._started,
            duration=duration,
            output=output,
            error=error,
            profile=self._profiler,
        )

    def _error_info(self, state: RunState, exc: BaseException | None) -> ErrorInfo:
        if state is RunState.STOPPED:
            line = innermost_line(exc, self.source) if exc is not None else None
            text = f"RunStopped: {STOP_MESSAGE}\n"
            return ErrorInfo("RunStopped", STOP_MESSAGE, text, line, self.source)
        if isinstance(exc, SystemExit):
            line = innermost_line(exc, self.source)
            message = EXIT_NOTE if exc.code is None else f"{exc.code} — {EXIT_NOTE}"
            text = "SystemExit" + (f": {message}" if exc.code is not None else f" — {message}")
            return ErrorInfo("SystemExit", message, text + "\n", line, self.source)
        text, line = format_user_exception(exc, self.source)
        return ErrorInfo(type(exc).__name__, _safe_str(exc), text, line, self.source)

    def _notify(self) -> None:
        result = self._result
        try:
            self._on_finish(self, result)
        finally:
            self._done.set()
            self._wake.set()
        if self._on_done is not None:
            try:
                self._on_done(result)
            except BaseException:  # a broken callback must not take anything down
                if sys.__stderr__ is not None:
                    print("workbench: on_done callback failed:", file=sys.__stderr__)
                    traceback.print_exc(file=sys.__stderr__)


def _profile_to_show(prof):
    """The run's profile, or, when the script profiled all its work itself (the run's profiler
    stepped aside and saw nothing), the last profile the script recorded."""
    inner = prof._yielded_to
    if inner and len(prof.trace_events()) == 0:
        return inner[-1]
    return prof
