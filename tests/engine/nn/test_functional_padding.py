"""F.pad: constant (negative amounts crop), reflect, replicate, circular: values against NumPy,
gradients to second order, PyTorch's node names and errors."""

import numpy as np
import pytest

import workbench.engine as torch
import workbench.engine.nn.functional as F
from tests.engine.helpers import check_grads, make_inputs

NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


@pytest.mark.parametrize("pad", [(1, 2), (1, -2, 0, 3), (0, 0, 2, 1, 1, 0), (-1, -1)])
def test_constant(pad):
    (x,) = make_inputs((2, 3, 4))
    y = F.pad(x, pad, value=1.5)
    widths = [(0, 0)] * (3 - len(pad) // 2) + [
        (pad[i], pad[i + 1]) for i in range(len(pad) - 2, -1, -2)
    ]
    want = np.pad(
        x.detach().numpy(), [(max(a, 0), max(b, 0)) for a, b in widths], constant_values=1.5
    )
    crop = tuple(slice(-min(a, 0), want.shape[i] + min(b, 0)) for i, (a, b) in enumerate(widths))
    np.testing.assert_array_equal(y.detach().numpy(), want[crop])
    assert y.grad_fn.name() == "ConstantPadNdBackward0"
    check_grads(lambda x: F.pad(x, pad, value=1.5), x)


@pytest.mark.parametrize(
    "mode, name",
    [
        ("reflect", "ReflectionPad2DBackward0"),
        ("replicate", "ReplicationPad2DBackward0"),
        ("circular", "CircularPad2DBackward0"),
    ],
)
def test_index_modes(mode, name):
    (x,) = make_inputs((1, 2, 3, 4))
    y = F.pad(x, (2, 1, 1, 2), mode=mode)
    want = np.pad(x.detach().numpy(), ((0, 0), (0, 0), (1, 2), (2, 1)), mode=NP_MODE[mode])
    np.testing.assert_array_equal(y.detach().numpy(), want)
    assert y.grad_fn.name() == name
    check_grads(lambda x: F.pad(x, (2, 1, 1, 2), mode=mode), x)


def test_replicate_gradient_accumulates_on_the_edge():
    x = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    F.pad(x, (2, 1), mode="replicate").sum().backward()
    assert x.grad.tolist() == [[3.0, 1.0, 2.0]]
    y = F.pad(torch.randn(2, 3, 4), (1, 1), mode="reflect")
    assert y.shape == (2, 3, 6)


def test_errors():
    x = torch.randn(2, 3)
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F.pad(x, (1,))
    with pytest.raises(
        RuntimeError,
        match="Padding length should be less than or equal to two "
        "times the input dimension but got padding length 6 "
        "and input of dimension 2",
    ):
        F.pad(x, (1, 1, 1, 1, 1, 1))
    with pytest.raises(RuntimeError, match="resulted in a negative output size"):
        F.pad(x, (-2, -2))
    with pytest.raises(
        RuntimeError,
        match=r"Padding size should be less than the corresponding "
        r"input dimension, but got: padding \(3, 3\) at "
        r"dimension 2 of input \[1, 2, 3\]",
    ):
        F.pad(torch.randn(1, 2, 3), (3, 3), mode="reflect")
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode foo"):
        F.pad(x, (1, 1), mode="foo")
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 4D input"):
        F.pad(torch.randn(1, 2, 3, 4), (1, 1), mode="reflect")
