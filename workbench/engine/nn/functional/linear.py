"""`linear`: x @ W.T + b as one fused op (one BLAS call forward, three in backward)."""

from __future__ import annotations

import numpy as np

from ...autograd import function as _fn
from ...autograd.function import Op, Tensor
from ...autograd.grad_mode import enabled_var as _enabled_var
from ...autograd.grad_mode import state as _grad_state
from ._util import c_type_name

__all__ = ["linear"]

_add_reduce = np.add.reduce
_add = np.add


def _blas_name():
    try:
        return np.__config__.CONFIG["Build Dependencies"]["blas"]["name"]
    except (AttributeError, KeyError, TypeError):
        return ""


# OpenBLAS multiplies a short, wide batch by a transposed weight (x @ W.T, 5 to 48 rows)
# through a kernel that takes up to twice as long as the same product computed the other way
# round, (W @ x.T).T, plus a copy back to row-major order: measured on OpenBLAS 0.3.31
# (NumPy's own wheels), float32, across 100-1000 features. Other BLAS libraries keep the
# direct product.
_ROUTE_AROUND_NT = "openblas" in _blas_name().lower()


def _route_around_nt(x, w):
    """Whether x @ w.T (x 2-D) is quicker as (w @ x.T).T here."""
    m = x.shape[0]
    if _ROUTE_AROUND_NT and 4 < m <= 48 and x.__class__ is np.ndarray:  # cheap tests first
        n, k = w.shape
        return n >= 100 and k >= 100 and m * n * k >= 1_000_000 and x.dtype == np.float32
    return False


def _matmul_wt(x, w):
    """x @ w.T for a 2-D x, by whichever BLAS call is quicker for the shape."""
    if _route_around_nt(x, w):
        return np.ascontiguousarray((w @ x.T).T)
    return x @ w.T


def _affine(x, w, b):
    if x.ndim == 2:
        if not _route_around_nt(x, w):
            out = x @ w.T
        elif b is None:
            return np.ascontiguousarray((w @ x.T).T)
        else:  # the bias added in the pass that copies the product back to row-major order
            return _add((w @ x.T).T, b, order="C")
    elif x.ndim == 1:
        out = w @ x
    else:  # fold the batch dims into one, so it is a single matrix product
        out = _matmul_wt(x.reshape(-1, x.shape[-1]), w).reshape(x.shape[:-1] + (w.shape[0],))
    if b is not None:
        out += b  # in place: out is a fresh array
    return out


class Addmm(Op):
    """x @ W.T + b; PyTorch names the node after the addmm it runs (AddmmBackward0)."""

    array_backward = True  # a first-order pass hands it arrays: three BLAS calls, no wrappers

    @staticmethod
    def forward(ctx, x, w, b=None):
        ctx.save_for_backward(x, w)
        return _affine(x, w, b)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        if grad.__class__ is not Tensor:  # array mode (a first-order pass)
            return _backward_arrays(x, w, grad, need)
        if not _grad_state.enabled:  # Tensors but no create_graph (a hook on the node)
            return tuple(
                g if g is None else Tensor._make(g)
                for g in _backward_arrays(x._data, w._data, grad._data, need)
            )
        gx = gw = gb = None
        if x.ndim == 1:
            if need[0]:
                gx = grad.matmul(w)
            if need[1]:
                gw = grad.unsqueeze(1) * x
            if len(need) > 2 and need[2]:
                gb = grad
            return (gx, gw, gb)[: len(need)]
        g2 = grad if grad.ndim == 2 else grad.reshape(-1, grad.shape[-1])
        if need[0]:
            gx = g2.matmul(w)
            if x.ndim != 2:
                gx = gx.reshape(x.shape)
        if need[1]:
            x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
            gw = g2.t().matmul(x2)
        if len(need) > 2 and need[2]:
            gb = g2.sum(0)
        return (gx, gw, gb)[: len(need)]


