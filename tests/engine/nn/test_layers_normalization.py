"""LayerNorm, GroupNorm, BatchNorm1d/2d layers: printing, parameters and buffers, state_dict
keys, training versus eval, running statistics, num_batches_tracked, momentum=None."""

import numpy as np
import pytest

import workbench.engine as torch
import workbench.engine.nn as nn
import workbench.engine.nn.functional as F
from tests.engine.helpers import check_grads


@pytest.mark.parametrize(
    "layer, text",
    [
        (nn.LayerNorm(5), "LayerNorm((5,), eps=1e-05, elementwise_affine=True, bias=True)"),
        (
            nn.LayerNorm((2, 3), eps=1e-3, elementwise_affine=False),
            "LayerNorm((2, 3), eps=0.001, elementwise_affine=False, bias=False)",
        ),
        (
            nn.LayerNorm(4, bias=False),
            "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=False)",
        ),
        (nn.GroupNorm(2, 4), "GroupNorm(2, 4, eps=1e-05, affine=True)"),
        (
            nn.BatchNorm1d(3),
            "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
            "track_running_stats=True)",
        ),
        (
            nn.BatchNorm2d(4, momentum=None, affine=False, track_running_stats=False),
            "BatchNorm2d(4, eps=1e-05, momentum=None, affine=False, bias=False, "
            "track_running_stats=False)",
        ),
    ],
)
def test_repr(layer, text):
    assert repr(layer) == text


def test_layer_norm_layer():
    ln = nn.LayerNorm((2, 3)).double()
    assert ln.weight.tolist() == [[1.0] * 3] * 2 and ln.bias.tolist() == [[0.0] * 3] * 2
    x = torch.randn(4, 2, 3, dtype=torch.float64, requires_grad=True)
    np.testing.assert_allclose(ln(x).detach().numpy(), F.layer_norm(x, (2, 3)).detach().numpy())
    ln(x).sum().backward()
    assert ln.weight.grad.shape == (2, 3)
    assert nn.LayerNorm(3, elementwise_affine=False).state_dict() == {}


def test_batch_norm_buffers_and_state_dict():
    bn = nn.BatchNorm2d(3)
    assert list(bn.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert bn.num_batches_tracked.dtype == torch.int64 and bn.num_batches_tracked.item() == 0
    assert bn.running_mean.tolist() == [0.0] * 3 and bn.running_var.tolist() == [1.0] * 3
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert list(nn.BatchNorm1d(3, track_running_stats=False).state_dict()) == ["weight", "bias"]


def test_batch_norm_train_then_eval():
    torch.manual_seed(0)
    bn = nn.BatchNorm2d(3, momentum=0.3).double()
    x = torch.randn(4, 3, 2, 2, dtype=torch.float64) * 2 + 1
    xa = x.numpy()
    y = bn(x)
    np.testing.assert_allclose(y.detach().numpy().mean((0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.3 * xa.mean((0, 2, 3)))
    np.testing.assert_allclose(bn.running_var.numpy(), 0.7 + 0.3 * xa.var((0, 2, 3), ddof=1))
    assert bn.num_batches_tracked.item() == 1
    bn.eval()
    rm, rv = bn.running_mean.numpy().copy(), bn.running_var.numpy().copy()
    y = bn(x)
    np.testing.assert_allclose(
        y.detach().numpy(), (xa - rm[:, None, None]) / np.sqrt(rv[:, None, None] + 1e-5)
    )
    assert bn.num_batches_tracked.item() == 1 and np.array_equal(bn.running_mean.numpy(), rm)


def test_batch_norm_cumulative_average_and_untracked():
    bn = nn.BatchNorm1d(2, momentum=None).double()
    batches = [torch.randn(5, 2, dtype=torch.float64) for _ in range(3)]
    for b in batches:
        bn(b)
    np.testing.assert_allclose(
        bn.running_mean.numpy(), np.mean([b.numpy().mean(0) for b in batches], 0)
    )
    assert bn.num_batches_tracked.item() == 3
    free = nn.BatchNorm1d(2, track_running_stats=False).eval()
    x = torch.randn(6, 2)
    np.testing.assert_allclose(free(x).detach().numpy().mean(0), 0, atol=1e-6)  # batch stats


def test_batch_norm_1d_on_sequences_and_gradcheck():
    bn = nn.BatchNorm1d(2).double()
    x = torch.randn(3, 2, 4, dtype=torch.float64, requires_grad=True)
    assert bn(x).shape == (3, 2, 4)
    check_grads(
        lambda x: nn.BatchNorm1d(2).double()(x),
        torch.randn(3, 2, dtype=torch.float64, requires_grad=True),
    )


def test_load_old_state_dict_without_num_batches_tracked():
    bn = nn.BatchNorm1d(2)
    state = {k: v for k, v in nn.BatchNorm1d(2).state_dict().items() if k != "num_batches_tracked"}
    from collections import OrderedDict

    state = OrderedDict(state)
    state._metadata = {"": {"version": 1}}
    bn.load_state_dict(state)
    assert bn.num_batches_tracked.item() == 0


def test_batch_norm_errors():
    with pytest.raises(ValueError, match=r"expected 4D input \(got 2D input\)"):
        nn.BatchNorm2d(3)(torch.randn(2, 3))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(torch.randn(2, 3, 1, 1))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(torch.randn(1, 3))
    nn.BatchNorm1d(3).eval()(torch.randn(1, 3))  # fine in eval mode
