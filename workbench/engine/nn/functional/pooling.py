"""2-D pooling: max (with indices), average, adaptive average.

Each pooling op is linear in its input once the window choice is fixed, so its backward is a
scatter op whose own backward is the pooling again: derivatives of every order stay exact.
"""

from __future__ import annotations

import numpy as np

from ...autograd.function import Op
from ._util import add_at, ntuple, tensor_like, xp_of
from .conv import _as_strided

__all__ = [
    "max_pool2d",
    "max_pool2d_with_indices",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "max_pool1d",
    "avg_pool1d",
]


def _windows(xp_, kernel, stride, dilation, out_hw):
    """(N, C, oh, ow, kh, kw) read-only view of the windows of a padded (N, C, H, W) array."""
    n, c = xp_.shape[:2]
    s_n, s_c, s_h, s_w = xp_.strides
    return _as_strided(
        xp_,
        (n, c, *out_hw, *kernel),
        (s_n, s_c, s_h * stride[0], s_w * stride[1], s_h * dilation[0], s_w * dilation[1]),
    )


def _padded(x, pad, kernel, stride, dilation, out_hw, value):
    """x padded by `pad` before and by enough after that the last (ceil-mode) window fits."""
    xp = xp_of(x)
    after = [
        max(
            pad[i],
            (out_hw[i] - 1) * stride[i]
            + dilation[i] * (kernel[i] - 1)
            + 1
            - x.shape[2 + i]
            - pad[i],
        )
        for i in range(2)
    ]
    if not (pad[0] or pad[1] or after[0] or after[1]):
        return x
    return xp.pad(
        x, ((0, 0), (0, 0), (pad[0], after[0]), (pad[1], after[1])), constant_values=value
    )


def _scatter_add(xp, size, flat, values, unique):
    if unique:  # windows do not overlap: every input element is picked at most once
        out = xp.zeros(size, dtype=values.dtype)
        out[flat] = values
        return out
    if xp is np:
        return np.bincount(flat, weights=values, minlength=size).astype(values.dtype, copy=False)
    out = xp.zeros(size, dtype=values.dtype)
    add_at(xp, out, flat, values)
    return out


# ----- max -------------------------------------------------------------------------------------


def _first_max(xp, at, best):
    """The first i with at[i] == best, for each element: the number of leading positions that
    miss the max, counted in small integers (bool and uint8 passes, no masked writes). Where
    nothing equals best (NaN) it is the last position."""
    dtype = np.uint8 if len(at) <= 255 else np.int32
    if len(at) == 1:
        return xp.zeros(best.shape, dtype=dtype)
    missed = xp.not_equal(at[0], best)
    arg = missed.astype(dtype)
    step = missed.view(np.uint8) if dtype is np.uint8 else missed  # uint8 + uint8: a SIMD loop
    hit = xp.empty(best.shape, dtype=bool)
    for v in at[1:-1]:
        xp.not_equal(v, best, out=hit)
        missed &= hit
        arg += step
    return arg


