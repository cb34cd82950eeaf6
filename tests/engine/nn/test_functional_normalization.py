"""layer_norm, batch_norm, group_norm: values against NumPy, running statistics, gradients to
second order (the create_graph path) and first order (the array path), errors."""

import numpy as np
import pytest

import workbench.engine as torch
import workbench.engine.nn.functional as F
from tests.engine.helpers import check_grads, make_inputs


def np_norm(x, axes, eps):
    mean = x.mean(axes, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axes, keepdims=True) + eps)


def test_layer_norm_values():
    x, w, b = make_inputs((3, 4, 5), (4, 5), (4, 5))
    y = F.layer_norm(x, (4, 5), w, b, eps=1e-3)
    xa = x.detach().numpy()
    want = np_norm(xa, (1, 2), 1e-3) * w.detach().numpy() + b.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-12)
    assert y.grad_fn.name() == "NativeLayerNormBackward0"
    np.testing.assert_allclose(F.layer_norm(x, 5).detach().numpy(), np_norm(xa, 2, 1e-5))


@pytest.mark.parametrize(
    "shape, norm, affine",
    [((2, 3, 4), (3, 4), True), ((3, 4), (4,), True), ((2, 3), (3,), False), ((4,), (4,), True)],
)
def test_layer_norm_gradcheck(shape, norm, affine):
    x, w, b = make_inputs(shape, norm, norm, seed=1)
    if affine:
        check_grads(lambda x, w, b: F.layer_norm(x, norm, w, b), x, w, b)
    else:
        check_grads(lambda x: F.layer_norm(x, norm), x)


def test_first_order_array_path_matches_tensor_path():
    x, w, b = make_inputs((3, 4), (4,), (4,))
    g = torch.tensor(np.random.default_rng(1).standard_normal((3, 4)))
    fast = torch.autograd.grad(F.layer_norm(x, (4,), w, b), (x, w, b), g)
    slow = torch.autograd.grad(F.layer_norm(x, (4,), w, b), (x, w, b), g, create_graph=True)
    for a, c in zip(fast, slow):
        np.testing.assert_allclose(a.numpy(), c.detach().numpy(), rtol=1e-10, atol=1e-14)


def test_batch_norm_training_values_and_running_stats():
    x, w, b = make_inputs((4, 3, 2, 5), (3,), (3,))
    rm = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    rv = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
    rm0, rv0 = rm.numpy().copy(), rv.numpy().copy()
    y = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.2, eps=1e-4)
    xa = x.detach().numpy()
    want = (
        np_norm(xa, (0, 2, 3), 1e-4) * w.detach().numpy()[:, None, None]
        + b.detach().numpy()[:, None, None]
    )
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-12)
    assert y.grad_fn.name() == "NativeBatchNormBackward0"
    # running stats: momentum blend with the *unbiased* batch variance, written in place
    np.testing.assert_allclose(rm.numpy(), 0.8 * rm0 + 0.2 * xa.mean((0, 2, 3)))
    np.testing.assert_allclose(rv.numpy(), 0.8 * rv0 + 0.2 * xa.var((0, 2, 3), ddof=1))
    assert rm._version == 1 and rv._version == 1


def test_batch_norm_eval_uses_running_stats():
    x, w, b = make_inputs((4, 3), (3,), (3,))
    rm = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    rv = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
    y = F.batch_norm(x, rm, rv, w, b, training=False, eps=1e-3)
    want = (x.detach().numpy() - rm.numpy()) / np.sqrt(
        rv.numpy() + 1e-3
    ) * w.detach().numpy() + b.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-12)
    assert rm.tolist() == [0.5, -1.0, 2.0]
    check_grads(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, False), x, w, b)


@pytest.mark.parametrize("shape", [(4, 3), (3, 2, 4), (3, 2, 2, 2)])
def test_batch_norm_training_gradcheck(shape):
    x, w, b = make_inputs(shape, (shape[1],), (shape[1],), seed=2)
    check_grads(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), x, w, b)
    check_grads(lambda x: F.batch_norm(x, None, None, training=True), x)


def test_group_norm():
    x, w, b = make_inputs((2, 4, 3), (4,), (4,))
    y = F.group_norm(x, 2, w, b)
    xa = x.detach().numpy().reshape(2, 2, 6)
    want = (
        np_norm(xa, 2, 1e-5).reshape(2, 4, 3) * w.detach().numpy()[:, None]
        + b.detach().numpy()[:, None]
    )
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-12)
    check_grads(lambda x, w, b: F.group_norm(x, 2, w, b), x, w, b)


def test_errors():
    with pytest.raises(
        RuntimeError,
        match=r"Given normalized_shape=\[4\], expected input with "
        r"shape \[\*, 4\], but got input of size\[2, 3\]",
    ):
        F.layer_norm(torch.randn(2, 3), (4,))
    with pytest.raises(
        ValueError,
        match=r"Expected more than 1 value per channel when training, "
        r"got input size torch.Size\(\[1, 3\]\)",
    ):
        F.batch_norm(torch.randn(1, 3), torch.zeros(3), torch.ones(3), training=True)
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 4"):
        F.batch_norm(torch.randn(2, 3), torch.zeros(4), torch.ones(4), training=True)
