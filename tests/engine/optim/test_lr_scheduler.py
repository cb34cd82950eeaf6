"""Learning-rate schedulers: lr sequences against PyTorch's, state dicts, warnings and errors."""

from __future__ import annotations

import warnings

import pytest

import workbench.engine as torch
from workbench.engine.optim import lr_scheduler as L

# Sequences read from PyTorch 2.13: get_last_lr() after construction and after each of 20
# (optimizer.step(), scheduler.step()) pairs, starting from lr 0.1 (and 0.02 for a second group);
# "closed" holds the lrs after step(epoch) for the epochs CLOSED_EPOCHS; "plateau" the lrs of two
# groups (0.1, 0.05) after ReduceLROnPlateau.step(m) for m in METRICS.
CLOSED_EPOCHS = [3, 7, 1, 12, 6, 18]
METRICS = [
    1.0,
    0.9,
    0.95,
    0.91,
    0.9,
    0.92,
    0.89,
    0.89,
    0.95,
    0.96,
    0.97,
    0.5,
    0.6,
    0.7,
    0.8,
    0.9,
    0.85,
    0.84,
    0.83,
    0.9,
]

# ruff: noqa: E501
EXPECTED = {
    "StepLR": [
        0.1,
        0.1,
        0.1,
        0.05,
        0.05,
        0.05,
        0.025,
        0.025,
        0.025,
        0.0125,
        0.0125,
        0.0125,
        0.00625,
        0.00625,
        0.00625,
        0.003125,
        0.003125,
        0.003125,
        0.0015625,
        0.0015625,
        0.0015625,
    ],
    "MultiStepLR": [
        0.1,
        0.1,
        0.03,
        0.03,
        0.03,
        0.0026999999999999997,
        0.0026999999999999997,
        0.0026999999999999997,
        0.0026999999999999997,
        0.0008099999999999998,
        0.0008099999999999998,
        0.0008099999999999998,
        0.0008099999999999998,
        0.0008099999999999998,
        0.0008099999999999998,
        0.0008099999999999998,
        0.0008099999999999998,
        0.0008099999999999998,
        0.0008099999999999998,
        0.0008099999999999998,
        0.0008099999999999998,
    ],
    "ExponentialLR": [
        0.1,
        0.09000000000000001,
        0.08100000000000002,
        0.07290000000000002,
        0.06561000000000002,
        0.05904900000000002,
        0.05314410000000002,
        0.04782969000000002,
        0.043046721000000024,
        0.03874204890000002,
        0.03486784401000002,
        0.03138105960900001,
        0.028242953648100012,
        0.025418658283290013,
        0.022876792454961013,
        0.020589113209464913,
        0.01853020188851842,
        0.01667718169966658,
        0.015009463529699923,
        0.013508517176729932,
        0.01215766545905694,
    ],
    "CosineAnnealingLR": [
        0.1,
        0.09336825748732973,
        0.07525000000000001,
        0.0505,
        0.025750000000000012,
        0.007631742512670284,
        0.001,
        0.007631742512670284,
        0.025750000000000002,
        0.05050000000000004,
        0.07525000000000008,
        0.0933682574873298,
        0.1000000000000001,
        0.09336825748732981,
        0.07525000000000011,
        0.050500000000000114,
        0.025750000000000068,
        0.007631742512670285,
        0.001,
        0.007631742512670284,
        0.025750000000000096,
    ],
    "LambdaLR": [
        0.1,
        0.05,
        0.03333333333333333,
        0.025,
        0.020000000000000004,
        0.016666666666666666,
        0.014285714285714285,
        0.0125,
        0.011111111111111112,
        0.010000000000000002,
        0.009090909090909092,
        0.008333333333333333,
        0.007692307692307693,
        0.007142857142857143,
        0.006666666666666667,
        0.00625,
        0.0058823529411764705,
        0.005555555555555556,
        0.005263157894736842,
        0.005000000000000001,
        0.004761904761904762,
    ],
    "LambdaLR2": [
        [0.1, 0.02],
        [0.09000000000000001, 0.02],
        [0.08100000000000002, 0.02],
        [0.0729, 0.04],
        [0.06561, 0.04],
        [0.05904900000000001, 0.04],
        [0.05314410000000001, 0.06],
        [0.04782969000000001, 0.06],
        [0.04304672100000001, 0.06],
        [0.03874204890000001, 0.08],
        [0.03486784401000001, 0.08],
        [0.031381059609000006, 0.08],
        [0.028242953648100012, 0.1],
        [0.02541865828329001, 0.1],
        [0.02287679245496101, 0.1],
        [0.02058911320946491, 0.12],
        [0.018530201888518418, 0.12],
        [0.016677181699666577, 0.12],
        [0.015009463529699918, 0.14],
        [0.013508517176729929, 0.14],
        [0.012157665459056936, 0.14],
    ],
    "MultiplicativeLR": [
        0.1,
        0.095,
        0.09025,
        0.0857375,
        0.08145062499999998,
        0.07737809374999999,
        0.07350918906249998,
        0.06983372960937498,
        0.06634204312890622,
        0.0630249409724609,
        0.05987369392383786,
        0.05688000922764597,
        0.05403600876626367,
        0.05133420832795048,
        0.04876749791155295,
        0.046329123015975304,
        0.04401266686517654,
        0.04181203352191771,
        0.039721431845821824,
        0.037735360253530734,
        0.035848592240854196,
    ],
    "ConstantLR": [
        0.05,
        0.05,
        0.05,
        0.05,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
    ],
    "LinearLR": [
        0.025,
        0.043750000000000004,
        0.06250000000000001,
        0.08125000000000002,
        0.10000000000000002,
        0.10000000000000002,
        0.10000000000000002,
        0.10000000000000002,
        0.10000000000000002,
        0.10000000000000002,
        0.10000000000000002,
        0.10000000000000002,
        0.10000000000000002,
        0.10000000000000002,
        0.10000000000000002,
        0.10000000000000002,
        0.10000000000000002,
        0.10000000000000002,
        0.10000000000000002,
        0.10000000000000002,
        0.10000000000000002,
    ],
    "closed": {
        "StepLR": [0.05, 0.025, 0.1, 0.00625, 0.025, 0.0015625],
        "MultiStepLR": [0.03, 0.0026999999999999997, 0.1, 0.00081, 0.0026999999999999997, 0.00081],
        "ExponentialLR": [
            0.0729,
            0.04782969000000001,
            0.09000000000000001,
            0.028242953648100012,
            0.05314410000000001,
            0.015009463529699918,
        ],
        "CosineAnnealingLR": [0.0505, 0.007631742512670279, 0.09336825748732973, 0.1, 0.001, 0.001],
    },
    "plateau": {
        "min": [
            [0.1, 0.05],
            [0.1, 0.05],
            [0.1, 0.05],
            [0.1, 0.05],
            [0.1, 0.05],
            [0.05, 0.025],
            [0.05, 0.025],
            [0.05, 0.025],
            [0.05, 0.025],
            [0.05, 0.025],
            [0.025, 0.0125],
            [0.025, 0.0125],
            [0.025, 0.0125],
            [0.025, 0.0125],
            [0.025, 0.0125],
            [0.0125, 0.00625],
            [0.0125, 0.00625],
            [0.0125, 0.00625],
            [0.00625, 0.003125],
            [0.00625, 0.003125],
            [0.00625, 0.003125],
        ],
        "min_abs_cooldown": [
            [0.1, 0.05],
            [0.1, 0.05],
            [0.1, 0.05],
            [0.1, 0.05],
            [0.05, 0.025],
            [0.05, 0.025],
            [0.05, 0.025],
            [0.05, 0.025],
            [0.025, 0.0125],
            [0.025, 0.0125],
            [0.025, 0.0125],
            [0.025, 0.0125],
            [0.025, 0.0125],
            [0.025, 0.0125],
            [0.0125, 0.00625],
            [0.0125, 0.00625],
            [0.0125, 0.00625],
            [0.0125, 0.00625],
            [0.00625, 0.003125],
            [0.00625, 0.003125],
            [0.00625, 0.003125],
        ],
        "max_rel": [
            [0.1, 0.05],
            [0.1, 0.05],
            [0.1, 0.05],
            [0.010000000000000002, 0.005000000000000001],
            [0.010000000000000002, 0.005000000000000001],
            [0.0010000000000000002, 0.0005000000000000001],
            [0.0010000000000000002, 0.0005000000000000001],
            [0.00010000000000000003, 5.0000000000000016e-05],
            [0.00010000000000000003, 5.0000000000000016e-05],
            [1.0000000000000004e-05, 5.000000000000002e-06],
            [1.0000000000000004e-05, 5.000000000000002e-06],
            [1.0000000000000004e-06, 5.000000000000002e-07],
            [1.0000000000000004e-06, 5.000000000000002e-07],
            [1.0000000000000005e-07, 5.0000000000000024e-08],
            [1.0000000000000005e-07, 5.0000000000000024e-08],
            [1.0000000000000005e-08, 5.0000000000000026e-09],
            [1.0000000000000005e-08, 5.0000000000000026e-09],
            [1.0000000000000005e-08, 5.0000000000000026e-09],
            [1.0000000000000005e-08, 5.0000000000000026e-09],
            [1.0000000000000005e-08, 5.0000000000000026e-09],
            [1.0000000000000005e-08, 5.0000000000000026e-09],
        ],
        "max_abs_minlr": [
            [0.1, 0.05],
            [0.1, 0.05],
            [0.020000000000000004, 0.010000000000000002],
            [0.004000000000000001, 0.004],
            [0.003, 0.004],
            [0.003, 0.004],
            [0.003, 0.004],
            [0.003, 0.004],
            [0.003, 0.004],
            [0.003, 0.004],
            [0.003, 0.004],
            [0.003, 0.004],
            [0.003, 0.004],
            [0.003, 0.004],
            [0.003, 0.004],
            [0.003, 0.004],
            [0.003, 0.004],
            [0.003, 0.004],
            [0.003, 0.004],
            [0.003, 0.004],
            [0.003, 0.004],
        ],
        "eps": [
            [0.1, 0.05],
            [0.1, 0.05],
            [0.1, 0.05],
            [0.05, 0.025],
            [0.025, 0.025],
            [0.025, 0.025],
            [0.025, 0.025],
            [0.025, 0.025],
            [0.025, 0.025],
            [0.025, 0.025],
            [0.025, 0.025],
            [0.025, 0.025],
            [0.025, 0.025],
            [0.025, 0.025],
            [0.025, 0.025],
            [0.025, 0.025],
            [0.025, 0.025],
            [0.025, 0.025],
            [0.025, 0.025],
            [0.025, 0.025],
            [0.025, 0.025],
        ],
    },
}


