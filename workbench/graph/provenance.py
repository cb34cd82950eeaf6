"""NaN/Inf provenance: the node that first produced a non-finite value or gradient.

Forward values are searched in creation order (leaves first, then op nodes by sequence number,
then the outputs), so the node found is the earliest whose output is not finite: the one that
produced it, provided the outputs of the ops before it are known (`record_forward`; otherwise the
message says how many of its ancestors had no recorded output).

Gradients are searched in the order backward ran them (newest node first): the node reported is
the first that received a finite gradient and sent a non-finite one to an input. Without a
recorded backward (`record_backward`) only the leaves' ``.grad`` can be checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import Graph, Node

__all__ = ["Provenance", "find_nonfinite", "describe_nonfinite"]


@dataclass
class Provenance:
    node_id: int
    where: str  # "value" | "gradient"
    message: str
    count: int = 0  # how many elements are not finite
    input_nr: int | None = None  # "gradient": the input that was sent the non-finite gradient


_FORWARD_HINTS = {
    "Log": "log of 0 is -inf and of a negative number NaN",
    "Log2": "log of 0 is -inf and of a negative number NaN",
    "Log10": "log of 0 is -inf and of a negative number NaN",
    "Log1p": "log1p of -1 is -inf and below -1 NaN",
    "Div": "division by zero gives ±inf (0/0 gives NaN)",
    "Reciprocal": "1/0 is inf",
    "Rsqrt": "1/sqrt(0) is inf and rsqrt of a negative number NaN",
    "Sqrt": "sqrt of a negative number is NaN",
    "Exp": "exp overflows to inf (float32 above about 88.7)",
    "Pow": "0 to a negative power is inf; a negative base to a fractional power NaN",
    "Acos": "acos is NaN outside [-1, 1]",
    "Asin": "asin is NaN outside [-1, 1]",
    "Atanh": "atanh is ±inf at ±1 and NaN outside [-1, 1]",
    "Mul": "inf × 0 is NaN",
    "Sub": "inf - inf is NaN",
    "Add": "inf + (-inf) is NaN",
}

_BACKWARD_HINTS = {
    "Sqrt": "the derivative of sqrt, 1/(2·sqrt x), is infinite at 0",
    "Log": "the derivative of log, 1/x, is infinite at 0",
    "Log2": "the derivative of log2 is infinite at 0",
    "Log10": "the derivative of log10 is infinite at 0",
    "Div": "the gradient of a/b holds 1/b and a/b², infinite where b is 0",
    "Pow": "the derivative of x**p for p < 1 is infinite at x = 0",
    "Rsqrt": "the derivative of rsqrt is infinite at 0",
    "Reciprocal": "the derivative of 1/x is infinite at 0",
    "Acos": "the derivative of acos is infinite at ±1",
    "Asin": "the derivative of asin is infinite at ±1",
    "Norm": "the gradient of a norm at 0 is 0/0",
    "LinalgVectorNorm": "the gradient of a norm at 0 is 0/0",
}


def _nonfinite(a: np.ndarray | None) -> tuple[int, str]:
    """(count, "2 of 3 elements not finite: 1 NaN, 1 -inf") for an array."""
    if a is None or a.dtype.kind not in "fc" or a.size == 0:
        return 0, ""
    bad = ~np.isfinite(a)
    n = int(bad.sum())
    if not n:
        return 0, ""
    parts = []
    nan = int(np.isnan(a).sum())
    pinf = int(np.isposinf(a).sum()) if a.dtype.kind == "f" else 0
    ninf = int(np.isneginf(a).sum()) if a.dtype.kind == "f" else 0
    if nan:
        parts.append(f"{nan} NaN")
    if pinf:
        parts.append(f"{pinf} +inf")
    if ninf:
        parts.append(f"{ninf} -inf")
    kinds = ", ".join(parts) or f"{n} non-finite"
    return n, f"{n} of {a.size} elements not finite ({kinds})"


def describe_nonfinite(a: np.ndarray | None) -> str:
    return _nonfinite(a)[1]


def _short(name: str) -> str:
    for suffix in ("Backward0", "Backward1", "Backward"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _input_value(graph: Graph, edge_src: int) -> np.ndarray | None:
    n = graph.nodes[edge_src]
    if n.kind == "accumulate":
        leaf = n.details.get("leaf")
        return graph.nodes[leaf].value if leaf in graph.nodes else None
    return n.value


def _value_order(graph: Graph) -> list[Node]:
    leaves = [n for n in graph.nodes.values() if n.kind in ("leaf", "parameter")]
    ops = [n for n in graph.nodes.values() if n.kind == "op"]
    outs = [n for n in graph.nodes.values() if n.kind == "output"]
    leaves.sort(key=lambda n: n.id)
    ops.sort(key=lambda n: (n.seq if n.seq is not None else 1 << 62, n.id))
    outs.sort(key=lambda n: n.id)
    return leaves + ops + outs


def _unknown_ancestors(graph: Graph, nid: int) -> int:
    seen = {nid}
    stack = [nid]
    unknown = 0
    while stack:
        for e in graph.inputs(stack.pop()):
            if e.src in seen:
                continue
            seen.add(e.src)
            src = graph.nodes[e.src]
            if src.kind == "op" and src.value is None:
                unknown += 1
            stack.append(e.src)
    return unknown


def _forward_message(graph: Graph, node: Node, desc: str) -> str:
    if node.kind in ("leaf", "parameter"):
        return f"{node.kind} '{node.name}' holds non-finite values: {desc}"
    if node.kind == "output":
        head = f"output '{node.name}' is not finite: {desc}"
    else:
        short = _short(node.name)
        head = f"{node.name} (created at seq {node.seq}) produced {desc}"
        hint = _FORWARD_HINTS.get(short)
        details = []
        if short in ("Log", "Log2", "Log10", "Sqrt", "Rsqrt", "Reciprocal", "Div"):
            ins = graph.inputs(node.id)
            # the argument whose zeros or negatives matter: the divisor for Div
            pick = [e for e in ins if e.input_nr == (1 if short == "Div" else 0)]
            x = _input_value(graph, pick[0].src) if pick else None
            if x is not None and x.dtype.kind in "fiu":
                zeros = int((x == 0).sum())
                neg = int((x < 0).sum())
                if zeros:
                    details.append(
                        f"its {'divisor' if short == 'Div' else 'input'} has "
                        f"{zeros} zero{'s' if zeros > 1 else ''}"
                    )
                if neg and short != "Div":
                    details.append(f"{neg} negative value{'s' if neg > 1 else ''}")
        if hint:
            head += f": {hint}"
        if details:
            head += f" ({', '.join(details)})"
    unknown = _unknown_ancestors(graph, node.id)
    if unknown:
        head += (
            f". The outputs of {unknown} op(s) before it were not recorded, so one of them may "
            "be the origin: capture inside record_forward() to see every op's output"
        )
    return head


def find_nonfinite(graph: Graph) -> Provenance | None:
    """The first non-finite forward value, else the first non-finite gradient (module doc)."""
    for node in _value_order(graph):
        n, desc = _nonfinite(node.value)
        if n:
            return Provenance(node.id, "value", _forward_message(graph, node, desc), n)
    return _gradient_provenance(graph)


def _gradient_provenance(graph: Graph) -> Provenance | None:
    order = (graph.details.get("backward") or {}).get("order")
    if order is None:
        ops = [n for n in graph.nodes.values() if n.kind == "op" and n.grads_out]
        ops.sort(key=lambda n: -(n.seq if n.seq is not None else -1))
        order = [n.id for n in ops]
    for out in graph.outputs:
        node = graph.nodes[out]
        n, desc = _nonfinite(node.grad) if node.kind == "output" else (0, "")
        if n:
            return Provenance(out, "gradient", f"the gradient fed to '{node.name}' is {desc}", n)
    for nid in order:
        node = graph.nodes.get(nid)
        if node is None or node.kind != "op":
            continue
        n_in, desc_in = _nonfinite(node.grad)
        for k, g in enumerate(node.grads_out):
            n, desc = _nonfinite(g)
            if not n:
                continue
            short = _short(node.name)
            src = next((e.src for e in graph.inputs(node.id) if e.input_nr == k), None)
            if src is not None and graph.nodes[src].kind == "accumulate":
                src = graph.nodes[src].details.get("leaf", src)
            to = f" ({graph.nodes[src].label})" if src in graph.nodes else ""
            if n_in:
                msg = (
                    f"{node.name} (created at seq {node.seq}) received a non-finite gradient "
                    f"({desc_in}) and passed it on to input {k}{to}"
                )
            else:
                msg = (
                    f"{node.name} (created at seq {node.seq}) sent a gradient with {desc} to "
                    f"input {k}{to} although the gradient it received was finite"
                )
                hint = _BACKWARD_HINTS.get(short)
                if hint:
                    msg += f": {hint}"
            return Provenance(nid, "gradient", msg, n, k)
    leaves = sorted(
        (n for n in graph.nodes.values() if n.kind in ("leaf", "parameter")), key=lambda n: n.id
    )
    for node in leaves:
        n, desc = _nonfinite(node.grad)
        if n:
            return Provenance(
                node.id,
                "gradient",
                f"the .grad of {node.kind} '{node.name}' has {desc}; record the backward with "
                "record_backward() to find the node that produced it",
                n,
            )
    return None
