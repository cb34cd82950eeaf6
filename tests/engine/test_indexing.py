"""Indexing: `t[...]`, `t[...] = v`, gather/scatter, index_select, masked ops, take, nonzero.
Gradients to second order, values against NumPy, grad_fn names and errors as PyTorch has them."""

import re

import numpy as np
import pytest

import workbench.engine as torch
from tests.engine.helpers import check_grads, make_inputs

M = torch.tensor([[True, False, True], [False, False, True]])
IDX = torch.tensor([[0, 2], [1, 1]])


def _set(index, value_from_input=True):
    """fn(x, v): a copy of x with x[index] = v (v a tensor input) or = 2.5."""

    def fn(x, v=None):
        y = x.clone()
        y[index] = v if value_from_input else 2.5
        return y

    return fn


def _inplace(method, *args):
    def fn(x, *extra):
        y = x * 1
        getattr(y, method)(*args, *extra)
        return y

    return fn


# (id, fn, input shapes)
GRAD_CASES = [
    ("int", lambda x: x[1], [(3, 4)]),
    ("neg-int", lambda x: x[-1, -2], [(3, 4)]),
    ("slice", lambda x: x[1:3], [(4, 2)]),
    ("slice-step", lambda x: x[::2, 1::2], [(5, 4)]),
    ("none", lambda x: x[None, :, None], [(3,)]),
    ("ellipsis", lambda x: x[..., 1], [(2, 3, 2)]),
    ("int-slice-none", lambda x: x[1:2, None, 0], [(3, 2, 2)]),
    ("0d-result", lambda x: x[1, 2], [(2, 3)]),
    ("list", lambda x: x[[0, 2]], [(3, 2)]),
    ("repeated", lambda x: x[[0, 0, 1, 0]], [(3, 2)]),
    ("negative-list", lambda x: x[[-1, 0]], [(3, 2)]),
    ("tensor-2d", lambda x: x[IDX], [(3, 2)]),
    ("two-arrays", lambda x: x[[0, 1, 1], [2, 0, 2]], [(2, 3)]),
    ("array-slice", lambda x: x[1:, [0, 0]], [(3, 2)]),
    ("slice-array", lambda x: x[:, [2, 0, 2]], [(2, 3)]),
    ("int-and-array", lambda x: x[0, :, [1, 1]], [(2, 3, 2)]),
    ("none-and-array", lambda x: x[None, [1, 0]], [(2, 3)]),
    ("mask", lambda x: x[M], [(2, 3)]),
    ("mask-rows", lambda x: x[torch.tensor([True, False, True])], [(3, 2)]),
    ("mask-compare", lambda x: x[x > 0], [(2, 3)]),
    ("mask-and-int", lambda x: x[1, M[0]], [(2, 3)]),
    ("bool-list", lambda x: x[[True, False, True]], [(3,)]),
    ("index-0d-tensor", lambda x: x[torch.tensor(1)], [(3, 2)]),
    ("gather", lambda x: x.gather(1, torch.tensor([[0, 0], [2, 1]])), [(2, 3)]),
    ("gather-dim0", lambda x: torch.gather(x, 0, torch.tensor([[1, 0, 1]])), [(2, 3)]),
    ("index_select", lambda x: x.index_select(1, torch.tensor([2, 0, 2])), [(2, 3)]),
    ("take", lambda x: x.take(torch.tensor([[0, 5], [5, -1]])), [(2, 3)]),
    ("masked_select", lambda x: x.masked_select(M), [(2, 3)]),
    ("masked_select-broadcast", lambda x: x.masked_select(M), [(3,)]),
    ("masked_fill", lambda x: x.masked_fill(M, 1.5), [(2, 3)]),
    ("masked_fill-tensor", lambda x, v: x.masked_fill(M, v), [(2, 3), ()]),
    ("masked_fill-broadcast", lambda x: x.masked_fill(M[0], -1.0), [(2, 3)]),
    ("scatter", lambda x, s: x.scatter(1, torch.tensor([[2], [0]]), s), [(2, 3), (2, 1)]),
    ("scatter-bigger-src", lambda x, s: x.scatter(0, torch.tensor([[1, 0]]), s), [(2, 2), (2, 3)]),
    ("scatter-value", lambda x: x.scatter(1, torch.tensor([[2], [0]]), 4.0), [(2, 3)]),
    (
        "scatter_add",
        lambda x, s: x.scatter_add(0, torch.tensor([[1, 1, 0], [1, 0, 0]]), s),
        [(2, 3), (2, 3)],
    ),
    ("setitem-int", _set(1), [(3, 2), (2,)]),
    ("setitem-broadcast", _set((slice(None), 1)), [(3, 2), ()]),
    ("setitem-slice", _set(slice(0, 2)), [(3, 2), (2, 2)]),
    ("setitem-leading-ones", _set(0), [(3, 2), (1, 1, 2)]),
    ("setitem-scalar", _set((0, 1), False), [(2, 3)]),
    ("setitem-list", _set([2, 0]), [(3, 2), (2, 2)]),
    ("setitem-list-broadcast", _set([2, 0]), [(3, 2), (2,)]),
    ("setitem-mask", _set(M), [(2, 3), (3,)]),
    ("setitem-mask-scalar-tensor", _set(M), [(2, 3), ()]),
    ("setitem-int-and-array", _set((1, [0, 2])), [(2, 3), (2,)]),
    ("setitem-ellipsis", _set(...), [(2, 3), (3,)]),
    ("masked_fill_", _inplace("masked_fill_", M, 3.0), [(2, 3)]),
    ("masked_fill_-tensor", lambda x, v: (x * 1).masked_fill_(M, v), [(2, 3), ()]),
    ("scatter_", lambda x, s: (x * 1).scatter_(0, torch.tensor([[1, 0, 1]]), s), [(2, 3), (1, 3)]),
    (
        "scatter_add_",
        lambda x, s: (x * 1).scatter_add_(1, torch.tensor([[0, 0]]), s),
        [(2, 3), (1, 2)],
    ),
]


