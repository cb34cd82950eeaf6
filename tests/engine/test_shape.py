"""Shape ops: gradients (first and second order), values against NumPy, grad_fn names, views,
and PyTorch's error messages."""

import re
import warnings

import numpy as np
import pytest

import workbench.engine as torch
from tests.engine.helpers import check_grads, make_inputs

# (id, fn, input shapes): every shape op, checked by finite differences to second order
GRAD_CASES = [
    ("reshape", lambda x: x.reshape(4, 6), [(2, 3, 4)]),
    ("view-infer", lambda x: x.view(-1, 3), [(2, 3, 4)]),
    ("reshape-strided", lambda x: x.transpose(0, 1).reshape(-1), [(2, 3, 4)]),
    ("view_as", lambda x: x.view_as(torch.zeros(6, 4)), [(2, 3, 4)]),
    ("flatten", lambda x: x.flatten(), [(2, 3, 4)]),
    ("flatten-range", lambda x: x.flatten(1, 2), [(2, 3, 4)]),
    ("flatten-0d", lambda x: x.flatten(), [()]),
    ("unflatten", lambda x: x.unflatten(1, (2, -1)), [(2, 6)]),
    ("ravel", lambda x: x.ravel(), [(2, 3)]),
    ("squeeze-all", lambda x: x.squeeze(), [(2, 1, 3, 1)]),
    ("squeeze-dim", lambda x: x.squeeze(1), [(2, 1, 3)]),
    ("squeeze-dims", lambda x: x.squeeze((0, 2)), [(1, 3, 1)]),
    ("unsqueeze", lambda x: x.unsqueeze(1), [(2, 3)]),
    ("unsqueeze-neg", lambda x: x.unsqueeze(-1), [(2, 3)]),
    ("transpose", lambda x: x.transpose(0, 2), [(2, 3, 4)]),
    ("swapaxes", lambda x: x.swapaxes(-1, 0), [(2, 3, 4)]),
    ("permute", lambda x: x.permute(2, 0, 1), [(2, 3, 4)]),
    ("movedim", lambda x: x.movedim((0, 1), (2, 0)), [(2, 3, 4)]),
    ("t", lambda x: x.t(), [(2, 3)]),
    ("T", lambda x: x.T, [(2, 3)]),
    ("mT", lambda x: x.mT, [(2, 3, 4)]),
    ("expand", lambda x: x.expand(2, 3, 4), [(3, 1)]),
    ("expand-keep", lambda x: x.expand(-1, 4), [(3, 1)]),
    ("expand_as", lambda x: x.expand_as(torch.zeros(2, 3)), [(3,)]),
    ("broadcast_to", lambda x: torch.broadcast_to(x, (2, 3)), [()]),
    ("broadcast_tensors", lambda a, b: torch.broadcast_tensors(a, b), [(2, 1), (3,)]),
    ("repeat", lambda x: x.repeat(2, 1, 3), [(2, 3)]),
    ("repeat-0d", lambda x: x.repeat(2, 2), [()]),
    ("repeat_interleave", lambda x: x.repeat_interleave(2, dim=1), [(2, 3)]),
    ("repeat_interleave-flat", lambda x: x.repeat_interleave(3), [(2, 2)]),
    (
        "repeat_interleave-counts",
        lambda x: x.repeat_interleave(torch.tensor([1, 0, 2]), dim=1),
        [(2, 3)],
    ),
    ("cat", lambda a, b: torch.cat([a, b], 1), [(2, 3), (2, 1)]),
    ("cat-three", lambda a, b, c: torch.cat([a, b, c]), [(1, 3), (2, 3), (1, 3)]),
    ("concatenate", lambda a, b: torch.concatenate([a, b], -1), [(2, 2), (2, 1)]),
    ("stack", lambda a, b: torch.stack([a, b]), [(2, 3), (2, 3)]),
    ("stack-last", lambda a, b: torch.stack([a, b], -1), [(2, 3), (2, 3)]),
    ("split", lambda x: x.split(2), [(5, 2)]),
    ("split-sizes", lambda x: x.split([1, 3], dim=1), [(2, 4)]),
    ("split-one-used", lambda x: x.split(2)[1], [(5, 2)]),
    ("chunk", lambda x: x.chunk(3, dim=1), [(2, 5)]),
    ("unbind", lambda x: x.unbind(1), [(2, 3)]),
    ("unbind-one-used", lambda x: x.unbind()[0] * 2, [(3, 2)]),
    ("narrow", lambda x: x.narrow(1, 1, 2), [(2, 4)]),
    ("narrow-neg", lambda x: x.narrow(0, -2, 2), [(3, 2)]),
    ("select", lambda x: x.select(1, -1), [(2, 3)]),
    ("flip", lambda x: x.flip(0, 2), [(2, 3, 2)]),
    ("roll", lambda x: x.roll(1, 0), [(3, 2)]),
    ("roll-dims", lambda x: x.roll((1, -2), (0, 1)), [(3, 4)]),
    ("roll-flat", lambda x: x.roll(5), [(2, 3)]),
    ("tril", lambda x: x.tril(), [(3, 3)]),
    ("triu-batched", lambda x: x.triu(1), [(2, 3, 4)]),
    ("tril-neg", lambda x: torch.tril(x, -1), [(4, 3)]),
]


