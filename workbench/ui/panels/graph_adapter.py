"""What the graph panel needs from `workbench.graph` and the namespace, without Qt: which tensor
to show, grouping by module as the panel does it (top-level modules collapsed, the user's
expansions open, repeated blocks folded), saved tensors as extra nodes, and small texts.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

import numpy as np

import workbench.graph as _graph
from workbench.graph import (
    Edge,
    Graph,
    Layout,
    Node,
    collapse,
    find_nonfinite,
    fold_repeats,
    module_tree,
)
from workbench.graph import layout as _layout
from workbench.ui.panels.inspector_data import MISSING, resolve_name

# The engine-side parts of workbench.graph load on first use: the panel is built at start-up,
# long before there is a tensor to capture, and the engine is a quarter of the start-up time.


def capture(*args, **kwargs):
    return _graph.capture(*args, **kwargs)


def record_backward(*args, **kwargs):
    return _graph.record_backward(*args, **kwargs)


def Stepper(graph, steps):  # noqa: N802 (stands in for the class)
    return _graph.Stepper(graph, steps)


def op_label(name: str) -> str:
    return _graph.op_label(name)


def _is_tensor(obj) -> bool:
    engine = sys.modules.get("workbench.engine")
    return engine is not None and isinstance(obj, engine.Tensor)


__all__ = [
    "EMPTY_GRAPH",
    "MISSING",
    "Stepper",
    "capture",
    "default_output",
    "empty_layout",
    "find_nonfinite",
    "grad_badge",
    "grouped",
    "has_graph",
    "has_modules",
    "layout",
    "record_backward",
    "representatives",
    "resolve",
    "search_text",
    "with_saved_nodes",
]

EMPTY_GRAPH = Graph({}, [], [])
# Saved-tensor nodes get ids far below the group ids of `collapse` (-1 - crc32, >= -2**33).
SAVED_BASE = -(1 << 40)


def resolve(namespace: Mapping[str, object], name: str):
    return resolve_name(namespace, name) if name else MISSING


def has_graph(obj) -> bool:
    return _is_tensor(obj) and obj.grad_fn is not None


def default_output(namespace: Mapping[str, object]) -> tuple[str, object] | None:
    """The run's output: ``loss`` when it is a tensor with a grad_fn, else the last scalar
    tensor with a grad_fn in the namespace, else the last tensor with a grad_fn."""
    loss = namespace.get("loss")
    if has_graph(loss):
        return "loss", loss
    last_scalar = last_any = None
    for name, obj in list(namespace.items()):
        if name.startswith("_") or not has_graph(obj):
            continue
        last_any = (name, obj)
        if obj.numel() == 1:
            last_scalar = (name, obj)
    return last_scalar or last_any


def layout(graph: Graph, direction: str, node_size) -> Layout:
    return _layout(graph, direction=direction, node_size=node_size)


def empty_layout() -> Layout:
    return Layout({}, {}, 0.0, 0.0)


def has_modules(graph: Graph) -> bool:
    return any(n.module for n in graph.nodes.values())


def _paths_of(node: Node) -> list[str]:
    """The module paths a shown node stands for (a fold card stands for several)."""
    if node.kind == "module":
        return list(node.details.get("fold") or [node.module or node.name])
    return [node.module] if node.module else []


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root + ".")


def grouped(graph: Graph, expanded: set[str]):
    """(view, boxes, fold members): every module collapsed unless its path is in `expanded`,
    runs of identical sibling modules folded unless the fold's key is expanded. `boxes` are
    (key, label, shown node ids) for the expanded modules and folds, outermost first;
    `fold members` maps each fold key to its module paths."""
    tree = module_tree(graph)
    folds = fold_repeats(graph)
    collapsed: set[str] = set()
    active = []
    opened: list[tuple[str, str, list[str]]] = []  # key, label, module paths inside
    members: dict[str, tuple[str, ...]] = {f.key: f.paths for f in folds}

    def visit(group) -> None:
        here = {p: f for f in folds if f.parent == group.path for p in f.paths}
        seen_folds = set()
        for child in group.children:
            fold = here.get(child.path)
            if fold is not None and fold.key not in seen_folds:
                seen_folds.add(fold.key)
                if fold.key not in expanded:
                    active.append(fold)
                else:
                    opened.append((fold.key, fold.label, list(fold.paths)))
            if fold is not None and fold.key not in expanded:
                continue
            if child.path in expanded:
                opened.append((child.path, child.label, [child.path]))
                visit(child)
            else:
                collapsed.add(child.path)

    visit(tree)
    view = collapse(graph, collapsed, active)
    boxes = []
    for key, label, roots in opened:
        ids = [
            nid
            for nid, node in view.nodes.items()
            if any(_inside(p, r) for p in _paths_of(node) for r in roots)
        ]
        if ids:
            boxes.append((key, label, ids))
    return view, boxes, members


def representatives(view: Graph) -> dict[int, int]:
    """Node id in the full graph -> id of the module card that stands for it in `view`."""
    rep: dict[int, int] = {}
    for node in view.nodes.values():
        if node.kind == "module":
            for member in node.details.get("members", ()):
                rep[member] = node.id
    return rep


def with_saved_nodes(graph: Graph) -> Graph:
    """`graph` plus one "saved" node per tensor an op saved for backward, feeding the op.

    Their edges have negative input numbers (-1, -2, ...): they are not operands."""
    nodes = dict(graph.nodes)
    edges = list(graph.edges)
    for op in graph.nodes.values():
        if op.kind != "op":
            continue
        for i, saved in enumerate(op.saved):
            sid = SAVED_BASE - op.id * 64 - i
            nodes[sid] = Node(
                sid,
                "saved",
                saved.name,
                saved.name,
                saved.shape,
                saved.dtype,
                op.module,
                None,
                details={"op": op.id, "nbytes": saved.nbytes, **saved.details},
            )
            edges.append(Edge(sid, op.id, -1 - i, saved.shape))
    return Graph(nodes, edges, list(graph.outputs), dict(graph.modules), dict(graph.details))


def search_text(node: Node) -> str:
    """What the search box matches against, lower case: label, name, the tensor names of an
    op's output. An op's name loses its "Backward0", or every op would match "a" or "back"."""
    name = op_label(node.name) if node.kind == "op" else node.name
    words = [node.label or "", name or "", *node.details.get("tensor_names", ())]
    return " ".join(words).lower()


def grad_badge(grad) -> str:
    """The small text on a leaf's card once gradient has reached it: its 2-norm."""
    a = np.asarray(grad)
    if a.dtype.kind in "fc" and not np.isfinite(a).all():
        return "grad ✗ not finite"
    norm = float(np.linalg.norm(a.astype(np.float64).reshape(-1))) if a.size else 0.0
    return f"grad ✓ ‖{norm:.3g}‖"


RECORD_TIP = (
    "Run backward() on {name} with a hook on every node and step through it node by node, in "
    "the engine's own order.\nLike a real backward, this adds the gradients into the leaves' "
    ".grad (the graph is kept, so you can record again)."
)


def record_blocker(source, name: str, graph: Graph | None, busy: bool) -> str:
    """Why a backward of `source` cannot be recorded now ("" when it can)."""
    if source is None:
        return "Step-through needs a live tensor: run code that computes one."
    if busy:
        return "Wait for the run to finish."
    shape = tuple(source.shape)
    if int(np.prod(shape, dtype=np.int64)) != 1:
        return (
            f"{name} has shape {shape}: backward() needs a scalar output. Select a scalar "
            f"(such as {name}.sum()) to step through."
        )
    if graph is not None and any(n.details.get("saved_released") for n in graph.nodes.values()):
        return (
            "backward() already ran on this graph and freed what its nodes saved. Run the code "
            "again without calling backward() (or with retain_graph=True) to step through it."
        )
    return ""