@pytest.mark.parametrize("fn,shapes", [c[1:] for c in GRAD_CASES], ids=[c[0] for c in GRAD_CASES])
def test_gradients(fn, shapes):
    check_grads(fn, *make_inputs(*shapes))


A = np.arange(24.0).reshape(2, 3, 4)
MA = (np.arange(24).reshape(2, 3, 4) % 3) == 0

# (id, index) where PyTorch and NumPy agree
VALUE_INDEXES = [
    ("int", 1),
    ("neg", -1),
    ("slice", slice(1, None)),
    ("step", (slice(None), slice(None, None, 2))),
    ("none", (None, 1)),
    ("ellipsis", (..., 2)),
    ("ellipsis-none", (..., None)),
    ("list", [1, 0, 1]),
    ("pair", ([0, 1], [2, 0])),
    ("triple", ([0, 1], [2, 0], [3, 3])),
    ("slice-list", (slice(None), [2, 2])),
    ("list-slice-list", ([0, 1], slice(None), [1, 3])),
    ("broadcast", ([[0], [1]], [0, 2])),
    ("mask", MA),
    ("mask-2d", MA[:, :, 0]),
    ("mask-last", (..., MA[0, 0])),
    ("empty-list", []),
]


@pytest.mark.parametrize("index", [c[1] for c in VALUE_INDEXES], ids=[c[0] for c in VALUE_INDEXES])
def test_getitem_values_match_numpy(index):
    out = torch.tensor(A)[index]
    expected = A[index]
    assert tuple(out.shape) == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize(
    "index,shape",
    [
        ((0, slice(None), [1, 2]), (3, 2)),  # NumPy would give (2, 3): PyTorch selects first
        ((slice(None), 0, [1, 2]), (2, 2)),
        (([0, 1], 0), (2, 4)),
        (([0, 1], 0, [1, 2]), (2,)),
        (([0, 1], slice(1, None), [1, 2]), (2, 2)),
        ((None, 0, [1, 2]), (1, 2, 4)),
        (([0, 1], None, [1, 2]), (2, 1, 4)),
    ],
)
def test_ints_with_advanced_indexes_select_first_as_in_pytorch(index, shape):
    t = torch.tensor(A)
    out = t[index]
    assert tuple(out.shape) == shape
    # same as selecting with the ints first, then indexing the rest
    ints = tuple(i if isinstance(i, int) else slice(None) for i in index if i is not None)
    rest = tuple(slice(None) if i is None else i for i in index if not isinstance(i, int))
    if None not in index:
        np.testing.assert_array_equal(out.numpy(), A[ints][rest])