@pytest.mark.parametrize("fn,shapes", [c[1:] for c in GRAD_CASES], ids=[c[0] for c in GRAD_CASES])
def test_gradients(fn, shapes):
    check_grads(fn, *make_inputs(*shapes))


def test_chain_of_views_has_second_order_gradients():
    (x,) = make_inputs((2, 3, 4))
    check_grads(lambda x: (x.permute(2, 0, 1).reshape(4, 6)[1:].unsqueeze(0) ** 2).sum(), x)


A = np.arange(24.0).reshape(2, 3, 4)

# (id, ours, NumPy's) on a = arange(24).reshape(2, 3, 4)
VALUE_CASES = [
    ("reshape", lambda t: t.reshape(3, -1), lambda a: a.reshape(3, -1)),
    ("flatten", lambda t: t.flatten(1), lambda a: a.reshape(2, 12)),
    ("transpose", lambda t: t.transpose(0, 2), lambda a: a.transpose(2, 1, 0)),
    ("permute", lambda t: t.permute(1, 2, 0), lambda a: a.transpose(1, 2, 0)),
    ("movedim", lambda t: torch.movedim(t, 0, -1), lambda a: np.moveaxis(a, 0, -1)),
    ("expand", lambda t: t[:, :1].expand(2, 3, 4), lambda a: np.broadcast_to(a[:, :1], (2, 3, 4))),
    ("repeat", lambda t: t.repeat(2, 1, 1, 2), lambda a: np.tile(a, (2, 1, 1, 2))),
    ("repeat_interleave", lambda t: t.repeat_interleave(2, 1), lambda a: np.repeat(a, 2, 1)),
    (
        "repeat_interleave-counts",
        lambda t: t.repeat_interleave(torch.tensor([2, 0, 1]), 1),
        lambda a: np.repeat(a, [2, 0, 1], 1),
    ),
    ("cat", lambda t: torch.cat([t, t[:, :1]], 1), lambda a: np.concatenate([a, a[:, :1]], 1)),
    ("stack", lambda t: torch.stack([t, t * 2], 1), lambda a: np.stack([a, a * 2], 1)),
    ("narrow", lambda t: t.narrow(2, 1, 2), lambda a: a[:, :, 1:3]),
    ("flip", lambda t: t.flip(0, 2), lambda a: a[::-1, :, ::-1]),
    ("roll", lambda t: t.roll((1, 2), (1, 2)), lambda a: np.roll(a, (1, 2), (1, 2))),
    ("roll-flat", lambda t: t.roll(-3), lambda a: np.roll(a, -3)),
    ("tril", lambda t: t.tril(1), lambda a: np.tril(a, 1)),
    ("triu", lambda t: t.triu(-1), lambda a: np.triu(a, -1)),
    ("squeeze", lambda t: t[:1, :, 1:2].squeeze(), lambda a: a[0, :, 1]),
    ("unsqueeze", lambda t: t.unsqueeze(2), lambda a: a[:, :, None]),
    ("mT", lambda t: t.mT, lambda a: a.swapaxes(-1, -2)),
]


@pytest.mark.parametrize(
    "ours,theirs", [c[1:] for c in VALUE_CASES], ids=[c[0] for c in VALUE_CASES]
)
def test_values_match_numpy(ours, theirs):
    out = ours(torch.tensor(A))
    np.testing.assert_array_equal(out.numpy(), theirs(A))
    assert out.dtype is torch.float64


