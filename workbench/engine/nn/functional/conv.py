"""2-D convolution by im2col: a strided window view, one copy, one batched matrix product.

Convolution is bilinear, y = B(x, w), so its gradients are two more bilinear maps:
    dx = Tx(dy, w)   (a transposed convolution: matrix product, then scatter-add of windows)
    dw = Tw(x, dy)   (windows of x against dy: one matrix product)
and the gradients of those are B, Tx and Tw again. With all three as ops whose backward is
written in terms of the others, every order of derivative is exact.
"""

from __future__ import annotations

import warnings

import numpy as np

from ...autograd.function import Op
from ._util import ntuple, xp_of

__all__ = ["conv2d", "conv1d", "conv_transpose2d"]


# ----- array kernels ---------------------------------------------------------------------------


def _as_strided(a, shape, strides):
    if a.__class__ is np.ndarray:
        return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=False)
    import cupy

    return cupy.lib.stride_tricks.as_strided(a, shape, strides)


def _pad(x, pads, value=0):
    t, b, l, r = pads
    if not (t or b or l or r):
        return x
    return xp_of(x).pad(x, ((0, 0), (0, 0), (t, b), (l, r)), constant_values=value)


def out_size(size, k, s, pad_total, d):
    return (size + pad_total - d * (k - 1) - 1) // s + 1


def _cols(x, kernel, stride, pads, dilation, groups, out_hw):
    """im2col: (groups, C/groups*kh*kw, N*oh*ow), the windows of the padded input as columns.

    The copy reads whole rows of the image (the innermost axis is the output width), which is
    what makes this layout fast to build.
    """
    xp_ = _pad(x, pads)
    n, c = x.shape[:2]
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    s_n, s_c, s_h, s_w = xp_.strides
    cg = c // groups
    win = _as_strided(
        xp_,
        (groups, cg, kh, kw, n, oh, ow),
        (s_c * cg, s_c, s_h * dh, s_w * dw, s_n, s_h * sh, s_w * sw),
    )
    return win.reshape(groups, cg * kh * kw, n * oh * ow)


