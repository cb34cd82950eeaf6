"""The backward pass: walks `grad_fn` nodes iteratively, newest first.

Nodes run in reverse creation order (a heap on the sequence number): everything that sends a
gradient to a node was created after it, so all its gradients have arrived when it runs, and a
100,000-node chain needs no recursion. Gradients arriving at the same input are summed here;
broadcasting is undone here (`sum_to`), so no op's backward has to think about it. Without
create_graph the pass moves raw arrays (see `run_backward`); with it, Tensors.
"""

from __future__ import annotations

import gc as _gc
import heapq
import itertools
import sys
import warnings

from . import function as _fn
from .function import AccumulateGrad, _accumulator
from .grad_mode import enabled_var as _enabled_var
from .grad_mode import state as _grad_state

__all__ = ["run_backward", "backward", "backward_plain", "grad"]

observers = []  # profiler hooks for backward-node execution; empty means zero cost


_ACC_KEY = 1 << 62  # heap key of AccumulateGrad nodes: after every op node
_refcount = sys.getrefcount


def _make(data):
    return _fn.Tensor._make(data)


_wrap_out = _fn._wrap_out
_ndarray = __import__("numpy").ndarray
_np_array = __import__("numpy").array


def _make_grads(outputs, grad_outputs, is_grads_batched=False):
    T = _fn.Tensor
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            d = out._data
            if out._requires_grad and d.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out._requires_grad and d.dtype.kind != "f":
                raise RuntimeError(
                    "grad can be implicitly created only for real scalar outputs but got "
                    f"{out.dtype!r}"
                )
            if d.__class__ is _ndarray and not d.ndim:
                g = T._make(_np_array(1, d.dtype))  # a scalar loss: 5x quicker than np.ones
            else:
                g = T._make(out._xp.ones(d.shape, d.dtype))
        elif not isinstance(g, T):
            g = T._make(out._xp.asarray(g, dtype=out._data.dtype))
        else:
            if g._data.shape != out._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {out.shape}."
                )
            if g._data.dtype != out._data.dtype:  # PyTorch casts it to the output's dtype
                g = T._make(g._data.astype(out._data.dtype))
            # two NumPy arrays are both on the CPU; otherwise ask for the devices
            if (g._data.__class__ is not _ndarray or out._data.__class__ is not _ndarray) and (
                g.device != out.device
            ):
                raise RuntimeError(
                    f"invalid gradient at index {i} - expected device {out.device} but got "
                    f"{g.device}"
                )
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


