"""The workloads, written against the torch API so one definition runs on both engines.

Each workload is `setup(torch) -> callable`; each NumPy floor is a hand-written version of the
same maths with nothing but NumPy calls.
"""

from __future__ import annotations

import numpy as np

# ----- chain: the tutorial's profiler loop, z = (z / x) * y a thousand times ----------------


def chain(torch):
    def run():
        x = torch.randn(2, 3, requires_grad=True)
        y = torch.rand(2, 3, requires_grad=True)
        z = torch.ones(2, 3, requires_grad=True)
        for _ in range(1000):
            z = (z / x) * y
        z.sum().backward()

    return run


def chain_floor():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3)).astype(np.float32)
    y = rng.random((2, 3)).astype(np.float32)

    def run():
        z = np.ones((2, 3), np.float32)
        quotients = []
        for _ in range(1000):
            q = z / x
            quotients.append(q)
            z = q * y
        g = np.ones((2, 3), np.float32)
        gx = np.zeros_like(x)
        gy = np.zeros_like(y)
        for q in reversed(quotients):
            gy += g * q
            gq = g * y
            gx -= gq * q / x
            g = gq / x

    return run


# ----- small_op: one 2x3 multiply, grad off and grad on -------------------------------------


def small_op_nograd(torch):
    a = torch.randn(2, 3)
    b = torch.randn(2, 3)

    def run():
        for _ in range(1000):
            a * b

    return run


def small_op_grad(torch):
    a = torch.randn(2, 3, requires_grad=True)
    b = torch.randn(2, 3, requires_grad=True)

    def run():
        for _ in range(1000):
            a * b

    return run


def small_op_floor():
    a = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    b = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)

    def run():
        for _ in range(1000):
            a * b

    return run


# ----- tiny_step: the autograd tutorial's TinyModel, one SGD step ---------------------------


def tiny_step(torch):
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
    x = torch.randn(16, 1000)
    target = torch.randn(16, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001)

    def run():
        optimizer.zero_grad()
        loss = ((model(x) - target) ** 2).sum()
        loss.backward()
        optimizer.step()

    return run


def tiny_step_floor():
    rng = np.random.default_rng(0)
    f32 = np.float32
    x = rng.standard_normal((16, 1000)).astype(f32)
    target = rng.standard_normal((16, 10)).astype(f32)
    w1 = rng.uniform(-0.03, 0.03, (100, 1000)).astype(f32)
    b1 = rng.uniform(-0.03, 0.03, 100).astype(f32)
    w2 = rng.uniform(-0.1, 0.1, (10, 100)).astype(f32)
    b2 = rng.uniform(-0.1, 0.1, 10).astype(f32)
    params = (w1, b1, w2, b2)
    lr = f32(0.001)

    def run():
        h = x @ w1.T + b1
        r = np.maximum(h, 0)
        diff = r @ w2.T + b2 - target
        (diff * diff).sum()  # the loss value, as the step computes it
        g = 2 * diff
        gr = g @ w2
        gr *= h > 0
        grads = (gr.T @ x, gr.sum(0), g.T @ r, g.sum(0))
        for p, gp in zip(params, grads):
            gp *= lr
            p -= gp

    return run


# ----- mlp_adam_step: 784-512-512-10 MLP, cross-entropy, one Adam step ----------------------


def mlp_adam_step(torch, batch=256):
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)
    )
    x = torch.randn(batch, 784)
    y = torch.randint(0, 10, (batch,))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def run():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return run


def mlp_adam_step_cuda(torch, batch=1024):
    """mlp_adam_step on the GPU (batch 1024), synchronised so the step's device work counts."""
    nn = torch.nn
    torch.manual_seed(0)
    dev = torch.device("cuda")
    model = nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)
    ).to(dev)
    x = torch.randn(batch, 784).to(dev)
    y = torch.randint(0, 10, (batch,)).to(dev)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def run():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        torch.cuda.synchronize()
        return loss

    return run


def chain_cuda(torch):
    """The chain on the GPU: per-op overhead plus kernel launches."""
    dev = torch.device("cuda")

    def run():
        x = torch.randn(2, 3).to(dev).requires_grad_()
        y = torch.rand(2, 3).to(dev).requires_grad_()
        z = torch.ones(2, 3).to(dev).requires_grad_()
        for _ in range(1000):
            z = (z / x) * y
        z.sum().backward()
        torch.cuda.synchronize()

    return run


