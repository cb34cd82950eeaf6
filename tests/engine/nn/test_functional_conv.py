"""conv2d / conv1d / conv_transpose2d: values against direct NumPy loops, gradients to second
order, PyTorch's node names and errors."""

import numpy as np
import pytest

import workbench.engine as torch
import workbench.engine.nn.functional as F
from tests.engine.helpers import check_grads, make_inputs


def naive_conv2d(x, w, b=None, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    """The definition: out[n, o, i, j] = sum_cuv xpad[n, c, i*s + u*d, j*s + v*d] w[o, c, u, v]."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), pads[:2], pads[2:]))
    oh = (xp.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (xp.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for oc in range(o):
        g = oc // og
        for i in range(oh):
            for j in range(ow):
                patch = xp[
                    :,
                    g * cg : (g + 1) * cg,
                    i * stride[0] : i * stride[0] + dilation[0] * (kh - 1) + 1 : dilation[0],
                    j * stride[1] : j * stride[1] + dilation[1] * (kw - 1) + 1 : dilation[1],
                ]
                out[:, oc, i, j] = (patch * w[oc]).sum((1, 2, 3))
    return out if b is None else out + b[:, None, None]


def naive_conv_transpose2d(x, w, stride, pad, out_pad, groups):
    """Each input element adds its value times the kernel into the output window it maps to."""
    n, ci, h, wd = x.shape
    _, cog, kh, kw = w.shape
    oh = (h - 1) * stride - 2 * pad + kh + out_pad
    ow = (wd - 1) * stride - 2 * pad + kw + out_pad
    full = np.zeros((n, cog * groups, oh + 2 * pad + kh, ow + 2 * pad + kw))
    cig = ci // groups
    for c in range(ci):
        g = c // cig
        for i in range(h):
            for j in range(wd):
                full[
                    :,
                    g * cog : (g + 1) * cog,
                    i * stride : i * stride + kh,
                    j * stride : j * stride + kw,
                ] += x[:, c, i, j][:, None, None, None] * w[c]
    return full[:, :, pad : pad + oh, pad : pad + ow]


CASES = [  # input shape, weight shape, keyword arguments, explicit (top, bottom, left, right)
    ((2, 3, 6, 5), (4, 3, 3, 3), {}, (0, 0, 0, 0)),
    (
        (1, 4, 7, 6),
        (6, 2, 3, 2),
        {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2), "groups": 2},
        (1, 1, 2, 2),
    ),
    ((2, 2, 6, 6), (3, 2, 4, 4), {"padding": "same"}, (1, 2, 1, 2)),
    ((1, 2, 7, 7), (3, 2, 3, 3), {"padding": "same", "dilation": 2}, (2, 2, 2, 2)),
    ((1, 3, 5, 5), (3, 1, 3, 3), {"groups": 3, "stride": 2, "padding": 1}, (1, 1, 1, 1)),
    ((1, 2, 4, 4), (2, 2, 1, 1), {"padding": "valid"}, (0, 0, 0, 0)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("x_shape, w_shape, kwargs, pads", CASES)
def test_values_match_direct_convolution(x_shape, w_shape, kwargs, pads):
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s) for s in (x_shape, w_shape, (w_shape[0],)))
    y = F.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), **kwargs)
    args = {
        k: (v if isinstance(v, tuple) else (v, v))
        for k, v in kwargs.items()
        if k in ("stride", "dilation")
    }
    want = naive_conv2d(x, w, b, pads=pads, groups=kwargs.get("groups", 1), **args)
    assert y.shape == want.shape
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"stride": 2, "padding": 1},
        {"padding": (0, 1), "dilation": (2, 1)},
        {"stride": (1, 2), "padding": 2},
    ],
)
def test_gradcheck_second_order(kwargs):
    x, w, b = make_inputs((1, 2, 5, 5), (3, 2, 3, 3), (3,))
    check_grads(lambda x, w, b: F.conv2d(x, w, b, **kwargs), x, w, b)


def test_gradcheck_groups_and_same_padding():
    x, w = make_inputs((1, 4, 4, 4), (4, 2, 2, 2), seed=2)
    with pytest.warns(UserWarning, match="even kernel lengths"):
        check_grads(lambda x, w: F.conv2d(x, w, padding="same", groups=2), x, w)


def test_grad_fn_names_and_double_backward_node():
    x, w = make_inputs((1, 2, 5, 5), (3, 2, 3, 3))
    y = F.conv2d(x, w)
    assert y.grad_fn.name() == "ConvolutionBackward0"
    (gx,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    assert gx.grad_fn.name() == "ConvolutionBackwardBackward0"


def test_gradients_flow_to_bias_and_float32():
    x = torch.randn(2, 3, 5, 5, requires_grad=True)
    w = torch.randn(4, 3, 3, 3, requires_grad=True)
    b = torch.randn(4, requires_grad=True)
    y = F.conv2d(x, w, b, padding=1)
    assert y.dtype == torch.float32 and y.shape == (2, 4, 5, 5)
    y.sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 50.0))
    assert x.grad.dtype == torch.float32 and w.grad.shape == (4, 3, 3, 3)


def test_unbatched_input_and_conv1d():
    x, w = make_inputs((2, 6, 6), (3, 2, 3, 3))
    y = F.conv2d(x, w)
    np.testing.assert_allclose(y.detach().numpy(), F.conv2d(x.unsqueeze(0), w)[0].detach().numpy())
    x1, w1, b1 = make_inputs((2, 3, 9), (4, 3, 3), (4,))
    y1 = F.conv1d(x1, w1, b1, stride=2, padding=1, dilation=2)
    want = naive_conv2d(
        x1.detach().numpy()[:, :, None],
        w1.detach().numpy()[:, :, None],
        b1.detach().numpy(),
        stride=(1, 2),
        pads=(0, 0, 1, 1),
        dilation=(1, 2),
    )
    np.testing.assert_allclose(y1.detach().numpy(), want[:, :, 0])
    check_grads(lambda x, w: F.conv1d(x, w, padding=1), x1, w1)


@pytest.mark.parametrize("stride, pad, out_pad, groups", [(1, 0, 0, 1), (2, 1, 1, 2), (3, 1, 2, 1)])
def test_conv_transpose2d(stride, pad, out_pad, groups):
    x, w, b = make_inputs((1, 2, 3, 3), (2, 2, 3, 3), (2 * groups,), seed=stride)
    y = F.conv_transpose2d(
        x, w, b, stride=stride, padding=pad, output_padding=out_pad, groups=groups
    )
    want = (
        naive_conv_transpose2d(x.detach().numpy(), w.detach().numpy(), stride, pad, out_pad, groups)
        + b.detach().numpy()[:, None, None]
    )
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-10, atol=1e-12)
    assert y.grad_fn.name() == "ConvolutionBackward0"
    check_grads(lambda x, w, b: F.conv_transpose2d(x, w, b, stride, pad, out_pad, groups), x, w, b)


def test_errors():
    x = torch.randn(1, 3, 5, 5)
    with pytest.raises(
        RuntimeError,
        match=r"Given groups=1, weight of size \[8, 2, 3, 3\], "
        r"expected input\[1, 3, 5, 5\] to have 2 channels, "
        r"but got 3 channels instead",
    ):
        F.conv2d(x, torch.randn(8, 2, 3, 3))
    with pytest.raises(
        RuntimeError,
        match=r"Given groups=3, expected weight to be divisible by "
        r"3 at dimension 0, but got weight of size "
        r"\[\[8, 1, 3, 3\]\] instead",
    ):
        F.conv2d(x, torch.randn(8, 1, 3, 3), groups=3)
    with pytest.raises(
        RuntimeError,
        match=r"Calculated padded input size per channel: \(2 x 2\)"
        r"\. Kernel size: \(3 x 3\)\. Kernel size can't be "
        r"greater than actual input size",
    ):
        F.conv2d(torch.randn(1, 2, 2, 2), torch.randn(8, 2, 3, 3))
    with pytest.raises(
        RuntimeError,
        match=r"Expected 3D \(unbatched\) or 4D \(batched\) input "
        r"to conv2d, but got input of size: \[2, 2\]",
    ):
        F.conv2d(torch.randn(2, 2), torch.randn(8, 2, 3, 3))
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided"):
        F.conv2d(x, torch.randn(2, 3, 3, 3), stride=2, padding="same")
    with pytest.raises(RuntimeError, match="Invalid padding string: 'foo'"):
        F.conv2d(x, torch.randn(2, 3, 3, 3), padding="foo")
    with pytest.raises(RuntimeError, match="negative padding is not supported"):
        F.conv2d(x, torch.randn(2, 3, 3, 3), padding=-1)
    with pytest.raises(RuntimeError, match="non-positive stride is not supported"):
        F.conv2d(x, torch.randn(2, 3, 3, 3), stride=0)
    with pytest.raises(
        RuntimeError,
        match=r"expected bias to be 1-dimensional with 2 elements, "
        r"but got bias of size \[3\] instead",
    ):
        F.conv2d(x, torch.randn(2, 3, 3, 3), torch.randn(3))
    with pytest.raises(
        RuntimeError,
        match=r"Input type \(torch.FloatTensor\) and weight type "
        r"\(torch.DoubleTensor\) should be the same",
    ):
        F.conv2d(x, torch.randn(2, 3, 3, 3, dtype=torch.float64))
    with pytest.raises(RuntimeError, match=r"Input type \(float\) and bias type \(double\)"):
        F.conv2d(x, torch.randn(2, 3, 3, 3), torch.randn(2, dtype=torch.float64))


def naive_conv2d_grads(x, w, gout, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    """Gradients of sum(conv2d(x, w) * gout): each output adds gout times the kernel back over
    its window (input) and gout times the window to the kernel (weight)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), pads[:2], pads[2:]))
    gx = np.zeros_like(xp)
    gw = np.zeros_like(w)
    og = o // groups
    for oc in range(o):
        g = oc // og
        for i in range(gout.shape[2]):
            for j in range(gout.shape[3]):
                win = (
                    slice(None),
                    slice(g * cg, (g + 1) * cg),
                    slice(i * stride[0], i * stride[0] + dilation[0] * (kh - 1) + 1, dilation[0]),
                    slice(j * stride[1], j * stride[1] + dilation[1] * (kw - 1) + 1, dilation[1]),
                )
                go = gout[:, oc, i, j]
                gx[win] += go[:, None, None, None] * w[oc]
                gw[oc] += (go[:, None, None, None] * xp[win]).sum(0)
    gx = gx[:, :, pads[0] : pads[0] + h, pads[2] : pads[2] + wd]
    return gx, gw, gout.sum((0, 2, 3))