@pytest.mark.parametrize(
    "fn,dim,expected",
    [
        (lambda t: t.split(2, 1), 1, [(2, 2, 4), (2, 1, 4)]),
        (lambda t: t.split([1, 0, 3], 2), 2, [(2, 3, 1), (2, 3, 0), (2, 3, 3)]),
        (lambda t: t.chunk(2, 2), 2, [(2, 3, 2), (2, 3, 2)]),
        (lambda t: t.chunk(4, 1), 1, [(2, 1, 4)] * 3),  # fewer pieces than asked, as in PyTorch
        (lambda t: t.split(5, 1), 1, [(2, 3, 4)]),
        (lambda t: t.unbind(2), None, [(2, 3)] * 4),
    ],
)
def test_multi_output_shapes_and_values(fn, dim, expected):
    pieces = fn(torch.tensor(A))
    assert isinstance(pieces, tuple)
    assert [tuple(p.shape) for p in pieces] == expected
    arrays = [p.numpy() for p in pieces]
    joined = np.stack(arrays, 2) if dim is None else np.concatenate(arrays, dim)
    np.testing.assert_array_equal(joined, A)


def test_unused_outputs_of_split_get_zero_gradients():
    x = torch.arange(6.0, requires_grad=True)
    a, b, c = x.split(2)
    (b * 3).sum().backward()
    assert x.grad.tolist() == [0, 0, 3, 3, 0, 0]
    (y,) = make_inputs((3, 2))
    y.unbind()[2].sum().backward()
    assert y.grad.tolist() == [[0, 0], [0, 0], [1, 1]]


def test_multi_output_nodes_share_one_node_with_output_numbers():
    x = torch.zeros(4, 2, requires_grad=True)
    pieces = x.split([1, 3])
    assert pieces[0].grad_fn is pieces[1].grad_fn
    assert [p.output_nr for p in pieces] == [0, 1]
    rows = x.unbind()
    assert len({id(r.grad_fn) for r in rows}) == 1
    assert [r.output_nr for r in rows] == [0, 1, 2, 3]


X = torch.zeros(2, 3, 4, requires_grad=True)
V = torch.zeros(3, requires_grad=True)

# grad_fn names as PyTorch 2.13 prints them
NAME_CASES = [
    (lambda: X.view(6, 4), "ViewBackward0"),
    (lambda: X.reshape(-1), "ViewBackward0"),
    (lambda: X.transpose(0, 1).reshape(-1), "UnsafeViewBackward0"),
    (lambda: X.flatten(1), "ViewBackward0"),
    (lambda: X.unflatten(2, (2, 2)), "ViewBackward0"),
    (lambda: X[:, :1].squeeze(), "SqueezeBackward0"),
    (lambda: X[:, :1].squeeze(1), "SqueezeBackward1"),
    (lambda: X[:1, :1].squeeze((0, 1)), "SqueezeBackward2"),
    (lambda: X.unsqueeze(0), "UnsqueezeBackward0"),
    (lambda: X.transpose(0, 1), "TransposeBackward0"),
    (lambda: X.swapaxes(0, 1), "TransposeBackward0"),
    (lambda: X.mT, "TransposeBackward0"),
    (lambda: X[0].t(), "TBackward0"),
    (lambda: V.t(), "TBackward0"),
    (lambda: X.permute(2, 0, 1), "PermuteBackward0"),
    (lambda: X.movedim(0, 2), "PermuteBackward0"),
    (lambda: X[0].T, "PermuteBackward0"),
    (lambda: X.expand(2, 2, 3, 4), "ExpandBackward0"),
    (lambda: X.expand(2, 3, 4), "ExpandBackward0"),
    (lambda: torch.broadcast_to(V, (2, 3)), "ExpandBackward0"),
    (lambda: X.repeat(1, 2, 1), "RepeatBackward0"),
    (lambda: X.repeat_interleave(2, dim=0), "ViewBackward0"),
    (lambda: X.repeat_interleave(torch.tensor([1, 2]), dim=0), "IndexSelectBackward0"),
    (lambda: torch.cat([X, X]), "CatBackward0"),
    (lambda: torch.stack([X, X]), "StackBackward0"),
    (lambda: X.split(1)[0], "SplitBackward0"),
    (lambda: X.chunk(2, 1)[1], "SplitBackward0"),
    (lambda: X.split([1, 1])[1], "SplitWithSizesBackward0"),
    (lambda: X.unbind(2)[3], "UnbindBackward0"),
    (lambda: X.narrow(1, 1, 2), "SliceBackward0"),
    (lambda: X.select(2, 0), "SelectBackward0"),
    (lambda: X.flip(0), "FlipBackward0"),
    (lambda: X.roll(1), "RollBackward0"),
    (lambda: X.tril(), "TrilBackward0"),
    (lambda: X.triu(), "TriuBackward0"),
]


