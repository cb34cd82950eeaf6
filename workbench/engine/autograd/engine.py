"""The backward pass: walks `grad_fn` nodes iteratively, newest first, with dependency counts.

Nodes run when every gradient they wait for has arrived, in reverse creation order among the
ready ones (PyTorch's order), so a 100,000-node chain needs no recursion. Gradients arriving at
the same input are summed here; broadcasting is undone here (a differentiable `sum_to`), so no
op's backward has to think about it.
"""

from __future__ import annotations

import heapq
import warnings

from . import function as _fn
from .function import AccumulateGrad, _accumulator
from .grad_mode import state as _grad_state

__all__ = ["run_backward", "backward", "grad"]

observers = []  # profiler hooks for backward-node execution; empty means zero cost


def _make_grads(outputs, grad_outputs, is_grads_batched=False):
    T = _fn.Tensor
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if out.requires_grad and out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out.dtype.is_floating_point:
                raise RuntimeError(
                    "grad can be implicitly created only for real scalar outputs but got "
                    f"{out.dtype!r}")
            g = T._make(out._xp.ones_like(out._data))
        elif not isinstance(g, T):
            g = T._make(out._xp.asarray(g, dtype=out._data.dtype))
        else:
            if g._data.shape != out._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {out.shape}.")
            if g.device != out.device:
                raise RuntimeError(
                    f"invalid gradient at index {i} - expected device {out.device} but got "
                    f"{g.device}")
        grads.append(g)
    return grads


def _root(t, i):
    if t._grad_fn is not None:
        return t._grad_fn, t._output_nr
    if t._requires_grad:
        return _accumulator(t), 0
    raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")


def _needed(roots, targets):
    """Nodes from which some target is reachable: the only ones autograd.grad must run."""
    needed = {}
    for r in roots:
        stack = [(r, iter(r.next_functions))]
        if r in needed:
            continue
        needed[r] = r in targets
        while stack:
            node, it = stack[-1]
            for nxt, _ in it:
                if nxt is None:
                    continue
                if nxt not in needed:
                    needed[nxt] = nxt in targets
                    stack.append((nxt, iter(nxt.next_functions)))
                    break
                if needed[nxt]:
                    needed[node] = True
            else:
                stack.pop()
                if stack and needed[node]:
                    needed[stack[-1][0]] = True
    return {n for n, v in needed.items() if v}


