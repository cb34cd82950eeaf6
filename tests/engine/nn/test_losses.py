"""Losses: values and input gradients against PyTorch for every reduction, weights,
ignore_index, label_smoothing, probabilities as targets, spatial targets; gradients to second
order; the loss layers; errors.

Reference values were computed with PyTorch on the inputs below; the gradient is for
grad_output 1 (reduced) or 1, 2, 3, ... (reduction='none').
"""

import math

import numpy as np
import pytest

import workbench.engine as torch
import workbench.engine.nn as nn
import workbench.engine.nn.functional as F
from tests.engine.helpers import check_grads, make_inputs

D = torch.float64
L = [[1.0, -0.5, 2.0], [0.3, 0.2, -1.0], [-2.0, 1.5, 0.0], [0.5, 0.5, 0.5]]
T = [2, 0, 1, 2]
W = [0.2, 1.0, 3.0]
P = [[0.1, 0.6, 0.3], [0.5, 0.25, 0.25], [0.0, 0.0, 1.0], [0.2, 0.2, 0.6]]
S = np.linspace(-2, 2, 12).reshape(2, 3, 2)
ST = [[0, 2], [1, -100]]
X = [[0.5, -1.2, 3.0], [0.1, 0.9, -0.4]]
Y = [[0.0, -1.0, 1.0], [2.0, 0.85, -0.4]]
PR = [[0.1, 0.7, 0.999], [0.5, 0.2, 0.0]]
YB = [[0.0, 1.0, 1.0], [0.3, 0.0, 1.0]]
WB = [[1.0, 2.0, 0.5], [0.3, 1.0, 1.0]]
PW = [2.0, 0.5, 1.0]


def t(v, **kw):
    return torch.tensor(v, **kw)


CASES = {  # name -> (loss of x at reduction r, which input x is)
    "ce": (lambda x, r: F.cross_entropy(x, t(T), reduction=r), L),
    "ce_w": (lambda x, r: F.cross_entropy(x, t(T), weight=t(W, dtype=D), reduction=r), L),
    "ce_ign": (lambda x, r: F.cross_entropy(x, t([2, -100, 1, 0]), reduction=r), L),
    "ce_ls": (
        lambda x, r: F.cross_entropy(
            x, t(T), weight=t(W, dtype=D), label_smoothing=0.2, reduction=r, ignore_index=0
        ),
        L,
    ),
    "ce_prob": (
        lambda x, r: F.cross_entropy(
            x, t(P, dtype=D), weight=t(W, dtype=D), label_smoothing=0.1, reduction=r
        ),
        L,
    ),
    "ce_2d": (lambda x, r: F.cross_entropy(x, t(ST), reduction=r), S),
    "nll": (lambda x, r: F.nll_loss(x, t(T), weight=t(W, dtype=D), reduction=r), L),
    "mse": (lambda x, r: F.mse_loss(x, t(Y, dtype=D), reduction=r), X),
    "l1": (lambda x, r: F.l1_loss(x, t(Y, dtype=D), reduction=r), X),
    "smooth_l1": (lambda x, r: F.smooth_l1_loss(x, t(Y, dtype=D), reduction=r, beta=0.5), X),
    "huber": (lambda x, r: F.huber_loss(x, t(Y, dtype=D), reduction=r, delta=0.8), X),
    "bce": (
        lambda x, r: F.binary_cross_entropy(x, t(YB, dtype=D), weight=t(WB, dtype=D), reduction=r),
        PR,
    ),
    "bcel": (
        lambda x, r: F.binary_cross_entropy_with_logits(
            x, t(YB, dtype=D), weight=t(WB, dtype=D), pos_weight=t(PW, dtype=D), reduction=r
        ),
        X,
    ),
}

