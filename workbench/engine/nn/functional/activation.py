"""Activations and (log-)softmax: fused forwards on arrays, backwards in Tensor ops."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ...autograd.function import Op, Tensor
from ...autograd.grad_mode import state as _grad_state
from ...ops._util import wrap_dim
from ...ops.elementwise import relu as _relu_op
from ...ops.elementwise import sigmoid, tanh, where
from ._util import require_float, xp_of

__all__ = [
    "relu",
    "relu_",
    "relu6",
    "leaky_relu",
    "leaky_relu_",
    "elu",
    "elu_",
    "gelu",
    "silu",
    "tanh",
    "sigmoid",
    "softplus",
    "logsigmoid",
    "hardtanh",
    "hardtanh_",
    "softmax",
    "log_softmax",
]

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_TANH_K = math.sqrt(2 / math.pi)
_TANH_C = 0.044715


# ----- erf, which NumPy lacks ---------------------------------------------------------------
# Chebyshev interpolants made once, at import, from math.erf: erf(x)/x as a function of x^2
# for |x| < 2, and x exp(x^2) erfc(x) as a function of 8/x^2 for 2 <= |x| < 6 (beyond 6 erf
# rounds to +-1). Accurate to a few ulp in float64; float32 input gets shorter series.


def _erf_series(deg_small, deg_large):
    def small(t):  # t in [-1, 1] <-> u = x^2 in [0, 4]
        return np.array(
            [
                math.erf(math.sqrt(u)) / math.sqrt(u) if u > 0 else 2 / math.sqrt(math.pi)
                for u in 2 * t + 2
            ]
        )

    def large(t):  # t in [-1, 1] <-> s = 8/x^2 in [2/9, 2]
        x = np.sqrt(8 / ((t + 1) * (8 / 9) + 2 / 9))
        return np.array([v * math.exp(v * v) * math.erfc(v) for v in x])

    cheb = np.polynomial.chebyshev.chebinterpolate
    return cheb(small, deg_small), cheb(large, deg_large)


_ERF_SERIES = {np.dtype(np.float64): _erf_series(18, 22), np.dtype(np.float32): _erf_series(9, 10)}


def _clenshaw(t, c):
    """sum c_k T_k(t), in place on three buffers."""
    t2 = t + t
    b2 = np.full_like(t, c[-1])
    b1 = t2 * c[-1]
    b1 += c[-2]
    tmp = np.empty_like(t)
    for ck in c[-3:0:-1]:
        np.multiply(t2, b1, out=tmp)
        tmp -= b2
        tmp += ck
        b2, b1, tmp = b1, tmp, b2
    np.multiply(t, b1, out=tmp)
    tmp -= b2
    tmp += c[0]
    return tmp


def _erf(a):
    xp = xp_of(a)
    if xp is not np:
        from cupyx.scipy.special import erf

        return erf(a)
    if a.dtype not in _ERF_SERIES:  # float16: through float32
        return _erf(a.astype(np.float32)).astype(a.dtype)
    small, large = (c.astype(a.dtype) for c in _ERF_SERIES[a.dtype])
    ax = np.abs(a)
    near = ax < 2
    if near.all():
        return a * _clenshaw(a * a * 0.5 - 1, small)
    out = np.copysign(np.ones_like(a), a)
    x = a[near]
    out[near] = x * _clenshaw(x * x * 0.5 - 1, small)
    mid = ~near & (ax < 6)
    x = ax[mid]
    t = (8 / (x * x) - 2 / 9) * (9 / 8) - 1
    out[mid] = np.copysign(1 - np.exp(-x * x) / x * _clenshaw(t, large), a[mid])
    out[np.isnan(a)] = np.nan
    return out


# ----- piecewise-linear ------------------------------------------------------------------------


class LeakyRelu(Op):
    @staticmethod
    def forward(ctx, a, negative_slope=0.01):
        ctx.slope = negative_slope
        ctx.save_for_backward(a)
        return xp_of(a).where(a > 0, a, a * negative_slope)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return where(a > 0, grad, grad * ctx.slope)


class Hardtanh(Op):
    @staticmethod
    def forward(ctx, a, min_val=-1.0, max_val=1.0):
        ctx.bounds = (min_val, max_val)
        ctx.save_for_backward(a)
        return xp_of(a).clip(a, min_val, max_val).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        return where((a > lo) & (a < hi), grad, 0.0)


def relu_(input):
    return input.relu_()


def relu(input, inplace=False):
    return input.relu_() if inplace else _relu_op(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    require_float(input, "leaky_relu_cpu")
    if inplace:
        return input._inplace(LeakyRelu, negative_slope=negative_slope)
    return LeakyRelu.apply(input, negative_slope=negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return input._inplace(Hardtanh, min_val=min_val, max_val=max_val)
    return Hardtanh.apply(input, min_val=min_val, max_val=max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


# ----- smooth ----------------------------------------------------------------------------------


class Elu(Op):
    @staticmethod
    def forward(ctx, a, alpha=1.0):
        ctx.alpha = alpha
        ctx.save_for_backward(a)
        xp = xp_of(a)
        return xp.where(a > 0, a, alpha * xp.expm1(xp.minimum(a, 0)))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        # exp of the clamped input: exp(a) of a large positive a would be inf, and inf * 0 nan
        return where(a > 0, grad, grad * ctx.alpha * a.clamp(max=0).exp())


class Silu(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        xp = xp_of(a)
        e = xp.exp(-xp.abs(a))  # sigmoid split by sign so that exp never overflows
        s = xp.where(a >= 0, 1 / (1 + e), e / (1 + e))
        return (a * s).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        s = sigmoid(a)
        return grad * s * (1 + a * (1 - s))


class Softplus(Op):
    @staticmethod
    def forward(ctx, a, beta=1.0, threshold=20.0):
        ctx.beta, ctx.threshold = beta, threshold
        ctx.save_for_backward(a)
        xp = xp_of(a)
        ba = a * beta
        soft = (xp.maximum(ba, 0) + xp.log1p(xp.exp(-xp.abs(ba)))) / beta
        return xp.where(ba > threshold, a, soft).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        ba = a * ctx.beta
        return where(ba > ctx.threshold, grad, grad * sigmoid(ba))


class Gelu(Op):
    @staticmethod
    def forward(ctx, a, approximate="none"):
        ctx.approximate = approximate
        ctx.save_for_backward(a)
        xp = xp_of(a)
        if approximate == "tanh":
            return 0.5 * a * (1 + xp.tanh(_TANH_K * (a + _TANH_C * a * a * a)))
        return 0.5 * a * (1 + _erf(a * _SQRT_HALF))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            t = tanh(_TANH_K * (a + _TANH_C * a * a * a))
            dinner = _TANH_K * (1 + 3 * _TANH_C * a * a)
            return grad * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * dinner)
        return GeluBackward.apply(grad, a)


class GeluBackward(Op):
    """grad * (Phi(a) + a phi(a)); its own op so that erf is only ever needed on arrays."""

    @staticmethod
    def forward(ctx, g, a):
        ctx.save_for_backward(g, a)
        xp = xp_of(a)
        cdf = 0.5 * (1 + _erf(a * _SQRT_HALF))
        pdf = xp.exp(-0.5 * a * a) * _INV_SQRT_2PI
        return g * (cdf + a * pdf)

    @staticmethod
    def backward(ctx, gg):
        g, a = ctx.saved_tensors
        ng, na = ctx.needs_input_grad
        # linear in g, so its g-gradient is the same op; d/da (Phi + a phi) = phi (2 - a^2)
        dg = GeluBackward.apply(gg, a) if ng else None
        da = gg * g * ((a * a * -0.5).exp() * _INV_SQRT_2PI) * (2 - a * a) if na else None
        return dg, da


def elu(input, alpha=1.0, inplace=False):
    require_float(input, "elu_cpu")
    if inplace:
        return input._inplace(Elu, alpha=alpha)
    return Elu.apply(input, alpha=alpha)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    require_float(input, "GeluKernelImpl")
    return Gelu.apply(input, approximate=approximate)


def silu(input, inplace=False):
    require_float(input, "silu_cpu")
    if inplace:
        return input._inplace(Silu)
    return Silu.apply(input)


def softplus(input, beta=1.0, threshold=20.0):
    require_float(input, "softplus_cpu")
    return Softplus.apply(input, beta=beta, threshold=threshold)


def logsigmoid(input):
    return -softplus(-input)


# ----- softmax ---------------------------------------------------------------------------------


class Softmax(Op):
    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        xp = xp_of(a)
        e = a - a.max(axis=dim, keepdims=True)
        xp.exp(e, out=e)
        e /= e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(e)
        return e

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if not _grad_state.enabled:  # first order only: straight on the arrays
            o, g = out._data, grad._data
            return Tensor._make(o * (g - (g * o).sum(axis=ctx.dim, keepdims=True)))
        return out * (grad - (grad * out).sum(ctx.dim, keepdim=True))


class LogSoftmax(Op):
    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        xp = xp_of(a)
        shifted = a - a.max(axis=dim, keepdims=True)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if not _grad_state.enabled:
            o, g = out._data, grad._data
            return Tensor._make(g - xp_of(o).exp(o) * g.sum(axis=ctx.dim, keepdims=True))
        return grad - out.exp() * grad.sum(ctx.dim, keepdim=True)


def _softmax_dim(name, ndim):
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call "
        "to include dim=X as an argument.",
        UserWarning,
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def _softmax(op, name, input, dim, dtype):
    if dim is None:
        dim = _softmax_dim(name, input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    d = wrap_dim(dim, input.ndim)
    if input._data.dtype.kind != "f":
        kernel = f"{name}_lastdim_kernel_impl" if d == input.ndim - 1 else f"{name}_kernel_impl"
        require_float(input, kernel)
    if input.ndim == 0:  # a scalar is a one-element distribution
        return op.apply(input.reshape(1), dim=0).reshape(())
    return op.apply(input, dim=d)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    return _softmax(Softmax, "softmax", input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    return _softmax(LogSoftmax, "log_softmax", input, dim, dtype)
