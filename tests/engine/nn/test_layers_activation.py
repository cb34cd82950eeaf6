"""Activation layers: PyTorch's printing, the same results as nn.functional, gradcheck."""

import numpy as np
import pytest

import workbench.engine as torch
import workbench.engine.nn as nn
import workbench.engine.nn.functional as F
from tests.engine.helpers import check_grads, make_inputs

# layer, its repr in PyTorch, the functional form it must agree with
LAYERS = [
    (nn.ReLU(), "ReLU()", F.relu),
    (nn.ReLU(True), "ReLU(inplace=True)", F.relu),
    (nn.ReLU6(), "ReLU6()", F.relu6),
    (nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)", F.leaky_relu),
    (
        nn.LeakyReLU(0.2, True),
        "LeakyReLU(negative_slope=0.2, inplace=True)",
        lambda x: F.leaky_relu(x, 0.2),
    ),
    (nn.ELU(), "ELU(alpha=1.0)", F.elu),
    (nn.ELU(0.5, True), "ELU(alpha=0.5, inplace=True)", lambda x: F.elu(x, 0.5)),
    (nn.GELU(), "GELU(approximate='none')", F.gelu),
    (nn.GELU("tanh"), "GELU(approximate='tanh')", lambda x: F.gelu(x, approximate="tanh")),
    (nn.SiLU(), "SiLU()", F.silu),
    (nn.Tanh(), "Tanh()", torch.tanh),
    (nn.Sigmoid(), "Sigmoid()", torch.sigmoid),
    (nn.LogSigmoid(), "LogSigmoid()", F.logsigmoid),
    (nn.Softplus(), "Softplus(beta=1.0, threshold=20.0)", F.softplus),
    (nn.Softplus(2, 10), "Softplus(beta=2, threshold=10)", lambda x: F.softplus(x, 2, 10)),
    (nn.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)", F.hardtanh),
    (nn.Hardtanh(-2, 2), "Hardtanh(min_val=-2, max_val=2)", lambda x: F.hardtanh(x, -2, 2)),
    (nn.Softmax(dim=1), "Softmax(dim=1)", lambda x: F.softmax(x, 1)),
    (nn.LogSoftmax(dim=1), "LogSoftmax(dim=1)", lambda x: F.log_softmax(x, 1)),
]


@pytest.mark.parametrize("layer, text, fn", LAYERS, ids=[t for _, t, _ in LAYERS])
def test_repr_and_forward(layer, text, fn):
    assert repr(layer) == text
    x = torch.randn(3, 4, dtype=torch.float64) * 3
    want = fn(x.clone())
    np.testing.assert_allclose(layer(x.clone()).numpy(), want.numpy())
    assert list(layer.parameters()) == [] and layer.state_dict() == {}


@pytest.mark.parametrize(
    "layer", [nn.ELU(), nn.GELU(), nn.SiLU(), nn.Softplus(), nn.Softmax(1), nn.LogSoftmax(1)]
)
def test_gradcheck(layer):
    (x,) = make_inputs((2, 3))
    check_grads(layer, x)


def test_inplace_layer_writes_into_its_input():
    x = torch.tensor([-1.0, 2.0])
    y = nn.ReLU(inplace=True)(x)
    assert y is x and x.tolist() == [0.0, 2.0]


def test_softmax_without_dim_warns():
    assert repr(nn.Softmax()) == "Softmax(dim=None)"
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        nn.Softmax()(torch.randn(2, 3))


def test_module_path_recorded_on_nodes():
    model = nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.Softmax(dim=1))
    x = torch.randn(2, 3)
    y = model(x)
    assert y.grad_fn.name() == "SoftmaxBackward0"
    assert y.grad_fn.metadata["module"] == "2"
    assert y.grad_fn.next_functions[0][0].metadata["module"] == "1"