def test_repeated_indices_accumulate_gradients():
    x = torch.zeros(4, requires_grad=True)
    x[[0, 0, 1]].sum().backward()
    assert x.grad.tolist() == [2, 1, 0, 0]
    y = torch.zeros(3, 2, requires_grad=True)
    (y[torch.tensor([[2, 2], [2, 0]])] * 2).sum().backward()
    assert y.grad.tolist() == [[2, 2], [0, 0], [6, 6]]


@pytest.mark.parametrize(
    "fn,grad",
    [
        (lambda x: x.index_select(0, torch.tensor([1, 1, 1])), [0, 3, 0]),
        (lambda x: x.gather(0, torch.tensor([2, 2, 0])), [1, 0, 2]),
        (lambda x: x.take(torch.tensor([0, -3, 2])), [2, 0, 1]),
        (lambda x: x[torch.tensor([True, False, True])], [1, 0, 1]),
        (lambda x: x.masked_fill(torch.tensor([True, False, False]), 0.0), [0, 1, 1]),
    ],
)
def test_gradient_values(fn, grad):
    x = torch.zeros(3, requires_grad=True)
    fn(x).sum().backward()
    assert x.grad.tolist() == grad


def test_mask_indexing_values_and_gradient():
    x = torch.tensor([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]], requires_grad=True)
    pos = x[x > 0]
    assert pos.tolist() == [1, 3, 5]
    (pos * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [[1, 0, 2], [0, 3, 0]]


X = torch.zeros(3, 4, 5, requires_grad=True)
MX = torch.zeros(3, 4, 5) > 0

NAME_CASES = [
    (lambda: X[0], "SelectBackward0"),
    (lambda: X[-1], "SelectBackward0"),
    (lambda: X[torch.tensor(1)], "SelectBackward0"),
    (lambda: X[:, 0], "SelectBackward0"),
    (lambda: X[..., 0], "SelectBackward0"),
    (lambda: X[0, 1], "SelectBackward0"),
    (lambda: X[1:2, None, 0], "SelectBackward0"),
    (lambda: X[1:3], "SliceBackward0"),
    (lambda: X[::2], "SliceBackward0"),
    (lambda: X[:], "SliceBackward0"),
    (lambda: X[0, 1:3], "SliceBackward0"),
    (lambda: X[..., 1:], "SliceBackward0"),
    (lambda: X[None], "UnsqueezeBackward0"),
    (lambda: X[:, None], "UnsqueezeBackward0"),
    (lambda: X[0, None], "UnsqueezeBackward0"),
    (lambda: X[...], "AliasBackward0"),
    (lambda: X[:, :], "AliasBackward0"),
    (lambda: X[[0, 1]], "IndexBackward0"),
    (lambda: X[torch.tensor([1])], "IndexBackward0"),
    (lambda: X[MX], "IndexBackward0"),
    (lambda: X[0, [0, 1]], "IndexBackward0"),
    (lambda: X[:, [0, 1]], "IndexBackward0"),
    (lambda: X[True], "IndexBackward0"),
    (lambda: X.gather(0, torch.zeros(1, 4, 5, dtype=torch.int64)), "GatherBackward0"),
    (lambda: X.index_select(1, torch.tensor([0, 0])), "IndexSelectBackward0"),
    (lambda: X.take(torch.tensor([0, 5])), "TakeBackward0"),
    (lambda: X.masked_select(MX), "MaskedSelectBackward0"),
    (lambda: X.masked_fill(MX, 0.0), "MaskedFillBackward0"),
    (lambda: X.masked_fill(MX, torch.tensor(1.0)), "MaskedFillBackward1"),
    (lambda: X.scatter(0, torch.zeros(1, 4, 5, dtype=torch.int64), X[:1]), "ScatterBackward0"),
    (lambda: X.scatter(0, torch.zeros(1, 4, 5, dtype=torch.int64), 1.0), "ScatterBackward1"),
    (
        lambda: X.scatter_add(0, torch.zeros(1, 4, 5, dtype=torch.int64), X[:1]),
        "ScatterAddBackward0",
    ),
]


@pytest.mark.parametrize("fn,name", NAME_CASES, ids=[n for _, n in NAME_CASES])
def test_grad_fn_names(fn, name):
    assert fn().grad_fn.name() == name


def _grad_of_grad_name(fn):
    x = torch.zeros(3, 4, requires_grad=True)
    out = fn(x)
    g = torch.ones(out.shape, requires_grad=True)
    (gx,) = torch.autograd.grad(out, x, g, create_graph=True)
    return gx.grad_fn.name()


@pytest.mark.parametrize(
    "fn,name",
    [
        (lambda x: x[0], "SelectBackwardBackward0"),
        (lambda x: x[1:], "SliceBackwardBackward0"),
        (lambda x: x[[0, 1]], "IndexPutImplBackward0"),
        (lambda x: x.gather(0, torch.tensor([[0, 1, 2, 0]])), "ScatterAddBackward0"),
        (lambda x: x.index_select(1, torch.tensor([0, 0])), "IndexAddBackward0"),
        (lambda x: x.take(torch.tensor([0, 5])), "PutBackward0"),
        (lambda x: x.masked_select(x > 0), "MaskedScatterBackward0"),
    ],
)
def test_backward_nodes_are_named_as_pytorch_names_them(fn, name):
    assert _grad_of_grad_name(fn) == name


# ----- views ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "index", [0, (slice(None), 1), (1, 2), (None, 0), (..., 1), (0, 0, 0), slice(0, 1)]
)
def test_basic_indexing_returns_views(index):
    t = torch.tensor(A)
    v = t[index]
    assert np.shares_memory(v.numpy(), t.numpy())
    assert v._base is t
    v.add_(100)  # even a 0-d result writes through
    assert (t.numpy() >= 100).any()


