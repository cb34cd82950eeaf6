"""The one helper every op test uses: finite-difference checks, first and second order."""

from __future__ import annotations

import numpy as np

import workbench.engine as torch


def make_inputs(*shapes, seed=0, positive=False, low=None, high=None):
    """float64 leaves that require grad, with values away from kinks by default."""
    rng = np.random.default_rng(seed)
    out = []
    for shape in shapes:
        if low is not None:
            a = rng.uniform(low, high, size=shape)
        elif positive:
            a = rng.uniform(0.5, 2.0, size=shape)
        else:
            a = rng.standard_normal(shape)
        out.append(torch.tensor(a, dtype=torch.float64, requires_grad=True))
    return out


def check_grads(fn, *inputs, second_order=True, atol=1e-5, rtol=1e-3):
    """gradcheck and (optionally) gradgradcheck of `fn` at `inputs` (float64 tensors)."""
    assert torch.autograd.gradcheck(fn, inputs, atol=atol, rtol=rtol)
    if second_order:
        assert torch.autograd.gradgradcheck(fn, inputs, atol=atol, rtol=rtol)


# Shape pairs that exercise broadcasting in binary ops.
BROADCAST_SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((2, 1), (1, 3)),
    ((4, 1, 3), (2, 1)),
    ((), (2, 3)),
    ((2, 3), ()),
]
