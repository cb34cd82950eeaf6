"""Elementwise ops: gradients (first and second order), values, kinks, operators, in-place forms.

Values at kinks, grad_fn names and error messages were read off the reference PyTorch.
"""

import math
import operator

import numpy as np
import pytest

import workbench.engine as torch
from tests.engine.helpers import BROADCAST_SHAPES, check_grads, make_inputs

inf, nan = math.inf, math.nan

# ----- gradients -----------------------------------------------------------------------------

# name, function, input domain (make_inputs keywords) away from kinks and domain edges
UNARY = [
    ("abs", torch.abs, {}),
    ("neg", torch.neg, {}),
    ("exp", torch.exp, {}),
    ("exp2", torch.exp2, {}),
    ("expm1", torch.expm1, {}),
    ("log", torch.log, {"positive": True}),
    ("log2", torch.log2, {"positive": True}),
    ("log10", torch.log10, {"positive": True}),
    ("log1p", torch.log1p, {"positive": True}),
    ("sqrt", torch.sqrt, {"positive": True}),
    ("rsqrt", torch.rsqrt, {"positive": True}),
    ("reciprocal", torch.reciprocal, {"positive": True}),
    ("square", torch.square, {}),
    ("sin", torch.sin, {}),
    ("cos", torch.cos, {}),
    ("tan", torch.tan, {"low": -1.2, "high": 1.2}),
    ("asin", torch.asin, {"low": -0.9, "high": 0.9}),
    ("acos", torch.acos, {"low": -0.9, "high": 0.9}),
    ("atan", torch.atan, {}),
    ("sinh", torch.sinh, {}),
    ("cosh", torch.cosh, {}),
    ("tanh", torch.tanh, {}),
    ("sigmoid", torch.sigmoid, {}),
    ("relu", torch.relu, {}),
    ("frac", torch.frac, {"low": 0.1, "high": 0.9}),
    ("pow_scalar", lambda x: x**3, {}),
    ("pow_half", lambda x: x**0.5, {"positive": True}),
    ("pow_negative", lambda x: x**-1.5, {"positive": True}),
    ("rpow", lambda x: 2.5**x, {}),
    ("rsub", lambda x: 2 - x, {}),
    ("rdiv", lambda x: 2 / x, {"positive": True}),
    ("add_scalar", lambda x: x + 1.5, {}),
    ("mul_scalar", lambda x: 3 * x, {}),
    ("clamp", lambda x: x.clamp(-0.5, 0.5), {}),
    ("clamp_min", lambda x: x.clamp(min=0.1), {}),
    ("clamp_max", lambda x: torch.clamp(x, max=0.1), {}),
    ("clamp_min_fn", lambda x: torch.clamp_min(x, -0.2), {}),
    ("clamp_max_fn", lambda x: x.clamp_max(0.3), {}),
    ("clip", lambda x: torch.clip(x, -1, 1), {}),
    ("remainder_scalar", lambda x: x % 0.7, {"low": 0.1, "high": 0.6}),
    ("fmod_scalar", lambda x: torch.fmod(x, 0.7), {"low": 0.1, "high": 0.6}),
    ("where_scalar", lambda x: torch.where(x > 0, x, 0.0), {}),
]


@pytest.mark.parametrize("shape", [(), (2, 3)])
@pytest.mark.parametrize(("name", "fn", "domain"), UNARY, ids=[c[0] for c in UNARY])
def test_unary_grads(name, fn, domain, shape):
    (x,) = make_inputs(shape, **domain)
    check_grads(fn, x)


# piecewise-constant ops: the gradient is zero (and so has no graph of its own to check)
@pytest.mark.parametrize(
    "fn",
    [
        torch.floor,
        torch.ceil,
        torch.round,
        torch.trunc,
        torch.sign,
        lambda x: torch.round(x, decimals=1),
    ],
)
def test_zero_gradient_ops(fn):
    (x,) = make_inputs((2, 3), low=0.1, high=0.4)
    check_grads(fn, x, second_order=False)
    x.grad = None
    fn(x).sum().backward()
    assert x.grad.tolist() == [[0.0] * 3] * 2


BINARY = [
    ("add", torch.add, {}),
    ("add_alpha", lambda a, b: torch.add(a, b, alpha=2.5), {}),
    ("sub", torch.sub, {}),
    ("sub_alpha", lambda a, b: a.sub(b, alpha=-3), {}),
    ("rsub", lambda a, b: torch.rsub(a, b, alpha=2), {}),
    ("mul", torch.mul, {}),
    ("div", torch.div, {"positive": True}),
    ("pow", torch.pow, {"positive": True}),
    ("maximum", torch.maximum, {}),
    ("minimum", torch.minimum, {}),
    ("where", lambda a, b: torch.where(a > b, a, b), {}),
    ("where_cond", lambda a, b: torch.where(a > 0, a * b, b), {}),
]


@pytest.mark.parametrize(("sa", "sb"), BROADCAST_SHAPES)
@pytest.mark.parametrize(("name", "fn", "domain"), BINARY, ids=[c[0] for c in BINARY])
def test_binary_grads(name, fn, domain, sa, sb):
    a, b = make_inputs(sa, sb, **domain)
    check_grads(fn, a, b)


@pytest.mark.parametrize(("sa", "sb"), BROADCAST_SHAPES)
@pytest.mark.parametrize("fn", [torch.remainder, torch.fmod])
def test_remainder_grads(fn, sa, sb):
    # dividends in (2.1, 2.9), divisors in (1, 2): away from the jumps of both ops
    a, b = make_inputs(sa, sb, low=1.05, high=1.45)
    check_grads(lambda a, b: fn(a * 2, b * -1 if fn is torch.fmod else b), a, b)