@pytest.mark.parametrize("index", [[0], (slice(None), [1, 1]), MA, (0, [1])])
def test_advanced_indexing_copies(index):
    t = torch.tensor(A)
    out = t[index]
    assert not np.shares_memory(out.numpy(), t.numpy())
    assert out._base is None


def test_writes_to_the_base_are_seen_by_a_saved_view():
    y = torch.zeros(2, 3, requires_grad=True).clone()
    row = y[0]
    out = (row * row).sum()
    y[1] = 1.0  # does not touch row's memory, but bumps the shared version counter
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


# ----- setitem ---------------------------------------------------------------------------------


def test_setitem_gradients_for_target_and_value():
    x = torch.ones(3, 4, requires_grad=True)
    v = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x * 2
    y[1] = v
    (y * torch.arange(12.0).reshape(3, 4)).sum().backward()
    assert x.grad.tolist() == [[0, 2, 4, 6], [0, 0, 0, 0], [16, 18, 20, 22]]
    assert v.grad.tolist() == [4, 5, 6, 7]


def test_setitem_with_repeated_indices_gives_each_value_slot_the_gradient():
    x = torch.zeros(4, requires_grad=True)
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y[[0, 0]] = w
    y.sum().backward()
    assert y.tolist()[1:] == [0, 0, 0] and y.tolist()[0] in (1, 2)
    assert w.grad.tolist() == [1, 1]  # as PyTorch's IndexPutBackward0 gives
    assert x.grad.tolist() == [0, 1, 1, 1]


@pytest.mark.parametrize(
    "stmt,name",
    [
        ("y[0] = 1.0", "torch::autograd::CopySlices"),
        ("y[0] = v", "torch::autograd::CopySlices"),
        ("y[:, 1:3] = v", "torch::autograd::CopySlices"),
        ("y[None, 0] = v", "torch::autograd::CopySlices"),
        ("y[0, [1, 2]] = v", "torch::autograd::CopySlices"),
        ("y[[0, 2]] = v", "IndexPutBackward0"),
        ("y[:, [0, 2]] = v[0]", "IndexPutBackward0"),
        ("y[y > 0] = 1.0", "IndexPutBackward0"),
        ("y[...] = v", "torch::autograd::CopyBackwards"),
        ("y[:] = v", "torch::autograd::CopyBackwards"),
        ("y[...] = 1.0", "FillBackward3"),
    ],
)
def test_setitem_node_names(stmt, name):
    y = torch.randn(3, 4, 5, requires_grad=True) * 1
    exec(stmt, {"y": y, "v": torch.randn(5, requires_grad=True)})
    assert y.grad_fn.name() == name
    assert repr(y.grad_fn).startswith("<" + name.rpartition("::")[2] + " object at")


