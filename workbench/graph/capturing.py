"""`capture(*tensors)`: the grad_fn graph behind some tensors, as a plain-data `Graph`.

Node ids follow creation order, so the same computation always gets the same ids: first each
leaf followed by its AccumulateGrad node (ordered by the first op that used the leaf), then the
captured tensors that have no graph (constants), then the op nodes by sequence number, then one
output node per captured tensor. Edge direction is documented in `model.py`.

Op outputs are known where something kept them: the captured and the named tensors, the outputs
and inputs that ops saved for backward, and everything a `ForwardRecord` (`record_forward()`)
saw. Arrays are copied to the host; with ``values=False`` no array is copied at all.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from workbench.engine.autograd.function import RELEASED, AccumulateGrad
from workbench.engine.nn.modules.module import Module
from workbench.engine.nn.parameter import Parameter
from workbench.engine.tensor import Tensor

from .forward import DEFAULT_MAX_ELEMENTS, ForwardRecord, to_host
from .model import Edge, Graph, Node, SavedInfo

__all__ = ["capture", "capture_with_map", "op_label"]

_OPERAND_NAMES = ("self", "other")


def op_label(name: str) -> str:
    """``MulBackward0`` -> ``Mul``: the short text for a node card."""
    for suffix in ("Backward0", "Backward1", "Backward"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _dtype_str(dt) -> str | None:
    return None if dt is None else str(np.dtype(dt))


def _shape(s) -> tuple[int, ...] | None:
    return None if s is None else tuple(int(x) for x in s)


def _version(t) -> int:
    vc = t._vc
    return 0 if vc is None else vc[0]


class _Names:
    """What a namespace tells about tensors: their names, parameters' module paths, classes."""

    def __init__(self, names: Mapping[str, object] | None):
        self.tensors: dict[int, str] = {}  # id(tensor) -> namespace name
        self.labels: dict[int, str] = {}  # id(parameter) -> path inside its module
        self.param_module: dict[int, str | None] = {}  # id(parameter) -> owning module path
        self.modules: dict[str, str] = {}  # module path -> class name
        self.roots: dict[str, str] = {}  # namespace name -> class name of each module
        self.keep: list = []  # the objects whose ids are keys, alive while we capture
        if not names:
            return
        modules = []
        for name, obj in names.items():
            if isinstance(obj, Tensor):
                self.tensors.setdefault(id(obj), name)
                self.keep.append(obj)
            elif isinstance(obj, Module):
                modules.append((name, obj))
        # module-derived names come second: a tensor named directly keeps that name
        for name, mod in modules:
            self.roots[name] = type(mod).__name__
            for path, sub in mod.named_modules():
                if path:
                    self.modules.setdefault(path, type(sub).__name__)
            for pname, p in mod.named_parameters():
                if id(p) not in self.tensors:
                    self.tensors[id(p)] = f"{name}.{pname}"
                    self.labels[id(p)] = pname
                    self.param_module[id(p)] = pname.rpartition(".")[0] or None
                    self.keep.append(p)


def capture(
    *tensors: Tensor,
    names: Mapping[str, object] | None = None,
    values: bool = True,
    forward: ForwardRecord | None = None,
    max_elements: int | None = DEFAULT_MAX_ELEMENTS,
) -> Graph:
    """The graph reachable from `tensors` (see the module doc).

    `names`: a namespace (name -> object) naming tensors by identity; modules in it name their
    parameters ``"model.layer1.weight"`` and give module paths their class names.
    `forward`: a `record_forward()` record holding op outputs. Arrays over `max_elements`
    elements are not copied (``details["value_skipped"]`` says so).
    """
    return capture_with_map(
        *tensors, names=names, values=values, forward=forward, max_elements=max_elements
    )[0]


