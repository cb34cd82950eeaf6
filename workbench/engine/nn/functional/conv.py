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


def _per_sample(cg, kernel, out_hw):
    """Whether to run the matrix products per sample (batched) rather than as one product over
    all samples' positions.

    Per sample, the forward's product is already the (N, O, oh, ow) output and the weight
    gradient needs no transposed copies, but it runs N products with oh*ow as the inner size
    and writes N partial (O, C*kh*kw) gradients to sum: a win while a sample has at least as
    many output positions as a column has rows (2x for the 8- and 16-channel convs of a small
    MNIST CNN), a loss of up to 10x for small feature maps with many channels.
    """
    return out_hw[0] * out_hw[1] >= cg * kernel[0] * kernel[1]


def _cols(x, kernel, stride, pads, dilation, groups, out_hw, per_sample):
    """im2col: the windows of the padded input as columns, (N, groups, C/groups*kh*kw, oh*ow)
    per sample, else (groups, C/groups*kh*kw, N*oh*ow). The copy reads whole rows of the image
    (the innermost axis is the output width), which is what makes these layouts fast to build.
    """
    xp_ = _pad(x, pads)
    n, c = x.shape[:2]
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    s_n, s_c, s_h, s_w = xp_.strides
    cg = c // groups
    if per_sample:
        win = _as_strided(
            xp_,
            (n, groups, cg, kh, kw, oh, ow),
            (s_n, s_c * cg, s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw),
        )
        return win.reshape(n, groups, cg * kh * kw, oh * ow)
    win = _as_strided(
        xp_,
        (groups, cg, kh, kw, n, oh, ow),
        (s_c * cg, s_c, s_h * dh, s_w * dw, s_n, s_h * sh, s_w * sw),
    )
    return win.reshape(groups, cg * kh * kw, n * oh * ow)