EXPECTED = {
    "ce_mean": (
        [0.6185176835],
        [
            0.06342904541,
            0.01415293306,
            -0.07758197847,
            -0.1351825411,
            0.1038911331,
            0.03129140796,
            0.006023442072,
            -0.05053099345,
            0.04450755138,
            0.08333333333,
            0.08333333333,
            -0.1666666667,
        ],
    ),
    "ce_w_mean": (
        [0.6655388172],
        [
            0.1057150757,
            0.02358822177,
            -0.1293032974,
            -0.01502028234,
            0.01154345923,
            0.003476823106,
            0.003346356707,
            -0.02807277414,
            0.02472641743,
            0.1388888889,
            0.1388888889,
            -0.2777777778,
        ],
    ),
    "ce_ign_mean": (
        [0.5653177899],
        [
            0.08457206055,
            0.01887057741,
            -0.103442638,
            0.0,
            0.0,
            0.0,
            0.008031256096,
            -0.06737465793,
            0.05934340184,
            -0.2222222222,
            0.1111111111,
            0.1111111111,
        ],
    ),
    "ce_ls_mean": (
        [0.6729340598],
        [
            0.09523229049,
            0.01215039653,
            -0.107382687,
            0.0,
            0.0,
            0.0,
            0.001812562345,
            -0.0007086511947,
            -0.00110391115,
            0.1257142857,
            0.1180952381,
            -0.2438095238,
        ],
    ),
    "ce_prob_mean": (
        [2.741588963],
        [
            0.08948433381,
            -0.1219907103,
            0.03250637647,
            0.1055770619,
            0.05281364707,
            -0.158390709,
            0.01543990882,
            0.5581586453,
            -0.5735985541,
            0.154,
            0.1113333333,
            -0.2653333333,
        ],
    ),
    "ce_2d_mean": (
        [1.267694955],
        [
            -0.2879939834,
            0.04533934998,
            0.09382656601,
            0.09382656601,
            0.1941674173,
            -0.139165916,
            0.04533934998,
            0.0,
            -0.2395067673,
            0.0,
            0.1941674173,
            0.0,
        ],
    ),
    "nll_mean": (
        [-1.258333333],
        [
            0.0,
            0.0,
            -0.4166666667,
            -0.02777777778,
            0.0,
            0.0,
            0.0,
            -0.1388888889,
            0.0,
            0.0,
            0.0,
            -0.4166666667,
        ],
    ),
    "ce_sum": (
        [2.474070734],
        [
            0.2537161816,
            0.05661173224,
            -0.3103279139,
            -0.5407301642,
            0.4155645324,
            0.1251656318,
            0.02409376829,
            -0.2021239738,
            0.1780302055,
            0.3333333333,
            0.3333333333,
            -0.6666666667,
        ],
    ),
    "ce_w_sum": (
        [4.791879484],
        [
            0.7611485449,
            0.1698351967,
            -0.9309837416,
            -0.1081460328,
            0.08311290648,
            0.02503312637,
            0.02409376829,
            -0.2021239738,
            0.1780302055,
            1.0,
            1.0,
            -2.0,
        ],
    ),
    "ce_ign_sum": (
        [1.69595337],
        [
            0.2537161816,
            0.05661173224,
            -0.3103279139,
            0.0,
            0.0,
            0.0,
            0.02409376829,
            -0.2021239738,
            0.1780302055,
            -0.6666666667,
            0.3333333333,
            0.3333333333,
        ],
    ),
    "ce_ls_sum": (
        [4.710538419],
        [
            0.6666260334,
            0.08505277574,
            -0.7516788092,
            0.0,
            0.0,
            0.0,
            0.01268793642,
            -0.004960558363,
            -0.007727378053,
            0.88,
            0.8266666667,
            -1.706666667,
        ],
    ),
    "ce_prob_sum": (
        [10.96635585],
        [
            0.3579373352,
            -0.4879628411,
            0.1300255059,
            0.4223082478,
            0.2112545883,
            -0.633562836,
            0.06175963527,
            2.232634581,
            -2.294394216,
            0.616,
            0.4453333333,
            -1.061333333,
        ],
    ),
    "ce_2d_sum": (
        [3.803084864],
        [
            -0.8639819501,
            0.1360180499,
            0.281479698,
            0.281479698,
            0.582502252,
            -0.417497748,
            0.1360180499,
            0.0,
            -0.718520302,
            0.0,
            0.582502252,
            0.0,
        ],
    ),
    "nll_sum": ([-9.06], [0.0, 0.0, -3.0, -0.2, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, -3.0]),
    "ce_none": (
        [0.3715390319, 0.7781173641, 0.2258020492, 1.098612289],
        [
            0.2537161816,
            0.05661173224,
            -0.3103279139,
            -1.081460328,
            0.8311290648,
            0.2503312637,
            0.07228130486,
            -0.6063719214,
            0.5340906165,
            1.333333333,
            1.333333333,
            -2.666666667,
        ],
    ),
    "ce_w_none": (
        [1.114617096, 0.1556234728, 0.2258020492, 3.295836866],
        [
            0.7611485449,
            0.1698351967,
            -0.9309837416,
            -0.2162920657,
            0.166225813,
            0.05006625273,
            0.07228130486,
            -0.6063719214,
            0.5340906165,
            4.0,
            4.0,
            -8.0,
        ],
    ),
    "ce_ign_none": (
        [0.3715390319, 0.0, 0.2258020492, 1.098612289],
        [
            0.2537161816,
            0.05661173224,
            -0.3103279139,
            0.0,
            0.0,
            0.0,
            0.07228130486,
            -0.6063719214,
            0.5340906165,
            -2.666666667,
            1.333333333,
            1.333333333,
        ],
    ),
    "ce_ls_none": (
        [1.175724605, 0.0, 0.5905328798, 2.944280934],
        [
            0.6666260334,
            0.08505277574,
            -0.7516788092,
            0.0,
            0.0,
            0.0,
            0.03806380925,
            -0.01488167509,
            -0.02318213416,
            3.52,
            3.306666667,
            -6.826666667,
        ],
    ),
    "ce_prob_none": (
        [2.01828086, 1.912605955, 4.864611153, 2.170857882],
        [
            0.3579373352,
            -0.4879628411,
            0.1300255059,
            0.8446164955,
            0.4225091765,
            -1.267125672,
            0.1852789058,
            6.697903743,
            -6.883182649,
            2.464,
            1.781333333,
            -4.245333333,
        ],
    ),
    "ce_2d_none": (
        [1.994967682, 0.5404222274, 1.267694955, 0.0],
        [
            -0.8639819501,
            0.2720360999,
            0.281479698,
            0.5629593961,
            0.582502252,
            -0.8349954959,
            0.4080541498,
            0.0,
            -2.155560906,
            0.0,
            1.747506756,
            0.0,
        ],
    ),
    "nll_none": (
        [-6.0, -0.06, -1.5, -1.5],
        [0.0, 0.0, -3.0, -0.4, 0.0, 0.0, 0.0, -3.0, 0.0, 0.0, 0.0, -12.0],
    ),
    "mse_mean": (
        [1.317083333],
        [0.1666666667, -0.06666666667, 0.6666666667, -0.6333333333, 0.01666666667, 0.0],
    ),
    "l1_mean": (
        [0.775],
        [0.1666666667, -0.1666666667, 0.1666666667, -0.1666666667, 0.1666666667, 0.0],
    ),
    "smooth_l1_mean": (
        [0.6154166667],
        [0.1666666667, -0.06666666667, 0.1666666667, -0.1666666667, 0.01666666667, 0.0],
    ),
    "huber_mean": (
        [0.4377083333],
        [0.08333333333, -0.03333333333, 0.1333333333, -0.1333333333, 0.008333333333, 0.0],
    ),
    "bce_mean": (
        [16.87504973],
        [0.1851851852, -0.4761904762, -0.08341675008, 0.04, 0.2083333333, -166666667300.0],
    ),
    "bcel_mean": (
        [0.814689492],
        [
            0.1037432219,
            -0.1280874639,
            -0.003952156098,
            0.004123647186,
            0.1184915838,
            -0.09978127669,
        ],
    ),
    "mse_sum": ([7.9025], [1.0, -0.4, 4.0, -3.8, 0.1, 0.0]),
    "l1_sum": ([4.65], [1.0, -1.0, 1.0, -1.0, 1.0, 0.0]),
    "smooth_l1_sum": ([3.6925], [1.0, -0.4, 1.0, -1.0, 0.1, 0.0]),
    "huber_sum": ([2.62625], [0.5, -0.2, 0.8, -0.8, 0.05, 0.0]),
    "bce_sum": (
        [101.2502984],
        [1.111111111, -2.857142857, -0.5005005005, 0.24, 1.25, -1000000004000.0],
    ),
    "bcel_sum": (
        [4.888136952],
        [0.6224593312, -0.7685247835, -0.02371293659, 0.02474188312, 0.7109495026, -0.5986876601],
    ),
    "mse_none": ([0.25, 0.04, 4.0, 3.61, 0.0025, 0.0], [1.0, -0.8, 12.0, -15.2, 0.5, 0.0]),
    "l1_none": ([0.5, 0.2, 2.0, 1.9, 0.05, 0.0], [1.0, -2.0, 3.0, -4.0, 5.0, 0.0]),
    "smooth_l1_none": ([0.25, 0.04, 1.75, 1.65, 0.0025, 0.0], [1.0, -0.8, 3.0, -4.0, 0.5, 0.0]),
    "huber_none": ([0.125, 0.02, 1.28, 1.2, 0.00125, 0.0], [0.5, -0.4, 2.4, -3.2, 0.25, 0.0]),
    "bce_none": (
        [0.1053605157, 0.7133498879, 0.0005002501668, 0.2079441542, 0.2231435513, 100.0],
        [1.111111111, -5.714285714, -1.501501502, 0.96, 6.25, -6000000024000.0],
    ),
    "bcel_none": (
        [0.9740769842, 1.463282467, 0.02429367579, 0.2723146974, 1.241153875, 0.9130152524],
        [0.6224593312, -1.537049567, -0.07113880977, 0.09896753247, 3.554747513, -3.592125961],
    ),
    "mse_weight": (
        [0.5888793103],
        [0.1724137931, -0.1379310345, 0.3448275862, -0.1965517241, 0.01724137931, 0.0],
    ),
    "huber_weight": (
        [0.2227083333],
        [0.08333333333, -0.06666666667, 0.08333333333, -0.05, 0.008333333333, 0.0],
    ),
}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", list(CASES))
def test_values_and_grads_match_pytorch(name, reduction):
    fn, data = CASES[name]
    x = t(data, dtype=D, requires_grad=True)
    y = fn(x, reduction)
    go = torch.ones_like(y) if y.ndim == 0 else t(np.arange(1.0, y.numel() + 1).reshape(y.shape))
    (g,) = torch.autograd.grad(y, x, go)
    want_y, want_g = EXPECTED[f"{name}_{reduction}"]
    np.testing.assert_allclose(y.detach().numpy().ravel(), want_y, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(g.numpy().ravel(), want_g, rtol=1e-8, atol=1e-12)


def test_weighted_regression_losses():
    x = t(X, dtype=D, requires_grad=True)
    for name, fn in [("mse_weight", F.mse_loss), ("huber_weight", F.huber_loss)]:
        y = fn(x, t(Y, dtype=D), weight=t(WB, dtype=D))
        (g,) = torch.autograd.grad(y, x)
        np.testing.assert_allclose(y.item(), EXPECTED[name][0][0], rtol=1e-8)
        np.testing.assert_allclose(g.numpy().ravel(), EXPECTED[name][1], rtol=1e-8)


def test_bce_extremes_and_target_gradients():
    # log clamped at -100, as PyTorch: a confident mistake costs 100, not inf
    y = F.binary_cross_entropy(
        t([0.0, 1.0, 0.5], dtype=D), t([1.0, 0.0, 0.5], dtype=D), reduction="none"
    )
    np.testing.assert_allclose(y.numpy(), [100.0, 100.0, 0.6931471806])
    y = F.binary_cross_entropy_with_logits(
        t([-800.0, 800.0, 0.0], dtype=D), t([1.0, 0.0, 0.5], dtype=D), reduction="none"
    )
    np.testing.assert_allclose(y.numpy(), [800.0, 800.0, 0.6931471806])
    yt = t(YB, dtype=D, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(t(X, dtype=D), yt, pos_weight=t(PW, dtype=D))
    (g,) = torch.autograd.grad(loss, yt)
    np.testing.assert_allclose(
        g.numpy().ravel(),
        [-0.004320502637, 0.07805979439, -0.5, 0.09073277668, -0.1784294896, 0.06666666667],
        rtol=1e-8,
    )
    yt = t(YB, dtype=D, requires_grad=True)
    loss = F.binary_cross_entropy(t(PR, dtype=D), yt, weight=t(WB, dtype=D), reduction="sum")
    (g,) = torch.autograd.grad(loss, yt)
    np.testing.assert_allclose(
        g.numpy().ravel(),
        [2.197224577, -1.694595721, -3.453377389, -0.0, 1.386294361, math.inf],
        rtol=1e-8,
    )


def test_grad_fn_names():
    x = t(L, dtype=D, requires_grad=True)
    assert F.cross_entropy(x, t(T)).grad_fn.name() == "NllLossBackward0"
    assert F.nll_loss(x, t(T)).grad_fn.name() == "NllLossBackward0"
    s = t(S, requires_grad=True)
    assert F.cross_entropy(s, t(ST)).grad_fn.name() == "NllLoss2DBackward0"
    assert F.mse_loss(x, x.detach()).grad_fn.name() == "MseLossBackward0"
    assert F.smooth_l1_loss(x, x.detach()).grad_fn.name() == "SmoothL1LossBackward0"
    assert F.huber_loss(x, x.detach()).grad_fn.name() == "HuberLossBackward0"
    p = t(PR, dtype=D, requires_grad=True)
    assert F.binary_cross_entropy(p, p.detach()).grad_fn.name() == "BinaryCrossEntropyBackward0"
    assert (
        F.binary_cross_entropy_with_logits(x, x.detach().sigmoid()).grad_fn.name()
        == "BinaryCrossEntropyWithLogitsBackward0"
    )


GRADCHECK = {
    "ce": lambda x, y: F.cross_entropy(x, t([2, 0, 1]), weight=t(W, dtype=D)),
    "ce_ls": lambda x, y: F.cross_entropy(x, t([2, 0, 1]), label_smoothing=0.3, reduction="sum"),
    "ce_prob": lambda x, y: F.cross_entropy(x, F.softmax(y, 1)),
    "nll_none": lambda x, y: F.nll_loss(x, t([2, 0, 1]), reduction="none"),
    "mse": lambda x, y: F.mse_loss(x, y),
    "l1": lambda x, y: F.l1_loss(x, y, reduction="sum"),
    "smooth_l1": lambda x, y: F.smooth_l1_loss(x, y, beta=0.7, reduction="none"),
    "huber": lambda x, y: F.huber_loss(x, y, delta=0.6),
    "bce": lambda x, y: F.binary_cross_entropy(x.sigmoid(), y.sigmoid(), weight=t(W, dtype=D)),
    "bcel": lambda x, y: F.binary_cross_entropy_with_logits(
        x, y.sigmoid(), pos_weight=t(PW, dtype=D)
    ),
}


@pytest.mark.parametrize("name", list(GRADCHECK))
def test_gradcheck_second_order(name):
    x, y = make_inputs((3, 3), (3, 3), seed=4)
    check_grads(GRADCHECK[name], x, y)


def test_ignore_everything_gives_nan_and_spatial_targets():
    x = t(L, dtype=D)
    assert math.isnan(F.cross_entropy(x, t([-100] * 4)).item())
    x4 = t(np.linspace(-1, 1, 24).reshape(2, 3, 2, 2), requires_grad=True)
    tg = t([[[0, 1], [2, 0]], [[1, 1], [-100, 2]]])
    loss = F.cross_entropy(x4, tg, reduction="none")
    assert loss.shape == (2, 2, 2) and loss[1, 1, 0].item() == 0.0
    flat = F.cross_entropy(x4.permute(0, 2, 3, 1).reshape(-1, 3), tg.reshape(-1))
    np.testing.assert_allclose(F.cross_entropy(x4, tg).item(), flat.item())
    one = F.cross_entropy(t([1.0, 2.0, 0.5], dtype=D), t(1))
    np.testing.assert_allclose(one.item(), -np.log(np.exp(2) / np.exp([1, 2, 0.5]).sum()))


def test_errors():
    x = t(L)
    with pytest.raises(IndexError, match="Target 3 is out of bounds."):
        F.cross_entropy(x, t([0, 1, 3, 1]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds."):
        F.cross_entropy(x, t([0, 1, -1, 1]))
    with pytest.raises(
        ValueError,
        match=r"Expected input batch_size \(4\) to match target "
        r"batch_size \(3\)\.",
    ):
        F.cross_entropy(x, t([0, 1, 2]))
    with pytest.raises(
        RuntimeError, match="expected target dtype to be Long or Byte, but got Float"
    ):
        F.nll_loss(x, t([0.0, 1, 2, 1]))
    with pytest.raises(
        RuntimeError,
        match=r"weight tensor should be defined either for all 3 "
        r"classes or no classes but got weight tensor of "
        r"shape: \[4\]",
    ):
        F.cross_entropy(x, t(T), weight=torch.ones(4))
    with pytest.raises(
        RuntimeError,
        match="Expected floating point type for target with class probabilities, got Long",
    ):
        F.cross_entropy(x, torch.zeros(4, 3, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        F.cross_entropy(x, t(T), label_smoothing=1.5)
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.cross_entropy(x, t(T), reduction="foo")
    with pytest.raises(RuntimeError, match=r"Expected target size \[2, 4\], got \[2, 5\]"):
        F.nll_loss(torch.randn(2, 3, 4), torch.zeros(2, 5, dtype=torch.int64))
    with pytest.warns(
        UserWarning,
        match=r"Using a target size \(torch.Size\(\[3, 1\]\)\) "
        r"that is different to the input size",
    ):
        F.mse_loss(torch.randn(3), torch.randn(3, 1))
    with (
        pytest.raises(
            RuntimeError,
            match=r"The size of tensor a \(3\) must match the size of "
            r"tensor b \(4\) at non-singleton dimension 0",
        ),
        pytest.warns(UserWarning),
    ):
        F.mse_loss(torch.randn(3), torch.randn(4))
    with pytest.raises(
        ValueError,
        match=r"Using a target size \(torch.Size\(\[3, 1\]\)\) "
        r"that is different to the input size \(torch.Size\("
        r"\[3\]\)\) is deprecated",
    ):
        F.binary_cross_entropy(torch.rand(3), torch.rand(3, 1))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(t([1.5]), t([1.0]))
    with pytest.raises(
        ValueError,
        match=r"Target size \(torch.Size\(\[3, 1\]\)\) must be "
        r"the same as input size",
    ):
        F.binary_cross_entropy_with_logits(torch.rand(3), torch.rand(3, 1))
    with pytest.raises(
        RuntimeError, match="smooth_l1_loss does not support negative values for beta."
    ):
        F.smooth_l1_loss(torch.randn(3), torch.randn(3), beta=-1)
    with pytest.raises(
        RuntimeError, match="huber_loss does not support non-positive values for delta."
    ):
        F.huber_loss(torch.randn(3), torch.randn(3), delta=0)


# ----- the loss layers -------------------------------------------------------------------------


def test_loss_layers_match_functional_and_print_like_pytorch():
    x = t(L, dtype=D)
    w = t(W, dtype=D)
    assert (
        nn.CrossEntropyLoss(weight=w, label_smoothing=0.2)(x, t(T)).item()
        == F.cross_entropy(x, t(T), weight=w, label_smoothing=0.2).item()
    )
    assert (
        nn.NLLLoss(ignore_index=0, reduction="sum")(x, t(T)).item()
        == F.nll_loss(x, t(T), ignore_index=0, reduction="sum").item()
    )
    a, b = t(X, dtype=D), t(Y, dtype=D)
    for layer, fn in [
        (nn.MSELoss(), F.mse_loss),
        (nn.L1Loss(reduction="sum"), F.l1_loss),
        (nn.SmoothL1Loss(beta=0.5), F.smooth_l1_loss),
        (nn.HuberLoss(delta=2.0), F.huber_loss),
    ]:
        kw = {k: getattr(layer, k) for k in ("beta", "delta") if hasattr(layer, k)}
        assert layer(a, b).item() == fn(a, b, reduction=layer.reduction, **kw).item()
        assert repr(layer) == type(layer).__name__ + "()"
    p = t(PR, dtype=D)
    yb = t(YB, dtype=D)
    assert nn.BCELoss()(p, yb).item() == F.binary_cross_entropy(p, yb).item()
    m = nn.BCEWithLogitsLoss(pos_weight=t(PW, dtype=D))
    assert list(m.state_dict()) == ["pos_weight"] and repr(m) == "BCEWithLogitsLoss()"
    assert list(nn.CrossEntropyLoss(weight=w).state_dict()) == ["weight"]
    assert repr(nn.CrossEntropyLoss(label_smoothing=0.1)) == "CrossEntropyLoss()"


def test_legacy_size_average_and_reduce():
    with pytest.warns(
        UserWarning,
        match="size_average and reduce args will be deprecated, please "
        "use reduction='sum' instead.",
    ):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning):
        y = F.mse_loss(torch.ones(3), torch.zeros(3), reduce=False)
    assert y.shape == (3,)


def _naive_nll(logp, target, weight, ignore_index, reduction):
    """-w[t] * logp[t] per sample (class axis 1), and its gradient for grad_output 1."""
    c = logp.shape[1]
    w = np.ones(c) if weight is None else weight
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    onehot = np.moveaxis(np.eye(c)[safe], -1, 1)  # (N, C, ...)
    per = np.where(valid, w[safe], 0.0)
    loss = -(logp * onehot).sum(1) * per
    grad = -onehot * np.expand_dims(per, 1)
    if reduction == "none":
        return loss, grad
    if reduction == "sum":
        return loss.sum(), grad
    return loss.sum() / per.sum(), grad / per.sum()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 1, 3])  # out of range / present / absent
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 2, 3)])
def test_nll_loss_matches_the_definition(shape, ignore_index, weighted, reduction):
    rng = np.random.default_rng(5)
    logp = rng.standard_normal(shape)
    tshape = (shape[0],) + shape[2:]
    target = rng.integers(0, 3, tshape)  # classes 0-2 of 4: class 3 never appears
    target.reshape(-1)[:2] = 1  # class 1 does
    weight = np.array([0.5, 2.0, 1.5, 3.0]) if weighted else None
    x = t(logp, requires_grad=True)
    w = None if weight is None else t(weight)
    out = F.nll_loss(x, t(target), weight=w, ignore_index=ignore_index, reduction=reduction)
    want, want_grad = _naive_nll(logp, target, weight, ignore_index, reduction)
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-12)
    go = torch.ones_like(out)
    (g,) = torch.autograd.grad(out, x, go)
    np.testing.assert_allclose(g.numpy(), want_grad, rtol=1e-12, atol=1e-15)


def test_nll_loss_takes_byte_targets_and_float32():
    x = t(np.log(np.full((3, 4), 0.25, np.float32)), requires_grad=True)
    out = F.nll_loss(x, t([0, 3, 1], dtype=torch.uint8))
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out.item(), np.log(4), rtol=1e-6)
    out.backward()
    assert x.grad.dtype == torch.float32
    np.testing.assert_allclose(x.grad.numpy()[[0, 1, 2], [0, 3, 1]], -1 / 3, rtol=1e-6)
