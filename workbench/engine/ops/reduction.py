"""Reductions: sum, mean, prod, max/min, var/std, norm, logsumexp, cumsum, argmax/argmin.

Also `sum_to`, the one place broadcasting is undone. A reduction's backward puts the reduced dims
back (size 1) and lets broadcasting spread the gradient over them.
"""

from __future__ import annotations

import builtins
import math
import warnings

import numpy as np

from ..autograd import function as _f
from ..autograd.function import _TYPE_NAMES, Op
from ._util import dims_tuple, wrap_dim

_add_reduce = np.add.reduce

__all__ = [
    "sum",
    "mean",
    "prod",
    "max",
    "min",
    "amax",
    "amin",
    "var",
    "std",
    "norm",
    "logsumexp",
    "cumsum",
    "argmax",
    "argmin",
    "sum_to",
    "all",
    "any",
    "softmax",
    "log_softmax",
]


def _xp(a):
    return np if a.__class__ is np.ndarray else _f.Tensor._make(a)._xp


def _const(arr):
    """A constant (no history) Tensor around an array that a backward formula computed."""
    return _f.Tensor._make(arr)


def grad_fn_name(name):
    """Give an op's grad_fn PyTorch's name where it is not <Op>Backward0 (e.g. SumBackward1)."""

    def rename(op):
        op._backward_cls.__name__ = op._backward_cls.__qualname__ = name
        return op

    return rename


def _kept_shape(shape, dims):
    """The shape a reduction over `dims` (None: all) has with keepdim=True."""
    return tuple(1 if dims is None or i in dims else s for i, s in enumerate(shape))


def _kept(t, in_shape, dims, keepdim):
    """A reduction's output (or its gradient; a Tensor or an array) with reduced dims kept."""
    if keepdim or (dims is None and not t.ndim):
        return t  # a full reduction's scalar broadcasts as it is
    return t.reshape(_kept_shape(in_shape, dims))


def _reduced_shape(shape, dims, keepdim):
    if keepdim:
        return _kept_shape(shape, dims)
    return () if dims is None else tuple(s for i, s in enumerate(shape) if i not in dims)


def _reduced_dims(dim, input):
    """`dim` as a sorted tuple of axes, or None for all: `()` and 0-d inputs reduce everything."""
    dims = dims_tuple(dim, input.ndim)
    return dims if dims and input.ndim else None


def _count(shape, dims):
    return math.prod(shape if dims is None else [shape[d] for d in dims])


def _int64_if_integral(out, a, dtype):
    if dtype is None and a.dtype.kind in "bui":
        return out.astype("int64", copy=False)  # PyTorch sums and multiplies integers as int64
    return out


def _np_dtype(dtype):
    return None if dtype is None else dtype.np


# ----- sum, mean, prod -----------------------------------------------------------------------


def expand_to(g, shape):
    """`expand` for backward formulas: Tensors normally, raw arrays in an array-mode backward
    (where it is a read-only broadcast view, as NumPy's or CuPy's broadcast_to gives)."""
    if g.__class__ is np.ndarray and (not g.ndim or g.flags.c_contiguous and g.ndim == len(shape)):
        # the view built directly: np.broadcast_to's argument handling costs ~5x more, and a
        # reduction's gradient (every loss's first backward step) always comes here
        if not g.ndim:  # a full reduction's: the one value everywhere
            strides = (0,) * len(shape)
        else:
            strides = tuple(
                0 if n == 1 and m != 1 else st for n, m, st in zip(g.shape, shape, g.strides)
            )
        v = np.ndarray(shape, g.dtype, g, 0, strides)
        v.flags.writeable = False
        return v
    if isinstance(g, _f.Tensor):
        return g.expand(shape)
    return _xp(g).broadcast_to(g, shape)


