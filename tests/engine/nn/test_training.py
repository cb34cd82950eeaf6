"""End to end: models train with nn + optim, and the autograd tutorial's training section runs.

The datasets are generated with NumPy from fixed seeds and the models are initialised after
`torch.manual_seed`, so each run is reproducible to the bit; the step counts are bounded so the
whole file stays within a few seconds.
"""

from __future__ import annotations

import numpy as np
import pytest

import workbench.engine as torch
from workbench.engine import nn


def spiral(points_per_class=100, classes=3, seed=0):
    """CS231n's spiral: `classes` interleaved arms in the plane, with angular noise."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for k in range(classes):
        r = np.linspace(0.0, 1.0, points_per_class)
        t = np.linspace(4 * k, 4 * (k + 1), points_per_class)
        t += 0.2 * rng.standard_normal(points_per_class)
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys.append(np.full(points_per_class, k))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.int64)


def bars(n=128, size=12, noise=0.3, seed=0):
    """Images holding one bright bar on Gaussian noise: label 0 horizontal, 1 vertical."""
    rng = np.random.default_rng(seed)
    x = noise * rng.standard_normal((n, 1, size, size)).astype(np.float32)
    y = rng.integers(0, 2, n)
    where = rng.integers(0, size, n)
    for i in range(n):
        if y[i]:
            x[i, 0, :, where[i]] += 1
        else:
            x[i, 0, where[i], :] += 1
    return x, y.astype(np.int64)


def accuracy(logits, y):
    return (logits.argmax(1) == y).float().mean().item()


def train(model, optimizer, x, y, steps):
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return loss.item()


# ----- an MLP on the spiral ------------------------------------------------------------------


def train_spiral(seed=0, steps=200):
    x, y = (torch.tensor(a) for a in spiral())
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 3)
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loss = train(model, optimizer, x, y, steps)
    with torch.no_grad():
        return loss, accuracy(model(x), y)


def test_mlp_learns_the_spiral_deterministically():
    loss, acc = train_spiral()
    assert acc >= 0.95
    assert loss < 0.1
    # the same seeds give the same run, to the bit
    assert train_spiral() == (loss, acc)
    # and another initialisation is a different run
    assert train_spiral(seed=1, steps=5)[0] != train_spiral(seed=0, steps=5)[0]


# ----- a CNN on bars -------------------------------------------------------------------------


def train_bars(seed=0, steps=200):
    x, y = (torch.tensor(a) for a in bars())
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 5 * 5, 2)
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = train(model, optimizer, x, y, steps)
    return model, loss


def test_cnn_learns_bars_deterministically():
    model, loss = train_bars()
    x, y = (torch.tensor(a) for a in bars())
    x_new, y_new = (torch.tensor(a) for a in bars(seed=1))
    with torch.no_grad():
        assert accuracy(model(x), y) >= 0.95
        assert accuracy(model(x_new), y_new) >= 0.9  # it learnt bars, not these images
    assert train_bars()[1] == loss


# ----- the autograd tutorial's "Autograd in Training" section ----------------------------------

BATCH_SIZE, DIM_IN, HIDDEN_SIZE, DIM_OUT = 16, 1000, 100, 10


class TinyModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = torch.nn.Linear(DIM_IN, HIDDEN_SIZE)
        self.relu = torch.nn.ReLU()
        self.layer2 = torch.nn.Linear(HIDDEN_SIZE, DIM_OUT)

    def forward(self, x):
        x = self.layer1(x)
        x = self.relu(x)
        x = self.layer2(x)
        return x


@pytest.fixture
def tiny():
    torch.manual_seed(0)
    some_input = torch.randn(BATCH_SIZE, DIM_IN, requires_grad=False)
    ideal_output = torch.randn(BATCH_SIZE, DIM_OUT, requires_grad=False)
    model = TinyModel()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001)

    def loss():
        prediction = model(some_input)
        return (ideal_output - prediction).pow(2).sum()

    return model, optimizer, loss, some_input, ideal_output


def expected_layer2_grad(model, x, target):
    """d/dW2 of sum((target - (relu(x W1ᵀ + b1) W2ᵀ + b2))²), by hand."""
    w1, b1, w2, b2 = (p.detach().numpy().astype(np.float64) for p in model.parameters())
    h = np.maximum(x.numpy() @ w1.T + b1, 0)
    return (2 * (h @ w2.T + b2 - target.numpy())).T @ h


def test_tutorial_slices_show_their_grad_fn(tiny):
    model = tiny[0]
    row = model.layer2.weight[0]
    assert row.grad_fn.name() == "SelectBackward0"
    piece = model.layer2.weight[0][0:10]
    assert piece.shape == (10,)
    assert piece.grad_fn.name() == "SliceBackward0"
    assert type(piece.grad_fn).__name__ == "SliceBackward0"
    assert repr(piece).endswith("grad_fn=<SliceBackward0>)")
    assert model.layer2.weight.grad is None


def test_tutorial_backward_fills_grads_and_step_updates(tiny):
    model, optimizer, loss, x, target = tiny
    w = model.layer2.weight
    before = w.detach().numpy().copy()
    loss().backward()
    # backward fills .grad and leaves the weights alone
    assert np.array_equal(w.detach().numpy(), before)
    assert w.grad is not None and w.grad.shape == w.shape
    expected = expected_layer2_grad(model, x, target)
    assert np.allclose(w.grad.numpy(), expected, rtol=1e-4, atol=1e-3)
    assert all(p.grad is not None for p in model.parameters())
    # the step moves them by -lr * grad, and leaves the grad as it was
    grad = w.grad.numpy().copy()
    optimizer.step()
    assert not np.array_equal(w.detach().numpy(), before)
    assert np.allclose(w.detach().numpy(), before - 0.001 * grad, atol=1e-6)
    assert np.array_equal(w.grad.numpy(), grad)


def test_tutorial_grads_accumulate_until_zeroed(tiny):
    model, optimizer, loss, _, _ = tiny
    w = model.layer2.weight
    loss().backward()
    once = w.grad.numpy().copy()
    loss().backward()  # no zero_grad in between: the grads add up
    assert np.allclose(w.grad.numpy(), 2 * once, rtol=1e-5, atol=1e-5)
    for _ in range(3):
        loss().backward()
    assert np.allclose(w.grad.numpy(), 5 * once, rtol=1e-5, atol=1e-4)

    grad = w.grad
    optimizer.zero_grad(set_to_none=False)
    assert w.grad is grad  # zeroed in place, not replaced
    assert not w.grad.numpy().any()
    assert not model.layer1.bias.grad.numpy().any()
    loss().backward()
    assert np.allclose(w.grad.numpy(), once, rtol=1e-5, atol=1e-5)

    optimizer.zero_grad()  # set_to_none=True is the default
    assert all(p.grad is None for p in model.parameters())


def test_tutorial_training_loop_lowers_the_loss(tiny):
    model, optimizer, loss, _, _ = tiny
    first = loss().item()
    for _ in range(20):
        optimizer.zero_grad()
        value = loss()
        value.backward()
        optimizer.step()
    assert loss().item() < 0.5 * first
