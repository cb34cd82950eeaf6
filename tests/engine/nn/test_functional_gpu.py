"""nn.functional on CUDA (CuPy): every op's output and gradients equal the CPU ones."""

import numpy as np
import pytest

import workbench.engine as torch
import workbench.engine.nn.functional as F
from tests.engine.helpers import make_inputs

IDX = [[1, 3, 1], [0, 3, 3]]
CLS = [2, 0, -100, 1]


def _t(v, dev):
    return torch.tensor(v, device=dev)


# name, fn(device, *inputs), input shapes (make_inputs keywords)
CASES = [
    ("linear", lambda d, x, w, b: F.linear(x, w, b), [(2, 4, 3), (5, 3), (5,)], {}),
    ("relu", lambda d, x: F.relu(x), [(3, 4)], {}),
    ("leaky_relu", lambda d, x: F.leaky_relu(x, 0.2), [(3, 4)], {}),
    ("elu", lambda d, x: F.elu(x), [(3, 4)], {}),
    ("gelu", lambda d, x: F.gelu(x), [(3, 4)], {}),
    ("gelu_tanh", lambda d, x: F.gelu(x, approximate="tanh"), [(3, 4)], {}),
    ("silu", lambda d, x: F.silu(x), [(3, 4)], {}),
    ("softplus", lambda d, x: F.softplus(x, 2.0, 1.0), [(3, 4)], {}),
    ("hardtanh", lambda d, x: F.hardtanh(x), [(3, 4)], {}),
    ("softmax", lambda d, x: F.softmax(x, 1), [(3, 4)], {}),
    ("log_softmax", lambda d, x: F.log_softmax(x, 0), [(3, 4)], {}),
    (
        "conv2d",
        lambda d, x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2),
        [(2, 4, 7, 6), (6, 2, 3, 3), (6,)],
        {},
    ),
    (
        "conv2d_same",
        lambda d, x, w: F.conv2d(x, w, padding="same", dilation=2),
        [(1, 2, 6, 6), (3, 2, 3, 3)],
        {},
    ),
    (
        "conv_transpose2d",
        lambda d, x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
        [(1, 2, 4, 4), (2, 3, 3, 3)],
        {},
    ),
    ("max_pool2d", lambda d, x: F.max_pool2d(x, 2), [(2, 3, 6, 7)], {}),
    (
        "max_pool2d_overlap",
        lambda d, x: F.max_pool2d(x, 3, 1, 1, ceil_mode=True),
        [(2, 3, 6, 7)],
        {},
    ),
    ("avg_pool2d", lambda d, x: F.avg_pool2d(x, 3, 2, 1, True, False), [(2, 3, 6, 7)], {}),
    ("adaptive_avg_pool2d", lambda d, x: F.adaptive_avg_pool2d(x, (2, 3)), [(2, 3, 6, 7)], {}),
    ("layer_norm", lambda d, x, w, b: F.layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)], {}),
    (
        "batch_norm",
        lambda d, x, w, b: F.batch_norm(x, None, None, w, b, True),
        [(4, 3, 2, 2), (3,), (3,)],
        {},
    ),
    ("group_norm", lambda d, x: F.group_norm(x, 2), [(2, 4, 3)], {}),
    ("embedding", lambda d, w: F.embedding(_t(IDX, d), w, padding_idx=0), [(5, 3)], {}),
    ("pad_constant", lambda d, x: F.pad(x, (1, -1, 2, 0), value=0.5), [(2, 3, 4)], {}),
    ("pad_reflect", lambda d, x: F.pad(x, (2, 1, 1, 2), mode="reflect"), [(1, 2, 3, 4)], {}),
    ("pad_replicate", lambda d, x: F.pad(x, (2, 1), mode="replicate"), [(2, 3, 4)], {}),
    ("mse", lambda d, x, y: F.mse_loss(x, y), [(3, 4), (3, 4)], {}),
    ("l1", lambda d, x, y: F.l1_loss(x, y, reduction="sum"), [(3, 4), (3, 4)], {}),
    ("smooth_l1", lambda d, x, y: F.smooth_l1_loss(x, y, reduction="none"), [(3, 4), (3, 4)], {}),
    ("huber", lambda d, x, y: F.huber_loss(x, y, delta=0.5), [(3, 4), (3, 4)], {}),
    (
        "cross_entropy",
        lambda d, x: F.cross_entropy(
            x, _t(CLS, d), label_smoothing=0.1, weight=_t([0.5, 1.0, 2.0], d).double()
        ),
        [(4, 3)],
        {},
    ),
    (
        "cross_entropy_probs",
        lambda d, x, y: F.cross_entropy(x, F.softmax(y, 1)),
        [(4, 3), (4, 3)],
        {},
    ),
    (
        "nll_2d",
        lambda d, x: F.nll_loss(F.log_softmax(x, 1), _t([[[0, 2], [1, 1]]], d), reduction="none"),
        [(1, 3, 2, 2)],
        {},
    ),
    (
        "bce",
        lambda d, x, y: F.binary_cross_entropy(x, y),
        [(3, 4), (3, 4)],
        {"low": 0.05, "high": 0.95},
    ),
    (
        "bce_logits",
        lambda d, x, y: F.binary_cross_entropy_with_logits(
            x, y.sigmoid(), pos_weight=_t([1.0, 2.0, 0.5, 1.0], d).double()
        ),
        [(3, 4), (3, 4)],
        {},
    ),
]


