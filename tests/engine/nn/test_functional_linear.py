"""F.linear: one fused op for 1-D, 2-D and N-D input, values against NumPy, gradients to second
order, PyTorch's node names and errors."""

import numpy as np
import pytest

import workbench.engine as torch
import workbench.engine.nn.functional as F
from tests.engine.helpers import check_grads, make_inputs


@pytest.mark.parametrize("x_shape", [(3,), (4, 3), (2, 4, 3), (2, 1, 2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_values_and_grads(x_shape, bias):
    x, w, b = make_inputs(x_shape, (5, 3), (5,), seed=len(x_shape))
    args = (x, w, b) if bias else (x, w)
    y = F.linear(*args)
    want = x.detach().numpy() @ w.detach().numpy().T + (b.detach().numpy() if bias else 0)
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-12)
    assert y.grad_fn.name() == ("AddmmBackward0" if bias else "MmBackward0")
    check_grads(F.linear, *args)


def test_gradients_against_numpy():
    x, w, b = make_inputs((2, 4, 3), (5, 3), (5,))
    g = np.random.default_rng(3).standard_normal((2, 4, 5))
    F.linear(x, w, b).backward(torch.tensor(g))
    xa, wa = x.detach().numpy(), w.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), g @ wa)
    np.testing.assert_allclose(w.grad.numpy(), g.reshape(-1, 5).T @ xa.reshape(-1, 3))
    np.testing.assert_allclose(b.grad.numpy(), g.sum((0, 1)))


def test_broadcast_bias_and_vector_weight():
    x, w, b = make_inputs((4, 3), (5, 3), (1,))
    check_grads(F.linear, x, w, b)
    (v,) = make_inputs((3,))
    y = F.linear(x, v)
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy() @ v.detach().numpy())


def test_float32_and_no_grad_path():
    x = torch.randn(6, 3)
    w = torch.randn(2, 3)
    y = F.linear(x, w, torch.zeros(2))
    assert y.dtype == torch.float32 and y.grad_fn is None and not y.requires_grad
    np.testing.assert_allclose(y.numpy(), x.numpy() @ w.numpy().T, rtol=1e-6)


def test_errors():
    x = torch.randn(4, 3)
    with pytest.raises(
        RuntimeError,
        match=r"mat1 and mat2 shapes cannot be multiplied "
        r"\(4x3 and 4x5\)",
    ):
        F.linear(x, torch.randn(5, 4))
    with pytest.raises(RuntimeError, match=r"\(8x3 and 4x5\)"):
        F.linear(torch.randn(2, 4, 3), torch.randn(5, 4))
    with pytest.raises(
        RuntimeError, match="expected m1 and m2 to have the same dtype, but got: float != double"
    ):
        F.linear(x, torch.randn(5, 3, dtype=torch.float64))
    with pytest.raises(
        RuntimeError,
        match="both arguments to linear need to be at least 1D, but they are 0D and 2D",
    ):
        F.linear(torch.tensor(1.0), torch.randn(5, 3))
    with pytest.raises(
        RuntimeError,
        match=r"The expanded size of the tensor \(5\) must match "
        r"the existing size \(4\) at non-singleton dimension 1",
    ):
        F.linear(x, torch.randn(5, 3), torch.randn(4))


@pytest.mark.parametrize("x_shape", [(16, 1000), (2, 8, 1000), (64, 1000), (3, 1000)])
def test_short_wide_batches_match_the_direct_product(x_shape):
    # shapes where OpenBLAS builds may route x @ W.T the other way round (16 rows, 1000 -> 100)
    # and shapes that keep the direct product: same values, row-major output either way
    rng = np.random.default_rng(7)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal((100, 1000)).astype(np.float32)
    b = rng.standard_normal(100).astype(np.float32)
    out = F.linear(torch.tensor(x), torch.tensor(w), torch.tensor(b))
    np.testing.assert_allclose(out.numpy(), x @ w.T + b, rtol=1e-4, atol=1e-3)
    assert out.is_contiguous() and out.numpy().flags.c_contiguous


@pytest.mark.parametrize("bias", [True, False])
def test_quick_recording_matches_the_general_dispatch(bias):
    """Training-time linear records its node directly (function.record_exact); under a
    profiler it goes through Op.apply. The two nodes must be alike in every visible way."""
    x, w, b = make_inputs((4, 3), (5, 3), (5,))
    x_plain = torch.randn(4, 3, dtype=torch.float64)  # needs no grad: no edge, no gradient
    args = (w, b) if bias else (w,)
    quick = F.linear(x_plain, *args)
    with torch.autograd.profiler.profile():
        general = F.linear(x_plain, *args)
    for y in (quick, general):
        node = y.grad_fn
        assert node.next_functions[0] == (None, 0)
        assert [type(n).__name__ for n, _ in node.next_functions[1:]] == ["AccumulateGrad"] * (
            1 + bias
        )
        assert node.needs_input_grad == (False, True, True)[: 2 + bias]
        np.testing.assert_array_equal(node._saved_1.detach().numpy(), w.detach().numpy())
    np.testing.assert_array_equal(quick.detach().numpy(), general.detach().numpy())
    gq = torch.autograd.grad(quick.sum(), args)
    gg = torch.autograd.grad(general.sum(), args)
    for a, c in zip(gq, gg):
        np.testing.assert_array_equal(a.numpy(), c.numpy())
    # the saved operands still catch an in-place change before backward
    y = F.linear(x, *args)
    with torch.no_grad():
        x.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