def _opt(lrs=(0.1,)):
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0])


def _sequence(make, n=20, lrs=(0.1,)):
    opt = _opt(lrs)
    sched = make(opt)
    out = [sched.get_last_lr()]
    for _ in range(n):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr())
    return out if len(lrs) > 1 else [x[0] for x in out]


class _Half:
    """A callable object: its attributes go into LambdaLR's state dict."""

    def __init__(self):
        self.base = 0.5

    def __call__(self, epoch):
        return self.base**epoch


SCHEDULERS = {
    "StepLR": lambda o: L.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda o: L.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3),
    "ExponentialLR": lambda o: L.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda o: L.CosineAnnealingLR(o, T_max=6, eta_min=0.001),
    "LambdaLR": lambda o: L.LambdaLR(o, lambda e: 1 / (e + 1)),
    "MultiplicativeLR": lambda o: L.MultiplicativeLR(o, lambda e: 0.95),
    "ConstantLR": lambda o: L.ConstantLR(o, factor=0.5, total_iters=4),
    "LinearLR": lambda o: L.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_sequence_matches_pytorch(name):
    assert _sequence(SCHEDULERS[name]) == pytest.approx(EXPECTED[name], rel=1e-15, abs=0)


def test_lambda_per_group_matches_pytorch():
    got = _sequence(
        lambda o: L.LambdaLR(o, [lambda e: 0.9**e, lambda e: e // 3 + 1]), lrs=(0.1, 0.02)
    )
    for g, e in zip(got, EXPECTED["LambdaLR2"]):
        assert g == pytest.approx(e, rel=1e-15, abs=0)


@pytest.mark.parametrize("name", list(EXPECTED["closed"]))
def test_step_with_epoch_uses_the_closed_form(name):
    opt = _opt()
    sched = SCHEDULERS[name](opt)
    got = []
    for e in CLOSED_EPOCHS:
        opt.step()
        with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)`"):
            sched.step(e)
        got.append(sched.get_last_lr()[0])
        assert sched.last_epoch == e
    assert got == pytest.approx(EXPECTED["closed"][name], rel=1e-15, abs=0)


PLATEAU = {
    "min": dict(mode="min", factor=0.5, patience=2),
    "min_abs_cooldown": dict(
        mode="min", factor=0.5, patience=1, threshold=0.02, threshold_mode="abs", cooldown=2
    ),
    "max_rel": dict(mode="max", factor=0.1, patience=1, threshold=0.05),
    "max_abs_minlr": dict(
        mode="max", factor=0.2, patience=0, threshold_mode="abs", min_lr=[0.003, 0.004]
    ),
    "eps": dict(mode="min", factor=0.5, patience=0, min_lr=0.02, eps=0.01),
}


@pytest.mark.parametrize("case", list(PLATEAU))
def test_reduce_on_plateau_matches_pytorch(case):
    opt = _opt((0.1, 0.05))
    sched = L.ReduceLROnPlateau(opt, **PLATEAU[case])
    got = [sched.get_last_lr()]
    for m in METRICS:
        opt.step()
        sched.step(torch.tensor(m))  # a 0-d tensor metric, as a loss would be
        got.append(sched.get_last_lr())
    for g, e in zip(got, EXPECTED["plateau"][case], strict=True):
        assert g == pytest.approx(e, rel=1e-15, abs=0)


def test_scheduler_sets_the_optimizer_lr_and_initial_lr():
    opt = _opt()
    sched = L.StepLR(opt, step_size=1, gamma=0.5)
    assert opt.param_groups[0]["initial_lr"] == 0.1
    assert sched.last_epoch == 0 and sched.base_lrs == [0.1]
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] == 0.05 and sched.last_epoch == 1


def test_state_dict_round_trip():
    opt = _opt()
    sched = L.CosineAnnealingLR(opt, T_max=6, eta_min=0.001)
    for _ in range(4):
        opt.step()
        sched.step()
    sd = sched.state_dict()
    assert "optimizer" not in sd
    assert sd["last_epoch"] == 4 and sd["T_max"] == 6 and sd["base_lrs"] == [0.1]

    opt2 = _opt()
    opt2.load_state_dict(opt.state_dict())
    sched2 = L.CosineAnnealingLR(opt2, T_max=1)
    sched2.load_state_dict(sd)
    opt2.param_groups[0]["lr"] = opt.param_groups[0]["lr"]
    for _ in range(10):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step()
        assert sched2.get_last_lr() == sched.get_last_lr()


def test_lambda_state_dict_keeps_callable_objects_state():
    opt = _opt()
    fn = _Half()
    sched = L.LambdaLR(opt, fn)
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"base": 0.5}]
    assert L.LambdaLR(_opt(), lambda e: 1.0).state_dict()["lr_lambdas"] == [None]
    fn2 = _Half()
    fn2.base = 0.9
    sched2 = L.LambdaLR(_opt(), fn2)
    sched2.load_state_dict(sd)
    assert fn2.base == 0.5


def test_plateau_state_dict_round_trip():
    opt = _opt()
    sched = L.ReduceLROnPlateau(opt, mode="max", patience=0)
    sched.step(1.0)
    sched.step(0.5)
    sd = sched.state_dict()
    assert sd["best"] == 1.0 and sd["mode"] == "max"
    sched2 = L.ReduceLROnPlateau(_opt())
    sched2.load_state_dict(sd)
    assert sched2.mode == "max" and sched2.mode_worse == -float("inf") and sched2.best == 1.0


def test_get_last_lr_is_a_copy():
    opt = _opt()
    sched = L.ExponentialLR(opt, gamma=0.5)
    last = sched.get_last_lr()
    opt.param_groups[0]["lr"] = 7.0
    assert last == [0.1]


def test_warns_when_the_scheduler_steps_before_the_optimizer():
    opt = _opt()
    sched = L.StepLR(opt, step_size=2)
    with pytest.warns(
        UserWarning,
        match=r"Detected call of `lr_scheduler.step\(\)` before "
        r"`optimizer.step\(\)`",
    ):
        sched.step()


def test_no_warning_in_the_right_order():
    opt = _opt()
    sched = L.StepLR(opt, step_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.step()
            sched.step()


def test_get_lr_outside_step_warns():
    sched = L.StepLR(_opt(), step_size=2)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


def test_errors():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        L.StepLR([], step_size=1)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        L.ReduceLROnPlateau([])
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups"):
        L.StepLR(_opt(), step_size=1, last_epoch=3)
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
        L.LambdaLR(_opt(), [lambda e: 1, lambda e: 1])
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        L.ReduceLROnPlateau(_opt(), factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown!"):
        L.ReduceLROnPlateau(_opt(), mode="avg")
    with pytest.raises(ValueError, match="threshold mode pct is unknown!"):
        L.ReduceLROnPlateau(_opt(), threshold_mode="pct")
    with pytest.raises(ValueError, match="expected 1 min_lrs, got 2"):
        L.ReduceLROnPlateau(_opt(), min_lr=[0.1, 0.2])
    with pytest.raises(ValueError, match="Constant multiplicative factor"):
        L.ConstantLR(_opt(), factor=2)


def test_resuming_with_last_epoch():
    opt = _opt()
    sched = L.ExponentialLR(opt, gamma=0.5)
    for _ in range(3):
        opt.step()
        sched.step()
    resumed = L.ExponentialLR(opt, gamma=0.5, last_epoch=sched.last_epoch)
    # as in PyTorch, the initial step of a resumed scheduler keeps the current lr
    assert resumed.last_epoch == 4
    assert resumed.get_last_lr() == [0.1 * 0.5**3]
    opt.step()
    resumed.step()
    assert resumed.get_last_lr() == [0.1 * 0.5**4]