def _run(fn, dev, arrays):
    ins = [torch.tensor(a, device=dev, requires_grad=True) for a in arrays]
    out = fn(dev, *ins)
    go = np.random.default_rng(7).standard_normal(tuple(out.shape))
    grads = torch.autograd.grad(out, ins, torch.tensor(go, device=dev), allow_unused=True)
    return out.detach().cpu().numpy(), [None if g is None else g.cpu().numpy() for g in grads]


@pytest.mark.gpu
@pytest.mark.parametrize("name, fn, shapes, kw", CASES, ids=[c[0] for c in CASES])
def test_gpu_matches_cpu(name, fn, shapes, kw):
    arrays = [t.detach().numpy() for t in make_inputs(*shapes, **kw)]
    y_cpu, g_cpu = _run(fn, "cpu", arrays)
    y_gpu, g_gpu = _run(fn, "cuda", arrays)
    np.testing.assert_allclose(y_gpu, y_cpu, rtol=1e-10, atol=1e-12)
    for a, b in zip(g_gpu, g_cpu):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.gpu
def test_gpu_conv_double_backward_and_running_stats():
    x, w = make_inputs((1, 2, 5, 5), (3, 2, 3, 3))
    res = {}
    for dev in ("cpu", "cuda"):
        xd = x.detach().to(dev).requires_grad_(True)
        wd = w.detach().to(dev).requires_grad_(True)
        (gx,) = torch.autograd.grad(F.conv2d(xd, wd, stride=2).pow(2).sum(), xd, create_graph=True)
        (gw,) = torch.autograd.grad(gx.pow(2).sum(), wd)
        rm, rv = torch.zeros(2, device=dev), torch.ones(2, device=dev)
        F.batch_norm(xd.detach().float(), rm, rv, training=True)
        res[dev] = (gw.cpu().numpy(), rm.cpu().numpy(), rv.cpu().numpy())
    for a, b in zip(res["cuda"], res["cpu"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
def test_gpu_dropout_mask_matches_cpu_for_a_seed():
    x = torch.ones(64, 64)
    torch.manual_seed(3)
    cpu = F.dropout(x, 0.4).numpy()
    torch.manual_seed(3)
    gpu = F.dropout(x.cuda(), 0.4)
    assert gpu.device.type == "cuda"
    np.testing.assert_array_equal(gpu.cpu().numpy(), cpu)
    assert F.one_hot(_t([0, 2], "cuda"), 3).cpu().tolist() == [[1, 0, 0], [0, 0, 1]]
