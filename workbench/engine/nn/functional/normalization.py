"""layer_norm and batch_norm as fused ops.

Forward normalises on arrays in one pass. Backward has two forms: under create_graph it
recomputes the statistics with Tensor ops (so double backward is exact); otherwise it uses the
statistics forward kept and runs on arrays, which is what training needs.
"""

from __future__ import annotations

from ...autograd.function import Op
from ...autograd.grad_mode import state as _grad_state
from ...tensor import Tensor, _bump_version
from ._util import xp_of

__all__ = ["layer_norm", "batch_norm", "group_norm"]


def _stats(x, axes, eps):
    xp = xp_of(x)
    mean = x.mean(axis=axes, keepdims=True)
    xc = x - mean
    var = (xc * xc).mean(axis=axes, keepdims=True)
    return mean, 1 / xp.sqrt(var + eps), xc, var


def _normalize(x, w, b, axes, eps, wshape, ctx):
    mean, rstd, xc, var = _stats(x, axes, eps)
    if ctx.needs_input_grad:
        ctx.stats = (mean, rstd)
    out = xc
    out *= rstd
    if w is not None:
        out *= w.reshape(wshape)
    if b is not None:
        out += b.reshape(wshape)
    return out, mean, var


def _norm_backward(ctx, grad, x, w, axes, param_axes, wshape, eps, batch_stats=True):
    """Gradients of out = (x - mean) * rstd * w + b; mean/rstd are batch stats or constants."""
    need = ctx.needs_input_grad
    if not _grad_state.enabled:  # first order only: arrays and the statistics of forward
        xa, ga = x._data, grad._data
        mean, rstd = ctx.stats
        xhat = (xa - mean) * rstd
        gxhat = ga if w is None else ga * w._data.reshape(wshape)
        gx = gw = gb = None
        if need[0]:
            if batch_stats:
                gx = rstd * (
                    gxhat
                    - gxhat.mean(axis=axes, keepdims=True)
                    - xhat * (gxhat * xhat).mean(axis=axes, keepdims=True)
                )
            else:
                gx = gxhat * rstd
            gx = Tensor._make(gx.astype(xa.dtype, copy=False))
        # summed over the batch dims, what is left has the parameters' shape
        if len(need) > 1 and need[1]:
            gw = Tensor._make((ga * xhat).sum(axis=param_axes))
        if len(need) > 2 and need[2]:
            gb = Tensor._make(ga.sum(axis=param_axes))
        return (gx, gw, gb)[: len(need)]
    if batch_stats:
        xc = x - x.mean(axes, keepdim=True)
        rstd = ((xc * xc).mean(axes, keepdim=True) + eps) ** -0.5
    else:
        mean, rstd = (Tensor._make(a) for a in ctx.stats)
        xc = x - mean
    xhat = xc * rstd
    gxhat = grad if w is None else grad * w.reshape(wshape)
    gx = gw = gb = None
    if need[0]:
        if batch_stats:
            gx = rstd * (
                gxhat
                - gxhat.mean(axes, keepdim=True)
                - xhat * (gxhat * xhat).mean(axes, keepdim=True)
            )
        else:
            gx = gxhat * rstd
    if len(need) > 1 and need[1]:
        gw = grad * xhat
        gw = gw.sum(param_axes) if param_axes else gw
    if len(need) > 2 and need[2]:
        gb = grad.sum(param_axes) if param_axes else grad
    return (gx, gw, gb)[: len(need)]


class NativeLayerNorm(Op):
    @staticmethod
    def forward(ctx, x, w=None, b=None, *, n_dims, eps):
        axes = tuple(range(x.ndim - n_dims, x.ndim))
        ctx.axes, ctx.eps = axes, eps
        ctx.save_for_backward(x, w)
        return _normalize(x, w, b, axes, eps, x.shape[x.ndim - n_dims :], ctx)[0]

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        axes = ctx.axes
        lead = tuple(range(axes[0]))
        return _norm_backward(ctx, grad, x, w, axes, lead, x.shape[axes[0] :], ctx.eps)


class NativeBatchNorm(Op):
    """Normalises per channel (dim 1) over every other dim with batch statistics (training) or
    with the running statistics (eval); training also updates the running statistics."""

    @staticmethod
    def forward(ctx, x, w=None, b=None, *, training, eps, momentum, running):
        axes = (0,) + tuple(range(2, x.ndim))
        wshape = (-1,) + (1,) * (x.ndim - 2)
        ctx.axes, ctx.eps, ctx.training, ctx.wshape = axes, eps, training, wshape
        ctx.save_for_backward(x, w)
        rm, rv = running
        if training:
            out, mean, var = _normalize(x, w, b, axes, eps, wshape, ctx)
            if rm is not None:
                n = x.size // x.shape[1]
                rm *= 1 - momentum
                rm += momentum * mean.reshape(-1)
                rv *= 1 - momentum
                rv += (momentum * n / (n - 1)) * var.reshape(-1)
            return out
        xp = xp_of(x)
        mean, rstd = rm.reshape(wshape), 1 / xp.sqrt(rv.reshape(wshape) + eps)
        if ctx.needs_input_grad:
            ctx.stats = (mean, rstd)
        out = (x - mean) * rstd
        if w is not None:
            out *= w.reshape(wshape)
        if b is not None:
            out += b.reshape(wshape)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        return _norm_backward(
            ctx, grad, x, w, ctx.axes, ctx.axes, ctx.wshape, ctx.eps, batch_stats=ctx.training
        )


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    n = len(shape)
    if n == 0 or tuple(input.shape[input.ndim - n :]) != shape or input.ndim < n:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, "
            f"{', '.join(str(s) for s in shape)}], but got input of size{list(input.shape)}"
        )
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got "
                f"{name} of shape {list(p.shape)} and normalized_shape = "
                f"{list(shape)}"
            )
    return NativeLayerNorm.apply(input, weight, bias, n_dims=n, eps=eps)


def _verify_batch_size(size):
    n = size[0]
    for s in size[2:]:
        n *= s
    if n == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size "
            f"torch.Size({list(size)})"
        )


def batch_norm(
    input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    if input.ndim < 2:
        raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")
    if training:
        _verify_batch_size(input.shape)
    c = input.shape[1]
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    update = training and running_mean is not None and running_var is not None
    running = (running_mean._data, running_var._data) if running_mean is not None else (None, None)
    if training and not update:
        running = (None, None)
    out = NativeBatchNorm.apply(
        input,
        weight,
        bias,
        training=training,
        eps=eps,
        momentum=0.0 if momentum is None else momentum,
        running=running,
    )
    if update:  # written in place by the op: tell anything that saved them
        _bump_version(running_mean)
        _bump_version(running_var)
    return out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise groups of channels: layer_norm over (C/G, *) after a reshape."""
    n, c = input.shape[:2]
    if c % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by "
            f"num_groups, but got input of shape {list(input.shape)} and "
            f"num_groups={num_groups}"
        )
    grouped = input.reshape(n, num_groups, -1)
    out = layer_norm(grouped, (grouped.shape[-1],), eps=eps).reshape(input.shape)
    shape = (1, c) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out
