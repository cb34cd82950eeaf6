"""Backward step by step: run the engine's own backward with hooks on every node, record each
node as it runs, then replay the recording one node at a time.

The numbers come from the engine's hooks, never from a second implementation of the maths: a
post-hook on each op node sees the gradients that arrived (w.r.t. its outputs) and the ones it
sends to each input, and a post-hook on each AccumulateGrad node runs after the leaf's ``.grad``
was updated. Hooks run in the order the engine executes the nodes (newest first by sequence
number, AccumulateGrad nodes once nothing feeds them), so the recording is the real order.

Registering a post-hook makes the engine run that node's backward on Tensors instead of raw
arrays; the formulas are the same ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from workbench.engine.autograd.engine import backward as _engine_backward
from workbench.engine.tensor import Tensor

from .capturing import capture_with_map
from .forward import ForwardRecord, to_host
from .model import Graph

__all__ = ["Step", "Stepper", "record_backward"]


@dataclass(eq=False)
class Step:
    index: int
    node_id: int
    grad_in: tuple[np.ndarray | None, ...]  # gradients arriving w.r.t. the node's outputs
    grads_out: tuple[np.ndarray | None, ...]  # what it sends to each input (by input_nr)
    leaf_grads: dict[int, np.ndarray]  # leaf node id -> its .grad after this step (changed only)
    # leaf node id -> its .grad before this step (None: it had none), for stepping back
    leaf_grads_before: dict[int, np.ndarray | None] = field(default_factory=dict)


def _host_all(grads) -> tuple[np.ndarray | None, ...]:
    return tuple(None if g is None else to_host(g._data) for g in grads)


def record_backward(
    *tensors: Tensor,
    grad_tensors: Sequence[Tensor | None] | Tensor | None = None,
    retain_graph: bool = False,
    names=None,
    forward: ForwardRecord | None = None,
) -> tuple[Graph, list[Step]]:
    """Capture the graph of `tensors`, run ``autograd.backward`` on them, record every node.

    Returns the graph (with each node's gradients of this backward filled in, and the leaves'
    final ``.grad``) and the steps in execution order. Hooks are removed afterwards, also when
    backward raises.
    """
    if not tensors:
        raise ValueError("record_backward() needs at least one tensor")
    graph, node_map = capture_with_map(*tensors, names=names, forward=forward)
    leaf_of = {n.id: n.details["leaf"] for n in graph.nodes.values() if n.kind == "accumulate"}

    # the engine nodes, collected again (capture keeps none of them)
    engine_nodes = []
    stack = [t._grad_fn if t._grad_fn is not None else t._grad_acc for t in tensors]
    seen = set()
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        engine_nodes.append(n)
        stack.extend(fn for fn, _ in n.next_functions if fn is not None)

    steps: list[Step] = []
    current: dict[int, np.ndarray | None] = {}
    for lid in leaf_of.values():
        current[lid] = graph.nodes[lid].grad

    def op_hook(gid, node):
        def hook(grad_inputs, grad_outputs):
            # engine naming: grad_inputs go to the node's inputs, grad_outputs arrived at it.
            # A gradient for an input without a next function (a constant) goes nowhere.
            sent = tuple(
                None if fn is None else g for (fn, _), g in zip(node.next_functions, grad_inputs)
            )
            steps.append(Step(len(steps), gid, _host_all(grad_outputs), _host_all(sent), {}))

        return hook

    def acc_hook(gid, node):
        lid = leaf_of[gid]

        def hook(grad_inputs, grad_outputs):
            var = node.variable
            step = Step(len(steps), gid, _host_all(grad_outputs), (), {})
            if var is not None and var._grad is not None:
                now = to_host(var._grad._data)
                step.leaf_grads_before[lid] = current.get(lid)
                step.leaf_grads[lid] = now
                current[lid] = now
            steps.append(step)

        return hook

    handles = []
    try:
        for n in engine_nodes:
            gid = node_map[id(n)]
            if graph.nodes[gid].kind == "accumulate":
                handles.append(n.register_hook(acc_hook(gid, n)))
            else:
                handles.append(n.register_hook(op_hook(gid, n)))
        _engine_backward(list(tensors), grad_tensors, retain_graph=retain_graph)
    finally:
        for h in handles:
            h.remove()

    # the gradients of this backward, onto the graph
    for step in steps:
        node = graph.nodes[step.node_id]
        if node.kind == "op":
            node.grad = next((g for g in step.grad_in if g is not None), None)
            node.grads_out = step.grads_out
            if len(step.grad_in) > 1:
                node.details["num_grad_in"] = len(step.grad_in)
        else:
            node.grad = step.grad_in[0] if step.grad_in else None
        for lid, g in step.leaf_grads.items():
            graph.nodes[lid].grad = g
    seeds = _seeds(tensors, grad_tensors)
    for oid, seed in zip(graph.outputs, seeds):
        if graph.nodes[oid].kind == "output":
            graph.nodes[oid].grad = seed
    graph.details["backward"] = {"steps": len(steps), "order": [s.node_id for s in steps]}
    return graph, steps


def _seeds(tensors, grad_tensors) -> list[np.ndarray | None]:
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    out = []
    for t, g in zip(tensors, grad_tensors):
        if g is None:
            out.append(np.ones(t._data.shape, dtype=np.dtype(t._data.dtype)))
        elif isinstance(g, Tensor):
            out.append(to_host(g._data))
        else:
            out.append(np.asarray(g))
    return out


class Stepper:
    """A cursor over recorded steps: ``position`` -1 is before the first node ran."""

    def __init__(self, graph: Graph, steps: list[Step]):
        self.graph = graph
        self.steps = list(steps)
        self.position = -1
        self._index_of = {s.node_id: s.index for s in self.steps}
        self._acc_of_leaf = {
            n.details["leaf"]: n.id for n in graph.nodes.values() if n.kind == "accumulate"
        }

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def current(self) -> Step | None:
        return self.steps[self.position] if self.position >= 0 else None

    @property
    def at_end(self) -> bool:
        return self.position >= len(self.steps) - 1

    def step(self) -> Step | None:
        if not self.at_end:
            self.position += 1
        return self.current

    def back(self) -> Step | None:
        if self.position >= 0:
            self.position -= 1
        return self.current

    def reset(self) -> None:
        self.position = -1

    def go(self, i: int) -> Step | None:
        if not -1 <= i < len(self.steps):
            raise IndexError(f"step {i} out of range (-1..{len(self.steps) - 1})")
        self.position = i
        return self.current

    def state(self) -> dict[int, str]:
        """node id -> "done" | "current" | "pending" for the nodes backward ran (exactly one is
        "current" once stepping started), their leaves ("done" once their AccumulateGrad has
        run, the current step included: .grad holds the new value) and the outputs ("done":
        the seed gradient is there from the start). Nodes no gradient reached are absent."""
        pos = self.position
        out: dict[int, str] = {}
        for s in self.steps:
            out[s.node_id] = "done" if s.index < pos else "current" if s.index == pos else "pending"
        for leaf, acc in self._acc_of_leaf.items():
            if acc in out:
                out[leaf] = "pending" if out[acc] == "pending" else "done"
        for oid in self.graph.outputs:
            if self.graph.nodes[oid].kind == "output":
                out[oid] = "done"
        return out

    def leaf_grad(self, node_id: int) -> np.ndarray | None:
        """`.grad` of a leaf (or of the leaf of an AccumulateGrad node) as of the position."""
        node = self.graph.node(node_id)
        if node.kind == "accumulate":
            node_id = node.details["leaf"]
        first_before = None
        seen_change = False
        for s in self.steps:
            if node_id not in s.leaf_grads:
                continue
            if s.index <= self.position:
                latest = s.leaf_grads[node_id]
                seen_change = True
            elif not seen_change:
                first_before = s.leaf_grads_before.get(node_id)
                return first_before
            else:
                return latest
        if seen_change:
            return latest
        return self.graph.nodes[node_id].grad