def test_setitem_value_is_expanded_to_the_region_as_in_pytorch():
    y = torch.zeros(3, 2, 5)
    v = torch.ones(5, requires_grad=True)
    y[0] = v
    edges = [f.name() if f is not None else None for f, _ in y.grad_fn.next_functions]
    assert edges == [None, "ExpandBackward0"]


@pytest.mark.parametrize(
    "stmt,msg",
    [
        (
            "x[0] = 1.",
            "a view of a leaf Variable that requires grad is being used in an in-place operation.",
        ),
        (
            "x[0, [0, 1]] = 1.",
            "a view of a leaf Variable that requires grad is being used in an in-place operation.",
        ),
        (
            "x[[0]] = 1.",
            "a leaf Variable that requires grad is being used in an in-place operation.",
        ),
        (
            "x[x > 0] = 1.",
            "a leaf Variable that requires grad is being used in an in-place operation.",
        ),
        (
            "x[...] = 1.",
            "a leaf Variable that requires grad is being used in an in-place operation.",
        ),
        ("x[:] = 1.", "a leaf Variable that requires grad is being used in an in-place operation."),
    ],
)
def test_setitem_on_a_leaf_that_requires_grad_raises(stmt, msg):
    x = torch.zeros(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="^" + re.escape(msg) + "$"):
        exec(stmt, {"x": x})


def test_setitem_under_no_grad_writes_a_leaf():
    x = torch.zeros(2, 3, requires_grad=True)
    with torch.no_grad():
        x[0, 1] = 7.0
        x[[1, 1], [0, 2]] = torch.tensor([1.0, 2.0])
    assert x.tolist() == [[0, 7, 0], [1, 0, 2]]
    assert x.is_leaf and x.grad_fn is None and x._version == 2


def test_setitem_on_a_plain_tensor_with_a_value_that_requires_grad():
    y = torch.zeros(2, 3)
    v = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y[1] = v
    assert y.requires_grad and y.grad_fn.name() == "torch::autograd::CopySlices"
    (y * 2).sum().backward()
    assert v.grad.tolist() == [2, 2, 2]


def test_setitem_values_and_casts():
    t = torch.zeros(3, dtype=torch.int64)
    t[0] = 2.7  # truncated, as PyTorch does
    t[torch.tensor([1, 2])] = torch.tensor([5, 6])
    assert t.tolist() == [2, 5, 6]
    f = torch.zeros(2, 3)
    f[:, 0] = torch.tensor([1.0, 2.0], dtype=torch.float64)  # a basic write casts the value
    f[1] = [7, 8, 9]
    assert f.tolist() == [[1, 0, 0], [7, 8, 9]] and f.dtype is torch.float32
    assert f._version == 2


@pytest.mark.parametrize(
    "stmt,msg",
    [
        (
            "y[0] = torch.ones(2)",
            "The expanded size of the tensor (5) must match the existing size "
            "(2) at non-singleton dimension 1.  Target sizes: [4, 5].  Tensor "
            "sizes: [2]",
        ),
        (
            "y[0] = torch.ones(2, 4, 5)",
            "expand(torch.FloatTensor{[2, 4, 5]}, size=[4, 5]): the number "
            "of sizes provided (2) must be greater or equal to the number "
            "of dimensions in the tensor (3)",
        ),
        (
            "y[[0, 1]] = torch.ones(3, 4, 5)",
            "shape mismatch: value tensor of shape [3, 4, 5] cannot "
            "be broadcast to indexing result of shape [2, 4, 5]",
        ),
        (
            "y[[0, 1]] = torch.ones(5, dtype=torch.float64)",
            "Index put requires the source and destination dtypes match, got Float for the destination "
            "and Double for the source.",
        ),
        (
            "y[y > -1] = torch.ones(3)",
            "shape mismatch: value tensor of shape [3] cannot be broadcast "
            "to indexing result of shape [60]",
        ),
    ],
)
def test_setitem_errors(stmt, msg):
    with pytest.raises(RuntimeError, match="^" + re.escape(msg) + "$"):
        exec(stmt, {"torch": torch, "y": torch.zeros(3, 4, 5)})


def test_masked_fill_inplace_must_keep_the_shape():
    y = torch.zeros(4, 5)
    with pytest.raises(
        RuntimeError,
        match=re.escape("output with shape [4, 5] doesn't match the broadcast shape [3, 4, 5]"),
    ):
        y.masked_fill_(torch.zeros(3, 4, 5) > 0, 1.0)


