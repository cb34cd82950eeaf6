"""`loss.backward()` takes the engine's lean loop (`backward_plain`); `autograd.backward(loss)`
takes the general one (`run_backward`). Both must leave the same gradients, run hooks the same
way and visit the nodes in the same order."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench.engine as torch
from workbench.engine.autograd import engine

UNARY = [torch.tanh, torch.sin, lambda t: t * 2.0, lambda t: t.relu(), lambda t: t**2]
BINARY = [torch.add, torch.sub, torch.mul, lambda a, b: a * b + a]


def build(seed, leaves, steps):
    """A random graph over shared leaves: ops reuse earlier results, so gradients meet, and
    some use both outputs of a split."""
    rng = np.random.default_rng(seed)
    vals = list(leaves)
    for _ in range(steps):
        kind = rng.integers(3)
        a = vals[rng.integers(len(vals))]
        if kind == 0:
            vals.append(UNARY[rng.integers(len(UNARY))](a))
        elif kind == 1:
            b = vals[rng.integers(len(vals))]
            vals.append(BINARY[rng.integers(len(BINARY))](a, b))
        else:
            lo, hi = a.split(2, dim=0)
            vals.append(torch.cat([hi, lo]))
    return sum(v.sum() for v in vals[len(leaves) :]) if len(vals) > len(leaves) else None


def run(seed, steps, plain):
    torch.manual_seed(seed)
    leaves = [torch.randn(4, 3, dtype=torch.float64, requires_grad=True) for _ in range(3)]
    order = []
    for i, leaf in enumerate(leaves):
        leaf.register_post_accumulate_grad_hook(lambda p, i=i: order.append(i))
    loss = build(seed, leaves, steps)
    if plain:
        loss.backward()
    else:
        torch.autograd.backward(loss)
    return [leaf.grad for leaf in leaves], order


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), steps=st.integers(1, 12))
def test_plain_and_general_loops_agree(seed, steps):
    grads, order = run(seed, steps, plain=True)
    ref, ref_order = run(seed, steps, plain=False)
    for g, r in zip(grads, ref):
        assert (g is None) == (r is None)
        if g is not None:
            np.testing.assert_array_equal(g.numpy(), r.numpy())
    assert order == ref_order  # leaves run last, in the order their first gradient came


def test_plain_loop_is_the_one_loss_backward_takes(monkeypatch):
    calls = []
    real = engine._plain_loop
    monkeypatch.setattr(engine, "_plain_loop", lambda *a: (calls.append(1), real(*a)))
    x = torch.randn(3, requires_grad=True)
    (x * x).sum().backward()
    assert calls == [1]
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy())
    # what it does not handle goes to the general loop
    monkeypatch.setattr(engine, "_warned_cycle", [True])  # create_graph's once-only warning
    (x * x).sum().backward(create_graph=True)
    (x * x).backward(torch.ones(3))
    y = x * 1.0
    (y * y).sum().backward(inputs=[x])
    assert calls == [1]


def test_a_leaf_used_twice_gets_the_sum_taken_over():
    w = torch.randn(3, requires_grad=True)
    (w * 2.0 + w * 3.0).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.full(3, 5.0, np.float32))
    before = w.grad
    (w * 2.0 + w * 3.0).sum().backward()  # accumulates in place into the same .grad
    assert w.grad is before
    np.testing.assert_array_equal(w.grad.numpy(), np.full(3, 10.0, np.float32))


def test_hooks_in_the_plain_loop_see_and_replace_gradients():
    x = torch.randn(4, requires_grad=True)
    seen = []
    y = x * 2.0
    y.register_hook(lambda g: seen.append(g.clone()) or g * 10)
    x.register_hook(lambda g: g + 1)
    y.grad_fn.register_hook(lambda gi, go: seen.append(("post", len(gi))))
    (y * 1.0).sum().backward()
    assert len(seen) == 2 and seen[1] == ("post", 2)  # MulBackward0: x's and 2.0's
    np.testing.assert_array_equal(seen[0].numpy(), np.ones(4, np.float32))
    np.testing.assert_array_equal(x.grad.numpy(), np.full(4, 21.0, np.float32))


def test_a_kept_hook_gradient_is_not_handed_over_as_grad():
    """A leaf hook that keeps its gradient: .grad must not be that same array, or a later
    in-place accumulation would change what the hook kept."""
    w = torch.randn(3, requires_grad=True)
    kept = []
    w.register_hook(lambda g: kept.append(g))
    (w * 2.0 + w * 3.0).sum().backward()
    (w * 2.0 + w * 3.0).sum().backward()
    np.testing.assert_array_equal(kept[0].numpy(), np.full(3, 5.0, np.float32))
    np.testing.assert_array_equal(w.grad.numpy(), np.full(3, 10.0, np.float32))


def test_second_backward_without_retain_graph_raises():
    x = torch.randn(3, requires_grad=True)
    loss = (x.exp() * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(
        x.grad.numpy(), 2 * (x.detach().exp() * (x.detach() + 1)).numpy(), rtol=1e-6
    )
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_user_code_in_the_plain_loop_runs_with_grad_off():
    """The lean loop switches grad mode off only when a hook or a Tensor-mode backward is
    about to run; each of them must see it off, and the caller's mode must come back."""

    class Twice(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            seen.append(("function", torch.is_grad_enabled()))
            return g * 2

    seen = []
    w = torch.randn(3, requires_grad=True)
    w.register_hook(lambda g: seen.append(("leaf", torch.is_grad_enabled())))
    w.register_post_accumulate_grad_hook(lambda p: seen.append(("post", torch.is_grad_enabled())))
    y = Twice.apply(w * 1.0)
    y.register_hook(lambda g: seen.append(("tensor", torch.is_grad_enabled())))
    y.sum().backward()
    assert sorted(seen) == [
        ("function", False),
        ("leaf", False),
        ("post", False),
        ("tensor", False),
    ]
    assert torch.is_grad_enabled()
    loss = (w * 2.0).sum()
    with torch.no_grad():
        loss.backward()
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()


def test_a_backward_that_raises_leaves_its_node_handing_out_tensors():
    x = torch.randn(3, requires_grad=True)
    y = x * 1.0
    z = y.exp()  # ExpBackward0 saves its output
    node = z.grad_fn
    with torch.no_grad():
        z.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
    assert node._as_arrays is False  # outside a backward, saved values are Tensors again
    w = torch.randn(3, requires_grad=True)
    v = w.exp()
    v.sum().backward(retain_graph=True)
    assert isinstance(v.grad_fn._saved_0, torch.Tensor)
