"""Reductions: gradients (first and second order), values against NumPy, PyTorch's conventions for
ties and zeros (values read from PyTorch 2.13 and written down here), dtypes, names and errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import workbench.engine as torch
from tests.engine.helpers import check_grads, make_inputs

inf = math.inf

# (id, function, input shape, make_inputs options)
GRAD_CASES = [
    ("sum", lambda x: x.sum(), (2, 3, 4), {}),
    ("sum-dim", lambda x: x.sum(1), (2, 3, 4), {}),
    ("sum-negdim-keep", lambda x: x.sum(-1, keepdim=True), (2, 3, 4), {}),
    ("sum-dims", lambda x: torch.sum(x, (0, 2)), (2, 3, 4), {}),
    ("sum-dims-keep", lambda x: x.sum((0, 2), keepdim=True), (2, 3, 4), {}),
    ("sum-0d", lambda x: x.sum(0), (), {}),
    ("sum-dtype", lambda x: x.sum(0, dtype=torch.float64), (3, 4), {}),
    ("mean", lambda x: x.mean(), (2, 3, 4), {}),
    ("mean-dim", lambda x: torch.mean(x, 1), (2, 3, 4), {}),
    ("mean-dims-keep", lambda x: x.mean((0, -1), keepdim=True), (2, 3, 4), {}),
    ("prod", lambda x: x.prod(), (2, 3), {"positive": True}),
    ("prod-neg", lambda x: x.prod(), (2, 3), {}),
    ("prod-dim", lambda x: x.prod(1), (3, 4), {}),
    ("prod-dim-keep", lambda x: torch.prod(x, 0, keepdim=True), (3, 4), {}),
    ("prod-0d", lambda x: x.prod(), (), {}),
    ("max", lambda x: x.max(), (3, 4), {}),
    ("min", lambda x: torch.min(x), (3, 4), {}),
    ("max-dim", lambda x: x.max(1).values, (3, 4), {}),
    ("max-dim-keep", lambda x: torch.max(x, 0, keepdim=True)[0], (3, 4), {}),
    ("min-dim", lambda x: x.min(-1)[0], (2, 3, 4), {}),
    ("min-dim-keep", lambda x: torch.min(x, dim=1, keepdim=True).values, (2, 3, 4), {}),
    ("max-dim-0d", lambda x: x.max(0).values, (), {}),
    ("amax", lambda x: x.amax(), (3, 4), {}),
    ("amax-dim", lambda x: torch.amax(x, 1), (2, 3, 4), {}),
    ("amax-dims-keep", lambda x: x.amax((0, 2), keepdim=True), (2, 3, 4), {}),
    ("amin-dim", lambda x: x.amin(-1), (2, 3, 4), {}),
    ("amin-dims", lambda x: torch.amin(x, (1, 2)), (2, 3, 4), {}),
    ("var", lambda x: x.var(), (2, 3, 4), {}),
    ("var-dim", lambda x: x.var(1), (2, 3, 4), {}),
    ("var-dims-keep-c0", lambda x: x.var((0, 2), keepdim=True, correction=0), (2, 3, 4), {}),
    ("var-unbiased-false", lambda x: torch.var(x, 2, False), (2, 3, 4), {}),
    ("var-c2", lambda x: x.var(1, correction=2), (2, 4, 3), {}),
    ("std", lambda x: x.std(), (2, 3, 4), {}),
    ("std-dim", lambda x: torch.std(x, 0), (2, 3, 4), {}),
    ("std-dims-keep-c0", lambda x: x.std((1, 2), keepdim=True, correction=0), (2, 3, 4), {}),
    ("std-unbiased-false", lambda x: x.std(False), (3, 4), {}),
    ("norm", lambda x: x.norm(), (2, 3, 4), {}),
    ("norm-fro-dim", lambda x: x.norm("fro", dim=1), (2, 3, 4), {}),
    ("norm-fro-2dims", lambda x: torch.norm(x, "fro", (1, 2)), (2, 3, 4), {}),
    ("norm-p1", lambda x: x.norm(p=1), (3, 4), {}),
    ("norm-p1-dim", lambda x: x.norm(1, 0, keepdim=True), (3, 4), {}),
    ("norm-inf", lambda x: x.norm(p=inf), (3, 4), {}),
    ("norm-inf-dim", lambda x: x.norm(p=inf, dim=1), (3, 4), {}),
    ("norm-ninf-dim", lambda x: x.norm(p=-inf, dim=0), (3, 4), {}),
    ("norm-p3-dims", lambda x: x.norm(p=3, dim=(0, 2)), (2, 3, 4), {}),
    (
        "norm-p0.5-dim-keep",
        lambda x: x.norm(p=0.5, dim=2, keepdim=True),
        (2, 3, 4),
        {"positive": True},
    ),
    ("norm-p-1.5", lambda x: x.norm(p=-1.5, dim=0), (3, 4), {"positive": True}),
    ("norm-p2-dim", lambda x: torch.norm(x, 2, -1), (3, 4), {}),
    ("logsumexp-dim", lambda x: x.logsumexp(1), (2, 3, 4), {}),
    ("logsumexp-dims-keep", lambda x: torch.logsumexp(x, (0, 2), keepdim=True), (2, 3, 4), {}),
    ("logsumexp-large", lambda x: (x * 500).logsumexp(-1), (3, 4), {}),
    ("cumsum-0", lambda x: x.cumsum(0), (2, 3, 4), {}),
    ("cumsum-neg", lambda x: torch.cumsum(x, -1), (2, 3, 4), {}),
    ("cumsum-0d", lambda x: x.cumsum(0), (), {}),
]


@pytest.mark.parametrize(
    "fn,shape,opts", [c[1:] for c in GRAD_CASES], ids=[c[0] for c in GRAD_CASES]
)
def test_gradients(fn, shape, opts):
    (x,) = make_inputs(shape, **opts)
    check_grads(fn, x)


# Gradients at zeros of prod: finite differences of the polynomial are exact enough, and the
# second-order check covers the mixed derivatives between zeros.
@pytest.mark.parametrize(
    "data,fn",
    [
        ([2.0, 0.0, 3.0, -1.5], lambda x: x.prod()),
        ([2.0, 0.0, 0.0, -1.5], lambda x: x.prod()),
        ([0.0, 0.0, 0.0, 2.0], lambda x: x.prod()),
        (
            [[2.0, 0.0, 3.0], [1.5, 2.0, -3.0], [0.0, 0.0, 5.0], [0.0, 4.0, 0.0]],
            lambda x: x.prod(1),
        ),
        (
            [[2.0, 0.0, 3.0], [1.5, 2.0, -3.0], [0.0, 0.0, 5.0], [0.0, 4.0, 0.0]],
            lambda x: x.prod(0),
        ),
        ([[2.0, 0.0, 3.0], [1.5, 2.0, -3.0]], lambda x: x.prod(1, keepdim=True)),
    ],
    ids=["one-zero", "two-zeros", "three-zeros", "rows", "columns", "keepdim"],
)
def test_prod_gradients_at_zeros(data, fn):
    x = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    check_grads(fn, x)


def _grad(fn, data):
    x = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    y = fn(x)
    y.backward(torch.ones_like(y))
    return None if x.grad is None else x.grad.tolist()


TIES = [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]


# Gradients where the derivative needs a convention, as PyTorch 2.13 computes them.
@pytest.mark.parametrize(
    "fn,data,expected",
    [
        (lambda x: x.max(), TIES, [[0, 0.5, 0.5], [0, 0, 0]]),
        (lambda x: x.min(), [[1.0, 0.0, 0.0], [0.0, 5.0, 6.0]], [[0, 1 / 3, 1 / 3], [1 / 3, 0, 0]]),
        (lambda x: x.max(1)[0], TIES, [[0, 1, 0], [1, 0, 0]]),
        (lambda x: x.min(1)[0], TIES, [[1, 0, 0], [0, 0, 1]]),
        (lambda x: x.amax(), TIES, [[0, 0.5, 0.5], [0, 0, 0]]),
        (lambda x: x.amax(1), TIES, [[0, 0.5, 0.5], [0.5, 0.5, 0]]),
        (lambda x: x.amin(0), TIES, [[1, 0, 0], [0, 1, 1]]),
        (lambda x: x.amax((0, 1)), TIES, [[0, 0.5, 0.5], [0, 0, 0]]),
        (lambda x: x.prod(), [2.0, 0.0, 3.0], [0, 6, 0]),
        (lambda x: x.prod(), [2.0, 0.0, 0.0, 3.0], [0, 0, 0, 0]),
        (
            lambda x: x.prod(1),
            [[2.0, 0.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, 3.0]],
            [[0, 6, 0], [0, 0, 0], [6, 3, 2]],
        ),
        (lambda x: x.norm(), [0.0, 0.0], [0, 0]),
        (lambda x: x.norm(p=1), [0.0, 0.0, 1.0, -2.0], [0, 0, 1, -1]),
        (lambda x: x.norm(p=inf), [3.0, -3.0, 1.0], [0.5, -0.5, 0]),
        (lambda x: x.norm(p=-inf), [3.0, -3.0, 1.0], [0, 0, 1]),
        (lambda x: x.norm(p=inf), [0.0, 0.0], [0, 0]),
        (
            lambda x: x.norm(p=inf, dim=1),
            [[1.0, 5.0, -5.0], [2.0, 3.0, 1.0]],
            [[0, 0.5, -0.5], [0, 1, 0]],
        ),
        (lambda x: x.norm(p=3), [0.0, 0.0], [0, 0]),
        (lambda x: x.norm(p=0.5), [0.0, 1.0], [0, 1]),
        (lambda x: x.norm(p=1.5), [0.0, 1.0], [0, 1]),
        (lambda x: x.norm(p=0.5), [0.0, 0.0], [0, 0]),
        (lambda x: x.norm(p=-1), [-1.0, 1.0, 2.0], [-0.16, 0.16, 0.04]),
        (lambda x: x.norm(p=-1), [0.0, 1.0, 2.0], [0, 0, 0]),
        (lambda x: x.norm(p=0), [0.0, 1.0, 2.0], None),
        (lambda x: x.std(), [2.0, 2.0, 2.0], [0, 0, 0]),
        (lambda x: x.logsumexp(0), [-inf, -inf], [math.nan, math.nan]),
    ],
)
def test_gradient_conventions(fn, data, expected):
    got = _grad(fn, data)
    if expected is None:
        assert got is None
    else:
        np.testing.assert_allclose(got, expected, atol=1e-12)


def test_var_backward_uses_unclamped_degrees_of_freedom():
    # PyTorch clamps N - correction at 0 in forward (inf) but not in backward: 2 / (2 - 2.5)
    x = torch.tensor([[1.0, 4.0], [2.0, 0.5]], dtype=torch.float64, requires_grad=True)
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        y = x.var(1, correction=2.5)
    assert y.tolist() == [inf, inf]
    y.sum().backward()
    xd = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), -4 * (xd - xd.mean(1, keepdims=True)))


# ----- values against NumPy ------------------------------------------------------------------

X = np.random.default_rng(1).standard_normal((2, 3, 4))

VALUE_CASES = [
    (lambda x: x.sum(), lambda a: a.sum()),
    (lambda x: x.sum((0, 2)), lambda a: a.sum((0, 2))),
    (lambda x: x.sum(()), lambda a: a.sum()),
    (lambda x: x.mean(1, keepdim=True), lambda a: a.mean(1, keepdims=True)),
    (lambda x: x.mean(()), lambda a: a.mean()),
    (lambda x: x.prod(2), lambda a: a.prod(2)),
    (lambda x: x.prod(), lambda a: a.prod()),
    (lambda x: x.max(), lambda a: a.max()),
    (lambda x: x.min(0).values, lambda a: a.min(0)),
    (lambda x: x.max(1, keepdim=True).indices, lambda a: a.argmax(1)[:, None]),
    (lambda x: x.amax((1, 2)), lambda a: a.max((1, 2))),
    (lambda x: x.amin(-1, keepdim=True), lambda a: a.min(-1, keepdims=True)),
    (lambda x: x.argmax(), lambda a: a.argmax()),
    (lambda x: x.argmin(1), lambda a: a.argmin(1)),
    (lambda x: x.argmax(2, keepdim=True), lambda a: a.argmax(2, keepdims=True)),
    (lambda x: x.argmin(keepdim=True), lambda a: np.reshape(a.argmin(), (1, 1, 1))),
    (lambda x: x.var(), lambda a: a.var(ddof=1)),
    (lambda x: x.var(1, correction=0), lambda a: a.var(1)),
    (
        lambda x: x.var((0, 2), unbiased=True, keepdim=True),
        lambda a: a.var((0, 2), ddof=1, keepdims=True),
    ),
    (lambda x: x.std(2, correction=2), lambda a: a.std(2, ddof=2)),
    (lambda x: x.norm(), lambda a: np.linalg.norm(a.ravel())),
    (lambda x: x.norm(dim=(1, 2)), lambda a: np.sqrt((a * a).sum((1, 2)))),
    (lambda x: x.norm(p=1, dim=0), lambda a: np.abs(a).sum(0)),
    (lambda x: x.norm(p=inf), lambda a: np.abs(a).max()),
    (lambda x: x.norm(p=-inf, dim=1), lambda a: np.abs(a).min(1)),
    (
        lambda x: x.norm(p=3, dim=2, keepdim=True),
        lambda a: (np.abs(a) ** 3).sum(2, keepdims=True) ** (1 / 3),
    ),
    (lambda x: x.norm(p=0), lambda a: np.count_nonzero(a)),
    (lambda x: x.logsumexp(1), lambda a: np.log(np.exp(a).sum(1))),
    (
        lambda x: x.logsumexp((0, 2), keepdim=True),
        lambda a: np.log(np.exp(a).sum((0, 2), keepdims=True)),
    ),
    (lambda x: x.cumsum(1), lambda a: a.cumsum(1)),
    (lambda x: x.cumsum(-1), lambda a: a.cumsum(-1)),
]


@pytest.mark.parametrize("fn,ref", VALUE_CASES)
def test_values_against_numpy(fn, ref):
    got = fn(torch.tensor(X))
    expected = np.asarray(ref(X))
    assert tuple(got.shape) == expected.shape
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_max_ties_and_nan_pick_the_first_index():
    t = torch.tensor(TIES)
    assert t.max(1).indices.tolist() == [1, 0]
    assert t.min(1).indices.tolist() == [0, 2]
    n = torch.tensor([1.0, math.nan, 2.0])
    assert math.isnan(n.max().item()) and math.isnan(n.amin().item())
    assert n.max(0).indices.item() == 1 and n.argmax().item() == 1


def test_logsumexp_is_stable():
    assert torch.tensor([1000.0, 1000.0]).logsumexp(0).item() == pytest.approx(1000 + math.log(2))
    assert torch.tensor([-1000.0, -1000.0]).logsumexp(0).item() == pytest.approx(
        -1000 + math.log(2)
    )
    assert torch.tensor([-inf, -inf]).logsumexp(0).item() == -inf
    assert torch.tensor([inf, 1.0]).logsumexp(0).item() == inf
    assert torch.zeros(0, 3).logsumexp(0).tolist() == [-inf] * 3


def test_var_and_std_degenerate_cases():
    with pytest.warns(UserWarning, match=r"var\(\): degrees of freedom is <= 0"):
        assert math.isnan(torch.tensor([1.0]).var().item())
    with pytest.warns(UserWarning, match=r"std\(\): degrees of freedom is <= 0"):
        assert torch.tensor([1.0, 2.0]).std(correction=3).item() == inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert torch.tensor([1.0, 2.0]).var(correction=0).item() == 0.25
        assert torch.tensor([1.0, 2.0]).var(correction=0.5).item() == pytest.approx(1 / 3)
        assert torch.tensor([[1.0, 2.0], [3.0, 4.0]]).var(0, False).tolist() == [1.0, 1.0]
        assert torch.tensor(2.0).var(0, correction=0).item() == 0.0
        assert math.isnan(torch.zeros(0, 3).mean(0)[0].item())


# ----- dtypes --------------------------------------------------------------------------------

INTS = torch.tensor([[1, 2], [3, 4]])
BOOLS = torch.tensor([True, False, True])


@pytest.mark.parametrize(
    "fn,dtype,value",
    [
        (lambda: INTS.sum(), torch.int64, 10),
        (lambda: INTS.int().sum(), torch.int64, 10),
        (lambda: INTS.int().prod(), torch.int64, 24),
        (lambda: INTS.prod(), torch.int64, 24),
        (lambda: INTS.int().cumsum(0), torch.int64, [[1, 2], [4, 6]]),
        (lambda: INTS.int().amax(), torch.int32, 4),
        (lambda: INTS.max(), torch.int64, 4),
        (lambda: INTS.min(1).values, torch.int64, [1, 3]),
        (lambda: INTS.argmax(), torch.int64, 3),
        (lambda: INTS.logsumexp(0), torch.float32, [3.126928, 4.126928]),
        (lambda: INTS.mean(dtype=torch.float32), torch.float32, 2.5),
        (lambda: INTS.sum(dtype=torch.float32), torch.float32, 10.0),
        (lambda: INTS.prod(dtype=torch.float64), torch.float64, 24.0),
        (lambda: INTS.cumsum(0, dtype=torch.float32), torch.float32, [[1, 2], [4, 6]]),
        (lambda: BOOLS.sum(), torch.int64, 2),
        (lambda: BOOLS.prod(), torch.int64, 0),
        (lambda: BOOLS.cumsum(0), torch.int64, [1, 1, 2]),
        (lambda: BOOLS.max(), torch.bool, True),
        (lambda: BOOLS.amax(), torch.bool, True),
        (lambda: torch.tensor([1.5, 2.0]).sum(dtype=torch.int64), torch.int64, 3),
        (lambda: torch.ones(2, 3).sum(dtype=torch.float64), torch.float64, 6.0),
        (lambda: torch.ones(2, 3).norm(dtype=torch.float64), torch.float64, math.sqrt(6)),
        (lambda: torch.ones(2, 3, dtype=torch.float16).mean(0), torch.float16, [1.0] * 3),
        (lambda: torch.ones(2, 3, dtype=torch.float16).var(1), torch.float16, [0.0] * 2),
    ],
)
def test_dtypes(fn, dtype, value):
    r = fn()
    assert r.dtype is dtype
    np.testing.assert_allclose(r.tolist(), value, rtol=1e-6)


def test_integer_and_cast_reductions_have_no_or_cast_gradients():
    x = torch.ones(2, 3, requires_grad=True)
    y = x.sum(dtype=torch.float64)
    assert y.dtype is torch.float64 and y.grad_fn.name() == "SumBackward0"
    y.backward()
    assert x.grad.dtype is torch.float32 and x.grad.tolist() == [[1.0] * 3] * 2
    assert not x.argmax().requires_grad
    values, indices = x.max(1)
    assert values.requires_grad and not indices.requires_grad


# ----- names, return types, sum_to -----------------------------------------------------------


@pytest.mark.parametrize(
    "fn,name",
    [
        (lambda x: x.sum(), "SumBackward0"),
        (lambda x: x.sum(0), "SumBackward1"),
        (lambda x: x.sum((0, 1)), "SumBackward1"),
        (lambda x: x.mean(), "MeanBackward0"),
        (lambda x: x.mean(1), "MeanBackward1"),
        (lambda x: x.prod(), "ProdBackward0"),
        (lambda x: x.prod(1), "ProdBackward1"),
        (lambda x: x.max(), "MaxBackward1"),
        (lambda x: x.max(1)[0], "MaxBackward0"),
        (lambda x: x.min(), "MinBackward1"),
        (lambda x: x.min(1)[0], "MinBackward0"),
        (lambda x: x.amax(1), "AmaxBackward0"),
        (lambda x: x.amin(), "AminBackward0"),
        (lambda x: x.var(), "VarBackward0"),
        (lambda x: x.std(1), "StdBackward0"),
        (lambda x: x.norm(), "LinalgVectorNormBackward0"),
        (lambda x: x.norm(p=1, dim=0), "LinalgVectorNormBackward0"),
        (lambda x: x.logsumexp(1), "LogsumexpBackward0"),
        (lambda x: x.cumsum(1), "CumsumBackward0"),
    ],
)
def test_grad_fn_names(fn, name):
    (x,) = make_inputs((3, 4))
    assert fn(x).grad_fn.name() == name


def test_max_min_return_types():
    x = torch.tensor(TIES)
    r = torch.max(x, 1)
    values, indices = r
    assert isinstance(r, tuple) and len(r) == 2
    assert r.values is values and r.indices is indices and r[0] is values
    assert values.tolist() == [3.0, 2.0] and indices.dtype is torch.int64
    assert repr(r) == ("torch.return_types.max(\nvalues=tensor([3., 2.]),\nindices=tensor([1, 0]))")
    assert repr(x.min(dim=1, keepdim=True)).startswith("torch.return_types.min(\nvalues=")
    assert x.min(1, True).values.shape == torch.Size([2, 1])
    s = torch.tensor(2.0).max(0)
    assert s.values.item() == 2.0 and s.indices.item() == 0 and s.values.shape == torch.Size([])


def test_max_and_min_with_a_tensor_are_elementwise():
    a = torch.tensor([[1.0, 5.0, -2.0]])
    b = torch.tensor([0.0, 6.0, -3.0])
    assert torch.max(a, b).tolist() == [[1.0, 6.0, -2.0]]
    assert a.min(b).tolist() == [[0.0, 5.0, -3.0]]


def test_sum_to():
    x = torch.ones(2, 3)
    assert torch.sum_to(x, (2, 3)) is x
    assert torch.sum_to(x, (3,)).tolist() == [2.0] * 3
    assert torch.sum_to(x, (2, 1)).tolist() == [[3.0], [3.0]]
    assert x.sum_to_size(1, 3).tolist() == [[2.0] * 3]
    (y,) = make_inputs((4, 2, 3))
    check_grads(lambda t: torch.sum_to(t, (2, 1)), y)


# ----- errors --------------------------------------------------------------------------------

A = torch.ones(2, 3)
EMPTY = torch.zeros(0, 3)


@pytest.mark.parametrize(
    "fn,exc,message",
    [
        (
            lambda: A.max(2),
            IndexError,
            r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)",
        ),
        (lambda: A.argmax(5), IndexError, r"Dimension out of range"),
        (lambda: A.sum(3), IndexError, r"Dimension out of range"),
        (lambda: A.cumsum(2), IndexError, r"Dimension out of range"),
        (
            lambda: torch.tensor(2.0).cumsum(1),
            IndexError,
            r"expected to be in range of \[-1, 0\], but got 1",
        ),
        (
            lambda: EMPTY.max(),
            RuntimeError,
            r"^max\(\): Expected reduction dim to be specified for input.numel\(\) == 0. Specify the "
            r"reduction dim with the 'dim' argument.$",
        ),
        (lambda: EMPTY.amin(), RuntimeError, r"^amin\(\): Expected reduction dim to be specified"),
        (
            lambda: EMPTY.max(0),
            IndexError,
            r"^max\(\): Expected reduction dim 0 to have non-zero "
            r"size.$",
        ),
        (
            lambda: EMPTY.amax(0),
            IndexError,
            r"^amax\(\): Expected reduction dim 0 to have non-zero",
        ),
        (
            lambda: EMPTY.argmax(),
            IndexError,
            r"^argmax\(\): Expected reduction dim to be specified for input.numel\(\) == 0.$",
        ),
        (lambda: BOOLS.argmax(), RuntimeError, r"^argmax\(\): does not support bool input$"),
        (
            lambda: A.sum((0, 0)),
            RuntimeError,
            r"^dim 0 appears multiple times in the list of dims$",
        ),
        (lambda: A.var((1, -1)), RuntimeError, r"dim 1 appears multiple times"),
        (lambda: A.prod((0, 1)), TypeError, r"prod"),
        (lambda: A.max((0, 1)), TypeError, r"max"),
        (lambda: A.var(0, unbiased=False, correction=1), TypeError, r"var"),
        (
            lambda: INTS.mean(),
            RuntimeError,
            r"^mean\(\): could not infer output dtype. Input dtype must be either a floating point or "
            r"complex dtype. Got: Long$",
        ),
        (
            lambda: INTS.var(),
            RuntimeError,
            r"^std and var only support floating point and complex "
            r"dtypes$",
        ),
        (lambda: INTS.std(), RuntimeError, r"^std and var only support floating point"),
        (
            lambda: INTS.norm(),
            RuntimeError,
            r"^linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long$",
        ),
        (lambda: A.norm(p="abc"), RuntimeError, r"^linalg.matrix_norm: Order abc not supported.$"),
        (
            lambda: torch.ones(1, 1, 2).norm("fro", (0, 1, 2)),
            RuntimeError,
            r"^linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2$",
        ),
        (lambda: A.norm(p="nuc"), NotImplementedError, r"nuclear norm"),
        (lambda: A.logsumexp(), TypeError, r"dim"),
    ],
)
def test_errors(fn, exc, message):
    with pytest.raises(exc, match=message):
        fn()


def test_empty_and_zero_dim_inputs():
    assert torch.zeros(0).sum().item() == 0.0 and torch.zeros(0).prod().item() == 1.0
    assert EMPTY.sum(0).tolist() == [0.0] * 3 and EMPTY.prod(1).shape == torch.Size([0])
    assert EMPTY.max(1).values.shape == torch.Size([0]) and EMPTY.argmin(1).shape == (0,)
    assert EMPTY.norm().item() == 0.0
    s = torch.tensor(2.0)
    for r in (
        s.sum(0),
        s.mean(0),
        s.prod(0),
        s.amax(0),
        s.logsumexp(0),
        s.norm(dim=0),
        s.cumsum(0),
    ):
        assert r.shape == torch.Size([]) and r.item() == 2.0
    assert s.argmax(0).item() == 0 and s.argmax(0, True).shape == torch.Size([])
    assert A.argmax(keepdim=True).shape == torch.Size([1, 1])


# ----- CUDA ----------------------------------------------------------------------------------

GPU_CASES = [c for c in GRAD_CASES if c[2]] + [
    ("prod-zeros", lambda x: (x * (x > 0)).prod(1), (3, 4), {}),
    ("max-ties", lambda x: x.clamp(max=0.5).amax(0), (3, 4), {}),
    ("norm-zero", lambda x: (x * 0).norm(dim=1), (3, 4), {}),
    ("std-zero", lambda x: (x * 0).std(1), (3, 4), {}),
    ("argmax", lambda x: x * x.argmax(1, keepdim=True), (3, 4), {}),
]


@pytest.mark.gpu
@pytest.mark.parametrize("fn,shape,opts", [c[1:] for c in GPU_CASES], ids=[c[0] for c in GPU_CASES])
def test_gpu_matches_cpu(fn, shape, opts):
    (x,) = make_inputs(shape, **opts)
    xc = x.detach().cuda().requires_grad_()
    y, yc = fn(x), fn(xc)
    assert yc.device.type == "cuda" and yc.dtype is y.dtype and yc.shape == y.shape
    np.testing.assert_allclose(yc.detach().cpu().numpy(), y.detach().numpy(), rtol=1e-10)
    y.sum().backward()
    yc.sum().backward()
    assert xc.grad.device.type == "cuda"
    np.testing.assert_allclose(xc.grad.cpu().numpy(), x.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.gpu
def test_gpu_integer_and_index_results():
    t = torch.tensor([[1, 5, 5], [7, 2, 0]], device="cuda")
    assert t.sum().item() == 20 and t.sum().dtype is torch.int64 and t.prod(1).tolist() == [25, 0]
    r = t.max(1)
    assert r.values.tolist() == [5, 7] and r.indices.tolist() == [1, 0]
    assert r.indices.device.type == "cuda" and t.argmin().item() == 5
    assert t.cumsum(1).tolist() == [[1, 6, 11], [7, 9, 9]]
    assert torch.tensor([-inf, -inf], device="cuda").logsumexp(0).item() == -inf
