"""Autograd graphs as plain data (nodes, edges, saved tensors, module scopes) and layout. No Qt.

`model` (the data classes) imports nothing but NumPy; the rest reads the engine's graph.
"""

from .capture import capture, capture_with_map, op_label
from .forward import ForwardRecord, record_forward
from .grouping import Fold, ModuleGroup, collapse, fold_repeats, group_id, module_tree
from .layout import Layout, count_crossings, default_node_size, layout
from .model import NODE_KINDS, Edge, Graph, Node, NodeKind, SavedInfo
from .provenance import Provenance, describe_nonfinite, find_nonfinite
from .stepper import Step, Stepper, record_backward

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