# ----- gather / scatter / masked / take / nonzero values -------------------------------------


def test_gather_scatter_values():
    a = torch.arange(6.0).reshape(2, 3)
    assert a.gather(1, torch.tensor([[0], [2]])).tolist() == [[0], [5]]
    assert a.scatter(1, torch.tensor([[0], [2]]), 9.0).tolist() == [[9, 1, 2], [3, 4, 9]]
    z = torch.zeros(3, 3)
    assert z.scatter_add(0, torch.tensor([[0, 1, 2], [0, 0, 0]]), torch.ones(2, 3)).tolist() == [
        [2, 1, 1],
        [0, 1, 0],
        [0, 0, 1],
    ]
    assert z.scatter(0, torch.tensor([[0, 1, 2]]), torch.ones(2, 3)).tolist() == [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
    ]
    assert torch.tensor(2.0).gather(0, torch.tensor([0, 0])).tolist() == [2, 2]


def test_scatter_src_gradient_is_zero_where_src_was_not_read():
    s = torch.ones(2, 3, requires_grad=True)
    torch.zeros(3, 3).scatter(0, torch.tensor([[0, 1, 2]]), s).sum().backward()
    assert s.grad.tolist() == [[1, 1, 1], [0, 0, 0]]


def test_masked_and_take_values():
    a = torch.arange(12.0).reshape(3, 4)
    m = torch.tensor([True, False, True, False])
    assert a.masked_fill(m, -1.0)[0].tolist() == [-1, 1, -1, 3]
    assert a.masked_select(m).tolist() == [0, 2, 4, 6, 8, 10]
    assert a.take(torch.tensor([[0, -1]])).tolist() == [[0, 11]]
    ints = torch.zeros(3, dtype=torch.int64).masked_fill(torch.tensor([True, False, True]), 2.5)
    assert ints.tolist() == [2, 0, 2] and ints.dtype is torch.int64
    assert a.index_select(0, torch.tensor(2)).shape == (1, 4)


