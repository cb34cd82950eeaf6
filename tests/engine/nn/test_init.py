"""nn.init: distributions (moments and bounds on large tensors), seeding, fans, gains, errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import workbench.engine as torch
from workbench.engine.nn import init


def _arr(t):
    return t.detach().numpy().astype(np.float64)


def test_calculate_gain_matches_pytorch():
    assert init.calculate_gain("linear") == 1
    assert init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == 5.0 / 3
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    assert init.calculate_gain("leaky_relu") == pytest.approx(1.4141428569978354, rel=1e-15)
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(1.3867504905630728, rel=1e-15)
    assert init.calculate_gain("leaky_relu", 1) == 1.0
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_fan_computation():
    assert init._calculate_fan_in_and_fan_out(torch.zeros(16, 8, 3, 5)) == (120, 240)
    assert init._calculate_fan_in_and_fan_out(torch.zeros(4, 6)) == (6, 4)
    assert init._calculate_correct_fan(torch.zeros(4, 6), "fan_out") == 4
    with pytest.raises(
        ValueError,
        match="Fan in and fan out can not be computed for tensor with fewer than 2 dimensions",
    ):
        init._calculate_fan_in_and_fan_out(torch.zeros(3))
    with pytest.raises(
        ValueError,
        match=r"Mode fan_avg not supported, please use one of "
        r"\['fan_in', 'fan_out'\]",
    ):
        init.kaiming_uniform_(torch.zeros(3, 4), mode="fan_avg")


def test_uniform_and_normal_moments():
    t = torch.empty(200, 500)
    assert init.uniform_(t, -2.0, 3.0) is t
    a = _arr(t)
    assert a.min() >= -2.0 and a.max() < 3.0
    assert abs(a.mean() - 0.5) < 0.03 and abs(a.std() - 5 / math.sqrt(12)) < 0.02
    init.normal_(t, 1.5, 0.5)
    a = _arr(t)
    assert abs(a.mean() - 1.5) < 0.01 and abs(a.std() - 0.5) < 0.01
    assert t.dtype is torch.float32


def test_trunc_normal_bounds_and_moments():
    t = torch.empty(100_000, dtype=torch.float64)
    init.trunc_normal_(t, mean=0.0, std=1.0, a=-1.0, b=2.0)
    a = _arr(t)
    assert a.min() >= -1.0 and a.max() <= 2.0
    # moments of N(0,1) truncated to [-1, 2]
    phi = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(2.0) - cdf(-1.0)
    mean = (phi(-1.0) - phi(2.0)) / z
    var = 1 + (-1.0 * phi(-1.0) - 2.0 * phi(2.0)) / z - mean**2
    assert abs(a.mean() - mean) < 0.01 and abs(a.std() - math.sqrt(var)) < 0.01
    # a narrow window far from the mean takes the uniform-proposal path
    init.trunc_normal_(t, mean=0.0, std=1.0, a=2.0, b=2.5)
    a = _arr(t)
    assert a.min() >= 2.0 and a.max() <= 2.5 and 2.15 < a.mean() < 2.25
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        init.trunc_normal_(torch.empty(10), mean=10.0, std=1.0, a=-2.0, b=2.0)


def test_constant_ones_zeros_eye_dirac():
    assert init.constant_(torch.zeros(2), 0.3).tolist() == pytest.approx([0.3, 0.3])
    assert init.ones_(torch.zeros(2)).tolist() == [1.0, 1.0]
    assert init.zeros_(torch.ones(2)).tolist() == [0.0, 0.0]
    assert init.eye_(torch.zeros(2, 3)).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert init.dirac_(torch.zeros(2, 2, 3)).tolist() == [
        [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]],
        [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
    ]
    assert init.dirac_(torch.zeros(4, 1, 3, 3), groups=2)[2, 0, 1, 1].item() == 1.0
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(torch.zeros(2, 2, 2))
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
        init.dirac_(torch.zeros(2, 2))


def test_xavier_and_kaiming_scales():
    w = torch.empty(400, 600)
    init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * math.sqrt(6.0 / 1000)
    a = _arr(w)
    assert np.abs(a).max() <= bound and np.abs(a).max() > 0.99 * bound
    init.xavier_normal_(w)
    assert abs(_arr(w).std() - math.sqrt(2.0 / 1000)) < 0.001
    init.kaiming_uniform_(w, a=0, nonlinearity="relu")
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 600)
    a = _arr(w)
    assert np.abs(a).max() <= bound and np.abs(a).max() > 0.99 * bound
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(_arr(w).std() - math.sqrt(2.0 / 400)) < 0.001
    init.kaiming_uniform_(w, a=math.sqrt(5))  # Linear's default: U(-1/sqrt(fan_in), ..)
    assert np.abs(_arr(w)).max() <= 1 / math.sqrt(600)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        empty = torch.zeros(0, 3)
        assert init.kaiming_uniform_(empty) is empty
        init.kaiming_normal_(empty)
    assert [str(c.message) for c in caught] == ["Initializing zero-element tensors is a no-op"] * 2


def test_orthogonal():
    for shape in ((6, 4), (4, 6), (3, 2, 2)):
        w = init.orthogonal_(torch.empty(*shape, dtype=torch.float64), gain=2.0)
        m = _arr(w).reshape(shape[0], -1)
        gram = m.T @ m if shape[0] >= m.shape[1] else m @ m.T
        assert np.allclose(gram, 4.0 * np.eye(gram.shape[0]), atol=1e-10)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions"):
        init.orthogonal_(torch.zeros(3))


def test_sparse():
    w = init.sparse_(torch.empty(10, 5), sparsity=0.3)
    a = _arr(w)
    assert ((a == 0).sum(axis=0) >= 3).all()


def test_seeded_and_generator_determinism():
    def draw(fn, **kw):
        return _arr(fn(torch.empty(5, 7), **kw))

    for fn in (
        init.uniform_,
        init.normal_,
        init.xavier_uniform_,
        init.kaiming_normal_,
        init.trunc_normal_,
        init.orthogonal_,
    ):
        torch.manual_seed(123)
        first = draw(fn)
        torch.manual_seed(123)
        assert np.array_equal(first, draw(fn))
        assert not np.array_equal(first, draw(fn))
        g1 = torch.Generator().manual_seed(5)
        g2 = torch.Generator().manual_seed(5)
        assert np.array_equal(draw(fn, generator=g1), draw(fn, generator=g2))


def test_init_is_in_place_without_history():
    p = torch.nn.Parameter(torch.zeros(3, 4))
    v = p._version
    assert init.normal_(p) is p
    assert p.grad_fn is None and p.requires_grad and p._version == v + 1
    y = p * 2
    init.ones_(p)  # a later use of saved values sees the version change
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        (y * p).sum().backward()


@pytest.mark.gpu
def test_init_on_cuda_matches_cpu_for_a_seed():
    for fn in (init.uniform_, init.kaiming_uniform_, init.trunc_normal_, init.orthogonal_):
        torch.manual_seed(9)
        cpu = _arr(fn(torch.empty(6, 5)))
        torch.manual_seed(9)
        gpu = fn(torch.empty(6, 5, device="cuda"))
        assert gpu.is_cuda
        assert np.allclose(gpu.detach().cpu().numpy(), cpu)
    assert init.eye_(torch.empty(2, 2, device="cuda")).cpu().tolist() == [[1.0, 0.0], [0.0, 1.0]]
