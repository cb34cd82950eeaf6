"""Helpers shared by the op families: operand promotion and dimension arguments."""

from __future__ import annotations

from .. import dtypes as _dt
from ..autograd import function as _f


def is_tensor(x) -> bool:
    return isinstance(x, _f.Tensor)


def promote(a, b, *, floating=False):
    """Cast the operands of a binary op to PyTorch's result dtype (differentiably).

    `floating` forces a floating result (true division). Python scalars stay scalars: NumPy's
    weak-scalar rules then agree with PyTorch's.
    """
    T = _f.Tensor
    ta, tb = isinstance(a, T), isinstance(b, T)
    if ta and tb and a._data.dtype == b._data.dtype and (not floating or a._data.dtype.kind == "f"):
        return a, b
    dt = _dt.result_type(a, b)
    if floating and not dt.is_floating_point:
        dt = _dt.get_default_dtype()
    if ta and a._data.dtype != dt.np:
        a = a.to(dt)
    if tb and b._data.dtype != dt.np:
        b = b.to(dt)
    if not ta and not isinstance(a, (int, float, bool)):
        raise TypeError(f"unsupported operand type: {type(a).__name__}")
    if not tb and not isinstance(b, (int, float, bool)):
        raise TypeError(f"unsupported operand type: {type(b).__name__}")
    return a, b


def as_operand(x):
    """Python numbers stay numbers; NumPy arrays and lists become Tensors."""
    if isinstance(x, (_f.Tensor, int, float, bool)):
        return x
    from ..creation import as_tensor

    return as_tensor(x)


def wrap_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


def dims_tuple(dim, ndim: int):
    """Normalise `dim` (None, int, or a sequence) into a sorted tuple of axes, or None for all."""
    if dim is None:
        return None
    if isinstance(dim, int):
        return (wrap_dim(dim, ndim),)
    dims = tuple(wrap_dim(d, ndim) for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
    return tuple(sorted(dims))
