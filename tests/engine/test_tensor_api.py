"""Tensor basics: attributes, conversions, creation functions, Size, Python protocols.

Values, dtypes and messages were read off the reference PyTorch.
"""

import re

import numpy as np
import pytest

import workbench.engine as torch


def raises(exc, msg):
    return pytest.raises(exc, match="^" + re.escape(msg) + "$")


@pytest.fixture
def t():
    return torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


# ----- attributes and conversions --------------------------------------------------------------


def test_shape_and_friends(t):
    assert t.shape == (2, 3) and t.size() == (2, 3) and isinstance(t.shape, torch.Size)
    assert t.size(1) == 3 and t.size(-1) == 3
    assert t.dim() == t.ndim == 2 and t.numel() == 6
    assert t.dtype is torch.float32 and t.device == torch.device("cpu")
    assert str(t.device) == "cpu" and t.device.type == "cpu" and not t.is_cuda
    assert t.T.shape == (3, 2) and t.T.tolist() == [[1, 4], [2, 5], [3, 6]]
    assert t.element_size() == 4 and t.is_floating_point()
    assert not torch.tensor([1]).is_floating_point()
    with raises(
        IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"
    ):
        t.size(2)


def test_item_and_tolist(t):
    v = t[0, 0].item()
    assert v == 1.0 and type(v) is float
    assert type(torch.tensor(3).item()) is int and torch.tensor(True).item() is True
    assert torch.tensor([2.5]).item() == 2.5
    with raises(RuntimeError, "a Tensor with 6 elements cannot be converted to Scalar"):
        t.item()
    assert t.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert torch.tensor(2.5).tolist() == 2.5 and torch.tensor([1, 2]).tolist() == [1, 2]


def test_clone_contiguous_to_cpu(t):
    c = t.clone()
    assert c is not t and c.tolist() == t.tolist()
    c.add_(1)
    assert t[0, 0].item() == 1  # a copy
    assert t.contiguous() is t and t.is_contiguous()
    assert t.to("cpu") is t and t.to(torch.float32) is t and t.cpu() is t
    assert t.to(torch.float32, copy=True) is not t
    assert t.to(torch.float64).dtype is torch.float64
    assert t.to(dtype=torch.int64).dtype is torch.int64
    assert t.to(torch.tensor([1], dtype=torch.int32)).dtype is torch.int32


@pytest.mark.parametrize(
    "method, dtype",
    [
        ("float", "float32"),
        ("double", "float64"),
        ("long", "int64"),
        ("int", "int32"),
        ("bool", "bool"),
        ("half", "float16"),
    ],
)
def test_dtype_conversions(t, method, dtype):
    r = getattr(t, method)()
    assert r.dtype is getattr(torch, dtype) and r.shape == t.shape
    assert (r is t) == (dtype == "float32")


def test_conversion_keeps_the_graph():
    x = torch.ones(2, requires_grad=True)
    y = x.double()
    assert y.requires_grad and y.grad_fn is not None
    y.sum().backward()
    assert x.grad.dtype is torch.float32 and x.grad.tolist() == [1, 1]


# ----- creation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, dtype",
    [
        ([1, 2], "int64"),
        ([True], "bool"),
        ([1, 2.0], "float32"),
        (1, "int64"),
        (1.0, "float32"),
        ([], "float32"),
        ([[1, 2], [3, 4]], "int64"),
        ([True, 2], "int64"),
        (np.array([1.0]), "float64"),
        (np.array([1], dtype=np.int32), "int32"),
    ],
)
def test_tensor_infers_dtype(data, dtype):
    assert torch.tensor(data).dtype is getattr(torch, dtype)


def test_default_dtype():
    assert torch.get_default_dtype() is torch.float32
    assert torch.tensor([]).shape == (0,)
    assert torch.zeros(2).dtype is torch.float32 and torch.Tensor([1, 2]).dtype is torch.float32