@pytest.mark.parametrize("fn,name", NAME_CASES, ids=[n for _, n in NAME_CASES])
def test_grad_fn_names(fn, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert fn().grad_fn.name() == name


def test_repeat_interleave_is_expand_clone_view_as_in_pytorch():
    chain = []
    fn = X.repeat_interleave(2, dim=1).grad_fn
    while fn is not None and fn.next_functions:
        chain.append(fn.name())
        fn = fn.next_functions[0][0]
    assert chain == ["ViewBackward0", "CloneBackward0", "ExpandBackward0", "UnsqueezeBackward0"]


def test_repeat_interleave_of_counts_alone_gives_indices():
    assert torch.repeat_interleave(torch.tensor([2, 0, 1])).tolist() == [0, 0, 2]


# ----- views and copies --------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda t: t.view(-1),
        lambda t: t.reshape(4, 6),
        lambda t: t.transpose(0, 1),
        lambda t: t.permute(2, 1, 0),
        lambda t: t.unsqueeze(0),
        lambda t: t[:, :1].squeeze(1),
        lambda t: t.narrow(1, 1, 1),
        lambda t: t.select(0, 1),
        lambda t: t.flatten(),
        lambda t: t.split(1)[1],
        lambda t: t.unbind(1)[2],
        lambda t: t.chunk(2, 2)[1],
        lambda t: t.movedim(0, 1),
        lambda t: t.expand(2, 2, 3, 4),
    ],
    ids=[
        "view",
        "reshape",
        "transpose",
        "permute",
        "unsqueeze",
        "squeeze",
        "narrow",
        "select",
        "flatten",
        "split",
        "unbind",
        "chunk",
        "movedim",
        "expand",
    ],
)
def test_view_ops_share_memory_and_version(fn):
    t = torch.tensor(A)
    v = fn(t)
    assert np.shares_memory(v.numpy(), t.numpy())
    assert v._base is t
    before = v._version
    t.add_(1)
    assert v._version == before + 1  # the version counter is shared with the base


@pytest.mark.parametrize(
    "fn",
    [
        lambda t: t.transpose(0, 1).reshape(-1),
        lambda t: t.flip(0),
        lambda t: t.roll(1),
        lambda t: t.repeat(1, 1, 1),
        lambda t: torch.cat([t]),
        lambda t: torch.stack([t]),
        lambda t: t.tril(),
        lambda t: t.repeat_interleave(1, 0),
    ],
    ids=["reshape-strided", "flip", "roll", "repeat", "cat", "stack", "tril", "repeat_interleave"],
)
def test_copying_ops_do_not_alias(fn):
    t = torch.tensor(A)
    out = fn(t)
    assert not np.shares_memory(out.numpy(), t.numpy())
    assert out._base is not t


def test_writes_through_a_view_reach_the_base():
    t = torch.zeros(2, 3)
    t.view(-1)[4] = 7.0
    t.transpose(0, 1)[0].add_(1)
    assert t.tolist() == [[1, 0, 0], [1, 7, 0]]


def test_flatten_returns_self_when_nothing_to_merge():
    t = torch.zeros(2, 3)
    assert t.flatten(1, 1) is t
    v = torch.zeros(3)
    assert v.flatten() is v
    assert torch.tensor(3.0).flatten().shape == (1,)


