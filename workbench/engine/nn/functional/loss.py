"""Losses with reduction='mean' | 'sum' | 'none', shaped like PyTorch's.

The pointwise regression losses and the (binary) cross entropies are fused ops: forward on
arrays, backward in Tensor ops. cross_entropy is log_softmax + nll_loss, as in PyTorch.
"""

from __future__ import annotations

import warnings

import numpy as np

from ...autograd.function import _TYPE_NAMES, Op
from ...ops.elementwise import sigmoid, where
from ._util import check_reduction, tensor_like, xp_of
from .activation import log_softmax, softplus

__all__ = [
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]


def _reduce_array(loss, reduction):
    if reduction == "mean":
        return np.asarray(loss.mean()) if loss.__class__ is np.ndarray else loss.mean()
    if reduction == "sum":
        return np.asarray(loss.sum()) if loss.__class__ is np.ndarray else loss.sum()
    return loss


def _broadcast_shape(a, b):
    sa, sb = list(a.shape), list(b.shape)
    n = max(len(sa), len(sb))
    sa, sb = [1] * (n - len(sa)) + sa, [1] * (n - len(sb)) + sb
    for i, (x, y) in enumerate(zip(sa, sb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) "
                f"at non-singleton dimension {i}"
            )
    return tuple(max(x, y) for x, y in zip(sa, sb))


def _warn_size(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )
    _broadcast_shape(input, target)


# ----- pointwise regression losses ---------------------------------------------------------


class _DiffLoss(Op):
    """loss(input - target), reduced; subclasses give the value (arrays) and slope (Tensors)."""

    @classmethod
    def forward(cls, ctx, a, b, *, reduction, param=None):
        d = a - b
        ctx.reduction, ctx.param, ctx.n = reduction, param, d.size
        ctx.save_for_backward(a, b)
        return _reduce_array(cls._value(d, param), reduction)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        g = ctx._fn._slope(a - b, ctx.param) * grad
        if ctx.reduction == "mean":
            g = g / ctx.n
        na, nb = ctx.needs_input_grad
        return (g if na else None), (-g if nb else None)


class MseLoss(_DiffLoss):
    _value = staticmethod(lambda d, p: d * d)
    _slope = staticmethod(lambda d, p: d * 2)


class SmoothL1Loss(_DiffLoss):
    @staticmethod
    def _value(d, beta):
        ad = xp_of(d).abs(d)
        return xp_of(d).where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta)

    @staticmethod
    def _slope(d, beta):
        return (d / beta).clamp(-1.0, 1.0)


class HuberLoss(_DiffLoss):
    @staticmethod
    def _value(d, delta):
        ad = xp_of(d).abs(d)
        return xp_of(d).where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))

    @staticmethod
    def _slope(d, delta):
        return d.clamp(-delta, delta)


