"""Gradient clipping: `clip_grad_norm_`, `clip_grad_value_` and their helpers.

They work on the gradient arrays in place (no graph, no temporary tensors), with the same
arithmetic as PyTorch's: per-gradient norms, the norm of those norms, and a clamped coefficient
computed in the gradients' dtype.
"""

from __future__ import annotations

import types
import warnings

import numpy as np

from ...device import to_device_array
from ...tensor import Tensor, _bump_version

__all__ = [
    "clip_grad_norm_",
    "clip_grad_norm",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _norm(xp, arr, norm_type):
    return xp.linalg.norm(arr.ravel(), norm_type)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of the norms of `tensors` (the norm of all of them as one vector)."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        from ...creation import tensor

        return tensor(0.0)
    first = tensors[0]
    xp = first._xp
    dt = np.result_type(*[t._data.dtype for t in tensors])
    norms = [
        _norm(xp, to_device_array(t._data, first.device), norm_type).astype(dt) for t in tensors
    ]
    total = xp.asarray(_norm(xp, xp.stack(norms), norm_type), dtype=dt)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return Tensor._make(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients by min(1, max_norm / (total_norm + 1e-6)), in place."""
    grads = [p._grad for p in _as_list(parameters) if p._grad is not None]
    if not grads:
        return
    total = total_norm._data
    coef = total.dtype.type(float(max_norm)) / (total + total.dtype.type(1e-6))
    coef = min(coef, total.dtype.type(1.0))
    for g in grads:
        data = g._data
        data *= coef if data.__class__ is total.__class__ else float(coef)
        _bump_version(g)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Clip the gradients' total norm to `max_norm`; returns the total norm before clipping."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and not parameters:
            warnings.warn(
                "`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2
            )
    grads = [p._grad for p in parameters if p._grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        g = p._grad
        if g is not None:
            g._xp.clip(g._data, -clip_value, clip_value, out=g._data)
            _bump_version(g)
