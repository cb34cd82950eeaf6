"""capture(): the grad_fn graph as plain data."""

import gc
import math
import weakref

import numpy as np
import pytest

import workbench.engine as torch
from workbench.engine import nn
from workbench.graph import capture, capture_with_map, record_backward, record_forward


def tutorial():
    a = torch.linspace(0.0, 2 * math.pi, steps=25, requires_grad=True)
    b = torch.sin(a)
    c = 2 * b
    d = c + 1
    out = d.sum()
    return a, b, c, d, out


def walk_back(graph, start):
    """Follow the single input of each node back from `start`, collecting (kind, name)."""
    chain = []
    nid = start
    while True:
        node = graph.node(nid)
        chain.append((node.kind, node.name))
        ins = graph.inputs(nid)
        if not ins:
            return chain
        assert len(ins) == 1, f"{node.name} has {len(ins)} inputs"
        nid = ins[0].src


def test_tutorial_chain_from_d():
    a, b, c, d, out = tutorial()
    g = capture(d)
    assert len(g.outputs) == 1
    assert walk_back(g, g.outputs[0]) == [
        ("output", "tensor"),
        ("op", "AddBackward0"),
        ("op", "MulBackward0"),
        ("op", "SinBackward0"),
        ("accumulate", "AccumulateGrad"),
        ("leaf", "tensor"),
    ]
    # the constant 1 of the add and the constant 2 of the mul give no edge
    add = g.node(g.inputs(g.outputs[0])[0].src)
    assert [e.input_nr for e in g.inputs(add.id)] == [0]
    mul = g.node(g.inputs(add.id)[0].src)
    assert [e.input_nr for e in g.inputs(mul.id)] == [1]  # 2 * b: b is operand 1
    assert len(g.nodes) == 6 and len(g.edges) == 5


def test_tutorial_with_sum_and_names():
    a, b, c, d, out = tutorial()
    g = capture(d, out, names={"a": a, "b": b, "c": c, "d": d, "out": out})
    d_id, out_id = g.outputs
    assert g.node(d_id).name == "d" and g.node(out_id).name == "out"
    assert [name for _, name in walk_back(g, out_id)] == [
        "out",
        "SumBackward0",
        "AddBackward0",
        "MulBackward0",
        "SinBackward0",
        "AccumulateGrad",
        "a",
    ]
    add = g.node(g.inputs(d_id)[0].src)
    assert sorted(e.dst for e in g.consumers(add.id)) == sorted([d_id, g.inputs(out_id)[0].src])
    # node labels, shapes, dtypes, sequence numbers in creation order
    ops = sorted((n for n in g.nodes.values() if n.kind == "op"), key=lambda n: n.seq)
    assert [n.label for n in ops] == ["Sin", "Mul", "Add", "Sum"]
    assert [n.shape for n in ops] == [(25,), (25,), (25,), ()]
    assert all(n.dtype == "float32" for n in ops)
    assert [n.id for n in ops] == sorted(n.id for n in ops)
    # named tensors reveal each op's output
    np.testing.assert_array_equal(ops[0].value, b.detach().numpy())
    np.testing.assert_array_equal(ops[2].value, d.detach().numpy())
    assert ops[1].details["tensor_names"] == ["c"]
    leaf = g.node(0)
    assert (leaf.kind, leaf.label, leaf.details["requires_grad"]) == ("leaf", "a", True)
    np.testing.assert_array_equal(leaf.value, a.detach().numpy())
    assert leaf.grad is None


def test_ids_are_stable_for_the_same_computation():
    g1 = capture(*tutorial()[3:])
    g2 = capture(*tutorial()[3:])

    def shape_of(g):  # everything but the engine's global sequence numbers
        d = g.to_dict()
        for n in d["nodes"]:
            n.pop("seq")
            n["details"].pop("first_use_seq", None)
        return d

    assert shape_of(g1) == shape_of(g2)
    assert [n.seq for n in g1.nodes.values()] != [n.seq for n in g2.nodes.values()]


def test_leaf_grad_is_captured_after_backward():
    a, b, c, d, out = tutorial()
    out.backward()
    g = capture(out, names={"a": a})
    np.testing.assert_allclose(g.node(0).grad, 2 * np.cos(a.detach().numpy()), atol=1e-6)
    # saved buffers were freed by backward: recorded as released, not an error
    sin = next(n for n in g.nodes.values() if n.name == "SinBackward0")
    assert sin.saved == () and sin.details["saved_released"] is True


def test_saved_tensor_infos_of_mul():
    x = torch.randn(3, 4, requires_grad=True)
    w = torch.randn(4, dtype=torch.float64, requires_grad=True).double()
    y = x.double() * w
    g = capture(y)
    mul = next(n for n in g.nodes.values() if n.name == "MulBackward0")
    assert [(s.name, s.shape, s.dtype, s.nbytes) for s in mul.saved] == [
        ("self", (3, 4), "float64", 96),
        ("other", (4,), "float64", 32),
    ]
    assert [s.details["attr"] for s in mul.saved] == ["_saved_0", "_saved_1"]
    assert (mul.shape, mul.dtype) == ((3, 4), "float64")
    # the saved operands are the tensors the edges come from
    assert [g.node(e.src).name for e in g.inputs(mul.id)] == ["ToCopyBackward0", "AccumulateGrad"]


def test_saved_result_reveals_the_op_output():
    x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = y * 3  # only z is captured: exp's output comes from what ExpBackward0 saved
    g = capture(z)
    exp = next(n for n in g.nodes.values() if n.name == "ExpBackward0")
    assert [s.name for s in exp.saved] == ["result"]
    np.testing.assert_array_equal(exp.value, np.exp(np.array([0.5, -1.0, 2.0], np.float32)))


