"""embedding (gathers rows; gradients accumulate per row, none at padding_idx), one_hot."""

import numpy as np
import pytest

import workbench.engine as torch
import workbench.engine.nn.functional as F
from tests.engine.helpers import check_grads, make_inputs

IDX = torch.tensor([[1, 3, 1], [0, 3, 3]])


def test_embedding_lookup_and_accumulated_gradient():
    (w,) = make_inputs((5, 2))
    y = F.embedding(IDX, w)
    np.testing.assert_array_equal(y.detach().numpy(), w.detach().numpy()[IDX.numpy()])
    assert y.shape == (2, 3, 2) and y.grad_fn.name() == "EmbeddingBackward0"
    g = np.arange(12.0).reshape(2, 3, 2)
    y.backward(torch.tensor(g))
    want = np.zeros((5, 2))
    np.add.at(want, IDX.numpy(), g)
    np.testing.assert_array_equal(w.grad.numpy(), want)  # rows 1 and 3 summed over repeats


def test_padding_idx_gets_no_gradient():
    (w,) = make_inputs((5, 2))
    F.embedding(IDX, w, padding_idx=3).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[:, 0], [1, 2, 0, 0, 0])
    w.grad = None
    F.embedding(IDX, w, padding_idx=-2).sum().backward()  # -2 is row 3
    assert w.grad.numpy()[3].tolist() == [0, 0]


def test_embedding_gradcheck():
    (w,) = make_inputs((4, 3))
    check_grads(lambda w: F.embedding(IDX, w), w)
    # with padding_idx the gradient deliberately ignores a row forward uses, so only the
    # backward itself (linear in grad_output) can be checked
    assert torch.autograd.gradgradcheck(lambda w: F.embedding(IDX, w, padding_idx=1), (w,))


def test_max_norm_renormalises_looked_up_rows_in_place():
    w = torch.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    F.embedding(torch.tensor([0, 1]), w, max_norm=1.0)
    np.testing.assert_allclose(np.linalg.norm(w.numpy(), axis=1), [1.0, 0.5, 10.0], rtol=1e-6)


def test_embedding_errors():
    w = torch.randn(10, 3)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(torch.tensor([10]), w)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(torch.tensor([-1]), w)
    with pytest.raises(
        RuntimeError,
        match="Expected tensor for argument #1 'indices' to have one "
        "of the following scalar types: Long, Int; but got "
        "torch.FloatTensor instead",
    ):
        F.embedding(torch.tensor([1.0]), w)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        F.embedding(torch.tensor([1]), w, padding_idx=10)


def test_one_hot():
    y = F.one_hot(torch.tensor([[0, 2], [1, 0]]))
    assert y.dtype == torch.int64 and y.shape == (2, 2, 3)
    assert y.tolist() == [[[1, 0, 0], [0, 0, 1]], [[0, 1, 0], [1, 0, 0]]]
    assert F.one_hot(torch.tensor([1]), 4).tolist() == [[0, 1, 0, 0]]
    assert F.one_hot(torch.tensor([], dtype=torch.int64), 3).shape == (0, 3)


def test_one_hot_errors():
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        F.one_hot(torch.tensor([0, 3]), 3)
    with pytest.raises(RuntimeError, match="Class values must be non-negative."):
        F.one_hot(torch.tensor([0, -1]))
    with pytest.raises(
        RuntimeError, match="one_hot is only applicable to index tensor of type LongTensor."
    ):
        F.one_hot(torch.tensor([0.0, 1.0]))
    with pytest.raises(
        RuntimeError, match="Can not infer total number of classes from empty tensor."
    ):
        F.one_hot(torch.tensor([], dtype=torch.int64))
