"""Devices: `cpu` arrays are NumPy's, `cuda` arrays are CuPy's (an optional extra).

Every op reaches its array functions through the tensor's array module (`xp`), so a single code
path serves both devices; this module is the only place that knows how to find CuPy.
"""

from __future__ import annotations

import numpy as np

__all__ = ["device", "array_module", "cuda"]


class device:
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002 - PyTorch's parameter name
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments: {type!r}")
        if ":" in type:
            type, _, idx = type.partition(":")
            if not idx.isdigit() or index is not None:
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda"):
            raise RuntimeError(
                "Expected one of cpu, cuda device type at start of device string: " + type
            )
        if type == "cuda" and index is None:
            index = None
        self.type = type
        self.index = index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"


CPU = device("cpu")
_CUDA0 = device("cuda", 0)

_cupy = None
_cupy_checked = False


def _load_cupy():
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy

            if cupy.cuda.runtime.getDeviceCount() > 0:
                _cupy = cupy
        except Exception:  # no CuPy, no driver or no GPU: the engine runs on NumPy alone
            _cupy = None
    return _cupy


def array_module(dev: device):
    if dev.type == "cpu":
        return np
    cp = _load_cupy()
    if cp is None:
        raise AssertionError("Torch not compiled with CUDA enabled")
    return cp


def device_of_array(arr) -> device:
    if isinstance(arr, np.ndarray) or _cupy is None:
        return CPU
    return device("cuda", arr.device.id)


def to_device_array(arr, dev: device):
    """Move an array between host and device memory (a no-op when it is already there)."""
    if dev.type == "cpu":
        if isinstance(arr, np.ndarray):
            return arr
        return arr.get()
    cp = array_module(dev)
    with cp.cuda.Device(dev.index or 0):
        return cp.asarray(arr)


def normalize(dev) -> device:
    if dev is None:
        return CPU
    d = dev if isinstance(dev, device) else device(dev)
    if d.type == "cuda" and d.index is None:
        return _CUDA0
    return d


class _Cuda:
    """`torch.cuda`: availability and device count, answered by CuPy when it is installed."""

    @staticmethod
    def is_available() -> bool:
        return _load_cupy() is not None

    @staticmethod
    def device_count() -> int:
        cp = _load_cupy()
        return 0 if cp is None else cp.cuda.runtime.getDeviceCount()

    @staticmethod
    def current_device() -> int:
        cp = array_module(_CUDA0)
        return cp.cuda.Device().id

    @staticmethod
    def synchronize(dev=None) -> None:
        cp = _load_cupy()
        if cp is not None:
            cp.cuda.Stream.null.synchronize()

    @staticmethod
    def get_device_name(dev=None) -> str:
        cp = array_module(_CUDA0)
        props = cp.cuda.runtime.getDeviceProperties(0)
        name = props["name"]
        return name.decode() if isinstance(name, bytes) else name

    @staticmethod
    def manual_seed(seed: int) -> None:
        cp = _load_cupy()
        if cp is not None:
            cp.random.seed(seed)

    manual_seed_all = manual_seed


cuda = _Cuda()
