"""Ops marked `array_backward` run their backward on raw arrays in a first-order pass.

The same formula then runs on Tensors under create_graph; both must give the same numbers,
and every op that carries the mark must be listed here, so a new one can't skip the check.
"""

from __future__ import annotations

import numpy as np
import pytest

import workbench.engine as torch
from tests.engine.helpers import make_inputs
from workbench.engine.autograd.function import Op

# op class name -> (function of the inputs, input shapes, positive inputs?)
CASES = {
    "Add": (lambda a, b: a + b, [(2, 3), (3,)], False),
    "Sub": (lambda a, b: a - b, [(2, 3), (2, 1)], False),
    "Mul": (lambda a, b: a * b, [(2, 3), (3,)], False),
    "Div": (lambda a, b: a / b, [(2, 3), (3,)], True),
    "Neg": (lambda a: -a, [(2, 3)], False),
    "Exp": (lambda a: a.exp(), [(2, 3)], False),
    "Sqrt": (lambda a: a.sqrt(), [(2, 3)], True),
    "Tanh": (lambda a: a.tanh(), [(2, 3)], False),
    "Sigmoid": (lambda a: a.sigmoid(), [(2, 3)], False),
    "Relu": (lambda a: a.relu(), [(2, 3)], False),
    "Addmm": (torch.nn.functional.linear, [(5, 2, 3), (4, 3), (4,)], False),
    "Pow": (lambda a: a**3, [(2, 3)], False),
    "Sum": (lambda a: a.sum(), [(2, 3)], False),
    "SumDim": (lambda a: a.sum(1, keepdim=False), [(2, 3)], False),
    "Mean": (lambda a: a.mean(0), [(2, 3)], False),
}


def _flagged_ops():
    seen, stack = {}, list(Op.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__dict__.get("array_backward"):
            seen[cls.__name__] = cls
    return seen


def test_every_array_backward_op_is_checked_here():
    missing = sorted(set(_flagged_ops()) - set(CASES))  # subclasses inherit their base's case
    assert not missing, f"add cases for these array_backward ops: {missing}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_array_mode_matches_tensor_mode(name):
    fn, shapes, positive = CASES[name]
    inputs = make_inputs(*shapes, positive=positive, seed=3)
    out = fn(*inputs)
    assert name in {c.__name__ for c in out.grad_fn._fn.__mro__}  # the case runs that op
    g = torch.tensor(np.random.default_rng(4).standard_normal(out.shape))
    fast = torch.autograd.grad(out, inputs, g, retain_graph=True)  # array mode
    slow = torch.autograd.grad(out, inputs, g, create_graph=True)  # Tensor mode
    for f, s in zip(fast, slow):
        assert f.dtype == s.dtype and f.shape == s.shape
        np.testing.assert_allclose(f.numpy(), s.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_array_mode_keeps_dtype_and_0d_results():
    x = torch.tensor(2.0, requires_grad=True)
    (x * 3.0).exp().backward()
    assert x.grad.dtype == torch.float32 and x.grad.shape == ()
    np.testing.assert_allclose(x.grad.item(), 3 * np.exp(6.0), rtol=1e-6)


def test_relu_backward_gives_exact_zeros_where_masked_even_for_nan_grads():
    x = torch.tensor([-1.0, 0.0, 2.0, 3.0], requires_grad=True)
    y = x.relu()
    y.backward(torch.tensor([float("nan"), float("inf"), float("nan"), -2.0]))
    g = x.grad.numpy()
    assert g[0] == 0 and g[1] == 0 and np.isnan(g[2]) and g[3] == -2.0
