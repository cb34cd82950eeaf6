"""`Function` — the one way to define an op — and the graph nodes (`grad_fn`) it records.

An op subclasses `Function` with `forward(ctx, ...)` and `backward(ctx, *grads)`. Engine ops
(`Op`) receive arrays in forward, so the forward maths is plain NumPy/CuPy; user Functions
(PyTorch's extension API) receive Tensors. Backward always receives and returns Tensors and is
written with Tensor ops, so it is itself differentiable (create_graph, hessians, gradgradcheck).

`apply` is the dispatch hot path: when grad is off or no input requires grad it records nothing.
"""

from __future__ import annotations

import itertools
import traceback
import weakref

import numpy as np

from .grad_mode import state as _grad_state

__all__ = ["Function", "Op", "Node", "BackwardNode", "AccumulateGrad", "FunctionCtx"]

Tensor = None  # the Tensor class; bound by workbench.engine.tensor (the two modules need each other)
_sequence = itertools.count()
_anomaly = [False]  # detect_anomaly flag; read at node creation to keep forward stack traces
observers = []  # profiler hooks: callables notified of dispatches; empty means zero cost


def _bind_tensor_class(cls):
    global Tensor
    Tensor = cls


class RemovableHandle:
    __slots__ = ("_store", "_key")
    _ids = itertools.count()

    def __init__(self, store: dict):
        self._store = store
        self._key = next(self._ids)

    def remove(self):
        self._store.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Node:
    """A node of the autograd graph; what a tensor's `grad_fn` points at."""

    __slots__ = ("next_functions", "_seq", "_module", "_pre_hooks", "_post_hooks",
                 "_tensor_hooks", "_retains", "_meta", "_trace", "__weakref__", "__dict__")

    def name(self) -> str:
        return type(self).__name__

    def _sequence_nr(self) -> int:
        return self._seq

    def __repr__(self):
        return f"<{type(self).__name__} object at {id(self):#x}>"

    def register_prehook(self, fn):
        """fn(grad_outputs) -> None or replacement grad_outputs; runs before the node."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        h = RemovableHandle(self._pre_hooks)
        self._pre_hooks[h._key] = fn
        return h

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) -> None or replacement grad_inputs; runs after it."""
        if self._post_hooks is None:
            self._post_hooks = {}
        h = RemovableHandle(self._post_hooks)
        self._post_hooks[h._key] = fn
        return h

    def _register_tensor_hook(self, output_nr, fn):
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        store = self._tensor_hooks.setdefault(output_nr, {})
        h = RemovableHandle(store)
        store[h._key] = fn
        return h

    @property
    def metadata(self) -> dict:
        """Output shapes and dtypes, creation order and module path; also free for the user."""
        if self._meta is None:
            self._meta = {"sequence_nr": self._seq, "module": self._module}
        return self._meta


def _init_node(node, next_functions):
    node.next_functions = next_functions
    node._seq = next(_sequence)
    node._module = _grad_state.module_path
    node._pre_hooks = node._post_hooks = node._tensor_hooks = node._retains = None
    node._meta = None
    node._trace = traceback.format_stack()[:-3] if _anomaly[0] else None


class AccumulateGrad(Node):
    """Sink for a leaf: adds the arriving gradient into `variable.grad`."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        _init_node(self, ())
        self._seq = 1 << 62  # runs as soon as it is ready, as in PyTorch
        self.variable = variable


class _Saved:
    """A tensor saved for backward, with the version it had when saved."""

    __slots__ = ("tensor", "version", "is_output", "output_nr", "data", "vc")

    def __init__(self, t, is_output, output_nr):
        self.vc = t._vc
        self.version = t._vc[0]
        self.is_output = is_output
        self.output_nr = output_nr
        if is_output:  # keep data, not the tensor: the tensor points back at this node (a cycle)
            self.tensor = None
            self.data = t._data
        else:
            self.tensor = t
            self.data = None


_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)

_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
               "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def legacy_type_name(t) -> str:
    """PyTorch's legacy tensor type name, as its error messages print it (torch.FloatTensor)."""
    prefix = "torch.cuda." if t.device.type == "cuda" else "torch."
    return prefix + _TYPE_NAMES[t.dtype.name] + "Tensor"


