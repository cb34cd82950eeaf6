"""nn.functional activations: values and gradients against PyTorch, finite differences to second
order, dtypes, in-place forms, numerical stability, errors.

Reference values were computed with PyTorch on X below, the gradient for grad_output G.
"""

import math

import numpy as np
import pytest

import workbench.engine as torch
import workbench.engine.nn.functional as F
from tests.engine.helpers import check_grads, make_inputs

X = [[-3.0, -1.5, -0.5, 0.0], [0.25, 1.0, 2.5, 30.0]]
G = [[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]

FUNCS = {
    "relu": F.relu,
    "leaky_relu": lambda t: F.leaky_relu(t, 0.2),
    "elu": lambda t: F.elu(t, 0.7),
    "gelu": F.gelu,
    "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
    "silu": F.silu,
    "tanh": F.tanh,
    "sigmoid": F.sigmoid,
    "softplus": lambda t: F.softplus(t, 2.0, 5.0),
    "hardtanh": lambda t: F.hardtanh(t, -1.0, 2.0),
    "softmax0": lambda t: F.softmax(t, 0),
    "softmax1": lambda t: F.softmax(t, 1),
    "log_softmax1": lambda t: F.log_softmax(t, -1),
    "logsigmoid": F.logsigmoid,
    "relu6": F.relu6,
}

# PyTorch's output and input gradient for each function at X, G (10 significant digits)
EXPECTED = {
    "relu": ([0.0, 0.0, 0.0, 0.0, 0.25, 1.0, 2.5, 30.0], [0.0, 0.0, 0.0, 0.0, 5.0, 6.0, 7.0, 8.0]),
    "leaky_relu": (
        [-0.6, -0.3, -0.1, 0.0, 0.25, 1.0, 2.5, 30.0],
        [0.2, 0.4, 0.6, 0.8, 5.0, 6.0, 7.0, 8.0],
    ),
    "elu": (
        [-0.6651490521, -0.5438088879, -0.2754285382, 0.0, 0.25, 1.0, 2.5, 30.0],
        [0.03485094786, 0.3123822242, 1.273714385, 2.8, 5.0, 6.0, 7.0, 8.0],
    ),
    "gelu": (
        [
            -0.004049694095,
            -0.1002108019,
            -0.1542687694,
            0.0,
            0.1496765814,
            0.8413447461,
            2.484475837,
            30.0,
        ],
        [
            -0.0119456472,
            -0.2549383845,
            0.397514626,
            2.0,
            3.476866774,
            6.499892824,
            7.263277601,
            8.0,
        ],
    ),
    "gelu_tanh": (
        [
            -0.003637392082,
            -0.100428423,
            -0.1542859902,
            0.0,
            0.1496753507,
            0.8411919906,
            2.484915734,
            30.0,
        ],
        [
            -0.01158416663,
            -0.2554215863,
            0.3978902894,
            2.0,
            3.476770476,
            6.497784503,
            7.265661033,
            8.0,
        ],
    ),
    "silu": (
        [
            -0.1422776195,
            -0.2736382857,
            -0.1887703344,
            0.0,
            0.1405441252,
            0.7310585786,
            2.31035455,
            30.0,
        ],
        [
            -0.08810410602,
            -0.0825883086,
            0.7801164381,
            2.0,
            3.118550108,
            5.566023071,
            7.695807779,
            8.0,
        ],
    ),
    "tanh": (
        [
            -0.9950547537,
            -0.9051482536,
            -0.4621171573,
            0.0,
            0.2449186624,
            0.761594156,
            0.9866142982,
            1.0,
        ],
        [
            0.009866037165,
            0.3614132778,
            2.359343199,
            4.0,
            4.700074244,
            2.51984605,
            0.1861455868,
            0.0,
        ],
    ),
    "sigmoid": (
        [
            0.04742587318,
            0.1824255238,
            0.3775406688,
            0.5,
            0.5621765009,
            0.7310585786,
            0.92414182,
            1.0,
        ],
        [
            0.04517665973,
            0.2982929041,
            0.7050111366,
            1.0,
            1.230670414,
            1.179671599,
            0.4907260158,
            7.478462294e-13,
        ],
    ),
    "softplus": (
        [
            0.001237842569,
            0.02429367579,
            0.1566308438,
            0.3465735903,
            0.4870384921,
            1.063464006,
            2.503357674,
            30.0,
        ],
        [
            0.002472623157,
            0.09485174636,
            0.8068242641,
            2.0,
            3.112296656,
            5.284782468,
            6.953150044,
            8.0,
        ],
    ),
    "hardtanh": (
        [-1.0, -1.0, -0.5, 0.0, 0.25, 1.0, 2.0, 2.0],
        [0.0, 0.0, 3.0, 4.0, 5.0, 6.0, 0.0, 0.0],
    ),
    "softmax0": (
        [
            0.03732688734,
            0.07585818002,
            0.04742587318,
            9.357622969e-14,
            0.9626731127,
            0.92414182,
            0.9525741268,
            1.0,
        ],
        [
            -0.1437343633,
            -0.2804148662,
            -0.1807066389,
            -3.743049188e-13,
            0.1437343633,
            0.2804148662,
            0.1807066389,
            3.739231147e-13,
        ],
    ),
    "softmax1": (
        [
            0.02649026274,
            0.118721121,
            0.3227174659,
            0.5320711504,
            1.201542573e-13,
            2.543665647e-13,
            1.139991853e-12,
            1.0,
        ],
        [
            -0.06252680833,
            -0.1615045925,
            -0.1162975331,
            0.3403289339,
            -3.60462772e-13,
            -5.087331295e-13,
            -1.139991853e-12,
            2.009947764e-12,
        ],
    ),
    "log_softmax1": (
        [
            -3.630978057,
            -2.130978057,
            -1.130978057,
            -0.6309780572,
            -29.75,
            -29.0,
            -27.5,
            -1.51456625e-12,
        ],
        [0.7350973726, 0.81278879, -0.2271746586, -1.320711504, 5.0, 6.0, 7.0, -18.0],
    ),
    "logsigmoid": (
        [
            -3.048587352,
            -1.701413278,
            -0.9740769842,
            -0.6931471806,
            -0.5759394199,
            -0.3132616875,
            -0.07888973429,
            -9.357622969e-14,
        ],
        [
            0.9525741268,
            1.635148952,
            1.867377994,
            2.0,
            2.189117496,
            1.613648528,
            0.5310072601,
            7.486098375e-13,
        ],
    ),
    "relu6": ([0.0, 0.0, 0.0, 0.0, 0.25, 1.0, 2.5, 6.0], [0.0, 0.0, 0.0, 0.0, 5.0, 6.0, 7.0, 0.0]),
}

GRAD_FN = {
    "relu": "ReluBackward0",
    "leaky_relu": "LeakyReluBackward0",
    "elu": "EluBackward0",
    "gelu": "GeluBackward0",
    "gelu_tanh": "GeluBackward0",
    "silu": "SiluBackward0",
    "tanh": "TanhBackward0",
    "sigmoid": "SigmoidBackward0",
    "softplus": "SoftplusBackward0",
    "hardtanh": "HardtanhBackward0",
    "softmax0": "SoftmaxBackward0",
    "softmax1": "SoftmaxBackward0",
    "log_softmax1": "LogSoftmaxBackward0",
}


@pytest.mark.parametrize("name", list(FUNCS))
def test_values_and_grads_match_pytorch(name):
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    y = FUNCS[name](x)
    (g,) = torch.autograd.grad(y, x, torch.tensor(G, dtype=torch.float64))
    want_y, want_g = EXPECTED[name]
    np.testing.assert_allclose(y.detach().numpy().ravel(), want_y, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(g.numpy().ravel(), want_g, rtol=1e-8, atol=1e-12)
    if name in GRAD_FN:
        assert y.grad_fn.name() == GRAD_FN[name]


@pytest.mark.parametrize("name", list(FUNCS))
def test_gradcheck_second_order(name):
    (x,) = make_inputs((2, 3), seed=1)
    check_grads(FUNCS[name], x)


@pytest.mark.parametrize("name", ["relu", "gelu", "silu", "softmax1", "log_softmax1", "elu"])
def test_float32_stays_float32(name):
    x = torch.tensor(X, dtype=torch.float32, requires_grad=True)
    y = FUNCS[name](x)
    y.sum().backward()
    assert y.dtype == torch.float32 and x.grad.dtype == torch.float32


def test_softmax_is_stable_for_large_logits():
    x = torch.tensor([[1000.0, 1001.0, -1000.0]], dtype=torch.float64)
    np.testing.assert_allclose(
        F.softmax(x, 1).numpy(), [[1 / (1 + math.e), math.e / (1 + math.e), 0.0]], atol=1e-15
    )
    lsm = F.log_softmax(x, 1).numpy()
    assert np.isfinite(lsm).all()
    np.testing.assert_allclose(lsm[0, :2], [-math.log1p(math.e), 1 - math.log1p(math.e)])


def test_softmax_dtype_argument_and_scalar_input():
    x = torch.tensor([1.0, 2.0, 3.0])
    assert F.softmax(x, 0, dtype=torch.float64).dtype == torch.float64
    assert F.softmax(torch.tensor(2.5), 0).item() == 1.0
    assert F.log_softmax(torch.tensor(2.5), -1).item() == 0.0


def test_softmax_implicit_dim_warns_and_picks_pytorchs_dim():
    x = torch.tensor(np.arange(6.0).reshape(2, 3))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = F.softmax(x)
    np.testing.assert_allclose(y.numpy().sum(1), [1.0, 1.0])  # dim 1 for a 2-D input
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        F.log_softmax(torch.tensor([1.0, 2.0]))


def test_gelu_backward_is_differentiable_at_third_order():
    x = torch.tensor([0.3, -1.2], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(F.gelu(x).sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x, create_graph=True)
    (ggg,) = torch.autograd.grad(gg.sum(), x)
    pdf = np.exp(-0.5 * x.detach().numpy() ** 2) / math.sqrt(2 * math.pi)
    a = x.detach().numpy()
    np.testing.assert_allclose(gg.detach().numpy(), pdf * (2 - a * a))
    np.testing.assert_allclose(ggg.numpy(), pdf * (a**3 - 4 * a))


@pytest.mark.parametrize(
    "fn, kwargs",
    [
        (F.relu, {}),
        (F.leaky_relu, {"negative_slope": 0.3}),
        (F.elu, {"alpha": 0.5}),
        (F.silu, {}),
        (F.hardtanh, {"min_val": -0.5, "max_val": 0.5}),
    ],
)
def test_inplace_matches_out_of_place(fn, kwargs):
    base = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    want = fn(base * 1, **kwargs)
    y = base * 1
    out = fn(y, inplace=True, **kwargs)
    assert out is y
    np.testing.assert_allclose(y.detach().numpy(), want.detach().numpy())
    y.sum().backward()
    (g,) = torch.autograd.grad(want.sum(), base)
    np.testing.assert_allclose(base.grad.numpy(), g.numpy())


def test_integer_inputs():
    i = torch.tensor([1, -2, 3])
    assert F.relu(i).tolist() == [1, 0, 3]
    assert F.hardtanh(i).tolist() == [1, -1, 1]
    for fn, kernel in [
        (F.gelu, "GeluKernelImpl"),
        (F.silu, "silu_cpu"),
        (F.leaky_relu, "leaky_relu_cpu"),
        (F.elu, "elu_cpu"),
        (F.softplus, "softplus_cpu"),
    ]:
        with pytest.raises(NotImplementedError, match=f"\"{kernel}\" not implemented for 'Long'"):
            fn(i)
    with pytest.raises(NotImplementedError, match="softmax_lastdim_kernel_impl"):
        F.softmax(i, 0)


def test_errors():
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh."):
        F.gelu(torch.randn(3), approximate="foo")
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.softmax(torch.randn(3), dim=2)
