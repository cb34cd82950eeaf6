"""nn.utils: clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters."""

from __future__ import annotations

import math

import pytest

import workbench.engine as torch
from workbench.engine import nn
from workbench.engine.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    parameters_to_vector,
    vector_to_parameters,
)


def _params(*grads, dtype=None):
    out = []
    for g in grads:
        p = nn.Parameter(torch.zeros(len(g), dtype=dtype or torch.float32))
        p.grad = torch.tensor(g, dtype=dtype or torch.float32)
        out.append(p)
    return out


def test_clip_grad_norm_scales_by_total_l2_norm():
    p1, p2 = _params([3.0, 4.0], [12.0, 0.0])
    total = clip_grad_norm_([p1, p2], 1.0)
    assert total.item() == 13.0 and total.shape == () and total.dtype is torch.float32
    coef = 1.0 / (13.0 + 1e-6)
    assert p1.grad.tolist() == pytest.approx([3 * coef, 4 * coef], rel=1e-6)
    assert p2.grad.tolist() == pytest.approx([12 * coef, 0.0], rel=1e-6)
    # PyTorch's float32 arithmetic, to the last bit
    assert p1.grad.tolist() == [0.23076921701431274, 0.307692289352417]


def test_clip_grad_norm_leaves_small_grads_alone():
    p1, p2 = _params([3.0, -4.0], [12.0, 0.0])
    total = clip_grad_norm_([p1, p2], 100.0, norm_type=float("inf"))
    assert total.item() == 12.0
    assert p1.grad.tolist() == [3.0, -4.0]


def test_clip_grad_norm_other_norms_and_inputs():
    (p,) = _params([3.0, -4.0])
    total = clip_grad_norm_(p, 1.0, norm_type=1)  # a single tensor is accepted
    assert total.item() == 7.0
    assert p.grad.tolist() == [0.42857134342193604, -0.5714284777641296]
    (p,) = _params([3.0, -4.0], dtype=torch.float64)
    total = clip_grad_norm_(iter([p]), 1.0)
    assert total.dtype is torch.float64 and total.item() == 5.0
    assert p.grad.tolist() == [3 / (5 + 1e-6), -4 / (5 + 1e-6)]
    (p,) = _params([1.0, 2.0, 2.0])
    assert clip_grad_norm_([p], 10.0, norm_type=3).item() == pytest.approx(17 ** (1 / 3))
    assert clip_grad_norm_([], 1.0).item() == 0.0
    no_grad = nn.Parameter(torch.zeros(2))
    assert clip_grad_norm_([no_grad], 1.0).item() == 0.0 and no_grad.grad is None
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        clip_grad_norm_((q for q in []), 1.0)


def test_clip_grad_norm_nonfinite():
    (p,) = _params([float("nan"), -4.0])
    with pytest.raises(RuntimeError) as info:
        clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    assert str(info.value) == (
        "The total norm of order 2.0 for gradients from `parameters` is non-finite, so it cannot "
        "be clipped. To disable this error and scale the gradients by the non-finite norm "
        "anyway, set `error_if_nonfinite=False`"
    )
    total = clip_grad_norm_(p, 1.0)
    assert math.isnan(total.item())


def test_clip_grad_norm_on_a_model_in_place():
    lin = nn.Linear(3, 2)
    (lin(torch.ones(4, 3)) * 100).sum().backward()
    grads = [p.grad for p in lin.parameters()]
    total = clip_grad_norm_(lin.parameters(), 0.5)
    assert total.item() > 0.5
    assert [p.grad for p in lin.parameters()] == grads  # the same tensors, scaled in place
    norm = math.sqrt(sum(float((g * g).sum().item()) for g in grads))
    assert norm == pytest.approx(0.5, rel=1e-5)


def test_clip_grad_value():
    p1, p2 = _params([3.0, -4.0], [0.5, -9.0])
    assert clip_grad_value_([p1, p2], 3.5) is None
    assert p1.grad.tolist() == [3.0, -3.5] and p2.grad.tolist() == [0.5, -3.5]
    clip_grad_value_(p1, 1)
    assert p1.grad.tolist() == [1.0, -1.0]


def test_parameters_vector_round_trip():
    p1 = nn.Parameter(torch.tensor([3.0, 4.0]))
    p2 = nn.Parameter(torch.tensor([[1.0, -2.0]]))
    v = parameters_to_vector([p1, p2])
    assert v.tolist() == [3.0, 4.0, 1.0, -2.0]
    assert v.grad_fn.name() == "CatBackward0"
    vector_to_parameters(torch.arange(4.0), [p1, p2])
    assert p1.tolist() == [0.0, 1.0] and p2.tolist() == [[2.0, 3.0]]
    assert isinstance(p2, nn.Parameter) and p2.shape == (1, 2)
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        vector_to_parameters([1, 2], [p1])


@pytest.mark.gpu
def test_clip_grad_on_cuda():
    p1, p2 = (p.cuda() for p in _params([3.0, 4.0], [12.0, 0.0]))
    p1, p2 = nn.Parameter(p1), nn.Parameter(p2)
    p1.grad = torch.tensor([3.0, 4.0]).cuda()
    p2.grad = torch.tensor([12.0, 0.0]).cuda()
    total = clip_grad_norm_([p1, p2], 1.0)
    assert total.is_cuda and total.item() == 13.0
    assert p1.grad.is_cuda
    assert p1.grad.cpu().tolist() == pytest.approx([3 / 13, 4 / 13], rel=1e-5)
    clip_grad_value_([p2], 0.1)
    assert p2.grad.cpu().tolist() == pytest.approx([0.1, 0.0])