def run_backward(
    outputs,
    grad_outputs,
    retain_graph,
    create_graph,
    inputs=None,
    allow_unused=False,
    accumulate=True,
):
    """Shared by `Tensor.backward`, `autograd.backward` and `autograd.grad`.

    With `accumulate` the leaves' `.grad` are filled (restricted to `inputs` when given);
    without it, the gradients reaching `inputs` are returned instead.
    """
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

    # Nodes run newest first. Every node that sends a gradient to N was created after N, so by
    # the time N is popped all of its gradients have arrived: no dependency counting needed.
    # Leaves' AccumulateGrad nodes sort last, once everything that feeds them has run.
    # Without create_graph nothing of this pass is differentiated again, so gradients travel
    # as raw arrays and ops marked `array_backward` run their (operator-only) backward formula
    # on arrays directly: no Tensor wrapper per intermediate gradient. Anything that hands a
    # gradient to user code (hooks, retain_grad, captured results, .grad) gets a Tensor.
    arrays = not create_graph
    buffers = {}
    owned = set()  # ids of buffer sums this pass created, safe to add into in place
    owned_refs = []  # keeps those alive so their ids stay unique
    for (n, nr), g in zip(roots, grads):
        _add_to_buffer(buffers, n, nr, g._data if arrays else g, create_graph)

    heappush, heappop = heapq.heappush, heapq.heappop
    ready = []
    # leaves run last, in the order their first gradient arrived (as `backward_plain` does)
    arrival = itertools.count()
    for n in root_nodes:
        if needed is None or n in needed:
            heappush(
                ready, (_ACC_KEY if n.__class__ is AccumulateGrad else -n._seq, next(arrival), n)
            )

    prev_mode = _enabled_var.get()
    _enabled_var.set(bool(create_graph))
    # The graph holds no reference cycles (refcounting frees it), so the cyclic collector
    # would only re-walk the live graph again and again while backward allocates: pause it
    # for the pass, as PyTorch's C++ engine never meets it.
    gc_was_enabled = _gc.isenabled()
    _gc.disable()
    node = None
    follow = None  # the next node to run, when it is known without the heap (see below)
    try:
        while follow is not None or ready:
            if follow is not None:
                node, follow = follow, None
            else:
                node = heappop(ready)[-1]
            buf = buffers.pop(node)
            if owned:
                # a sum handed on is no longer ours alone: a pass-through backward (add) may
                # give the same array to several inputs, a hook or capture may keep it
                for g in buf:
                    owned.discard(id(g))
            if node._hooked or (
                node.__class__ is AccumulateGrad and getattr(node.variable, "_hooks", None)
            ):
                if arrays:
                    buf = _unwrap(_run_tensor_hooks(node, _wrap(buf)))
                else:
                    buf = _run_tensor_hooks(node, buf)
            if capture is not None:
                for nr, g in enumerate(buf):
                    for k in capture.get((node, nr), ()):
                        results[k] = _make(g) if arrays and g is not None else g
            if node.__class__ is AccumulateGrad:
                if observers:
                    for obs in observers:
                        obs.node_start(node)
                var = node.variable  # None once the leaf is gone: its grad goes nowhere
                if var is not None and accumulate and (capture is None or (node, 0) in capture):
                    if arrays:
                        g = buf[0]
                        # Like PyTorch, take the gradient over as .grad instead of copying it
                        # when nothing else can see it: a sum this pass made, or an array that
                        # owns its memory and is referenced only here (buf, g, the argument).
                        steal = id(g) in owned or (g.base is None and _refcount(g) <= 3)
                        _accumulate_array(var, g, steal)
                    else:
                        _accumulate(var, buf[0], create_graph)
                if node._post_hooks:
                    tb = _wrap(buf) if arrays else buf
                    for h in list(node._post_hooks.values()):
                        h((), tuple(tb))
                if observers:
                    for obs in observers:
                        obs.node_end(node)
                continue
            if (
                capture is not None
                and not accumulate
                and node in targets
                and not any(nxt in needed for nxt, _ in node.next_functions if nxt is not None)
            ):
                continue  # a non-leaf input: its gradient is captured, nothing below is needed
            if arrays:
                fn = node._fn
                g = buf[0]
                if (
                    fn.array_backward
                    and g is not None
                    and len(buf) == 1
                    and not node._post_hooks
                    and not _fn._anomaly[0]
                ):
                    # _call_node_arrays' common case inlined: this is the loop's hottest call
                    node._as_arrays = True
                    try:
                        if observers:
                            out = _observed_backward(node, fn, g)
                        else:
                            out = fn.backward(node, g)
                    finally:
                        node._as_arrays = False
                    if (
                        out.__class__ is tuple
                        and node._in_meta is None
                        and len(out) == len(node.next_functions)
                    ):
                        for g in out:
                            if g is not None and g.__class__ is not _ndarray:
                                out = [g if g is None else _as_array(g) for g in out]
                                break
                        if not retain_graph and node._saved:
                            node._saved = _fn.RELEASED
                        grads_out = out
                    else:
                        grads_out = _finish_arrays(node, out, retain_graph)
                else:
                    grads_out = _call_node_arrays(node, buf, retain_graph)
            else:
                grads_out = _call_node(node, buf, retain_graph)
            found = None
            for (nxt, nr), g in zip(node.next_functions, grads_out):
                if g is None or nxt is None or (needed is not None and nxt not in needed):
                    continue
                cur = buffers.get(nxt)
                if cur is None:
                    if nxt.__class__ is AccumulateGrad:
                        buffers[nxt] = [g]
                        heappush(ready, (_ACC_KEY, next(arrival), nxt))
                        continue
                    if nxt._metas is None:  # a single output
                        buffers[nxt] = [g]
                    else:
                        cur = buffers[nxt] = [None] * len(nxt._metas)
                        cur[nr] = g
                    if found is None:
                        found = nxt
                    else:
                        heappush(ready, (-nxt._seq, nxt))  # sequence numbers are unique
                elif cur[nr] is None:
                    cur[nr] = g
                elif not arrays:
                    cur[nr] = cur[nr] + g
                else:
                    prev = cur[nr]
                    if id(prev) in owned:
                        prev += g  # our own sum from an earlier arrival
                    else:
                        # out of place the first time: `prev` may be an array that a backward
                        # formula passed on to several inputs
                        total = _wrap_out(prev + g)
                        owned.add(id(total))
                        owned_refs.append(total)
                        cur[nr] = total
            if found is not None:
                # The one node this step discovered runs next without a trip through the heap
                # when nothing waiting there is newer (a chain, the common case); else it
                # queues like the rest.
                if not ready or found._seq > -ready[0][0]:
                    follow = found
                else:
                    heappush(ready, (-found._seq, found))
            grads_out = out = g = None  # hold no gradient past its node: .grad may take it over
    except Exception:
        if _fn._anomaly[0]:
            _warn_forward_trace(node)
        raise
    finally:
        _enabled_var.set(prev_mode)
        if gc_was_enabled:
            _gc.enable()

    if inputs is not None and not accumulate:
        for k, r in enumerate(results):
            if r is None and not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {k} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
    return results


