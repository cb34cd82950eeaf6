"""Anomaly mode: detect_anomaly / set_detect_anomaly, NaN checks and forward tracebacks.

Messages and warning texts were read off the reference PyTorch.
"""

import re
import warnings

import numpy as np
import pytest

import workbench.engine as torch
from workbench.engine.autograd import Function

ag = torch.autograd
ENABLED = (
    "Anomaly Detection has been enabled. This mode will increase the runtime and should "
    "only be enabled for debugging."
)
HERE = __file__


@pytest.fixture(autouse=True)
def _anomaly_off():
    yield
    ag.set_detect_anomaly(False)


def run_backward(loss):
    """Runs loss.backward(); returns (error message, forward-traceback warnings)."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError) as err:
            loss.backward()
    traces = [str(w.message) for w in rec if str(w.message).startswith("Error detected in")]
    return str(err.value), traces


def nan_loss(x):
    return (x.sqrt() * 0).sum()  # d sqrt at 0 is inf; inf * 0 is nan


def test_flags_default_and_context_manager():
    assert not ag.is_anomaly_enabled() and ag.is_anomaly_check_nan_enabled()
    with pytest.warns(UserWarning, match="^" + re.escape(ENABLED) + "$") as rec:
        ctx = ag.detect_anomaly()
    assert rec[0].filename == HERE  # points at the caller
    with ctx:
        assert ag.is_anomaly_enabled() and ag.is_anomaly_check_nan_enabled()
    assert not ag.is_anomaly_enabled()
    with pytest.warns(UserWarning), ag.detect_anomaly(check_nan=False):
        assert ag.is_anomaly_enabled() and not ag.is_anomaly_check_nan_enabled()
    assert not ag.is_anomaly_enabled() and ag.is_anomaly_check_nan_enabled()


def test_detect_anomaly_as_a_decorator():
    with pytest.warns(UserWarning, match=re.escape(ENABLED)):

        @ag.detect_anomaly()
        def f():
            return ag.is_anomaly_enabled()

    assert f() is True and not ag.is_anomaly_enabled()


def test_set_detect_anomaly_as_a_call_and_a_context():
    ag.set_detect_anomaly(True)
    assert ag.is_anomaly_enabled()
    ag.set_detect_anomaly(False)
    assert not ag.is_anomaly_enabled()
    with ag.set_detect_anomaly(True, check_nan=False):
        assert ag.is_anomaly_enabled() and not ag.is_anomaly_check_nan_enabled()
    assert not ag.is_anomaly_enabled() and ag.is_anomaly_check_nan_enabled()


def test_nan_gradient_raises_and_points_at_the_forward_line():
    x = torch.tensor([0.0, 1.0], requires_grad=True)
    with ag.set_detect_anomaly(True):
        y = x.sqrt()  # <- the line the traceback must show
        loss = (y * 0).sum()
        msg, traces = run_backward(loss)
    assert msg == "Function 'SqrtBackward0' returned nan values in its 0th output."
    assert len(traces) == 1
    head, *frames = traces[0].split("\n")
    assert (
        head == "Error detected in SqrtBackward0. Traceback of forward call that caused the error:"
    )
    assert frames[-3:] == [
        f'  File "{HERE}", line {_line_of("y = x.sqrt()  # <-")}, in '
        "test_nan_gradient_raises_and_points_at_the_forward_line",
        "    y = x.sqrt()  # <- the line the traceback must show",
        "",
    ]
    assert "workbench/engine" not in traces[0]  # no dispatch frames


def test_traceback_keeps_the_user_call_chain():
    x = torch.tensor([0.0, 1.0], requires_grad=True)
    with ag.set_detect_anomaly(True):
        loss = nan_loss(x)
        _, traces = run_backward(loss)
    text = traces[0]
    assert "Error detected in SqrtBackward0." in text
    assert text.index("loss = nan_loss(x)") < text.index("return (x.sqrt() * 0).sum()")


def test_check_nan_false_and_off_do_not_raise():
    x = torch.tensor([0.0, 1.0], requires_grad=True)
    with np.errstate(all="ignore"):
        with ag.set_detect_anomaly(True, check_nan=False):
            nan_loss(x).backward()
        assert np.isnan(x.grad.numpy()[0])
        x.grad = None
        nan_loss(x).backward()  # anomaly mode off
    assert np.isnan(x.grad.numpy()[0])


def test_nodes_made_before_anomaly_mode_have_no_traceback():
    x = torch.tensor([0.0, 1.0], requires_grad=True)
    loss = nan_loss(x)
    with ag.set_detect_anomaly(True):
        msg, traces = run_backward(loss)
    assert msg == "Function 'SqrtBackward0' returned nan values in its 0th output."
    assert traces == [
        "Error detected in SqrtBackward0. No forward pass information available. "
        "Enable detect anomaly during forward pass for more information."
    ]


def test_errors_in_a_custom_backward_show_the_forward_call():
    class Broken(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise RuntimeError("Some error in backward")

    x = torch.ones(2, requires_grad=True)
    with ag.set_detect_anomaly(True):
        out = Broken.apply(x)  # <- forward call
        msg, traces = run_backward(out.sum())
    assert msg == "Some error in backward"
    assert traces[0].startswith("Error detected in BrokenBackward. Traceback of forward call")
    assert "out = Broken.apply(x)  # <- forward call" in traces[0]


def test_version_errors_show_the_forward_call():
    x = torch.ones(2, requires_grad=True)
    with ag.set_detect_anomaly(True):
        y = x * 2
        z = y.exp()
        out = (z * y).sum()  # <- saves y
        y.add_(1)
        msg, traces = run_backward(out)
    assert msg.startswith(
        "one of the variables needed for gradient computation has been "
        "modified by an inplace operation"
    )
    assert traces[0].startswith("Error detected in MulBackward0.")
    assert "out = (z * y).sum()  # <- saves y" in traces[0]


def _line_of(snippet):
    with open(HERE) as f:
        for n, line in enumerate(f, 1):
            if snippet in line and "_line_of" not in line:
                return n
    raise AssertionError(snippet)