def mlp_adam_step_floor():
    rng = np.random.default_rng(0)
    f32 = np.float32
    x = rng.standard_normal((256, 784)).astype(f32)
    y = rng.integers(0, 10, 256)
    sizes = [(784, 512), (512, 512), (512, 10)]
    params = []
    for fan_in, fan_out in sizes:
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(f32))
        params.append(rng.uniform(-bound, bound, fan_out).astype(f32))
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    scratch = [np.empty_like(p) for p in params]
    lr, beta1, beta2, eps = 1e-3, 0.9, 0.999, 1e-8
    step = [0]
    rows = np.arange(256)

    def run():
        acts = [x]  # the inputs of each Linear; the ReLU masks are read back from them
        for i in range(0, 6, 2):
            z = acts[-1] @ params[i].T
            z += params[i + 1]
            if i < 4:
                np.maximum(z, 0, out=z)
                acts.append(z)
        z -= z.max(1, keepdims=True)
        e = np.exp(z)
        s = e.sum(1, keepdims=True)
        -(z[rows, y] - np.log(s[:, 0])).mean()  # the loss value
        g = e / s
        g[rows, y] -= 1
        g /= 256
        grads = [None] * 6
        for i in (4, 2, 0):
            a = acts[i // 2]
            grads[i], grads[i + 1] = g.T @ a, g.sum(0)
            if i:
                g = g @ params[i]
                g *= a > 0
        step[0] += 1
        bc1, bc2 = 1 - beta1 ** step[0], 1 - beta2 ** step[0]
        for p, gp, mp, vp, tmp in zip(params, grads, m, v, scratch):
            mp *= beta1
            np.multiply(gp, 1 - beta1, out=tmp)
            mp += tmp
            vp *= beta2
            np.multiply(gp, gp, out=tmp)
            tmp *= 1 - beta2
            vp += tmp
            np.sqrt(vp, out=tmp)
            tmp *= 1 / np.sqrt(bc2)
            tmp += eps
            np.divide(mp, tmp, out=tmp)
            tmp *= lr / bc1
            p -= tmp

    return run


# ----- hessian_20: the tutorial's advanced section, a 20x20 Hessian in float64 --------------


def _hessian_20(torch, vectorize):
    torch.manual_seed(0)
    v = torch.randn(20, dtype=torch.float64)

    def f(v):
        return (v.sin() * v.exp()).sum() + v.dot(v) ** 2

    def run():
        return torch.autograd.functional.hessian(f, v, vectorize=vectorize)

    return run


def hessian_20(torch):
    return _hessian_20(torch, vectorize=False)


def hessian_20_vec(torch):
    return _hessian_20(torch, vectorize=True)


# ----- cnn_step: a two-conv CNN on 28x28 images, one SGD step --------------------------------


def cnn_step(torch):
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(16 * 11 * 11, 10),
    )
    x = torch.randn(32, 1, 28, 28)
    y = torch.randint(0, 10, (32,))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

    def run():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    return run


WORKLOADS = {
    # name: (workload, floor or None, what the issue asks for)
    "chain": (chain, chain_floor, "ours <= 0.8x PyTorch"),
    "small_op_nograd": (small_op_nograd, small_op_floor, "ours <= 2x PyTorch"),
    "small_op_grad": (small_op_grad, small_op_floor, "ours <= 2x PyTorch"),
    "tiny_step": (tiny_step, tiny_step_floor, "ours <= 1.4x NumPy floor"),
    "mlp_adam_step": (mlp_adam_step, mlp_adam_step_floor, "ours <= 1.1x PyTorch"),
    "hessian_20": (hessian_20, None, "ours <= 1.0x PyTorch"),
    "hessian_20_vec": (hessian_20_vec, None, "ours <= 1.0x PyTorch"),
    "cnn_step": (cnn_step, None, "report the ratio to PyTorch"),
}

# Run only where a CUDA device is visible (`python -m benchmarks --gpu`).
GPU_WORKLOADS = {
    "mlp_adam_step_cuda": (mlp_adam_step_cuda, None, "report the ratio to PyTorch (GPU)"),
    "chain_cuda": (chain_cuda, None, "report the ratio to PyTorch (GPU)"),
}
