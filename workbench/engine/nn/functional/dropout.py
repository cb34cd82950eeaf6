"""Dropout: a mask drawn from the engine's global generator, so `manual_seed` makes it
repeatable; the mask multiplies the input (MulBackward0, as in PyTorch)."""

from __future__ import annotations

import numpy as np

from ...autograd.function import _TYPE_NAMES, Tensor
from ...creation import default_generator

__all__ = ["dropout", "dropout1d", "dropout2d", "alpha_dropout"]


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _mask(input, shape, p):
    """Kept entries scaled by 1/(1-p), dropped ones 0; drawn on the host (same on every device)."""
    keep = default_generator._rng.random(shape, dtype=np.float32) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = np.where(keep, np.asarray(scale, dtype=input._data.dtype), 0).astype(
        input._data.dtype, copy=False
    )
    xp = input._xp
    return Tensor._make(mask if xp is np else xp.asarray(mask))


def _apply(input, shape, p, inplace):
    if input._data.dtype.kind != "f":  # the scaled mask is floating; PyTorch refuses to cast
        raise RuntimeError(
            "result type Float can't be cast to the desired output type "
            f"{_TYPE_NAMES[input._data.dtype.name]}"
        )
    mask = _mask(input, shape, p)
    return input.mul_(mask) if inplace else input * mask


def dropout(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _apply(input, input.shape, p, inplace)


def _feature_dropout(input, p, training, inplace, batched_ndim, name):
    _check_p(p)
    if input.ndim not in (batched_ndim - 1, batched_ndim):
        raise RuntimeError(
            f"{name}: Expected {batched_ndim - 1}D or {batched_ndim}D input, but "
            f"received a {input.ndim}D input."
        )
    if not training or p == 0.0:
        return input
    # one draw per channel, shared over the spatial dims
    lead = 2 if input.ndim == batched_ndim else 1
    shape = tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)
    return _apply(input, shape, p, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 3, "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 4, "dropout2d")


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped units take SELU's negative saturation value and the
    result is rescaled to keep mean 0 and variance 1."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    alpha = -1.7580993408473766
    keep = default_generator._rng.random(tuple(input.shape)) >= p
    a = (1 / ((1 - p) * (1 + p * alpha * alpha))) ** 0.5
    b = -a * alpha * p
    xp = input._xp
    keep_t = Tensor._make(xp.asarray(keep.astype(input._data.dtype)))
    out = input * keep_t + (1 - keep_t) * alpha
    return out * a + b