def backward_plain(t, retain_graph):
    """`t.backward()` for the usual case, a first-order pass from a scalar with no `inputs`:
    `run_backward`'s loop without what only its general case needs (captured inputs, pruning,
    observers, anomaly checks), and leaves' accumulation done once all op nodes have run
    (the heap would put them last anyway). Anything else takes `run_backward`."""
    node = t._grad_fn
    d = t._data
    if (
        node is None
        or d.__class__ is not _ndarray
        or d.ndim
        or node._metas is not None
        or observers
        or _fn.observers
        or _fn._anomaly[0]
        or d.dtype.kind != "f"
    ):
        return backward(t, None, retain_graph, False, None)
    gc_was_enabled = _gc.isenabled()
    _gc.disable()
    grad_off = [None]  # the token of grad mode's switch-off, once something needs it
    try:
        _plain_loop(node, _np_array(1, d.dtype), retain_graph, grad_off)
    finally:
        if grad_off[0] is not None:
            _enabled_var.reset(grad_off[0])
        if gc_was_enabled:
            _gc.enable()


def _grad_off(grad_off):
    """Grad mode off for the rest of the pass, as PyTorch runs backward: done only when user
    code (a hook) or a Tensor-mode backward is about to run. Array-mode formulas record
    nothing whatever the mode, and setting a context variable is not free."""
    if grad_off[0] is None:
        grad_off[0] = _enabled_var.set(False)


def _plain_loop(node, g, retain_graph, grad_off):
    heappush, heappop = heapq.heappush, heapq.heappop
    buffers = {}
    leaves = {}  # AccumulateGrad -> [gradient], run after every op node, in arrival order
    owned = set()  # ids of sums this pass made (see run_backward)
    owned_refs = []
    ready = []
    buf = [g]
    try:
        while True:
            if node._hooked:
                _grad_off(grad_off)
                buf = _unwrap(_run_tensor_hooks(node, _wrap(buf)))
            fn = node._fn
            g = buf[0]
            if fn.array_backward and g is not None and len(buf) == 1 and not node._post_hooks:
                node._as_arrays = True  # (reset by the except below if backward raises)
                out = fn.backward(node, g)
                node._as_arrays = False
                if node._in_meta is None:
                    if out.__class__ is _ndarray:
                        out = (out,)
                    elif out.__class__ is not tuple:
                        out = (out if out is None else _as_array(out),)  # a number, a CuPy array
                    else:
                        for g in out:
                            if g is not None and g.__class__ is not _ndarray:
                                out = [g if g is None else _as_array(g) for g in out]
                                break
                    if len(out) != len(node.next_functions):
                        _wrong_count(node, len(node.next_functions), len(out))
                    if not retain_graph and node._saved:
                        node._saved = _fn.RELEASED
                else:
                    out = _finish_arrays(node, out, retain_graph)
            else:
                _grad_off(grad_off)
                out = _call_node_arrays(node, buf, retain_graph)
            found = None
            for (nxt, nr), g in zip(node.next_functions, out):
                if g is None or nxt is None:
                    continue
                if nxt.__class__ is AccumulateGrad:
                    cur = leaves.get(nxt)
                    if cur is None:
                        leaves[nxt] = [g]
                        continue
                else:
                    cur = buffers.get(nxt)
                    if cur is None:
                        if nxt._metas is None:  # a single output
                            buffers[nxt] = [g]
                        else:
                            cur = buffers[nxt] = [None] * len(nxt._metas)
                            cur[nr] = g
                        if found is None:
                            found = nxt
                        else:
                            heappush(ready, (-nxt._seq, nxt))
                        continue
                prev = cur[nr]
                if prev is None:
                    cur[nr] = g
                elif id(prev) in owned:
                    prev += g
                else:
                    total = _wrap_out(prev + g)
                    owned.add(id(total))
                    owned_refs.append(total)
                    cur[nr] = total
            out = g = buf = None  # hold no gradient past its node: .grad may take it over
            if found is not None and (not ready or found._seq > -ready[0][0]):
                node = found
            else:
                if found is not None:
                    heappush(ready, (-found._seq, found))
                if not ready:
                    break
                node = heappop(ready)[1]
            buf = buffers.pop(node)
            if owned:
                for g in buf:
                    owned.discard(id(g))
    except BaseException:
        node._as_arrays = False  # saved_tensors hands Tensors again to whoever looks next
        raise
    for node, buf in leaves.items():
        var = node._variable_ref()  # None once the leaf is gone: its gradient goes nowhere
        if node._post_hooks or (var is not None and var._post_acc_hooks):
            _grad_off(grad_off)
        if node._hooked or (var is not None and var._hooks):
            _grad_off(grad_off)
            # a hook may keep what it was given: only an array nobody else holds is taken over
            buf = _unwrap(_run_tensor_hooks(node, _wrap(buf)))
            owned.discard(id(buf[0]))
        if var is not None:
            g = buf[0]
            # a sum this pass made, or an array referenced only here (buf, g, the argument)
            steal = id(g) in owned or (g.base is None and _refcount(g) <= 3)
            if var._grad is None and not var._post_acc_hooks and g.shape == var._data.shape:
                var._grad = _fn._new_tensor(g if steal else g.copy())  # the usual leaf, inline
            else:
                _accumulate_array(var, g, steal)
        if node._post_hooks:
            tb = _wrap(buf)
            for h in list(node._post_hooks.values()):
                h((), tuple(tb))