GRAD_CASES = [  # input shape, weight shape, keyword arguments, explicit (top, bottom, left, right)
    # per-sample products (oh*ow >= C/groups*kh*kw); stride 1 takes the shifted-run col2im
    (
        (3, 4, 7, 6),
        (6, 2, 3, 2),
        {"padding": (1, 2), "dilation": (2, 1), "groups": 2},
        (1, 1, 2, 2),
    ),
    ((2, 3, 9, 10), (2, 3, 3, 3), {"padding": 1, "dilation": 2}, (1, 1, 1, 1)),
    ((4, 1, 6, 9), (3, 1, 1, 1), {}, (0, 0, 0, 0)),
    ((2, 2, 8, 7), (4, 2, 3, 3), {"stride": (2, 1), "padding": 1}, (1, 1, 1, 1)),
    ((2, 3, 6, 6), (3, 1, 2, 2), {"stride": 2, "groups": 3}, (0, 0, 0, 0)),
    # one product over all samples (small maps, more rows per column)
    ((2, 3, 7, 6), (2, 3, 3, 3), {"padding": 1, "dilation": 2}, (1, 1, 1, 1)),
    ((3, 4, 4, 4), (4, 2, 3, 3), {"padding": 1, "groups": 2}, (1, 1, 1, 1)),
]


