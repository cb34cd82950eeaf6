"""gradcheck / gradgradcheck: PyTorch's signature, checks, failure type and messages."""

import re

import pytest

import workbench.engine as torch
from workbench.engine.autograd import Function
from workbench.engine.autograd.gradcheck import GradcheckError

gradcheck, gradgradcheck = torch.autograd.gradcheck, torch.autograd.gradgradcheck


def leaf(*values, dtype=torch.float64):
    return torch.tensor(list(values), dtype=dtype, requires_grad=True)


class HalfSquare(Function):
    """x², with a backward that forgets the factor 2."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * a


class FrozenCube(Function):
    """x³, with a first derivative that is right but not differentiable (detached)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a**3

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * 3 * a.detach() ** 2


class IgnoresGradOutput(Function):
    @staticmethod
    def forward(ctx, a):
        return a * 0

    @staticmethod
    def backward(ctx, g):
        return g * 0 + 1


@pytest.mark.parametrize(
    "fn, inputs",
    [
        (lambda a, b: a * b, (leaf(0.5, 1.5), leaf(2.0, 3.0))),
        (lambda a: a.sin(), leaf(0.5, 1.5)),  # a single tensor
        (lambda a: a.sin(), [leaf(0.5, 1.5)]),  # a list
        (lambda a, b: (a * b, a.exp()), (leaf(0.5, 1.5), leaf(2.0, 3.0))),  # several outputs
        (lambda a, b: a * b, (leaf(0.5, 1.5), torch.tensor([2.0, 3.0], dtype=torch.float64))),
        (lambda a, k: a * k, (leaf(0.5, 1.5), 3.0)),  # a non-tensor argument
        (lambda a: (a * 2, (a > 1).long()), (leaf(0.5, 1.5),)),  # an integer output
        (lambda a: a.sum(), (leaf(0.5, 1.5),)),
        (lambda a: a @ a.T, (torch.ones(2, 3, dtype=torch.float64, requires_grad=True),)),
    ],
    ids=[
        "binary",
        "tensor",
        "list",
        "multi_out",
        "const_input",
        "scalar_arg",
        "int_out",
        "scalar_out",
        "matmul",
    ],
)
def test_gradcheck_passes(fn, inputs):
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_wrong_backward_raises_gradcheck_error():
    assert issubclass(GradcheckError, RuntimeError)
    msg = (
        "Jacobian mismatch for output 0 with respect to input 0,\n"
        "numerical:tensor([[1.0000, 0.0000],\n        [0.0000, 3.0000]], dtype=torch.float64)\n"
        "analytical:tensor([[0.5000, 0.0000],\n        [0.0000, 1.5000]], dtype=torch.float64)"
        "\n"
    )
    with pytest.raises(GradcheckError, match="^" + re.escape(msg) + "$"):
        gradcheck(HalfSquare.apply, (leaf(0.5, 1.5),))
    assert gradcheck(HalfSquare.apply, (leaf(0.5, 1.5),), raise_exception=False) is False


def test_input_index_counts_differentiable_inputs_only():
    fn = lambda c, a: HalfSquare.apply(a) + c
    with pytest.raises(
        GradcheckError, match="^Jacobian mismatch for output 0 with respect to input 0,\n"
    ):
        gradcheck(fn, (torch.ones(2, dtype=torch.float64), leaf(0.5, 1.5)))


def test_output_index_counts_differentiable_outputs():
    fn = lambda a: (a.detach() * 2, a.exp(), HalfSquare.apply(a))
    with pytest.raises(
        GradcheckError, match="^Jacobian mismatch for output 1 with respect to input 0,\n"
    ):
        gradcheck(fn, (leaf(0.5, 1.5),))


def test_gradgradcheck_catches_a_wrong_second_derivative():
    x = leaf(0.5, 1.5)
    assert gradcheck(FrozenCube.apply, (x,))
    assert gradgradcheck(FrozenCube.apply, (x,), raise_exception=False) is False
    with pytest.raises(
        GradcheckError, match="^Jacobian mismatch for output 0 with respect to input 0,\nnumerical:"
    ):
        gradgradcheck(FrozenCube.apply, (x,))


def test_gradgradcheck_with_given_grad_outputs():
    x = leaf(0.5, 1.5)
    go = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    assert gradgradcheck(lambda a: a.sin() * a, (x,), (go,))


def test_backward_must_scale_with_grad_output():
    with pytest.raises(GradcheckError, match="^backward not multiplied by grad_output$"):
        gradcheck(IgnoresGradOutput.apply, (leaf(0.5, 1.5),), atol=10, rtol=10)


def test_non_double_inputs_warn():
    msg = (
        "Input #0 requires gradient and is not a double precision floating point or complex. "
        "This check will likely fail if all the inputs are not of double precision floating "
        "point or complex. "
    )
    with pytest.warns(UserWarning, match="^" + re.escape(msg) + "$"):
        assert gradcheck(
            lambda a: a * 2, (leaf(0.5, 1.5, dtype=torch.float32),), eps=1e-3, atol=1e-2
        )


def test_no_input_requires_grad():
    with pytest.raises(
        ValueError,
        match="^gradcheck expects at least one input tensor to require "
        "gradient, but none of them have requires_grad=True.$",
    ):
        gradcheck(lambda a: a * 2, (torch.ones(2, dtype=torch.float64),))


def test_outputs_that_do_not_require_grad():
    assert gradcheck(lambda a: torch.ones(2, dtype=torch.float64), (leaf(0.5, 1.5),))
    with pytest.raises(
        GradcheckError, match="^Numerical gradient for function expected to be zero$"
    ):
        gradcheck(lambda a: a.detach() * 2, (leaf(0.5, 1.5),))


def test_inputs_are_left_unchanged():
    x = leaf(0.5, 1.5)
    gradcheck(lambda a: a.exp(), (x,))
    assert x.tolist() == [0.5, 1.5] and x.grad is None


def test_non_contiguous_input():
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=torch.float64).T
    x.requires_grad_()
    assert gradcheck(lambda a: a * a, (x,))
