"""Regressions found by review of the engine's fast paths, each checked against PyTorch."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import workbench.engine as torch


def _ones(*shape):
    return torch.ones(*shape, requires_grad=True)


def test_two_leaves_never_share_a_grad_array():
    x, y = _ones(3), _ones(3)
    a = x + y
    (a + a).sum().backward()
    x.grad.add_(1)
    np.testing.assert_array_equal(y.grad.numpy(), [2.0, 2.0, 2.0])


def test_a_summed_gradient_handed_to_two_nodes_is_not_added_into():
    x = _ones(3)
    b, c = x * 2, x * 3
    e, a = b * 5, b + c
    ((a + a).sum() + e.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [20.0, 20.0, 20.0])


def test_captured_and_hooked_gradients_stay_as_they_were():
    x = _ones(3)
    m, a = x * 3, x + 0
    ga, _ = torch.autograd.grad((a + a).sum() + m.sum(), [a, x])
    np.testing.assert_array_equal(ga.numpy(), [2.0, 2.0, 2.0])
    kept = []
    x = _ones(3)
    x.register_hook(kept.append)
    (x + x).sum().backward()
    x.grad.add_(100)
    np.testing.assert_array_equal(kept[0].numpy(), [2.0, 2.0, 2.0])


def test_an_operand_with_the_outputs_size_but_not_its_rank_is_unbroadcast():
    x = _ones(3)
    (g,) = torch.autograd.grad((x * 2 + torch.ones(1, 3)).sum(), x)
    assert g.shape == (3,)
    x = _ones(3, 2)
    (x.t() + torch.ones(1, 2, 3)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((3, 2)))


def test_the_gradient_argument_is_cast_to_the_outputs_dtype():
    x = _ones(3)
    (x * 2).backward(torch.ones(3, dtype=torch.float64))
    assert x.grad.dtype == torch.float32


def test_the_quotient_may_be_changed_in_place_before_backward():
    x, w = _ones(3), _ones(3)
    y = x / w
    y.mul_(2)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(w.grad.numpy(), [-2.0, -2.0, -2.0])


def test_relu_passes_the_gradient_where_its_output_is_nan():
    x = torch.tensor([float("nan"), -1.0, 2.0], requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 1.0])


def test_recording_in_place_on_a_view_is_refused_rather_than_losing_the_gradient():
    x = _ones(2)
    base = torch.zeros(3)
    with pytest.raises(RuntimeError, match="on a view are not supported yet"):
        base[0:2].add_(x)
    with torch.no_grad():
        base[0:2].add_(x)  # nothing is recorded: allowed, and written through
    np.testing.assert_array_equal(base.numpy(), [1.0, 1.0, 0.0])


def test_a_leafs_hooks_run_after_the_user_dropped_it():
    seen = []

    def make():
        w = _ones(3)
        w.register_hook(lambda g: seen.append(g.sum().item()))
        return (w * 2).sum()

    loss = make()
    gc.collect()
    loss.backward()
    assert seen == [6.0]


def test_an_unrecorded_op_keeps_nothing_alive():
    import weakref

    from workbench.engine.autograd import function

    x = torch.randn(50, 50)
    mask = x > 0
    ref = weakref.ref(mask._data)
    x.masked_fill(mask, 0.0)
    del mask
    gc.collect()
    assert ref() is None
    assert not vars(function._NULL)


def test_no_floating_point_warnings_from_engine_ops_on_any_thread():
    # NumPy's seterr is per thread; the app runs user code on worker threads. Engine ops must
    # stay quiet there too (as PyTorch is), while the user's own NumPy code keeps warning.
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import threading
        import numpy as np
        import workbench.engine as torch
        result = {}
        def work():
            y = torch.tensor([1e38]) * 100
            z = torch.tensor([0.0]).log() + torch.tensor([0.0]) / torch.tensor([0.0])
            result["engine"] = (y.tolist(), z.isnan().tolist())
            try:
                np.float32(1e38) * np.float32(100)
            except RuntimeWarning:
                result["user"] = "warned"
        t = threading.Thread(target=work)
        t.start()
        t.join()
        print(result)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-c", code],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "{'engine': ([inf], [True]), 'user': 'warned'}"
