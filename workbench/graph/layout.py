"""Layered (Sugiyama-style) layout of a `Graph`: ranks, crossing reduction, coordinates, edges.

1. Cycles (possible after collapsing a module that is called twice) are broken by reversing the
   back edges of a depth-first search; the edges are drawn in their true direction afterwards.
2. Ranks: longest path from the inputs (topological generations); then nodes with no more
   inputs than consumers (leaves, their AccumulateGrad nodes) move down next to their first
   consumer, so a parameter used deep in a network does not sit in the top row.
3. Edges spanning several ranks get a virtual node per rank crossed, so they route between nodes.
4. Crossing reduction: barycenter sweeps down and up, ties broken by position then node id; the
   ordering with the fewest crossings is kept.
5. Coordinates: within each rank, the centres that minimise the squared distance to the mean of
   the neighbours' centres subject to no overlap (spacing node_gap) - an isotonic regression
   solved exactly by pool-adjacent-violators, alternately against the rank above and below.
6. Edges: a polyline from the source's side facing the destination, vertically through each
   virtual node's rank band, to one of the destination's input ports. Segments that are not
   vertical lie in the gaps between rank bands, so no edge crosses a node.

Everything is ordered by node id, so the same graph always gets the same layout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .model import Graph, Node

__all__ = ["Layout", "layout", "default_node_size", "count_crossings"]

Rect = tuple[float, float, float, float]
EdgeKey = tuple[int, int, int]


@dataclass
class Layout:
    positions: dict[int, Rect]  # node id -> (x, y, w, h), top-left corner
    edges: dict[EdgeKey, list[tuple[float, float]]]  # (src, dst, input_nr) -> polyline
    width: float
    height: float
    direction: str = "TB"
    ranks: dict[int, int] = field(default_factory=dict)  # node id -> rank (0: inputs)
    crossings_before: int = 0  # edge crossings of the initial ordering
    crossings: int = 0  # after crossing reduction


def default_node_size(node: Node) -> tuple[float, float]:
    shape = "" if node.shape is None else "×".join(map(str, node.shape)) or "scalar"
    text = max(len(node.label), len(shape))
    return (max(56.0, 7.0 * text + 20.0), 36.0)


def layout(
    graph: Graph,
    direction: str = "TB",
    node_size: Callable[[Node], tuple[float, float]] | None = None,
    rank_gap: float = 60,
    node_gap: float = 24,
    sweeps: int = 4,
) -> Layout:
    if direction not in ("TB", "LR"):
        raise ValueError(f"direction must be 'TB' or 'LR', not {direction!r}")
    size_of = node_size or default_node_size
    ids = sorted(graph.nodes)
    n = len(ids)
    if n == 0:
        return Layout({}, {}, 0.0, 0.0, direction)
    index = {nid: i for i, nid in enumerate(ids)}
    sizes = [tuple(map(float, size_of(graph.nodes[nid]))) for nid in ids]
    # breadth: along a rank; depth: across ranks
    if direction == "TB":
        breadth = [s[0] for s in sizes]
        depth = [s[1] for s in sizes]
    else:
        breadth = [s[1] for s in sizes]
        depth = [s[0] for s in sizes]

    edge_list = []  # (u, v, key) for edges between two distinct nodes
    for e in graph.edges:
        if e.src in index and e.dst in index:
            edge_list.append((index[e.src], index[e.dst], (e.src, e.dst, e.input_nr)))
    edge_list.sort(key=lambda t: (t[0], t[1], t[2][2]))

    upper_lower, reversed_ = _acyclic(n, edge_list)
    rank = _ranks(n, upper_lower)
    n_ranks = max(rank) + 1 if rank else 0

    # virtual nodes: chains for edges spanning several ranks
    rank_of = list(rank)
    virtual_breadth = []
    chains: list[list[int]] = []  # per edge: node indices from upper to lower
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    for a, b, _, _ in upper_lower:
        if a == b:
            chains.append([a])
            continue
        chain = [a]
        for r in range(rank_of[a] + 1, rank_of[b]):
            v = len(rank_of)
            rank_of.append(r)
            virtual_breadth.append(0.0)
            preds.append([])
            succs.append([])
            chain.append(v)
        chain.append(b)
        for x, y in zip(chain, chain[1:]):
            succs[x].append(y)
            preds[y].append(x)
        chains.append(chain)
    total = len(rank_of)
    br = breadth + virtual_breadth
    is_virtual = [i >= n for i in range(total)]

    layers: list[list[int]] = [[] for _ in range(n_ranks)]
    for v in range(total):
        layers[rank_of[v]].append(v)
    pos = [0] * total
    for layer in layers:
        for i, v in enumerate(layer):
            pos[v] = i
    # an initial order from the inputs down: each node at the mean position of its inputs
    _sweep(layers, pos, preds, range(1, n_ranks))
    crossings_before = count_crossings(layers, pos, succs)
    best = crossings_before
    best_layers = [list(layer) for layer in layers]
    stale = 0
    for _ in range(sweeps):
        if best == 0:
            break
        _sweep(layers, pos, succs, range(n_ranks - 2, -1, -1))
        _sweep(layers, pos, preds, range(1, n_ranks))
        _transpose(layers, pos, preds, succs)
        c = count_crossings(layers, pos, succs)
        if c < best:
            best, best_layers, stale = c, [list(layer) for layer in layers], 0
        else:
            stale += 1
            if stale >= 2:
                break
    layers = best_layers
    for layer in layers:
        for i, v in enumerate(layer):
            pos[v] = i

    centre = _coordinates(layers, br, is_virtual, preds, succs, node_gap)
    lo = min((centre[v] - br[v] / 2 for v in range(total)), default=0.0)
    centre = [c - lo for c in centre]
    extent = max((centre[v] + br[v] / 2 for v in range(total)), default=0.0)

    band_depth = [0.0] * n_ranks
    for v in range(n):
        band_depth[rank_of[v]] = max(band_depth[rank_of[v]], depth[v])
    band_start = [0.0] * n_ranks
    acc = 0.0
    for r in range(n_ranks):
        band_start[r] = acc
        acc += band_depth[r] + rank_gap
    total_depth = acc - rank_gap if n_ranks else 0.0

    def rect(v: int) -> Rect:
        r = rank_of[v]
        b0 = centre[v] - br[v] / 2
        d0 = band_start[r] + (band_depth[r] - depth[v]) / 2
        if direction == "TB":
            return (b0, d0, br[v], depth[v])
        return (d0, b0, depth[v], br[v])

    positions = {ids[v]: rect(v) for v in range(n)}

    def point(b: float, d: float) -> tuple[float, float]:
        return (b, d) if direction == "TB" else (d, b)

    # input ports: a node's incoming edges (in layout direction) spread along its upper side,
    # ordered by where each edge comes from so that they do not cross at the node
    incoming: dict[int, list[tuple[float, int, int]]] = {}
    for k, chain in enumerate(chains):
        if len(chain) > 1:
            incoming.setdefault(chain[-1], []).append((centre[chain[-2]], upper_lower[k][2], k))
    port: dict[int, float] = {}
    for v, lst in incoming.items():
        lst.sort()
        for i, (_, _, k) in enumerate(lst):
            port[k] = centre[v] - br[v] / 2 + br[v] * (i + 1) / (len(lst) + 1)

    edges: dict[EdgeKey, list[tuple[float, float]]] = {}
    for k, chain in enumerate(chains):
        key = upper_lower[k][3]
        a = chain[0]
        if len(chain) == 1:  # a self-loop: out of the node's lower side, back into it
            lo_d = band_start[rank_of[a]] + (band_depth[rank_of[a]] + depth[a]) / 2
            hi_d = lo_d - depth[a]
            edges[key] = [point(centre[a], lo_d), point(centre[a], hi_d)]
            continue
        b = chain[-1]
        ra = rank_of[a]
        pts = [(centre[a], band_start[ra] + (band_depth[ra] + depth[a]) / 2)]
        pts.append((centre[a], band_start[ra] + band_depth[ra]))
        for v in chain[1:-1]:
            r = rank_of[v]
            pts.append((centre[v], band_start[r]))
            pts.append((centre[v], band_start[r] + band_depth[r]))
        rb = rank_of[b]
        px = port[k]
        pts.append((px, band_start[rb]))
        pts.append((px, band_start[rb] + (band_depth[rb] - depth[b]) / 2))
        clean = [pts[0]]
        for p in pts[1:]:
            if p != clean[-1]:
                clean.append(p)
        if len(clean) == 1:
            clean.append(clean[0])
        poly = [point(bb, dd) for bb, dd in clean]
        if k in reversed_:
            poly.reverse()
        edges[key] = poly

    width, height = (extent, total_depth) if direction == "TB" else (total_depth, extent)
    return Layout(
        positions,
        edges,
        width,
        height,
        direction,
        {ids[v]: rank_of[v] for v in range(n)},
        crossings_before,
        best,
    )


def _acyclic(n: int, edge_list: list) -> tuple[list[tuple[int, int, int, EdgeKey]], set[int]]:
    """Edges oriented upper -> lower as (upper, lower, input_nr, key), and the indices of the
    ones reversed to break cycles (back edges of an iterative DFS in node order)."""
    out: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for k, (u, v, _) in enumerate(edge_list):
        out[u].append((v, k))
    state = [0] * n  # 0 new, 1 on the stack, 2 done
    back: set[int] = set()
    for s in range(n):
        if state[s]:
            continue
        state[s] = 1
        stack = [(s, 0)]
        while stack:
            u, i = stack[-1]
            if i < len(out[u]):
                stack[-1] = (u, i + 1)
                v, k = out[u][i]
                if v == u:
                    continue
                if state[v] == 1:
                    back.add(k)
                elif state[v] == 0:
                    state[v] = 1
                    stack.append((v, 0))
            else:
                state[u] = 2
                stack.pop()
    oriented = []
    for k, (u, v, key) in enumerate(edge_list):
        if k in back:
            oriented.append((v, u, key[2], key))
        else:
            oriented.append((u, v, key[2], key))
    return oriented, back


def _ranks(n: int, oriented: list) -> list[int]:
    succ: list[list[int]] = [[] for _ in range(n)]
    indeg = [0] * n
    outdeg = [0] * n
    for a, b, _, _ in oriented:
        if a != b:
            succ[a].append(b)
            indeg[b] += 1
            outdeg[a] += 1
    rank = [0] * n
    remaining = list(indeg)
    order = [v for v in range(n) if remaining[v] == 0]
    i = 0
    while i < len(order):
        u = order[i]
        i += 1
        ru = rank[u] + 1
        for v in succ[u]:
            if rank[v] < ru:
                rank[v] = ru
            remaining[v] -= 1
            if remaining[v] == 0:
                order.append(v)
    # nodes with no more inputs than consumers move down next to their nearest consumer
    for u in reversed(order):
        if succ[u] and indeg[u] <= outdeg[u]:
            target = min(rank[v] for v in succ[u]) - 1
            if target > rank[u]:
                rank[u] = target
    if rank:
        lo = min(rank)
        if lo:
            rank = [r - lo for r in rank]
    return rank


def _sweep(layers, pos, neighbours, rank_range) -> None:
    """Reorder each layer in `rank_range` by the mean position of its `neighbours`, which
    sit in the layer swept just before."""
    for r in rank_range:
        layer = layers[r]
        if len(layer) < 2:
            continue
        keyed = []
        for v in layer:
            nb = neighbours[v]
            if nb:
                s = 0
                for u in nb:
                    s += pos[u]
                bary = s / len(nb)
            else:
                bary = pos[v]
            keyed.append((bary, pos[v], v))
        keyed.sort()
        layer[:] = [v for _, _, v in keyed]
        for i, v in enumerate(layer):
            pos[v] = i


def _pair_crossings(nu, nv, pos) -> int:
    """Crossings between the edges of u and of v (u left of v) towards one neighbour layer."""
    c = 0
    for a in nu:
        pa = pos[a]
        for b in nv:
            if pa > pos[b]:
                c += 1
    return c


def _transpose(layers, pos, preds, succs, passes: int = 4) -> None:
    """Swap neighbours in a layer while that removes crossings (Gansner et al.'s transpose)."""
    for _ in range(passes):
        improved = False
        for layer in layers:
            for i in range(len(layer) - 1):
                u, v = layer[i], layer[i + 1]
                if not (preds[u] or succs[u]) or not (preds[v] or succs[v]):
                    continue
                now = _pair_crossings(preds[u], preds[v], pos) + _pair_crossings(
                    succs[u], succs[v], pos
                )
                if not now:
                    continue
                swapped = _pair_crossings(preds[v], preds[u], pos) + _pair_crossings(
                    succs[v], succs[u], pos
                )
                if swapped < now:
                    layer[i], layer[i + 1] = v, u
                    pos[u], pos[v] = i + 1, i
                    improved = True
        if not improved:
            break


def count_crossings(layers, pos, succs) -> int:
    """Edge crossings between adjacent layers (a Fenwick-tree inversion count per pair)."""
    total = 0
    for r in range(len(layers) - 1):
        upper, lower = layers[r], layers[r + 1]
        if len(upper) < 2 or len(lower) < 2:
            continue
        seq = []
        for u in upper:
            lst = sorted(pos[v] for v in succs[u])
            seq.extend(lst)
        m = len(lower)
        tree = [0] * (m + 1)
        seen = 0
        for p in seq:
            # edges seen so far that end right of p cross this one
            i = p + 1
            le = 0
            while i > 0:
                le += tree[i]
                i -= i & -i
            total += seen - le
            i = p + 1
            while i <= m:
                tree[i] += 1
                i += i & -i
            seen += 1
    return total


def _coordinates(layers, br, is_virtual, preds, succs, gap) -> list[float]:
    total = len(br)
    centre = [0.0] * total
    for layer in layers:
        x = 0.0
        prev = None
        for v in layer:
            if prev is not None:
                x += (br[prev] + br[v]) / 2 + _gap(prev, v, is_virtual, gap)
            centre[v] = x
            prev = v
    weight = [2.0 if virtual else 1.0 for virtual in is_virtual]
    n_ranks = len(layers)
    for _ in range(4):
        for r in range(1, n_ranks):
            _place(layers[r], centre, br, is_virtual, weight, preds, gap)
        for r in range(n_ranks - 2, -1, -1):
            _place(layers[r], centre, br, is_virtual, weight, succs, gap)
    return centre


def _gap(a: int, b: int, is_virtual, gap: float) -> float:
    return gap / 2 if is_virtual[a] and is_virtual[b] else gap


def _place(layer, centre, br, is_virtual, weight, neighbours, gap) -> None:
    """Centres for `layer` closest (weighted least squares) to the mean of each node's
    neighbours' centres, keeping order and spacing: pool-adjacent-violators on the offsets."""
    m = len(layer)
    if m == 0:
        return
    offsets = [0.0] * m
    for i in range(1, m):
        a, b = layer[i - 1], layer[i]
        offsets[i] = offsets[i - 1] + (br[a] + br[b]) / 2 + _gap(a, b, is_virtual, gap)
    # blocks of pooled values: [weighted sum, total weight, count]
    blocks: list[list[float]] = []
    for i, v in enumerate(layer):
        nb = neighbours[v]
        if nb:
            s = 0.0
            for u in nb:
                s += centre[u]
            desired = s / len(nb)
        else:
            desired = centre[v]
        w = weight[v]
        blocks.append([(desired - offsets[i]) * w, w, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            prev = blocks[-1]
            prev[0] += last[0]
            prev[1] += last[1]
            prev[2] += last[2]
    i = 0
    for s, w, c in blocks:
        y = s / w
        for _ in range(int(c)):
            centre[layer[i]] = y + offsets[i]
            i += 1