def test_tensor_copies_and_as_tensor_and_from_numpy_share():
    a = np.array([1.0, 2.0, 3.0])
    copied, shared, aliased = torch.tensor(a), torch.as_tensor(a), torch.from_numpy(a)
    a[0] = 100
    assert copied[0].item() == 1 and shared[0].item() == 100 and aliased[0].item() == 100
    aliased.add_(1)
    assert a.tolist() == [101, 3, 4]
    assert torch.from_numpy(np.zeros(2, dtype=np.float32)).dtype is torch.float32
    x = torch.ones(2)
    assert torch.as_tensor(x) is x


@pytest.mark.parametrize(
    "data, msg",
    [
        ([[1, 2], [3]], "expected sequence of length 2 at dim 1 (got 1)"),
        ([[1, 2], [3, 4, 5]], "expected sequence of length 2 at dim 1 (got 3)"),
        ([[[1], [2]], [[3], [4, 5]]], "expected sequence of length 1 at dim 2 (got 2)"),
    ],
)
def test_tensor_of_ragged_lists(data, msg):
    with raises(ValueError, msg):
        torch.tensor(data)


def test_requires_grad_on_creation():
    assert torch.tensor([1.0], requires_grad=True).requires_grad
    assert torch.zeros(2, requires_grad=True).is_leaf
    msg = "Only Tensors of floating point and complex dtype can require gradients"
    for make in (
        lambda: torch.tensor([1, 2], requires_grad=True),
        lambda: torch.zeros(2, dtype=torch.int64, requires_grad=True),
        lambda: torch.arange(3, requires_grad=True),
        lambda: torch.full((2,), 1, requires_grad=True),
    ):
        with raises(RuntimeError, msg):
            make()


def test_filled_factories():
    assert torch.zeros(2, 3).shape == torch.zeros((2, 3)).shape == torch.zeros([2, 3]).shape
    assert torch.zeros(()).shape == () and torch.zeros(2, dtype=torch.int64).tolist() == [0, 0]
    assert torch.ones(2, 2).tolist() == [[1, 1], [1, 1]]
    assert torch.empty(2, 3).shape == (2, 3) and torch.empty(2).dtype is torch.float32
    assert torch.full((2,), 3.0).dtype is torch.float32
    assert torch.full((2,), 3).dtype is torch.int64
    assert torch.full((2,), True).dtype is torch.bool
    assert torch.full([2], 1.5, dtype=torch.float64).tolist() == [1.5, 1.5]
    assert torch.eye(2).tolist() == [[1, 0], [0, 1]]
    assert torch.eye(2, 3).tolist() == [[1, 0, 0], [0, 1, 0]]


@pytest.mark.parametrize(
    "call, msg",
    [
        (lambda: torch.zeros(-1), "zeros: Dimension size must be non-negative."),
        (lambda: torch.zeros(2, -3), "zeros: Dimension size must be non-negative."),
        (lambda: torch.ones(-1), "Trying to create tensor with negative dimension -1: [-1]"),
        (lambda: torch.randn(2, -1), "Trying to create tensor with negative dimension -1: [2, -1]"),
    ],
)
def test_negative_sizes(call, msg):
    with raises(RuntimeError, msg):
        call()


def test_arange_and_linspace():
    assert torch.arange(5).tolist() == [0, 1, 2, 3, 4] and torch.arange(5).dtype is torch.int64
    assert torch.arange(1, 4).tolist() == [1, 2, 3]
    assert torch.arange(0, 1, 0.25).tolist() == [0, 0.25, 0.5, 0.75]
    assert torch.arange(0.0, 3).dtype is torch.float32
    assert torch.arange(0, 1, 0.1).shape == (10,)
    assert torch.arange(1, 2.5, 0.5).tolist() == [1.0, 1.5, 2.0]
    assert torch.linspace(0, 1, 5).tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert torch.linspace(0, 1, steps=3).dtype is torch.float32
    assert torch.linspace(-1, 1, 1).tolist() == [-1]


def test_random_factories_and_seeds():
    torch.manual_seed(0)
    a = (torch.rand(3), torch.randn(2, 2), torch.randint(0, 10, (4,)))
    torch.manual_seed(0)
    b = (torch.rand(3), torch.randn(2, 2), torch.randint(0, 10, (4,)))
    for x, y in zip(a, b):
        assert x.tolist() == y.tolist()
    r, n, i = a
    assert (
        r.dtype is torch.float32 and r.shape == (3,) and ((r.numpy() >= 0) & (r.numpy() < 1)).all()
    )
    assert n.dtype is torch.float32 and i.dtype is torch.int64
    assert ((i.numpy() >= 0) & (i.numpy() < 10)).all()
    assert torch.randint(5, (2, 2)).shape == (2, 2)


