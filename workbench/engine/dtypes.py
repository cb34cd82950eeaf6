"""dtype objects named like PyTorch's, and PyTorch's type-promotion rules.

NumPy's promotion differs from PyTorch's where categories mix (int64 + float32 is float64 in
NumPy, float32 in PyTorch) and for 0-d tensors, which PyTorch treats like Python scalars. Every
op that combines operands asks `result_type` here, so the rules live in one place.
"""

from __future__ import annotations

import numpy as np

# Python's own types, kept before this module shadows their names with PyTorch's dtypes.
_py_float, _py_int, _py_bool = float, int, bool

__all__ = [
    "dtype",
    "float32",
    "float",
    "float64",
    "double",
    "float16",
    "half",
    "int64",
    "long",
    "int32",
    "int",
    "int16",
    "short",
    "int8",
    "uint8",
    "bool",
    "get_default_dtype",
    "set_default_dtype",
    "promote_types",
    "result_type",
    "is_floating_point",
]


class dtype:
    """A PyTorch-style dtype; `np` is the NumPy dtype that stores it."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_rank", "_kind")

    def __init__(self, name, np_dtype, kind, rank):
        self.name = name
        self.np = np.dtype(np_dtype)
        self._kind = kind  # 0 bool, 1 integer, 2 floating: PyTorch promotes across these first
        self._rank = rank
        self.is_floating_point = kind == 2
        self.is_signed = self.np.kind != "u" and kind != 0
        self.itemsize = self.np.itemsize

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):
        return self.name


bool = dtype("bool", np.bool_, 0, 0)  # noqa: A001 - PyTorch's public name
uint8 = dtype("uint8", np.uint8, 1, 1)
int8 = dtype("int8", np.int8, 1, 1)
int16 = short = dtype("int16", np.int16, 1, 2)
int32 = int = dtype("int32", np.int32, 1, 3)  # noqa: A001
int64 = long = dtype("int64", np.int64, 1, 4)
float16 = half = dtype("float16", np.float16, 2, 1)
float32 = float = dtype("float32", np.float32, 2, 2)  # noqa: A001
float64 = double = dtype("float64", np.float64, 2, 3)

_ALL = (bool, uint8, int8, int16, int32, int64, float16, float32, float64)
_BY_NP = {d.np: d for d in _ALL}
_BY_NP_TYPE = {d.np.type: d for d in _ALL}


def from_numpy_dtype(np_dtype) -> dtype:
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types "
            "are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def to_dtype(d) -> dtype:
    """Accept our dtype, a NumPy dtype, or Python's float/int/bool types."""
    if d.__class__ is dtype:
        return d
    if d is _py_float:
        return _default[0]
    if d is _py_int:
        return int64
    if d is _py_bool:
        return bool
    return from_numpy_dtype(d)


_default = [float32]


def get_default_dtype() -> dtype:
    return _default[0]


def set_default_dtype(d) -> None:
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d!r}")
    _default[0] = d


def is_floating_point(d: dtype) -> _py_bool:
    return d.is_floating_point


def promote_types(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a._kind != b._kind:
        return a if a._kind > b._kind else b
    if a._kind == 1 and (a is uint8) != (b is uint8):
        # uint8 with a signed type: NumPy and PyTorch agree (int16 for int8, else the wider one)
        return _BY_NP[np.promote_types(a.np, b.np)]
    return a if a._rank >= b._rank else b


def _scalar_kind(x) -> _py_int:
    if x.__class__ is _py_bool:
        return 0
    if x.__class__ is _py_int:
        return 1
    return 2


def result_type(*operands) -> dtype:
    """PyTorch's three-tier promotion: tensors with dims, then 0-d tensors, then Python scalars.

    A lower tier only matters when its category (bool < integer < floating) is higher than
    everything above it; a float scalar with an integer tensor gives the default float dtype.
    """
    dim_t = zero_t = None
    scalar_kind = -1
    for x in operands:
        dt = getattr(x, "dtype", None)
        if dt.__class__ is dtype:
            if x.ndim:
                dim_t = dt if dim_t is None else promote_types(dim_t, dt)
            else:
                zero_t = dt if zero_t is None else promote_types(zero_t, dt)
        elif isinstance(x, np.ndarray):
            d = from_numpy_dtype(x.dtype)
            dim_t = d if dim_t is None else promote_types(dim_t, d)
        else:
            scalar_kind = max(scalar_kind, _scalar_kind(x))
    result = dim_t
    if zero_t is not None:
        if result is None or zero_t._kind > result._kind:
            result = zero_t
    if scalar_kind >= 0 and (result is None or scalar_kind > result._kind):
        result = (bool, int64, _default[0])[scalar_kind]
    return result