@pytest.mark.parametrize(
    ("sx", "slo", "shi"), [((2, 3), (3,), (2, 1)), ((3,), (), (3,)), ((), (2,), ())]
)
def test_clamp_tensor_bounds_grads(sx, slo, shi):
    (x,) = make_inputs(sx, seed=1)
    (lo,) = make_inputs(slo, low=-1.0, high=-0.3, seed=2)
    (hi,) = make_inputs(shi, low=0.3, high=1.0, seed=3)
    check_grads(lambda x, lo, hi: torch.clamp(x, lo, hi), x, lo, hi)
    check_grads(lambda x, lo: torch.clamp(x, min=lo), x, lo)
    check_grads(lambda x, hi: x.clamp(max=hi), x, hi)
    check_grads(lambda x, lo: torch.clamp_min(x, lo), x, lo)
    check_grads(lambda x, hi: x.clamp_max(hi), x, hi)


def test_composite_second_order():
    a, b = make_inputs((2, 3), (3,), positive=True)
    check_grads(lambda a, b: torch.sigmoid(a * b).log() + torch.tanh(a / b) ** 2 - b.sqrt(), a, b)


# ----- values --------------------------------------------------------------------------------

_RNG = np.random.default_rng(0)
_X = _RNG.standard_normal((3, 4)).astype(np.float32)
_P = _RNG.uniform(0.1, 3.0, (3, 4)).astype(np.float32)
_U = _RNG.uniform(-0.99, 0.99, (3, 4)).astype(np.float32)

VALUES = [
    ("abs", _X, np.abs),
    ("neg", _X, np.negative),
    ("exp", _X, np.exp),
    ("exp2", _X, np.exp2),
    ("expm1", _X, np.expm1),
    ("log", _P, np.log),
    ("log2", _P, np.log2),
    ("log10", _P, np.log10),
    ("log1p", _P, np.log1p),
    ("sqrt", _P, np.sqrt),
    ("rsqrt", _P, lambda a: 1 / np.sqrt(a)),
    ("reciprocal", _P, np.reciprocal),
    ("square", _X, np.square),
    ("sin", _X, np.sin),
    ("cos", _X, np.cos),
    ("tan", _U, np.tan),
    ("asin", _U, np.arcsin),
    ("acos", _U, np.arccos),
    ("atan", _X, np.arctan),
    ("arcsin", _U, np.arcsin),
    ("sinh", _X, np.sinh),
    ("cosh", _X, np.cosh),
    ("tanh", _X, np.tanh),
    ("sigmoid", _X, lambda a: 1 / (1 + np.exp(-a))),
    ("relu", _X, lambda a: np.maximum(a, 0)),
    ("sign", _X, np.sign),
    ("floor", _X * 3, np.floor),
    ("ceil", _X * 3, np.ceil),
    ("round", _X * 3, np.round),
    ("trunc", _X * 3, np.trunc),
    ("fix", _X * 3, np.trunc),
    ("frac", _X * 3, lambda a: a - np.trunc(a)),
]


@pytest.mark.parametrize(("name", "data", "ref"), VALUES, ids=[v[0] for v in VALUES])
def test_unary_values(name, data, ref):
    out = getattr(torch, name)(torch.tensor(data))
    assert out.dtype is torch.float32
    np.testing.assert_allclose(out.numpy(), ref(data), rtol=2e-6, atol=1e-7)
    method = getattr(torch.tensor(data), name)()
    np.testing.assert_array_equal(method.numpy(), out.numpy())


BINARY_VALUES = [
    ("add", np.add),
    ("sub", np.subtract),
    ("mul", np.multiply),
    ("div", np.divide),
    ("true_divide", np.divide),
    ("pow", np.power),
    ("maximum", np.maximum),
    ("minimum", np.minimum),
    ("remainder", np.remainder),
    ("fmod", np.fmod),
    ("floor_divide", np.floor_divide),
    ("eq", np.equal),
    ("ne", np.not_equal),
    ("lt", np.less),
    ("le", np.less_equal),
    ("gt", np.greater),
    ("ge", np.greater_equal),
    ("greater", np.greater),
    ("less_equal", np.less_equal),
    ("logical_and", np.logical_and),
    ("logical_or", np.logical_or),
    ("logical_xor", np.logical_xor),
]


@pytest.mark.parametrize(("name", "ref"), BINARY_VALUES, ids=[v[0] for v in BINARY_VALUES])
def test_binary_values_broadcast(name, ref):
    a = np.round(_RNG.uniform(0.5, 3, (4, 1, 3)), 1).astype(np.float32)
    b = np.round(_RNG.uniform(0.5, 3, (2, 1)), 1).astype(np.float32)
    out = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
    assert out.shape == (4, 2, 3)
    np.testing.assert_allclose(out.numpy(), ref(a, b), rtol=1e-6)


def test_special_values_follow_pytorch():
    x = torch.tensor([nan, -inf, inf, -1.5, -0.5, 0.0, 0.5, 2.5])
    assert torch.sign(x).tolist() == [0.0, -1.0, 1.0, -1.0, -1.0, 0.0, 1.0, 1.0]
    assert torch.round(x)[3:].tolist() == [-2.0, -0.0, 0.0, 0.0, 2.0]  # half to even
    r = torch.relu(x).tolist()
    assert math.isnan(r[0]) and r[1:] == [0.0, inf, 0.0, 0.0, 0.0, 0.5, 2.5]
    assert torch.sigmoid(torch.tensor([-1000.0, 1000.0])).tolist() == [0.0, 1.0]
    assert torch.sigmoid(torch.tensor([-100.0, 100.0], dtype=torch.float16)).tolist() == [0, 1]
    assert math.isnan(torch.clamp(torch.tensor([nan]), -1, 1).item())
    assert math.isnan(torch.maximum(torch.tensor([nan]), torch.tensor([0.0])).item())


def test_remainder_fmod_signs():
    a, b = torch.tensor([5.0, -5.0, 5.0, -5.0]), torch.tensor([3.0, 3.0, -3.0, -3.0])
    assert torch.remainder(a, b).tolist() == [2.0, 1.0, -1.0, -2.0]
    assert torch.fmod(a, b).tolist() == [2.0, -2.0, 2.0, -2.0]
    assert (a.long() % b.long()).tolist() == [2, 1, -1, -2]
    assert (7 % torch.tensor([2, -2])).tolist() == [1, -1]
    # PyTorch's formula keeps the sign of zero that fmod gives
    signs = [math.copysign(1, v) for v in torch.remainder(torch.tensor([-2.0, 2.0]), -1.0).tolist()]
    assert signs == [-1.0, 1.0]


