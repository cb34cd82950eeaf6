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


WORKLOADS = {
    # name: (workload, floor or None, what the issue asks for)
    "chain": (chain, chain_floor, "ours <= 0.8x PyTorch"),
    "small_op_nograd": (small_op_nograd, small_op_floor, "ours <= 2x PyTorch"),
    "small_op_grad": (small_op_grad, small_op_floor, "ours <= 2x PyTorch"),
}