class BackwardNode(Node):
    """The grad_fn of a Function's outputs; it is also the `ctx` that forward and backward see."""

    __slots__ = ("_fn", "needs_input_grad", "_in_meta", "_saved", "_to_save", "_freed",
                 "_out_meta", "_input_map", "_non_diff", "materialize_grads", "_dirty")

    def save_for_backward(self, *tensors):
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = value

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(_FREED_MSG)
        saved = self._saved
        if not saved:
            return ()
        out = []
        for s in saved:
            if s.__class__ is not _Saved:  # a non-tensor (scalar, None) kept as it is
                out.append(s)
                continue
            if s.vc[0] != s.version:
                self._raise_version_error(s)
            if s.is_output:
                t = Tensor._make(s.data, True, self, s.output_nr)
                t._vc = s.vc
                out.append(t)
            else:
                out.append(s.tensor)
        return tuple(out)

    def _raise_version_error(self, s):
        t = s.tensor if s.tensor is not None else Tensor._make(s.data)
        shape = list(t.shape)
        fn = t._grad_fn if s.tensor is not None else self
        where = ""
        if fn is not None:
            where = f", which is output {t._output_nr if s.tensor is not None else s.output_nr}"
            where += f" of {fn.name().removesuffix('Backward0')},"
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{legacy_type_name(t)} {shape}]{where} is at version "
            f"{s.vc[0]}; expected version {s.version} instead. Hint: enable anomaly detection "
            "to find the operation that failed to compute its gradient, with "
            "torch.autograd.set_detect_anomaly(True, check_nan=False)."
        )

    def _release(self):
        if self._saved:
            self._saved = None
            self._freed = True

    @property
    def metadata(self) -> dict:
        if self._meta is None:
            shapes = [m[0] for m in self._out_meta]
            self._meta = {
                "sequence_nr": self._seq,
                "module": self._module,
                "shape": shapes[0] if len(shapes) == 1 else tuple(shapes),
                "dtype": self._out_meta[0][1] if self._out_meta else None,
            }
        return self._meta

    def __getattr__(self, name):
        # PyTorch exposes saved tensors as `_saved_self`, `_saved_other`, `_saved_result`...;
        # we name them by position in save_for_backward.
        if name.startswith("_saved_") and name[7:].isdigit():
            i = int(name[7:])
            saved = self.saved_tensors
            if i < len(saved):
                return saved[i]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def apply(self, *grads):
        """Run this node's backward on `grads` (one per output); used by the engine."""
        return self._fn.backward(self, *grads)


def _accumulator(t):
    """The AccumulateGrad node of leaf `t`; cached weakly so a dead graph frees it."""
    ref = t._grad_acc
    if ref is not None:
        acc = ref()
        if acc is not None:
            return acc
    acc = AccumulateGrad(t)
    t._grad_acc = weakref.ref(acc)
    return acc


class Function:
    """Base of every differentiable op. Subclass, define forward/backward, call `apply`."""

    _array_forward = False  # Op sets this: forward then sees arrays, not Tensors
    _backward_cls = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        suffix = "Backward0" if cls._array_forward else "Backward"
        cls._backward_cls = type(cls.__name__ + suffix, (BackwardNode,),
                                 {"__slots__": (), "__module__": cls.__module__})
        cls._backward_cls._fn = cls  # noqa: see BackwardNode.apply

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        if cls._array_forward:
            return _apply_op(cls, args, kwargs)
        return _apply_user(cls, args, kwargs)


