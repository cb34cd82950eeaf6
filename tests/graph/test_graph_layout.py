"""Layered layout: no overlaps, edges between the right nodes and around the others,
deterministic, crossing reduction, both directions, big graphs."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import workbench.engine as torch
from workbench.graph import Edge, Graph, Node, capture, count_crossings, layout
from workbench.graph.layout import _sweep

EPS = 1e-6


@st.composite
def dags(draw):
    n = draw(st.integers(1, 24))
    ids = draw(st.lists(st.integers(-1000, 1000), min_size=n, max_size=n, unique=True))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] < p[1]),
            max_size=3 * n,
        )
    )
    sizes = draw(
        st.lists(st.tuples(st.integers(10, 120), st.integers(10, 60)), min_size=n, max_size=n)
    )
    nodes = {}
    for i, nid in enumerate(ids):
        nodes[nid] = Node(nid, "op", f"N{i}", f"N{i}", (i,), "float32", None, i)
        nodes[nid].details["size"] = sizes[i]
    edges = []
    per_dst = {}
    for a, b in pairs:
        k = per_dst.get(b, 0)
        per_dst[b] = k + 1
        edges.append(Edge(ids[a], ids[b], k, None))
    return Graph(nodes, edges, [ids[-1]])


def size_of(node):
    return node.details["size"]


def overlap(r, s):
    return (
        r[0] < s[0] + s[2] - EPS
        and s[0] < r[0] + r[2] - EPS
        and r[1] < s[1] + s[3] - EPS
        and s[1] < r[1] + r[3] - EPS
    )


def on_boundary(p, r):
    x, y, w, h = r
    inside = x - EPS <= p[0] <= x + w + EPS and y - EPS <= p[1] <= y + h + EPS
    edge = (
        abs(p[0] - x) < EPS
        or abs(p[0] - x - w) < EPS
        or abs(p[1] - y) < EPS
        or abs(p[1] - y - h) < EPS
    )
    return inside and edge


def crosses_interior(p, q, r):
    """Whether segment p-q passes through the interior of rectangle r (Liang-Barsky)."""
    x, y, w, h = r
    x0, x1, y0, y1 = x + 0.5, x + w - 0.5, y + 0.5, y + h - 0.5
    dx, dy = q[0] - p[0], q[1] - p[1]
    t0, t1 = 0.0, 1.0
    for pk, qk in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if pk == 0:
            if qk < 0:
                return False
        else:
            t = qk / pk
            if pk < 0:
                t0 = max(t0, t)
            else:
                t1 = min(t1, t)
    return t0 < t1


def check_layout(g, lay):
    pos = lay.positions
    assert set(pos) == set(g.nodes)
    for nid, (x, y, w, h) in pos.items():
        ew, eh = g.node(nid).details["size"]
        assert (w, h) == (ew, eh)
        assert x >= -EPS and y >= -EPS
        assert x + w <= lay.width + EPS and y + h <= lay.height + EPS
    rects = sorted(pos.items())
    for i, (a, r) in enumerate(rects):
        for b, s in rects[i + 1 :]:
            assert not overlap(r, s), f"nodes {a} and {b} overlap: {r} {s}"
    assert set(lay.edges) == {e.key for e in g.edges}
    for (src, dst, _), pts in lay.edges.items():
        assert len(pts) >= 2
        assert on_boundary(pts[0], pos[src]), (pts[0], pos[src])
        assert on_boundary(pts[-1], pos[dst]), (pts[-1], pos[dst])
        for p, q in zip(pts, pts[1:]):
            for nid, r in rects:
                assert not crosses_interior(p, q, r), f"edge {src}->{dst} crosses node {nid}"


@given(dags(), st.sampled_from(["TB", "LR"]))
def test_random_dags_lay_out_without_overlaps(g, direction):
    lay = layout(g, direction, node_size=size_of)
    check_layout(g, lay)
    assert lay.crossings <= lay.crossings_before
    # edges point forward: each destination sits in a later rank than its source
    for e in g.edges:
        assert lay.ranks[e.src] < lay.ranks[e.dst]
        s, d = lay.positions[e.src], lay.positions[e.dst]
        if direction == "TB":
            assert s[1] + s[3] <= d[1]
        else:
            assert s[0] + s[2] <= d[0]


@given(dags(), st.randoms(use_true_random=False))
def test_layout_is_deterministic(g, rnd):
    first = layout(g, node_size=size_of)
    items = list(g.nodes.items())
    rnd.shuffle(items)
    edges = list(g.edges)
    rnd.shuffle(edges)
    shuffled = Graph(dict(items), edges, list(g.outputs))
    again = layout(shuffled, node_size=size_of)
    assert again.positions == first.positions
    assert again.edges == first.edges
    assert (again.width, again.height) == (first.width, first.height)


def test_tutorial_graph_is_a_straight_column():
    a = torch.linspace(0.0, 6.28, steps=25, requires_grad=True)
    d = 2 * torch.sin(a) + 1
    g = capture(d)
    lay = layout(g, node_size=lambda n: (80, 30), rank_gap=50)
    # leaf, AccumulateGrad, Sin, Mul, Add, output: one per rank, top to bottom, centred
    order = sorted(lay.positions, key=lambda nid: lay.positions[nid][1])
    assert order == sorted(g.nodes)
    assert {lay.positions[n][0] for n in order} == {0.0}
    assert [lay.positions[n][1] for n in order] == [80.0 * i for i in range(6)]
    assert lay.edges[(0, 1, 0)] == [(40.0, 30.0), (40.0, 80.0)]
    assert (lay.width, lay.height) == (80.0, 80.0 * 5 + 30)


def test_cycles_are_broken_and_drawn_in_their_direction():
    nodes = {i: Node(i, "module", f"M{i}", f"M{i}", None, None, None, None) for i in range(3)}
    for n in nodes.values():
        n.details["size"] = (40, 20)
    g = Graph(nodes, [Edge(0, 1, 0, None), Edge(1, 2, 0, None), Edge(2, 1, 1, None)], [2])
    lay = layout(g, node_size=size_of)
    check_layout(g, lay)


def test_crossing_reduction_untangles_a_twisted_bipartite_graph():
    # inputs 0..5 each feed the op "opposite" them; in id order every pair of edges crosses
    nodes = {i: Node(i, "leaf", f"L{i}", f"L{i}", None, None, None, None) for i in range(6)}
    nodes.update(
        {10 + i: Node(10 + i, "op", f"O{i}", f"O{i}", None, None, None, i) for i in range(6)}
    )
    edges = [Edge(i, 15 - i, 0, None) for i in range(6)]
    g = Graph(nodes, edges, [15])
    lay = layout(g)
    assert lay.crossings == 0
    xs = {nid: r[0] for nid, r in lay.positions.items()}
    assert sorted(range(6), key=xs.get) == sorted(range(6), key=lambda i: xs[15 - i])


def test_barycenter_sweep_and_crossing_count():
    # two layers: a->d, b->c crosses once; a sweep by barycenter orders the lower layer
    layers = [[0, 1], [2, 3]]
    pos = [0, 1, 0, 1]
    succs = [[3], [2], [], []]
    preds = [[], [], [1], [0]]
    assert count_crossings(layers, pos, succs) == 1
    _sweep(layers, pos, preds, range(1, 2))
    assert layers[1] == [3, 2] and count_crossings(layers, pos, succs) == 0


def test_a_10000_op_chain_lays_out():
    x = torch.ones(2, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0
    g = capture(y, values=False)
    lay = layout(g)
    assert len(lay.positions) == 10_003
    assert max(lay.ranks.values()) == 10_002


def test_random_2000_node_dag_lays_out_without_overlaps():
    rng = random.Random(7)
    n = 2000
    nodes = {i: Node(i, "op", "X", "X", (3,), "float32", None, i) for i in range(n)}
    edges = []
    for j in range(1, n):
        srcs = {max(0, j - 1 - int(rng.expovariate(1 / 6))) for _ in range(rng.choice((1, 1, 2)))}
        edges += [Edge(s, j, k, None) for k, s in enumerate(sorted(srcs))]
    g = Graph(nodes, edges, [n - 1])
    lay = layout(g)
    assert lay.crossings < lay.crossings_before
    by_rank = {}
    for nid, r in lay.ranks.items():
        by_rank.setdefault(r, []).append(lay.positions[nid])
    for rects in by_rank.values():  # within a rank: ordered and apart by node_gap
        rects.sort()
        for a, b in zip(rects, rects[1:]):
            assert a[0] + a[2] + 24 <= b[0] + EPS


def test_bad_direction():
    with pytest.raises(ValueError, match="direction"):
        layout(Graph({}, [], []), "BT")
    empty = layout(Graph({}, [], []))
    assert empty.positions == {} and (empty.width, empty.height) == (0.0, 0.0)