class Sum(Op):
    array_backward = True
    input_shaped_grad = True  # expand_to(..., in_shape)

    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False, dtype=None):
        ctx.in_shape, ctx.dim, ctx.keepdim = a.shape, dim, keepdim
        if a.__class__ is np.ndarray and a.dtype.kind == "f":
            return _add_reduce(a, dim, dtype, None, keepdim)  # ndarray.sum's wrapper skipped
        return _int64_if_integral(a.sum(axis=dim, keepdims=keepdim, dtype=dtype), a, dtype)

    @staticmethod
    def backward(ctx, grad):
        if ctx.dim is None and not ctx.keepdim:  # a full sum: its scalar broadcasts as it is
            return expand_to(grad, ctx.in_shape)
        return expand_to(_kept(grad, ctx.in_shape, ctx.dim, ctx.keepdim), ctx.in_shape)


@grad_fn_name("SumBackward1")
class SumDim(Sum):
    pass


def sum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A001 - PyTorch's name
    if dim is None and not keepdim and dtype is None:
        return _f.apply_unary(Sum, input)  # a loss's full sum: forward's defaults, no options
    op = Sum if dim is None else SumDim
    return op.apply(input, dim=_reduced_dims(dim, input), keepdim=keepdim, dtype=_np_dtype(dtype))


class Mean(Op):
    array_backward = True

    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False, dtype=None):
        ctx.in_shape, ctx.dim, ctx.keepdim = a.shape, dim, keepdim
        # a sum and a division: quicker than NumPy's mean; float16 accumulates in float32
        acc = dtype or (np.float32 if a.dtype == np.float16 else None)
        n = _count(a.shape, dim)
        out = a.sum(axis=dim, keepdims=keepdim, dtype=acc)
        out = out / n if n else out * np.nan  # the mean of nothing is nan, without a warning
        return out.astype(dtype or a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        n = _count(ctx.in_shape, ctx.dim)
        return expand_to(_kept(grad, ctx.in_shape, ctx.dim, ctx.keepdim) / n, ctx.in_shape)


@grad_fn_name("MeanBackward1")
class MeanDim(Mean):
    pass


def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is None and not input.dtype.is_floating_point:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {_TYPE_NAMES[input.dtype.name]}"
        )
    op = Mean if dim is None else MeanDim
    return op.apply(input, dim=_reduced_dims(dim, input), keepdim=keepdim, dtype=_np_dtype(dtype))


class Prod(Op):
    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False, dtype=None):
        ctx.in_shape, ctx.dim, ctx.keepdim = a.shape, dim, keepdim
        out = _int64_if_integral(a.prod(axis=dim, keepdims=keepdim, dtype=dtype), a, dtype)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        shape, dims, keepdim = ctx.in_shape, ctx.dim, ctx.keepdim
        grad, out = _kept(grad, shape, dims, keepdim), _kept(out, shape, dims, keepdim)
        return grad * _prod_of_others(a, out, dims)


def _prod_of_others(a, out, dims):
    """d prod / d a_i: the product of the other elements, differentiable again even at zeros.

    Without zeros it is out / a. Otherwise, with p the product of a slice's non-zero elements
    and xz the sum of its zeros (value 0, but it carries their derivative): a slice with one
    zero k gives p at k and p * x_k / x_i elsewhere; two zeros k, l give p * x_l at k; more, 0.
    """
    from .elementwise import where

    zero = a._data == 0
    if not zero.any():
        return out / a
    z = _const(zero)
    count = zero.sum(axis=dims, keepdims=True)
    none, one, two = (_const((count == n).astype(a._data.dtype)) for n in (0, 1, 2))
    nonzero = where(z, 1.0, a)
    p = Prod.apply(nonzero, dim=dims, keepdim=True)
    xz = sum(a * z, dims, keepdim=True)
    at_zero = p * (one + two * (xz - a))
    elsewhere = p / nonzero * (none + one * xz)
    return where(z, at_zero, elsewhere)


@grad_fn_name("ProdBackward1")
class ProdDim(Prod):
    pass


def prod(input, dim=None, keepdim=False, *, dtype=None):
    if dim is None:
        return Prod.apply(input, dim=None, keepdim=False, dtype=_np_dtype(dtype))
    if not isinstance(dim, int):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    return ProdDim.apply(
        input, dim=_reduced_dims(dim, input), keepdim=keepdim, dtype=_np_dtype(dtype)
    )


# ----- max, min, amax, amin ------------------------------------------------------------------