@pytest.mark.parametrize("x_shape, w_shape, kwargs, pads", GRAD_CASES)
def test_gradients_match_the_direct_adjoint(x_shape, w_shape, kwargs, pads):
    rng = np.random.default_rng(1)
    x, w, b = (
        torch.tensor(rng.standard_normal(s), requires_grad=True)
        for s in (x_shape, w_shape, (w_shape[0],))
    )
    y = F.conv2d(x, w, b, **kwargs)
    gout = rng.standard_normal(y.shape)
    y.backward(torch.tensor(gout))
    args = {
        k: (v if isinstance(v, tuple) else (v, v))
        for k, v in kwargs.items()
        if k in ("stride", "dilation")
    }
    args["groups"] = kwargs.get("groups", 1)
    gx, gw, gb = naive_conv2d_grads(x.detach().numpy(), w.detach().numpy(), gout, pads=pads, **args)
    np.testing.assert_allclose(x.grad.numpy(), gx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), gw, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), gb, rtol=1e-10, atol=1e-12)


def test_input_gradient_with_infinite_weights_stays_where_the_kernel_reaches():
    # the stride-1 input gradient shifts zero-padded runs; 0 * inf would leak NaN into them
    rng = np.random.default_rng(2)
    x = torch.tensor(rng.standard_normal((2, 2, 5, 6)), requires_grad=True)
    w0 = rng.standard_normal((3, 2, 2, 3))
    w0[1, 0, 1, 2] = np.inf
    y = F.conv2d(x, torch.tensor(w0))
    gout = np.abs(rng.standard_normal(y.shape))
    y.backward(torch.tensor(gout))
    want = naive_conv2d_grads(x.detach().numpy(), w0, gout)[0]
    assert np.isinf(want).any() and not np.isnan(want).any()
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-10)


def test_a_second_backward_through_a_retained_graph_gives_the_same_weight_grad():
    x, w = make_inputs((2, 3, 6, 6), (4, 3, 3, 3), seed=3)
    loss = (F.conv2d(x, w) ** 2).sum()
    (first,) = torch.autograd.grad(loss, w, retain_graph=True)
    (second,) = torch.autograd.grad(loss, w)
    np.testing.assert_array_equal(first.numpy(), second.numpy())


def test_columns_above_the_cap_are_built_again_for_the_weight_grad(monkeypatch):
    from workbench.engine.nn.functional import conv

    x, w = make_inputs((2, 3, 6, 6), (4, 3, 3, 3), seed=4)
    kept = F.conv2d(x, w)
    assert kept.grad_fn.cols is not None
    (want,) = torch.autograd.grad(kept.sum(), w)
    monkeypatch.setattr(conv, "KEEP_COLS_BYTES", 100)
    y = F.conv2d(x, w)
    assert getattr(y.grad_fn, "cols", None) is None
    (got,) = torch.autograd.grad(y.sum(), w)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
