"""Anomaly mode: `detect_anomaly` and `set_detect_anomaly`, as in `torch.autograd`.

While it is on, every node records the stack of the forward call that created it, so an error in
its backward (a NaN, a modified saved tensor, an exception in a custom backward) is reported with
a warning that points at the user's line; with `check_nan` a NaN gradient raises. The mode is
process-wide, as PyTorch's is. The flags live in `function._anomaly`, read on the dispatch path.
"""

from __future__ import annotations

import warnings

from . import function as _fn
from .grad_mode import _DecoratorContextManager

__all__ = [
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled",
    "set_anomaly_enabled",
]


def is_anomaly_enabled() -> bool:
    return _fn._anomaly[0]


def is_anomaly_check_nan_enabled() -> bool:
    return _fn._anomaly[1]


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    _fn._anomaly[0] = bool(enabled)
    _fn._anomaly[1] = bool(check_nan)


class detect_anomaly(_DecoratorContextManager):
    """Turns anomaly detection on inside a `with` block (or a decorated function)."""

    def __init__(self, check_nan: bool = True, *, _warn: bool = True):
        self.prev = is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        if _warn:
            warnings.warn(
                "Anomaly Detection has been enabled. This mode will increase the "
                "runtime and should only be enabled for debugging.",
                stacklevel=2,
            )

    def __enter__(self) -> None:
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)

    def clone(self):
        return self.__class__(self.check_nan, _warn=False)


class set_detect_anomaly:
    """Sets the mode on construction (so it also works as a plain call); a `with` restores it."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)
