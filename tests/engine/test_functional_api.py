"""torch.autograd.functional: jacobian, hessian, vjp, jvp, vhp, hvp.

Values against analytic Jacobians and Hessians and against finite differences; return
structures and shapes as PyTorch gives them; create_graph; strict mode and the other errors with
PyTorch's messages (read from PyTorch 2.13); the batched (vectorize) path against PyTorch's
row-by-row loop, including ops whose backward cannot take a batch; the tutorial's examples.
"""

from __future__ import annotations

import numpy as np
import pytest

import workbench.engine as torch
from workbench.engine.autograd import functional as F
from workbench.engine.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp

RNG = np.random.default_rng(0)


def t64(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


def rand(*shape):
    return t64(RNG.uniform(0.5, 1.5, size=shape))


def hessian_20(v):
    return (v.sin() * v.exp()).sum() + (v @ v) ** 2


def hessian_20_analytic(v):
    s = v @ v
    return np.diag(2 * np.exp(v) * np.cos(v)) + 4 * s * np.eye(len(v)) + 8 * np.outer(v, v)


@pytest.fixture
def engine_loop(monkeypatch):
    """Force PyTorch's plain loop of autograd.grad calls (what graphs with hooks get)."""
    monkeypatch.setattr(F._Walker, "prepare", classmethod(lambda cls, outputs, inputs: None))


# ----- jacobian: values and structure -------------------------------------------------------


@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_of_elementwise_cube(vectorize):
    x = rand(4)
    j = jacobian(lambda a: a**3, x, vectorize=vectorize)
    assert isinstance(j, torch.Tensor) and j.shape == (4, 4)
    np.testing.assert_allclose(j.numpy(), np.diag(3 * x.numpy() ** 2), rtol=1e-14)
    assert not j.requires_grad


@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_of_a_linear_map(vectorize):
    A = rand(3, 5)
    b = rand(3)
    x = rand(5)
    j = jacobian(lambda a: A @ a + b, x, vectorize=vectorize)
    np.testing.assert_allclose(j.numpy(), A.numpy(), rtol=1e-15)
    # matrix in, matrix out: out.shape + in.shape
    W = rand(4, 2)
    X = rand(3, 4)
    j = jacobian(lambda m: m @ W, X, vectorize=vectorize)
    assert j.shape == (3, 2, 3, 4)
    expected = np.einsum("ik,lj->ijkl", np.eye(3), W.numpy())
    np.testing.assert_allclose(j.numpy(), expected, rtol=1e-15)


@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_scalar_output_and_reshape(vectorize):
    x = rand(3)
    assert jacobian(lambda a: a.sum(), x, vectorize=vectorize).shape == (3,)
    assert jacobian(lambda a: a.reshape(3, 1), x, vectorize=vectorize).shape == (3, 1, 3)
    np.testing.assert_allclose(jacobian(lambda a: (a * a).sum(), x).numpy(), 2 * x.numpy())


def test_exp_adder_from_the_tutorial():
    def exp_adder(x, y):
        return 2 * x.exp() + 3 * y

    for n in (1, 3):
        inputs = (torch.rand(n), torch.rand(n))
        jx, jy = jacobian(exp_adder, inputs)
        assert jx.shape == (n, n) and jy.shape == (n, n)
        assert jx.dtype is torch.float32
        np.testing.assert_allclose(jx.numpy(), np.diag(2 * np.exp(inputs[0].numpy())), rtol=1e-6)
        np.testing.assert_allclose(jy.numpy(), 3 * np.eye(n))


def test_tuple_outputs_and_inputs_give_nested_tuples():
    x, y = rand(3), rand(2)
    for vectorize in (False, True):
        r = jacobian(lambda a, b: (a.sum() * b, a), (x, y), vectorize=vectorize)
        assert isinstance(r, tuple) and len(r) == 2 and all(len(row) == 2 for row in r)
        assert [[tuple(t.shape) for t in row] for row in r] == [[(2, 3), (2, 2)], [(3, 3), (3, 2)]]
        np.testing.assert_allclose(r[0][0].numpy(), np.outer(y.numpy(), np.ones(3)))
        np.testing.assert_allclose(r[0][1].numpy(), x.numpy().sum() * np.eye(2))
        np.testing.assert_allclose(r[1][0].numpy(), np.eye(3))
        np.testing.assert_array_equal(r[1][1].numpy(), np.zeros((3, 2)))
    # one output, tuple of inputs: a tuple over inputs; tuple of one output: a nested tuple
    single = jacobian(lambda a, b: a * 2, (x, y))
    assert isinstance(single, tuple) and [tuple(t.shape) for t in single] == [(3, 3), (3, 2)]
    nested = jacobian(lambda a: (a * 2,), x)
    assert isinstance(nested, tuple) and isinstance(nested[0], torch.Tensor)


def test_outputs_that_do_not_depend_on_the_input():
    x = rand(3)
    np.testing.assert_array_equal(
        jacobian(lambda a: torch.ones(2, dtype=torch.float64), x).numpy(), np.zeros((2, 3))
    )
    np.testing.assert_array_equal(jacobian(lambda a: a, x).numpy(), np.eye(3))
    np.testing.assert_array_equal(jacobian(lambda a: a, x, vectorize=True).numpy(), np.eye(3))


def test_jacobians_of_different_inputs_do_not_share_memory():
    x, y = rand(3), rand(3)
    for vectorize in (False, True):
        jx, jy = jacobian(lambda a, b: a + b, (x, y), vectorize=vectorize)
        jx[0, 0] = 5.0
        assert jy[0, 0].item() == 1.0


def test_jacobian_does_not_touch_the_callers_tensor():
    x = rand(3).requires_grad_()
    j = jacobian(lambda a: a**2, x)
    assert x.grad is None and not j.requires_grad


# ----- create_graph -------------------------------------------------------------------------


@pytest.mark.parametrize("vectorize", [False, True])
def test_create_graph_makes_the_jacobian_differentiable(vectorize):
    x = rand(4).requires_grad_()
    j = jacobian(lambda a: a**3, x, create_graph=True, vectorize=vectorize)
    assert j.requires_grad
    (g,) = torch.autograd.grad(j.sum(), x)
    np.testing.assert_allclose(g.numpy(), 6 * x.detach().numpy(), rtol=1e-14)


def test_create_graph_on_an_input_without_grad():
    x = rand(3)
    j = jacobian(lambda a: a**3, x, create_graph=True)
    assert j.requires_grad  # it depends on the (internal) input leaf


# ----- hessian ------------------------------------------------------------------------------


@pytest.mark.parametrize("vectorize", [False, True])
def test_hessian_20_against_the_analytic_hessian(vectorize):
    v = t64(np.random.default_rng(1).standard_normal(20))
    h = hessian(hessian_20, v, vectorize=vectorize)
    assert h.shape == (20, 20) and h.dtype is torch.float64
    np.testing.assert_allclose(h.numpy(), hessian_20_analytic(v.numpy()), rtol=1e-12, atol=1e-12)


def test_hessian_of_a_simple_function():
    def pow_adder_reducer(x, y):
        return (2 * x.pow(2) + 3 * y.pow(2)).sum()

    x, y = rand(2), rand(2)
    (hxx, hxy), (hyx, hyy) = hessian(pow_adder_reducer, (x, y))
    np.testing.assert_allclose(hxx.numpy(), 4 * np.eye(2))
    np.testing.assert_allclose(hyy.numpy(), 6 * np.eye(2))
    np.testing.assert_array_equal(hxy.numpy(), np.zeros((2, 2)))
    np.testing.assert_array_equal(hyx.numpy(), np.zeros((2, 2)))


def test_hessian_cross_terms_and_shapes():
    x, y = rand(3), rand(2)
    for vectorize in (False, True):
        h = hessian(lambda a, b: (a.sum() * b).sum(), (x, y), vectorize=vectorize)
        assert [[tuple(t.shape) for t in row] for row in h] == [[(3, 3), (3, 2)], [(2, 3), (2, 2)]]
        np.testing.assert_array_equal(h[0][1].numpy(), np.ones((3, 2)))
        np.testing.assert_array_equal(h[1][0].numpy(), np.ones((2, 3)))
    X = rand(2, 2)
    assert hessian(lambda m: (m**3).sum(), X).shape == (2, 2, 2, 2)


def test_hessian_with_create_graph_is_differentiable():
    x = rand(3).requires_grad_()
    h = hessian(lambda a: (a**4).sum(), x, create_graph=True)
    np.testing.assert_allclose(h.detach().numpy(), np.diag(12 * x.detach().numpy() ** 2))
    (g,) = torch.autograd.grad(h.sum(), x)
    np.testing.assert_allclose(g.numpy(), 24 * x.detach().numpy(), rtol=1e-14)


def test_hessian_forward_mode_outer_strategy_gives_the_same():
    v = rand(5)
    np.testing.assert_allclose(
        hessian(hessian_20, v, vectorize=True, outer_jacobian_strategy="forward-mode").numpy(),
        hessian_20_analytic(v.numpy()),
        rtol=1e-12,
    )


# ----- the vector products ----------------------------------------------------------------------


def test_vjp_equals_v_times_jacobian():
    x = rand(4)
    v = rand(3)
    A = rand(3, 4)

    def f(a):
        return (A @ a).tanh()

    out, res = vjp(f, x, v)
    np.testing.assert_allclose(out.numpy(), f(x).numpy())
    np.testing.assert_allclose(res.numpy(), v.numpy() @ jacobian(f, x).numpy(), rtol=1e-13)
    assert not out.requires_grad and not res.requires_grad


def test_vjp_of_the_tutorial_doubling():
    def do_some_doubling(x):
        y = x * 2
        while y.data.norm() < 1000:
            y = y * 2
        return y

    x = torch.randn(3)
    v = torch.tensor([0.1, 1.0, 0.0001])
    out, res = vjp(do_some_doubling, x, v=v)
    scale = (out / x).numpy()[0]
    assert scale == 2 ** round(np.log2(scale))
    np.testing.assert_allclose(res.numpy(), v.numpy() * scale, rtol=1e-6)


def test_vjp_scalar_output_needs_no_v_and_tuples_round_trip():
    x, y = rand(3), rand(2)
    out, (gx, gy) = vjp(lambda a, b: (a * a).sum() + b.sum(), (x, y))
    np.testing.assert_allclose(gx.numpy(), 2 * x.numpy())
    np.testing.assert_allclose(gy.numpy(), np.ones(2))
    outs, g = vjp(lambda a: (a * 2, a.sum()), x, (rand(3), t64(2.0)))
    assert isinstance(outs, tuple) and len(outs) == 2 and g.shape == (3,)


def test_jvp_equals_jacobian_times_v():
    x = rand(4)
    v = rand(4)
    A = rand(3, 4)

    def f(a):
        return (A @ a).sin() * 2

    out, res = jvp(f, x, v)
    np.testing.assert_allclose(out.numpy(), f(x).numpy())
    np.testing.assert_allclose(res.numpy(), jacobian(f, x).numpy() @ v.numpy(), rtol=1e-13)
    # tuples of inputs, tuple outputs
    x2, y2 = rand(2), rand(2)
    outs, res = jvp(lambda a, b: (a * b, a.exp()), (x2, y2), (rand(2), rand(2)))
    assert isinstance(outs, tuple) and isinstance(res, tuple) and len(res) == 2


def test_jvp_with_create_graph():
    x = rand(3).requires_grad_()
    v = rand(3)
    _, res = jvp(lambda a: a**3, x, v, create_graph=True)
    assert res.requires_grad
    (g,) = torch.autograd.grad(res.sum(), x)
    np.testing.assert_allclose(g.numpy(), 6 * x.detach().numpy() * v.numpy(), rtol=1e-14)


@pytest.mark.parametrize("product", [vhp, hvp])
def test_hessian_vector_products(product):
    v20 = t64(np.random.default_rng(2).standard_normal(20))
    vec = rand(20)
    out, res = product(hessian_20, v20, vec)
    H = hessian_20_analytic(v20.numpy())
    np.testing.assert_allclose(out.numpy(), hessian_20(v20).numpy())
    np.testing.assert_allclose(res.numpy(), H @ vec.numpy(), rtol=1e-12)  # H is symmetric
    # tuple inputs: the products with the blocks of the Hessian
    x, y = rand(2), rand(3)
    vx, vy = rand(2), rand(3)
    f = lambda a, b: (a.sum() ** 2) * (b**2).sum()  # noqa: E731
    _, (rx, ry) = product(f, (x, y), (vx, vy))
    (hxx, hxy), (hyx, hyy) = hessian(f, (x, y))
    if product is hvp:
        ex = hxx.numpy() @ vx.numpy() + hxy.numpy() @ vy.numpy()
        ey = hyx.numpy() @ vx.numpy() + hyy.numpy() @ vy.numpy()
    else:
        ex = vx.numpy() @ hxx.numpy() + vy.numpy() @ hyx.numpy()
        ey = vx.numpy() @ hxy.numpy() + vy.numpy() @ hyy.numpy()
    np.testing.assert_allclose(rx.numpy(), ex, rtol=1e-12)
    np.testing.assert_allclose(ry.numpy(), ey, rtol=1e-12)


def test_products_with_a_scalar_input_need_no_v():
    x = t64([0.5])
    _, r = hvp(lambda a: (a**3).sum(), x)
    np.testing.assert_allclose(r.numpy(), [3.0])
    _, r = jvp(lambda a: a**2, x)
    np.testing.assert_allclose(r.numpy(), [1.0])


# ----- the batched path against PyTorch's loop and finite differences -----------------------


def _fd_jacobian(f, xs, eps=1e-6):
    """Central finite differences, d f / d xs[0] (the first input)."""
    x0 = xs[0].numpy().copy()
    cols = []
    for i in range(x0.size):
        d = np.zeros_like(x0).reshape(-1)
        d[i] = eps
        d = d.reshape(x0.shape)
        hi = f(t64(x0 + d), *xs[1:]).numpy()
        lo = f(t64(x0 - d), *xs[1:]).numpy()
        cols.append((hi - lo) / (2 * eps))
    out_shape = np.asarray(cols[0]).shape
    return np.stack(cols, axis=-1).reshape(out_shape + x0.shape)


FUNCS = {
    "broadcast": lambda x, y: x * y + y.exp(),
    "matmul": lambda x, y: (x @ y).sin(),
    "matmul_2d": lambda x, y: x @ x.transpose(0, 1),
    "sum_dim": lambda x, y: x.sum(1) * 2,
    "mean_keepdim": lambda x, y: x - x.mean(0, keepdim=True),
    "reshape": lambda x, y: x.reshape(2, 6).tanh(),
    "transpose": lambda x, y: x.t() * y.reshape(4, 1),
    "index": lambda x, y: x[1] * x[:, 2].sum(),
    "fancy_index": lambda x, y: x[[0, 2, 2]].exp(),
    "cat": lambda x, y: torch.cat([x.reshape(-1), y]) ** 2,
    "stack": lambda x, y: torch.stack([x[0], y], 0).sigmoid(),
    "unsqueeze": lambda x, y: x.unsqueeze(0).squeeze(0).log(),
    "expand": lambda x, y: y.expand(3, 4) * x,
    "max_dim": lambda x, y: x.max(1).values,
    "where": lambda x, y: torch.where(x > 1.0, x * x, -x),
    "cumsum": lambda x, y: x.cumsum(1),
    "scalar_out": lambda x, y: (x * x).sum(),
    "pow_tensor": lambda x, y: x**y,
    "div_sub": lambda x, y: (x - y) / (x + 1),
}


@pytest.mark.parametrize("name", list(FUNCS))
def test_vectorized_and_looped_jacobians_agree_with_finite_differences(name, monkeypatch):
    f = FUNCS[name]
    x, y = rand(3, 4), rand(4)
    fd = _fd_jacobian(f, (x, y))
    batched = jacobian(lambda a: f(a, y), x, vectorize=True)
    rows = jacobian(lambda a: f(a, y), x)
    np.testing.assert_allclose(batched.numpy(), fd, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(rows.numpy(), batched.numpy(), rtol=1e-12, atol=1e-14)
    monkeypatch.setattr(F._Walker, "prepare", classmethod(lambda cls, o, i: None))
    loop = jacobian(lambda a: f(a, y), x)
    np.testing.assert_allclose(loop.numpy(), batched.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["broadcast", "matmul", "sum_dim", "index", "cat"])
def test_batched_path_with_create_graph(name):
    f = FUNCS[name]
    x, y = rand(3, 4).requires_grad_(), rand(4)
    a = jacobian(lambda t: f(t, y), x, vectorize=True, create_graph=True)
    b = jacobian(lambda t: f(t, y), x, create_graph=True)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
    if a.requires_grad:
        (ga,) = torch.autograd.grad((a * a).sum(), x, allow_unused=True, materialize_grads=True)
        (gb,) = torch.autograd.grad((b * b).sum(), x, allow_unused=True, materialize_grads=True)
        np.testing.assert_allclose(ga.numpy(), gb.numpy(), rtol=1e-10)


def test_some_nodes_run_batched_and_some_fall_back_to_rows():
    jacobian(FUNCS["broadcast"], (rand(3, 4), rand(4)), vectorize=True)
    jacobian(FUNCS["sum_dim"], (rand(3, 4), rand(4)), vectorize=True)
    verdicts = {key[0].__name__: ok for key, ok in F._TRUST.items()}
    assert verdicts.get("MulBackward0") is True
    assert verdicts.get("SumBackward1") is False


class _RevCumsum(torch.autograd.Function):
    """y_i = sum_{j >= i} x_j: its backward works along dim 0, so a batch would be summed
    along the wrong axis with a plausible shape; the row check must catch it."""

    @staticmethod
    def forward(ctx, x):
        return x.flip(0).cumsum(0).flip(0)

    @staticmethod
    def backward(ctx, grad):
        return grad.cumsum(0)


def test_a_formula_that_silently_mixes_rows_is_caught():
    x = rand(4)
    j = jacobian(_RevCumsum.apply, x, vectorize=True)
    np.testing.assert_array_equal(j.numpy(), np.triu(np.ones((4, 4))))
    np.testing.assert_array_equal(
        jacobian(_RevCumsum.apply, rand(4), vectorize=True).numpy(), np.triu(np.ones((4, 4)))
    )


def test_array_backward_ops_run_on_arrays_in_the_walker(monkeypatch):
    # Mul and Exp have operator-only backward formulas, which the walker runs on raw arrays
    # without create_graph; count the calls to see the array path taken
    from workbench.engine.ops import elementwise

    assert elementwise.Mul.array_backward
    seen = []
    original = elementwise.Mul.backward

    def spy(ctx, grad):
        seen.append(type(grad).__name__)
        return original(ctx, grad)

    monkeypatch.setattr(elementwise.Mul, "backward", staticmethod(spy))
    x = rand(3)
    for vectorize in (False, True):
        j = jacobian(lambda a: (a * a).exp(), x, vectorize=vectorize)
        np.testing.assert_allclose(
            j.numpy(), np.diag(2 * x.numpy() * np.exp(x.numpy() ** 2)), rtol=1e-14
        )
    assert seen and set(seen) == {"ndarray"}


def test_small_batches_give_the_same_jacobian(monkeypatch):
    x, y = rand(3, 4), rand(4)
    whole = jacobian(lambda a: FUNCS["matmul_2d"](a, y), x, vectorize=True)
    monkeypatch.setattr(F, "_BATCH_ELEMENTS", 20)  # a few rows per backward pass
    parts = jacobian(lambda a: FUNCS["matmul_2d"](a, y), x, vectorize=True)
    np.testing.assert_allclose(parts.numpy(), whole.numpy(), rtol=1e-14)
    assert F._Walker((x,), (x,)).max_numel >= 1


def test_chunks_where_only_some_rows_reach_an_input(monkeypatch):
    x = rand(3)
    monkeypatch.setattr(F, "_BATCH_ELEMENTS", 6)  # 2 rows per pass: chunks straddle outputs

    def f(a):
        return torch.ones(3, dtype=torch.float64) * 2, a * a

    for vectorize in (False, True):
        j0, j1 = jacobian(f, x, vectorize=vectorize)
        np.testing.assert_array_equal(j0.numpy(), np.zeros((3, 3)))
        np.testing.assert_allclose(j1.numpy(), np.diag(2 * x.numpy()))


def test_hooks_in_the_graph_take_the_autograd_grad_loop():
    seen = []

    def f(a):
        b = a * 2
        b.register_hook(lambda g: seen.append(tuple(g.shape)))
        return b.exp()

    x = rand(3)
    j = jacobian(f, x, vectorize=True)
    np.testing.assert_allclose(j.numpy(), np.diag(2 * np.exp(2 * x.numpy())), rtol=1e-14)
    assert seen == [(3,)] * 3  # one backward per row, each with an unbatched gradient


def test_engine_loop_matches(engine_loop):
    v = rand(6)
    np.testing.assert_allclose(
        hessian(hessian_20, v).numpy(), hessian_20_analytic(v.numpy()), rtol=1e-12
    )
    x, y = rand(3), rand(2)
    r = jacobian(lambda a, b: (a.sum() * b, a), (x, y))
    np.testing.assert_allclose(r[1][0].numpy(), np.eye(3))


def test_float32_jacobian_stays_float32():
    x = torch.rand(3)
    for vectorize in (False, True):
        assert jacobian(lambda a: a * a, x, vectorize=vectorize).dtype is torch.float32


# ----- strict mode and errors ---------------------------------------------------------------


def _raises(exc, message, fn):
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value) == message


def test_strict_mode_errors():
    x, y = rand(3), rand(2)
    _raises(
        RuntimeError,
        "Output 0 of the user-provided function is independent of input 1. "
        "This is not allowed in strict mode.",
        lambda: jacobian(lambda a, b: a * 2, (x, y), strict=True),
    )
    _raises(
        RuntimeError,
        "Output 0 of the user-provided function does not require gradients. "
        "The outputs must be computed in a differentiable manner from the input when "
        "running in strict mode.",
        lambda: jacobian(lambda a: torch.ones(2, dtype=torch.float64), x, strict=True),
    )
    _raises(
        RuntimeError,
        "torch.autograd.functional.jacobian: `strict=True` and "
        "`vectorized=True` are not supported together. Please either set `strict=False` or "
        "`vectorize=False`.",
        lambda: jacobian(lambda a: a * 2, x, strict=True, vectorize=True),
    )
    _raises(
        RuntimeError,
        "The jacobian of the user-provided function is independent of input "
        "0. This is not allowed in strict mode when create_graph=True.",
        lambda: jacobian(lambda a: a * 2, x, strict=True, create_graph=True),
    )
    linear_message = (
        "While computing the hessian, found that the jacobian of the user-provided function "
        "with respect to input {} is independent of the input. This is not allowed in strict "
        "mode. You should ensure that your function is twice differentiable and that the "
        "jacobian depends on the inputs (this would be violated by a linear function for "
        "example)."
    )
    _raises(
        RuntimeError,
        linear_message.format(0),
        lambda: hessian(lambda a: (a * 2).sum(), x, strict=True),
    )
    _raises(
        RuntimeError,
        linear_message.format(1),
        lambda: hessian(lambda a, b: (a**2).sum() + (b * 2).sum(), (x, y), strict=True),
    )
    _raises(
        RuntimeError,
        "The output of the user-provided function is independent of input 1. "
        "This is not allowed in strict mode.",
        lambda: vjp(lambda a, b: (a * 2).sum(), (x, y), strict=True),
    )
    _raises(
        RuntimeError,
        "Output 0 of the user-provided function does not require gradients. "
        "The outputs must be computed in a differentiable manner from the input when "
        "running in strict mode.",
        lambda: vjp(lambda a: a.detach() * 2, x, rand(3), strict=True),
    )
    _raises(
        RuntimeError,
        "The output of the user-provided function is independent of input 1. "
        "This is not allowed in strict mode.",
        lambda: jvp(lambda a, b: a * 2, (x, y), (rand(3), rand(2)), strict=True),
    )
    assert hessian(lambda a: (a**3).sum(), x, strict=True, create_graph=True).shape == (3, 3)


def test_argument_errors():
    x = rand(3)
    _raises(
        RuntimeError,
        "The Tensor returned by the function given to hessian should contain a single element",
        lambda: hessian(lambda a: a * 2, x),
    )
    _raises(
        RuntimeError,
        "The function given to hessian should return a single Tensor",
        lambda: hessian(lambda a: (a, a), x),
    )
    _raises(
        RuntimeError,
        "The vector v can only be None if the user-provided function returns "
        "a single Tensor with a single element.",
        lambda: vjp(lambda a: a * 2, x),
    )
    _raises(
        RuntimeError,
        "v has invalid size: should be torch.Size([3]) but got torch.Size([2]).",
        lambda: vjp(lambda a: a * 2, x, torch.ones(2)),
    )
    _raises(
        RuntimeError,
        "v is a tuple of invalid length: should be 2 but got 1.",
        lambda: vjp(lambda a: (a * 2, a), x, (torch.ones(3),)),
    )
    _raises(
        RuntimeError,
        "Entry 1 in v has invalid size: should be torch.Size([3]) but got torch.Size([2]).",
        lambda: vjp(lambda a: (a * 2, a), x, (torch.ones(3), torch.ones(2))),
    )
    _raises(
        RuntimeError,
        "The vector v can only be None if the input to the user-provided "
        "function is a single Tensor with a single element.",
        lambda: jvp(lambda a: a, x),
    )
    _raises(
        RuntimeError,
        "The Tensor returned by the function given to vhp should contain a single element",
        lambda: vhp(lambda a: a * 2, x, torch.ones(3)),
    )
    _raises(
        RuntimeError,
        "The function given to hvp should return a single Tensor",
        lambda: hvp(lambda a: (a.sum(),), x, torch.ones(3)),
    )
    _raises(
        RuntimeError,
        "The vector v can only be None if the input to the user-provided "
        "function is a single Tensor with a single element.",
        lambda: hvp(lambda a: (a * 2).sum(), x),
    )
    _raises(
        TypeError,
        "The inputs given to jacobian must be either a Tensor or a tuple of "
        "Tensors but the given inputs has type <class 'list'>.",
        lambda: jacobian(lambda a: a, [x]),
    )
    _raises(
        TypeError,
        "The inputs given to jacobian must be either a Tensor or a tuple of "
        "Tensors but the value at index 1 has type <class 'int'>.",
        lambda: jacobian(lambda a: a, (x, 3)),
    )
    _raises(
        TypeError,
        "The outputs of the user-provided function given to jacobian must be "
        "either a Tensor or a tuple of Tensors but the given outputs of the user-provided "
        "function has type <class 'int'>.",
        lambda: jacobian(lambda a: 3, x),
    )


def test_strategy_errors():
    x = rand(3)
    _raises(
        AssertionError,
        'Expected strategy to be either "forward-mode" or "reverse-mode". '
        'Hint: If your function has more outputs than inputs, "forward-mode" tends to be '
        'more performant. Otherwise, prefer to use "reverse-mode".',
        lambda: jacobian(lambda a: a, x, strategy="bogus"),
    )
    _raises(
        NotImplementedError,
        "Computing Jacobian using forward-AD or forward-over-reverse "
        "Hessian isonly implemented for `vectorize=True`.",
        lambda: jacobian(lambda a: a, x, strategy="forward-mode"),
    )
    _raises(
        NotImplementedError,
        "torch.autograd.functional.jacobian: `create_graph=True` and "
        '`strategy="forward-mode"` are not supported together (yet). Please either set '
        '`create_graph=False` or `strategy="reverse-mode"`.',
        lambda: jacobian(
            lambda a: a, x, strategy="forward-mode", vectorize=True, create_graph=True
        ),
    )
    _raises(
        RuntimeError,
        "torch.autograd.functional.jacobian: `strict=True` and "
        '`strategy="forward-mode"` are not supported together (yet). Please either set '
        '`strict=False` or `strategy="reverse-mode"`.',
        lambda: jacobian(lambda a: a, x, strategy="forward-mode", vectorize=True, strict=True),
    )
    j = jacobian(lambda a: a**2, x, strategy="forward-mode", vectorize=True)
    np.testing.assert_allclose(j.numpy(), np.diag(2 * x.numpy()))


def test_exported_as_torch_autograd_functional():
    import importlib

    mod = importlib.import_module("workbench.engine.autograd.functional")
    assert torch.autograd.functional is mod
    assert set(mod.__all__) == {"vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"}
