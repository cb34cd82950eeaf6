"""nn.Linear, nn.Identity, nn.Flatten, nn.Unflatten."""

from __future__ import annotations

import math

import numpy as np
import pytest

import workbench.engine as torch
from tests.engine.helpers import check_grads, make_inputs
from workbench.engine import nn


@pytest.mark.parametrize("x_shape", [(3,), (4, 3), (2, 5, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(x_shape, bias):
    lin = nn.Linear(3, 2, bias=bias, dtype=torch.float64)
    (x,) = make_inputs(x_shape)
    params = [lin.weight] + ([lin.bias] if bias else [])
    check_grads(lambda x, *ps: lin(x), x, *params)


def test_linear_values_and_shapes():
    lin = nn.Linear(3, 2)
    lin.load_state_dict(
        {"weight": torch.tensor([[1.0, 2, 3], [4, 5, 6]]), "bias": torch.tensor([0.5, -0.5])}
    )
    x = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    out = lin(torch.tensor(x))
    assert out.shape == (2, 2, 2)
    expected = x @ np.array([[1, 2, 3], [4, 5, 6]], np.float32).T + np.array([0.5, -0.5])
    assert np.allclose(out.detach().numpy(), expected)
    assert lin(torch.ones(3)).shape == (2,)
    assert lin(torch.ones(0, 3)).shape == (0, 2)
    assert out.dtype is torch.float32
    assert out.requires_grad and out.grad_fn is not None
    with pytest.raises(RuntimeError):
        lin(torch.ones(3, 4))


def test_linear_backward_values():
    lin = nn.Linear(3, 2, dtype=torch.float64)
    x = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    lin(x).sum().backward()
    w = lin.weight.detach().numpy()
    assert np.allclose(x.grad.numpy(), np.ones((5, 2)) @ w)
    assert np.allclose(lin.weight.grad.numpy(), np.ones((2, 5)) @ x.detach().numpy())
    assert lin.bias.grad.tolist() == [5.0, 5.0]


def test_linear_default_init_bounds():
    torch.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = lin.weight.detach().numpy()
    b = lin.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.002  # U(-k, k) has std k / sqrt(3)
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.9 * bound
    torch.manual_seed(0)
    again = nn.Linear(400, 300)
    assert np.array_equal(again.weight.detach().numpy(), w)


def test_linear_attributes_repr_and_options():
    lin = nn.Linear(1000, 100)
    assert lin.extra_repr() == "in_features=1000, out_features=100, bias=True"
    assert repr(lin) == "Linear(in_features=1000, out_features=100, bias=True)"
    assert lin.weight.shape == (100, 1000) and lin.bias.shape == (100,)
    assert isinstance(lin.weight, nn.Parameter) and lin.weight.requires_grad
    nob = nn.Linear(3, 2, bias=False)
    assert nob.bias is None and "bias" in nob._parameters
    assert [n for n, _ in nob.named_parameters()] == ["weight"]
    assert repr(nob) == "Linear(in_features=3, out_features=2, bias=False)"
    d = nn.Linear(2, 2, dtype=torch.float64, device="cpu")
    assert d.weight.dtype is torch.float64 and d.bias.dtype is torch.float64
    lin.reset_parameters()


def test_identity_flatten_unflatten():
    x = torch.randn(2, 3, 4)
    assert nn.Identity(54, unused=True)(x) is x
    assert repr(nn.Identity()) == "Identity()"
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert nn.Unflatten(1, (2, 2))(torch.zeros(3, 4)).shape == (3, 2, 2)
    assert repr(nn.Unflatten(1, (2, 3))) == "Unflatten(dim=1, unflattened_size=(2, 3))"
    with pytest.raises(
        TypeError,
        match="unflattened_size must be tuple of ints, but found element of type float at pos 1",
    ):
        nn.Unflatten(1, (2, 2.0))
    with pytest.raises(
        TypeError, match="unflattened_size must be a tuple of ints, but found type int"
    ):
        nn.Unflatten(1, 2)
    (a,) = make_inputs((2, 3, 2))
    check_grads(lambda t: nn.Flatten()(t), a)


def test_forward_uses_a_weight_that_is_no_longer_a_parameter():
    # what weight-norm style code does: the parameter is deleted and a plain tensor computed
    # from others takes its name; forward must see the new attribute, not a stale registry
    torch.manual_seed(0)
    lin = nn.Linear(3, 2)
    w = lin.weight.detach().clone()
    del lin.weight
    lin.weight = w * 2
    x = torch.randn(4, 3)
    expected = x.numpy() @ (w.numpy() * 2).T + lin.bias.detach().numpy()
    np.testing.assert_allclose(lin(x).detach().numpy(), expected, rtol=1e-6)
    lin.bias = None
    np.testing.assert_allclose(lin(x).detach().numpy(), x.numpy() @ (w.numpy() * 2).T, rtol=1e-6)
