"""The backward engine at scale and its bookkeeping: deep graphs, order, freed buffers."""

from __future__ import annotations

import gc
import sys
import weakref

import numpy as np
import pytest

import workbench.engine as torch


def test_a_100000_node_chain_backwards_without_recursion():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(50_000):  # two nodes per step
        y = y * 1.0 + 0.0
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # the engine must not lean on a deep Python stack
    try:
        y.sum().backward()
    finally:
        sys.setrecursionlimit(limit)
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    del y  # dropping a deep graph must not recurse either


def test_nodes_run_newest_first():
    order = []
    a = torch.tensor(1.0, requires_grad=True)
    b = a * 2  # MulBackward0, created first
    c = a.exp()  # ExpBackward0, created second
    out = b + c
    for t, name in ((b, "mul"), (c, "exp"), (out, "add")):
        t.grad_fn.register_prehook(lambda g, name=name: order.append(name))
    out.backward()
    assert order == ["add", "exp", "mul"]


def test_every_gradient_arrives_before_a_node_runs():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    shared = a * 3
    seen = []
    shared.register_hook(lambda g: seen.append(g.clone()))
    (shared.sin() + shared * shared + shared.exp()).sum().backward()
    assert len(seen) == 1  # one call with the summed gradient, not one per use
    s = shared.detach().numpy()
    np.testing.assert_allclose(seen[0].numpy(), np.cos(s) + 2 * s + np.exp(s), rtol=1e-6)


def test_saved_buffers_are_freed_after_backward():
    a = torch.randn(3, requires_grad=True)
    big = torch.randn(3)
    ref = weakref.ref(big)
    out = (a * big).sum()
    del big
    gc.collect()
    assert ref() is not None  # the graph keeps it for backward
    out.backward()
    gc.collect()
    assert ref() is None  # ...and lets it go afterwards (retain_graph=False)


def test_a_dropped_graph_is_collected():
    a = torch.randn(3, requires_grad=True)
    out = (a * 2).exp().sum()
    node = weakref.ref(out.grad_fn)
    del out
    gc.collect()
    assert node() is None


def test_leaf_grads_go_nowhere_once_the_leaf_is_gone():
    a = torch.randn(3, requires_grad=True)
    out = (a + 2).sum()  # add saves nothing, so only the user holds the leaf
    acc = out.grad_fn.next_functions[0][0].next_functions[0][0]
    assert acc.variable is a
    del a
    gc.collect()
    assert acc.variable is None
    out.backward()  # nothing to accumulate into, and no error


@pytest.mark.parametrize("create_graph", [False, True])
def test_first_order_result_is_the_same_in_both_engine_modes(create_graph):
    x = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64, requires_grad=True)
    y = ((x * x / (x + 3.0)).exp() - x.tanh() * 2.0).relu().sum()
    (g,) = torch.autograd.grad(y, x, create_graph=create_graph)
    xs = x.detach().numpy()
    inner = xs * xs / (xs + 3)
    val = np.exp(inner) - 2 * np.tanh(xs)
    d_inner = (2 * xs * (xs + 3) - xs * xs) / (xs + 3) ** 2
    expected = np.where(val > 0, np.exp(inner) * d_inner - 2 * (1 - np.tanh(xs) ** 2), 0.0)
    np.testing.assert_allclose(g.detach().numpy(), expected, rtol=1e-12)
    assert (g.grad_fn is not None) == create_graph


def test_grad_never_aliases_what_the_user_holds():
    a = torch.randn(3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    v = torch.ones(3)
    a.backward(v)  # the user's gradient becomes .grad: it must be a copy
    v.add_(1.0)
    np.testing.assert_array_equal(a.grad.numpy(), np.ones(3, np.float32))
    a.grad = None
    (a + b).sum().backward()  # one gradient array reaches both leaves
    a.grad.add_(1.0)
    np.testing.assert_array_equal(b.grad.numpy(), np.ones(3, np.float32))


def test_a_fresh_gradient_is_taken_over_not_copied():
    made = []

    class Double(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            out = g * 2  # a fresh array, which nothing else holds once backward hands it on
            made.append(weakref.ref(out.detach().numpy()))
            return out

    for plain in (True, False):  # loss.backward()'s lean loop, then the general one
        x = torch.randn(3, requires_grad=True)
        made.clear()
        loss = Double.apply(x).sum()
        loss.backward() if plain else torch.autograd.backward(loss)
        assert x.grad.numpy() is made[0]()  # the very array: taken over, not copied
    layer = torch.nn.Linear(5, 3)
    (layer(torch.randn(4, 5)) ** 2).sum().backward()
    assert not np.shares_memory(layer.weight.grad.numpy(), layer.bias.grad.numpy())


def test_backward_leaves_the_cyclic_collector_as_it_found_it():
    x = torch.randn(3, requires_grad=True)
    assert gc.isenabled()
    (x * 2).sum().backward()
    assert gc.isenabled()
    gc.disable()
    try:
        (x * 2).sum().backward()
        assert not gc.isenabled()
    finally:
        gc.enable()
    y = x * 2

    def fail(grad):
        raise ValueError("from a hook")

    y.register_hook(fail)
    with pytest.raises(ValueError, match="from a hook"):
        y.sum().backward()  # an error in the middle of the pass restores it too
    assert gc.isenabled()
