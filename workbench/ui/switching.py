"""The GIL switch interval while workers run: shortened by the first holder, restored by the last.

A code run and a training run may overlap and end in either order. Each saving and restoring
the interval on its own would let the one that started second "restore" the other's short
interval and leave it in place for good; one shared record of who holds what avoids that.
"""

from __future__ import annotations

import sys
import threading

_lock = threading.Lock()
_holds: dict[int, float] = {}  # token -> the interval its holder asked for
_next = [0]
_original: list[float | None] = [None]  # the interval before the first hold


def hold(interval: float) -> int:
    """Shorten the switch interval to at most `interval` until `release(token)`."""
    with _lock:
        if not _holds:
            _original[0] = sys.getswitchinterval()
        _next[0] += 1
        _holds[_next[0]] = interval
        sys.setswitchinterval(min(_original[0], *_holds.values()))
        return _next[0]


def release(token: int | None) -> None:
    """Give up a hold (twice, or None, is harmless); the last one restores the original."""
    with _lock:
        if token is None or _holds.pop(token, None) is None:
            return
        if _holds:
            sys.setswitchinterval(min(_original[0], *_holds.values()))
        else:
            sys.setswitchinterval(_original[0])
            _original[0] = None