def test_nonzero():
    m = torch.tensor([[0.0, 1.0], [2.0, 0.0]], requires_grad=True)
    nz = m.nonzero()
    assert nz.tolist() == [[0, 1], [1, 0]] and nz.dtype is torch.int64
    assert not nz.requires_grad
    rows, cols = torch.nonzero(m, as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    assert torch.tensor(3.0).nonzero().shape == (1, 0)
    assert [t.tolist() for t in torch.nonzero(torch.tensor(3.0), as_tuple=True)] == [[0]]
    assert (m > 0).argwhere().tolist() == [[0, 1], [1, 0]]


# ----- errors -------------------------------------------------------------------------------

Y = torch.zeros(3, 4, 5)

ERROR_CASES = [
    (lambda: Y[5], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda: torch.zeros(3)[5], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda: Y[[5]], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda: Y[-4], IndexError, "index -4 is out of bounds for dimension 0 with size 3"),
    (lambda: Y[[-4]], IndexError, "index -4 is out of bounds for dimension 0 with size 3"),
    (lambda: Y[:, 7], IndexError, "index 7 is out of bounds for dimension 1 with size 4"),
    (lambda: Y[0, 0, 0, 0], IndexError, "too many indices for tensor of dimension 3"),
    (
        lambda: torch.tensor(3.0)[0],
        IndexError,
        "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ "
        "to convert a 0-dim tensor to a number",
    ),
    (
        lambda: Y[Y[0] > 0],
        IndexError,
        "The shape of the mask [4, 5] at index 0 does not match the shape of the indexed tensor "
        "[3, 4, 5] at index 0",
    ),
    (
        lambda: Y[0, torch.zeros(5) > 0],
        IndexError,
        "The shape of the mask [5] at index 0 does not match the shape of the indexed tensor [4, 5] "
        "at index 0",
    ),
    (
        lambda: Y[torch.tensor([1.0])],
        IndexError,
        "tensors used as indices must be long, int, byte or bool tensors",
    ),
    (lambda: Y[::-1], ValueError, "step must be greater than zero"),
    (
        lambda: Y[[0, 1], [0, 1, 2]],
        IndexError,
        "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]",
    ),
    (
        lambda: Y[1.5],
        IndexError,
        "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
        "indices (got float)",
    ),
    (
        lambda: Y.gather(0, torch.zeros(1, 4, 5)),
        RuntimeError,
        "gather(): Expected dtype int32/int64 for index",
    ),
    (
        lambda: Y.gather(0, torch.zeros(4, 4, 5, dtype=torch.int64) + 3),
        RuntimeError,
        "index 3 is out of bounds for dimension 0 with size 3",
    ),
    (
        lambda: Y.gather(0, torch.zeros(1, 4, dtype=torch.int64)),
        RuntimeError,
        "Index tensor must have the same number of dimensions as input tensor",
    ),
    (
        lambda: Y.gather(0, torch.zeros(1, 5, 5, dtype=torch.int64)),
        RuntimeError,
        "Size does not match at dimension 1 expected index [1, 5, 5] to be no larger than self "
        "[3, 4, 5] apart from dimension 0",
    ),
    (
        lambda: Y.index_select(1, torch.tensor([[0]])),
        IndexError,
        "index_select(): Index is supposed to be a vector",
    ),
    (
        lambda: Y.index_select(1, torch.tensor([9])),
        RuntimeError,
        "INDICES element is out of DATA bounds, id=9 axis_dim=4",
    ),
    (
        lambda: Y.index_select(1, torch.tensor([1.0])),
        RuntimeError,
        "index_select(): Expected dtype int32 or int64 for index",
    ),
    (
        lambda: Y.masked_fill(Y, 0.0),
        RuntimeError,
        "masked_fill_ only supports boolean masks, but got mask with dtype float",
    ),
    (
        lambda: Y.masked_fill(Y > 0, torch.ones(2)),
        RuntimeError,
        "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 "
        "dimension(s).",
    ),
    (
        lambda: Y.take(torch.tensor([60])),
        IndexError,
        "out of range: tried to access index 60 on a tensor of 60 elements.",
    ),
    (
        lambda: torch.zeros(3, 3).scatter(
            0, torch.tensor([[0, 1, 2], [0, 0, 0]]), torch.ones(1, 3)
        ),
        RuntimeError,
        "Expected index [2, 3] to be no larger than self [3, 3] apart from dimension 0 "
        "and to be no larger size than src [1, 3]",
    ),
    (
        lambda: torch.zeros(3, 3).scatter(0, torch.tensor([[5, 1, 2]]), torch.ones(1, 3)),
        RuntimeError,
        "index 5 is out of bounds for dimension 0 with size 3",
    ),
    (
        lambda: torch.zeros(3, 3).scatter(
            0, torch.tensor([[1, 1, 2]]), torch.ones(1, 3, dtype=torch.int64)
        ),
        RuntimeError,
        "scatter(): Expected self.dtype to be equal to src.dtype",
    ),
]


@pytest.mark.parametrize("fn,exc,msg", ERROR_CASES, ids=[c[2][:40] for c in ERROR_CASES])
def test_errors_match_pytorch(fn, exc, msg):
    with pytest.raises(exc, match="^" + re.escape(msg) + "$"):
        fn()


# ----- GPU: every case above on CuPy arrays, against the CPU ---------------------------------


@pytest.mark.gpu
@pytest.mark.parametrize("fn,shapes", [c[1:] for c in GRAD_CASES], ids=[c[0] for c in GRAD_CASES])
def test_gpu_matches_cpu(fn, shapes):
    from tests.engine.test_shape import _compare_on_gpu

    _compare_on_gpu(fn, shapes)


@pytest.mark.gpu
def test_gpu_semantics():
    x = torch.zeros(4, device="cuda", requires_grad=True)
    x[[0, 0, 1]].sum().backward()
    assert x.grad.tolist() == [2, 1, 0, 0]
    y = torch.arange(6.0, device="cuda").reshape(2, 3)
    assert y[torch.tensor([[True, False, True], [False, False, True]])].tolist() == [0, 2, 5]
    assert y[1, [0, 2]].tolist() == [3, 5] and y[1].device.type == "cuda"
    y[y > 3] = torch.tensor(-1.0)
    y[0, 1:] = torch.tensor([7.0, 8.0])
    assert y.tolist() == [[0, 7, 8], [3, -1, -1]] and y._version == 2
    assert y.nonzero().tolist() == [[0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]
    assert y.nonzero().device.type == "cuda"
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 1 with size 3"):
        y[:, [3]]