class Amax(Op):
    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False, smallest=False):
        ctx.in_shape, ctx.dim, ctx.keepdim = a.shape, dim, keepdim
        out = (a.min if smallest else a.max)(axis=dim, keepdims=keepdim)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        """The gradient is shared evenly among tied extremes, as PyTorch does."""
        a, out = ctx.saved_tensors
        shape, dims, keepdim = ctx.in_shape, ctx.dim, ctx.keepdim
        ad, od = a._data, _kept(out._data, shape, dims, keepdim)
        xp = _xp(ad)
        hit = (ad == od) | (xp.isnan(ad) & xp.isnan(od))  # a NaN extreme is the NaN itself
        share = hit / hit.sum(axis=dims, keepdims=True)
        return _kept(grad, shape, dims, keepdim) * _const(share.astype(ad.dtype, copy=False))


class Amin(Amax):
    pass


@grad_fn_name("MaxBackward1")
class Max(Amax):
    pass


@grad_fn_name("MinBackward1")
class Min(Amax):
    pass


@grad_fn_name("MaxBackward0")
class MaxDim(Op):
    """max(dim) / min(dim): values and the index of the first extreme along one dim."""

    @staticmethod
    def forward(ctx, a, dim, keepdim=False, smallest=False):
        ctx.in_shape, ctx.dim, ctx.keepdim = a.shape, dim, keepdim
        if a.ndim == 0:
            idx = np.zeros((), np.int64) if a.__class__ is np.ndarray else _xp(a).zeros((), "int64")
            ctx.save_for_backward(idx)
            return a.copy(), idx
        idx = (a.argmin if smallest else a.argmax)(axis=dim, keepdims=True)
        values = _xp(a).take_along_axis(a, idx, axis=dim)
        if not keepdim:
            values, idx = values.squeeze(dim), idx.squeeze(dim)
        ctx.save_for_backward(idx)
        return values, idx

    @staticmethod
    def backward(ctx, grad, grad_indices):
        (idx,) = ctx.saved_tensors
        shape, dim = ctx.in_shape, ctx.dim
        if not shape:
            return grad
        idx = _kept(idx._data, shape, (dim,), ctx.keepdim)
        xp = _xp(idx)
        where = xp.arange(shape[dim]).reshape([-1 if i == dim else 1 for i in range(len(shape))])
        onehot = _const((where == idx).astype(grad._data.dtype))
        return _kept(grad, shape, (dim,), ctx.keepdim) * onehot


@grad_fn_name("MinBackward0")
class MinDim(MaxDim):
    pass


class _ValuesIndices(tuple):
    """A (values, indices) pair like torch.return_types.max: a tuple with named fields."""

    __slots__ = ()
    _name = ""

    def __new__(cls, values, indices):
        return tuple.__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self):
        return f"torch.return_types.{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})"


class MaxResult(_ValuesIndices):
    __slots__ = ()
    _name = "max"


class MinResult(_ValuesIndices):
    __slots__ = ()
    _name = "min"


def _check_nonempty(name, input, dim):
    if dim is None and input.numel() == 0:
        raise RuntimeError(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify "
            "the reduction dim with the 'dim' argument."
        )
    if dim is not None and input.ndim:
        for d in dim:
            if input.shape[d] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _max_or_min(name, input, dim, keepdim, smallest):
    if isinstance(dim, _f.Tensor):  # max(a, b): the elementwise maximum
        from . import elementwise

        return (elementwise.minimum if smallest else elementwise.maximum)(input, dim)
    if dim is None:
        _check_nonempty(name, input, None)
        return (Min if smallest else Max).apply(input, dim=None, keepdim=False, smallest=smallest)
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    d = wrap_dim(dim, input.ndim)
    _check_nonempty(name, input, (d,))
    op, result = (MinDim, MinResult) if smallest else (MaxDim, MaxResult)
    return result(*op.apply(input, dim=d, keepdim=keepdim, smallest=smallest))


def max(input, dim=None, keepdim=False):  # noqa: A001 - PyTorch's name
    """max(input) | max(input, dim, keepdim=False) -> (values, indices) | max(input, other)."""
    return _max_or_min("max", input, dim, keepdim, smallest=False)


