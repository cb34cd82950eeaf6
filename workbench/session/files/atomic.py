"""Atomic file replacement: a crash in the middle of a save never destroys the previous file.

The new content goes to a temporary file beside the target (same directory, so the rename
stays on one filesystem), is flushed and fsynced, and then `os.replace`s the target in one
step; the directory is fsynced so the rename itself survives a power cut. On any error the
temporary file is removed and the old file is left as it was.

A process killed mid-write leaves its temporary file behind. Temp files are named
`.NAME.tmp-PID-TOKEN-RANDOM`, so the next save to the same target recognises ours and removes
those whose process is gone (never one that a live process may still be writing).
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

from .procs import PROCESS_TOKEN, pid_alive

__all__ = ["atomic_write", "temp_name_pattern", "remove_stale_temps"]


def temp_name_pattern(target: Path) -> re.Pattern[str]:
    return re.compile(
        rf"\.{re.escape(target.name)}\.tmp-(?P<pid>\d+)-(?P<token>[0-9a-f]+)-[0-9a-f]+"
    )


def remove_stale_temps(target: Path) -> list[Path]:
    """Remove temp files left beside `target` by saves whose process died; return them."""
    pattern = temp_name_pattern(target)
    removed = []
    try:
        names = os.listdir(target.parent)
    except OSError:
        return removed
    for name in names:
        m = pattern.fullmatch(name)
        if m is None:
            continue
        pid = int(m["pid"])
        same_pid_earlier_life = pid == os.getpid() and m["token"] != PROCESS_TOKEN
        if same_pid_earlier_life or not pid_alive(pid):
            with suppress(OSError):
                os.unlink(target.parent / name)
                removed.append(target.parent / name)
    return removed


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":  # Windows cannot open a directory for fsync; NTFS journals renames
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> Path:
    """Call `write(file)` on a temporary file beside `path`, then replace `path` with it.

    A symlink at `path` is followed (the file it points to is replaced, the link stays). The
    new file gets the old one's permission bits, or the umask's defaults for a new file.
    """
    target = Path(path)
    if target.is_symlink():
        target = target.resolve()
    directory = target.parent
    remove_stale_temps(target)
    tmp = directory / f".{target.name}.tmp-{os.getpid()}-{PROCESS_TOKEN}-{secrets.token_hex(4)}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666)  # the umask applies, as for any new file
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        with suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(tmp, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    with suppress(OSError):  # the data is safe; only the rename's durability is in question
        _fsync_directory(directory)
    return target