def _observed_backward(node, fn, g):
    """`fn.backward(node, g)` with the profiler's observers told when it starts and ends."""
    if len(observers) == 1:  # the usual case: one profiler, no loops around its two calls
        obs = observers[0]
        clock, store = _fn.recording_hooks(obs)
        if clock is not None:  # a plain profile: the node recorded whole here, as in dispatch
            t0 = clock()
            try:
                return fn.backward(node, g)
            finally:
                t1 = clock()
                store((type(node), t0, t1, node._seq))
        obs.node_start(node)
        try:
            return fn.backward(node, g)
        finally:
            obs.node_end(node)
    for obs in observers:
        obs.node_start(node)
    try:
        return fn.backward(node, g)
    finally:
        for obs in observers:
            obs.node_end(node)


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
        buf[nr] = _wrap_out(cur + g)  # arrays; out of place, `cur` may be the user's


def _wrap(buf):
    return [None if g is None else _make(g) for g in buf]


def _unwrap(buf):
    return [None if g is None else g._data for g in buf]


def _call_node_arrays(node, grads_in, retain_graph):
    """A node's backward in a first-order pass: array gradients in, array gradients out."""
    fn = node._fn
    if not fn.array_backward or node._post_hooks or _fn._anomaly[0]:
        return _unwrap(_call_node(node, _wrap(grads_in), retain_graph))
    if len(grads_in) > 1 or grads_in[0] is None:
        xp = next((_xp_of(g) for g in grads_in if g is not None), None) or _numpy()
        for i, g in enumerate(grads_in):
            if g is None:
                shape, dt = node._out_meta[i]
                grads_in[i] = xp.zeros(shape, dt)
    node._as_arrays = True  # saved_tensors hands back arrays for this call
    try:
        if observers:
            for obs in observers:
                obs.node_start(node)
            try:
                out = fn.backward(node, *grads_in)
            finally:
                for obs in observers:
                    obs.node_end(node)
        elif len(grads_in) == 1:
            out = fn.backward(node, grads_in[0])
        else:
            out = fn.backward(node, *grads_in)
    finally:
        node._as_arrays = False
    return _finish_arrays(node, out, retain_graph)


def _finish_arrays(node, out, retain_graph):
    """An array-mode backward's result: one array per input, unbroadcast and cast."""
    if out.__class__ is not tuple:
        out = (out,)
    if len(out) != len(node.next_functions):
        _wrong_count(node, len(node.next_functions), len(out))
    in_meta = node._in_meta
    if in_meta is None:  # nothing was broadcast or cast: only numbers need to become arrays
        for g in out:
            if g is not None and g.__class__ is not _ndarray:
                out = [g if g is None else _as_array(g) for g in out]
                break
        if not retain_graph and node._saved:
            node._saved = _fn.RELEASED
        return out
    fixed = []
    for i, g in enumerate(out):
        if g is None:
            fixed.append(None)
            continue
        if g.__class__ is not _ndarray:
            g = _as_array(g)
        if in_meta is not None:
            meta = in_meta[i]
            if meta is not None and node.next_functions[i][0] is not None:
                shape, dt = meta
                if g.shape != shape:
                    g = _sum_to_array(g, shape, node.name())
                if g.dtype != dt:
                    g = g.astype(dt)
        fixed.append(g)
    if not retain_graph and node._saved:
        node._saved = _fn.RELEASED
    return fixed


