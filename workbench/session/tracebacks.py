"""Tracebacks of user code as Python prints them, minus the frames that are not the user's.

A traceback out of a run passes through the runner and, often, the engine. Neither is the
user's business (PyTorch shows no C++ frames either), so every frame whose file lies inside the
`workbench` package is dropped; the buffer's pseudo-file and any other file (a user module
imported from disk, the standard library) stay. Formatting is `traceback`'s own, so carets,
chained exceptions and exception groups read exactly as the running Python prints them.
"""

from __future__ import annotations

import functools
import linecache
import os
import traceback

import workbench

__all__ = ["register_source", "format_user_exception", "innermost_line", "is_internal_file"]

_PACKAGE_DIR = os.path.realpath(os.path.dirname(workbench.__file__)) + os.sep


def register_source(filename: str, code: str, first_line: int = 1) -> None:
    """Put `code` into linecache as lines `first_line…` of the pseudo-file `filename`.

    The lines of an earlier run that this one does not cover are kept, so a function defined
    by a previous run of the whole buffer still shows its source after a run of a selection.
    """
    lines = code.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    entry = linecache.cache.get(filename)
    old = list(entry[2]) if entry is not None and len(entry) == 4 else []
    start = first_line - 1
    if len(old) < start:
        old.extend("\n" for _ in range(start - len(old)))
    merged = old[:start] + lines + old[start + len(lines) :]
    # mtime None: linecache.checkcache() leaves the entry alone (there is no file to compare)
    linecache.cache[filename] = (sum(map(len, merged)), None, merged, filename)


@functools.lru_cache(maxsize=1024)
def is_internal_file(filename: str) -> bool:
    """Whether a frame's file belongs to the workbench package (engine, runner, …)."""
    if not filename or filename.startswith("<"):
        return False
    try:
        return os.path.realpath(filename).startswith(_PACKAGE_DIR)
    except (OSError, ValueError):
        return False


def _trim(te: traceback.TracebackException) -> None:
    """Drop internal frames from `te` and from every exception chained to it."""
    todo, seen = [te], set()
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        kept = [frame for frame in item.stack if not is_internal_file(frame.filename)]
        item.stack = traceback.StackSummary.from_list(kept)
        todo.append(item.__cause__)
        todo.append(item.__context__)
        todo.extend(getattr(item, "exceptions", None) or ())


def innermost_line(exc: BaseException, source: str) -> int | None:
    """The line in `source` that `exc` points at: its innermost frame there, or for a
    SyntaxError in `source` itself (a compile error) the error's own line number."""
    if isinstance(exc, SyntaxError) and exc.filename == source and exc.lineno is not None:
        return exc.lineno
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == source:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def format_user_exception(exc: BaseException, source: str) -> tuple[str, int | None]:
    """The trimmed traceback text of `exc` and the line in `source` it points at."""
    te = traceback.TracebackException.from_exception(exc, compact=True)
    _trim(te)
    return "".join(te.format()), innermost_line(exc, source)