def test_shape_ops_on_0d_tensors():
    s = torch.tensor(3.0)
    assert s.squeeze(0).shape == () and s.squeeze(-1).shape == ()
    assert s.unsqueeze(-1).shape == (1,)
    assert s.transpose(0, -1).shape == ()
    assert s.view(1, 1).shape == (1, 1)
    assert s.expand(2).tolist() == [3, 3]
    assert s.repeat(2, 3).shape == (2, 3)
    assert s.flip(0).item() == 3 and s.roll(1).item() == 3
    assert s.movedim(0, 0).shape == ()


# ----- dtypes, misc semantics ----------------------------------------------------------------


def test_cat_and_stack_promote_dtypes():
    a = torch.zeros(2, dtype=torch.int64)
    b = torch.zeros(2, dtype=torch.float32)
    c = torch.zeros(2, dtype=torch.float64)
    assert torch.cat([a, b]).dtype is torch.float32
    assert torch.cat([b, c]).dtype is torch.float64
    assert torch.stack([a, b]).dtype is torch.float32
    assert torch.cat([a, a]).dtype is torch.int64


def test_cat_skips_legacy_empty_1d_tensors():
    x = torch.ones(2, 3, requires_grad=True)
    out = torch.cat([x, torch.zeros(0)], 1)
    assert out.shape == (2, 3)


def test_cat_gradient_flows_to_each_input():
    a = torch.ones(2, 2, requires_grad=True)
    b = torch.ones(1, 2, requires_grad=True)
    (torch.cat([a, b]) * torch.tensor([[1.0], [2.0], [3.0]])).sum().backward()
    assert a.grad.tolist() == [[1, 1], [2, 2]]
    assert b.grad.tolist() == [[3, 3]]


def test_iteration_and_len_use_unbind():
    x = torch.arange(6.0).reshape(3, 2).requires_grad_()
    rows = list(x)
    assert len(x) == 3 and [r.tolist() for r in rows] == [[0, 1], [2, 3], [4, 5]]
    assert rows[0].grad_fn.name() == "UnbindBackward0"


def test_T_warns_as_pytorch_does_off_2d():
    with pytest.warns(
        UserWarning, match=re.escape("The use of `x.T` on tensors of dimension other than 2")
    ):
        assert torch.zeros(2, 3, 4).T.shape == (4, 3, 2)
    with pytest.warns(UserWarning, match="Tensor.T is deprecated on 0-D tensors"):
        assert torch.tensor(1.0).T.shape == ()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert torch.zeros(2, 3).T.shape == (3, 2)


def test_shape_arguments_accept_sizes_lists_and_tensors():
    t = torch.zeros(2, 3)
    assert t.reshape([3, 2]).shape == (3, 2)
    assert t.view(torch.Size([6])).shape == (6,)
    assert t.expand(torch.Size([4, 2, 3])).shape == (4, 2, 3)
    assert t.permute([1, 0]).shape == (3, 2)
    assert t.narrow(1, torch.tensor(1), 2).shape == (2, 2)
    assert t.reshape(torch.tensor(6)).shape == (6,)


def test_broadcast_shapes():
    assert torch.broadcast_shapes((2, 1), (3,)) == (2, 3)
    assert torch.broadcast_shapes(3, (2, 1)) == (2, 3)
    assert repr(torch.broadcast_shapes((1,), (4, 1))) == "torch.Size([4, 1])"
    with pytest.raises(
        RuntimeError,
        match=re.escape(
            "Attempting to broadcast a dimension of length 4 at -2! Mismatching argument at index "
            "1 had (4, 3); but expected shape should be broadcastable to [2, 3]"
        ),
    ):
        torch.broadcast_shapes((2, 1), (4, 3), (5,))


# ----- errors: PyTorch's types and wording ----------------------------------------------------

Y = torch.zeros(3, 4, 5)

