"""Graph data: adjacency, JSON round trips, validation of malformed data."""

import copy
import json

import pytest
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

import workbench.engine as torch
from workbench.graph import Edge, Graph, Node, capture, record_backward


def recorded_graph():
    torch.manual_seed(1)
    x = torch.randn(4, 3, requires_grad=True)
    w = torch.randn(3, 2, requires_grad=True)
    y = (x @ w).tanh()
    loss = (y * y).mean()
    graph, _ = record_backward(loss, names={"x": x, "w": w, "loss": loss})
    return graph


def test_inputs_and_consumers():
    g = Graph(
        {i: Node(i, "op", f"N{i}", f"N{i}", None, None, None, i) for i in range(4)},
        [Edge(0, 2, 1, None), Edge(1, 2, 0, None), Edge(2, 3, 0, None), Edge(0, 3, 1, None)],
        [3],
    )
    assert [(e.src, e.input_nr) for e in g.inputs(2)] == [(1, 0), (0, 1)]
    assert [e.dst for e in g.consumers(0)] == [2, 3]
    assert g.inputs(0) == [] and g.consumers(3) == []
    g.edges.append(Edge(1, 3, 2, None))  # the index follows edits of the edge list
    assert [e.src for e in g.inputs(3)] == [2, 0, 1]
    assert g.topological_order() == [0, 1, 2, 3]
    with pytest.raises(KeyError, match="no node with id 9"):
        g.node(9)


def test_round_trip_is_exact():
    g = recorded_graph()
    data = g.to_dict()
    arrays = g.arrays()
    assert arrays, "a recorded graph carries values and gradients"
    text = json.dumps(data)
    blob = st_save(arrays)  # host copies: contiguous, safetensors takes them as they are
    back = Graph.from_dict(json.loads(text), st_load(blob))
    assert back.to_dict() == data
    assert back.arrays().keys() == arrays.keys()
    for k, v in arrays.items():
        got = back.arrays()[k]
        assert got.dtype == v.dtype and got.shape == v.shape
        assert got.tobytes() == v.tobytes()
    # every kind of array slot is exercised: values, gradients, per-input gradients
    kinds = {k.split(".", 1)[1].split(".")[0] for k in arrays}
    assert kinds == {"value", "grad", "grads_out"}
    # saved tensor infos survive too
    mm = next(n for n in back.nodes.values() if n.name == "MmBackward0")
    assert [(s.name, s.shape, s.nbytes) for s in mm.saved] == [
        ("self", (4, 3), 48),
        ("other", (3, 2), 24),
    ]


def test_from_dict_without_arrays_drops_them():
    g = recorded_graph()
    back = Graph.from_dict(g.to_dict())
    assert back.arrays() == {}
    assert [n.name for n in back.nodes.values()] == [n.name for n in g.nodes.values()]


def _bad(mutate):
    data = capture((torch.ones(2, requires_grad=True) * 3).sum()).to_dict()
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("nodes"), "missing 'nodes'"),
        (lambda d: d.update(edges={}), "'edges' must be a list"),
        (lambda d: d.update(format="other"), "format 'other'"),
        (lambda d: d.update(version=99), "version 99 is not supported"),
        (lambda d: d["nodes"][0].pop("kind"), "node 0: missing 'kind'"),
        (lambda d: d["nodes"][1].update(kind="blob"), "unknown kind 'blob'"),
        (lambda d: d["nodes"][0].update(id="0"), "'id' must be an int"),
        (lambda d: d["nodes"][0].update(shape=[2, -1]), "shape must be a list of non-negative"),
        (lambda d: d["nodes"][2].update(name=3), "'name' must be a string"),
        (lambda d: d["nodes"].append(copy.deepcopy(d["nodes"][0])), "duplicate node id"),
        (lambda d: d["edges"][0].update(dst=42), "refers to unknown node 42"),
        (lambda d: d["edges"][0].update(input_nr=True), "'input_nr' must be an int"),
        (lambda d: d.update(outputs=[77]), "outputs: unknown node 77"),
        (lambda d: d["nodes"][0].update(saved=[{"name": "x"}]), "saved\\[0\\]: missing 'nbytes'"),
        (lambda d: d["nodes"][0].update(details=[]), "'details' must be a dict"),
        (lambda d: d["nodes"][0].update(value=5), "array reference must be a string"),
        (lambda d: d.update(modules={"a": 1}), "'modules' must map"),
    ],
)
def test_from_dict_rejects_malformed_data(mutate, message):
    with pytest.raises(ValueError, match=message):
        Graph.from_dict(_bad(mutate))


def test_from_dict_rejects_missing_arrays_and_non_dicts():
    g = recorded_graph()
    arrays = g.arrays()
    missing = sorted(arrays)[0]
    del arrays[missing]
    with pytest.raises(ValueError, match=f"array '{missing}' is missing"):
        Graph.from_dict(g.to_dict(), arrays)
    with pytest.raises(ValueError, match="must be a dict"):
        Graph.from_dict([1, 2])
