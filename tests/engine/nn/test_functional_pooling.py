"""max_pool2d, avg_pool2d, adaptive_avg_pool2d (and the 1-d forms): values and indices against
direct NumPy loops, gradients to second order, PyTorch's node names and errors."""

import math

import numpy as np
import pytest

import workbench.engine as torch
import workbench.engine.nn.functional as F
from tests.engine.helpers import check_grads, make_inputs


def _out(size, k, s, p, d, ceil):
    o = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    return o - 1 if ceil and (o - 1) * s >= size + p else o


def naive_max_pool(x, k, s, p, d, ceil):
    n, c, h, w = x.shape
    oh, ow = _out(h, k, s, p, d, ceil), _out(w, k, s, p, d, ceil)
    out, idx = np.zeros((n, c, oh, ow)), np.zeros((n, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            best = np.full((n, c), -np.inf)
            for u in range(k):
                for v in range(k):
                    r, q = i * s - p + u * d, j * s - p + v * d
                    if 0 <= r < h and 0 <= q < w:
                        better = x[:, :, r, q] > best  # strict: the first maximum wins
                        best = np.where(better, x[:, :, r, q], best)
                        idx[:, :, i, j] = np.where(better, r * w + q, idx[:, :, i, j])
            out[:, :, i, j] = best
    return out, idx


def naive_avg_pool(x, k, s, p, ceil, count_include_pad, divisor_override=None):
    n, c, h, w = x.shape
    oh, ow = _out(h, k, s, p, 1, ceil), _out(w, k, s, p, 1, ceil)
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, q0 = i * s - p, j * s - p
            r1, q1 = min(r0 + k, h + p), min(q0 + k, w + p)
            size = (r1 - r0) * (q1 - q0)
            r0, q0, r1, q1 = max(r0, 0), max(q0, 0), min(r1, h), min(q1, w)
            total = x[:, :, r0:r1, q0:q1].sum((2, 3))
            div = divisor_override or (size if count_include_pad else (r1 - r0) * (q1 - q0))
            out[:, :, i, j] = total / div
    return out


X = np.random.default_rng(0).standard_normal((2, 3, 7, 8))

MAX_CASES = [
    (2, 2, 0, 1, False),
    (3, 2, 1, 1, False),
    (3, 1, 1, 2, True),
    (3, 2, 0, 1, True),
    (2, 3, 1, 1, True),
]


@pytest.mark.parametrize("k, s, p, d, ceil", MAX_CASES)
def test_max_pool_values_and_indices(k, s, p, d, ceil):
    y, idx = F.max_pool2d(torch.tensor(X), k, s, p, d, ceil_mode=ceil, return_indices=True)
    want, want_idx = naive_max_pool(X, k, s, p, d, ceil)
    np.testing.assert_array_equal(y.numpy(), want)
    np.testing.assert_array_equal(idx.numpy(), want_idx)
    assert idx.dtype == torch.int64


@pytest.mark.parametrize("k, s, p, d, ceil", MAX_CASES[:4])
def test_max_pool_gradcheck(k, s, p, d, ceil):
    (x,) = make_inputs((1, 2, 5, 5))
    check_grads(lambda x: F.max_pool2d(x, k, s, p, d, ceil_mode=ceil), x)


def test_max_pool_gradient_goes_to_first_maximum_and_accumulates():
    x = torch.tensor([[[[1.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]], requires_grad=True)
    y = F.max_pool2d(x, 2, stride=1)  # overlapping windows share winners
    assert y.grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[1, 1, 0], [0, 2, 0], [0, 0, 0]])
    go = torch.ones(1, 1, 2, 2, requires_grad=True)
    (g,) = torch.autograd.grad(F.max_pool2d(x, 2, stride=1), x, go, create_graph=True)
    assert g.grad_fn.name() == "MaxPool2DWithIndicesBackwardBackward0"


def test_max_pool_nan_and_all_minus_inf_windows_match_pytorch():
    nan, inf = math.nan, math.inf
    x = torch.tensor([[[[1.0, nan, 3.0, nan], [0.0, 2.0, 5.0, 1.0]]]])
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    assert np.isnan(y.numpy()).all() and idx.tolist() == [[[[1, 3]]]]
    m = torch.full((1, 1, 3, 3), -inf, requires_grad=True)
    y, idx = F.max_pool2d(m, 2, stride=2, padding=1, return_indices=True)
    assert idx.tolist() == [[[[0, 1], [3, 4]]]]  # the first real element, as PyTorch
    y.sum().backward()
    assert m.grad.sum().item() == 4
    _, idx = F.max_pool2d(m, 3, stride=1, padding=1, dilation=2, return_indices=True)
    assert idx.tolist() == [[[[4]]]]
    y, idx = F.max_pool2d(torch.tensor([[[[2, 7], [7, 1]]]]), 2, return_indices=True)
    assert y.tolist() == [[[[7]]]] and idx.tolist() == [[[[1]]]]


TIES = np.random.default_rng(1).integers(0, 3, (2, 3, 9, 8)).astype(float)  # many equal maxima


@pytest.mark.parametrize(
    "k, s, p, d, ceil",
    MAX_CASES + [(1, 1, 0, 1, False), (3, 3, 0, 1, False), (3, 1, 0, 2, False), (2, 2, 0, 2, True)],
)
def test_max_pool_ties_go_to_the_first_maximum(k, s, p, d, ceil):
    y, idx = F.max_pool2d(torch.tensor(TIES), k, s, p, d, ceil_mode=ceil, return_indices=True)
    want, want_idx = naive_max_pool(TIES, k, s, p, d, ceil)
    np.testing.assert_array_equal(y.numpy(), want)
    np.testing.assert_array_equal(idx.numpy(), want_idx)


def test_max_pool_nan_in_larger_and_single_element_windows():
    nan = math.nan
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    x[0, 0, 0, 1] = x[0, 0, 2, 0] = nan
    y, idx = F.max_pool2d(torch.tensor(x), 3, return_indices=True)
    assert np.isnan(y.item()) and idx.item() == 6  # the last NaN, as PyTorch
    y, idx = F.max_pool2d(torch.tensor(x), 1, return_indices=True)
    np.testing.assert_array_equal(idx.numpy().ravel(), np.arange(9))
    np.testing.assert_array_equal(np.isnan(y.numpy()), np.isnan(x))


AVG_CASES = [
    (2, 2, 0, False, True, None),
    (3, 2, 1, False, True, None),
    (3, 2, 1, True, False, None),
    (2, 3, 1, True, True, None),
    (3, 2, 1, True, True, 5),
]


@pytest.mark.parametrize("k, s, p, ceil, cip, div", AVG_CASES)
def test_avg_pool_values(k, s, p, ceil, cip, div):
    y = F.avg_pool2d(torch.tensor(X), k, s, p, ceil, cip, div)
    np.testing.assert_allclose(y.numpy(), naive_avg_pool(X, k, s, p, ceil, cip, div), rtol=1e-12)


@pytest.mark.parametrize("k, s, p, ceil, cip, div", AVG_CASES)
def test_avg_pool_gradcheck(k, s, p, ceil, cip, div):
    (x,) = make_inputs((1, 2, 5, 5))
    check_grads(lambda x: F.avg_pool2d(x, k, s, p, ceil, cip, div), x)


def test_avg_pool_names_and_integer_input():
    (x,) = make_inputs((1, 1, 4, 4))
    y = F.avg_pool2d(x, 2)
    assert y.grad_fn.name() == "AvgPool2DBackward0"
    (g,) = torch.autograd.grad(
        y, x, torch.ones(1, 1, 2, 2, dtype=torch.float64, requires_grad=True), create_graph=True
    )
    assert g.grad_fn.name() == "AvgPool2DBackwardBackward0"
    i = torch.tensor([[[[1, 2], [4, 6]]]])
    out = F.avg_pool2d(i, 2)
    assert out.dtype == torch.int64 and out.item() == 3  # 13 / 4 truncated, as PyTorch


@pytest.mark.parametrize("size", [(2, 2), (3, 2), (4, 7), (None, 3), 5, (1, 1)])
def test_adaptive_avg_pool(size):
    y = F.adaptive_avg_pool2d(torch.tensor(X), size)
    oh, ow = (size, size) if isinstance(size, int) else size
    oh, ow = oh or 7, ow or 8
    want = np.zeros((2, 3, oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, r1 = i * 7 // oh, math.ceil((i + 1) * 7 / oh)
            q0, q1 = j * 8 // ow, math.ceil((j + 1) * 8 / ow)
            want[:, :, i, j] = X[:, :, r0:r1, q0:q1].mean((2, 3))
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-12)
    (x,) = make_inputs((1, 2, 5, 4))
    check_grads(lambda x: F.adaptive_avg_pool2d(x, size), x)


def test_unbatched_and_one_dimensional_forms():
    (x,) = make_inputs((3, 7, 8))
    np.testing.assert_array_equal(
        F.max_pool2d(x, 2).detach().numpy(), F.max_pool2d(x.unsqueeze(0), 2)[0].detach().numpy()
    )
    x1 = torch.tensor(np.arange(18.0).reshape(1, 2, 9) * np.array([1.0, -1.0])[None, :, None])
    y, idx = F.max_pool1d(x1, 3, 2, 1, return_indices=True)
    # read off PyTorch
    assert y.tolist() == [[[1, 3, 5, 7, 8], [-9, -10, -12, -14, -16]]]
    assert idx.tolist() == [[[1, 3, 5, 7, 8], [0, 1, 3, 5, 7]]]
    a = F.avg_pool1d(x1, 3, 2)
    np.testing.assert_allclose(a.numpy()[0, 0], [1, 3, 5, 7])
    (x2,) = make_inputs((2, 3, 9))
    check_grads(lambda x: F.max_pool1d(x, 2), x2)
    check_grads(lambda x: F.avg_pool1d(x, 3, 2, 1), x2)


def test_errors():
    with pytest.raises(
        RuntimeError,
        match="pad should be at most half of effective kernel "
        "size, but got pad=2, kernel_size=2 and dilation=1",
    ):
        F.max_pool2d(torch.randn(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(
        RuntimeError,
        match=r"Given input size: \(1x1x1\)\. Calculated output "
        r"size: \(1x0x0\)\. Output size is too small",
    ):
        F.max_pool2d(torch.randn(1, 1, 1, 1), 2)
    with pytest.raises(RuntimeError, match="non-empty 3D or 4D"):
        F.max_pool2d(torch.randn(4, 4), 2)
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.avg_pool2d(torch.randn(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(RuntimeError, match="adaptive_avg_pool2d: output_size must be 2"):
        F.adaptive_avg_pool2d(torch.randn(1, 1, 4, 4), (2,))
    with pytest.raises(RuntimeError, match=r"Expected 3D or 4D tensor, but got \[4, 4\]"):
        F.adaptive_avg_pool2d(torch.randn(4, 4), 2)
