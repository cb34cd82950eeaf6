"""Linear algebra: matmul in every rank case, mm, bmm, dot, mv, outer, addmm, baddbmm, einsum;
gradients (first and second order), values against NumPy, grad_fn names and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest

import workbench.engine as torch
from tests.engine.helpers import check_grads, make_inputs

# (shape a, shape b, grad_fn name PyTorch 2.13 records, or ours where it differs)
MATMUL_SHAPES = [
    ((3,), (3,), "DotBackward0"),
    ((2, 3), (3,), "MvBackward0"),
    ((3,), (3, 4), "UnsafeViewBackward0"),  # PyTorch: SqueezeBackward4
    ((2, 3), (3, 4), "MmBackward0"),
    ((2, 2, 3), (3,), "UnsafeViewBackward0"),
    ((2, 2, 3), (3, 4), "UnsafeViewBackward0"),
    ((3,), (2, 3, 4), "UnsafeViewBackward0"),
    ((2, 3), (2, 3, 4), "UnsafeViewBackward0"),
    ((2, 2, 3), (2, 3, 4), "UnsafeViewBackward0"),
    ((2, 1, 3, 4), (5, 4, 2), "UnsafeViewBackward0"),
    ((1, 2, 3), (2, 1, 3, 2), "UnsafeViewBackward0"),
]


@pytest.mark.parametrize("sa,sb,name", MATMUL_SHAPES)
def test_matmul(sa, sb, name):
    a, b = make_inputs(sa, sb)
    out = a @ b
    expected = np.matmul(a.detach().numpy(), b.detach().numpy())
    assert tuple(out.shape) == expected.shape
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12)
    assert out.grad_fn.name() == name
    check_grads(torch.matmul, a, b)


@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 4)), ((2, 2, 3), (3, 4)), ((3,), (2, 3, 4))])
def test_matmul_gradient_of_one_operand(sa, sb):
    a, b = make_inputs(sa, sb)
    b.requires_grad_(False)
    check_grads(lambda x: x @ b, a)
    a.requires_grad_(False)
    b.requires_grad_(True)
    check_grads(lambda y: a @ y, b)


@pytest.mark.parametrize(
    "fn,shapes,name,ref",
    [
        (torch.mm, [(2, 3), (3, 4)], "MmBackward0", np.matmul),
        (torch.bmm, [(2, 2, 3), (2, 3, 4)], "BmmBackward0", np.matmul),
        (torch.dot, [(3,), (3,)], "DotBackward0", np.dot),
        (torch.mv, [(2, 3), (3,)], "MvBackward0", np.matmul),
        (torch.outer, [(2,), (3,)], "MulBackward0", np.outer),
        (torch.ger, [(2,), (3,)], "MulBackward0", np.outer),
        (
            lambda c, a, b: torch.addmm(c, a, b),
            [(4,), (2, 3), (3, 4)],
            "AddmmBackward0",
            lambda c, a, b: c + a @ b,
        ),
        (
            lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=-2),
            [(2, 1), (2, 3), (3, 4)],
            "AddmmBackward0",
            lambda c, a, b: 0.5 * c - 2 * a @ b,
        ),
        (
            lambda c, a, b: c.addmm(a, b, beta=0),
            [(2, 4), (2, 3), (3, 4)],
            "AddmmBackward0",
            lambda c, a, b: a @ b,
        ),
        (
            lambda c, a, b: torch.baddbmm(c, a, b, beta=2, alpha=3),
            [(3, 4), (2, 3, 2), (2, 2, 4)],
            "BaddbmmBackward0",
            lambda c, a, b: 2 * c + 3 * a @ b,
        ),
        (lambda a, b: a.mm(b), [(2, 3), (3, 4)], "MmBackward0", np.matmul),
        (lambda a, b: a.bmm(b), [(2, 2, 3), (2, 3, 4)], "BmmBackward0", np.matmul),
        (lambda a, b: a.dot(b), [(3,), (3,)], "DotBackward0", np.dot),
        (lambda a, b: a.mv(b), [(2, 3), (3,)], "MvBackward0", np.matmul),
        (lambda a, b: a.outer(b), [(2,), (3,)], "MulBackward0", np.outer),
        (lambda a, b: a.matmul(b), [(2, 3), (3, 4)], "MmBackward0", np.matmul),
        (lambda a, b: a.__rmatmul__(b), [(3, 4), (2, 3)], "MmBackward0", lambda a, b: b @ a),
    ],
)
def test_named_products(fn, shapes, name, ref):
    inputs = make_inputs(*shapes)
    out = fn(*inputs)
    assert out.grad_fn.name() == name
    expected = ref(*(t.detach().numpy() for t in inputs))
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12)
    check_grads(fn, *inputs)


@pytest.mark.parametrize(
    "equation,shapes",
    [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("ij,jk", [(2, 3), (3, 4)]),
        ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
        ("...ij,jk->...ik", [(2, 2, 3), (3, 4)]),
        ("i,i->", [(3,), (3,)]),
        ("i,j->ij", [(2,), (3,)]),
        ("ij->ji", [(2, 3)]),
        ("ij->", [(2, 3)]),
        ("ijk->j", [(2, 3, 4)]),
        ("ij,kl->ik", [(2, 3), (4, 5)]),
        ("i,ij,j->", [(2,), (2, 3), (3,)]),
        (" b i j , b j k -> b k i ", [(2, 2, 3), (2, 3, 4)]),
    ],
)
def test_einsum(equation, shapes):
    inputs = make_inputs(*shapes)
    out = torch.einsum(equation, *inputs)
    expected = np.einsum(equation.replace(" ", ""), *(t.detach().numpy() for t in inputs))
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12)
    check_grads(lambda *ts: torch.einsum(equation, *ts), *inputs)


def test_einsum_operand_list_and_promotion():
    a, b = torch.ones(2, 3), torch.ones(3, 4, dtype=torch.float64)
    out = torch.einsum("ij,jk->ik", [a, b])
    assert out.dtype is torch.float64 and out.tolist() == [[3.0] * 4] * 2


def test_t():
    m = torch.ones(2, 3)
    assert torch.t(m).shape == torch.Size([3, 2])
    v = torch.ones(4)
    assert torch.t(v).shape == torch.Size([4])
    with pytest.raises(
        RuntimeError,
        match=r"t\(\) expects a tensor with <= 2 dimensions, but "
        r"self is 3D",
    ):
        torch.t(torch.ones(2, 3, 4))


def test_integer_matmul():
    a = torch.tensor([[1, 2, 3], [4, 5, 6]])
    out = torch.matmul(a, torch.tensor([1, 0, 2]))
    assert out.dtype is torch.int64 and out.tolist() == [7, 16]
    assert (a @ a.t()).tolist() == [[14, 32], [32, 77]]


# ----- NumPy operands ------------------------------------------------------------------------


def test_matmul_with_numpy_arrays():
    w = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    arr = np.array([[1.0, 0.0], [0.0, 2.0]], dtype=np.float32)
    right = w @ arr
    assert isinstance(right, torch.Tensor) and right.dtype is torch.float32
    assert right.tolist() == [[1.0, 4.0], [3.0, 8.0]]
    left = arr @ w
    assert isinstance(left, torch.Tensor) and left.tolist() == [[1.0, 2.0], [6.0, 8.0]]
    (left.sum() + right.sum()).backward()
    assert w.grad.tolist() == [[2.0, 3.0], [3.0, 4.0]]
    # NumPy's float64 promotes with the float32 tensor (PyTorch's own result is float64 too)
    promoted = w @ np.eye(2)
    assert promoted.dtype is torch.float64 and promoted.requires_grad
    assert (np.ones(2) @ w).dtype is torch.float64
    with pytest.raises(TypeError):
        w @ [[1.0, 0.0], [0.0, 1.0]]
    with pytest.raises(
        TypeError,
        match=r"matmul\(\): argument 'input' \(position 1\) must be "
        r"Tensor, not numpy.ndarray",
    ):
        torch.matmul(np.ones((2, 2)), w)


# ----- errors --------------------------------------------------------------------------------


def _ones(*shape, dtype=None):
    return torch.ones(*shape, dtype=dtype)


A, B, V3, V4 = _ones(2, 3), _ones(4, 5), _ones(3), _ones(4)
F64 = torch.float64

# messages as PyTorch 2.13 words them
ERRORS = [
    (lambda: torch.mm(A, B), r"^mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)$"),
    (lambda: A @ B, r"^mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)$"),
    (lambda: torch.matmul(A, V4), r"^size mismatch, got input \(2\), mat \(2x3\), vec \(4\)$"),
    (lambda: torch.matmul(V4, A), r"^mat1 and mat2 shapes cannot be multiplied \(1x4 and 2x3\)$"),
    (
        lambda: torch.matmul(V3, V4),
        r"^inconsistent tensor size, expected tensor \[3\] and src \[4\] to have the same number of "
        r"elements, but got 3 and 4 elements respectively$",
    ),
    (
        lambda: _ones(2, 2, 3) @ _ones(2, 4, 5),
        r"^Expected size for first two dimensions of batch2 tensor to be: \[2, 3\] but got: "
        r"\[2, 4\].$",
    ),
    (
        lambda: _ones(2, 2, 3) @ _ones(3, 3, 5),
        r"^The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton "
        r"dimension 0$",
    ),
    (
        lambda: _ones(2, 1, 3, 4) @ _ones(5, 3, 2),
        r"^Expected size for first two dimensions of batch2 tensor to be: \[10, 4\] but got: "
        r"\[10, 3\].$",
    ),
    (lambda: _ones(2, 2, 3) @ V4, r"^size mismatch, got input \(4\), mat \(4x3\), vec \(4\)$"),
    (
        lambda: _ones(2, 3, 4) @ _ones(3, 5),
        r"^mat1 and mat2 shapes cannot be multiplied \(6x4 and 3x5\)$",
    ),
    (
        lambda: V4 @ _ones(2, 3, 5),
        r"^Expected size for first two dimensions of batch2 tensor to be: \[2, 4\] but got: "
        r"\[2, 3\].$",
    ),
    (lambda: _ones(3, 4) @ _ones(2, 5, 5), r"to be: \[2, 4\] but got: \[2, 5\].$"),
    (
        lambda: torch.matmul(torch.tensor(1.0), V4),
        r"^both arguments to matmul need to be at least 1D, but they are 0D and 1D$",
    ),
    (lambda: torch.matmul(V4, torch.tensor(1.0)), r"they are 1D and 0D$"),
    (
        lambda: _ones(2, 3, 4) @ _ones(2, 4, 5, dtype=F64),
        r"^expected scalar type Float but found Double$",
    ),
    (
        lambda: V3 @ _ones(3, dtype=F64),
        r"^dot : expected both vectors to have same dtype, but found Float and Double$",
    ),
    (
        lambda: V3 @ _ones(3, 2, dtype=F64),
        r"^expected m1 and m2 to have the same dtype, but got: float != double$",
    ),
    (
        lambda: _ones(2, 3, 4) @ _ones(4, dtype=F64),
        r"^addmv input tensors must have the same dtype, but got Double, Float, and Double$",
    ),
    (
        lambda: _ones(3, 4).long() @ _ones(4, 5),
        r"^expected m1 and m2 to have the same dtype, but got: long int != float$",
    ),
    (lambda: torch.mm(V4, A), r"^self must be a matrix$"),
    (lambda: torch.mm(A, _ones(2, 3, 4)), r"^mat2 must be a matrix$"),
    (lambda: torch.bmm(A, B), r"^batch1 must be a 3D tensor$"),
    (lambda: torch.bmm(_ones(2, 2, 3), _ones(2, 3)), r"^batch2 must be a 3D tensor$"),
    (
        lambda: torch.bmm(_ones(2, 2, 3), _ones(3, 3, 5)),
        r"^Expected size for first two dimensions of batch2 tensor to be: \[2, 3\] but got: "
        r"\[3, 3\].$",
    ),
    (
        lambda: torch.bmm(_ones(2, 2, 3), _ones(2, 3, 4, dtype=F64)),
        r"^expected scalar type Float but found Double$",
    ),
    (lambda: torch.dot(A, V4), r"^1D tensors expected, but got 2D and 1D tensors$"),
    (lambda: torch.dot(V4, _ones(4, dtype=F64)), r"but found Float and Double$"),
    (lambda: torch.mv(A, V4), r"^size mismatch, got input \(2\), mat \(2x3\), vec \(4\)$"),
    (lambda: torch.mv(V4, V4), r"^vector \+ matrix @ vector expected, got 1, 1, 1$"),
    (lambda: torch.mv(A, A), r"^vector \+ matrix @ vector expected, got 1, 2, 2$"),
    (
        lambda: torch.mv(A, _ones(3, dtype=F64)),
        r"^addmv input tensors must have the same dtype, but got Double, Float, and Double$",
    ),
    (lambda: torch.outer(A, V4), r"^outer: Expected 1-D argument self, but got 2-D$"),
    (lambda: torch.outer(V4, A), r"^outer: Expected 1-D argument vec2, but got 2-D$"),
    (
        lambda: torch.addmm(V3, A, _ones(3, 2)),
        r"^The expanded size of the tensor \(2\) must match the existing size \(3\) at "
        r"non-singleton dimension 1.  Target sizes: \[2, 2\].  Tensor sizes: \[3\]$",
    ),
    (
        lambda: torch.addmm(_ones(2, 4, 1), A, _ones(3, 4)),
        r"^expand\(torch.FloatTensor\{\[2, 4, 1\]\}, size=\[2, 4\]\): the number of sizes provided "
        r"\(2\) must be greater or equal to the number of dimensions in the tensor \(3\)$",
    ),
    (lambda: torch.addmm(V4, V3, _ones(3, 4)), r"^mat1 must be a matrix, got 1-D tensor$"),
    (lambda: torch.addmm(V4, A, V3), r"^mat2 must be a matrix, got 1-D tensor$"),
    (
        lambda: torch.addmm(V4, A, _ones(2, 4)),
        r"^mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x4\)$",
    ),
    (
        lambda: torch.addmm(_ones(4, dtype=F64), A, _ones(3, 4)),
        r"^self and mat2 must have the same dtype, but got Double and Float$",
    ),
    (
        lambda: torch.baddbmm(_ones(3, 4), _ones(2, 2, 3), _ones(2, 3, 4)),
        r"^The expanded size of the tensor \(2\) must match the existing size \(3\) at "
        r"non-singleton dimension 1.  Target sizes: \[2, 2, 4\].  Tensor sizes: \[3, 4\]$",
    ),
    (lambda: torch.baddbmm(V4, A, _ones(2, 3, 4)), r"^batch1 must be a 3D tensor$"),
    (
        lambda: torch.einsum("ij,jk->ik", A),
        r"^einsum\(\): fewer operands were provided than specified in the equation$",
    ),
    (
        lambda: torch.einsum("ij,jk->ik", A, _ones(4, 4)),
        r"^einsum\(\): subscript j has size 4 for operand 1 which does not broadcast with "
        r"previously seen size 3$",
    ),
    (
        lambda: torch.einsum("ijk,jk->ik", A, B),
        r"^einsum\(\): the number of subscripts in the equation \(3\) does not match the number of "
        r"dimensions \(2\) for operand 0 and no ellipsis was given$",
    ),
    (
        lambda: torch.einsum("ij,jk->iz", A, _ones(3, 4)),
        r"^einsum\(\): output subscript z does not appear in the equation for any input operand$",
    ),
    (
        lambda: torch.einsum("ij,jk->ii", A, _ones(3, 4)),
        r"^einsum\(\): output subscript i appears more than once in the output$",
    ),
]


@pytest.mark.parametrize("fn,message", ERRORS)
def test_errors(fn, message):
    with pytest.raises(RuntimeError, match=message):
        fn()


def test_einsum_diagonals_are_not_supported():
    with pytest.raises(NotImplementedError, match="repeated within one operand"):
        torch.einsum("ii->i", torch.ones(3, 3))


# ----- CUDA ----------------------------------------------------------------------------------


@pytest.mark.gpu
@pytest.mark.parametrize(
    "fn,shapes",
    [(torch.matmul, [sa, sb]) for sa, sb, _ in MATMUL_SHAPES]
    + [
        (torch.bmm, [(2, 2, 3), (2, 3, 4)]),
        (lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=2), [(4,), (2, 3), (3, 4)]),
        (lambda c, a, b: torch.baddbmm(c, a, b, beta=2), [(3, 4), (2, 3, 2), (2, 2, 4)]),
        (lambda a, b: torch.einsum("bij,jk->bki", a, b), [(2, 2, 3), (3, 4)]),
        (lambda a, b, c: torch.einsum("i,ij,j->", a, b, c), [(2,), (2, 3), (3,)]),
    ],
)
def test_gpu_matches_cpu(fn, shapes):
    inputs = make_inputs(*shapes)
    cuda_inputs = [t.detach().cuda().requires_grad_() for t in inputs]
    y, yc = fn(*inputs), fn(*cuda_inputs)
    assert yc.device.type == "cuda" and yc.shape == y.shape
    np.testing.assert_allclose(yc.detach().cpu().numpy(), y.detach().numpy(), rtol=1e-10)
    y.sum().backward()
    yc.sum().backward()
    for t, tc in zip(inputs, cuda_inputs):
        assert tc.grad.device.type == "cuda"
        np.testing.assert_allclose(tc.grad.cpu().numpy(), t.grad.numpy(), rtol=1e-10)


@pytest.mark.gpu
def test_gpu_matmul_with_numpy_array():
    w = torch.ones(2, 2, device="cuda")
    out = w @ np.eye(2, dtype=np.float32)
    assert out.device.type == "cuda" and out.tolist() == [[1.0, 1.0], [1.0, 1.0]]
