"""Grouping a graph by the nn.Module that created each node: the module tree, collapsing modules
into single "module" nodes, and folding runs of identical sibling modules ("Block × 12").

Node metadata carries the module path relative to the outermost module called ("layer1",
"encoder.0"); `Graph.modules` maps paths to class names when capture was given the module.
Collapsing returns a new graph (a view: uncollapsed nodes are the same `Node` objects) in which
each collapsed module is one node with a stable id derived from its path; expanding is calling
`collapse` again with a smaller set.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .model import Edge, Graph, Node

__all__ = ["ModuleGroup", "Fold", "module_tree", "collapse", "fold_repeats", "group_id"]


@dataclass
class ModuleGroup:
    path: str  # "" for the top level (nodes outside any submodule)
    label: str  # "layer1: Linear"
    class_name: str | None
    node_ids: list[int] = field(default_factory=list)  # nodes of this module, not its children
    children: list[ModuleGroup] = field(default_factory=list)

    def all_node_ids(self) -> list[int]:
        out: list[int] = []
        for g in self.walk():
            out.extend(g.node_ids)
        return sorted(out)

    def walk(self) -> Iterator[ModuleGroup]:
        stack = [self]
        while stack:
            g = stack.pop()
            yield g
            stack.extend(reversed(g.children))

    def find(self, path: str) -> ModuleGroup | None:
        return next((g for g in self.walk() if g.path == path), None)


@dataclass
class Fold:
    parent: str  # path of the module whose children repeat
    paths: tuple[str, ...]  # the repeated sibling modules, in order
    label: str  # "Block × 12"
    class_name: str | None  # of the repeated module (None when the unit is several modules)
    period: int = 1  # how many sibling modules one repetition spans

    @property
    def key(self) -> str:
        return f"fold:{self.paths[0]}..{self.paths[-1]}"

    @property
    def count(self) -> int:
        """How many times the unit repeats."""
        return len(self.paths) // self.period


def group_label(path: str, class_name: str | None) -> str:
    return f"{path}: {class_name}" if class_name else path


def group_id(key: str) -> int:
    """A stable negative node id for a group (a module path or a fold key)."""
    return -1 - zlib.crc32(key.encode())


def _membership_path(node: Node) -> str | None:
    return node.module if node.kind != "module" else None


def module_tree(graph: Graph) -> ModuleGroup:
    roots = graph.details.get("root_modules") or {}
    root_label = next(iter(roots.values())) if len(roots) == 1 else "graph"
    root = ModuleGroup("", root_label, root_label if len(roots) == 1 else None)
    groups: dict[str, ModuleGroup] = {"": root}
    first: dict[str, tuple[int, int]] = {}

    def group(path: str) -> ModuleGroup:
        g = groups.get(path)
        if g is None:
            parent = group(path.rpartition(".")[0]) if "." in path else root
            cls = graph.modules.get(path)
            g = groups[path] = ModuleGroup(path, group_label(path, cls), cls)
            parent.children.append(g)
        return g

    for nid in sorted(graph.nodes):
        node = graph.nodes[nid]
        path = _membership_path(node)
        g = group(path) if path else root
        g.node_ids.append(nid)
        # a module's place among its siblings: when it first ran an op (leaves, numbered
        # before all ops, only break ties)
        order = (node.seq if node.kind == "op" and node.seq is not None else 1 << 62, nid)
        p = path or ""
        while p:
            if order < first.get(p, (1 << 63, 0)):
                first[p] = order
            p = p.rpartition(".")[0]
    for g in groups.values():
        g.children.sort(key=lambda c: (first.get(c.path, (1 << 63, 0)), c.path))
    return root


def _signature(graph: Graph, g: ModuleGroup) -> tuple:
    items = []
    for nid in g.all_node_ids():
        n = graph.nodes[nid]
        rel = (n.module or "")[len(g.path) + 1 :]
        op = n.name if n.kind in ("op", "accumulate") else n.kind
        items.append((op, n.shape, n.dtype, rel))
    return (g.class_name, tuple(items))


def fold_repeats(graph: Graph, min_count: int = 2, max_period: int = 4) -> list[Fold]:
    """Runs of sibling modules that repeat at least `min_count` times in a row with identical
    structure (the same classes, op names, shapes and inner module paths), as folds labelled
    "Block × 12". A repeating unit may be up to `max_period` siblings long: a flat
    ``Sequential(Linear, ReLU, Linear, ReLU, ...)`` folds into "Linear, ReLU × n"."""
    folds: list[Fold] = []
    for g in module_tree(graph).walk():
        kids = g.children
        if len(kids) < min_count:
            continue
        codes: dict[tuple, int] = {}
        sig = [codes.setdefault(_signature(graph, k), len(codes)) for k in kids]
        empty = {c for s, c in codes.items() if not s[1]}
        i = 0
        while i < len(kids):
            best_p, best_reps = 0, 0
            for p in range(1, max_period + 1):
                unit = sig[i : i + p]
                if len(unit) < p or any(c in empty for c in unit):
                    break
                reps = 1
                while sig[i + reps * p : i + (reps + 1) * p] == unit:
                    reps += 1
                if reps >= min_count and reps * p > best_reps * best_p:
                    best_p, best_reps = p, reps
            if not best_p:
                i += 1
                continue
            run = kids[i : i + best_p * best_reps]
            unit = run[:best_p]
            classes = [k.class_name or "Block" for k in unit]
            label = f"{', '.join(classes)} × {best_reps}"
            cls = unit[0].class_name if best_p == 1 else None
            folds.append(Fold(g.path, tuple(k.path for k in run), label, cls, best_p))
            i += best_p * best_reps
    return folds


def collapse(graph: Graph, collapsed: Iterable[str], folds: Iterable[Fold] = ()) -> Graph:
    """A view of `graph` in which each module path in `collapsed` (with everything inside it)
    and each fold in `folds` is one node of kind "module". The outermost collapsed path wins;
    edges are re-routed to the group nodes, edges inside a group dropped and duplicates merged.
    """
    collapsed = set(collapsed)
    folds = list(folds)
    # path -> group key; a fold's members all map to the fold
    target: dict[str, str] = {p: p for p in collapsed}
    fold_of: dict[str, Fold] = {}
    for f in folds:
        for p in f.paths:
            if p not in collapsed:
                target[p] = f.key
        fold_of[f.key] = f

    def key_of(node: Node) -> str | None:
        path = _membership_path(node)
        if not path or not target:
            return None
        parts = path.split(".")
        for i in range(1, len(parts) + 1):
            k = target.get(".".join(parts[:i]))
            if k is not None:
                return k
        return None

    members: dict[str, list[int]] = {}
    rep: dict[int, int] = {}
    for nid in sorted(graph.nodes):
        k = key_of(graph.nodes[nid])
        if k is not None:
            members.setdefault(k, []).append(nid)
    ids: dict[str, int] = {}
    used = set(graph.nodes)
    for k in sorted(members):
        gid = group_id(k)
        while gid in used:  # a crc collision: probe downwards, deterministically
            gid -= 1 << 32
        used.add(gid)
        ids[k] = gid
        for nid in members[k]:
            rep[nid] = gid

    nodes: dict[int, Node] = {}
    group_nodes: dict[int, Node] = {}
    for nid in sorted(graph.nodes):
        if nid not in rep:
            nodes[nid] = graph.nodes[nid]
    for k in sorted(members, key=lambda k: members[k][0]):
        mem = members[k]
        f = fold_of.get(k)
        if f is not None:
            label, cls, name = f.label, f.class_name, k
        else:
            cls = graph.modules.get(k)
            label, name = group_label(k, cls), k
        seqs = [graph.nodes[m].seq for m in mem if graph.nodes[m].seq is not None]
        n_params = sum(1 for m in mem if graph.nodes[m].kind == "parameter")
        details = {"members": mem, "class": cls, "num_nodes": len(mem), "num_parameters": n_params}
        if f is not None:
            details["fold"] = list(f.paths)
        node = Node(ids[k], "module", name, label, None, None, k, min(seqs, default=None))
        node.details = details
        group_nodes[node.id] = node
        nodes[node.id] = node

    edges: list[Edge] = []
    seen: set[tuple[int, int, int]] = set()
    group_inputs: dict[int, dict[int, int]] = {}  # group id -> src -> its input_nr
    last_out: dict[int, tuple] = {}
    for e in graph.edges:
        s, d = rep.get(e.src, e.src), rep.get(e.dst, e.dst)
        if s == d:
            continue
        if d in group_nodes:
            slots = group_inputs.setdefault(d, {})
            if s in slots:
                continue
            nr = slots[s] = len(slots)
        else:
            nr = e.input_nr
        key = (s, d, nr)
        if key in seen:
            continue
        seen.add(key)
        edges.append(Edge(s, d, nr, e.shape, e.output_nr))
        # a group's output: what its newest member with an edge leaving the group produced
        if s in group_nodes and e.src >= last_out.get(s, (-1,))[0]:
            last_out[s] = (e.src, e.shape, graph.nodes[e.src].dtype)
    for gid, (_, shape, dtype) in last_out.items():
        group_nodes[gid].shape, group_nodes[gid].dtype = shape, dtype
    outputs: list[int] = []
    for o in graph.outputs:
        r = rep.get(o, o)
        if r not in outputs:
            outputs.append(r)
    view = Graph(nodes, edges, outputs, dict(graph.modules), dict(graph.details))
    view.details["collapsed"] = sorted(k for k in members)
    return view