def min(input, dim=None, keepdim=False):  # noqa: A001 - PyTorch's name
    return _max_or_min("min", input, dim, keepdim, smallest=True)


def _amax_or_amin(name, input, dim, keepdim, smallest):
    dims = _reduced_dims(dim, input)
    _check_nonempty(name, input, dims)
    return (Amin if smallest else Amax).apply(input, dim=dims, keepdim=keepdim, smallest=smallest)


def amax(input, dim=(), keepdim=False):
    return _amax_or_amin("amax", input, dim, keepdim, smallest=False)


def amin(input, dim=(), keepdim=False):
    return _amax_or_amin("amin", input, dim, keepdim, smallest=True)


class Argmax(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False, smallest=False):
        pick = a.argmin if smallest else a.argmax
        if dim is None:
            out = pick()
            return out.reshape((1,) * a.ndim) if keepdim else out
        return pick(axis=dim, keepdims=keepdim) if a.ndim else pick()


class Argmin(Argmax):
    pass


def _arg(name, input, dim, keepdim, smallest):
    if input.dtype.name == "bool":
        raise RuntimeError(f"{name}(): does not support bool input")
    d = None if dim is None else wrap_dim(dim, input.ndim)
    if d is None and input.numel() == 0:
        raise IndexError(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
        )
    if d is not None and input.ndim and input.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    return (Argmin if smallest else Argmax).apply(input, dim=d, keepdim=keepdim, smallest=smallest)


def argmax(input, dim=None, keepdim=False):
    return _arg("argmax", input, dim, keepdim, smallest=False)


def argmin(input, dim=None, keepdim=False):
    return _arg("argmin", input, dim, keepdim, smallest=True)


# ----- var, std ------------------------------------------------------------------------------


def _sum_of_squares(ctx, a, dim, correction, keepdim):
    """Centered sum of squares and the divisor max(N - correction, 0).

    Backward uses N - correction unclamped (ctx.dof), as PyTorch does.
    """
    ctx.in_shape, ctx.dim, ctx.keepdim = a.shape, dim, keepdim
    ctx.dof = _count(a.shape, dim) - correction
    d = a - a.mean(axis=dim, keepdims=True)
    return (d * d).sum(axis=dim, keepdims=keepdim), builtins.max(ctx.dof, 0)


def _divide(total, divisor):
    if divisor == 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            return total / total.dtype.type(0)
    return total / divisor


class Var(Op):
    @staticmethod
    def forward(ctx, a, dim=None, correction=1, keepdim=False):
        ctx.save_for_backward(a)
        return _divide(*_sum_of_squares(ctx, a, dim, correction, keepdim))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        scale = 2 / ctx.dof if ctx.dof else math.inf
        centered = a - mean(a, ctx.dim, keepdim=True)
        return _kept(grad, ctx.in_shape, ctx.dim, ctx.keepdim) * scale * centered


class Std(Op):
    @staticmethod
    def forward(ctx, a, dim=None, correction=1, keepdim=False):
        out = _xp(a).sqrt(_divide(*_sum_of_squares(ctx, a, dim, correction, keepdim)))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        from .elementwise import where

        a, out = ctx.saved_tensors
        out = _kept(out, ctx.in_shape, ctx.dim, ctx.keepdim)
        # where std is 0 every element equals the mean: PyTorch gives 0 there, not nan
        safe = where(out == 0, 1.0, out) * (ctx.dof or math.nan)
        centered = a - mean(a, ctx.dim, keepdim=True)
        return _kept(grad, ctx.in_shape, ctx.dim, ctx.keepdim) / safe * centered


