"""Conversions: dtype and device moves (`to`), `clone`, `contiguous`, the type-cast shorthands."""

from __future__ import annotations

from .. import dtypes as _dt
from ..autograd.function import Op
from ..device import device as _device_cls
from ..device import normalize, to_device_array

__all__ = ["clone"]


class ToCopy(Op):
    @staticmethod
    def forward(ctx, a, dtype=None, device=None):
        from ..device import device_of_array

        ctx.src_dtype = a.dtype
        ctx.src_device = device_of_array(a)
        out = a
        if device is not None:
            out = to_device_array(out, device)
        if dtype is not None and out.dtype != dtype:
            out = out.astype(dtype)
        if out is a:
            out = a.copy()
        return out

    @staticmethod
    def backward(ctx, grad):
        dev = ctx.src_device if grad.device != ctx.src_device else None
        dt = _dt.from_numpy_dtype(ctx.src_dtype)
        return grad.to(device=dev, dtype=dt)


class Clone(Op):
    @staticmethod
    def forward(ctx, a, memory_format=None):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


def clone(input, *, memory_format=None):
    return Clone.apply(input)


def _parse_to(args, kwargs):
    """Tensor.to(dtype) / to(device, dtype) / to(other) / to(device=..., dtype=...)."""
    dtype = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for a in args:
        if isinstance(a, _dt.dtype) or a in (float, int, bool):
            dtype = a
        elif isinstance(a, (str, _device_cls)):
            dev = a
        elif hasattr(a, "_data"):
            dtype, dev = a.dtype, a.device
        elif a is not None:
            raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
    dtype = None if dtype is None else _dt.to_dtype(dtype)
    dev = None if dev is None else normalize(dev)
    return dtype, dev, copy


class ConversionMethods:
    __slots__ = ()

    def to(self, *args, **kwargs):
        dtype, dev, copy = _parse_to(args, kwargs)
        same_dtype = dtype is None or dtype is self.dtype
        same_dev = dev is None or dev == self.device
        if same_dtype and same_dev and not copy:
            return self
        return ToCopy.apply(
            self, dtype=None if same_dtype else dtype.np, device=None if same_dev else dev
        )

    def type(self, dtype=None):
        if dtype is None:
            from ..autograd.function import legacy_type_name

            return legacy_type_name(self)
        return self.to(dtype)

    def type_as(self, other):
        return self.to(other.dtype)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to(
            _device_cls("cuda", device) if isinstance(device, int) else (device or "cuda")
        )

    def float(self):
        return self.to(_dt.float32)

    def double(self):
        return self.to(_dt.float64)

    def half(self):
        return self.to(_dt.float16)

    def short(self):
        return self.to(_dt.int16)

    def data_ptr(self) -> int:
        """The address of the first element (NumPy's or CuPy's buffer)."""
        d = self._data
        return d.ctypes.data if hasattr(d, "ctypes") else d.data.ptr

    def long(self):
        return self.to(_dt.int64)

    def int(self):
        return self.to(_dt.int32)

    def bool(self):
        return self.to(_dt.bool)

    def clone(self, *, memory_format=None):
        return clone(self)

    def contiguous(self, memory_format=None):
        return self
