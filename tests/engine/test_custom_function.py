"""Custom `autograd.Function`: PyTorch's extension API, its ctx methods and its errors.

Behaviour and messages were read off the reference PyTorch.
"""

import re

import numpy as np
import pytest

import workbench.engine as torch
from workbench.engine.autograd import Function


def val(t):
    return t.detach().numpy()


def leaf(dtype=None):
    return torch.tensor([0.5, 1.5], dtype=dtype, requires_grad=True)


def raises(exc, msg):
    return pytest.raises(exc, match="^" + re.escape(msg) + "$")


class ScaledExp(Function):
    """k * exp(x), k a Python number; saves its output."""

    @staticmethod
    def forward(ctx, x, k, unused=None):
        out = x.exp() * k
        ctx.save_for_backward(out)
        ctx.k = k
        ctx.grad_was_enabled = torch.is_grad_enabled()
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out, None, None  # extra trailing Nones are allowed


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x**2  # Tensor ops: differentiable again


def test_forward_backward_and_ctx():
    x = leaf()
    y = ScaledExp.apply(x, 2.0)
    assert (
        y.grad_fn.name() == "ScaledExpBackward" and type(y.grad_fn).__name__ == "ScaledExpBackward"
    )
    assert "grad_fn=<ScaledExpBackward>" in repr(y)
    assert y.grad_fn.needs_input_grad == (True, False)
    assert y.grad_fn.k == 2.0 and y.grad_fn.grad_was_enabled is False  # forward runs in no_grad
    assert y.grad_fn.next_functions[0][0].variable is x
    y.sum().backward()
    np.testing.assert_allclose(val(x.grad), 2 * np.exp([0.5, 1.5]), rtol=1e-6)
    with pytest.raises(RuntimeError, match="^Trying to backward through the graph a second"):
        y.grad_fn.saved_tensors  # noqa: B018


def test_needs_input_grad_with_several_inputs():
    class Both(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.seen = ctx.needs_input_grad
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, g

    a, b = leaf(), torch.ones(2)
    y = Both.apply(a, b)
    assert y.grad_fn.seen == (True, False)
    y.sum().backward()
    np.testing.assert_array_equal(val(a.grad), [1, 1])


def test_no_graph_when_nothing_requires_grad_or_under_no_grad():
    assert ScaledExp.apply(torch.ones(2), 1.0).grad_fn is None
    with torch.no_grad():
        y = ScaledExp.apply(leaf(), 1.0)
    assert not y.requires_grad and y.grad_fn is None


@pytest.mark.parametrize(
    "ret, expected, got",
    [
        (lambda g: g, 2, 1),
        (lambda g: (g, g, g), 2, 3),
    ],
)
def test_wrong_number_of_gradients(ret, expected, got):
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return ret(g)

    a = leaf()
    with raises(
        RuntimeError,
        f"function BadBackward returned an incorrect number of gradients "
        f"(expected {expected}, got {got})",
    ):
        Bad.apply(a, a).sum().backward()


@pytest.mark.parametrize(
    "ret, msg",
    [
        (lambda g: 3, "expected Variable or None (got int)"),
        (
            lambda g: torch.ones(3),
            "Function BadBackward returned an invalid gradient at index 0 - "
            "got [3] but expected shape compatible with [2]",
        ),
    ],
)
def test_bad_gradients(ret, msg):
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return ret(g)

    with raises(RuntimeError, msg):
        Bad.apply(leaf()).sum().backward()


def test_none_gradient_means_zero():
    class NoGrad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return None

    x = leaf()
    NoGrad.apply(x).sum().backward()
    assert x.grad is None


def test_missing_backward():
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    with raises(
        NotImplementedError,
        "You must implement either the backward or vjp method for "
        "your custom autograd.Function to use it with backward mode "
        "AD.",
    ):
        NoBackward.apply(leaf()).sum().backward()


class Split(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2, x * 3, x > 1

    @staticmethod
    def backward(ctx, g1, g2, g3):
        return g1 * 2 + g2 * 3


def test_multiple_outputs_share_one_node_and_unused_grads_are_zeros():
    x = leaf()
    o1, o2, mask = Split.apply(x)
    assert o1.grad_fn is o2.grad_fn and o1.grad_fn.name() == "SplitBackward"
    assert (o1.output_nr, o2.output_nr) == (0, 1)
    assert not mask.requires_grad and mask.grad_fn is None  # not differentiable: bool
    o1.sum().backward()  # g2 arrives as zeros (materialised)
    np.testing.assert_array_equal(val(x.grad), [2, 2])


def test_set_materialize_grads_false_passes_none():
    seen = []

    class Lazy(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append((g1 is None, g2 is None))
            return g1 if g1 is not None else g2 * 2

    x = leaf()
    Lazy.apply(x)[1].sum().backward()
    assert seen == [(True, False)]
    np.testing.assert_array_equal(val(x.grad), [2, 2])


def test_mark_non_differentiable():
    class WithIndex(Function):
        @staticmethod
        def forward(ctx, x):
            idx = x * 0
            ctx.mark_non_differentiable(idx)
            return x * 2, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            return g * 2

    out, idx = WithIndex.apply(leaf())
    assert out.requires_grad and not idx.requires_grad and idx.grad_fn is None


def test_mark_dirty():
    class Double_(Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    b = leaf()
    c = b * 1
    v0 = c._version
    d = Double_.apply(c)
    assert d is c and c._version == v0 + 2  # the in-place op and mark_dirty each bump it
    assert c.grad_fn.name() == "Double_Backward"
    d.sum().backward()
    np.testing.assert_array_equal(val(b.grad), [2, 2])
    with raises(
        RuntimeError, "a leaf Variable that requires grad has been used in an in-place operation."
    ):
        Double_.apply(leaf())


def test_returning_an_input_gives_a_new_tensor():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    x = leaf()
    y = Identity.apply(x)
    assert y is not x and y.grad_fn.name() == "IdentityBackward"
    y.sum().backward()
    np.testing.assert_array_equal(val(x.grad), [1, 1])


def test_save_for_backward_kinds():
    class Saver(Function):
        @staticmethod
        def forward(ctx, x):
            t = x * 2  # an intermediate
            ctx.save_for_backward(x, None, t)
            return x + 1

        @staticmethod
        def backward(ctx, g):
            x, none, t = ctx.saved_tensors
            assert none is None
            return g * t

    x = leaf()
    y = Saver.apply(x)
    saved = y.grad_fn.saved_tensors
    assert saved[0] is x and saved[1] is None
    y.sum().backward()
    np.testing.assert_array_equal(val(x.grad), [1, 3])

    class SaveInt(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x + 1

        @staticmethod
        def backward(ctx, g):
            return g

    with raises(
        TypeError, "save_for_backward can only save variables, but argument 1 is of type int"
    ):
        SaveInt.apply(leaf())


def test_gradcheck_and_gradgradcheck_of_a_custom_function():
    x = leaf(torch.float64)
    assert torch.autograd.gradcheck(Cube.apply, (x,))
    assert torch.autograd.gradgradcheck(Cube.apply, (x,))
    assert torch.autograd.gradcheck(lambda t: ScaledExp.apply(t, 3.0), (x,))
    assert torch.autograd.gradgradcheck(lambda t: ScaledExp.apply(t, 3.0), (x,))


def test_second_derivative_through_a_custom_function():
    x = leaf(torch.float64)
    (g,) = torch.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(val(gg), 6 * val(x))