class MaxPool2DWithIndices(Op):
    """Max over each window; with `flat` given, picks those elements instead (a gather)."""

    @staticmethod
    def forward(ctx, x, *, cfg=None, flat=None, out_shape=None, unique=False):
        ctx.in_shape, ctx.unique = x.shape, unique
        if flat is not None:
            if ctx.needs_input_grad:
                ctx.flat = flat
            return x.reshape(-1)[flat].reshape(out_shape)
        kernel, stride, pad, dilation, out_hw = cfg
        xp = xp_of(x)
        n, c, h, w = x.shape
        low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        win = _windows(
            _padded(x, pad, kernel, stride, dilation, out_hw, low), kernel, stride, dilation, out_hw
        )
        # one pass per window position, each reading whole image rows: the running max,
        # then the first position holding it (PyTorch's scan keeps the first maximum)
        k = kernel[0] * kernel[1]
        at = [win[..., i // kernel[1], i % kernel[1]] for i in range(k)]
        best = at[0].copy()
        for v in at[1:]:
            xp.maximum(best, v, out=best)
        arg = _first_max(xp, at, best)
        if x.dtype.kind == "f" and bool(xp.isnan(best).any()):
            for i in range(k):  # a NaN wins, the last one as in PyTorch
                xp.copyto(arg, i, where=xp.isnan(at[i]))
        # window-local argmax -> row-major index into the (unpadded) H x W plane, as PyTorch
        if pad[0] or pad[1]:
            ki, kj = xp.divmod(arg.astype(np.int64), kernel[1])
            rows = (xp.arange(out_hw[0]) * stride[0] - pad[0])[:, None] + ki * dilation[0]
            cols = (xp.arange(out_hw[1]) * stride[1] - pad[1]) + kj * dilation[1]
            # a window of -inf only: PyTorch names its first real element
            rows = xp.where(
                rows < 0, rows + dilation[0] * ((dilation[0] - 1 - rows) // dilation[0]), rows
            )
            cols = xp.where(
                cols < 0, cols + dilation[1] * ((dilation[1] - 1 - cols) // dilation[1]), cols
            )
            idx = rows * w + cols
        else:  # each window's origin plus its winner's offset within the window
            (sh, sw), (dh, dw), kw = stride, dilation, kernel[1]
            offsets = xp.asarray([(i // kw) * dh * w + (i % kw) * dw for i in range(k)])
            idx = offsets.take(arg)
            idx += (xp.arange(out_hw[0]) * (sh * w))[:, None] + xp.arange(out_hw[1]) * sw
        if ctx.needs_input_grad:  # positions in the flattened input, for the scatter back
            ctx.flat = (idx + (xp.arange(n * c) * (h * w)).reshape(n, c, 1, 1)).reshape(-1)
        return best, idx

    @staticmethod
    def backward(ctx, grad, *_):
        return MaxPool2DWithIndicesBackward.apply(
            grad, flat=ctx.flat, in_shape=ctx.in_shape, unique=ctx.unique
        )


class MaxPool2DWithIndicesBackward(Op):
    """Scatters each window's gradient to the element that won it."""

    @staticmethod
    def forward(ctx, g, *, flat, in_shape, unique):
        if ctx.needs_input_grad:
            ctx.flat, ctx.out_shape, ctx.unique = flat, g.shape, unique
        size = int(np.prod(in_shape))
        return _scatter_add(xp_of(g), size, flat, g.reshape(-1), unique).reshape(in_shape)

    @staticmethod
    def backward(ctx, gg):
        return MaxPool2DWithIndices.apply(
            gg, flat=ctx.flat, out_shape=ctx.out_shape, unique=ctx.unique
        )


def _pool_out(size, k, pad, s, d, ceil_mode):
    num = size + 2 * pad - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= size + pad:
        out -= 1  # the last window must start inside the input or its left padding
    return out


def _pool_args(input, kernel_size, stride, padding, dilation, ceil_mode, avg=False):
    if input.ndim not in (3, 4) or input.numel() == 0:
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    kernel = ntuple(kernel_size, 2)
    stride = kernel if stride is None or stride == [] or stride == () else ntuple(stride, 2)
    pad, dilation = ntuple(padding, 2), ntuple(dilation, 2)
    for k, p, d in zip(kernel, pad, dilation):
        if (avg and p > k // 2) or (not avg and p > ((k - 1) * d + 1) // 2):
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got "
                f"pad={p}, kernel_size={k} and dilation={d}"
            )
    h, w = input.shape[-2:]
    out_hw = (
        _pool_out(h, kernel[0], pad[0], stride[0], dilation[0], ceil_mode),
        _pool_out(w, kernel[1], pad[1], stride[1], dilation[1], ceil_mode),
    )
    if out_hw[0] < 1 or out_hw[1] < 1:
        c = input.shape[-3]
        raise RuntimeError(
            f"Given input size: ({c}x{h}x{w}). Calculated output size: "
            f"({c}x{out_hw[0]}x{out_hw[1]}). Output size is too small"
        )
    return kernel, stride, pad, dilation, out_hw


def max_pool2d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True
):
    cfg = _pool_args(input, kernel_size, stride, padding, dilation, ceil_mode)
    if input.ndim == 3:
        out, idx = max_pool2d_with_indices(
            input.unsqueeze(0), kernel_size, stride, padding, dilation, ceil_mode
        )
        return out.squeeze(0), idx.squeeze(0)
    kernel, stride, _, dilation = cfg[:4]
    unique = all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))
    return MaxPool2DWithIndices.apply(input, cfg=cfg, unique=unique)


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    out, idx = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    stride = None if stride is None else (1, ntuple(stride, 1)[0])
    out, idx = max_pool2d_with_indices(
        input.unsqueeze(-2),
        (1, ntuple(kernel_size, 1)[0]),
        stride,
        (0, ntuple(padding, 1)[0]),
        (1, ntuple(dilation, 1)[0]),
        ceil_mode,
    )
    out, idx = out.squeeze(-2), idx.squeeze(-2)
    return (out, idx) if return_indices else out


# ----- average ---------------------------------------------------------------------------------


def _divisor(size, k, s, pad, n_out, count_include_pad):
    """Per-output window sizes along one axis, as PyTorch counts them."""
    start = np.arange(n_out) * s - pad
    end = np.minimum(start + k, size + pad)
    if count_include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


class AvgPool2D(Op):
    @staticmethod
    def forward(ctx, x, *, cfg, div):
        kernel, stride, pad, _, out_hw = cfg
        ctx.cfg, ctx.div, ctx.in_shape = cfg, div, x.shape
        win = _windows(
            _padded(x, pad, kernel, stride, (1, 1), out_hw, 0), kernel, stride, (1, 1), out_hw
        )
        total = win[..., 0, 0].copy()  # summed position by position: each pass reads rows
        for i in range(1, kernel[0] * kernel[1]):
            total += win[..., i // kernel[1], i % kernel[1]]
        return (total / div).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return AvgPool2DBackward.apply(grad, cfg=ctx.cfg, div=ctx.div, in_shape=ctx.in_shape)


class AvgPool2DBackward(Op):
    """Spreads each output's gradient evenly over its window."""

    @staticmethod
    def forward(ctx, g, *, cfg, div, in_shape):
        ctx.cfg, ctx.div = cfg, div
        (kh, kw), (sh, sw), (ph, pw), _, (oh, ow) = cfg
        xp = xp_of(g)
        n, c, h, w = in_shape
        hp = max(h + 2 * ph, (oh - 1) * sh + kh)
        wp = max(w + 2 * pw, (ow - 1) * sw + kw)
        share = (g / div).astype(g.dtype, copy=False)
        out = xp.zeros((n, c, hp, wp), dtype=g.dtype)
        for i in range(kh):
            for j in range(kw):
                out[:, :, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw] += share
        return xp.ascontiguousarray(out[:, :, ph : ph + h, pw : pw + w])

    @staticmethod
    def backward(ctx, gg):
        return AvgPool2D.apply(gg, cfg=ctx.cfg, div=ctx.div)


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    cfg = _pool_args(input, kernel_size, stride, padding, 1, ceil_mode, avg=True)
    if input.ndim == 3:
        return avg_pool2d(
            input.unsqueeze(0),
            kernel_size,
            stride,
            padding,
            ceil_mode,
            count_include_pad,
            divisor_override,
        ).squeeze(0)
    kernel, stride, pad, _, out_hw = cfg
    xp = input._xp
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        div = divisor_override
    else:
        dh = _divisor(input.shape[2], kernel[0], stride[0], pad[0], out_hw[0], count_include_pad)
        dw = _divisor(input.shape[3], kernel[1], stride[1], pad[1], out_hw[1], count_include_pad)
        # in the input's float dtype, so that float32 stays float32 throughout
        div = xp.asarray(
            np.outer(dh, dw), dtype=input._data.dtype if input.is_floating_point() else np.float64
        )
    # integer input: the float quotient is truncated back by astype, as PyTorch's C++ does
    return AvgPool2D.apply(input, cfg=cfg, div=div)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    stride = None if stride is None else (1, ntuple(stride, 1)[0])
    return avg_pool2d(
        input.unsqueeze(-2),
        (1, ntuple(kernel_size, 1)[0]),
        stride,
        (0, ntuple(padding, 1)[0]),
        ceil_mode,
        count_include_pad,
    ).squeeze(-2)


# ----- adaptive average ------------------------------------------------------------------------


def _adaptive_matrix(size, out):
    """(out, size): row i averages input [floor(i*size/out), ceil((i+1)*size/out))."""
    m = np.zeros((out, size))
    for i in range(out):
        start = (i * size) // out
        end = -((-(i + 1) * size) // out)
        m[i, start:end] = 1.0 / (end - start)
    return m


class AdaptiveAvgPool2D(Op):
    """P_h @ x @ P_w^T with constant averaging matrices."""

    @staticmethod
    def forward(ctx, x, *, ph, pw):
        ctx.ph, ctx.pw = ph, pw
        return ph @ (x @ pw.T)

    @staticmethod
    def backward(ctx, grad):
        ph, pw = tensor_like(ctx.ph, grad), tensor_like(ctx.pw, grad)
        return ph.t().matmul(grad).matmul(pw)


def adaptive_avg_pool2d(input, output_size):
    if input.ndim not in (3, 4):
        raise RuntimeError(
            f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}"
        )
    size = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    if len(size) != 2:
        raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
    h, w = input.shape[-2:]
    oh, ow = (h if size[0] is None else size[0]), (w if size[1] is None else size[1])
    if (oh, ow) == (1, 1):
        return input.mean((-2, -1), keepdim=True)  # PyTorch does the same (MeanBackward1)
    xp = input._xp
    dt = input._data.dtype
    ph = xp.asarray(_adaptive_matrix(h, oh), dtype=dt)
    pw = xp.asarray(_adaptive_matrix(w, ow), dtype=dt)
    return AdaptiveAvgPool2D.apply(input, ph=ph, pw=pw)