ERROR_CASES = [
    (lambda: Y.view(7), RuntimeError, "shape '[7]' is invalid for input of size 60"),
    (lambda: torch.zeros(6).view(4), RuntimeError, "shape '[4]' is invalid for input of size 6"),
    (lambda: Y.reshape(-1, 7), RuntimeError, "shape '[-1, 7]' is invalid for input of size 60"),
    (lambda: Y.view(-1, -1), RuntimeError, "only one dimension can be inferred"),
    (lambda: Y.view(0, -1), RuntimeError, "shape '[0, -1]' is invalid for input of size 60"),
    (
        lambda: Y.view(-2, 30),
        RuntimeError,
        "invalid shape dimension -2 at index 0 of shape [-2, 30]",
    ),
    (
        lambda: torch.zeros(0).view(-1, 0),
        RuntimeError,
        "cannot reshape tensor of 0 elements into shape [-1, 0] because the unspecified dimension "
        "size -1 can be any value and is ambiguous",
    ),
    (
        lambda: torch.cat([Y, Y[:, :2, :1]]),
        RuntimeError,
        "Sizes of tensors must match except in dimension 0. Expected size 4 but got size 2 for "
        "tensor number 1 in the list.",
    ),
    (
        lambda: torch.cat([Y, Y[0]]),
        RuntimeError,
        "Tensors must have same number of dimensions: got 3 and 2",
    ),
    (lambda: torch.cat([]), ValueError, "torch.cat(): expected a non-empty list of Tensors"),
    (
        lambda: torch.cat([Y], 3),
        IndexError,
        "Dimension out of range (expected to be in range of [-3, 2], but got 3)",
    ),
    (
        lambda: torch.cat([Y, 1]),
        TypeError,
        "expected Tensor as element 1 in argument 0, but got int",
    ),
    (
        lambda: torch.stack([Y, Y[0]]),
        RuntimeError,
        "stack expects each tensor to be equal size, but got [3, 4, 5] at entry 0 and [4, 5] at "
        "entry 1",
    ),
    (lambda: torch.stack([]), RuntimeError, "stack expects a non-empty TensorList"),
    (
        lambda: Y.split([1, 1]),
        RuntimeError,
        "split_with_sizes expects split_sizes to sum exactly to 3 (input tensor's size at dimension "
        "0), but got split_sizes=[1, 1]",
    ),
    (
        lambda: Y.split([4, -1]),
        RuntimeError,
        "split_with_sizes expects split_sizes have only "
        "non-negative entries, but got split_sizes=[4, -1]",
    ),
    (
        lambda: Y.split(-1),
        RuntimeError,
        "split expects split_size be non-negative, but got split_size=-1",
    ),
    (
        lambda: torch.cat([torch.zeros(2), torch.tensor(1.0)]),
        RuntimeError,
        "zero-dimensional tensor (at position 1) cannot be concatenated",
    ),
    (
        lambda: Y.split(0),
        RuntimeError,
        "split_size can only be 0 if dimension size is 0, but got dimension size of 3",
    ),
    (lambda: Y.chunk(0), RuntimeError, "chunk expects `chunks` to be greater than 0, got: 0"),
    (
        lambda: Y.expand(3, 2, 5),
        RuntimeError,
        "The expanded size of the tensor (2) must match the existing size (4) at non-singleton "
        "dimension 1.  Target sizes: [3, 2, 5].  Tensor sizes: [3, 4, 5]",
    ),
    (
        lambda: Y.expand(4, 5),
        RuntimeError,
        "expand(torch.FloatTensor{[3, 4, 5]}, size=[4, 5]): the number of sizes provided (2) must "
        "be greater or equal to the number of dimensions in the tensor (3)",
    ),
    (
        lambda: Y.expand(-1, 3, 4, 5),
        RuntimeError,
        "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 0",
    ),
    (
        lambda: Y.permute(0, 1),
        RuntimeError,
        "permute(sparse_coo): number of dimensions in the tensor input does not match the length of "
        "the desired ordering of dimensions i.e. input.dim() = 3 is not equal to len(dims) = 2",
    ),
    (lambda: Y.permute(0, 1, 1), RuntimeError, "permute(): duplicate dims are not allowed."),
    (
        lambda: Y.repeat(2, 2),
        RuntimeError,
        "Number of dimensions of repeat dims can not be smaller than number of dimensions of "
        "tensor",
    ),
    (
        lambda: Y.flatten(2, 1),
        RuntimeError,
        "flatten() has invalid args: start_dim cannot come after end_dim",
    ),
    (
        lambda: Y.unflatten(1, (3, 2)),
        RuntimeError,
        "unflatten: Provided sizes [3, 2] don't multiply up to the size of dim 1 (4) in the input "
        "tensor",
    ),
    (lambda: Y.unflatten(1, ()), RuntimeError, "unflatten: sizes must be non-empty"),
    (
        lambda: Y.squeeze(5),
        IndexError,
        "Dimension out of range (expected to be in range of [-3, 2], but got 5)",
    ),
    (
        lambda: Y.unsqueeze(4),
        IndexError,
        "Dimension out of range (expected to be in range of [-4, 3], but got 4)",
    ),
    (
        lambda: Y.transpose(0, 3),
        IndexError,
        "Dimension out of range (expected to be in range of [-3, 2], but got 3)",
    ),
    (lambda: Y.narrow(1, 3, 2), RuntimeError, "start (3) + length (2) exceeds dimension size (4)."),
    (
        lambda: torch.tensor(3.0).narrow(0, 0, 1),
        RuntimeError,
        "narrow() cannot be applied to a 0-dim tensor.",
    ),
    (
        lambda: Y.select(1, 7),
        IndexError,
        "select(): index 7 out of range for tensor of size [3, 4, 5] at dimension 1",
    ),
    (lambda: Y.movedim((0, 0), (1, 2)), RuntimeError, "movedim: repeated dim in `source` ([0, 0])"),
    (
        lambda: Y.movedim((0, 1), (2,)),
        RuntimeError,
        "movedim: Invalid source or destination dims: source ([0, 1] dims) should contain the same "
        "number of dims as destination ([2] dims)",
    ),
    (
        lambda: Y.roll((1, 2), 0),
        RuntimeError,
        "shifts and dimensions must align. shifts: 2, dims:1",
    ),
    (lambda: Y.flip(0, 0), RuntimeError, "dim 0 appears multiple times in the list of dims"),
    (
        lambda: torch.zeros(3).tril(),
        RuntimeError,
        "tril: input tensor must have at least 2 dimensions",
    ),
    (
        lambda: torch.zeros(3).mT,
        RuntimeError,
        "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.",
    ),
    (lambda: Y.t(), RuntimeError, "t() expects a tensor with <= 2 dimensions, but self is 3D"),
    (
        lambda: torch.tensor(3.0).unbind(),
        IndexError,
        "Dimension specified as 0 but tensor has no dimensions",
    ),
    (lambda: torch.zeros(2).repeat_interleave(-1), RuntimeError, "Repeats must be non-negative"),
    (
        lambda: torch.zeros(2, 3).repeat_interleave(torch.tensor([2, 1]), dim=1),
        RuntimeError,
        "repeats must have the same size as input along dim, but got repeats.size(0) = 2 and "
        "input.size(1) = 3",
    ),
    (
        lambda: torch.broadcast_tensors(torch.zeros(2), torch.zeros(3)),
        RuntimeError,
        "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0",
    ),
]


