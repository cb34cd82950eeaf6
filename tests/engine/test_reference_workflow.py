"""DESIGN.md §2, the reference workflow every release must run (PyTorch's autograd tutorial),
end to end on the engine, unchanged but for the import. The profiler steps live with the
profiler's tests."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import workbench.engine as torch


def test_part_1_sin_graph_and_gradient():
    a = torch.linspace(0.0, 2.0 * math.pi, steps=25, requires_grad=True)
    b = torch.sin(a)
    c = 2 * b
    d = c + 1
    out = d.sum()
    assert "requires_grad=True" in repr(a) and a.grad_fn is None
    for t, name in (
        (b, "SinBackward0"),
        (c, "MulBackward0"),
        (d, "AddBackward0"),
        (out, "SumBackward0"),
    ):
        assert f"grad_fn=<{name}>" in repr(t)
    node, names = out.grad_fn, []
    while node is not None:
        names.append(node.name())
        node = next((n for n, _ in node.next_functions if n is not None), None)
    assert names == [
        "SumBackward0",
        "AddBackward0",
        "MulBackward0",
        "SinBackward0",
        "torch::autograd::AccumulateGrad",
    ]
    out.backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * np.cos(a.detach().numpy()), atol=1e-6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert b.grad is None
    assert "not a leaf Tensor" in str(caught[0].message)


def test_part_2_model_optimizer_accumulation():
    class TinyModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer1 = torch.nn.Linear(1000, 100)
            self.relu = torch.nn.ReLU()
            self.layer2 = torch.nn.Linear(100, 10)

        def forward(self, x):
            return self.layer2(self.relu(self.layer1(x)))

    torch.manual_seed(0)
    model = TinyModel()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001)
    x, ideal = torch.randn(1, 1000), torch.randn(1, 10)
    before = model.layer2.weight[0][0:10].detach().clone()
    assert model.layer2.weight[0][0:10].grad_fn.name() == "SliceBackward0"
    assert model.layer2.weight[0].grad_fn.name() == "SelectBackward0"
    loss = (ideal - model(x)).pow(2).sum()
    loss.backward()
    g = model.layer2.weight.grad.clone()
    assert torch.equal(model.layer2.weight[0][0:10].detach(), before)  # backward changes none
    optimizer.step()
    assert not torch.equal(model.layer2.weight[0][0:10].detach(), before)
    optimizer.zero_grad(set_to_none=False)
    (ideal - model(x)).pow(2).sum().backward()
    once = model.layer2.weight.grad.clone()
    (ideal - model(x)).pow(2).sum().backward()  # no zero_grad: accumulates
    np.testing.assert_allclose(model.layer2.weight.grad.numpy(), 2 * once.numpy(), rtol=1e-6)
    optimizer.zero_grad(set_to_none=False)
    assert float(model.layer2.weight.grad.abs().sum()) == 0.0
    assert g.shape == model.layer2.weight.shape


def test_part_3_switching_autograd_off_and_on():
    a = torch.ones(2, 3, requires_grad=True)
    assert (a * 2).requires_grad
    a.requires_grad = False
    assert not (a * 2).requires_grad
    a.requires_grad = True
    with torch.no_grad():
        assert not (a + 1).requires_grad
        with torch.enable_grad():
            assert (a + 1).requires_grad

    @torch.no_grad()
    def f(x):
        return x * 2

    @torch.enable_grad()
    def g(x):
        return x * 2

    assert not f(a).requires_grad
    with torch.no_grad():
        assert g(a).requires_grad
    assert not a.detach().requires_grad
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        a.numpy()


def test_part_4_in_place_errors():
    a = torch.linspace(0.0, 1.0, steps=5, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        torch.sin_(a)
    b = a * 1
    c = b.sin()
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()


def test_part_5_non_scalar_backward_and_functional_api():
    x = torch.randn(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        y.backward()
    v = torch.tensor([0.1, 1.0, 0.0001])
    y.backward(v)
    np.testing.assert_allclose(x.grad.numpy(), 2 * v.numpy())

    def exp_adder(x, y):
        return 2 * x.exp() + 3 * y

    inputs = (torch.rand(3), torch.rand(3))
    jx, jy = torch.autograd.functional.jacobian(exp_adder, inputs)
    np.testing.assert_allclose(jx.numpy(), np.diag(2 * np.exp(inputs[0].numpy())), rtol=1e-6)
    np.testing.assert_allclose(jy.numpy(), 3 * np.eye(3))
    h = torch.autograd.functional.hessian(lambda t: (t**3).sum(), torch.tensor([1.0, 2.0]))
    np.testing.assert_allclose(h.numpy(), np.diag([6.0, 12.0]))
    _, vjp = torch.autograd.functional.vjp(lambda t: t * 2, torch.ones(3), torch.ones(3))
    np.testing.assert_allclose(vjp.numpy(), [2.0, 2.0, 2.0])
    for fn in ("jvp", "vhp", "hvp"):
        assert callable(getattr(torch.autograd.functional, fn))