def test_division_rounding_modes():
    a = torch.tensor([5, -5, 5, -5])
    b = torch.tensor([3, 3, -3, -3])
    assert torch.div(a, b, rounding_mode="trunc").tolist() == [1, -1, -1, 1]
    assert torch.div(a, b, rounding_mode="floor").tolist() == [1, -2, -2, 1]
    assert (a // b).tolist() == [1, -2, -2, 1]
    assert (7 // torch.tensor([2, -2])).tolist() == [3, -4]
    f = torch.tensor([-7.5, 7.5])
    assert f.div(2, rounding_mode="trunc").tolist() == [-3.0, 3.0]
    assert (f // 2).tolist() == [-4.0, 3.0]
    x = torch.tensor([1.5, 2.0], requires_grad=True)
    y = x.div(0.7, rounding_mode="trunc")
    assert y.grad_fn.name() == "DivBackward2"
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not implemented"):
        (x // 2).sum().backward()


def test_round_decimals():
    x = torch.tensor([1.25, 2.5, 0.125, -1.55, 123.456])
    np.testing.assert_allclose(
        torch.round(x, decimals=1).numpy(), [1.2, 2.5, 0.1, -1.6, 123.5], rtol=1e-6
    )
    assert torch.round(torch.tensor([1234.5, 15.0]), decimals=-1).tolist() == [1230.0, 20.0]
    assert torch.round(torch.tensor([1.0]), decimals=1).grad_fn is None
    assert (
        torch.round(torch.tensor([1.0], requires_grad=True), decimals=1).grad_fn.name()
        == "RoundBackward1"
    )


def test_integer_inputs_to_float_maths():
    i = torch.tensor([1, 2, 4])
    for name in ["sin", "exp", "sqrt", "log", "sigmoid", "tanh", "reciprocal", "rsqrt", "exp2"]:
        out = getattr(torch, name)(i)
        assert out.dtype is torch.float32, name
        np.testing.assert_allclose(out.numpy(), getattr(torch, name)(i.float()).numpy())
    assert torch.sin(torch.tensor([True, False])).dtype is torch.float32
    assert torch.abs(torch.tensor([-2, 3])).tolist() == [2, 3]
    assert torch.floor(torch.tensor([-2, 3])).dtype is torch.int64
    assert torch.sign(torch.tensor([-2, 0, 3])).tolist() == [-1, 0, 1]
    assert torch.square(torch.tensor([True, False])).tolist() == [1, 0]
    assert torch.relu(torch.tensor([-2, 3])).tolist() == [0, 3]
    assert (torch.tensor([1, 2]) ** 2).tolist() == [1, 4]
    assert (2 ** torch.tensor([1, 2])).tolist() == [2, 4]


# ----- gradients at kinks and domain edges (values from PyTorch) -------------------------------

KINKS = [
    ("relu", torch.relu, [[-1.0, 0.0, 2.0]], [[0.0, 0.0, 1.0]]),
    ("abs", torch.abs, [[-1.0, 0.0, 2.0]], [[-1.0, 0.0, 1.0]]),
    ("sign", torch.sign, [[-1.0, 0.0, 2.0]], [[0.0, 0.0, 0.0]]),
    ("sqrt", torch.sqrt, [[0.0, 4.0]], [[inf, 0.25]]),
    ("rsqrt", torch.rsqrt, [[0.0, 4.0]], [[-inf, -0.0625]]),
    ("log", torch.log, [[0.0, 2.0]], [[inf, 0.5]]),
    ("reciprocal", torch.reciprocal, [[0.0, 2.0]], [[-inf, -0.25]]),
    ("asin", torch.asin, [[-1.0, 1.0]], [[inf, inf]]),
    ("acos", torch.acos, [[-1.0, 1.0]], [[-inf, -inf]]),
    (
        "clamp",
        lambda x: x.clamp(0.0, 1.0),
        [[-1.0, 0.0, 0.5, 1.0, 2.0]],
        [[0.0, 1.0, 1.0, 1.0, 0.0]],
    ),
    ("clamp_min", lambda x: x.clamp(min=0.0), [[-1.0, 0.0, 2.0]], [[0.0, 1.0, 1.0]]),
    ("clamp_max", lambda x: x.clamp(max=0.0), [[-1.0, 0.0, 2.0]], [[1.0, 1.0, 0.0]]),
    ("clamp_inverted", lambda x: x.clamp(1.0, 0.0), [[-1.0, 0.5, 2.0]], [[0.0, 0.0, 0.0]]),
    (
        "clamp_tensor",
        torch.clamp,
        [[-1.0, 0.0, 0.5, 1.0, 2.0, 0.5], [0.0] * 5 + [1.0], [1.0] * 5 + [0.0]],
        [
            [0.0, 1.0, 1.0, 1.0, 0.0, 0.0],
            [1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, 1.0, 1.0],
        ],
    ),
    (
        "clamp_tensor_equal",
        torch.clamp,
        [[0.5, 0.2], [0.5, 0.5], [0.5, 0.5]],
        [[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]],
    ),
    (
        "maximum",
        torch.maximum,
        [[1.0, 2.0, 3.0], [1.0, 1.0, 4.0]],
        [[0.5, 1.0, 0.0], [0.5, 0.0, 1.0]],
    ),
    (
        "minimum",
        torch.minimum,
        [[1.0, 2.0, 3.0], [1.0, 1.0, 4.0]],
        [[0.5, 0.0, 1.0], [0.5, 1.0, 0.0]],
    ),
    ("pow_scalar0", lambda x: x**0, [[0.0, 2.0]], [[0.0, 0.0]]),
    ("pow_scalar_half", lambda x: x**0.5, [[0.0, 4.0]], [[inf, 0.25]]),
    (
        "pow_tensor_at_zero",
        torch.pow,
        [[0.0, 0.0, 0.0, 2.0], [0.0, 1.0, -1.0, 0.0]],
        [[0.0, 1.0, -inf, 0.0], [0.0, 0.0, -inf, math.log(2)]],
    ),
    ("pow_negative_base", torch.pow, [[-2.0], [2.0]], [[-4.0], [nan]]),
    ("rpow_zero_base", lambda x: 0.0**x, [[-1.0, 0.0, 2.0]], [[-inf, 0.0, 0.0]]),
    ("floor", torch.floor, [[0.5, 1.0]], [[0.0, 0.0]]),
    ("round", torch.round, [[0.5, 1.5]], [[0.0, 0.0]]),
    ("frac", torch.frac, [[0.5, -1.5]], [[1.0, 1.0]]),
    ("remainder", torch.remainder, [[5.5, -5.5], [2.0, 2.0]], [[1.0, 1.0], [-2.0, 3.0]]),
    ("fmod", torch.fmod, [[5.5, -5.5], [2.0, 2.0]], [[1.0, 1.0], [-2.0, 2.0]]),
    (
        "where",
        lambda a, b: torch.where(a > 0, a, b),
        [[1.0, -1.0, 0.0], [2.0, 2.0, 2.0]],
        [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]],
    ),
]


@pytest.mark.parametrize(("name", "fn", "inputs", "grads"), KINKS, ids=[k[0] for k in KINKS])
def test_gradients_at_kinks(name, fn, inputs, grads):
    xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in inputs]
    with np.errstate(divide="ignore", invalid="ignore"):  # inf/nan are the expected answers
        fn(*xs).sum().backward()
    for x, want in zip(xs, grads, strict=True):
        np.testing.assert_array_equal(x.grad.numpy(), want)


# ----- graph nodes ---------------------------------------------------------------------------

_x = torch.tensor([0.5, 1.5], requires_grad=True)
_y = torch.tensor([0.3, 0.7], requires_grad=True)
GRAD_FN_NAMES = [
    (lambda: _x.abs(), "AbsBackward0"),
    (lambda: abs(_x), "AbsBackward0"),
    (lambda: _x.log1p(), "Log1PBackward0"),
    (lambda: _x.expm1(), "Expm1Backward0"),
    (lambda: _x.clamp(0, 1), "ClampBackward1"),
    (lambda: _x.clip(max=1), "ClampBackward1"),
    (lambda: _x.clamp(_y), "ClampBackward0"),
    (lambda: _x.clamp_min(0.1), "ClampMinBackward0"),
    (lambda: _x.clamp_min(_y), "ClampMinBackward1"),
    (lambda: _x.clamp_max(1.0), "ClampMaxBackward0"),
    (lambda: _x.clamp_max(_y), "ClampMaxBackward1"),
    (lambda: _x.square(), "PowBackward0"),
    (lambda: _x**2, "PowBackward0"),
    (lambda: _x**_y, "PowBackward1"),
    (lambda: 2**_x, "PowBackward2"),
    (lambda: 2 - _x, "RsubBackward1"),
    (lambda: np.ones(2) - _x, "RsubBackward0"),
    (lambda: torch.rsub(_x, _y), "RsubBackward0"),
    (lambda: 2 / _x, "MulBackward0"),
    (lambda: _x / 2, "DivBackward0"),
    (lambda: -_x, "NegBackward0"),
    (lambda: torch.maximum(_x, _y), "MaximumBackward0"),
    (lambda: torch.minimum(_x, _y), "MinimumBackward0"),
    (lambda: torch.where(_x > 1, _x, _y), "WhereBackward0"),
    (lambda: _x % 0.3, "RemainderBackward0"),
    (lambda: _x.remainder(_y), "RemainderBackward1"),
    (lambda: _x.fmod(0.3), "FmodBackward0"),
    (lambda: _x.fmod(_y), "FmodBackward1"),
    (lambda: _x // _y, "NotImplemented"),
    (lambda: _x.frac(), "FracBackward0"),
    (lambda: torch.fill(_x, 2.0), "FillBackward0"),
    (lambda: (_x * 1).fill_(2.0), "FillBackward2"),
    (lambda: (_x * 1).fill_(_y.sum()), "FillBackward3"),
    (lambda: (_x * 1).zero_(), "ZeroBackward0"),
    (lambda: torch.zeros(2).copy_(_x), "torch::autograd::CopyBackwards"),
    (lambda: (_x * 1).sin_(), "SinBackward0"),
    (lambda: (_x * 1).clamp_(0, 1), "ClampBackward1"),
]


@pytest.mark.parametrize(("make", "name"), GRAD_FN_NAMES, ids=[n for _, n in GRAD_FN_NAMES])
def test_grad_fn_names(make, name):
    assert make().grad_fn.name() == name


def test_scalar_options_are_not_operands():
    # as in PyTorch: a Scalar overload's scalar gets no next_functions entry; add's does
    assert len((_x**2).grad_fn.next_functions) == 1
    assert len((2 - _x).grad_fn.next_functions) == 1
    assert len(_x.clamp(0, 1).grad_fn.next_functions) == 1
    assert len(torch.where(_x > 1, _x, 0.0).grad_fn.next_functions) == 2
    assert len((_x * 2).grad_fn.next_functions) == 2
    assert (+_x) is _x


# ----- operators and operands ----------------------------------------------------------------


def test_reflected_operators_with_scalars():
    t = torch.tensor([1.0, 2.0, 4.0])
    assert (2 + t).tolist() == [3.0, 4.0, 6.0]
    assert (2 - t).tolist() == [1.0, 0.0, -2.0]
    assert (2 * t).tolist() == [2.0, 4.0, 8.0]
    assert (2 / t).tolist() == [2.0, 1.0, 0.5]
    assert (2**t).tolist() == [2.0, 4.0, 16.0]
    assert (9 // t).tolist() == [9.0, 4.0, 2.0]
    assert (9 % t).tolist() == [0.0, 1.0, 1.0]
    assert (-t).tolist() == [-1.0, -2.0, -4.0]
    assert abs(-t).tolist() == [1.0, 2.0, 4.0]
    assert (2 / torch.tensor([4, 8])).tolist() == [0.5, 0.25]


@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv", "pow", "floordiv", "mod"])
def test_reflected_operators_with_ndarrays(op):
    t = torch.tensor([1.0, 2.0, 4.0])
    arr = np.array([2.0, 3.0, 5.0])
    res = getattr(operator, op)(arr, t)
    assert isinstance(res, torch.Tensor) and res.dtype is torch.float64
    want = getattr(operator, op)(arr, t.numpy().astype(np.float64))
    np.testing.assert_allclose(res.numpy(), want)
    assert isinstance(np.ones(3) * t, torch.Tensor)
    assert isinstance(t * np.ones(3), torch.Tensor)


def test_reflected_operators_differentiate():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (2 - x + 3 / x + 2**x + np.ones(2) * x).sum().backward()
    want = -1 - 3 / np.array([1.0, 4.0]) + np.log(2) * np.array([2.0, 4.0]) + 1
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-6)


def test_unsupported_operands():
    t = torch.tensor([1.0, 2.0])
    for bad in ("a", None, [1, 2], object()):
        with pytest.raises(TypeError, match="unsupported operand"):
            t + bad
        with pytest.raises(TypeError):
            bad * t
    assert (t == None) is False  # noqa: E711 - what PyTorch answers
    assert (t != None) is True  # noqa: E711
    assert (t == "a") is False
    with pytest.raises(TypeError):
        t < "a"  # noqa: B015


def test_inplace_operators_keep_identity():
    t = torch.tensor([1.0, 2.0])
    u = t
    t += 1
    t *= torch.tensor([2.0, 3.0])
    t -= 1
    t /= 2
    t **= 2
    assert u is t and t.tolist() == [2.25, 16.0]
    i = torch.tensor([7, 9])
    i //= 2
    i %= 3
    i |= 8
    i &= 9
    i ^= 1
    assert i.tolist() == [9, 8]


# ----- comparisons, logical and bitwise ops ------------------------------------------------------


def test_comparisons():
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = torch.tensor([2.0, 2.0, 2.0])
    for op, want in [
        ("eq", [0, 1, 0]),
        ("ne", [1, 0, 1]),
        ("lt", [1, 0, 0]),
        ("le", [1, 1, 0]),
        ("gt", [0, 0, 1]),
        ("ge", [0, 1, 1]),
    ]:
        for res in (
            getattr(torch, op)(a, b),
            getattr(a, op)(b),
            getattr(a, f"__{op}__")(b),
            getattr(a, op)(2.0),
        ):
            assert res.dtype is torch.bool and not res.requires_grad and res.grad_fn is None
            assert res.tolist() == [bool(w) for w in want]
    assert (2.0 < a).tolist() == [False, False, True]  # reflected: Python swaps to a > 2.0
    assert torch.not_equal(a, b).tolist() == [True, False, True]


def test_logical_ops():
    a = torch.tensor([0.0, 1.0, 2.0, 0.0])
    b = torch.tensor([0, 0, 3, 5])
    assert torch.logical_and(a, b).tolist() == [False, False, True, False]
    assert torch.logical_or(a, b).tolist() == [False, True, True, True]
    assert torch.logical_xor(a, b).tolist() == [False, True, False, True]
    assert torch.logical_not(a).tolist() == [True, False, False, True]
    assert a.logical_not().dtype is torch.bool


def test_bitwise_ops():
    m, n = torch.tensor([True, False, True]), torch.tensor([True, True, False])
    assert (m & n).tolist() == [True, False, False]
    assert (m | n).tolist() == [True, True, True]
    assert (m ^ n).tolist() == [False, True, True]
    assert (~m).tolist() == [False, True, False]
    assert (m ^ True).tolist() == [False, True, False]
    i = torch.tensor([5, 3])
    assert (i & torch.tensor([3, 1])).tolist() == [1, 1]
    assert (i | 8).tolist() == [13, 11]
    assert (3 & i).tolist() == [1, 3]
    assert (~torch.tensor([5, -3], dtype=torch.int32)).tolist() == [-6, 2]
    assert (i & True).dtype is torch.int64
    f = torch.tensor([1.0])
    with pytest.raises(
        NotImplementedError, match="\"bitwise_and_cpu\" not implemented for 'Float'"
    ):
        f & f
    with pytest.raises(TypeError, match=r"~ \(operator.invert\) is only implemented on integer"):
        _ = ~f


def test_nan_inf_tests():
    x = torch.tensor([nan, -inf, inf, 1.0])
    assert torch.isnan(x).tolist() == [True, False, False, False]
    assert torch.isinf(x).tolist() == [False, True, True, False]
    assert x.isfinite().tolist() == [False, False, False, True]
    assert torch.isnan(torch.tensor([1, 2])).tolist() == [False, False]


# ----- where, clamp and maximum argument handling ---------------------------------------------


def test_where_forms():
    cond = torch.tensor([True, False, True])
    x = torch.tensor([1.0, 2.0, 3.0])
    assert torch.where(cond, x, 0.0).tolist() == [1.0, 0.0, 3.0]
    assert torch.where(cond, 1, 2).tolist() == [1, 2, 1]
    assert torch.where(cond, 1.0, 2).dtype is torch.float32
    assert x.where(cond, -x).tolist() == [1.0, -2.0, 3.0]
    (idx,) = torch.where(cond)
    assert idx.tolist() == [0, 2] and idx.dtype is torch.int64
    rows, cols = torch.where(torch.tensor([[True, False], [False, True]]))
    assert rows.tolist() == [0, 1] and cols.tolist() == [0, 1]
    assert torch.where(torch.tensor([[True], [False]]), x, 0.0).shape == (2, 3)
    with pytest.raises(
        RuntimeError,
        match="where expected condition to be a boolean tensor, but got a tensor with dtype Long",
    ):
        torch.where(torch.tensor([1, 0, 1]), x, x)


def test_clamp_forms():
    x = torch.tensor([-2.0, 0.5, 3.0])
    assert x.clamp(-1, 1).tolist() == [-1.0, 0.5, 1.0]
    assert x.clamp(min=0).tolist() == [0.0, 0.5, 3.0]
    assert x.clip(max=0).tolist() == [-2.0, 0.0, 0.0]
    assert x.clamp(1, 0).tolist() == [0.0, 0.0, 0.0]  # min > max: everything is max
    lo = torch.tensor([[0.0], [1.0]])
    assert torch.clamp(x, lo).tolist() == [[0.0, 0.5, 3.0], [1.0, 1.0, 3.0]]
    assert torch.clamp(x, max=torch.tensor(0.0)).tolist() == [-2.0, 0.0, 0.0]
    assert torch.clamp(torch.tensor([1, 5]), 0, 3).tolist() == [1, 3]
    assert torch.clamp_min(x, 0.0).tolist() == [0.0, 0.5, 3.0]
    assert x.clamp_max(torch.tensor([0.0, 0.0, 1.0])).tolist() == [-2.0, 0.0, 1.0]
    with pytest.raises(
        RuntimeError, match="torch.clamp: At least one of 'min' or 'max' must not be None"
    ):
        torch.clamp(x)


def test_maximum_needs_tensors():
    x = torch.tensor([1.0])
    with pytest.raises(
        TypeError,
        match=r"maximum\(\): argument 'other' \(position 2\) must be "
        "Tensor, not float",
    ):
        torch.maximum(x, 2.0)
    with pytest.raises(TypeError, match="minimum"):
        torch.minimum(x, 2)


# ----- errors ------------------------------------------------------------------------------------


def test_broadcast_errors_name_the_shapes():
    with pytest.raises(
        RuntimeError,
        match=r"^The size of tensor a \(3\) must match the size of "
        r"tensor b \(4\) at non-singleton dimension 1$",
    ):
        torch.ones(2, 3) + torch.ones(4)
    with pytest.raises(
        RuntimeError,
        match=r"tensor a \(2\) must match the size of tensor b "
        r"\(4\) at non-singleton dimension 0",
    ):
        torch.maximum(torch.ones(2), torch.ones(4))
    with pytest.raises(
        RuntimeError,
        match=r"tensor a \(3\) must match the size of tensor b "
        r"\(4\) at non-singleton dimension 1",
    ):
        torch.where(torch.ones(2, 3) > 0, torch.ones(4), 0.0)
    with pytest.raises(RuntimeError, match="must match the size"):
        torch.ones(3) == torch.ones(2)  # noqa: B015
    assert (torch.ones(5, 3) + torch.ones(4, 1, 1)).shape == (4, 5, 3)


def test_bool_arithmetic_errors():
    b = torch.tensor([True, False])
    with pytest.raises(
        RuntimeError,
        match=r"^Subtraction, the `-` operator, with a bool tensor is "
        r"not supported\. If you are trying to invert a mask, "
        r"use the `~` or `logical_not\(\)` operator instead\.$",
    ):
        2 - b
    with pytest.raises(RuntimeError, match="Subtraction"):
        torch.tensor([1, 2]) - True
    with pytest.raises(RuntimeError, match=r"^Negation, the `-` operator, on a bool tensor"):
        _ = -b
    with pytest.raises(
        RuntimeError,
        match=r"The `\+` operator, on a bool tensor is not "
        "supported.",
    ):
        _ = +b
    with pytest.raises(NotImplementedError, match="\"abs_cpu\" not implemented for 'Bool'"):
        torch.abs(b)
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        torch.relu(b)
    assert (b + b).tolist() == [True, False] and (b * 3).tolist() == [3, 0]


def test_other_errors():
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed."):
        torch.tensor([1, 2]) ** -1
    with pytest.raises(
        RuntimeError,
        match="div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'x'",
    ):
        torch.div(torch.ones(1), 2, rounding_mode="x")
    with pytest.raises(NotImplementedError, match="\"frac_cpu\" not implemented for 'Long'"):
        torch.frac(torch.tensor([1]))


# ----- in-place forms ----------------------------------------------------------------------------

_A = np.array([[-1.5, 0.25, 2.0], [0.5, -0.75, 1.25]])
INPLACE = [  # method, extra args, input data
    ("add_", (torch.tensor([1.0, 2.0, 3.0]),), _A),
    ("sub_", (1.5,), _A),
    ("mul_", (-2,), _A),
    ("div_", (torch.tensor(4.0),), _A),
    ("pow_", (2,), _A),
    ("neg_", (), _A),
    ("abs_", (), _A),
    ("exp_", (), _A),
    ("exp2_", (), _A),
    ("expm1_", (), _A),
    ("log_", (), np.abs(_A)),
    ("log2_", (), np.abs(_A)),
    ("log10_", (), np.abs(_A)),
    ("log1p_", (), np.abs(_A)),
    ("sqrt_", (), np.abs(_A)),
    ("rsqrt_", (), np.abs(_A)),
    ("reciprocal_", (), _A),
    ("square_", (), _A),
    ("sin_", (), _A),
    ("cos_", (), _A),
    ("tan_", (), _A),
    ("asin_", (), _A / 3),
    ("acos_", (), _A / 3),
    ("atan_", (), _A),
    ("sinh_", (), _A),
    ("cosh_", (), _A),
    ("tanh_", (), _A),
    ("sigmoid_", (), _A),
    ("relu_", (), _A),
    ("sign_", (), _A),
    ("floor_", (), _A),
    ("ceil_", (), _A),
    ("round_", (), _A),
    ("trunc_", (), _A),
    ("frac_", (), _A),
    ("clamp_", (-1, 1), _A),
    ("clip_", (0,), _A),
    ("clamp_min_", (0.3,), _A),
    ("clamp_max_", (0.3,), _A),
    ("remainder_", (0.7,), _A),
    ("fmod_", (0.7,), _A),
    ("floor_divide_", (0.7,), _A),
    ("true_divide_", (3,), _A),
    ("subtract_", (torch.tensor([[1.0], [2.0]]),), _A),
    ("multiply_", (3,), _A),
    ("divide_", (3,), _A),
    ("negative_", (), _A),
    ("absolute_", (), _A),
    ("fix_", (), _A),
    ("arcsin_", (), _A / 3),
    ("arccos_", (), _A / 3),
    ("arctan_", (), _A),
    ("eq_", (0.5,), _A),
    ("lt_", (0.5,), _A),
    ("ge_", (0.5,), _A),
    ("logical_not_", (), _A),
    ("logical_and_", (torch.tensor([1.0, 0.0, 1.0]),), _A),
]


@pytest.mark.parametrize(("method", "args", "data"), INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_matches_out_of_place(method, args, data):
    t = torch.tensor(data)
    out_of_place = getattr(t, method[:-1])(*args)
    storage = t.numpy()
    r = getattr(t, method)(*args)
    assert r is t and t._version == 1 and t.dtype is torch.float64
    assert t.numpy() is storage  # written into the same memory
    np.testing.assert_allclose(t.numpy(), out_of_place.double().numpy())


# module-level in-place names PyTorch has for this family (read off `dir(torch)`)
MODULE_INPLACE = [
    "abs_",
    "acos_",
    "arccos_",
    "arcsin_",
    "arctan_",
    "asin_",
    "atan_",
    "ceil_",
    "clamp_",
    "clamp_max_",
    "clamp_min_",
    "clip_",
    "cos_",
    "cosh_",
    "exp2_",
    "exp_",
    "expm1_",
    "fill_",
    "fix_",
    "floor_",
    "frac_",
    "log10_",
    "log1p_",
    "log2_",
    "log_",
    "neg_",
    "negative_",
    "reciprocal_",
    "relu_",
    "round_",
    "rsqrt_",
    "sigmoid_",
    "sin_",
    "sinh_",
    "sqrt_",
    "square_",
    "tan_",
    "tanh_",
    "trunc_",
    "zero_",
]


@pytest.mark.parametrize("name", MODULE_INPLACE)
def test_module_level_inplace(name):
    t = torch.tensor([0.25, 0.5])
    args = {
        "clamp_": (0, 0.3),
        "clip_": (0, 0.3),
        "clamp_max_": (0.3,),
        "clamp_min_": (0.3,),
        "fill_": (2.0,),
    }.get(name, ())
    want = getattr(t.clone(), name)(*args).tolist()
    assert getattr(torch, name)(t, *args) is t
    assert t.tolist() == want


def test_inplace_on_leaf_requiring_grad_raises():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    for op in (
        lambda: a.add_(1),
        lambda: a.sin_(),
        lambda: a.zero_(),
        lambda: a.copy_(a * 2),
        lambda: a.clamp_(0, 1),
        lambda: torch.relu_(a),
    ):
        with pytest.raises(
            RuntimeError,
            match=r"^a leaf Variable that requires grad is being "
            r"used in an in-place operation\.$",
        ):
            op()
    assert a._version == 0


def test_inplace_under_no_grad_is_allowed():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.no_grad():
        a.add_(1)
        a.mul_(2)
    assert a._version == 2 and a.tolist() == [4.0, 6.0]
    assert a.requires_grad and a.is_leaf and a.grad_fn is None


def test_inplace_on_non_leaf_keeps_gradients():
    a = torch.tensor([0.5, 1.0, -2.0], requires_grad=True)
    x = a * 1
    x.sin_()
    assert x.grad_fn.name() == "SinBackward0" and x._version == 1
    x.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.cos(a.detach().numpy()), rtol=1e-6)


def test_inplace_chain_gradients():
    a, b = make_inputs((2, 3), (3,), positive=True)

    def f(a, b):
        x = a * 1
        x.add_(b, alpha=3).mul_(b).div_(b + 3).pow_(2)
        return x.sigmoid_()

    check_grads(f, a, b)
    check_grads(lambda a: (a * 1).exp_().clamp_(max=3).relu_(), a)


def test_modifying_a_saved_tensor_raises():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    c = a * 1
    d = c.sin()
    c.add_(1)
    with pytest.raises(
        RuntimeError,
        match=r"^one of the variables needed for gradient "
        r"computation has been modified by an inplace "
        r"operation: \[torch.FloatTensor \[2\]\], which is "
        r"output 0 of Add, is at version 1; expected version 0 "
        r"instead\. Hint: enable anomaly detection",
    ):
        d.sum().backward()
    e = (a * 1).exp()
    e.add_(1)
    with pytest.raises(
        RuntimeError,
        match=r"output 0 of Exp, is at version 1; expected "
        r"version 0",
    ):
        e.sum().backward()


def test_inplace_dtype_and_shape_rules():
    i = torch.tensor([1, 2])
    for op, args in [
        ("add_", (1.5,)),
        ("mul_", (torch.tensor([1.0, 2.0]),)),
        ("div_", (2,)),
        ("sin_", ()),
        ("sqrt_", ()),
        ("pow_", (0.5,)),
    ]:
        with pytest.raises(
            RuntimeError, match="^result type Float can't be cast to the desired output type Long$"
        ):
            getattr(i, op)(*args)
    with pytest.raises(
        RuntimeError, match="result type Long can't be cast to the desired output type Bool"
    ):
        torch.tensor([True]).add_(1)
    assert i.relu_().tolist() == [1, 2] and i.pow_(2).tolist() == [1, 4]
    f = torch.tensor([1.0, 2.0])
    assert f.add_(torch.tensor([1.0, 1.0], dtype=torch.float64)).dtype is torch.float32
    assert f.add_(torch.ones(1)).tolist() == [3.0, 4.0]
    with pytest.raises(
        RuntimeError,
        match=r"output with shape \[2\] doesn't match the broadcast "
        r"shape \[2, 2\]",
    ):
        f.add_(torch.ones(2, 2))


def test_copy_():
    dst = torch.zeros(2, 3)
    src = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    assert dst.copy_(src) is dst and dst.dtype is torch.float32
    assert dst.tolist() == [[1.0, 2.0, 3.0]] * 2
    assert torch.tensor([1, -2]).copy_(torch.tensor([1.7, -2.7])).tolist() == [1, -2]
    assert torch.tensor([True, False]).copy_(torch.tensor([0.5, 0.0])).tolist() == [True, False]
    with pytest.raises(
        RuntimeError,
        match=r"The size of tensor a \(2\) must match the size of "
        r"tensor b \(3\) at non-singleton dimension 0",
    ):
        torch.zeros(2).copy_(torch.ones(3))
    with pytest.raises(
        RuntimeError,
        match=r"output with shape \[2\] doesn't match the broadcast "
        r"shape \[2, 2\]",
    ):
        torch.zeros(2).copy_(torch.ones(2, 2))


def test_copy_gradients():
    a, b = make_inputs((2, 2), (2,))
    x = a * 1
    x.copy_(b)
    assert x.grad_fn.name() == "torch::autograd::CopyBackwards"
    assert type(x.grad_fn).__name__ == "CopyBackwards"
    x.sum().backward()
    assert a.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]] and b.grad.tolist() == [2.0, 2.0]
    y = torch.zeros(2, dtype=torch.float64).copy_(b)
    assert y.requires_grad and not y.is_leaf
    check_grads(lambda a, b: (a * 1).copy_(b) * a, a, b)


def test_fill_and_zero():
    a, v = make_inputs((2,), ())
    x = a * 1
    x.fill_(v)
    assert x.tolist() == [v.item()] * 2
    x.sum().backward()
    assert a.grad.tolist() == [0.0, 0.0] and v.grad.item() == 2.0
    a.grad = None
    y = a * 1
    y.fill_(3)
    y.zero_()
    y.sum().backward()
    assert a.grad.tolist() == [0.0, 0.0]
    assert torch.tensor([1, 2]).fill_(1.7).tolist() == [1, 1]
    assert torch.fill(torch.tensor([1.0, 2.0]), 3).tolist() == [3.0, 3.0]
    with pytest.raises(
        RuntimeError,
        match="fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions.",
    ):
        torch.zeros(2).fill_(torch.ones(1))
    z = torch.tensor([1, 2])
    assert z.zero_() is z and z.tolist() == [0, 0] and z._version == 1


# ----- the same ops on the GPU (CuPy): values, dtypes and gradients agree with the CPU -------

GPU_UNARY = [
    "abs",
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "sqrt",
    "rsqrt",
    "reciprocal",
    "square",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "tanh",
    "sigmoid",
    "relu",
    "sign",
    "floor",
    "ceil",
    "round",
    "trunc",
    "frac",
    "neg",
]


@pytest.mark.gpu
@pytest.mark.parametrize("name", GPU_UNARY)
def test_gpu_unary_matches_cpu(name):
    data = (
        _U * 0.9
        if name in ("asin", "acos")
        else (_P if name in ("log", "log2", "log10", "log1p", "sqrt", "rsqrt") else _X)
    )
    x = torch.tensor(data.astype(np.float64), requires_grad=True)
    xc = torch.tensor(data.astype(np.float64), device="cuda", requires_grad=True)
    y, yc = getattr(torch, name)(x), getattr(torch, name)(xc)
    assert yc.device.type == "cuda" and yc.dtype is y.dtype
    np.testing.assert_allclose(yc.cpu().detach().numpy(), y.detach().numpy(), rtol=1e-12)
    y.sum().backward()
    yc.sum().backward()
    assert xc.grad.device.type == "cuda"
    np.testing.assert_allclose(xc.grad.cpu().numpy(), x.grad.numpy(), rtol=1e-12)
    if name != "frac":  # frac refuses integers
        assert getattr(torch, name)(torch.tensor([1, 2], device="cuda")).device.type == "cuda"


@pytest.mark.gpu
@pytest.mark.parametrize(
    ("name", "fn", "domain"),
    BINARY
    + [
        ("remainder", torch.remainder, {"positive": True}),
        ("fmod", torch.fmod, {"positive": True}),
        ("clamp", lambda a, b: torch.clamp(a, b, b + 1), {}),
        ("floor_div", lambda a, b: torch.div(a, b, rounding_mode="floor"), {"positive": True}),
    ],
    ids=[c[0] for c in BINARY] + ["remainder", "fmod", "clamp", "floor_div"],
)
def test_gpu_binary_matches_cpu(name, fn, domain):
    a, b = make_inputs((4, 1, 3), (2, 1), **domain)
    ac, bc = (t.detach().cuda().requires_grad_() for t in (a, b))
    y, yc = fn(a, b), fn(ac, bc)
    np.testing.assert_allclose(yc.detach().cpu().numpy(), y.detach().numpy(), rtol=1e-12)
    y.sum().backward()
    yc.sum().backward()
    for t, tc in ((a, ac), (b, bc)):
        np.testing.assert_allclose(tc.grad.cpu().numpy(), t.grad.numpy(), rtol=1e-12)


@pytest.mark.gpu
def test_gpu_operators_comparisons_and_inplace():
    x = torch.tensor([[-1.5, 0.0, 2.0]], device="cuda")
    assert (2 - x).tolist() == [[3.5, 2.0, 0.0]] and (2**x).device.type == "cuda"
    assert (x > 0).tolist() == [[False, False, True]] and (x > 0).dtype is torch.bool
    assert ((x > 0) & (x < 3)).tolist() == [[False, False, True]]
    assert torch.where(x > 0, x, 0.0).tolist() == [[0.0, 0.0, 2.0]]
    assert torch.isfinite(x / 0).tolist() == [[False, False, False]]
    assert (torch.tensor([7, -7], device="cuda") // 2).tolist() == [3, -4]
    a = torch.tensor([0.5, 1.0], device="cuda", requires_grad=True)
    h = a * 1
    h.sin_().mul_(2).clamp_(max=1.5)
    h.sum().backward()
    want = np.where(2 * np.sin([0.5, 1.0]) <= 1.5, 2 * np.cos([0.5, 1.0]), 0.0)
    np.testing.assert_allclose(a.grad.cpu().numpy(), want, rtol=1e-6)
    z = torch.zeros(2, 3, device="cuda")
    z.copy_(torch.tensor([1.0, 2.0, 3.0]))  # from the CPU, broadcast
    assert z.device.type == "cuda" and z.tolist() == [[1.0, 2.0, 3.0]] * 2
    src = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = torch.zeros(3, device="cuda").copy_(src)
    w.sum().backward()
    assert src.grad.device.type == "cpu" and src.grad.tolist() == [1.0, 1.0, 1.0]
    z.fill_(3).add_(torch.ones(3, device="cuda"), alpha=2)
    assert z.tolist() == [[5.0, 5.0, 5.0]] * 2 and z._version == 3
