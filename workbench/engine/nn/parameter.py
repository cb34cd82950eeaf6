"""`nn.Parameter`: a Tensor that a Module registers as a parameter; `nn.Buffer` likewise for state.

A Parameter shares its data (and version counter) with the tensor it was made from, as
PyTorch's does. Ops never produce Parameters: every op builds plain Tensors (`Tensor._make`), so
`p * 2`, `p.detach()` and `p.data` are plain Tensors, as in PyTorch.
"""

from __future__ import annotations

from ..creation import empty
from ..tensor import Tensor, _repr, _shared_vc

__all__ = ["Parameter", "Buffer"]


def _typename(obj) -> str:
    """`torch.typename`: legacy tensor type names for tensors, the qualified name otherwise."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in (None, "builtins") else f"{module}.{name}"


class Parameter(Tensor):
    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(
                f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}"
            )
        if requires_grad and data._data.dtype.kind != "f":
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        p = object.__new__(cls)
        p._data = data._data
        p._requires_grad = bool(requires_grad)
        p._grad_fn = None
        p._output_nr = 0
        p._vc = _shared_vc(data)  # the same storage: in-place changes are seen by both
        return p

    def __init__(self, data=None, requires_grad=True):
        pass  # everything is done in __new__; Tensor.__init__ is the legacy constructor

    def __repr__(self, *, tensor_contents=None):
        return _repr(self, is_parameter=True)

    def __deepcopy__(self, memo):
        # PyTorch copies the data and requires_grad only; .grad is not carried over
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(Tensor._make(self._data.copy()), self._requires_grad)
        memo[id(self)] = result
        return result


class _BufferMeta(type):
    def __instancecheck__(cls, instance):
        return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """`nn.Buffer(data, persistent=True)`: a plain Tensor marked to be registered as a buffer."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = empty(0)
        t = data.detach()
        t._requires_grad = data._requires_grad
        t.persistent = persistent
        t._is_buffer = True
        return t
