"""Hooks: Tensor.register_hook, Node.register_hook / register_prehook, post-accumulate hooks.

Order, arguments and messages were read off the reference PyTorch.
"""

import re

import numpy as np
import pytest

import workbench.engine as torch


def val(t):
    return t.detach().numpy()


def leaf():
    return torch.tensor([1.0, 2.0], requires_grad=True)


def raises(exc, msg):
    return pytest.raises(exc, match="^" + re.escape(msg) + "$")


def test_tensor_hooks_see_and_replace_grads_in_order():
    log = []
    x = leaf()
    x.register_hook(lambda g: log.append(("x", val(g).tolist())) or g * 10)
    y = x * 3
    y.register_hook(lambda g: log.append(("y", val(g).tolist())) or g + 1)
    y.retain_grad()  # retain_grad runs after every tensor hook, whatever the order
    y.register_hook(lambda g: log.append(("y2", val(g).tolist())))
    y.sum().backward()
    assert log == [("y", [1, 1]), ("y2", [2, 2]), ("x", [6, 6])]
    np.testing.assert_array_equal(val(y.grad), [2, 2])
    np.testing.assert_array_equal(val(x.grad), [60, 60])


def test_retain_grad_sees_hooks_registered_after_it():
    x = leaf()
    z = x * 2
    z.retain_grad()
    z.register_hook(lambda g: g * 100)
    z.sum().backward()
    np.testing.assert_array_equal(val(z.grad), [100, 100])
    np.testing.assert_array_equal(val(x.grad), [200, 200])


def test_handles_remove_hooks():
    log = []
    x = leaf()
    h1 = x.register_hook(lambda g: log.append("x"))
    y = x * 3
    h2 = y.register_hook(lambda g: log.append("y"))
    assert type(h1).__name__ == "RemovableHandle"
    h1.remove()
    h2.remove()
    h2.remove()  # twice is fine
    y.sum().backward()
    assert log == []
    with x.register_hook(lambda g: g * 0):
        pass  # a handle is a context manager that removes on exit
    x.grad = None
    (x * 1).sum().backward()
    np.testing.assert_array_equal(val(x.grad), [1, 1])


def test_leaf_hooks_run_for_autograd_grad_too():
    log = []
    q = leaf()
    q.register_hook(lambda g: log.append("q") or g * 2)
    (g,) = torch.autograd.grad((q * q).sum(), q)
    np.testing.assert_array_equal(val(g), [4, 8])
    assert log == ["q"] and q.grad is None


def test_hook_on_a_tensor_that_does_not_require_grad():
    msg = "cannot register a hook on a tensor that doesn't require gradient"
    with raises(RuntimeError, msg):
        torch.ones(2).register_hook(lambda g: g)
    with raises(RuntimeError, msg):
        torch.ones(2).register_post_accumulate_grad_hook(lambda t: None)


@pytest.mark.parametrize("on_leaf", [True, False], ids=["leaf", "non_leaf"])
@pytest.mark.parametrize(
    "bad, msg",
    [
        (lambda g: torch.ones(3), "hook '<lambda>' has changed the size of value"),
        (
            lambda g: g.double(),
            "hook '<lambda>' has changed the type of value (was "
            "torch.FloatTensor got torch.DoubleTensor)",
        ),
    ],
    ids=["size", "type"],
)
def test_hook_results_are_checked(on_leaf, bad, msg):
    x = torch.ones(2, requires_grad=True)
    t = x if on_leaf else x * 2
    t.register_hook(bad)
    with raises(RuntimeError, msg):
        (t * 2).sum().backward()


def test_hook_without_a_name():
    class Hook:
        def __call__(self, g):
            return torch.ones(3)

    y = leaf() * 2
    y.register_hook(Hook())
    with raises(RuntimeError, "hook '<unknown>' has changed the size of value"):
        y.sum().backward()