def run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=None,
                 allow_unused=False, accumulate=True):
    """Shared by `Tensor.backward`, `autograd.backward` and `autograd.grad`.

    With `accumulate` the leaves' `.grad` are filled (restricted to `inputs` when given);
    without it, the gradients reaching `inputs` are returned instead.
    """
    T = _fn.Tensor
    if retain_graph is None:
        retain_graph = create_graph
    grads = _make_grads(outputs, grad_outputs)
    roots = [_root(t, i) for i, t in enumerate(outputs)]

    # capture[(node, output_nr)] -> slot index for inputs we must report or restrict to
    capture = None
    targets = None
    if inputs is not None:
        capture = {}
        for k, t in enumerate(inputs):
            if t._grad_fn is not None:
                key = (t._grad_fn, t._output_nr)
            elif t._requires_grad:
                key = (_accumulator(t), 0)
            else:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            capture.setdefault(key, []).append(k)
        targets = {n for n, _ in capture}
    results = [None] * (len(inputs) if inputs is not None else 0)

    root_nodes = []
    for n, _ in roots:
        if n not in root_nodes:
            root_nodes.append(n)
    needed = _needed(root_nodes, targets) if targets is not None else None

    # dependency counts over the part of the graph that will run
    deps = {}
    seen = set(root_nodes)
    stack = list(root_nodes)
    while stack:
        node = stack.pop()
        if needed is not None and node not in needed:
            continue
        for nxt, _ in node.next_functions:
            if nxt is None or (needed is not None and nxt not in needed):
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)

    buffers = {}
    for (n, nr), g in zip(roots, grads):
        _add_to_buffer(buffers, n, nr, g, create_graph)

    ready = []
    for n in root_nodes:
        if deps.get(n, 0) == 0:
            heapq.heappush(ready, (-n._seq, id(n), n))

    prev_mode = _grad_state.enabled
    _grad_state.enabled = create_graph
    try:
        while ready:
            _, _, node = heapq.heappop(ready)
            if needed is not None and node not in needed:
                continue
            buf = buffers.pop(node, None) or [None]
            grads_in = _run_tensor_hooks(node, buf)
            if capture is not None:
                for nr, g in enumerate(grads_in):
                    for k in capture.get((node, nr), ()):
                        results[k] = g
            if node.__class__ is AccumulateGrad:
                if accumulate and (capture is None or (node, 0) in capture):
                    _accumulate(node.variable, grads_in[0], create_graph)
                continue
            if capture is not None and not accumulate and node in targets and \
                    not any(nxt in needed for nxt, _ in node.next_functions if nxt is not None):
                continue  # a non-leaf input: its gradient is captured, nothing below is needed
            grads_out = _call_node(node, grads_in, retain_graph)
            for (nxt, nr), g in zip(node.next_functions, grads_out):
                if nxt is None or (needed is not None and nxt not in needed):
                    continue
                if g is not None:
                    _add_to_buffer(buffers, nxt, nr, g, create_graph)
                d = deps[nxt] - 1
                deps[nxt] = d
                if d == 0:
                    heapq.heappush(ready, (-nxt._seq, id(nxt), nxt))
    finally:
        _grad_state.enabled = prev_mode

    if inputs is not None and accumulate:
        for t, r in zip(inputs, results):
            if t._grad_fn is not None and r is not None:  # a non-leaf named in inputs=
                _accumulate(t, r, create_graph)
    if inputs is not None and not accumulate:
        for k, r in enumerate(results):
            if r is None and not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {k} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior.")
    return results


def _add_to_buffer(buffers, node, nr, g, create_graph):
    buf = buffers.get(node)
    if buf is None:
        buf = [None] * _num_outputs(node)
        buffers[node] = buf
    cur = buf[nr]
    if cur is None:
        buf[nr] = g
    elif create_graph:
        buf[nr] = cur + g
    else:
        # out of place: `cur` may be a tensor a backward formula passed through unchanged
        buf[nr] = _fn.Tensor._make(_fn._wrap_out(cur._data + g._data))


def _num_outputs(node):
    meta = getattr(node, "_out_meta", None)
    return len(meta) if meta else 1


def _run_tensor_hooks(node, buf):
    th = node._tensor_hooks
    if th:
        for nr, hooks in th.items():
            g = buf[nr]
            if g is None:
                continue
            for h in list(hooks.values()):
                r = h(g)
                if r is not None:
                    g = r
            buf[nr] = g
    if node._retains:
        for nr, ref in node._retains.items():
            t = ref()
            g = buf[nr]
            if t is not None and g is not None:
                if t._grad is None:
                    t._grad = g.detach().clone() if not _grad_state.enabled else g.clone()
                else:
                    t._grad = t._grad + g
    if node._pre_hooks:
        grads = tuple(buf)
        for h in list(node._pre_hooks.values()):
            r = h(grads)
            if r is not None:
                grads = tuple(r)
        buf = list(grads)
    return buf