def test_like_factories(t):
    assert torch.zeros_like(t).tolist() == [[0] * 3] * 2
    for fn in (torch.ones_like, torch.empty_like, torch.rand_like, torch.randn_like):
        r = fn(t)
        assert r.shape == t.shape and r.dtype is t.dtype
    assert torch.full_like(t, 7).tolist() == [[7] * 3] * 2
    assert torch.zeros_like(torch.tensor([1, 2])).dtype is torch.int64
    assert torch.zeros_like(t, requires_grad=True).requires_grad
    assert t.new_zeros(2).tolist() == [0, 0] and t.new_ones((1, 2)).shape == (1, 2)
    assert t.new_full((2,), 3.0).tolist() == [3, 3] and t.new_empty(2).shape == (2,)
    assert t.new_tensor([1, 2]).dtype is torch.float32


# ----- Size -------------------------------------------------------------------------------------


def test_size():
    s = torch.Size([2, 3])
    assert repr(s) == str(s) == "torch.Size([2, 3])" and repr(torch.Size([])) == "torch.Size([])"
    assert s == (2, 3) and isinstance(s, tuple) and s[1] == 3 and s.numel() == 6
    for r, expected in [
        (s[:1], [2]),
        (s[::-1], [3, 2]),
        (s + (1,), [2, 3, 1]),
        ((1,) + s, [1, 2, 3]),
        (s * 2, [2, 3, 2, 3]),
    ]:
        assert type(r) is torch.Size and list(r) == expected


# ----- Python protocols -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, msg",
    [
        ([1.0, 2.0], "Boolean value of Tensor with more than one value is ambiguous"),
        ([], "Boolean value of Tensor with no values is ambiguous"),
    ],
)
def test_bool_is_ambiguous(data, msg):
    with raises(RuntimeError, msg):
        bool(torch.tensor(data))


def test_bool_float_int_of_one_element():
    assert bool(torch.tensor([0.0])) is False and bool(torch.tensor(1)) is True
    assert float(torch.tensor([2.5])) == 2.5 and int(torch.tensor(3.7)) == 3
    assert float(torch.tensor(2)) == 2.0
    for fn in (float, int):
        with raises(ValueError, "only one element tensors can be converted to Python scalars"):
            fn(torch.ones(2))
    assert [10, 20, 30][torch.tensor(1)] == 20
    with raises(TypeError, "only integer tensors of a single element can be converted to an index"):
        [1][torch.tensor(0.0)]
    assert f"{torch.tensor(2.5):.2f}" == "2.50"


def test_len_and_iteration(t):
    assert len(t) == 2 and len(torch.zeros(0)) == 0
    rows = list(t)
    assert len(rows) == 2 and rows[1].tolist() == [4, 5, 6]
    with raises(TypeError, "len() of a 0-d tensor"):
        len(torch.tensor(1.0))
    with raises(TypeError, "iteration over a 0-d tensor"):
        iter(torch.tensor(1.0))


def test_contains(t):
    assert 2.0 in t and 10 not in t and torch.tensor(5.0) in t
    with raises(
        RuntimeError,
        "Tensor.__contains__ only supports Tensor or scalar, but you passed in a <class 'str'>.",
    ):
        "a" in t  # noqa: B015


def test_equality_with_none_and_hashing(t):
    assert (t == None) is False and (t != None) is True  # noqa: E711
    assert hash(t) == hash(t)  # by identity, so tensors can key dicts and sets
    assert len({t, t.clone()}) == 2 and {t: 1}[t] == 1


def test_numpy_shares_memory(t):
    n = t.numpy()
    assert isinstance(n, np.ndarray) and n.dtype == np.float32
    n[0, 0] = 42
    assert t[0, 0].item() == 42


def test_is_tensor_and_numel(t):
    assert torch.is_tensor(t) and not torch.is_tensor(1) and torch.numel(t) == 6
