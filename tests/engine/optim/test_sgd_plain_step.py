"""SGD's plain update (no momentum, weight decay or maximize) and the step wrapper's fast call.

The plain update passes the learning rate to NumPy as a 0-d array it made once and keeps each
parameter's scratch array between steps; these tests pin it to the update NumPy computes from
the learning rate as given, bit for bit, and check that what it keeps follows the parameters.
"""

from __future__ import annotations

import numpy as np
import pytest

import workbench.engine as torch


def _numpy_update(d, g, lr):
    """What SGD does without options: d -= lr * g, with the learning rate passed as it is."""
    tmp = np.empty_like(d)
    np.multiply(g, lr, out=tmp)
    d -= tmp


def _learning_rates(kind, rng):
    for k in range(5):
        value = float(rng.uniform(1e-4, 2.0))
        if kind == "float":
            yield value
        elif kind == "numpy float64":  # not a weak scalar: float32 products happen in float64
            yield np.float64(value)
        elif kind == "int":
            yield 1 + k % 2
        else:
            yield torch.tensor(value, dtype=torch.float64)


@pytest.mark.parametrize("kind", ["float", "numpy float64", "int", "tensor"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_plain_step_matches_numpys_update_bit_for_bit(dtype, kind):
    rng = np.random.default_rng(0)
    shapes = [(7, 5), (5,), (7, 5), (), (3, 4, 2)]  # two of one shape share a scratch array
    params = [
        torch.tensor(np.asarray(rng.standard_normal(s), dtype), requires_grad=True) for s in shapes
    ]
    transposed = torch.tensor(np.asarray(rng.standard_normal((6, 3)), dtype)).t()
    params.append(transposed.detach().requires_grad_())  # a non-contiguous leaf
    want = [p.detach().numpy().copy() for p in params]
    opt = torch.optim.SGD(params, lr=0.5)
    for k, lr in enumerate(_learning_rates(kind, rng)):
        if k != 2:  # step 2 keeps the same learning-rate object as step 1
            opt.param_groups[0]["lr"] = lr
        lr = opt.param_groups[0]["lr"]
        for i, (p, w) in enumerate(zip(params, want)):
            if k == 3 and i == 1:
                p.grad = None  # skipped this step
                continue
            g = np.asarray(rng.standard_normal(w.shape) * 10 ** rng.uniform(-6, 2), dtype)
            p.grad = torch.tensor(g)
            _numpy_update(w, g, lr.item() if isinstance(lr, torch.Tensor) else lr)
        opt.step()
        for p, w in zip(params, want):
            np.testing.assert_array_equal(p.detach().numpy(), w)


def test_a_numpy_float64_learning_rate_is_not_rounded_to_float32():
    # the case the bit-for-bit test above would miss if both updates rounded the rate first
    rng = np.random.default_rng(1)
    p0 = rng.standard_normal(1000).astype(np.float32)
    g = rng.standard_normal(1000).astype(np.float32)
    lr = np.float64(0.1)
    p = torch.tensor(p0, requires_grad=True)
    p.grad = torch.tensor(g)
    torch.optim.SGD([p], lr=lr).step()
    promoted, rounded = p0.copy(), p0.copy()
    _numpy_update(promoted, g, lr)
    _numpy_update(rounded, g, np.float32(lr))
    assert not np.array_equal(promoted, rounded)
    np.testing.assert_array_equal(p.detach().numpy(), promoted)


def test_plain_step_follows_replaced_parameter_data_and_group_lists():
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = torch.tensor([[1.0, -1.0]], requires_grad=True)
    opt = torch.optim.SGD([a, b], lr=0.5)
    a.grad, b.grad = torch.ones(3), torch.ones(1, 2)
    opt.step()
    # new arrays of other shapes and dtypes behind the same parameters
    a.data = torch.tensor([[10.0, 20.0], [30.0, 40.0]], dtype=torch.float64)
    b.data = torch.tensor([4.0])
    a.grad = torch.full((2, 2), 2.0, dtype=torch.float64)
    b.grad = torch.tensor([2.0])
    opt.step()
    np.testing.assert_array_equal(a.detach().numpy(), [[9.0, 19.0], [29.0, 39.0]])
    np.testing.assert_array_equal(b.detach().numpy(), [3.0])
    assert a._version == 2 and b._version == 2
    # the group's list edited in place: a parameter added in front, one removed
    c = torch.tensor([0.0, 0.0, 0.0, 0.0], requires_grad=True)
    c.grad = torch.tensor([1.0, 2.0, 3.0, 4.0])
    params = opt.param_groups[0]["params"]
    params.insert(0, c)
    del params[2]  # b
    opt.step()
    np.testing.assert_array_equal(c.detach().numpy(), [-0.5, -1.0, -1.5, -2.0])
    np.testing.assert_array_equal(a.detach().numpy(), [[8.0, 18.0], [28.0, 38.0]])
    np.testing.assert_array_equal(b.detach().numpy(), [3.0])
    assert c._version == 1 and b._version == 2


def test_groups_switching_between_plain_and_momentum_updates():
    p = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    q = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([{"params": [p]}, {"params": [q], "momentum": 0.5}], lr=0.25)
    p.grad = torch.tensor([4.0, 8.0], dtype=torch.float64)
    q.grad = torch.tensor([2.0], dtype=torch.float64)
    opt.step()
    np.testing.assert_array_equal(p.detach().numpy(), [0.0, -4.0])
    np.testing.assert_array_equal(q.detach().numpy(), [0.0])
    opt.param_groups[0]["momentum"] = 0.5  # the first group leaves the plain update
    opt.param_groups[1]["momentum"] = 0  # and the second joins it
    opt.step()
    np.testing.assert_array_equal(p.detach().numpy(), [-1.0, -6.0])  # buffer starts at grad
    np.testing.assert_array_equal(q.detach().numpy(), [-0.5])


class _ScaledSGD(torch.optim.Optimizer):
    """A user optimizer whose step takes more than a closure."""

    def __init__(self, params):
        super().__init__(params, {"lr": 1.0})
        self.calls = []

    def step(self, closure=None, scale=1.0, *, shift=0.0):
        self.calls.append((closure, scale, shift))


def test_step_arguments_reach_the_step_with_and_without_hooks():
    opt = _ScaledSGD([torch.zeros(1, requires_grad=True)])

    def closure():
        return None

    opt.step()
    opt.step(closure)
    opt.step(closure, 2.0)
    opt.step(closure=closure, shift=3.0)
    opt.step(None, 4.0, shift=5.0)
    want = [(None, 1.0, 0.0), (closure, 1.0, 0.0), (closure, 2.0, 0.0), (closure, 1.0, 3.0)]
    want.append((None, 4.0, 5.0))
    assert opt.calls == want
    seen = []
    opt.register_step_pre_hook(lambda o, args, kwargs: seen.append((args, kwargs)))
    opt.calls.clear()
    opt.step()
    opt.step(closure, shift=1.0)
    assert seen == [((), {}), ((closure,), {"shift": 1.0})]
    assert opt.calls == [(None, 1.0, 0.0), (closure, 1.0, 1.0)]