def _var_args(name, input, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # var(unbiased)
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(
            f"{name}() received an invalid combination of arguments: pass either "
            "'unbiased' or 'correction', not both"
        )
    if not input.dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if correction is None:
        correction = 1 if unbiased is None else int(unbiased)
    dims = _reduced_dims(dim, input)
    if _count(input.shape, dims) - correction <= 0:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "reduction factor (input numel divided by output numel).",
            UserWarning,
            stacklevel=3,
        )
    return dict(dim=dims, correction=correction, keepdim=keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return Var.apply(input, **_var_args("var", input, dim, unbiased, keepdim, correction))


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return Std.apply(input, **_var_args("std", input, dim, unbiased, keepdim, correction))


# ----- norm, logsumexp -----------------------------------------------------------------------


class LinalgVectorNorm(Op):
    @staticmethod
    def forward(ctx, a, ord=2, dim=None, keepdim=False):  # noqa: A002 - PyTorch's name
        ctx.in_shape, ctx.dim, ctx.keepdim, ctx.ord = a.shape, dim, keepdim, ord
        xp = _xp(a)
        if ord == 2:
            out = xp.sqrt((a * a).sum(axis=dim, keepdims=keepdim))
        elif ord == 0:
            out = (a != 0).sum(axis=dim, keepdims=keepdim).astype(a.dtype)
        elif ord == 1:
            out = xp.abs(a).sum(axis=dim, keepdims=keepdim)
        elif ord == math.inf:
            out = xp.abs(a).max(axis=dim, keepdims=keepdim)
        elif ord == -math.inf:
            out = xp.abs(a).min(axis=dim, keepdims=keepdim)
        else:
            with np.errstate(divide="ignore"):  # 0 ** negative p is inf, as in PyTorch
                out = (xp.abs(a) ** ord).sum(axis=dim, keepdims=keepdim) ** (1 / ord)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        from .elementwise import where

        p = ctx.ord
        if p == 0:
            return None  # the count of non-zeros is piecewise constant: no gradient, as PyTorch
        a, out = ctx.saved_tensors
        shape, dims, keepdim = ctx.in_shape, ctx.dim, ctx.keepdim
        grad, out = _kept(grad, shape, dims, keepdim), _kept(out, shape, dims, keepdim)
        ad = a._data
        sign = _const(_xp(ad).sign(ad))
        if p == 1:
            return grad * sign
        if p in (math.inf, -math.inf):  # shared evenly among the tied extremes, like max
            hit = _xp(ad).abs(ad) == out._data
            return grad * _const(sign._data * (hit / hit.sum(axis=dims, keepdims=True)))
        # a zero norm (or a zero element, for p < 1) would give 0/0: PyTorch gives 0 there
        zero_norm = out == 0
        if p == 2:
            return a * (grad / where(zero_norm, 1.0, out))
        abs_a = where(a == 0, 1.0, a * sign)
        scale = where(zero_norm, 0.0, grad / where(zero_norm, 1.0, out) ** (p - 1))
        return sign * abs_a ** (p - 1) * scale


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """torch.norm: vector p-norms over `dim` (all elements by default); 'fro' is the 2-norm."""
    if dtype is not None:
        input = input.to(dtype)
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as "
            f"input. Got {_TYPE_NAMES[input.dtype.name]}"
        )
    if isinstance(p, str):
        if p == "nuc":
            raise NotImplementedError("norm(p='nuc'): the nuclear norm is not supported")
        if p != "fro":
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        if dim is not None and not isinstance(dim, int) and len(dim) > 2:
            raise RuntimeError(
                "linalg.matrix_norm: dim must be a 2-tuple. Got " + " ".join(str(d) for d in dim)
            )
        p = 2
    return LinalgVectorNorm.apply(
        input, ord=float(p), dim=_reduced_dims(dim, input), keepdim=keepdim
    )


class Logsumexp(Op):
    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False):
        ctx.in_shape, ctx.dim, ctx.keepdim = a.shape, dim, keepdim
        xp = _xp(a)
        if a.size == 0:
            out = xp.full(_reduced_shape(a.shape, dim, keepdim), -xp.inf, a.dtype)
        else:
            # shifting by the max keeps exp from overflowing; an infinite max is not shifted by
            m = a.max(axis=dim, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)
            with np.errstate(divide="ignore"):
                out = xp.log(xp.exp(a - m).sum(axis=dim, keepdims=True)) + m
            if not keepdim:
                out = out.reshape(_reduced_shape(a.shape, dim, keepdim))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        shape, dims, keepdim = ctx.in_shape, ctx.dim, ctx.keepdim
        with np.errstate(invalid="ignore"):  # an all -inf slice: nan, like PyTorch, quietly
            return _kept(grad, shape, dims, keepdim) * (a - _kept(out, shape, dims, keepdim)).exp()