def _as_array(g):
    """Numbers and NumPy scalars that an operator formula produced, as arrays."""
    if hasattr(g, "__cuda_array_interface__") or g.__class__ is _ndarray:
        return g
    return _numpy().asarray(g)


def _xp_of(a):
    return _numpy() if a.__class__ is _ndarray else _make(a)._xp


def _sum_to_array(g, shape, name):
    from ..ops.reduction import SumTo

    try:
        return _wrap_out(SumTo.forward(_fn._NULL, g, shape=shape))
    except ValueError:
        raise RuntimeError(
            f"Function {name} returned an invalid gradient at index 0 - got "
            f"{list(g.shape)} but expected shape compatible with {list(shape)}"
        ) from None


def _num_outputs(node):
    meta = getattr(node, "_out_meta", None)
    return len(meta) if meta else 1


def _hook_value(h, old, new):
    """PyTorch's checks on a gradient a hook returned in place of `old`."""
    name = getattr(h, "__name__", "<unknown>")
    if new._data.dtype != old._data.dtype or new.device != old.device:
        raise RuntimeError(
            f"hook '{name}' has changed the type of value (was "
            f"{_fn.legacy_type_name(old)} got {_fn.legacy_type_name(new)})"
        )
    if new._data.shape != old._data.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")
    return new


def _hook_values(h, old, new):
    """The same for a node hook, which returns one value per gradient."""
    if not isinstance(new, (tuple, list)):
        raise TypeError(f"expected tuple, but hook returned '{type(new).__name__}'")
    if len(new) != len(old):
        raise RuntimeError(
            f"hook '{getattr(h, '__name__', '<unknown>')}' has returned an "
            f"incorrect number of values (got {len(new)}, but expected "
            f"{len(old)})"
        )
    return tuple(n if n is None or o is None else _hook_value(h, o, n) for o, n in zip(old, new))


def _run_tensor_hooks(node, buf):
    if (
        node.__class__ is AccumulateGrad
        and getattr(node.variable, "_hooks", None)
        and buf[0] is not None
    ):
        g = buf[0]
        for h in list(node.variable._hooks.values()):  # a leaf's hooks live on the tensor
            r = h(g)
            if r is not None:
                g = _hook_value(h, g, r)
        buf[0] = g
    th = node._tensor_hooks
    if th:
        for nr, hooks in th.items():
            g = buf[nr]
            if g is None:
                continue
            for h in list(hooks.values()):
                r = h(g)
                if r is not None:
                    g = _hook_value(h, g, r)
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
                grads = _hook_values(h, grads, r)
        buf = list(grads)
    return buf


def _call_node(node, grads_in, retain_graph):
    if (len(grads_in) > 1 or grads_in[0] is None) and node.materialize_grads:
        # outputs nobody used (one piece of a split, say) get zeros, as PyTorch materialises
        xp = next((g._xp for g in grads_in if g is not None), None) or _numpy()
        for i, g in enumerate(grads_in):
            if g is None:
                shape, dt = node._out_meta[i]
                grads_in[i] = _make(xp.zeros(shape, dt))
    if observers:
        for obs in observers:
            obs.node_start(node)
        try:
            out = node._fn.backward(node, *grads_in)
        finally:
            for obs in observers:
                obs.node_end(node)
    else:
        out = node._fn.backward(node, *grads_in)
    if out.__class__ is not tuple:
        out = (out,)
    in_meta = node._in_meta
    if node._input_map is not None:  # user Function: keep the grads of tensor inputs only
        n = len(node.needs_input_grad)
        if len(out) > n and all(g is None for g in out[n:]):
            out = out[:n]  # PyTorch lets a backward return extra trailing Nones
        if len(out) != n:
            _wrong_count(node, n, len(out))
        out = tuple(out[i] for i in node._input_map)
    elif len(out) != len(node.next_functions):
        _wrong_count(node, len(node.next_functions), len(out))
    if in_meta is None:
        fixed = out  # every input matched the output's shape and dtype: nothing to undo
    else:
        fixed = []
        T = _fn.Tensor
        for g, meta, (nxt, _) in zip(out, in_meta, node.next_functions):
            if g is None or nxt is None:
                fixed.append(None)
                continue
            if not isinstance(g, T):
                raise RuntimeError(f"expected Variable or None (got {type(g).__name__})")
            if meta is not None:
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
                gi = _hook_values(h, gi, r)
        fixed = list(gi)
    if not retain_graph and node._saved:
        node._saved = _fn.RELEASED
    return fixed