def _grad_rows(g, groups):
    """(N, O, oh, ow) -> (groups, O/groups, N*oh*ow), the layout the one-product form wants."""
    n, o, oh, ow = g.shape
    return (
        g.reshape(n, groups, o // groups, oh * ow)
        .transpose(1, 2, 0, 3)
        .reshape(groups, o // groups, n * oh * ow)
    )


def _conv(x, w, stride, pads, dilation, groups, keep_cols=False):
    """conv(x, w) as (N, O, oh, ow); with keep_cols, also the columns (for the weight grad)."""
    n = x.shape[0]
    o, cg, kh, kw = w.shape
    oh = out_size(x.shape[2], kh, stride[0], pads[0] + pads[1], dilation[0])
    ow = out_size(x.shape[3], kw, stride[1], pads[2] + pads[3], dilation[1])
    per_sample = _per_sample(cg, (kh, kw), (oh, ow))
    cols = _cols(x, (kh, kw), stride, pads, dilation, groups, (oh, ow), per_sample)
    out = w.reshape(groups, o // groups, cg * kh * kw) @ cols
    if per_sample:  # (N, groups, O/groups, oh*ow)
        out = out.reshape(n, o, oh, ow)
    else:  # (groups, O/groups, N*oh*ow)
        out = out.reshape(groups, o // groups, n, oh, ow).transpose(2, 0, 1, 3, 4)
        out = out.reshape(n, o, oh, ow)
    return (out, cols) if keep_cols else out


def _conv_input_grad(g, w, in_hw, stride, pads, dilation, groups):
    """Tx: the adjoint of x -> conv(x, w); col2im adds each column back where it was read."""
    xp = xp_of(g)
    n, o, oh, ow = g.shape
    _, cg, kh, kw = w.shape
    og = o // groups
    (sh, sw), (dh, dw) = stride, dilation
    t, b, l, r = pads
    h, wd = in_hw
    hp, wp = h + t + b, wd + l + r
    wt = w.reshape(groups, og, cg * kh * kw).transpose(0, 2, 1)
    if not _per_sample(cg, (kh, kw), (oh, ow)):
        cols = (wt @ _grad_rows(g, groups)).reshape(groups, cg, kh, kw, n, oh, ow)
        cols = cols.transpose(4, 0, 1, 2, 3, 5, 6)  # (N, groups, C/groups, kh, kw, oh, ow)
    elif sh == sw == 1 and bool(xp.isfinite(w).all()):
        cols = None
        xpad = _col2im_flat(xp, g, w, groups, (hp, wp), dilation)
    else:
        cols = (wt @ g.reshape(n, groups, og, oh * ow)).reshape(n, groups, cg, kh, kw, oh, ow)
    if cols is not None:
        xpad = xp.zeros((n, groups, cg, hp, wp), dtype=g.dtype)
        for i in range(kh):
            for j in range(kw):
                taps = xpad[  # a view, added to in place
                    ...,
                    i * dh : i * dh + sh * (oh - 1) + 1 : sh,
                    j * dw : j * dw + sw * (ow - 1) + 1 : sw,
                ]
                taps += cols[:, :, :, i, j]
    xpad = xpad.reshape(n, groups * cg, hp, wp)
    if t or b or l or r:
        xpad = xp.ascontiguousarray(xpad[:, :, t : t + h, l : l + wd])
    return xpad


def _col2im_flat(xp, g, w, groups, padded_hw, dilation):
    """col2im for stride 1, where each kernel tap is a plain shift of the flattened planes.

    The gradient is zero-padded to the padded input's planes; each tap's product with it then
    covers all channels of a group in one run, added at offset i*dh*wp + j*dw: kh*kw long
    additions instead of additions over short image rows (11 elements for a 13x13 input), and
    a tap's product (one kh*kw-th of the columns) is small enough to stay in cache. The padding
    multiplies to exact zeros (hence finite weights only), so whatever a shifted run carries
    past its row, or into the next plane, adds nothing.
    """
    n, o, oh, ow = g.shape
    _, cg, kh, kw = w.shape
    hp, wp = padded_hw
    dh, dw = dilation
    og = o // groups
    plane = hp * wp
    gp = xp.zeros((n, o, hp, wp), dtype=g.dtype)
    gp[:, :, :oh, :ow] = g
    gp = gp.reshape(n, groups, og, plane)
    taps = xp.ascontiguousarray(w.reshape(groups, og, cg, kh * kw).transpose(3, 0, 2, 1))
    total = n * groups * cg * plane
    # room for the last tap's shifted run to be cut as one slice as long as the others
    flat = xp.zeros(total + (kh - 1) * dh * wp + (kw - 1) * dw, dtype=g.dtype)
    part = xp.empty((n, groups, cg, plane), dtype=g.dtype)
    for i in range(kh):
        for j in range(kw):
            xp.matmul(taps[i * kw + j], gp, out=part)  # (groups, cg, og) @ (n, groups, og, plane)
            off = i * dh * wp + j * dw
            run = flat[off : off + total].reshape(n, groups, cg, plane)
            run += part
    return flat[:total].reshape(n, groups, cg, hp, wp)


def _conv_weight_grad(x, g, kernel, stride, pads, dilation, groups, cols=None):
    """Tw: the adjoint of w -> conv(x, w); the output gradient against the windows of x (the
    forward's columns when it kept them)."""
    n, o, oh, ow = g.shape
    cg = x.shape[1] // groups
    per_sample = _per_sample(cg, kernel, (oh, ow))
    if cols is None:
        cols = _cols(x, kernel, stride, pads, dilation, groups, (oh, ow), per_sample)
    if per_sample:  # one product per sample, summed: no transposed copy of g or the columns
        gw = (g.reshape(n, groups, o // groups, oh * ow) @ cols.transpose(0, 1, 3, 2)).sum(0)
    else:
        gw = _grad_rows(g, groups) @ cols.transpose(0, 2, 1)
    return gw.reshape(o, cg, *kernel)


# The forward's columns are kept for the weight gradient up to this size: building them again
# costs as much as the forward's copy, but they are kh*kw times the input, and a deep network
# would hold every layer's until backward.
KEEP_COLS_BYTES = 16 << 20


# ----- ops -------------------------------------------------------------------------------------


class Convolution(Op):
    """conv2d (or, with `transposed`, conv_transpose2d) plus bias: ConvolutionBackward0."""

    @staticmethod
    def forward(ctx, x, w, b=None, *, cfg, transposed=False, out_hw=None):
        ctx.save_for_backward(x, w)
        ctx.cfg, ctx.transposed = cfg, transposed
        need = ctx.needs_input_grad
        if transposed:
            out = _conv_input_grad(x, w, out_hw, *cfg)
        elif len(need) > 1 and need[1]:  # the weight grad reads the same columns: keep them
            out, cols = _conv(x, w, *cfg, keep_cols=True)
            if cols.nbytes <= KEEP_COLS_BYTES:
                ctx.cols = cols
        else:
            out = _conv(x, w, *cfg)
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
                cols = getattr(ctx, "cols", None)
                ctx.cols = None  # a second backward (retain_graph) builds them again
                gw = ConvolutionBackward.apply(
                    x, grad, wrt="weight", size=w.shape[2:], cfg=cfg, cols=cols
                )
        if len(need) > 2 and need[2]:
            gb = grad.sum(0).sum((1, 2))  # the batch first: 3x faster than over (0, 2, 3) at once
        return (gx, gw, gb)[: len(need)]


class ConvolutionBackward(Op):
    """Tx(dy, w) (wrt="input") or Tw(x, dy) (wrt="weight"); ConvolutionBackwardBackward0."""

    @staticmethod
    def forward(ctx, a, b, *, wrt, size, cfg, cols=None):
        ctx.save_for_backward(a, b)
        ctx.wrt, ctx.cfg = wrt, cfg
        if wrt == "input":
            return _conv_input_grad(a, b, tuple(size), *cfg)
        return _conv_weight_grad(a, b, tuple(size), *cfg, cols=cols)

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
