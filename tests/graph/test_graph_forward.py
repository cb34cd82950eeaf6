"""record_forward(): op outputs kept while code runs, through the engine's dispatch observers."""

import gc

import numpy as np

import workbench.engine as torch
from workbench.engine.autograd import function as engine_function
from workbench.graph import record_forward


def test_keeps_host_copies_of_each_new_nodes_outputs():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with record_forward() as fw:
        y = x * 3
        z = torch.ones(2) + 1  # no grad: records no node, keeps nothing
        y.add_(1)  # in-place: the value recorded for the new node is the updated one
    assert fw not in engine_function.observers
    assert len(fw) == 2
    mul = y.grad_fn.next_functions[0][0]
    np.testing.assert_array_equal(fw.outputs_of(mul)[0], [3.0, 6.0])
    np.testing.assert_array_equal(fw.outputs_of(y.grad_fn)[0], [4.0, 7.0])
    assert fw.outputs_of(z.grad_fn) is None
    # copies, not views: later writes do not reach the record
    with torch.no_grad():
        y.mul_(0)
    np.testing.assert_array_equal(fw.outputs_of(y.grad_fn)[0], [4.0, 7.0])


def test_big_outputs_are_skipped_and_dead_nodes_forgotten():
    x = torch.ones(10, requires_grad=True)
    with record_forward(max_elements=5) as fw:
        big = x * 2
        small = big.sum()
    assert fw.outputs_of(big.grad_fn) == (None,) and fw.skipped == 1
    assert fw.outputs_of(small.grad_fn)[0] == 20.0
    del big, small
    gc.collect()
    assert len(fw) == 0


def test_a_profiler_outside_the_record_still_sees_every_op():
    x = torch.ones(3, requires_grad=True)
    with torch.autograd.profiler.profile() as prf:
        with record_forward() as fw:
            y = (x.exp() * 2).sum()
    assert [e.key for e in prf.key_averages()] == ["exp", "mul", "sum"]
    assert len(fw) == 3
    np.testing.assert_allclose(fw.outputs_of(y.grad_fn)[0], 6 * np.e, rtol=1e-6)