def test_constant_and_plain_leaf_captures():
    c = torch.ones(2, 3)
    g = capture(c)
    assert [n.kind for n in g.nodes.values()] == ["leaf"] and g.edges == []
    assert g.outputs == [0] and g.node(0).details["requires_grad"] is False

    p = torch.zeros(4, requires_grad=True)
    g = capture(p, names={"p": p})
    assert [(n.kind, n.name) for n in g.nodes.values()] == [
        ("leaf", "p"),
        ("accumulate", "AccumulateGrad"),
    ]
    assert [(e.src, e.dst) for e in g.edges] == [(0, 1)]
    assert g.outputs == [0]


def test_capture_rejects_non_tensors():
    with pytest.raises(TypeError, match="argument 1 must be a Tensor"):
        capture(torch.ones(1), [1.0])


class TinyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Linear(3, 4)
        self.activation = nn.ReLU()
        self.layer2 = nn.Linear(4, 2)

    def forward(self, x):
        return self.layer2(self.activation(self.layer1(x)))


def test_parameters_are_named_by_module_path():
    torch.manual_seed(0)
    model = TinyModel()
    x = torch.randn(5, 3)
    loss = model(x).pow(2).sum()
    g = capture(loss, names={"model": model, "x": x, "loss": loss})
    params = {n.name: n for n in g.nodes.values() if n.kind == "parameter"}
    assert sorted(params) == [
        "model.layer1.bias",
        "model.layer1.weight",
        "model.layer2.bias",
        "model.layer2.weight",
    ]
    w1 = params["model.layer1.weight"]
    assert (w1.label, w1.module, w1.shape) == ("layer1.weight", "layer1", (4, 3))
    assert w1.details["module_class"] == "Linear"
    np.testing.assert_array_equal(w1.value, model.layer1.weight.detach().numpy())
    assert g.modules == {"layer1": "Linear", "activation": "ReLU", "layer2": "Linear"}
    assert g.details["root_modules"] == {"model": "TinyModel"}
    ops = {n.module for n in g.nodes.values() if n.kind == "op"}
    assert ops == {"layer1", "activation", "layer2", None}
    # each parameter feeds its AccumulateGrad, which feeds the op of its own module
    for p in params.values():
        (acc_edge,) = g.consumers(p.id)
        acc = g.node(acc_edge.dst)
        assert acc.kind == "accumulate" and acc.module == p.module
        assert {g.node(e.dst).module for e in g.consumers(acc.id)} == {p.module}


def test_capture_survives_the_tensors():
    a, b, c, d, out = tutorial()
    refs = [weakref.ref(t) for t in (a, b, c, d, out)] + [weakref.ref(out.grad_fn)]
    g = capture(out, names={"a": a, "b": b, "c": c, "d": d, "out": out})
    del a, b, c, d, out
    gc.collect()
    assert all(r() is None for r in refs)
    assert len(g.nodes) == 7
    assert g.node(0).value.shape == (25,)


def test_long_chain_captures_without_recursion():
    x = torch.ones(2, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0
    g, node_map = capture_with_map(y, values=False)
    ops = [n for n in g.nodes.values() if n.kind == "op"]
    assert len(ops) == 10_000 and len(g.edges) == 10_002
    assert all(n.value is None for n in g.nodes.values())
    assert node_map[id(y.grad_fn)] == g.inputs(g.outputs[0])[0].src


def test_forward_record_fills_every_op_output():
    x = torch.tensor([1.0, 4.0, 9.0], requires_grad=True)
    with record_forward() as fw:
        y = x.sqrt() + 1  # SqrtBackward0 saves its result, AddBackward0 nothing
        z = (y * y).sum()
    g_plain = capture(z)
    g_rec = capture(z, forward=fw)
    add_plain = next(n for n in g_plain.nodes.values() if n.name == "AddBackward0")
    add_rec = next(n for n in g_rec.nodes.values() if n.name == "AddBackward0")
    # MulBackward0 saved y (Add's output) twice, so even the plain capture knows it here
    np.testing.assert_array_equal(add_plain.value, [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(add_rec.value, [2.0, 3.0, 4.0])
    sq = next(n for n in g_rec.nodes.values() if n.name == "SqrtBackward0")
    np.testing.assert_array_equal(sq.value, [1.0, 2.0, 3.0])
    total = next(n for n in g_rec.nodes.values() if n.name == "SumBackward0")
    assert total.value == 29.0


def test_forward_record_is_needed_where_nothing_kept_the_output():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with record_forward() as fw:
        y = (x + 1).sum()  # nothing saves AddBackward0's output
    add_plain = next(n for n in capture(y).nodes.values() if n.name == "AddBackward0")
    add_rec = next(n for n in capture(y, forward=fw).nodes.values() if n.name == "AddBackward0")
    assert add_plain.value is None
    np.testing.assert_array_equal(add_rec.value, [2.0, 3.0])


def test_values_over_the_limit_are_skipped():
    x = torch.ones(100, requires_grad=True)
    y = x * 2
    g = capture(y, max_elements=50)
    assert all(n.value is None for n in g.nodes.values())
    assert g.node(0).details["value_skipped"] is True


@pytest.mark.gpu
def test_cuda_arrays_come_to_the_host():
    x = torch.ones(3, device="cuda", requires_grad=True)
    y = (x * 2).sum()
    graph, steps = record_backward(y, names={"x": x})
    arrays = graph.arrays()
    assert arrays and all(type(a) is np.ndarray for a in arrays.values())
    assert all(type(g) is np.ndarray for s in steps for g in s.grad_in)
    np.testing.assert_array_equal(graph.node(0).grad, [2.0, 2.0, 2.0])
    assert graph.node(0).details["device"].startswith("cuda")
