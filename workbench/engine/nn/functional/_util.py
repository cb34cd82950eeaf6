"""Helpers shared by the functional families: array module, argument tuples, reductions."""

from __future__ import annotations

import warnings

import numpy as np

from ...autograd import function as _f

_NAMES = {
    "float32": "float",
    "float64": "double",
    "float16": "c10::Half",
    "int64": "long",
    "int32": "int",
    "int16": "short",
    "int8": "signed char",
    "uint8": "unsigned char",
    "bool": "bool",
}


def xp_of(a):
    """The array module (numpy or cupy) that array `a` belongs to."""
    if a.__class__ is np.ndarray:
        return np
    return _f.Tensor._make(a)._xp


def tensor_like(data, ref):
    """A constant Tensor from an array (or number) on `ref`'s device with `ref`'s float dtype."""
    xp = ref._xp
    return _f.Tensor._make(xp.asarray(data, dtype=ref._data.dtype))


def add_at(xp, out, index, values):
    """out[index] += values with repeated indices accumulating (NumPy's and CuPy's add.at;
    cupyx.scatter_add on CuPy versions before add.at)."""
    if xp is np or hasattr(xp.add, "at"):
        xp.add.at(out, index, values)
    else:
        import cupyx

        cupyx.scatter_add(out, index, values)


def ntuple(x, n, name="kernel_size"):
    if isinstance(x, (tuple, list)):
        if len(x) == 1:
            return tuple(x) * n
        return tuple(int(v) for v in x)
    return (int(x),) * n


def reduce(loss, reduction):
    """Apply `reduction` to an elementwise loss made of Tensor ops."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def check_reduction(reduction, size_average=None, reduce=None):
    """PyTorch's legacy size_average/reduce flags folded into `reduction`, then validated."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = ("mean" if size_average else "sum") if reduce else "none"
        warnings.warn(
            "size_average and reduce args will be deprecated, please use "
            f"reduction='{reduction}' instead.",
            UserWarning,
            stacklevel=3,
        )
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def require_float(t, kernel):
    """PyTorch's float-only kernels reject integer tensors with this message."""
    if t._data.dtype.kind != "f":
        name = _f._TYPE_NAMES[t._data.dtype.name]
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{name}'")


def c_type_name(t) -> str:
    """The C++ scalar name PyTorch prints in some dtype errors (float, double, long)."""
    return _NAMES[t._data.dtype.name]