@pytest.mark.parametrize("fn,exc,msg", ERROR_CASES, ids=[c[2][:40] for c in ERROR_CASES])
def test_errors_match_pytorch(fn, exc, msg):
    with pytest.raises(exc, match="^" + re.escape(msg) + "$"):
        fn()


# ----- GPU: every case above on CuPy arrays, against the CPU ---------------------------------


def _compare_on_gpu(fn, shapes):
    xs = make_inputs(*shapes)
    xcs = [x.detach().cuda().requires_grad_() for x in xs]
    out, outc = fn(*xs), fn(*xcs)
    outs = out if isinstance(out, tuple) else (out,)
    outcs = outc if isinstance(outc, tuple) else (outc,)
    rng = np.random.default_rng(0)
    loss = lossc = 0
    for o, oc in zip(outs, outcs, strict=True):
        assert oc.device.type == "cuda" and oc.shape == o.shape
        np.testing.assert_allclose(oc.detach().cpu().numpy(), o.detach().numpy(), rtol=1e-12)
        w = rng.standard_normal(tuple(o.shape))
        loss = loss + (o * torch.tensor(w)).sum()
        lossc = lossc + (oc * torch.tensor(w, device="cuda")).sum()
    loss.backward()
    lossc.backward()
    for x, xc in zip(xs, xcs, strict=True):
        assert xc.grad.device.type == "cuda"
        np.testing.assert_allclose(xc.grad.cpu().numpy(), x.grad.numpy(), rtol=1e-12)


@pytest.mark.gpu
@pytest.mark.parametrize("fn,shapes", [c[1:] for c in GRAD_CASES], ids=[c[0] for c in GRAD_CASES])
def test_gpu_matches_cpu(fn, shapes):
    _compare_on_gpu(fn, shapes)
