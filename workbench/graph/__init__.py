"""Autograd graphs as plain data (nodes, edges, saved tensors, module scopes) and layout. No Qt.

`model`, `grouping`, `layout` and `provenance` work on plain data and import nothing but NumPy;
`capturing`, `forward` and `stepper` read the engine's graph. Those load on first use, so the app
can show a stored graph (and start up) without loading the engine.
"""

from .grouping import Fold, ModuleGroup, collapse, fold_repeats, group_id, module_tree
from .layout import Layout, count_crossings, default_node_size, layout
from .model import NODE_KINDS, Edge, Graph, Node, NodeKind, SavedInfo
from .provenance import Provenance, describe_nonfinite, find_nonfinite

_ENGINE_SIDE = {
    "capture": "capturing",
    "capture_with_map": "capturing",
    "op_label": "capturing",
    "ForwardRecord": "forward",
    "record_forward": "forward",
    "Step": "stepper",
    "Stepper": "stepper",
    "record_backward": "stepper",
}


def __getattr__(name):
    module = _ENGINE_SIDE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "NODE_KINDS",
    "Edge",
    "Fold",
    "ForwardRecord",
    "Graph",
    "Layout",
    "ModuleGroup",
    "Node",
    "NodeKind",
    "Provenance",
    "SavedInfo",
    "Step",
    "Stepper",
    "capture",
    "capture_with_map",
    "collapse",
    "count_crossings",
    "default_node_size",
    "describe_nonfinite",
    "find_nonfinite",
    "fold_repeats",
    "group_id",
    "layout",
    "module_tree",
    "op_label",
    "record_backward",
    "record_forward",
]