def _wrong_count(node, expected, got):
    raise RuntimeError(
        f"function {node.name()} returned an incorrect number of gradients "
        f"(expected {expected}, got {got})"
    )


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
            f"{list(g.shape)} but expected shape compatible with {list(shape)}"
        ) from None


def _check_anomaly(node, grads):
    if not _fn._anomaly[1]:
        return  # detect_anomaly(check_nan=False)
    for i, g in enumerate(grads):
        if g is not None and bool(g._xp.isnan(g._data).any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


def _warn_forward_trace(node):
    """Anomaly mode: any error in a node's backward shows where its forward op was called."""
    if node is None:
        return
    if node._trace:
        msg = "Traceback of forward call that caused the error:\n" + "".join(node._trace)
    else:  # created before anomaly mode was turned on
        msg = (
            "No forward pass information available. Enable detect anomaly during forward "
            "pass for more information."
        )
    warnings.warn(f"Error detected in {node.name()}. {msg}", UserWarning, stacklevel=3)


class _Copy(_fn.Op):
    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


# PyTorch's names for the grad_fn of the copy that becomes .grad under create_graph
_Copy._backward_cls.__name__ = "CopyBackwards"
_Copy._backward_cls.name = lambda self: "torch::autograd::CopyBackwards"


def _accumulate(var, g, create_graph, steal=False):
    """Add gradient `g` (a Tensor) into leaf `var`'s .grad."""
    if g._data.shape != var._data.shape:
        g = _sum_to(g, var._data.shape, "AccumulateGrad")
        steal = False
    if not create_graph:
        return _accumulate_array(var, g._data, steal)
    cur = var._grad
    var._grad = _Copy.apply(g) if cur is None else cur + g
    _run_post_acc_hooks(var)


def _accumulate_array(var, g, steal):
    """`_accumulate` for an array gradient, outside create_graph (a first-order pass)."""
    if g.shape != var._data.shape:
        return _accumulate(var, _make(g), False, False)  # unbroadcast first
    cur = var._grad
    if cur is None:
        # a private copy unless the caller knows nobody else holds it: the same array may
        # have reached another leaf or be the user's
        var._grad = _make(g if steal else g.copy())
    else:
        # in place, as PyTorch does even when .grad has a history from create_graph
        cur._data += g
        if cur._vc is None:
            cur._vc = [1]
        else:
            cur._vc[0] += 1
    _run_post_acc_hooks(var)


def _run_post_acc_hooks(var):
    if var._post_acc_hooks:
        for h in list(var._post_acc_hooks.values()):
            h(var)


_CYCLE_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter "
    "and its gradient which can cause a memory leak. We recommend using autograd.grad when "
    "creating the graph to avoid this. If you have to use this function, make sure to reset the "
    ".grad fields of your parameters to None after use to break the cycle and avoid the leak."
)
_warned_cycle = [False]


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
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        for t in inputs:
            if t._grad_fn is not None:
                t.retain_grad()  # as PyTorch's engine does: later backwards keep filling it
            elif not t._requires_grad:
                t.retain_grad()  # raises PyTorch's error for it
    if create_graph and not _warned_cycle[0]:
        _warned_cycle[0] = True  # once per process, as PyTorch's TORCH_WARN_ONCE
        warnings.warn(_CYCLE_WARNING, UserWarning, stacklevel=3)
    run_backward(
        tensors,
        tuple(grad_tensors),
        retain_graph,
        create_graph,
        inputs,
        allow_unused=True,
        accumulate=True,
    )


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
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
        raise ValueError(
            "Expected allow_unused to be True or not passed when "
            "materialize_grads=True, but got: allow_unused=False."
        )
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    res = run_backward(
        outputs,
        tuple(grad_outputs),
        retain_graph,
        create_graph,
        inputs,
        allow_unused,
        accumulate=False,
    )
    if materialize_grads:
        res = [r if r is not None else t.new_zeros(t.shape) for r, t in zip(res, inputs)]
    return tuple(res)
