"""Reductions: sum, mean, ... and `sum_to`, the one place broadcasting is undone."""

from __future__ import annotations

from ..autograd.function import Op
from ._util import dims_tuple

__all__ = ["sum", "mean", "sum_to"]


class Sum(Op):
    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False, dtype=None):
        ctx.in_shape = a.shape
        ctx.dim = dim
        ctx.keepdim = keepdim
        out = a.sum(axis=dim, keepdims=keepdim, dtype=dtype)
        if dtype is None and a.dtype.kind in "bui":
            out = out.astype("int64", copy=False)  # PyTorch sums integers and bools as int64
        return out

    @staticmethod
    def backward(ctx, grad):
        if not ctx.keepdim and ctx.dim is not None:
            grad = grad.reshape(_kept_shape(ctx.in_shape, ctx.dim))
        return grad.expand(ctx.in_shape)


def _kept_shape(shape, dims):
    """The shape a reduction over `dims` has with keepdim=True."""
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def sum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A001 - PyTorch's name
    dims = dims_tuple(dim, input.ndim)
    if dims is not None and input.ndim == 0:
        dims = None
    return Sum.apply(input, dim=dims, keepdim=keepdim, dtype=None if dtype is None else dtype.np)


class SumTo(Op):
    """Sums a broadcast gradient back to the shape of the input that was broadcast."""

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        lead = a.ndim - len(shape)
        if lead < 0:
            raise ValueError("cannot sum to a shape with more dims")
        axes = tuple(range(lead)) + tuple(
            i + lead for i, s in enumerate(shape) if s == 1 and a.shape[i + lead] != 1)
        for i, s in enumerate(shape):
            if s != 1 and a.shape[i + lead] != s:
                raise ValueError(f"shape {a.shape} does not broadcast from {shape}")
        out = a.sum(axis=axes, keepdims=True) if axes else a
        return out.reshape(shape) if lead else out

    @staticmethod
    def backward(ctx, grad):
        return grad.expand(ctx.in_shape)


def sum_to(input, shape):
    shape = tuple(shape)
    if input.shape == shape:
        return input
    return SumTo.apply(input, shape=shape)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    if input.dtype.is_floating_point is False and dtype is None:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype.name.capitalize()}")
    dims = dims_tuple(dim, input.ndim)
    n = 1
    for d in (range(input.ndim) if dims is None else dims):
        n *= input.shape[d]
    return sum(input, dim, keepdim, dtype=dtype) / n


class ReductionMethods:
    __slots__ = ()

    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return sum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return mean(self, dim, keepdim, dtype=dtype)

    def sum_to_size(self, *size):
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        return sum_to(self, size)
