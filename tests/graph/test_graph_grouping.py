"""Grouping by module: the module tree, collapsing and expanding, folding repeated blocks."""

import workbench.engine as torch
from workbench.engine import nn
from workbench.graph import capture, collapse, fold_repeats, group_id, layout, module_tree


class TinyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Linear(3, 4)
        self.activation = nn.ReLU()
        self.layer2 = nn.Linear(4, 2)

    def forward(self, x):
        return self.layer2(self.activation(self.layer1(x)))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 4)
        self.act = nn.Tanh()

    def forward(self, x):
        return self.act(self.linear(x)) + x


def tiny_graph():
    torch.manual_seed(0)
    model = TinyModel()
    loss = model(torch.randn(5, 3)).pow(2).sum()
    return capture(loss, names={"model": model, "loss": loss})


def test_module_tree_of_a_two_layer_model():
    g = tiny_graph()
    tree = module_tree(g)
    assert tree.path == "" and tree.label == "TinyModel"
    assert [c.label for c in tree.children] == [
        "layer1: Linear",
        "activation: ReLU",
        "layer2: Linear",
    ]
    layer1 = tree.find("layer1")
    names = sorted(g.node(i).name for i in layer1.node_ids)
    assert names == [
        "AccumulateGrad",
        "AccumulateGrad",
        "AddmmBackward0",
        "model.layer1.bias",
        "model.layer1.weight",
    ]
    # the loss's own ops and the output belong to the top level
    assert sorted(g.node(i).name for i in tree.node_ids) == ["PowBackward0", "SumBackward0", "loss"]
    assert tree.all_node_ids() == sorted(g.nodes)


def test_collapse_and_expand_the_two_linear_modules():
    g = tiny_graph()
    view = collapse(g, {"layer1", "layer2"})
    modules = {n.label: n for n in view.nodes.values() if n.kind == "module"}
    assert sorted(modules) == ["layer1: Linear", "layer2: Linear"]
    l1, l2 = modules["layer1: Linear"], modules["layer2: Linear"]
    assert l1.id == group_id("layer1") and l1.id < 0
    assert (l1.shape, l2.shape) == ((5, 4), (5, 2))
    assert l1.details["num_parameters"] == 2 and len(l1.details["members"]) == 5
    by_name = {n.name: n.id for n in view.nodes.values() if n.kind != "module"}
    relu, pow_, sum_ = by_name["ReluBackward0"], by_name["PowBackward0"], by_name["SumBackward0"]
    assert {(e.src, e.dst) for e in view.edges} == {
        (l1.id, relu),
        (relu, l2.id),
        (l2.id, pow_),
        (pow_, sum_),
        (sum_, by_name["loss"]),
    }
    assert len(view.nodes) == 6 and view.outputs == [by_name["loss"]]
    # expanding one module again: layer1's nodes come back, layer2 stays one box
    partly = collapse(g, {"layer2"})
    assert [n.label for n in partly.nodes.values() if n.kind == "module"] == ["layer2: Linear"]
    assert set(g.node(i).id for i in module_tree(g).find("layer1").node_ids) <= set(partly.nodes)
    # and the full expansion is the original graph
    full = collapse(g, set())
    assert full.to_dict()["nodes"] == g.to_dict()["nodes"]
    assert [e.key for e in full.edges] == [e.key for e in g.edges]
    # the collapsed view lays out like any graph
    pos = layout(view).positions
    assert set(pos) == set(view.nodes)


def test_collapse_merges_parallel_edges_into_a_group():
    torch.manual_seed(0)
    inner = nn.Linear(3, 3)
    outer = nn.Sequential(inner)
    x = torch.randn(2, 3, requires_grad=True)
    y = outer(x) * x  # x reaches the group and the mul
    g = capture(y, names={"m": outer, "x": x})
    view = collapse(g, {"0"})
    grp = next(n for n in view.nodes.values() if n.kind == "module")
    into = view.inputs(grp.id)
    assert [e.input_nr for e in into] == list(range(len(into)))
    assert len({e.src for e in into}) == len(into)


def test_fold_six_identical_blocks():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), *[Block() for _ in range(6)], nn.Linear(4, 1))
    loss = net(torch.randn(2, 3)).sum()
    g = capture(loss, names={"net": net})
    folds = fold_repeats(g)
    assert [(f.label, f.paths, f.parent) for f in folds] == [
        ("Block × 6", ("1", "2", "3", "4", "5", "6"), "")
    ]
    view = collapse(g, set(), folds)
    (fold_node,) = [n for n in view.nodes.values() if n.kind == "module"]
    assert fold_node.label == "Block × 6" and fold_node.id == group_id(folds[0].key)
    assert fold_node.details["fold"] == ["1", "2", "3", "4", "5", "6"]
    # the two Linears around it are untouched; the fold sits between them
    addmm = sorted(
        (n for n in view.nodes.values() if n.name == "AddmmBackward0"), key=lambda n: n.seq
    )
    assert len(addmm) == 2
    assert [e.dst for e in view.consumers(addmm[0].id)] == [fold_node.id]
    assert fold_node.id in [e.src for e in view.inputs(addmm[1].id)]
    # expanding the fold shows the blocks (collapsed one by one here)
    blocks = collapse(g, {"1", "2", "3", "4", "5", "6"})
    assert sorted(n.label for n in blocks.nodes.values() if n.kind == "module") == [
        f"{i}: Block" for i in range(1, 7)
    ]


def test_different_blocks_do_not_fold():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 5))
    g = capture(net(torch.randn(2, 3)).sum(), names={"net": net})
    # 0 (3->4) and 3 (4->5) differ in shape from their neighbours; 1 and 2 are alike
    assert [(f.label, f.paths) for f in fold_repeats(g)] == [("Linear × 2", ("1", "2"))]


def test_collapsing_a_module_called_twice_makes_a_cycle_that_still_lays_out():
    torch.manual_seed(0)
    shared = nn.Linear(3, 3)
    net = nn.Sequential(shared)
    x = torch.randn(2, 3)
    y = net(net(x).relu())  # the ReLU runs outside the module, between two of its calls
    g = capture(y, names={"net": net})
    view = collapse(g, {"0"})
    grp = next(n for n in view.nodes.values() if n.kind == "module")
    relu = next(n for n in view.nodes.values() if n.name == "ReluBackward0")
    assert {(e.src, e.dst) for e in view.edges} >= {(grp.id, relu.id), (relu.id, grp.id)}
    lay = layout(view)
    assert set(lay.positions) == set(view.nodes)
    assert set(lay.edges) == {e.key for e in view.edges}


def test_a_flat_layer_stack_folds_by_its_repeating_pair():
    torch.manual_seed(0)
    layers = [m for _ in range(5) for m in (nn.Linear(4, 4), nn.Tanh())]
    net = nn.Sequential(*layers, nn.Linear(4, 1))
    g = capture(net(torch.randn(2, 4)).sum(), names={"net": net})
    (fold,) = fold_repeats(g)
    assert fold.label == "Linear, Tanh × 5"
    assert (fold.period, fold.count, fold.paths) == (2, 5, tuple(str(i) for i in range(10)))
    view = collapse(g, set(), [fold])
    assert [n.label for n in view.nodes.values() if n.kind == "module"] == ["Linear, Tanh × 5"]
    assert fold_repeats(g, min_count=6) == []