def test_node_hooks_see_grad_inputs_and_outputs():
    log = []
    x = leaf()
    a = x * 2
    b = a.exp()

    def post(grad_inputs, grad_outputs):
        log.append(
            (
                "post",
                [val(g).tolist() for g in grad_inputs],
                [val(g).tolist() for g in grad_outputs],
            )
        )

    def pre(grad_outputs):
        log.append(("pre", [val(g).tolist() for g in grad_outputs]))

    b.grad_fn.register_hook(post)
    b.grad_fn.register_prehook(pre)
    b.sum().backward(retain_graph=True)
    e = np.exp([2.0, 4.0])
    assert [entry[0] for entry in log] == ["pre", "post"]
    assert log[0][1] == [[1, 1]] and log[1][2] == [[1, 1]]
    np.testing.assert_allclose(log[1][1], [e], rtol=1e-6)

    def zero_first(grad_inputs, grad_outputs):  # MulBackward0 has two inputs: x and the 2
        assert grad_inputs[1] is None
        return grad_inputs[0] * 0, None

    h = a.grad_fn.register_hook(zero_first)
    x.grad = None
    b.sum().backward(retain_graph=True)
    np.testing.assert_array_equal(val(x.grad), [0, 0])
    h.remove()
    b.grad_fn.register_prehook(lambda go: (go[0] * 2,))
    x.grad = None
    log.clear()
    b.sum().backward()
    np.testing.assert_allclose(val(x.grad), 4 * e, rtol=1e-6)
    assert log[0] == ("pre", [[1, 1]])  # hooks see the value before later prehooks change it


@pytest.mark.parametrize(
    "register, hook, exc, msg",
    [
        (
            "register_prehook",
            lambda go: (go[0], go[0]),
            RuntimeError,
            "hook '<lambda>' has returned an incorrect number of values (got 2, but expected 1)",
        ),
        (
            "register_hook",
            lambda gi, go: (gi[0],),
            RuntimeError,
            "hook '<lambda>' has returned an incorrect number of values (got 1, but expected 2)",
        ),
        (
            "register_hook",
            lambda gi, go: (torch.ones(3), None),
            RuntimeError,
            "hook '<lambda>' has changed the size of value",
        ),
        ("register_hook", lambda gi, go: 5, TypeError, "expected tuple, but hook returned 'int'"),
    ],
)
def test_node_hook_results_are_checked(register, hook, exc, msg):
    y = torch.ones(2, requires_grad=True) * 2
    getattr(y.grad_fn, register)(hook)
    with raises(exc, msg):
        y.sum().backward()


def test_accumulate_grad_node_hooks():
    log = []
    x = leaf()
    acc = (x * 1).grad_fn.next_functions[0][0]
    acc.register_prehook(lambda go: log.append(("pre", val(go[0]).tolist())))
    acc.register_hook(lambda gi, go: log.append(("post", gi, val(go[0]).tolist())))
    (x * 1).sum().backward()
    assert log == [("pre", [1, 1]), ("post", (), [1, 1])]


def test_post_accumulate_grad_hook():
    log = []
    w = leaf()
    w.register_post_accumulate_grad_hook(
        lambda p: log.append(("post", p is w, val(p.grad).tolist()))
    )
    w.register_hook(lambda g: log.append(("hook", val(g).tolist())))
    (w * 5).sum().backward()
    (w * 5).sum().backward()
    assert log == [
        ("hook", [5, 5]),
        ("post", True, [5, 5]),
        ("hook", [5, 5]),
        ("post", True, [10, 10]),
    ]
    with raises(
        RuntimeError, "post accumulate grad hooks cannot be registered on non-leaf tensors"
    ):
        (w * 2).register_post_accumulate_grad_hook(lambda p: None)


def test_hooks_under_create_graph_see_differentiable_grads():
    x = leaf()
    seen = []
    y = x**2
    y.register_hook(lambda g: seen.append(g.requires_grad))
    (g,) = torch.autograd.grad((y * x).sum(), x, create_graph=True)
    assert seen == [True]
    np.testing.assert_array_equal(val(g), [3, 12])
