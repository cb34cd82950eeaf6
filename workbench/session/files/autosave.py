"""Autosave to a recovery file, and finding the recovery files that a crash left behind.

The app calls `maybe_save(provider, now)` from a timer (no threads or timers here: the time is
passed in). Every `interval` seconds it asks the provider for a document — None means nothing
changed — and saves it atomically to this process's recovery file. On a clean exit `discard()`
deletes the file; so a recovery file still there at the next launch means its process died.

Each process's files are `recovery-PID-TOKEN-RAND.wbsession` plus an `.owner` marker (JSON:
pid, start time, the session file being edited) that the process keeps locked (`flock`) for as
long as it lives. The kernel drops the lock when the process dies, however it dies, so "is the
owner alive?" is "can I take its lock?" — and a reused pid cannot fool it. Where `flock` is not
available (Windows, some network filesystems) the pid in the name decides.

The recovery folder is `$WORKBENCH_RECOVERY_DIR`, else the platform's state folder
(`$XDG_STATE_HOME` or ~/.local/state, ~/Library/Application Support, %LOCALAPPDATA%) +
`autograd-workbench/recovery`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbench import __version__

from .atomic import remove_stale_temps
from .document import SessionDocument
from .errors import SessionFileError
from .manifest import utc_now
from .procs import PROCESS_TOKEN, pid_alive
from .sessionfile import save_session

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

__all__ = ["RECOVERY_DIR_ENV", "AutosaveManager", "default_recovery_dir"]

RECOVERY_DIR_ENV = "WORKBENCH_RECOVERY_DIR"
SUFFIX = ".wbsession"
MARKER_SUFFIX = ".owner"
_STEM = re.compile(r"recovery-(?P<pid>\d+)-(?P<token>[0-9a-f]+)-[0-9a-f]+")
_TEMP = re.compile(r"\.(recovery-\d+-[0-9a-f]+-[0-9a-f]+\.wbsession)\.tmp-.*")


def default_recovery_dir() -> Path:
    env = os.environ.get(RECOVERY_DIR_ENV)
    if env:
        return Path(env)
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_STATE_HOME") or home / ".local" / "state")
    return base / "autograd-workbench" / "recovery"


def _try_lock(fd: int) -> bool | None:
    """Take an exclusive lock: True if taken, False if another holder has it, None if this
    filesystem has no locks."""
    if fcntl is None:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return None
    return True


class AutosaveManager:
    """This process's recovery file, and the leftovers of processes that crashed."""

    def __init__(self, recovery_dir: str | os.PathLike | None = None, interval: float = 60.0):
        self.recovery_dir = (
            Path(recovery_dir) if recovery_dir is not None else default_recovery_dir()
        )
        self.interval = float(interval)
        self.source: str | None = None  # the session file being edited, shown when restoring
        self.last_error: Exception | None = None
        stem = f"recovery-{os.getpid()}-{PROCESS_TOKEN}-{secrets.token_hex(3)}"
        self.path = self.recovery_dir / (stem + SUFFIX)
        self.marker_path = self.recovery_dir / (stem + MARKER_SUFFIX)
        self._marker_fd: int | None = None
        self._last: float | None = None

    # ----------------------------------------------------------------- saving

    def maybe_save(
        self, doc_provider: Callable[[], SessionDocument | None], now: float
    ) -> Path | None:
        """Save if `interval` seconds passed since the last save (or the first call).

        Returns the recovery file when it saved. A failed save (disk full, a value the format
        cannot hold) is kept in `last_error` rather than raised: autosave must not break the app.
        """
        if self._last is None:
            self._last = now
            return None
        if now - self._last < self.interval:
            return None
        self._last = now
        try:
            doc = doc_provider()
            if doc is None:
                return None
            path = self.save_now(doc)
        except (OSError, SessionFileError) as exc:
            self.last_error = exc
            return None
        self.last_error = None
        return path

    def save_now(self, doc: SessionDocument) -> Path:
        """Write the recovery file now (a copy: the document's own times are left alone)."""
        self._claim()
        created, modified = doc.created, doc.modified
        app_version, schema_version = doc.app_version, doc.schema_version
        try:
            save_session(doc, self.path)
        finally:
            doc.created, doc.modified = created, modified
            doc.app_version, doc.schema_version = app_version, schema_version
        return self.path

    def _claim(self) -> None:
        """Create the marker (once) and hold its lock for the life of this manager."""
        if self._marker_fd is not None and not self.marker_path.exists():
            os.close(self._marker_fd)  # someone cleaned the folder out: start over
            self._marker_fd = None
        if self._marker_fd is None:
            self.recovery_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.marker_path, os.O_RDWR | os.O_CREAT, 0o600)
            if _try_lock(fd) is False:  # cannot happen for our own fresh name
                os.close(fd)
                raise OSError(f"recovery marker {self.marker_path} is locked by another process")
            self._marker_fd = fd
        info = {
            "pid": os.getpid(),
            "token": PROCESS_TOKEN,
            "saved": utc_now(),
            "source": self.source,
            "app_version": __version__,
        }
        data = json.dumps(info).encode()
        # rewritten in place: replacing the file would drop the lock, which lives on the inode
        os.ftruncate(self._marker_fd, 0)
        os.lseek(self._marker_fd, 0, os.SEEK_SET)
        os.write(self._marker_fd, data)

    def discard(self) -> None:
        """Delete this process's recovery file and marker (clean exit, or after a real save)."""
        for path in (self.path, self.marker_path):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        if self._marker_fd is not None:
            os.close(self._marker_fd)  # releases the lock
            self._marker_fd = None
        self._last = None

    # ----------------------------------------------------------------- recovering

    def _owner_alive(self, stem: str) -> bool:
        m = _STEM.fullmatch(stem)
        if m is None:
            return False
        marker = self.recovery_dir / (stem + MARKER_SUFFIX)
        if marker == self.marker_path:
            return True
        try:
            fd = os.open(marker, os.O_RDWR)
        except OSError:
            fd = None
        if fd is not None:
            try:
                locked = _try_lock(fd)
            finally:
                os.close(fd)  # closing drops a lock we took
            if locked is not None:
                return not locked
        pid = int(m["pid"])
        if pid == os.getpid():
            return m["token"] == PROCESS_TOKEN
        return pid_alive(pid)

    def recovery_files(self) -> list[Path]:
        """Recovery files whose process died (a crash), newest first.

        Also removes what crashes left without a recovery file (markers, temp files).
        """
        try:
            names = os.listdir(self.recovery_dir)
        except OSError:
            return []
        found = []
        for target in {m[1] for m in map(_TEMP.fullmatch, names) if m}:
            remove_stale_temps(self.recovery_dir / target)  # saves that were killed mid-write
        for name in names:
            stem, dot, ext = name.rpartition(".")
            if not dot or _STEM.fullmatch(stem) is None:
                continue
            path = self.recovery_dir / name
            if ext == SUFFIX[1:]:
                if path != self.path and not self._owner_alive(stem):
                    with contextlib.suppress(OSError):
                        found.append((path.stat().st_mtime, path))
            elif ext == MARKER_SUFFIX[1:] and stem + SUFFIX not in names:
                if not self._owner_alive(stem):
                    with contextlib.suppress(OSError):
                        os.unlink(path)
        return [p for _, p in sorted(found, key=lambda t: t[0], reverse=True)]

    def latest_recovery(self) -> Path | None:
        files = self.recovery_files()
        return files[0] if files else None

    def recovery_info(self, path: str | os.PathLike) -> dict[str, Any]:
        """What the crashed process's marker says (pid, saved, source, app_version); {} if
        there is none or it cannot be read."""
        marker = Path(path).with_suffix(MARKER_SUFFIX)
        try:
            info = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return info if isinstance(info, dict) else {}

    def remove(self, path: str | os.PathLike) -> None:
        """Delete a crashed process's recovery file and marker (restored, or declined)."""
        path = Path(path)
        if path == self.path:
            self.discard()
            return
        for p in (path, path.with_suffix(MARKER_SUFFIX)):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(p)