def _weighted(loss, weight, reduction, mean_by_weight):
    if tuple(weight.shape) != tuple(loss.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / weight.sum() if mean_by_weight else loss.mean()


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _warn_size(input, target)
    reduction = check_reduction(reduction, size_average, reduce)
    if weight is not None:
        return _weighted(MseLoss.apply(input, target, reduction="none"), weight, reduction, True)
    return MseLoss.apply(input, target, reduction=reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _warn_size(input, target)
    reduction = check_reduction(reduction, size_average, reduce)
    loss = (input - target).abs()
    if weight is not None:
        return _weighted(loss, weight, reduction, True)
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    _warn_size(input, target)
    reduction = check_reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    return SmoothL1Loss.apply(input, target, reduction=reduction, param=beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _warn_size(input, target)
    reduction = check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        loss = HuberLoss.apply(input, target, reduction="none", param=delta)
        return _weighted(loss, weight, reduction, False)
    return HuberLoss.apply(input, target, reduction=reduction, param=delta)


# ----- negative log likelihood / cross entropy ---------------------------------------------


class NllLoss(Op):
    """-w[t] * logp[t] per sample; 'mean' divides by the summed weights of counted targets.

    The gradient does not depend on the input, only on the targets: backward is grad times a
    constant (N, C, ...) array, so it is exact at every order.
    """

    @staticmethod
    def forward(ctx, logp, *, target, weight, ignore_index, reduction):
        # ignore_index is None when no target equals it; weight None means all ones. The usual
        # case, neither, picks one value per sample and needs no per-sample weight array.
        xp = xp_of(logp)
        if ignore_index is None:
            safe = target
        else:
            valid = target != ignore_index
            safe = xp.where(valid, target, 0)
        if logp.ndim == 2:
            picked = logp[xp.arange(logp.shape[0]), safe]
        else:
            picked = xp.take_along_axis(logp, safe[:, None], axis=1)[:, 0]
        if weight is None and ignore_index is None:
            w = None
            loss = -picked
        else:
            w = xp.ones(safe.shape, logp.dtype) if weight is None else weight[safe]
            if ignore_index is not None:
                w = xp.where(valid, w, 0)
            w = w.astype(logp.dtype, copy=False)
            loss = -picked * w
        ctx.safe, ctx.w, ctx.shape, ctx.reduction = safe, w, logp.shape, reduction
        if reduction == "none":
            return loss
        total = loss.sum()
        if reduction == "sum":
            return xp.asarray(total)
        denom = w.sum() if w is not None else logp.dtype.type(safe.size)
        ctx.denom = denom
        with np.errstate(invalid="ignore", divide="ignore"):
            return xp.asarray(total / denom)  # all targets ignored: 0/0 = nan, as PyTorch

    @staticmethod
    def backward(ctx, grad):
        xp = grad._xp
        shape, safe = ctx.shape, ctx.safe
        coef = -1.0 if ctx.w is None else -ctx.w
        if ctx.reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                coef = coef / ctx.denom
        # coef at each sample's target class, 0 elsewhere
        if len(shape) == 2:
            m = xp.zeros(shape, grad._data.dtype)
            m[xp.arange(shape[0]), safe] = coef
        else:
            classes = xp.arange(shape[1]).reshape((1, -1) + (1,) * (len(shape) - 2))
            m = (classes == safe[:, None]) * (coef if ctx.w is None else coef[:, None])
        g = grad.unsqueeze(1) if ctx.reduction == "none" else grad
        return g * tensor_like(m, grad)


class NllLoss2D(NllLoss):
    """The same for spatial input (N, C, d1, ...): PyTorch's NllLoss2DBackward0."""


def _type_name(t):
    return _TYPE_NAMES[t._data.dtype.name]


def nll_loss(
    input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"
):
    reduction = check_reduction(reduction, size_average, reduce)
    if target._data.dtype not in (np.int64, np.uint8):
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {_type_name(target)}"
        )
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim == 1:  # one sample without a batch dim
        if target.ndim != 0:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        out = nll_loss(
            input.unsqueeze(0), target.reshape(1), weight, None, ignore_index, None, reduction
        )
        return out.squeeze(0) if reduction == "none" else out
    x, t = input._data, target._data
    if t.ndim == 0 or x.shape[0] != t.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({x.shape[0]}) to match target "
            f"batch_size ({t.shape[0] if t.ndim else 0})."
        )
    c = x.shape[1]
    if t.shape[1:] != x.shape[2:]:
        if x.ndim == 3:
            raise RuntimeError(
                f"Expected target size {[x.shape[0], *x.shape[2:]]}, got {list(t.shape)}"
            )
        raise RuntimeError(f"size mismatch (got input: {list(x.shape)} , target: {list(t.shape)}")
    if weight is not None and (weight.ndim != 1 or weight.numel() != c):
        raise RuntimeError(
            f"weight tensor should be defined either for all {c} classes or no "
            f"classes but got weight tensor of shape: {list(weight.shape)}"
        )
    if t.size and 0 <= t.min() and t.max() < c:  # every target a class: two reductions
        ignored = 0 <= ignore_index < c and bool((t == ignore_index).any())
    else:
        valid = t != ignore_index
        bad = valid & ((t < 0) | (t >= c))
        if bool(bad.any()):
            raise IndexError(f"Target {int(t[bad].reshape(-1)[0])} is out of bounds.")
        ignored = not bool(valid.all())
    op = NllLoss if x.ndim == 2 else NllLoss2D
    w = None if weight is None else weight._data.astype(x.dtype, copy=False)
    return op.apply(
        input,
        target=t.astype(np.int64, copy=False),
        weight=w,
        ignore_index=ignore_index if ignored else None,
        reduction=reduction,
    )


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    reduction = check_reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.ndim == 1 else 1
    logp = log_softmax(input, class_dim)
    if target._data.shape == input._data.shape and input.ndim >= 1:
        return _cross_entropy_probs(logp, target, weight, reduction, label_smoothing, class_dim)
    nll = nll_loss(logp, target, weight, None, ignore_index, None, reduction)
    if label_smoothing == 0.0:
        return nll
    # uniform part of the smoothed target, counted like nll_loss counts samples
    n_classes = input.shape[class_dim]
    wshape = [1] * input.ndim
    wshape[class_dim] = n_classes
    smooth = -(logp if weight is None else logp * weight.reshape(wshape)).sum(class_dim)
    ignored = target._data == ignore_index
    if bool(ignored.any()):
        smooth = where(tensor_like(ignored, smooth) > 0, 0.0, smooth)
    if reduction == "mean":
        if weight is None:
            denom = float((~ignored).sum())
        else:
            denom = float(weight._data[target._data[~ignored]].sum())
        ret = smooth.sum() / denom
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return nll * (1 - label_smoothing) + ret * (label_smoothing / n_classes)


def _cross_entropy_probs(logp, target, weight, reduction, label_smoothing, class_dim):
    if target._data.dtype.kind != "f":
        raise RuntimeError(
            "Expected floating point type for target with class probabilities, "
            f"got {_type_name(target)}"
        )
    n_classes = logp.shape[class_dim]
    if weight is not None and (weight.ndim != 1 or weight.numel() != n_classes):
        raise RuntimeError(
            f"weight tensor should be defined either for all {n_classes} classes "
            f"or no classes but got weight tensor of shape: {list(weight.shape)}"
        )
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if weight is not None:
        wshape = [1] * logp.ndim
        wshape[class_dim] = n_classes
        prod = prod * weight.reshape(wshape)
    if reduction == "mean":
        return -prod.sum() / (logp.numel() // n_classes)
    if reduction == "sum":
        return -prod.sum()
    return -prod.sum(class_dim)


# ----- binary cross entropy --------------------------------------------------------------------


class BinaryCrossEntropy(Op):
    @staticmethod
    def forward(ctx, x, t, *, weight, reduction):
        xp = xp_of(x)
        ctx.weight, ctx.reduction, ctx.n = weight, reduction, x.size
        ctx.save_for_backward(x, t)
        with np.errstate(divide="ignore"):
            # PyTorch clamps each log at -100 so that a confident mistake costs 100, not inf
            loss = -(t * xp.maximum(xp.log(x), -100) + (1 - t) * xp.maximum(xp.log1p(-x), -100))
        if weight is not None:
            loss = loss * weight
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        nx, nt = ctx.needs_input_grad
        scale = grad if ctx.reduction != "mean" else grad / ctx.n
        if ctx.weight is not None:
            scale = scale * tensor_like(ctx.weight, grad)
        gx = gt = None
        if nx:
            gx = scale * (x - t) / ((1 - x) * x).clamp(min=1e-12)
        if nt:
            with np.errstate(divide="ignore"):  # log 0 = -inf: an infinite slope, as PyTorch
                gt = scale * ((1 - x).log() - x.log())
        return gx, gt


class BinaryCrossEntropyWithLogits(Op):
    @staticmethod
    def forward(ctx, x, t, *, weight, pos_weight, reduction):
        xp = xp_of(x)
        ctx.weight, ctx.pos_weight, ctx.reduction, ctx.n = weight, pos_weight, reduction, x.size
        ctx.save_for_backward(x, t)
        # log(1 + exp(-x)) without overflow, for either sign of x
        softplus_neg = xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(-x, 0)
        if pos_weight is not None:
            loss = (1 - t) * x + ((pos_weight - 1) * t + 1) * softplus_neg
        else:
            loss = (1 - t) * x + softplus_neg
        if weight is not None:
            loss = loss * weight
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        nx, nt = ctx.needs_input_grad
        scale = grad if ctx.reduction != "mean" else grad / ctx.n
        if ctx.weight is not None:
            scale = scale * tensor_like(ctx.weight, grad)
        pw = None if ctx.pos_weight is None else tensor_like(ctx.pos_weight, grad)
        gx = gt = None
        if nx:
            if pw is None:
                gx = scale * (sigmoid(x) - t)
            else:
                lw = (pw - 1) * t + 1
                gx = scale * (1 - t - lw * (1 - sigmoid(x)))
        if nt:
            gt = -scale * x if pw is None else scale * (pw * softplus(-x) - softplus(x))
        return gx, gt


def _const(w, ref):
    return None if w is None else w._data.astype(ref._data.dtype, copy=False)


def binary_cross_entropy(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    reduction = check_reduction(reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
        )
    x = input._data
    if x.size and bool(((x < 0) | (x > 1)).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    w = _const(weight, input)
    if w is not None:
        w = input._xp.broadcast_to(w, x.shape)
    return BinaryCrossEntropy.apply(input, target, weight=w, reduction=reduction)


def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
):
    reduction = check_reduction(reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
        )
    return BinaryCrossEntropyWithLogits.apply(
        input,
        target,
        weight=_const(weight, input),
        pos_weight=_const(pos_weight, input),
        reduction=reduction,
    )