def _backward_arrays(x, w, g, need):
    if x.ndim == 1:  # a single sample: an outer product, not a matrix product
        gx = g @ w if need[0] else None
        gw = g[:, None] * x if need[1] else None
        gb = g if len(need) > 2 and need[2] else None
        return (gx, gw, gb)[: len(need)]
    g2 = g if g.ndim == 2 else g.reshape(-1, w.shape[0])
    gx = gw = None
    if need[0]:
        gx = g2 @ w
        if x.ndim != 2:
            gx = gx.reshape(x.shape)
    if need[1]:
        gw = g2.T @ (x if x.ndim == 2 else x.reshape(-1, w.shape[1]))
    if len(need) == 2:
        return gx, gw
    gb = None
    if need[2]:  # NumPy's ufunc directly: ndarray.sum's wrapper costs a third
        gb = _add_reduce(g2, 0) if g2.__class__ is np.ndarray else g2.sum(0)
    return gx, gw, gb


class Mm(Addmm):
    """x @ W.T without a bias (MmBackward0)."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return _affine(x, w, None)


def linear(input, weight, bias=None):
    # the usual case, checked on the arrays' own shapes (cheaper than Size objects)
    x, w = input._data, weight._data
    ws = w.shape  # (ndarray.shape builds a tuple each time)
    dt = x.dtype
    if x.ndim and len(ws) == 2 and x.shape[-1] == ws[1] and (w.dtype is dt or w.dtype == dt):
        if bias is None:
            if (
                (input._requires_grad or weight._requires_grad)
                and x.__class__ is w.__class__  # one device: no device error to report
                and not _fn.observers
                and _enabled_var.get()
            ):
                return _fn.record_exact(Mm, _affine(x, w, None), input, weight)
            return Mm.apply(input, weight)
        b = bias._data
        if b.ndim == 1 and b.shape[0] == ws[0] and (b.dtype is dt or b.dtype == dt):
            if (
                (input._requires_grad or weight._requires_grad or bias._requires_grad)
                and x.__class__ is w.__class__ is b.__class__
                and not _fn.observers
                and _enabled_var.get()
            ):
                # the training case, recorded without the general dispatch's checks
                return _fn.record_exact(Addmm, _affine(x, w, b), input, weight, bias)
            out = Addmm.apply(input, weight, bias)
            node = out._grad_fn
            if node is not None:
                # every gradient comes back in its input's own shape and dtype (checked just
                # above), so the engine may skip its unbroadcast-and-cast pass for this node
                node._in_meta = None
            return out
    return _linear_checked(input, weight, bias)


def _linear_checked(input, weight, bias):
    """`linear` with every check and PyTorch's message for each."""
    if input.ndim == 0 or weight.ndim == 0:
        raise RuntimeError(
            f"both arguments to linear need to be at least 1D, but they are {input.ndim}D and "
            f"{weight.ndim}D"
        )
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {c_type_name(input)} != "
            f"{c_type_name(weight)}"
        )
    if weight.ndim == 1:  # a vector of weights: a plain dot product, rare enough to compose
        out = input.matmul(weight)
        return out if bias is None else out + bias
    if input.shape[-1] != weight.shape[1]:
        rows = input.numel() // max(input.shape[-1], 1) if input.ndim > 1 else 1
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
            f"{weight.shape[1]}x{weight.shape[0]})"
        )
    if bias is None:
        return Mm.apply(input, weight)
    if bias.ndim > 1 or (bias.ndim == 1 and bias.shape[0] not in (1, weight.shape[0])):
        out_shape = list(input.shape[:-1]) + [weight.shape[0]]
        raise RuntimeError(
            f"The expanded size of the tensor ({weight.shape[0]}) must match the existing size "
            f"({bias.shape[-1]}) at non-singleton dimension {len(out_shape) - 1}.  Target sizes: "
            f"{out_shape}.  Tensor sizes: {list(bias.shape)}"
        )
    if bias._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {c_type_name(bias)} != "
            f"{c_type_name(input)}"
        )
    return Addmm.apply(input, weight, bias)
