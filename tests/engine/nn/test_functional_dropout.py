"""dropout (and its feature-wise forms): the mask, its scaling, determinism under manual_seed,
training=False, p at the edges, gradients, errors."""

import numpy as np
import pytest

import workbench.engine as torch
import workbench.engine.nn.functional as F


def test_mask_scaling_and_gradient():
    torch.manual_seed(0)
    x = torch.ones(200, 50, dtype=torch.float64, requires_grad=True)
    y = F.dropout(x, 0.3)
    vals = np.unique(y.detach().numpy())
    np.testing.assert_allclose(vals, [0.0, 1 / 0.7])
    assert abs((y.detach().numpy() == 0).mean() - 0.3) < 0.02
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())  # grad = mask


def test_manual_seed_makes_it_repeatable():
    x = torch.randn(10, 10)
    torch.manual_seed(123)
    a = F.dropout(x, 0.5).numpy()
    b = F.dropout(x, 0.5).numpy()
    torch.manual_seed(123)
    np.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), a)
    assert not np.array_equal(a, b)


def test_eval_p0_p1_and_inplace():
    x = torch.randn(4, 5, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    y = F.dropout(x, 1.0)
    assert (y.detach().numpy() == 0).all() and y.grad_fn is not None
    z = x * 1
    out = F.dropout(z, 0.5, inplace=True)
    assert out is z and z._version == 1
    assert set(np.unique(z.detach().numpy() / x.detach().numpy())) <= {0.0, 2.0}


def test_dropout2d_drops_whole_channels():
    torch.manual_seed(1)
    y = F.dropout2d(torch.ones(4, 6, 3, 3), 0.5).numpy()
    per_channel = y.reshape(4, 6, 9)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()
    with pytest.raises(RuntimeError, match="dropout2d: Expected 3D or 4D input"):
        F.dropout2d(torch.ones(2, 2), 0.5)


def test_alpha_dropout_keeps_mean_and_variance():
    torch.manual_seed(2)
    x = torch.randn(200000, dtype=torch.float64)
    y = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    assert F.alpha_dropout(x, 0.2) is x  # training defaults to False


def test_errors():
    with pytest.raises(
        ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"
    ):
        F.dropout(torch.randn(3), 1.5)
    with pytest.raises(
        RuntimeError, match="result type Float can't be cast to the desired output type Long"
    ):
        F.dropout(torch.tensor([1, 2, 3]), 0.5)
