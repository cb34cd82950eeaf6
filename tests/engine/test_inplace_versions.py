"""In-place ops and version counters: leaf errors, the saved-tensor check, correct gradients.

The messages were read off the reference PyTorch, including which node a modified tensor is
reported as the output of.
"""

import re

import numpy as np
import pytest

import workbench.engine as torch


def val(t):
    return t.detach().numpy()


def leaf(dtype=None):
    return torch.tensor([1.0, 2.0], dtype=dtype, requires_grad=True)


def version_error(type_shape, which, actual, expected):
    where = f", which is output 0 of {which}," if which else ""
    return (
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{type_shape}]{where} is at version {actual}; expected version "
        f"{expected} instead. Hint: enable anomaly detection to find the operation that "
        "failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, "
        "check_nan=False)."
    )


def test_versions_count_in_place_ops():
    a = torch.ones(2)
    assert a._version == 0
    a.add_(1)
    a.mul_(2)
    assert a._version == 2
    a.view(2, 1).add_(1)  # through a view: the counter is shared
    assert a._version == 3
    b = a * 1
    assert b._version == 0


def test_in_place_on_a_leaf_that_requires_grad():
    a = leaf()
    with pytest.raises(
        RuntimeError,
        match=re.escape(
            "a leaf Variable that requires grad is being used in an in-place operation."
        ),
    ):
        a.add_(1)
    assert a._version == 0
    with torch.no_grad():
        a.add_(1)  # allowed without grad, and counted
    assert a._version == 1
    np.testing.assert_array_equal(val(a), [2, 3])


def test_in_place_on_a_non_leaf_keeps_gradients_right():
    a = leaf()
    b = a * 1
    b.add_(1)
    b.mul_(2)
    assert b._version == 2 and b.grad_fn.name() == "MulBackward0" and not b.is_leaf
    b.sum().backward()
    np.testing.assert_array_equal(val(a.grad), [2, 2])
    x = leaf()
    y = x * 1
    y.sin_()
    y.sum().backward()
    np.testing.assert_allclose(val(x.grad), np.cos([1.0, 2.0]), rtol=1e-6)


def test_in_place_with_an_operand_that_requires_grad():
    a, b = leaf(), leaf()
    c = torch.ones(2)
    c.mul_(b)  # c now has history
    assert c.requires_grad and c.grad_fn.name() == "MulBackward0"
    (c * a).sum().backward()
    np.testing.assert_array_equal(val(b.grad), [1, 2])
    np.testing.assert_array_equal(val(a.grad), [1, 2])


def _non_leaf_saved():
    x = leaf()
    y = x * 2
    z = y * y
    y.add_(1)  # y's history is now AddBackward0: that is what the message names
    return z, version_error("torch.FloatTensor [2]", "Add", 1, 0)


def _leaf_modified_under_no_grad():
    x = leaf()
    z = x * x
    with torch.no_grad():
        x.mul_(2)
    return z, version_error("torch.FloatTensor [2]", None, 1, 0)


def _output_saved_by_exp():
    x = leaf()
    e = x.exp()
    e.add_(1)  # exp saved its own output; the message names the node that saved it
    return e, version_error("torch.FloatTensor [2]", "Exp", 1, 0)


def _output_saved_by_exp_modified_later():
    x = leaf()
    e = x.exp()
    s = e.sum()
    e.mul_(2)
    return s, version_error("torch.FloatTensor [2]", "Exp", 1, 0)


def _sigmoid_output():
    x = leaf()
    y = x.sigmoid()
    y.mul_(1)
    return y, version_error("torch.FloatTensor [2]", "Sigmoid", 1, 0)


def _tanh_output_via_detach():
    x = leaf()
    y = x.tanh()
    s = y.sum()
    y.detach().add_(1)  # a detached alias shares the counter
    return s, version_error("torch.FloatTensor [2]", "Tanh", 1, 0)


def _constant_modified():
    c = torch.tensor([1.0, 2.0])
    z = leaf() * c
    c.add_(1)
    return z, version_error("torch.FloatTensor [2]", None, 1, 0)


def _double_2d():
    x = torch.tensor([[1.0, 2.0]], dtype=torch.float64, requires_grad=True)
    y = x * 1
    z = y.sin()
    y.mul_(3)
    y.mul_(3)
    return z, version_error("torch.DoubleTensor [1, 2]", "Mul", 2, 0)


@pytest.mark.parametrize(
    "case",
    [
        _non_leaf_saved,
        _leaf_modified_under_no_grad,
        _output_saved_by_exp,
        _output_saved_by_exp_modified_later,
        _sigmoid_output,
        _tanh_output_via_detach,
        _constant_modified,
        _double_2d,
    ],
)
def test_modified_saved_tensor_fails_backward(case):
    out, msg = case()
    with pytest.raises(RuntimeError, match="^" + re.escape(msg) + "$"):
        out.sum().backward()


def test_modifying_a_tensor_nobody_saved_is_fine():
    x = leaf()
    y = x * 2
    z = y.exp()  # saves its output, not y
    y.add_(1)
    z.sum().backward()
    np.testing.assert_allclose(val(x.grad), 2 * np.exp([2.0, 4.0]), rtol=1e-6)


@pytest.mark.parametrize(
    "make, other, msg",
    [
        (
            lambda: torch.tensor([1, 2]),
            1.5,
            "result type Float can't be cast to the desired output type Long",
        ),
        (
            lambda: torch.ones(2),
            torch.ones(2, 2),
            "output with shape [2] doesn't match the broadcast shape [2, 2]",
        ),
    ],
)
def test_in_place_result_must_fit(make, other, msg):
    with pytest.raises(RuntimeError, match="^" + re.escape(msg) + "$"):
        make().add_(other)
