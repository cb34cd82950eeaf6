"""Device time for `profile(use_cuda=True)`: marks on the GPU's stream, read once profiling ends.

A timer drops a mark into the device's work queue where an op starts and where it ends (a CUDA
event recorded on the current stream) and turns marks into times only when the profile is
read: one synchronisation for the whole run, none per op, so profiling does not serialise the
GPU. A device time is the stream's time between an op's two marks: its kernels, and any wait
for the host to launch them.

The profiler sees only this small interface. `CupyTimer` works on a real GPU; `FakeDeviceTimer`
gives deterministic times, so that the sums, the table's CUDA columns and the trace's device
track are tested on machines without one.
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import device as _device

__all__ = ["CupyTimer", "DeviceTimer", "FakeDeviceTimer", "make_device_timer"]


class DeviceTimer:
    """What the profiler asks of a device timer."""

    track_name = "cuda"  # the trace track its events go on

    def wants(self, args) -> bool:
        """Whether an op on these operands runs on the device (and is to be timed there)."""
        raise NotImplementedError

    def start(self) -> None:
        """Mark the start of profiling: the zero of every time `elapsed_us` gives."""
        raise NotImplementedError

    def mark(self):
        """A mark at this point of the device's work (any object; the profiler keeps it)."""
        raise NotImplementedError

    def elapsed_us(self, marks: list) -> np.ndarray:
        """µs from the start mark to each mark (NaN for None), once profiling has ended."""
        raise NotImplementedError


class CupyTimer(DeviceTimer):
    """CUDA events on the current stream of the device current when profiling starts."""

    def __init__(self, cupy):
        self._cp = cupy
        self._ndarray = cupy.ndarray
        self._event = cupy.cuda.Event  # timing is on by default
        self._ref = None
        self.device_index = cupy.cuda.Device().id
        self.track_name = f"cuda:{self.device_index} stream {cupy.cuda.get_current_stream().ptr}"

    def wants(self, args) -> bool:
        nd = self._ndarray
        return any(isinstance(getattr(a, "_data", None), nd) for a in args)

    def start(self) -> None:
        self._ref = self._event()
        self._ref.record()

    def mark(self):
        e = self._event()
        e.record()
        return e

    def elapsed_us(self, marks: list) -> np.ndarray:
        out = np.full(len(marks), np.nan)
        if self._ref is None or not any(m is not None for m in marks):
            return out
        cuda = self._cp.cuda
        cuda.runtime.deviceSynchronize()  # the one wait, for every mark at once
        ref, elapsed = self._ref, cuda.get_elapsed_time
        error = getattr(cuda.runtime, "CUDARuntimeError", RuntimeError)
        for i, m in enumerate(marks):
            if m is not None:
                try:
                    out[i] = elapsed(ref, m)
                except error:  # a mark on another device than the start's: no time
                    pass
        return out * 1000.0  # CUDA reports milliseconds


class FakeDeviceTimer(DeviceTimer):
    """Deterministic device times for tests: the k-th mark lies k * `step_us` after the start.

    By default every op with a Tensor operand counts as a device op; `wants` overrides that.
    """

    track_name = "cuda:0 stream 7"

    def __init__(self, step_us=1.0, wants=None):
        self.step_us = step_us
        self._wants = wants
        self._count = itertools.count(1)

    def wants(self, args) -> bool:
        if self._wants is not None:
            return self._wants(args)
        return any(hasattr(a, "_data") for a in args)

    def start(self) -> None:
        self._count = itertools.count(1)

    def mark(self):
        return next(self._count)  # atomic under the GIL: threads may mark at once

    def elapsed_us(self, marks: list) -> np.ndarray:
        k = np.array([np.nan if m is None else m for m in marks], dtype=np.float64)
        return k * self.step_us


def make_device_timer() -> DeviceTimer | None:
    """The timer for `use_cuda=True`, or None where no GPU can be used (the profiler warns)."""
    if not _device.cuda.is_available():
        return None
    return CupyTimer(_device._load_cupy())
