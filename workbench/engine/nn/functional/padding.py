"""pad: constant (any number of dims, negative amounts crop), reflect, replicate, circular."""

from __future__ import annotations

import numpy as np

from ...autograd.function import Op
from ._util import add_at, xp_of

__all__ = ["pad"]


class ConstantPadNd(Op):
    """Pads (or, with negative amounts, crops) the trailing dims; its gradient is the same op
    with the amounts negated and value 0."""

    @staticmethod
    def forward(ctx, x, *, pads, value=0):
        ctx.pads = pads
        width = [(0, 0)] * (x.ndim - len(pads)) + [(max(a, 0), max(b, 0)) for a, b in pads]
        out = xp_of(x).pad(x, width, constant_values=value) if any(map(any, width)) else x
        crop = [slice(None)] * (x.ndim - len(pads)) + [
            slice(-min(a, 0), out.shape[x.ndim - len(pads) + i] + min(b, 0))
            for i, (a, b) in enumerate(pads)
        ]
        out = out[tuple(crop)]
        return out.copy() if out is x or out.base is x else out

    @staticmethod
    def backward(ctx, grad):
        return ConstantPadNd.apply(grad, pads=tuple((-a, -b) for a, b in ctx.pads), value=0)


class _GatherPad(Op):
    """Pads by gathering: along each padded dim, output position i reads input index idx[i]."""

    _scatter = None

    @staticmethod
    def forward(ctx, x, *, plan):
        ctx.plan, ctx.in_shape = plan, x.shape
        xp = xp_of(x)
        for axis, idx in plan:
            x = xp.take(x, idx, axis=axis)
        return x

    @staticmethod
    def backward(ctx, grad):
        return ctx._fn._scatter.apply(grad, plan=ctx.plan, in_shape=ctx.in_shape)


class _ScatterPad(Op):
    """The gradient of a gathering pad: adds each output position into the index it read."""

    _gather = None

    @staticmethod
    def forward(ctx, g, *, plan, in_shape):
        ctx.plan = plan
        xp = xp_of(g)
        for axis, idx in reversed(plan):
            shape = list(g.shape)
            shape[axis] = in_shape[axis]
            out = xp.zeros(shape, dtype=g.dtype)
            add_at(xp, out, (slice(None),) * axis + (idx,), g)
            g = out
        return g

    @staticmethod
    def backward(ctx, gg):
        return ctx._fn._gather.apply(gg, plan=ctx.plan)


def _make_pad_ops():
    """One gather/scatter pair per PyTorch node name (ReflectionPad2DBackward0, ...)."""
    ops = {}
    for mode, base in (
        ("reflect", "ReflectionPad"),
        ("replicate", "ReplicationPad"),
        ("circular", "CircularPad"),
    ):
        for nd in (1, 2, 3):
            gather = type(f"{base}{nd}D", (_GatherPad,), {"__module__": __name__})
            scatter = type(f"{base}{nd}DBackward", (_ScatterPad,), {"__module__": __name__})
            gather._scatter, scatter._gather = scatter, gather
            ops[mode, nd] = gather
    return ops


_PAD_OPS = _make_pad_ops()


def _index(mode, n, left, right):
    p = np.arange(-left, n + right)
    if mode == "reflect":
        p = np.abs(p)
        return np.where(p > n - 1, 2 * (n - 1) - p, p)
    if mode == "replicate":
        return np.clip(p, 0, n - 1)
    return p % n


def pad(input, pad, mode="constant", value=None):
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {input.ndim}"
        )
    # PyTorch lists the last dim first: (left, right, top, bottom, ...)
    pairs = tuple((pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2))[::-1]
    if mode == "constant":
        first = input.ndim - len(pairs)
        for i, (a, b) in enumerate(pairs):
            if input.shape[first + i] + a + b < 0:
                raise RuntimeError(
                    f"The input size {input.shape[first + i]}, plus negative padding {a} and {b} "
                    f"resulted in a negative output size, which is invalid. Check dimension "
                    f"{first + i} of your input."
                )
        return ConstantPadNd.apply(input, pads=pairs, value=0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value not in (None, 0):
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument')
    nd = len(pairs)
    if nd not in (1, 2, 3) or input.ndim not in (nd + 1, nd + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor."
        )
    first = input.ndim - nd
    plan = []
    for i, (a, b) in enumerate(pairs):
        n = input.shape[first + i]
        if mode == "reflect" and (a >= n or b >= n):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({a}, {b}) at dimension {first + i} of input "
                f"{list(input.shape)}"
            )
        if mode == "circular" and (a > n or b > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if a < 0 or b < 0:
            raise RuntimeError(f"negative padding is not supported for mode {mode}")
        if a or b:
            plan.append((first + i, input._xp.asarray(_index(mode, n, a, b))))
    if not plan:
        return input.clone()
    return _PAD_OPS[mode, nd].apply(input, plan=tuple(plan))
