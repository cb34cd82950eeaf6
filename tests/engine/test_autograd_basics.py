"""Autograd semantics: leaves, .grad, accumulation, backward()/autograd.grad, the grad_fn graph.

Every message and behaviour here was read off the reference PyTorch.
"""

import math
import re
import warnings

import numpy as np
import pytest

import workbench.engine as torch
from workbench.engine.autograd import engine as _engine

NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information."
)
SECOND_TIME = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)
NOT_LEAF_SET = "you can only change requires_grad flags of leaf variables."
DETACH_HINT = (
    " If you want to use a computed variable in a subgraph that doesn't require "
    "differentiation use var_no_grad = var.detach()."
)


def raises(exc, msg):
    return pytest.raises(exc, match="^" + re.escape(msg) + "$")


def val(t):
    return t.detach().numpy()


def leaf(*values):
    return torch.tensor(list(values), requires_grad=True)


# ----- leaves and non-leaves -----------------------------------------------------------------


def test_leaf_gets_grad_and_non_leaf_warns():
    a = leaf(1.0, 2.0, 3.0)
    b = a * 2
    assert a.is_leaf and not b.is_leaf
    assert a.grad_fn is None and b.grad_fn.name() == "MulBackward0"
    b.sum().backward()
    np.testing.assert_array_equal(val(a.grad), [2, 2, 2])
    with pytest.warns(UserWarning) as rec:
        assert b.grad is None
    assert str(rec[0].message) == NON_LEAF_GRAD


def test_retain_grad_fills_non_leaf_grad_without_warning():
    a = leaf(1.0, 2.0)
    c = a * 3
    assert not c.retains_grad
    c.retain_grad()
    c.retain_grad()  # twice is a no-op
    (c * c).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(val(c.grad), [6, 12])
    assert c.retains_grad and not a.retains_grad
    a.retain_grad()  # a no-op on leaves
    assert not a.retains_grad


def test_retain_grad_needs_requires_grad():
    with raises(RuntimeError, "can't retain_grad on Tensor that has requires_grad=False"):
        torch.zeros(2).retain_grad()


def test_tensors_without_history_are_leaves():
    assert torch.ones(2).is_leaf and (torch.ones(2) * 2).is_leaf
    with torch.no_grad():
        z = leaf(1.0) * 2
    assert z.is_leaf and not z.requires_grad and z.grad_fn is None


@pytest.mark.parametrize("value, msg", [(False, NOT_LEAF_SET + DETACH_HINT), (True, NOT_LEAF_SET)])
def test_requires_grad_setter_on_non_leaf(value, msg):
    b = leaf(1.0) * 2
    with raises(RuntimeError, msg):
        b.requires_grad = value


def test_requires_grad_underscore_on_non_leaf():
    b = leaf(1.0) * 2
    assert b.requires_grad_() is b and b.requires_grad
    with raises(RuntimeError, NOT_LEAF_SET + DETACH_HINT):
        b.requires_grad_(False)


def test_requires_grad_on_integer_tensors():
    i = torch.tensor([1, 2])
    with raises(
        RuntimeError, "only Tensors of floating point and complex dtype can require gradients"
    ):
        i.requires_grad = True
    with raises(RuntimeError, "only Tensors of floating point dtype can require gradients"):
        i.requires_grad_()
    i.requires_grad = False
    assert i.requires_grad_(False) is i and not i.requires_grad


def test_requires_grad_toggles_on_leaves():
    x = torch.zeros(2)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad


