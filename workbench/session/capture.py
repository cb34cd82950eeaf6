"""Output capture for runs: a process-wide stdout/stderr that routes each write by thread.

User code runs on a worker thread while the GUI thread (and anything else) keeps printing as
usual, so the replacement streams look up the writing thread: a thread with a route writes
into its run's `OutputBuffer`, every other thread writes through to the stream that was there
before. The replacement is installed once for all Sessions (reference-counted), re-applied as
a run starts if someone swapped the streams meanwhile, and taken out when the last one closes.
"""

from __future__ import annotations

import collections
import io
import sys
import threading
from collections.abc import Callable

__all__ = [
    "OUTPUT_LIMIT",
    "OutputBuffer",
    "RoutingStream",
    "install",
    "ensure_installed",
    "uninstall",
    "installed",
    "route",
    "unroute",
]

OUTPUT_LIMIT = 1 << 20
"""Characters of output a RunResult keeps (the tail; earlier output is dropped)."""

Sink = Callable[[str, str], None]

# thread ident -> sink(stream, text); read on every write, so a plain dict (atomic under the GIL)
_routes: dict[int, Sink] = {}


def route(thread_ident: int, sink: Sink) -> None:
    _routes[thread_ident] = sink


def unroute(thread_ident: int) -> None:
    _routes.pop(thread_ident, None)


class OutputBuffer:
    """One run's output: chunks waiting for `drain` and the capped text kept for the result.

    Only the run's worker thread writes; any thread may drain. Both sides touch the pending
    chunks through deque.append/popleft, which are atomic, so neither ever waits on the other.
    """

    def __init__(self, limit: int = OUTPUT_LIMIT) -> None:
        self._pending: collections.deque[tuple[str, str]] = collections.deque()
        self._kept: collections.deque[str] = collections.deque()
        self._kept_chars = 0
        self._dropped = 0
        self._limit = limit

    def write(self, stream: str, text: str) -> None:
        if not text:
            return
        self._pending.append((stream, text))
        self._kept.append(text)
        self._kept_chars += len(text)
        if self._kept_chars - len(self._kept[0]) >= self._limit:
            self._drop_head()

    def _drop_head(self) -> None:
        # whole chunks only; `text()` cuts the remainder to the exact limit
        kept = self._kept
        while len(kept) > 1 and self._kept_chars - len(kept[0]) >= self._limit:
            chunk = kept.popleft()
            self._kept_chars -= len(chunk)
            self._dropped += len(chunk)

    def drain(self) -> list[tuple[str, str]]:
        """The chunks written since the last drain, adjacent ones of one stream joined."""
        pending = self._pending
        runs: list[tuple[str, list[str]]] = []
        # a snapshot of the length: a worker printing in a tight loop cannot keep us here
        for _ in range(len(pending)):
            stream, text = pending.popleft()
            if runs and runs[-1][0] == stream:
                runs[-1][1].append(text)
            else:
                runs.append((stream, [text]))
        return [(stream, "".join(parts)) for stream, parts in runs]

    def text(self) -> str:
        """Everything kept, in write order, with a marker line if earlier output was dropped."""
        text = "".join(self._kept)
        dropped = self._dropped
        if len(text) > self._limit:
            dropped += len(text) - self._limit
            text = text[-self._limit :]
        if dropped:
            text = f"[... {dropped} characters of earlier output dropped ...]\n" + text
        return text


class RoutingStream(io.TextIOBase):
    """Stands in for sys.stdout or sys.stderr; see the module docstring."""

    def __init__(self, original, name: str) -> None:
        super().__init__()
        self.original = original
        self.stream_name = name

    def _sink(self) -> Sink | None:
        return _routes.get(threading.get_ident())

    def write(self, s) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        sink = _routes.get(threading.get_ident())
        if sink is not None:
            sink(self.stream_name, s)
            return len(s)
        if self.original is None:  # pythonw: there is nowhere to write
            return len(s)
        return self.original.write(s)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._sink() is None and self.original is not None:
            self.original.flush()

    def isatty(self) -> bool:
        if self._sink() is not None or self.original is None:
            return False
        try:
            return bool(self.original.isatty())
        except (AttributeError, ValueError, OSError):
            return False

    def fileno(self) -> int:
        # a run's output has no file descriptor; other threads keep the real one (faulthandler)
        if self._sink() is not None or self.original is None:
            raise io.UnsupportedOperation("fileno")
        return self.original.fileno()

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        """Refused silently: a script's sys.stdout.close() must not close the app's stream."""

    @property
    def closed(self) -> bool:
        return False

    @property
    def encoding(self) -> str:
        return getattr(self.original, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str:
        return getattr(self.original, "errors", None) or "strict"

    def __getattr__(self, name: str):
        # only reached for attributes this class lacks (buffer, mode, name, …)
        if name == "original":
            raise AttributeError(name)
        return getattr(self.original, name)


_install_lock = threading.Lock()
_install_count = 0
_STREAMS = ("stdout", "stderr")


def _wrap_current() -> None:
    for name in _STREAMS:
        current = getattr(sys, name)
        if not isinstance(current, RoutingStream):
            setattr(sys, name, RoutingStream(current, name))


def install() -> None:
    """Route sys.stdout/sys.stderr by thread until the matching `uninstall` (counted)."""
    global _install_count
    with _install_lock:
        _install_count += 1
        _wrap_current()


def ensure_installed() -> None:
    """Wrap sys.stdout/sys.stderr again if someone replaced them since `install`.

    Called as each run starts: a test runner or a library may have swapped the streams, and
    a run whose prints went straight to the terminal would show nothing in the console.
    """
    with _install_lock:
        if _install_count:
            _wrap_current()


def uninstall() -> None:
    """Undo one `install`; the last one puts the original streams back.

    A stream that someone replaced after us (and that is not ours) is left alone: it is newer.
    """
    global _install_count
    with _install_lock:
        if _install_count == 0:
            return
        _install_count -= 1
        if _install_count:
            return
        for name in _STREAMS:
            stream = getattr(sys, name)
            if isinstance(stream, RoutingStream):
                while isinstance(stream, RoutingStream):
                    stream = stream.original
                setattr(sys, name, stream)


def installed() -> bool:
    return _install_count > 0