class Op(Function):
    """An engine op: `forward(ctx, *arrays, **options) -> array | tuple of arrays`.

    Positional arguments are operands (Tensors or Python scalars; each has a
    `next_functions` entry), keyword arguments are options such as `dim`.
    """

    _array_forward = True
    differentiable = True  # False for ops whose outputs never require grad (argmax, comparisons)
    view = False  # True when the output shares the first input's memory (reshape, slicing)


class _NullCtx:
    """Stands in for the node when nothing is recorded; whatever forward stores is dropped."""

    needs_input_grad = ()

    def save_for_backward(self, *a):
        pass

    mark_non_differentiable = mark_dirty = set_materialize_grads = save_for_backward


_NULL = _NullCtx()


def _device_error(args):
    devs = []
    for a in args:
        if isinstance(a, Tensor) and a.device not in devs:
            devs.append(a.device)
    if len(devs) > 1:
        a, b = sorted(devs, key=lambda d: d.type != "cuda")[:2]
        a = f"{a.type}:{a.index or 0}" if a.type == "cuda" else a.type
        b = f"{b.type}:{b.index or 0}" if b.type == "cuda" else b.type
        return RuntimeError(
            f"Expected all tensors to be on the same device, but found at least two devices, "
            f"{a} and {b}!")
    return None


def _wrap_out(out):
    if out.__class__ is not np.ndarray and isinstance(out, np.generic):
        out = np.asarray(out)  # NumPy hands back scalars for 0-d results; a Tensor holds arrays
    return out


def _apply_op(cls, args, kwargs):
    arrays = []
    requires = False
    for a in args:
        if isinstance(a, Tensor):
            arrays.append(a._data)
            if a._requires_grad:
                requires = True
        else:
            arrays.append(a)
    record = requires and _grad_state.enabled and cls.differentiable
    if observers:
        for obs in observers:
            obs.op_start(cls, args)
    try:
        if not record:
            try:
                out = cls.forward(_NULL, *arrays, **kwargs)
            except (TypeError, ValueError) as exc:
                err = _device_error(args)
                if err is not None:
                    raise err from None
                raise exc
            if out.__class__ is tuple:
                return tuple(Tensor._make(_wrap_out(o)) for o in out)
            r = Tensor._make(_wrap_out(out))
            if cls.view:
                _mark_view(r, args[0])
            return r

        node = cls._backward_cls.__new__(cls._backward_cls)
        nf = []
        needs = []
        in_meta = []
        for a in args:
            if isinstance(a, Tensor):
                fn = a._grad_fn
                if fn is not None:
                    nf.append((fn, a._output_nr))
                    needs.append(True)
                elif a._requires_grad:
                    nf.append((_accumulator(a), 0))
                    needs.append(True)
                else:
                    nf.append((None, 0))
                    needs.append(False)
                in_meta.append((a._data.shape, a._data.dtype))
            else:
                nf.append((None, 0))
                needs.append(False)
                in_meta.append(None)
        _init_node(node, tuple(nf))
        node.needs_input_grad = tuple(needs)
        node._in_meta = in_meta
        node._to_save = node._saved = node._non_diff = node._dirty = None
        node._freed = False
        node._input_map = None
        node.materialize_grads = True
        try:
            out = cls.forward(node, *arrays, **kwargs)
        except (TypeError, ValueError) as exc:
            err = _device_error(args)
            if err is not None:
                raise err from None
            raise exc
        if out.__class__ is tuple:
            outs = [_wrap_out(o) for o in out]
        else:
            outs = [_wrap_out(out)]
        non_diff = node._non_diff
        results = []
        meta = []
        for i, o in enumerate(outs):
            diff = o.dtype.kind == "f" and not (
                non_diff and any(o is nd for nd in non_diff))
            results.append(Tensor._make(o, diff, node if diff else None, i))
            meta.append((o.shape, o.dtype))
        node._out_meta = meta
        if cls.view:
            _mark_view(results[0], args[0])
        if node._to_save is not None:
            raw = out if out.__class__ is tuple else (out,)
            node._saved = _pack_saved(node._to_save, args, arrays, raw, outs, results)
            node._to_save = None
        return tuple(results) if out.__class__ is tuple else results[0]
    finally:
        if observers:
            for obs in observers:
                obs.op_end(cls, args)