def _call_node(node, grads_in, retain_graph):
    T = _fn.Tensor
    if node.materialize_grads and any(g is None for g in grads_in):
        # outputs nobody used (one piece of a split, say) get zeros, as PyTorch materialises
        xp = next((g._xp for g in grads_in if g is not None), None) or _numpy()
        for i, g in enumerate(grads_in):
            if g is None:
                shape, dt = node._out_meta[i]
                grads_in[i] = T._make(xp.zeros(shape, dt))
    if observers:
        for obs in observers:
            obs.node_start(node)
    try:
        out = node.apply(*grads_in)
    finally:
        if observers:
            for obs in observers:
                obs.node_end(node)
    if not isinstance(out, tuple):
        out = (out,)
    n_in = len(node._in_meta) if node._input_map is None else len(node.needs_input_grad)
    if len(out) != n_in:
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients "
            f"(expected {n_in}, got {len(out)})")
    if node._input_map is not None:  # user Function: keep the grads of tensor inputs only
        out = tuple(out[i] for i in node._input_map)
    fixed = []
    for g, meta, (nxt, _) in zip(out, node._in_meta, node.next_functions):
        if g is None or nxt is None:
            fixed.append(None)
            continue
        if not isinstance(g, T):
            raise TypeError(f"function {node.name()} returned a gradient that is not a Tensor")
        shape, dt = meta
        if g._data.shape != shape:
            g = _sum_to(g, shape, node.name())
        if g._data.dtype != dt:
            g = g.to(_dtype_of(dt))
        fixed.append(g)
    if _fn._anomaly[0]:
        _check_anomaly(node, fixed)
    if node._post_hooks:
        gi = tuple(fixed)
        for h in list(node._post_hooks.values()):
            r = h(gi, tuple(grads_in))
            if r is not None:
                gi = tuple(r)
        fixed = list(gi)
    if not retain_graph:
        node._release()
    return fixed


def _dtype_of(np_dtype):
    from ..dtypes import from_numpy_dtype

    return from_numpy_dtype(np_dtype)


def _numpy():
    import numpy

    return numpy


def _sum_to(g, shape, name):
    from ..ops.reduction import sum_to

    try:
        return sum_to(g, shape)
    except ValueError:
        raise RuntimeError(
            f"Function {name} returned an invalid gradient at index 0 - got "
            f"{list(g.shape)} but expected shape compatible with {list(shape)}") from None


def _check_anomaly(node, grads):
    for i, g in enumerate(grads):
        if g is not None and not bool(g._xp.isfinite(g._data).all()):
            if g._xp.isnan(g._data).any():
                msg = f"Function '{node.name()}' returned nan values in its {i}th output."
                if node._trace:
                    warnings.warn(
                        "Error detected in " + node.name() + ". Traceback of forward call that "
                        "caused the error:\n" + "".join(node._trace), stacklevel=3)
                raise RuntimeError(msg)


def _accumulate(var, g, create_graph):
    if var._hooks:
        for h in list(var._hooks.values()):
            r = h(g)
            if r is not None:
                g = r
    if g._data.shape != var._data.shape:
        g = _sum_to(g, var._data.shape, "AccumulateGrad")
    cur = var._grad
    if cur is None:
        if create_graph:
            var._grad = g
        else:
            # a private copy: the same tensor may have reached another leaf or be the user's
            var._grad = _fn.Tensor._make(g._data.copy())
    elif create_graph or cur._requires_grad:
        var._grad = cur + g
    else:
        cur._data += g._data
    if var._post_acc_hooks:
        for h in list(var._post_acc_hooks.values()):
            h(var)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    T = _fn.Tensor
    if isinstance(tensors, T):
        tensors = (tensors,)
    tensors = tuple(tensors)
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    elif isinstance(grad_tensors, T):
        grad_tensors = (grad_tensors,)
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, T) else tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    run_backward(tensors, tuple(grad_tensors), retain_graph, create_graph, inputs,
                 allow_unused=True, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    T = _fn.Tensor
    single_in = isinstance(inputs, T)
    outputs = (outputs,) if isinstance(outputs, T) else tuple(outputs)
    inputs = (inputs,) if single_in else tuple(inputs)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif isinstance(grad_outputs, T):
        grad_outputs = (grad_outputs,)
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    res = run_backward(outputs, tuple(grad_outputs), retain_graph, create_graph, inputs,
                       allow_unused, accumulate=False)
    if materialize_grads:
        res = [r if r is not None else t.new_zeros(t.shape) for r, t in zip(res, inputs)]
    return tuple(res)