def logsumexp(input, dim, keepdim=False):
    if not input.dtype.is_floating_point:
        from .. import dtypes

        input = input.to(dtypes.get_default_dtype())
    return Logsumexp.apply(input, dim=_reduced_dims(dim, input), keepdim=keepdim)


# ----- cumsum --------------------------------------------------------------------------------


class Cumsum(Op):
    @staticmethod
    def forward(ctx, a, dim, dtype=None, reverse=False):
        ctx.dim, ctx.reverse = dim, reverse
        if a.ndim == 0:
            return a.astype(dtype or a.dtype)  # a copy, as PyTorch's
        xp = _xp(a)
        if reverse:  # the backward of cumsum: sums from the end
            return xp.flip(xp.cumsum(xp.flip(a, dim), axis=dim, dtype=dtype), dim)
        return xp.cumsum(a, axis=dim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad):
        if grad.ndim == 0:
            return grad
        return Cumsum.apply(grad, dim=ctx.dim, reverse=not ctx.reverse)


def cumsum(input, dim, *, dtype=None):
    d = wrap_dim(dim, input.ndim)
    np_dtype = _np_dtype(dtype)
    if dtype is None and input.dtype.np.kind in "bui":
        np_dtype = np.dtype("int64")
    return Cumsum.apply(input, dim=d, dtype=np_dtype)


# ----- sum_to: undoing broadcasting --------------------------------------------------------


class SumTo(Op):
    """Sums a broadcast gradient back to the shape of the input that was broadcast."""

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        lead = a.ndim - len(shape)
        if lead < 0:
            raise ValueError("cannot sum to a shape with more dims")
        axes = tuple(range(lead)) + tuple(
            i + lead for i, s in enumerate(shape) if s == 1 and a.shape[i + lead] != 1
        )
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


class _Truth(Op):
    """all / any: boolean reductions, no gradient."""

    differentiable = False

    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False, reduce="all"):
        return getattr(a.astype(bool, copy=False), reduce)(axis=dim, keepdims=keepdim)


def all(input, dim=None, keepdim=False):  # noqa: A001 - PyTorch's name
    return _Truth.apply(input, dim=dims_tuple(dim, input.ndim), keepdim=keepdim, reduce="all")


def any(input, dim=None, keepdim=False):  # noqa: A001 - PyTorch's name
    return _Truth.apply(input, dim=dims_tuple(dim, input.ndim), keepdim=keepdim, reduce="any")


def softmax(input, dim, dtype=None):
    from ..nn.functional import softmax as f

    return f(input, dim, dtype=dtype)


def log_softmax(input, dim, dtype=None):
    from ..nn.functional import log_softmax as f

    return f(input, dim, dtype=dtype)


class ReductionMethods:
    __slots__ = ()

    def all(self, dim=None, keepdim=False):
        return all(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return any(self, dim, keepdim)

    def softmax(self, dim, dtype=None):
        return softmax(self, dim, dtype)

    def log_softmax(self, dim, dtype=None):
        return log_softmax(self, dim, dtype)

    def sum(self, dim=None, keepdim=False, *, dtype=None):
        if dim is None and not keepdim and dtype is None:
            return _f.apply_unary(Sum, self)  # a loss's full sum
        return sum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return mean(self, dim, keepdim, dtype=dtype)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return prod(self, dim, keepdim, dtype=dtype)

    def max(self, dim=None, keepdim=False):
        return max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return min(self, dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        return amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return argmin(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return std(self, dim, unbiased, keepdim, correction=correction)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return norm(self, p, dim, keepdim, dtype)

    def logsumexp(self, dim, keepdim=False):
        return logsumexp(self, dim, keepdim)

    def cumsum(self, dim, *, dtype=None):
        return cumsum(self, dim, dtype=dtype)

    def sum_to_size(self, *size):
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        return sum_to(self, size)