def capture_with_map(
    *tensors: Tensor,
    names: Mapping[str, object] | None = None,
    values: bool = True,
    forward: ForwardRecord | None = None,
    max_elements: int | None = DEFAULT_MAX_ELEMENTS,
) -> tuple[Graph, dict[int, int]]:
    """`capture`, plus the map id(engine node) -> graph node id (valid while the nodes live)."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"capture() argument {i} must be a Tensor, not {type(t).__name__}")
    nm = _Names(names)
    host = (lambda a: to_host(a, max_elements)) if values else (lambda a: None)

    # -- the engine nodes reachable from the tensors, without recursion ----------------------
    roots = []
    for t in tensors:
        if t._grad_fn is not None:
            roots.append(t._grad_fn)
        elif t._requires_grad:
            roots.append(_accumulator_of(t))
    seen: dict[int, object] = {}
    stack = list(roots)
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen[id(n)] = n
        for fn, _ in n.next_functions:
            if fn is not None and id(fn) not in seen:
                stack.append(fn)
    ops = sorted((n for n in seen.values() if n.__class__ is not AccumulateGrad), key=_seq_of)
    # AccumulateGrad nodes all share one sequence number; order them by first use instead
    first_use: dict[int, tuple] = {}
    for n in ops:
        for k, (fn, _) in enumerate(n.next_functions):
            if fn is not None and fn.__class__ is AccumulateGrad and id(fn) not in first_use:
                first_use[id(fn)] = (n._seq, k)
    accs = [n for n in seen.values() if n.__class__ is AccumulateGrad]
    root_order = {id(r): i for i, r in reversed(list(enumerate(roots)))}
    accs.sort(key=lambda a: first_use.get(id(a), (float("inf"), root_order.get(id(a), 0))))

    nodes: dict[int, Node] = {}
    edges: list[Edge] = []
    node_id: dict[int, int] = {}  # id(engine node) -> graph id
    leaf_of_acc: dict[int, int] = {}  # graph id of an AccumulateGrad -> graph id of its leaf
    leaf_id_of_tensor: dict[int, int] = {}  # id(leaf tensor) -> graph id
    next_id = 0

    # values of op outputs we learn about along the way: (id(node), output_nr) -> array
    op_values: dict[tuple[int, int], np.ndarray] = {}
    op_grads: dict[tuple[int, int], np.ndarray] = {}
    op_names: dict[tuple[int, int], list[str]] = {}

    def learn(t: Tensor) -> None:
        fn = t._grad_fn
        if fn is None or id(fn) not in seen:
            return
        key = (id(fn), t._output_nr)
        if values and key not in op_values:
            v = host(t._data)
            if v is not None:
                op_values[key] = v
        g = t._grad  # a retained gradient (retain_grad) of a non-leaf
        if values and g is not None and key not in op_grads:
            gv = host(g._data)
            if gv is not None:
                op_grads[key] = gv

    for t in tensors:
        learn(t)
    for obj in nm.keep:
        if isinstance(obj, Tensor) and obj._grad_fn is not None:
            learn(obj)
            name = nm.tensors.get(id(obj))
            if name is not None:
                op_names.setdefault((id(obj._grad_fn), obj._output_nr), []).append(name)

    def leaf_node(t: Tensor | None, module: str | None) -> Node:
        nonlocal next_id
        nid = next_id
        next_id += 1
        if t is None:  # the leaf is gone; its AccumulateGrad outlived it
            node = Node(nid, "leaf", "tensor", "tensor", None, None, module, None)
            node.details["alive"] = False
            return node
        leaf_id_of_tensor[id(t)] = nid
        kind = "parameter" if isinstance(t, Parameter) else "leaf"
        name = nm.tensors.get(id(t))
        label = nm.labels.get(id(t), name) if name else "tensor"
        if id(t) in nm.param_module:
            module = nm.param_module[id(t)]
        elif kind == "leaf":
            module = None  # an input, not part of the module that first used it
        node = Node(
            nid,
            kind,
            name or "tensor",
            label,
            _shape(t._data.shape),
            _dtype_str(t._data.dtype),
            module,
            None,
            details={
                "requires_grad": bool(t._requires_grad),
                "is_leaf": True,
                "version": _version(t),
                "device": str(t.device),
                "numel": int(t._data.size),
            },
        )
        if values:
            node.value = host(t._data)
            if node.value is None:
                node.details["value_skipped"] = True
            if t._grad is not None:
                node.grad = host(t._grad._data)
        return node

    # -- leaves and their AccumulateGrad nodes ----------------------------------------------
    for acc in accs:
        var = acc.variable
        acc_module = acc._module
        leaf = leaf_node(var, acc_module)
        nodes[leaf.id] = leaf
        aid = next_id
        next_id += 1
        acc_node = Node(
            aid,
            "accumulate",
            "AccumulateGrad",
            "AccumulateGrad",
            leaf.shape,
            leaf.dtype,
            leaf.module if leaf.kind == "parameter" else acc_module if var is None else None,
            None,
            details={"engine_name": acc.name(), "leaf": leaf.id},
        )
        if id(acc) in first_use:
            acc_node.details["first_use_seq"] = first_use[id(acc)][0]
        nodes[aid] = acc_node
        node_id[id(acc)] = aid
        leaf_of_acc[aid] = leaf.id
        edges.append(Edge(leaf.id, aid, 0, leaf.shape))

    # -- captured tensors without a graph: one leaf each ------------------------------------
    output_ids: list[int] = []
    for t in tensors:
        if t._grad_fn is None and not t._requires_grad and id(t) not in leaf_id_of_tensor:
            leaf = leaf_node(t, None)
            nodes[leaf.id] = leaf

    # -- op nodes -----------------------------------------------------------------------------
    for n in ops:
        nid = next_id
        next_id += 1
        node_id[id(n)] = nid
    for n in ops:
        nid = node_id[id(n)]
        metas = list(getattr(n, "_out_meta", None) or ())
        name = n.name()
        shape = _shape(metas[0][0]) if metas else None
        dtype = _dtype_str(metas[0][1]) if metas else None
        details: dict = {"num_outputs": len(metas)}
        if len(metas) > 1:
            details["output_shapes"] = [list(_shape(m[0])) for m in metas]
        needs = getattr(n, "needs_input_grad", None)
        if needs is not None:
            details["needs_input_grad"] = [bool(x) for x in needs]
        details["num_inputs"] = len(n.next_functions)
        tnames = op_names.get((id(n), 0))
        if tnames:
            details["tensor_names"] = tnames
        saved, out_vals = _saved_infos(n, details, host if values else None, op_values, seen)
        for (key_node, nr), v in out_vals.items():
            op_values.setdefault((key_node, nr), v)
        node = Node(
            nid,
            "op",
            name,
            op_label(name),
            shape,
            dtype,
            n._module,
            n._seq,
            saved=tuple(saved),
            details=details,
        )
        nodes[nid] = node
        for k, (fn, nr) in enumerate(n.next_functions):
            if fn is None:
                continue  # a constant operand, or one that needs no gradient: no edge
            src = node_id[id(fn)]
            edges.append(Edge(src, nid, k, _out_shape(fn, nr, nodes[src]), output_nr=nr))

    if forward is not None:
        for n in ops:
            outs = forward.outputs_of(n)
            if outs:
                for nr, v in enumerate(outs):
                    if v is not None:
                        op_values.setdefault((id(n), nr), v)
    for n in ops:
        node = nodes[node_id[id(n)]]
        v = op_values.get((id(n), 0))
        if v is not None:
            node.value = v
        g = op_grads.get((id(n), 0))
        if g is not None:
            node.grad = g

    # -- output nodes -------------------------------------------------------------------------
    done: dict[int, int] = {}
    for t in tensors:
        if id(t) in done:
            output_ids.append(done[id(t)])
            continue
        if t._grad_fn is None:
            oid = leaf_id_of_tensor.get(id(t))
            if oid is None:  # a leaf that requires grad but has no AccumulateGrad yet
                oid = node_id[id(_accumulator_of(t))]
                oid = leaf_of_acc[oid]
            done[id(t)] = oid
            output_ids.append(oid)
            continue
        oid = next_id
        next_id += 1
        name = nm.tensors.get(id(t))
        out = Node(
            oid,
            "output",
            name or "tensor",
            name or "output",
            _shape(t._data.shape),
            _dtype_str(t._data.dtype),
            None,
            None,
            details={
                "requires_grad": bool(t._requires_grad),
                "is_leaf": False,
                "version": _version(t),
                "device": str(t.device),
                "output_nr": t._output_nr,
                "numel": int(t._data.size),
            },
        )
        if values:
            out.value = host(t._data)
            if t._grad is not None:
                out.grad = host(t._grad._data)
        nodes[oid] = out
        src = node_id[id(t._grad_fn)]
        edges.append(Edge(src, oid, 0, out.shape, output_nr=t._output_nr))
        done[id(t)] = oid
        output_ids.append(oid)

    for node in nodes.values():
        cls = nm.modules.get(node.module) if node.module else None
        if cls is not None:
            node.details["module_class"] = cls
    graph = Graph(nodes, edges, output_ids, dict(nm.modules))
    if nm.roots:
        graph.details["root_modules"] = dict(nm.roots)
    return graph, node_id


def _accumulator_of(t: Tensor):
    from workbench.engine.autograd.function import _accumulator

    return _accumulator(t)


def _seq_of(n) -> int:
    return n._seq


def _out_shape(fn, nr: int, src_node: Node) -> tuple[int, ...] | None:
    if fn.__class__ is AccumulateGrad:
        return src_node.shape
    metas = getattr(fn, "_out_meta", None)
    if metas and nr < len(metas):
        return _shape(metas[nr][0])
    return None


def _saved_infos(n, details: dict, host, op_values: dict, seen: dict):
    """SavedInfo for each array node `n` saved; also the op outputs those arrays reveal."""
    saved = getattr(n, "_saved", None)
    infos: list[SavedInfo] = []
    revealed: dict[tuple[int, int], np.ndarray] = {}
    if saved is RELEASED:
        details["saved_released"] = True
        return infos, revealed
    if not saved:
        return infos, revealed
    nexts = n.next_functions
    positional = len(saved) == len(nexts)
    for i, s in enumerate(saved):
        info: dict = {"attr": f"_saved_{i}"}
        if isinstance(s, Tensor):
            t, ver, data, result_nr = s, 0, s._data, None
        elif s.__class__ is tuple and len(s) == 2 and isinstance(s[0], Tensor):
            t, ver = s
            data, result_nr = t._data, None
        elif s.__class__ is tuple and len(s) == 4:
            data, vc, ver, result_nr = s
            t = None
            info["stale"] = vc[0] != ver
        else:
            continue  # a Python number or None kept as it is
        if result_nr is not None:
            name = "result" if len(getattr(n, "_out_meta", ()) or ()) <= 1 else f"result{result_nr}"
            if host is not None and not info["stale"] and (id(n), result_nr) not in op_values:
                v = host(data)
                if v is not None:
                    revealed[(id(n), result_nr)] = v
        else:
            info["stale"] = _version(t) != ver
            k = _operand_position(t, nexts)
            if k is None and positional and nexts[i][0] is None:
                k = i  # a constant operand saved in operand order
            if k is None:
                name = "tensor"  # an operand without an edge (needs no grad) or an intermediate
            else:
                name = _OPERAND_NAMES[k] if k < 2 else f"input{k}"
                info["input_nr"] = k
            fn = t._grad_fn
            if (
                host is not None
                and fn is not None
                and id(fn) in seen
                and not info["stale"]
                and (id(fn), t._output_nr) not in op_values
                and (id(fn), t._output_nr) not in revealed
            ):
                v = host(data)
                if v is not None:
                    revealed[(id(fn), t._output_nr)] = v
        info["version"] = ver
        infos.append(
            SavedInfo(name, _shape(data.shape), _dtype_str(data.dtype), int(data.nbytes), info)
        )
    return infos, revealed


def _operand_position(t: Tensor, nexts) -> int | None:
    fn = t._grad_fn
    acc = t._grad_acc if fn is None else None
    for k, (f, nr) in enumerate(nexts):
        if f is None:
            continue
        if (fn is not None and f is fn and nr == t._output_nr) or (acc is not None and f is acc):
            return k
    return None