def _grad_rows(g, groups):
    """(N, O, oh, ow) -> (groups, O/groups, N*oh*ow), the layout the matrix products want."""
    n, o, oh, ow = g.shape
    return (
        g.reshape(n, groups, o // groups, oh * ow)
        .transpose(1, 2, 0, 3)
        .reshape(groups, o // groups, n * oh * ow)
    )


def _conv(x, w, stride, pads, dilation, groups):
    n = x.shape[0]
    o, cg, kh, kw = w.shape
    oh = out_size(x.shape[2], kh, stride[0], pads[0] + pads[1], dilation[0])
    ow = out_size(x.shape[3], kw, stride[1], pads[2] + pads[3], dilation[1])
    cols = _cols(x, (kh, kw), stride, pads, dilation, groups, (oh, ow))
    out = w.reshape(groups, o // groups, cg * kh * kw) @ cols  # (groups, O/groups, N*oh*ow)
    return (
        out.reshape(groups, o // groups, n, oh, ow).transpose(2, 0, 1, 3, 4).reshape(n, o, oh, ow)
    )


def _conv_input_grad(g, w, in_hw, stride, pads, dilation, groups):
    """Tx: the adjoint of x -> conv(x, w); col2im adds each column back where it was read."""
    xp = xp_of(g)
    n, o, oh, ow = g.shape
    _, cg, kh, kw = w.shape
    og = o // groups
    cols = w.reshape(groups, og, cg * kh * kw).transpose(0, 2, 1) @ _grad_rows(g, groups)
    cols = cols.reshape(groups, cg, kh, kw, n, oh, ow)
    (sh, sw), (dh, dw) = stride, dilation
    t, b, l, r = pads
    h, wd = in_hw
    xpad = xp.zeros((n, groups, cg, h + t + b, wd + l + r), dtype=g.dtype)
    for i in range(kh):
        for j in range(kw):
            xpad[
                ...,
                i * dh : i * dh + sh * (oh - 1) + 1 : sh,
                j * dw : j * dw + sw * (ow - 1) + 1 : sw,
            ] += cols[:, :, i, j].transpose(2, 0, 1, 3, 4)
    xpad = xpad.reshape(n, groups * cg, h + t + b, wd + l + r)
    if t or b or l or r:
        xpad = xp.ascontiguousarray(xpad[:, :, t : t + h, l : l + wd])
    return xpad


def _conv_weight_grad(x, g, kernel, stride, pads, dilation, groups):
    """Tw: the adjoint of w -> conv(x, w); the output gradient against the windows of x."""
    n, o, oh, ow = g.shape
    cg = x.shape[1] // groups
    cols = _cols(x, kernel, stride, pads, dilation, groups, (oh, ow))
    return (_grad_rows(g, groups) @ cols.transpose(0, 2, 1)).reshape(o, cg, *kernel)


# ----- ops -------------------------------------------------------------------------------------


class Convolution(Op):
    """conv2d (or, with `transposed`, conv_transpose2d) plus bias: ConvolutionBackward0."""

    @staticmethod
    def forward(ctx, x, w, b=None, *, cfg, transposed=False, out_hw=None):
        ctx.save_for_backward(x, w)
        ctx.cfg, ctx.transposed = cfg, transposed
        out = _conv_input_grad(x, w, out_hw, *cfg) if transposed else _conv(x, w, *cfg)
        if b is not None:
            out += b.reshape(-1, 1, 1)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        cfg = ctx.cfg
        gx = gw = gb = None
        if ctx.transposed:  # y = Tx(x, w): dx = B(dy, w), dw = Tw(dy, x)
            if need[0]:
                gx = Convolution.apply(grad, w, cfg=cfg)
            if need[1]:
                gw = ConvolutionBackward.apply(grad, x, wrt="weight", size=w.shape[2:], cfg=cfg)
        else:
            if need[0]:
                gx = ConvolutionBackward.apply(grad, w, wrt="input", size=x.shape[2:], cfg=cfg)
            if need[1]:
                gw = ConvolutionBackward.apply(x, grad, wrt="weight", size=w.shape[2:], cfg=cfg)
        if len(need) > 2 and need[2]:
            gb = grad.sum((0, 2, 3))
        return (gx, gw, gb)[: len(need)]


class ConvolutionBackward(Op):
    """Tx(dy, w) (wrt="input") or Tw(x, dy) (wrt="weight"); ConvolutionBackwardBackward0."""

    @staticmethod
    def forward(ctx, a, b, *, wrt, size, cfg):
        ctx.save_for_backward(a, b)
        ctx.wrt, ctx.cfg = wrt, cfg
        if wrt == "input":
            return _conv_input_grad(a, b, tuple(size), *cfg)
        return _conv_weight_grad(a, b, tuple(size), *cfg)

    @staticmethod
    def backward(ctx, gg):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        cfg = ctx.cfg
        da = db = None
        if ctx.wrt == "input":  # r = Tx(g, w)
            g, w = a, b
            if na:
                da = Convolution.apply(gg, w, cfg=cfg)
            if nb:
                db = ConvolutionBackward.apply(gg, g, wrt="weight", size=w.shape[2:], cfg=cfg)
        else:  # r = Tw(x, g)
            x, g = a, b
            if na:
                da = ConvolutionBackward.apply(g, gg, wrt="input", size=x.shape[2:], cfg=cfg)
            if nb:
                db = Convolution.apply(x, gg, cfg=cfg)
        return da, db


# ----- functional forms ------------------------------------------------------------------------


def _type_name(t):
    from ...autograd.function import legacy_type_name

    return legacy_type_name(t)


def _check_types(input, weight, bias):
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(
            f"Input type ({_type_name(input)}) and weight type ({_type_name(weight)}) should be "
            "the same or input should be a MKLDNN tensor and weight is a dense tensor"
        )
    if bias is not None and bias._data.dtype != input._data.dtype:
        from ._util import c_type_name

        raise RuntimeError(
            f"Input type ({c_type_name(input)}) and bias type "
            f"({c_type_name(bias)}) should be the same"
        )
    if input.device != weight.device:
        raise RuntimeError(
            f"Input type ({_type_name(input)}) and weight type ({_type_name(weight)}) should be "
            "the same"
        )


def _param(value, name):
    v = ntuple(value, 2)
    if len(v) != 2:
        raise RuntimeError(
            f"expected {name} to be a single integer value or a list of 2 values to match the "
            f"convolution dimensions, but got {name}={list(v)}"
        )
    return v


def _same_pads(kernel, dilation):
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads += [total // 2, total - total // 2]  # the odd one out goes after, as in PyTorch
    return tuple(pads)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    if input.ndim not in (3, 4):
        raise RuntimeError(
            "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got "
            f"input of size: {list(input.shape)}"
        )
    if weight.ndim != 4:
        raise RuntimeError(
            "expected stride to be a single integer value or a list of "
            f"{weight.ndim - 2} values to match the convolution dimensions, but got "
            f"stride={list(ntuple(stride, 2))}"
        )
    if input.ndim == 3:
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(
            0
        )
    _check_types(input, weight, bias)
    stride, dilation = _param(stride, "stride"), _param(dilation, "dilation")
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = (0, 0, 0, 0)
        elif padding == "same":
            if stride != (1, 1):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = _same_pads(kernel, dilation)
            if any(d * (k - 1) % 2 for k, d in zip(kernel, dilation)):
                warnings.warn(
                    "Using padding='same' with even kernel lengths and odd dilation may "
                    "require a zero-padded copy of the input be created",
                    UserWarning,
                    stacklevel=2,
                )
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        ph, pw = _param(padding, "padding")
        pads = (ph, ph, pw, pw)
    if any(p < 0 for p in pads):
        raise RuntimeError("negative padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    o = weight.shape[0]
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if o % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{list(weight.shape)}] instead"
        )
    if input.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
            f"input{list(input.shape)} to have {weight.shape[1] * groups} channels, but got "
            f"{input.shape[1]} channels instead"
        )
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != o):
        raise RuntimeError(
            f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
            f"{o} elements, but got bias of size {list(bias.shape)} instead"
        )
    hp = input.shape[2] + pads[0] + pads[1]
    wp = input.shape[3] + pads[2] + pads[3]
    eh = dilation[0] * (kernel[0] - 1) + 1
    ew = dilation[1] * (kernel[1] - 1) + 1
    if hp < eh or wp < ew:
        raise RuntimeError(
            f"Calculated padded input size per channel: ({hp} x {wp}). Kernel size: ({eh} x "
            f"{ew}). Kernel size can't be greater than actual input size"
        )
    cfg = (stride, pads, dilation, groups)
    if bias is None:
        return Convolution.apply(input, weight, cfg=cfg)
    return Convolution.apply(input, weight, bias, cfg=cfg)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """conv2d over a height-1 image."""
    if input.ndim not in (2, 3):
        raise RuntimeError(
            "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got "
            f"input of size: {list(input.shape)}"
        )
    if not isinstance(padding, str):
        padding = (0, ntuple(padding, 1)[0])
    out = conv2d(
        input.unsqueeze(-2),
        weight.unsqueeze(-2),
        bias,
        (1, ntuple(stride, 1)[0]),
        padding,
        (1, ntuple(dilation, 1)[0]),
        groups,
    )
    return out.squeeze(-2)


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    if input.ndim not in (3, 4):
        raise RuntimeError(
            "Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, "
            f"but got input of size: {list(input.shape)}"
        )
    if input.ndim == 3:
        return conv_transpose2d(
            input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups, dilation
        ).squeeze(0)
    _check_types(input, weight, bias)
    stride, dilation = _param(stride, "stride"), _param(dilation, "dilation")
    (ph, pw), (oph, opw) = _param(padding, "padding"), _param(output_padding, "output_padding")
    if input.shape[1] != weight.shape[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {weight.shape[0]} channels, but got {input.shape[1]} "
            "channels instead"
        )
    if oph >= max(stride[0], dilation[0]) or opw >= max(stride[1], dilation[1]):
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but "
            f"got output_padding_height: {oph} output_padding_width: {opw} "
            f"stride_height: {stride[0]} stride_width: {stride[1]} "
            f"dilation_height: {dilation[0]} dilation_width: {dilation[1]}"
        )
    kh, kw = weight.shape[2:]
    oh = (input.shape[2] - 1) * stride[0] - 2 * ph + dilation[0] * (kh - 1) + oph + 1
    ow = (input.shape[3] - 1) * stride[1] - 2 * pw + dilation[1] * (kw - 1) + opw + 1
    cfg = (stride, (ph, ph, pw, pw), dilation, groups)
    args = (input, weight) if bias is None else (input, weight, bias)
    return Convolution.apply(*args, cfg=cfg, transposed=True, out_hw=(oh, ow))
