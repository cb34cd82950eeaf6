"""Higher-order gradients: create_graph, double backward, Hessian-vector products."""

import numpy as np

import workbench.engine as torch


def val(t):
    return t.detach().numpy()


def leaf(*values):
    return torch.tensor(list(values), dtype=torch.float64, requires_grad=True)


def test_derivatives_of_sin_up_to_the_third():
    x = leaf(0.5, 1.0, 2.0)
    (g1,) = torch.autograd.grad(x.sin().sum(), x, create_graph=True)
    (g2,) = torch.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = torch.autograd.grad(g2.sum(), x)
    v = val(x)
    np.testing.assert_allclose(val(g1), np.cos(v))
    np.testing.assert_allclose(val(g2), -np.sin(v))
    np.testing.assert_allclose(val(g3), -np.cos(v))
    assert g1.requires_grad and g2.requires_grad and not g3.requires_grad


def test_without_create_graph_the_grad_is_a_constant():
    x = leaf(1.0)
    (g,) = torch.autograd.grad((x**3).sum(), x)
    assert not g.requires_grad and g.grad_fn is None


def test_hessian_vector_product_by_double_backward():
    w = leaf(1.0, 2.0, 3.0)
    f = (w**2).sum() * w.sum()  # H = 2 s I + 2 (w 1ᵀ + 1 wᵀ), s = sum(w)
    (g,) = torch.autograd.grad(f, w, create_graph=True)
    v = torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64)
    (hv,) = torch.autograd.grad(g, w, grad_outputs=v, retain_graph=True)
    wv, s = val(w), val(w).sum()
    hess = 2 * s * np.eye(3) + 2 * (np.outer(wv, np.ones(3)) + np.outer(np.ones(3), wv))
    np.testing.assert_allclose(val(hv), hess @ val(v))
    # the same by differentiating the dot product g·v
    (hv2,) = torch.autograd.grad((g * v).sum(), w)
    np.testing.assert_allclose(val(hv2), val(hv))


def test_backward_create_graph_makes_grad_differentiable():
    x = leaf(1.0, 2.0)
    (x**3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and not g.is_leaf
    assert g.grad_fn.name() == "torch::autograd::CopyBackwards"
    assert "grad_fn=<CopyBackwards>" in repr(g)
    np.testing.assert_allclose(val(g), [3, 12])
    # differentiate the gradient; it accumulates, in place, into the same .grad
    g.sum().backward()
    np.testing.assert_allclose(val(x.grad), [3 + 6, 12 + 12])
    assert x.grad is g and g.grad_fn is not None


def test_accumulation_under_create_graph_stays_differentiable():
    x = leaf(1.0, 2.0)
    (x**2).sum().backward(create_graph=True)
    (x**3).sum().backward(create_graph=True)
    np.testing.assert_allclose(val(x.grad), [2 + 3, 4 + 12])
    (gg,) = torch.autograd.grad(x.grad.sum(), x)
    np.testing.assert_allclose(val(gg), [2 + 6, 2 + 12])


def test_leaf_gradient_never_aliases_the_incoming_gradient():
    x = leaf(1.0, 2.0)
    v = torch.tensor([1.0, 1.0], dtype=torch.float64)
    x.backward(v)
    assert x.grad is not v
    x.backward(v)
    np.testing.assert_array_equal(val(v), [1, 1])
    np.testing.assert_array_equal(val(x.grad), [2, 2])


def test_mixed_partials():
    x, y = leaf(1.5), leaf(-0.5)
    f = (x**2 * y.exp()).sum()
    gx, gy = torch.autograd.grad(f, [x, y], create_graph=True)
    (gxy,) = torch.autograd.grad(gx.sum(), y, retain_graph=True)
    (gyx,) = torch.autograd.grad(gy.sum(), x)
    expected = 2 * 1.5 * np.exp(-0.5)
    np.testing.assert_allclose(val(gxy), [expected])
    np.testing.assert_allclose(val(gyx), [expected])


def test_gradgradcheck_through_a_composite():
    x = leaf(0.3, -1.2, 2.0)
    fn = lambda t: (t.sin() * t.exp() / (1 + t * t)).sum()
    assert torch.autograd.gradcheck(fn, (x,))
    assert torch.autograd.gradgradcheck(fn, (x,))
