"""The captured autograd graph as plain data: nodes, edges, values and gradients. No Qt.

A `Graph` holds no reference to engine objects (tensors, grad_fn nodes): it is what a session
stores and what the graph panel draws, and it outlives the computation it was captured from.

Edge direction: edges follow the FORWARD data flow, mirroring the grad_fn graph. For each grad_fn
node N and each position k of ``N.next_functions`` whose function F is not None there is an
``Edge(src=id(F), dst=id(N), input_nr=k)``: the tensor F stands for flows into N as input k. A
``None`` next function (a constant operand, an input that needs no gradient) gives no edge. Each
leaf tensor feeds its ``AccumulateGrad`` node (``leaf -> accumulate``, input_nr 0), and the root op
of each captured tensor feeds that tensor's ``output`` node (input_nr 0). So for the tutorial's
``d = 2 * sin(a) + 1``::

    a (leaf) -> AccumulateGrad -> SinBackward0 -> MulBackward0 -> AddBackward0 -> d (output)

and walking `inputs()` back from the output visits AddBackward0, MulBackward0, SinBackward0,
AccumulateGrad and the leaf, which is exactly the order backward runs them in.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

NodeKind = Literal["op", "accumulate", "leaf", "parameter", "output", "saved", "module"]
NODE_KINDS: frozenset[str] = frozenset(
    ("op", "accumulate", "leaf", "parameter", "output", "saved", "module")
)

FORMAT = "workbench.graph"
VERSION = 1


@dataclass
class SavedInfo:
    """One tensor a backward node saved: its name (``self``, ``other``, ``result``...) and size.

    ``shape``/``dtype`` are None and ``nbytes`` 0 when the buffer was released (after a backward
    without ``retain_graph``); ``details["released"]`` says so.
    """

    name: str
    shape: tuple[int, ...] | None
    dtype: str | None
    nbytes: int
    details: dict = field(default_factory=dict)


@dataclass(eq=False)  # identity equality (arrays don't compare to a bool); hashable
class Node:
    id: int
    kind: str
    name: str
    label: str
    shape: tuple[int, ...] | None
    dtype: str | None
    module: str | None
    seq: int | None
    value: np.ndarray | None = None
    grad: np.ndarray | None = None
    grads_out: tuple[np.ndarray | None, ...] = ()
    saved: tuple[SavedInfo, ...] = ()
    details: dict = field(default_factory=dict)


@dataclass
class Edge:
    src: int
    dst: int
    input_nr: int
    shape: tuple[int, ...] | None
    output_nr: int = 0  # which output of src (ops with several outputs: split, unbind...)

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.src, self.dst, self.input_nr)


@dataclass(eq=False)
class Graph:
    nodes: dict[int, Node]
    edges: list[Edge]
    outputs: list[int]
    # module path -> class name ("layer1" -> "Linear"), from the modules capture was given.
    modules: dict[str, str] = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    _index: Any = field(default=None, init=False, repr=False, compare=False)

    def node(self, id: int) -> Node:
        try:
            return self.nodes[id]
        except KeyError:
            raise KeyError(f"no node with id {id} in the graph") from None

    def _adjacency(self) -> tuple[dict[int, list[Edge]], dict[int, list[Edge]]]:
        # Rebuilt whenever the edge list changes size or identity; edits in place of an edge's
        # endpoints are not expected (graphs are built once and then read).
        stamp = (id(self.edges), len(self.edges))
        if self._index is None or self._index[0] != stamp:
            ins: dict[int, list[Edge]] = {}
            outs: dict[int, list[Edge]] = {}
            for e in self.edges:
                ins.setdefault(e.dst, []).append(e)
                outs.setdefault(e.src, []).append(e)
            for lst in ins.values():
                lst.sort(key=lambda e: (e.input_nr, e.src))
            for lst in outs.values():
                lst.sort(key=lambda e: (e.dst, e.input_nr))
            self._index = (stamp, ins, outs)
        return self._index[1], self._index[2]

    def inputs(self, id: int) -> list[Edge]:
        """Edges into `id` (the tensors it consumed), ordered by input_nr."""
        return list(self._adjacency()[0].get(id, ()))

    def consumers(self, id: int) -> list[Edge]:
        """Edges out of `id` (the nodes that consumed its output)."""
        return list(self._adjacency()[1].get(id, ()))

    def topological_order(self) -> list[int]:
        """Node ids with every edge's src before its dst; ties broken by node id."""
        indeg = {nid: 0 for nid in self.nodes}
        for e in self.edges:
            indeg[e.dst] += 1
        ready = [nid for nid, d in indeg.items() if d == 0]
        heapq.heapify(ready)
        order: list[int] = []
        outs = self._adjacency()[1]
        while ready:
            nid = heapq.heappop(ready)
            order.append(nid)
            for e in outs.get(nid, ()):
                indeg[e.dst] -= 1
                if indeg[e.dst] == 0:
                    heapq.heappush(ready, e.dst)
        if len(order) != len(self.nodes):
            raise ValueError("graph has a cycle")
        return order

    # -- serialisation ------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """JSON-able description; arrays are replaced by keys into `arrays()`."""
        nodes = []
        for n in self.nodes.values():
            d: dict[str, Any] = {
                "id": n.id,
                "kind": n.kind,
                "name": n.name,
                "label": n.label,
                "shape": _shape_out(n.shape),
                "dtype": n.dtype,
                "module": n.module,
                "seq": n.seq,
                "value": _key(n.id, "value") if n.value is not None else None,
                "grad": _key(n.id, "grad") if n.grad is not None else None,
                "grads_out": [
                    _key(n.id, f"grads_out.{i}") if g is not None else None
                    for i, g in enumerate(n.grads_out)
                ],
                "saved": [
                    {
                        "name": s.name,
                        "shape": _shape_out(s.shape),
                        "dtype": s.dtype,
                        "nbytes": s.nbytes,
                        "details": _jsonable(s.details),
                    }
                    for s in n.saved
                ],
                "details": _jsonable(n.details),
            }
            nodes.append(d)
        return {
            "format": FORMAT,
            "version": VERSION,
            "nodes": nodes,
            "edges": [
                {
                    "src": e.src,
                    "dst": e.dst,
                    "input_nr": e.input_nr,
                    "shape": _shape_out(e.shape),
                    "output_nr": e.output_nr,
                }
                for e in self.edges
            ],
            "outputs": list(self.outputs),
            "modules": dict(self.modules),
            "details": _jsonable(self.details),
        }

    def arrays(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for n in self.nodes.values():
            if n.value is not None:
                out[_key(n.id, "value")] = n.value
            if n.grad is not None:
                out[_key(n.id, "grad")] = n.grad
            for i, g in enumerate(n.grads_out):
                if g is not None:
                    out[_key(n.id, f"grads_out.{i}")] = g
        return out

    @classmethod
    def from_dict(cls, data: dict, arrays: Mapping[str, np.ndarray] | None = None) -> Graph:
        """Rebuild a graph from `to_dict()` output; malformed data raises ValueError.

        With ``arrays=None`` the array references are dropped (values and gradients become None).
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"graph data must be a dict, not {type(data).__name__}")
        if data.get("format", FORMAT) != FORMAT:
            raise ValueError(f"graph data has format {data.get('format')!r}, expected {FORMAT!r}")
        version = data.get("version", VERSION)
        if not isinstance(version, int) or isinstance(version, bool) or version > VERSION:
            raise ValueError(f"graph data version {version!r} is not supported (max {VERSION})")
        for k in ("nodes", "edges", "outputs"):
            if k not in data:
                raise ValueError(f"graph data is missing {k!r}")
            if not isinstance(data[k], list):
                raise ValueError(f"graph data {k!r} must be a list")

        def arr(ref: Any, where: str) -> np.ndarray | None:
            if ref is None:
                return None
            if not isinstance(ref, str):
                raise ValueError(f"{where}: array reference must be a string or null")
            if arrays is None:
                return None
            if ref not in arrays:
                raise ValueError(f"{where}: array {ref!r} is missing")
            return np.asarray(arrays[ref])

        nodes: dict[int, Node] = {}
        for i, nd in enumerate(data["nodes"]):
            where = f"nodes[{i}]"
            if not isinstance(nd, Mapping):
                raise ValueError(f"{where} must be a dict")
            nid = _int(nd, "id", where)
            where = f"node {nid}"
            if nid in nodes:
                raise ValueError(f"{where}: duplicate node id")
            kind = _str(nd, "kind", where)
            if kind not in NODE_KINDS:
                raise ValueError(f"{where}: unknown kind {kind!r}")
            saved = []
            saved_list = nd.get("saved", [])
            if not isinstance(saved_list, list):
                raise ValueError(f"{where}: 'saved' must be a list")
            for j, s in enumerate(saved_list):
                sw = f"{where} saved[{j}]"
                if not isinstance(s, Mapping):
                    raise ValueError(f"{sw} must be a dict")
                saved.append(
                    SavedInfo(
                        name=_str(s, "name", sw),
                        shape=_shape_in(s.get("shape"), sw),
                        dtype=_opt_str(s, "dtype", sw),
                        nbytes=_int(s, "nbytes", sw),
                        details=_dict(s, "details", sw),
                    )
                )
            grads_out_refs = nd.get("grads_out", [])
            if not isinstance(grads_out_refs, list):
                raise ValueError(f"{where}: 'grads_out' must be a list")
            nodes[nid] = Node(
                id=nid,
                kind=kind,
                name=_str(nd, "name", where),
                label=_str(nd, "label", where),
                shape=_shape_in(nd.get("shape"), where),
                dtype=_opt_str(nd, "dtype", where),
                module=_opt_str(nd, "module", where),
                seq=_opt_int(nd, "seq", where),
                value=arr(nd.get("value"), f"{where} value"),
                grad=arr(nd.get("grad"), f"{where} grad"),
                grads_out=tuple(
                    arr(r, f"{where} grads_out[{j}]") for j, r in enumerate(grads_out_refs)
                ),
                saved=tuple(saved),
                details=_dict(nd, "details", where),
            )
        edges = []
        for i, ed in enumerate(data["edges"]):
            where = f"edges[{i}]"
            if not isinstance(ed, Mapping):
                raise ValueError(f"{where} must be a dict")
            src, dst = _int(ed, "src", where), _int(ed, "dst", where)
            for end in (src, dst):
                if end not in nodes:
                    raise ValueError(f"{where}: edge {src}->{dst} refers to unknown node {end}")
            out_nr = _int(ed, "output_nr", where) if "output_nr" in ed else 0
            edges.append(
                Edge(
                    src,
                    dst,
                    _int(ed, "input_nr", where),
                    _shape_in(ed.get("shape"), where),
                    out_nr,
                )
            )
        outputs = []
        for o in data["outputs"]:
            if not isinstance(o, int) or isinstance(o, bool):
                raise ValueError(f"outputs: {o!r} is not a node id")
            if o not in nodes:
                raise ValueError(f"outputs: unknown node {o}")
            outputs.append(o)
        modules = data.get("modules", {})
        if not isinstance(modules, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in modules.items()
        ):
            raise ValueError("'modules' must map module paths to class names (strings)")
        return cls(nodes, edges, outputs, dict(modules), _dict(data, "details", "graph"))


def _key(nid: int, what: str) -> str:
    return f"node{nid}.{what}"


def _shape_out(shape: tuple[int, ...] | None) -> list[int] | None:
    return None if shape is None else [int(s) for s in shape]


def _shape_in(shape: Any, where: str) -> tuple[int, ...] | None:
    if shape is None:
        return None
    if not isinstance(shape, list | tuple) or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape
    ):
        raise ValueError(f"{where}: shape must be a list of non-negative ints, got {shape!r}")
    return tuple(shape)


def _int(d: Mapping, k: str, where: str) -> int:
    if k not in d:
        raise ValueError(f"{where}: missing {k!r}")
    v = d[k]
    if not isinstance(v, int) or isinstance(v, bool):
        raise ValueError(f"{where}: {k!r} must be an int, got {type(v).__name__}")
    return v


def _opt_int(d: Mapping, k: str, where: str) -> int | None:
    return None if d.get(k) is None else _int(d, k, where)


def _str(d: Mapping, k: str, where: str) -> str:
    if k not in d:
        raise ValueError(f"{where}: missing {k!r}")
    v = d[k]
    if not isinstance(v, str):
        raise ValueError(f"{where}: {k!r} must be a string, got {type(v).__name__}")
    return v


def _opt_str(d: Mapping, k: str, where: str) -> str | None:
    return None if d.get(k) is None else _str(d, k, where)


def _dict(d: Mapping, k: str, where: str) -> dict:
    v = d.get(k, {})
    if not isinstance(v, Mapping):
        raise ValueError(f"{where}: {k!r} must be a dict")
    return dict(v)


def _jsonable(v: Any) -> Any:
    """Copy `v` as JSON types (NumPy scalars become Python numbers, tuples lists)."""
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)
