"""`record_forward()`: keep each new graph node's output while code runs, for `capture`.

A grad_fn node does not keep its output (the output points at the node; the reverse would make a
cycle), so a graph captured afterwards knows the op outputs only where something else kept them:
the captured tensors, named tensors, and values the ops saved for backward. To know every op's
output - what NaN/Inf provenance needs to name the op that first produced a non-finite value -
run the forward pass inside ``with record_forward() as fw:`` and pass ``forward=fw`` to
`capture`. The record observes op dispatch through the engine's observer list (the profiler's
mechanism), keeps host copies of outputs up to `max_elements` elements each (bigger ones are
skipped) and forgets a node's outputs when the node dies.

The engine notifies only the last observer of an op; while a profiler runs inside a record the
profiler sees the ops and the record does not (the other way round both see them, because the
record hands each op on to the observer below it). Observers are process-wide, so ops run on other
threads during the record are kept too.
"""

from __future__ import annotations

import weakref

import numpy as np

from workbench.engine.autograd import function as _function

DEFAULT_MAX_ELEMENTS = 1_000_000


def to_host(a, max_elements: int | None = None) -> np.ndarray | None:
    """A C-contiguous NumPy copy of array `a` (CuPy arrays come to the host; safetensors wants
    contiguous arrays); None when `a` has more than `max_elements` elements."""
    if a is None:
        return None
    if max_elements is not None and a.size > max_elements:
        return None
    if isinstance(a, np.ndarray):
        return np.array(a, order="C", copy=True)
    get = getattr(a, "get", None)
    if get is not None:
        return np.asarray(get(), order="C")
    return np.array(a, order="C")


class ForwardRecord:
    """The outputs of the nodes created while the record was active (see the module doc)."""

    def __init__(self, max_elements: int | None = DEFAULT_MAX_ELEMENTS):
        self.max_elements = max_elements
        self._outputs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.skipped = 0  # outputs not kept because they were too big

    def outputs_of(self, node) -> tuple[np.ndarray | None, ...] | None:
        """Host copies of `node`'s outputs (None for a skipped one), or None if not recorded."""
        return None if node is None else self._outputs.get(node)

    def __len__(self) -> int:
        return len(self._outputs)

    def __enter__(self) -> ForwardRecord:
        _function.observers.append(self)
        return self

    def __exit__(self, *exc) -> bool:
        try:
            _function.observers.remove(self)
        except ValueError:
            pass
        return False

    def _below(self):
        obs = _function.observers
        try:
            i = obs.index(self)
        except ValueError:
            return None
        return obs[i - 1] if i > 0 else None

    # the observer protocol of workbench.engine.autograd.function._apply_observed
    def op_start(self, cls, args):
        below = self._below()
        return (below, below.op_start(cls, args) if below is not None else None)

    def op_end(self, tok, r):
        below, btok = tok
        try:
            if r is not None:
                self._keep(r)
        finally:
            if below is not None:
                below.op_end(btok, r)

    def _keep(self, r):
        outs = r if r.__class__ is tuple else (r,)
        node = None
        for o in outs:
            fn = getattr(o, "_grad_fn", None)
            if fn is not None:
                node = fn
                break
        if node is None:
            return
        arrays = []
        for o in outs:
            data = getattr(o, "_data", None)
            host = to_host(data, self.max_elements) if data is not None else None
            if data is not None and host is None:
                self.skipped += 1
            arrays.append(host)
        self._outputs[node] = tuple(arrays)


def record_forward(max_elements: int | None = DEFAULT_MAX_ELEMENTS) -> ForwardRecord:
    """``with record_forward() as fw: ...`` then ``capture(y, forward=fw)``."""
    return ForwardRecord(max_elements)
