"""record_backward / Stepper: backward node by node, in the engine's order, with its numbers."""

import math

import numpy as np
import pytest

import workbench.engine as torch
from workbench.engine import nn
from workbench.graph import Stepper, capture_with_map, record_backward


class TinyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Linear(3, 4)
        self.activation = nn.ReLU()
        self.layer2 = nn.Linear(4, 2)

    def forward(self, x):
        return self.layer2(self.activation(self.layer1(x)))


def model_loss(seed=0):
    torch.manual_seed(seed)
    model = TinyModel()
    x = torch.randn(6, 3)
    target = torch.randn(6, 2)
    loss = ((model(x) - target) ** 2).mean()
    return model, loss


def engine_order(loss):
    """The order the engine runs the graph's nodes in, logged by hooks registered directly."""
    _, node_map = capture_with_map(loss, values=False)
    nodes = []
    stack = [loss.grad_fn]
    while stack:
        n = stack.pop()
        if n is not None and all(n is not m for m in nodes):
            nodes.append(n)
            stack.extend(fn for fn, _ in n.next_functions)
    order = []
    handles = [n.register_prehook(lambda g, n=n: order.append(node_map[id(n)])) for n in nodes]
    loss.backward(retain_graph=True)
    for h in handles:
        h.remove()
    return order


def test_steps_follow_the_engines_order():
    model, loss = model_loss()
    graph, steps = record_backward(loss, retain_graph=True, names={"model": model})
    model.zero_grad()
    assert [s.node_id for s in steps] == engine_order(loss)
    assert [s.index for s in steps] == list(range(len(steps)))
    # every op and AccumulateGrad node ran once; op nodes newest first
    runnable = [n.id for n in graph.nodes.values() if n.kind in ("op", "accumulate")]
    assert sorted(s.node_id for s in steps) == sorted(runnable)
    op_seqs = [graph.node(s.node_id).seq for s in steps if graph.node(s.node_id).kind == "op"]
    assert op_seqs == sorted(op_seqs, reverse=True)
    assert graph.details["backward"]["order"] == [s.node_id for s in steps]


def test_gradients_equal_a_plain_backward():
    model, loss = model_loss(seed=3)
    graph, steps = record_backward(loss, names={"model": model})
    ref_model, ref_loss = model_loss(seed=3)
    ref_loss.backward()
    params = dict(model.named_parameters())
    ref = dict(ref_model.named_parameters())
    by_name = {n.name: n for n in graph.nodes.values() if n.kind == "parameter"}
    for name, p in params.items():
        np.testing.assert_array_equal(p.grad.numpy(), ref[name].grad.numpy())
        np.testing.assert_array_equal(by_name[f"model.{name}"].grad, ref[name].grad.numpy())
    # after the last step, the stepper's leaf gradients are the engine's
    stepper = Stepper(graph, steps)
    stepper.go(len(steps) - 1)
    for name, node in by_name.items():
        np.testing.assert_array_equal(stepper.leaf_grad(node.id), ref[name[6:]].grad.numpy())


def test_step_records_what_arrives_and_what_is_sent():
    a = torch.linspace(0.0, 2 * math.pi, steps=25, requires_grad=True)
    d = 2 * torch.sin(a) + 1
    out = d.sum()
    graph, steps = record_backward(out, names={"a": a})
    names = [graph.node(s.node_id).name for s in steps]
    assert names == [
        "SumBackward0",
        "AddBackward0",
        "MulBackward0",
        "SinBackward0",
        "AccumulateGrad",
    ]
    sum_step, add_step, mul_step, sin_step, acc_step = steps
    np.testing.assert_array_equal(sum_step.grad_in[0], np.float32(1.0))
    np.testing.assert_array_equal(sum_step.grads_out[0], np.ones(25, np.float32))
    assert add_step.grads_out[1] is None  # the constant 1 receives nothing
    assert mul_step.grads_out[0] is None  # nor does the constant 2
    np.testing.assert_array_equal(mul_step.grads_out[1], np.full(25, 2.0, np.float32))
    expected = 2 * np.cos(a.detach().numpy())
    np.testing.assert_allclose(sin_step.grads_out[0], expected, rtol=1e-6, atol=1e-6)
    leaf = graph.node(0)
    assert acc_step.leaf_grads.keys() == {leaf.id}
    np.testing.assert_array_equal(acc_step.leaf_grads[leaf.id], a.grad.numpy())
    assert acc_step.leaf_grads_before == {leaf.id: None}
    # the graph carries the same numbers
    sin = graph.node(sin_step.node_id)
    np.testing.assert_array_equal(sin.grad, sin_step.grad_in[0])
    assert sin.grads_out == sin_step.grads_out
    np.testing.assert_array_equal(graph.node(graph.outputs[0]).grad, np.float32(1.0))


def test_step_back_restores_earlier_leaf_gradients():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * 5).sum().backward()  # an earlier backward: .grad is 5 before the recorded one
    y = (x * x).sum()
    graph, steps = record_backward(y, names={"x": x})
    stepper = Stepper(graph, steps)
    leaf = next(n.id for n in graph.nodes.values() if n.kind == "leaf")
    acc = next(n.id for n in graph.nodes.values() if n.kind == "accumulate")
    acc_index = next(s.index for s in steps if s.node_id == acc)
    np.testing.assert_array_equal(stepper.leaf_grad(leaf), [5.0, 5.0, 5.0])
    stepper.go(acc_index)
    np.testing.assert_array_equal(stepper.leaf_grad(leaf), [7.0, 9.0, 11.0])
    np.testing.assert_array_equal(stepper.leaf_grad(acc), [7.0, 9.0, 11.0])
    state = stepper.state()
    assert (state[acc], state[leaf]) == ("current", "done")
    assert list(state.values()).count("current") == 1
    stepper.back()
    np.testing.assert_array_equal(stepper.leaf_grad(leaf), [5.0, 5.0, 5.0])
    assert (stepper.state()[acc], stepper.state()[leaf]) == ("pending", "pending")
    stepper.reset()
    assert stepper.position == -1 and stepper.current is None
    assert set(stepper.state().values()) == {"pending", "done"}  # the output is done from the start


def test_stepper_navigation():
    a = torch.ones(3, requires_grad=True)
    graph, steps = record_backward((a.exp() * 2).sum())
    st = Stepper(graph, steps)
    assert len(st) == 4
    assert st.back() is None and st.position == -1
    first = st.step()
    assert first is steps[0] and st.state()[first.node_id] == "current"
    st.go(3)
    assert st.at_end and st.step() is steps[3]
    assert [st.state()[s.node_id] for s in steps] == ["done", "done", "done", "current"]
    with pytest.raises(IndexError):
        st.go(4)


def test_hooks_are_removed_even_when_backward_fails():
    x = torch.ones(3, requires_grad=True)
    y = x.exp()
    loss = y.sum()
    record_backward(loss, retain_graph=True)
    assert not y.grad_fn._post_hooks and not loss.grad_fn._post_hooks
    acc = loss.grad_fn.next_functions[0][0].next_functions[0][0]
    assert not acc._post_hooks

    z = torch.ones(3, requires_grad=True)
    w = z.exp()
    bad = w.sum()
    w.add_(1)  # modifies the output ExpBackward0 saved: backward must raise
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        record_backward(bad)
    for node in (bad.grad_fn, bad.grad_fn.next_functions[0][0]):
        assert not node._post_hooks