def test_detach_shares_data_and_version_counter():
    x = torch.ones(3, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d.add_(1)
    np.testing.assert_array_equal(val(x), [2, 2, 2])
    assert x._version == d._version == 1
    y = x * 2
    yd = y.detach()
    assert yd.is_leaf and not yd.requires_grad


def test_detach_in_place():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None
    assert not torch.ones(2, requires_grad=True).detach_().requires_grad


def test_detach_in_place_refuses_views():
    with pytest.raises(
        RuntimeError,
        match=r"^Can't detach views in-place\. Use detach\(\) "
        r"instead\. If you are using DistributedDataParallel",
    ):
        torch.ones(2, requires_grad=True).view(1, 2).detach_()


def test_data_is_a_detached_alias():
    x = torch.ones(2, requires_grad=True)
    xd = x.data
    assert not xd.requires_grad and xd.is_leaf
    xd.mul_(3)
    np.testing.assert_array_equal(val(x), [3, 3])
    x.data = torch.zeros(2)
    np.testing.assert_array_equal(val(x), [0, 0])
    assert x.requires_grad and x.is_leaf


def test_numpy_refuses_tensors_that_require_grad():
    msg = "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
    x = torch.ones(2, requires_grad=True)
    for t in (x, x * 2):
        with raises(RuntimeError, msg):
            t.numpy()
    assert isinstance(x.detach().numpy(), np.ndarray)


# ----- accumulation and freeing ---------------------------------------------------------------


def test_backward_twice_with_retain_graph_accumulates():
    w = leaf(1.0, 2.0)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(val(w.grad), [4, 8])


@pytest.mark.parametrize(
    "make",
    [
        lambda w: (w * w).sum(),
        lambda w: w.exp().sum(),
        lambda w: w.sin().sum(),
        lambda w: (w * 2).sum(),  # saves the scalar operand, as PyTorch's MulBackward0 does
    ],
    ids=["mul", "exp", "sin", "mul_scalar"],
)
def test_second_backward_without_retain_graph_raises(make):
    w = leaf(1.0, 2.0)
    loss = make(w)
    loss.backward()
    with raises(RuntimeError, SECOND_TIME):
        loss.backward()


def test_second_backward_works_when_nothing_was_saved():
    w = leaf(1.0, 2.0)
    loss = (w + w).sum()
    loss.backward()
    loss.backward()
    np.testing.assert_array_equal(val(w.grad), [4, 4])


def test_saved_tensors_are_freed_after_backward():
    w = leaf(1.0)
    y = w.exp()
    y.backward()
    with raises(RuntimeError, SECOND_TIME):
        y.grad_fn.saved_tensors  # noqa: B018


def test_grad_can_be_zeroed_and_reset():
    w = leaf(1.0, 2.0)
    (w * 3).sum().backward()
    g = w.grad
    w.grad.zero_()
    np.testing.assert_array_equal(val(w.grad), [0, 0])
    (w * 3).sum().backward()
    assert w.grad is g  # accumulated in place
    np.testing.assert_array_equal(val(g), [3, 3])
    w.grad = None
    assert w.grad is None
    (w * 3).sum().backward()
    np.testing.assert_array_equal(val(w.grad), [3, 3])


GRAD_DTYPE = (
    "attempting to assign a gradient with dtype '{}' to a tensor with grad_dtype '{}'. The "
    "gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). You can set "
    "the tensor's grad_dtype attribute with a specific dtype, or None to allow any dtype. Set "
    "grad_dtype with caution. Diverging the dtypes of a tensor and its gradient may break "
    "downstream systems that assume they match."
)


@pytest.mark.parametrize(
    "w_dtype, value, exc, msg",
    [
        (
            torch.float32,
            torch.ones(3),
            RuntimeError,
            "attempting to assign a gradient of size '[3]' "
            "to a tensor of size '[2]'. Please ensure that the gradient and the tensor are the same "
            "size",
        ),
        (
            torch.float32,
            torch.ones(2, dtype=torch.float64),
            RuntimeError,
            GRAD_DTYPE.format("double", "Float"),
        ),
        (torch.float64, torch.ones(2), RuntimeError, GRAD_DTYPE.format("float", "Double")),
        (
            torch.float64,
            torch.ones(2, dtype=torch.int64),
            RuntimeError,
            GRAD_DTYPE.format("long int", "Double"),
        ),
        (
            torch.float32,
            3.0,
            TypeError,
            "assigned grad expected to be a Tensor or None but got grad of type float",
        ),
    ],
)
def test_grad_setter_checks(w_dtype, value, exc, msg):
    w = torch.ones(2, dtype=w_dtype, requires_grad=True)
    with raises(exc, msg):
        w.grad = value


# ----- backward() ---------------------------------------------------------------------------


def test_implicit_grad_needs_a_scalar():
    y = leaf(1.0, 2.0) * 2
    with raises(RuntimeError, "grad can be implicitly created only for scalar outputs"):
        y.backward()
    with raises(RuntimeError, "grad can be implicitly created only for scalar outputs"):
        torch.autograd.grad(y, y)


def test_backward_with_gradient_is_a_vector_jacobian_product():
    x = leaf(1.0, 2.0, 3.0)
    (x * x).backward(torch.tensor([1.0, 0.1, 0.01]))
    np.testing.assert_allclose(val(x.grad), [2.0, 0.4, 0.06], rtol=1e-6)


@pytest.mark.parametrize("shape", [(2,), (3, 1)])
def test_backward_gradient_of_the_wrong_shape(shape):
    y = leaf(1.0, 2.0, 3.0) * 2
    msg = (
        f"Mismatch in shape: grad_output[0] has a shape of torch.Size({list(shape)}) and "
        "output[0] has a shape of torch.Size([3])."
    )
    with raises(RuntimeError, msg):
        y.backward(torch.ones(*shape))


@pytest.mark.parametrize(
    "call, k",
    [
        (lambda: torch.ones(2).sum().backward(), 0),
        (lambda: torch.tensor(3).backward(), 0),  # an integer tensor: the same message
        (lambda: torch.autograd.backward([leaf(1.0).sum(), torch.ones(2).sum()]), 1),
        (lambda: torch.autograd.grad(torch.ones(2).sum(), leaf(1.0)), 0),
    ],
)
def test_backward_of_a_tensor_that_does_not_require_grad(call, k):
    with raises(
        RuntimeError, f"element {k} of tensors does not require grad and does not have a grad_fn"
    ):
        call()


def test_backward_inputs_restricts_accumulation():
    a, b = leaf(1.0, 2.0), leaf(3.0, 4.0)
    out = (a * b * a).sum()
    out.backward(inputs=[b], retain_graph=True)
    assert a.grad is None
    np.testing.assert_array_equal(val(b.grad), [1, 4])
    out.backward(inputs=a)  # a single tensor
    np.testing.assert_array_equal(val(a.grad), [6, 16])
    np.testing.assert_array_equal(val(b.grad), [1, 4])


def test_backward_inputs_with_a_non_leaf_retains_its_grad():
    a, b = leaf(1.0, 2.0), leaf(3.0, 4.0)
    h = a * b
    out = (h * a).sum()
    out.backward(inputs=[a, h], retain_graph=True)
    assert h.retains_grad and b.grad is None
    np.testing.assert_array_equal(val(h.grad), [1, 2])
    np.testing.assert_array_equal(val(a.grad), [6, 16])
    out.backward()  # h keeps accumulating, as after retain_grad()
    np.testing.assert_array_equal(val(h.grad), [2, 4])
    np.testing.assert_array_equal(val(b.grad), [1, 4])


@pytest.mark.parametrize(
    "inputs, msg",
    [
        ([], "`inputs` argument to `backward()` cannot be empty."),
        ([torch.ones(2)], "can't retain_grad on Tensor that has requires_grad=False"),
    ],
)
def test_backward_inputs_errors(inputs, msg):
    out = (leaf(1.0) * 2).sum()
    with raises(RuntimeError, msg):
        out.backward(inputs=inputs)
    with raises(RuntimeError, msg):
        torch.autograd.backward(out, inputs=inputs)


def test_autograd_backward_with_several_roots():
    a, b = leaf(1.0, 2.0), leaf(3.0, 4.0)
    torch.autograd.backward([(a * b).sum(), (a * a).sum()])
    np.testing.assert_array_equal(val(a.grad), [5, 8])
    np.testing.assert_array_equal(val(b.grad), [1, 2])
    a.grad = None
    torch.autograd.backward([a * b, a], [torch.ones(2), torch.tensor([10.0, 10.0])])
    np.testing.assert_array_equal(val(a.grad), [13, 14])


def test_create_graph_backward_warns_once_about_the_reference_cycle():
    _engine._warned_cycle[0] = False
    x = leaf(1.0, 2.0)
    with pytest.warns(
        UserWarning,
        match=r"^Using backward\(\) with create_graph=True will "
        r"create a reference cycle",
    ) as rec:
        (x * x).sum().backward(create_graph=True)
        (x * x).sum().backward(create_graph=True)
        torch.autograd.grad((x * x).sum(), x, create_graph=True)
    assert sum("reference cycle" in str(w.message) for w in rec) == 1


# ----- autograd.grad ------------------------------------------------------------------------


def test_grad_returns_a_tuple_and_leaves_grad_alone():
    a, b = leaf(1.0, 2.0), leaf(3.0, 4.0)
    out = (a**2 * b).sum()
    ga, gb = torch.autograd.grad(out, [a, b], retain_graph=True)
    np.testing.assert_array_equal(val(ga), [6, 16])
    np.testing.assert_array_equal(val(gb), [1, 4])
    (g,) = torch.autograd.grad(out, a)
    np.testing.assert_array_equal(val(g), [6, 16])
    assert a.grad is None and b.grad is None


def test_grad_with_grad_outputs_and_several_outputs():
    a, b = leaf(1.0, 2.0), leaf(3.0, 4.0)
    (g,) = torch.autograd.grad(a * b, a, grad_outputs=torch.tensor([1.0, 2.0]))
    np.testing.assert_array_equal(val(g), [3, 8])
    (g,) = torch.autograd.grad(
        [a * b, a * a], [a], grad_outputs=[torch.tensor([1.0, 2.0]), torch.ones(2)]
    )
    np.testing.assert_array_equal(val(g), [5, 12])
    (g,) = torch.autograd.grad([a.sum(), (a * 2).sum()], [a])
    np.testing.assert_array_equal(val(g), [3, 3])


def test_grad_wrong_grad_output_shape():
    a = leaf(1.0, 2.0)
    with raises(
        RuntimeError,
        "Mismatch in shape: grad_output[0] has a shape of "
        "torch.Size([3]) and output[0] has a shape of torch.Size([2]).",
    ):
        torch.autograd.grad(a * 2, a, torch.ones(3))


def test_grad_allow_unused_and_materialize_grads():
    a, c = leaf(1.0, 2.0), leaf(1.0, 1.0)
    out = (a * a).sum()
    with raises(
        RuntimeError,
        "The differentiated Tensor at index 1 appears to not have been "
        "used in the graph. Set allow_unused=True if this is the desired "
        "behavior.",
    ):
        torch.autograd.grad(out, [a, c], retain_graph=True)
    ga, gc = torch.autograd.grad(out, [a, c], retain_graph=True, allow_unused=True)
    assert gc is None
    ga, gc = torch.autograd.grad(out, [a, c], retain_graph=True, materialize_grads=True)
    np.testing.assert_array_equal(val(gc), [0, 0])
    with raises(
        ValueError,
        "Expected allow_unused to be True or not passed when "
        "materialize_grads=True, but got: allow_unused=False.",
    ):
        torch.autograd.grad(out, [a, c], materialize_grads=True, allow_unused=False)


def test_grad_of_inputs_that_do_not_require_grad():
    with raises(RuntimeError, "One of the differentiated Tensors does not require grad"):
        torch.autograd.grad(leaf(1.0).sum(), [torch.ones(1)])


def test_grad_frees_the_graph_unless_retained():
    a = leaf(1.0, 2.0)
    out = a.exp().sum()
    torch.autograd.grad(out, a)
    with raises(RuntimeError, SECOND_TIME):
        torch.autograd.grad(out, a)


def test_grad_with_respect_to_intermediates():
    a, b = leaf(1.0, 2.0), leaf(3.0, 4.0)
    m = a * b
    (g,) = torch.autograd.grad(m.exp().sum(), m, retain_graph=True)
    np.testing.assert_allclose(val(g), np.exp([3.0, 8.0]), rtol=1e-6)
    gm, ga = torch.autograd.grad((m * a).sum(), [m, a])
    np.testing.assert_array_equal(val(gm), [1, 2])
    np.testing.assert_array_equal(val(ga), [6, 16])
    # a fresh `a * b` is another node, not used by the output
    with pytest.raises(RuntimeError, match="index 0 appears to not have been used"):
        torch.autograd.grad(((a * b) * 2).sum(), [a * b])


def test_grad_create_graph_gives_differentiable_grads():
    a = leaf(1.0, 2.0)
    (g,) = torch.autograd.grad((a**3).sum(), a, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    np.testing.assert_array_equal(val(g), [3, 12])


# ----- the grad_fn graph ----------------------------------------------------------------------


def test_tutorial_graph_walk():
    a = torch.linspace(0.0, 2.0 * math.pi, steps=25, requires_grad=True)
    b = torch.sin(a)
    c = 2 * b
    d = c + 1
    out = d.sum()
    assert "requires_grad=True" in repr(a)
    for t, name in [
        (b, "SinBackward0"),
        (c, "MulBackward0"),
        (d, "AddBackward0"),
        (out, "SumBackward0"),
    ]:
        assert f"grad_fn=<{name}>" in repr(t)
    add = out.grad_fn.next_functions[0][0]
    assert add.name() == "AddBackward0"
    assert add.next_functions[1] == (None, 0)  # the Python scalar 1
    mul = add.next_functions[0][0]
    assert mul.name() == "MulBackward0"
    sin = next(n for n, _ in mul.next_functions if n is not None)
    assert sin is b.grad_fn and sin.name() == "SinBackward0"
    acc, nr = sin.next_functions[0]
    assert type(acc).__name__ == "AccumulateGrad" and nr == 0
    assert acc.name() == "torch::autograd::AccumulateGrad"
    assert acc.variable is a and acc.next_functions == ()
    out.backward()
    np.testing.assert_allclose(val(a.grad), 2 * np.cos(val(a)), atol=1e-6)


def test_next_functions_structure():
    x = torch.ones(2, 3, requires_grad=True)
    y = x * torch.ones(2, 3)
    z = y.exp()
    nf = z.grad_fn.next_functions
    assert type(nf) is tuple and nf == ((y.grad_fn, 0),)
    assert y.grad_fn.next_functions[1] == (None, 0)
    acc = y.grad_fn.next_functions[0][0]
    assert z.grad_fn is z.grad_fn and (x * 1).grad_fn.next_functions[0][0] is acc


def test_node_metadata_and_sequence_numbers():
    x = torch.ones(2, 3, requires_grad=True)
    y = x * 2
    z = y.exp()
    w = z.sum()
    meta = y.grad_fn.metadata
    assert tuple(meta["shape"]) == (2, 3) and meta["module"] is None
    assert str(meta["dtype"]) in ("float32", "torch.float32")
    seqs = [t.grad_fn._sequence_nr() for t in (y, z, w)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert [t.grad_fn.metadata["sequence_nr"] for t in (y, z, w)] == seqs
    y.grad_fn.metadata["note"] = "mine"  # free for the user, as in PyTorch
    assert y.grad_fn.metadata["note"] == "mine"


def test_saved_tensors_by_position():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    z = x.exp()
    saved = z.grad_fn._saved_0
    np.testing.assert_allclose(val(saved), np.exp([1.0, 2.0]), rtol=1e-6)
    s = x.sin()
    assert s.grad_fn._saved_0 is x
    with pytest.raises(AttributeError):
        s.grad_fn._saved_9  # noqa: B018


def test_node_repr_and_output_nr():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    assert re.fullmatch(r"<MulBackward0 object at 0x[0-9a-f]+>", repr(y.grad_fn))
    assert y.output_nr == 0 and x.output_nr == 0