def _mark_view(r, src):
    """A view shares its base's version counter: writing through either is seen by both."""
    r._vc = src._vc
    r._base = src._base if src._base is not None else src


def _pack_saved(to_save, args, arrays, raw, outs, results):
    """Map what forward saved (arrays) back to the Tensors they came from."""
    saved = []
    for s in to_save:
        if s is None or not hasattr(s, "shape"):
            saved.append(s)  # a scalar operand or None: kept as it is
            continue
        for a, arr in zip(args, arrays):
            if s is arr and isinstance(a, Tensor):
                saved.append(_Saved(a, False, 0))
                break
            if s is a and isinstance(a, Tensor):
                saved.append(_Saved(a, False, 0))
                break
        else:
            for i, (o, r) in enumerate(zip(outs, results)):
                if s is o or s is r or s is raw[i]:
                    if r._grad_fn is not None:
                        saved.append(_Saved(r, True, i))
                    else:
                        saved.append(_Saved(r, False, i))
                    break
            else:  # an intermediate computed in forward: a constant for backward
                t = s if isinstance(s, Tensor) else Tensor._make(_wrap_out(s))
                saved.append(_Saved(t, False, 0))
    return saved


def _apply_user(cls, args, kwargs):
    """PyTorch's custom Function protocol: forward sees Tensors and runs with grad off."""
    tensors = [(i, a) for i, a in enumerate(args) if isinstance(a, Tensor)]
    requires = _grad_state.enabled and any(a.requires_grad for _, a in tensors)
    node = cls._backward_cls.__new__(cls._backward_cls)
    nf = []
    for _, a in tensors:
        if a._grad_fn is not None:
            nf.append((a._grad_fn, a._output_nr))
        elif a._requires_grad:
            nf.append((_accumulator(a), 0))
        else:
            nf.append((None, 0))
    _init_node(node, tuple(nf) if requires else ())
    node.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    node._in_meta = [(a._data.shape, a._data.dtype) for _, a in tensors]
    node._input_map = [i for i, _ in tensors]
    node._to_save = node._saved = node._non_diff = node._dirty = None
    node._freed = False
    node.materialize_grads = True
    prev = _grad_state.enabled
    _grad_state.enabled = False
    try:
        out = cls.forward(node, *args, **kwargs)
    finally:
        _grad_state.enabled = prev
    single = not isinstance(out, tuple)
    outs = (out,) if single else out
    non_diff = node._non_diff or ()
    dirty = node._dirty or ()
    results = []
    meta = []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            results.append(o)
            continue
        if any(o is d for d in dirty):
            o._vc[0] += 1
            r = o
        elif any(o is a for _, a in tensors):
            r = Tensor._make(o._data)  # an input returned as is: a new tensor (a view of it)
            r._vc = o._vc
        else:
            r = o
        diff = requires and r.dtype.is_floating_point and not any(o is nd for nd in non_diff)
        if diff:
            r._requires_grad, r._grad_fn, r._output_nr = True, node, i
        else:
            r._grad_fn = None
        meta.append((r._data.shape, r._data.dtype))
        results.append(r)
    node._out_meta = meta
    if node._to_save is not None:
        saved = []
        for s in node._to_save:
            if s is None:
                saved.append(None)
            elif any(s is r for r in results):
                idx = next(k for k, r in enumerate(results) if r is s)
                saved.append(_Saved(s, s._grad_fn is node, idx))
            else:
                saved.append(_Saved(s, False, 0))
        node._saved = saved
        node._to_save = None
    return results[0] if single else tuple(results)


# A ctx type name PyTorch code sometimes annotates with.
FunctionCtx = BackwardNode
