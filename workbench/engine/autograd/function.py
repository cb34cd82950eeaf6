"""`Function` — the one way to define an op — and the graph nodes (`grad_fn`) it records.

An op subclasses `Function` with `forward(ctx, ...)` and `backward(ctx, *grads)`. Engine ops
(`Op`) receive arrays in forward, so the forward maths is plain NumPy/CuPy; user Functions
(PyTorch's extension API) receive Tensors. Backward always receives and returns Tensors and is
written with Tensor ops, so it is itself differentiable (create_graph, hessians, gradgradcheck).

`apply` is the dispatch hot path: when grad is off or no input requires grad it records nothing.
"""

from __future__ import annotations

import itertools
import os
import traceback
import weakref

import numpy as np

from .grad_mode import enabled_var as _enabled_var
from .grad_mode import get_ident as _get_ident
from .grad_mode import module_paths as _module_paths
from .grad_mode import module_paths_used as _module_paths_used
from .grad_mode import state as _grad_state

__all__ = ["Function", "Op", "Node", "BackwardNode", "AccumulateGrad", "FunctionCtx"]

# the Tensor class, bound by workbench.engine.tensor (the two modules need each other)
Tensor = None
_sequence = itertools.count()
# [detect_anomaly on, check_nan]; [0] is read at node creation to keep forward stack traces
_anomaly = [False, True]
observers = []  # profiler hooks: callables notified of dispatches; empty means zero cost


def _bind_tensor_class(cls):
    global Tensor, _new_tensor
    Tensor = cls
    _new_tensor = cls._make


_new_tensor = None  # Tensor._make, bound with the class
_ndarray = np.ndarray
_new = object.__new__


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

    # Fields set for every node live in slots; hooks and the like default on the class and are
    # stored per instance only when set, so recording a node stays cheap.
    __slots__ = ("next_functions", "_seq", "_module", "__weakref__", "__dict__")
    _pre_hooks = _post_hooks = _tensor_hooks = _retains = _meta = _trace = None
    _hooked = False  # any pre-hook, tensor hook or retain_grad: one test in the engine loop

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
            self._hooked = True
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
            self._hooked = True
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


_ENGINE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DISPATCH = tuple(os.path.join(_ENGINE_DIR, p) for p in ("autograd", "ops", "tensor.py"))


def _forward_trace():
    """The stack that created a node, down to the user's line that ran the op.

    PyTorch's ops are C++, invisible to Python's stack; ours are Python, so the dispatch frames
    at the top of the stack are dropped to show what PyTorch's anomaly mode shows.
    """
    frames = traceback.extract_stack()
    while frames and frames[-1].filename.startswith(_DISPATCH):
        frames.pop()
    return traceback.format_list(frames)


def _init_node(node, next_functions):
    node.next_functions = next_functions
    node._seq = next(_sequence)
    node._module = _module_paths.get(_get_ident()) if _module_paths_used[0] else None
    if _anomaly[0]:
        node._trace = _forward_trace()


def _init_op_node(node, next_functions, needs_input_grad):
    """An op's node before its forward runs (the recorder sets `_in_meta` once the output is
    known)."""
    node.next_functions = next_functions
    node.needs_input_grad = needs_input_grad
    node._seq = next(_sequence)
    node._module = _module_paths.get(_get_ident()) if _module_paths_used[0] else None
    if _anomaly[0]:
        node._trace = _forward_trace()
    node._to_save = node._saved = None
    node._as_arrays = False


class AccumulateGrad(Node):
    """Sink for a leaf: adds the arriving gradient into `variable.grad`."""

    # The leaf holds its AccumulateGrad strongly and the node holds the leaf weakly (the other
    # way round from PyTorch): the node then lives as long as the leaf, so ops on a leaf don't
    # rebuild it each time a graph dies, and there is still no leaf <-> node cycle.
    __slots__ = ("_variable_ref", "_edge", "_keep")

    def __init__(self, variable):
        _init_node(self, ())
        self._seq = 1 << 62  # runs as soon as it is ready, as in PyTorch
        self._variable_ref = weakref.ref(variable)
        self._edge = (self, 0)  # the next_functions entry of every op that uses the leaf
        self._keep = None  # the leaf itself, held strongly once it has hooks

    @property
    def variable(self):
        return self._variable_ref()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"  # PyTorch's C++ node name, namespace and all


# What `_saved` holds per saved value, chosen to allocate as little as possible:
#   a Tensor                          an input (or a constant) saved at version 0, the usual case
#   (tensor, version)                 the same, saved at a later version
#   (data, vc, version, output_nr)    an output: its data only, since the output tensor points
#                                     back at this node and keeping it would make a cycle
# Anything else (a Python scalar, None) is handed back as it is. Versions only grow, so a
# tensor saved at version 0 has been modified exactly when its version is no longer 0.


def _version_of(t):
    vc = t._vc
    return 0 if vc is None else vc[0]


def _shared_vc(t):
    vc = t._vc
    if vc is None:
        vc = t._vc = [0]
    return vc


class _Released(tuple):
    """What `_saved` becomes once backward freed it: empty, but not the same as nothing saved."""


RELEASED = _Released()

_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)

_TYPE_NAMES = {
    "float32": "Float",
    "float64": "Double",
    "float16": "Half",
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
}


def legacy_type_name(t) -> str:
    """PyTorch's legacy tensor type name, as its error messages print it (torch.FloatTensor)."""
    prefix = "torch.cuda." if t.device.type == "cuda" else "torch."
    return prefix + _TYPE_NAMES[t.dtype.name] + "Tensor"


class BackwardNode(Node):
    """The grad_fn of a Function's outputs; it is also the `ctx` that forward and backward see."""

    # _as_arrays: set by the engine while an array-mode backward unpacks saved values
    # One output's shape and dtype sit in two slots (no tuples built per op); ops with several
    # outputs, and custom Functions, keep a list of (shape, dtype) in _metas instead.
    __slots__ = (
        "needs_input_grad",
        "_in_meta",
        "_saved",
        "_to_save",
        "_out_shape",
        "_out_dtype",
        "_metas",
        "_as_arrays",
    )
    _non_diff = _dirty = _input_map = None
    materialize_grads = True

    def save_for_backward(self, *tensors):
        self._to_save = tensors

    @property
    def _out_meta(self):
        """(shape, dtype) of each output."""
        metas = self._metas
        return ((self._out_shape, self._out_dtype),) if metas is None else metas

    def mark_non_differentiable(self, *tensors):
        self._non_diff = tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = value

    @property
    def saved_tensors(self):
        saved = self._saved
        if not saved:
            if saved is RELEASED:
                raise RuntimeError(_FREED_MSG)
            return ()
        arrays = self._as_arrays
        if arrays and len(saved) == 1:
            # a first-order backward of a unary op: its input (Pow) or its output (Relu, Exp)
            s = saved[0]
            if s.__class__ is tuple:
                if len(s) == 4 and s[1][0] == s[2]:
                    return (s[0],)
            elif isinstance(s, Tensor):
                vc = s._vc
                if vc is None or not vc[0]:
                    return (s._data,)
        elif arrays and len(saved) == 2:
            # a first-order backward of a binary op saving two version-0 tensors (the usual)
            a, b = saved
            if isinstance(a, Tensor) and isinstance(b, Tensor):
                va, vb = a._vc, b._vc
                if (va is None or not va[0]) and (vb is None or not vb[0]):
                    return a._data, b._data
        out = []
        for s in saved:
            if isinstance(s, Tensor):  # the usual case: a tensor saved at version 0
                vc = s._vc
                if vc is not None and vc[0]:
                    self._raise_version_error(s, 0, vc[0], s._grad_fn, s._output_nr)
                out.append(s._data if arrays else s)
            elif s.__class__ is not tuple:
                out.append(s)  # a non-tensor (scalar, None) kept as it is
            elif len(s) == 2:
                t, ver = s
                vc = t._vc
                if vc is not None and vc[0] != ver:
                    self._raise_version_error(t, ver, vc[0], t._grad_fn, t._output_nr)
                out.append(t._data if arrays else t)
            else:
                data, vc, ver, nr = s
                if vc[0] != ver:
                    self._raise_version_error(Tensor._make(data), ver, vc[0], self, nr)
                if arrays:
                    out.append(data)
                    continue
                t = Tensor._make(data, True, self, nr)
                t._vc = vc
                out.append(t)
        return tuple(out)

    def _raise_version_error(self, t, expected, actual, fn, output_nr):
        where = ""
        if fn is not None:
            name = fn.name().removesuffix("Backward0").removesuffix("Backward")
            where = f", which is output {output_nr} of {name},"
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{legacy_type_name(t)} {list(t.shape)}]{where} is at version "
            f"{actual}; expected version {expected} instead. Hint: enable anomaly detection "
            "to find the operation that failed to compute its gradient, with "
            "torch.autograd.set_detect_anomaly(True, check_nan=False)."
        )

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

    def apply(self, *grads):
        """Run this node's backward on `grads` (one per output), outside any backward pass."""
        return self._fn.backward(self, *grads)


def _saved_at(i):
    def get(self):
        saved = self.saved_tensors
        if i < len(saved):
            return saved[i]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '_saved_{i}'")

    return property(get)


# PyTorch exposes saved tensors as `_saved_self`, `_saved_other`, `_saved_result`...; we name
# them by position in save_for_backward. Properties rather than a __getattr__: a class with
# __getattr__ keeps CPython from specialising *every* attribute read on its instances, and the
# backward loop reads node attributes all the time.
for _i in range(64):
    setattr(BackwardNode, f"_saved_{_i}", _saved_at(_i))
del _i


def _accumulator(t):
    """The AccumulateGrad node of leaf `t`, made on first use and kept by the leaf."""
    acc = t._grad_acc
    if acc is None:
        acc = t._grad_acc = AccumulateGrad(t)
    return acc


class Function:
    """Base of every differentiable op. Subclass, define forward/backward, call `apply`."""

    _array_forward = False  # Op sets this: forward then sees arrays, not Tensors
    array_backward = False  # user Functions' backward always gets Tensors (see Op)
    _backward_cls = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        suffix = "Backward0" if cls._array_forward else "Backward"
        cls._backward_cls = type(
            cls.__name__ + suffix, (BackwardNode,), {"__slots__": (), "__module__": cls.__module__}
        )
        cls._backward_cls._fn = cls  # the node finds its op's backward through this

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for "
            "your custom autograd.Function to use it with backward mode AD."
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        return _apply_user(cls, args, kwargs)


class Op(Function):
    """An engine op: `forward(ctx, *arrays, **options) -> array | tuple of arrays`.

    Positional arguments are operands (Tensors or Python scalars; each has a
    `next_functions` entry), keyword arguments are options such as `dim`.
    """

    _array_forward = True
    differentiable = True  # False for ops whose outputs never require grad (argmax, comparisons)
    # True when backward uses nothing but Python operators (+ - * / ** @, unary -, comparisons)
    # on the grads and saved values, so the engine may run it on raw arrays in a first-order
    # pass; tests/engine/test_array_backward.py checks both modes agree for every such op.
    array_backward = False
    view = False  # True when the output shares the first input's memory (reshape, slicing)
    # True when backward always returns its one operand's gradient in the operand's shape (a
    # reduction, whose output shape differs); with matching dtypes the engine then skips its
    # unbroadcast-and-cast pass for the node
    input_shaped_grad = False


class _NullCtx:
    """Stands in for the node when nothing is recorded; whatever forward stores is dropped."""

    needs_input_grad = ()

    def save_for_backward(self, *a):
        pass

    mark_non_differentiable = mark_dirty = set_materialize_grads = save_for_backward


_NULL = _NullCtx()
# What unrecorded forwards store on the stand-in ctx; emptied after each such op so that it
# keeps no array (a mask, an index) alive.
_NULL_STATE = _NULL.__dict__


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
            f"{a} and {b}!"
        )
    return None


def _wrap_out(out):
    if out.__class__ is not np.ndarray and isinstance(out, np.generic):
        out = np.asarray(out)  # NumPy hands back scalars for 0-d results; a Tensor holds arrays
    return out


def _apply_op(cls, *args, **kwargs):
    """Op.apply: the dispatch hot path. Records a node only when grad is on and needed."""
    if observers:
        return _apply_observed(cls, args, kwargs)
    if cls.differentiable and _enabled_var.get():
        for a in args:
            if isinstance(a, Tensor) and a._requires_grad:
                if len(args) == 1:
                    return _record_unary(cls, a, kwargs)
                return _record(cls, args, kwargs)
    # one- and two-operand ops are nearly all of them: spelled out, they skip a list build
    n = len(args)
    try:
        if n == 2:
            a, b = args
            a = a._data if isinstance(a, Tensor) else a
            b = b._data if isinstance(b, Tensor) else b
            out = cls.forward(_NULL, a, b, **kwargs) if kwargs else cls.forward(_NULL, a, b)
        elif n == 1:
            out = (
                cls.forward(_NULL, args[0]._data, **kwargs)
                if kwargs
                else cls.forward(_NULL, args[0]._data)
            )
        else:
            out = cls.forward(
                _NULL, *[a._data if isinstance(a, Tensor) else a for a in args], **kwargs
            )
    except (TypeError, ValueError) as exc:
        err = _device_error(args)
        if err is not None:
            raise err from None
        raise exc
    if _NULL_STATE:
        _NULL_STATE.clear()
    if out.__class__ is not _ndarray:
        if out.__class__ is tuple:
            return tuple(_new_tensor(_wrap_out(o)) for o in out)
        out = _wrap_out(out)
    r = _new_tensor(out)
    if cls.view:
        _mark_view(r, args[0])
    return r


# Op.apply is the dispatcher itself: one Python call per op instead of two.
Op.apply = classmethod(_apply_op)


def apply_binary(cls, a, b):
    """`cls.apply(a, b)` for two operands and no options: the arithmetic operators' path,
    without argument packing."""
    if observers:
        return _apply_observed(cls, (a, b), _NO_KWARGS)
    ta = isinstance(a, Tensor)
    tb = isinstance(b, Tensor)
    if (
        cls.differentiable
        and ((ta and a._requires_grad) or (tb and b._requires_grad))
        and _enabled_var.get()
    ):
        return _record_binary(cls, a, b, ta, tb)
    try:
        out = cls.forward(_NULL, a._data if ta else a, b._data if tb else b)
    except (TypeError, ValueError) as exc:
        err = _device_error((a, b))
        if err is not None:
            raise err from None
        raise exc
    if out.__class__ is not _ndarray:
        out = _wrap_out(out)
    r = _new(Tensor)
    r._data = out
    r._requires_grad = False
    r._grad_fn = None
    r._output_nr = 0
    r._vc = None
    return r


_NO_KWARGS = {}


def apply_unary(cls, a, kwargs=_NO_KWARGS):
    """`cls.apply(a, **kwargs)` for a differentiable op of one Tensor operand (relu, a full
    sum, a power): the recording case goes straight to `_record_unary`."""
    if a._requires_grad and not observers and _enabled_var.get():
        return _record_unary(cls, a, kwargs)
    return _apply_op(cls, a, **kwargs)


def _record_binary(cls, a, b, ta, tb):
    """`_record` for two operands, no options and one output: the arithmetic operators' path,
    written out in full because it is the hottest code in graph building. Anything unusual
    (several outputs, a view, saved values other than the operands) goes to `_record`'s
    general helpers."""
    node = _new(cls._backward_cls)
    if ta:
        fn = a._grad_fn
        if fn is not None:
            ea = (fn, a._output_nr)
        elif a._requires_grad:
            acc = a._grad_acc
            ea = (acc if acc is not None else _accumulator(a))._edge
        else:
            ea = _NO_EDGE
        da = a._data
    else:
        ea, da = _NO_EDGE, a
    if tb:
        fn = b._grad_fn
        if fn is not None:
            eb = (fn, b._output_nr)
        elif b._requires_grad:
            acc = b._grad_acc
            eb = (acc if acc is not None else _accumulator(b))._edge
        else:
            eb = _NO_EDGE
        db = b._data
    else:
        eb, db = _NO_EDGE, b
    _init_op_node(node, (ea, eb), _NEEDS2[(ea is not _NO_EDGE) * 2 + (eb is not _NO_EDGE)])
    try:
        out = cls.forward(node, da, db)
    except (TypeError, ValueError) as exc:
        err = _device_error((a, b))
        if err is not None:
            raise err from None
        raise exc
    if out.__class__ is not _ndarray or cls.view:
        return _finish_record(cls, node, (a, b), [da, db], out, _NO_KWARGS)
    r = _single_output(node, out)
    dt = out.dtype
    size = out.size  # see _finish_record for why size, rank and dtype are enough
    ndim = out.ndim
    ma = (
        None
        if ea is _NO_EDGE or (da.size == size and size and da.ndim == ndim and da.dtype is dt)
        else (da.shape, da.dtype)
    )
    mb = (
        None
        if eb is _NO_EDGE or (db.size == size and size and db.ndim == ndim and db.dtype is dt)
        else (db.shape, db.dtype)
    )
    node._in_meta = None if ma is None and mb is None else (ma, mb)
    ts = node._to_save
    if ts is not None:
        node._to_save = None
        if len(ts) == 2 and ts[0] is da and ts[1] is db:
            va = a._vc if ta else None
            vb = b._vc if tb else None
            node._saved = (
                a if va is None or not va[0] else (a, va[0]),
                b if vb is None or not vb[0] else (b, vb[0]),
            )
        else:
            node._saved = _pack_single(ts, (a, b), (da, db), out, out, r)
    return r


def _single_output(node, out):
    """The Tensor of a recorded op's one array output (with `node` as its grad_fn when it is
    differentiable), and the node's record of the output's shape and dtype."""
    dt = out.dtype
    r = _new(Tensor)
    r._data = out
    if dt.kind == "f" and node._non_diff is None:
        r._requires_grad = True
        r._grad_fn = node
    else:
        r._requires_grad = False
        r._grad_fn = None
    r._output_nr = 0
    r._vc = None
    node._out_shape = out.shape
    node._out_dtype = dt
    node._metas = None
    return r


_NEEDS2 = ((False, False), (False, True), (True, False), (True, True))  # shared, not rebuilt

_NO_EDGE = (None, 0)


_NO_HOOKS = (None, None)


def recording_hooks(observer):
    """`(clock, store)` when `observer` is a plain profile's recorder that has seen this
    thread (events are then recorded inline: `store((key, t0, t1, seq))`), else
    `(None, None)`: call its start/end methods instead."""
    try:
        return observer.local.hooks
    except AttributeError:  # another kind of observer, or the thread's first event
        return _NO_HOOKS


def _apply_observed(cls, args, kwargs):
    """The same dispatch, timed by the active profiler (the last of `observers`).

    It dispatches itself instead of calling `_apply_op`, which would come straight back here:
    emptying `observers` around the call would hide other threads' ops from the profiler.
    A plain profile is recorded here, inline, through the calling thread's `(clock, store)`
    (`profiler._Recorder`): two clock reads and one `store((cls, t0, t1, seq))` per op. Other
    observers, a profile with options and a thread's first op get `op_start` and `op_end`.
    """
    rec = observers[-1]
    clock, store = recording_hooks(rec)
    tok = rec.op_start(cls, args) if clock is None else clock()
    r = None
    try:
        if cls.differentiable and _enabled_var.get():
            if len(args) == 2 and not kwargs:
                a, b = args
                ta = a.__class__ is Tensor or isinstance(a, Tensor)  # the `is`: cheaper
                tb = b.__class__ is Tensor or isinstance(b, Tensor)
                if (ta and a._requires_grad) or (tb and b._requires_grad):
                    r = _record_binary(cls, a, b, ta, tb)
                    return r
            else:
                for a in args:
                    if isinstance(a, Tensor) and a._requires_grad:
                        r = _record(cls, args, kwargs)
                        return r
        try:
            out = cls.forward(
                _NULL, *[a._data if isinstance(a, Tensor) else a for a in args], **kwargs
            )
        except (TypeError, ValueError) as exc:
            err = _device_error(args)
            if err is not None:
                raise err from None
            raise exc
        if _NULL_STATE:
            _NULL_STATE.clear()
        if out.__class__ is tuple:
            r = tuple(_new_tensor(_wrap_out(o)) for o in out)
            return r
        r = _new_tensor(_wrap_out(out))
        if cls.view:
            _mark_view(r, args[0])
        return r
    finally:
        if clock is None:
            rec.op_end(tok, r)
        else:
            t1 = clock()
            if r.__class__ is Tensor:
                fn = r._grad_fn
            else:  # several outputs, or none because the op raised
                fn = getattr(r[0] if r.__class__ is tuple else r, "_grad_fn", None)
            store((cls, tok, t1, -1 if fn is None else fn._seq))


def _observed_binary(cls, a, b):
    """`_record_binary(cls, a, b, True, True)` under a profiler: the arithmetic operators' hot
    case (two tensors, one needing grad, grad on) recorded inline, without `_apply_observed`'s
    re-checks of the operands."""
    clock, store = recording_hooks(observers[-1])
    if clock is None:
        return _apply_observed(cls, (a, b), _NO_KWARGS)
    t0 = clock()
    r = None
    try:
        r = _record_binary(cls, a, b, True, True)
        return r
    finally:
        t1 = clock()
        fn = None if r is None else r._grad_fn
        store((cls, t0, t1, -1 if fn is None else fn._seq))


def _edge(a):
    """The next_functions entry for operand `a`: where its gradient goes."""
    fn = a._grad_fn
    if fn is not None:
        return (fn, a._output_nr)
    if a._requires_grad:
        return _accumulator(a)._edge
    return _NO_EDGE


def record_exact(cls, out, a, b, c=None):
    """The node of op `cls` over Tensors `a`, `b` (and `c`), one of which needs grad, whose
    forward has already produced the array `out`: for an op whose operands' gradients always
    come back in the operands' own shapes and dtypes (F.linear checks that first) and that
    saves its first two operands. Grad mode, observers and devices are the caller's checks."""
    ea = _edge(a)
    eb = _edge(b)
    node = _new(cls._backward_cls)
    if c is None:
        _init_op_node(node, (ea, eb), _NEEDS2[(ea is not _NO_EDGE) * 2 + (eb is not _NO_EDGE)])
    else:
        ec = _edge(c)
        _init_op_node(
            node, (ea, eb, ec), (ea is not _NO_EDGE, eb is not _NO_EDGE, ec is not _NO_EDGE)
        )
    r = _single_output(node, out)
    node._in_meta = None
    va = a._vc
    vb = b._vc
    node._saved = (
        a if va is None or not va[0] else (a, va[0]),
        b if vb is None or not vb[0] else (b, vb[0]),
    )
    return r


def _record(cls, args, kwargs):
    """Run `cls.forward` and record its node: the general path (any number of operands,
    options, several outputs). Two plain operands take `_record_binary`."""
    if len(args) == 2 and not kwargs:
        a, b = args
        return _record_binary(cls, a, b, isinstance(a, Tensor), isinstance(b, Tensor))
    if len(args) == 1:
        return _record_unary(cls, args[0], kwargs)
    node = cls._backward_cls.__new__(cls._backward_cls)
    edges = []
    arrays = []
    needs = []
    for a in args:
        if isinstance(a, Tensor):
            fn = a._grad_fn
            e = (
                (fn, a._output_nr)
                if fn is not None
                else (_accumulator(a)._edge if a._requires_grad else _NO_EDGE)
            )
            arrays.append(a._data)
        else:
            e = _NO_EDGE
            arrays.append(a)
        edges.append(e)
        needs.append(e is not _NO_EDGE)
    _init_op_node(node, tuple(edges), tuple(needs))
    try:
        out = cls.forward(node, *arrays, **kwargs)
    except (TypeError, ValueError) as exc:
        err = _device_error(args)
        if err is not None:
            raise err from None
        raise exc
    return _finish_record(cls, node, args, arrays, out, kwargs)


def _record_unary(cls, a, kwargs):
    """`_record` for one operand (relu, exp, sum...), which the caller found needs grad:
    written out like `_record_binary`, without the general path's lists. Anything unusual
    (several outputs, a view) goes to `_finish_record`."""
    node = _new(cls._backward_cls)
    fn = a._grad_fn
    if fn is not None:
        edge = (fn, a._output_nr)
    else:
        acc = a._grad_acc
        edge = (acc if acc is not None else _accumulator(a))._edge
    _init_op_node(node, (edge,), _NEEDS1)
    d = a._data
    try:
        raw = cls.forward(node, d, **kwargs) if kwargs else cls.forward(node, d)
    except (TypeError, ValueError) as exc:
        err = _device_error((a,))
        if err is not None:
            raise err from None
        raise exc
    out = raw
    if out.__class__ is not _ndarray:
        if out.__class__ is tuple or not isinstance(out, np.generic):
            return _finish_record(cls, node, (a,), [d], raw, kwargs)
        out = np.asarray(out)  # a full reduction's NumPy scalar
    if cls.view:
        return _finish_record(cls, node, (a,), [d], raw, kwargs)
    r = _single_output(node, out)
    dt = out.dtype
    size = out.size  # see _finish_record for why size, rank and dtype are enough
    node._in_meta = (
        None
        if d.dtype is dt
        and (cls.input_shaped_grad or d.size == size and size and d.ndim == out.ndim)
        else [(d.shape, d.dtype)]
    )
    ts = node._to_save
    if ts is not None:
        node._to_save = None
        if len(ts) == 1:  # _pack_single's two usual cases, without its tuples and loop
            s = ts[0]
            if (s is out or s is raw) and r._grad_fn is not None:  # the output (Relu, Exp)
                vc = r._vc = [0]
                node._saved = ((out, vc, 0, 0),)
                return r
            if s is d:  # the operand (Pow)
                vc = a._vc
                node._saved = (a if vc is None or not vc[0] else (a, vc[0]),)
                return r
        node._saved = _pack_single(ts, (a,), (d,), raw, out, r)
    return r


_NEEDS1 = (True,)


def _finish_record(cls, node, args, arrays, out, kwargs):
    """Wrap what forward returned in Tensors of `node` and pack what it saved."""
    if out.__class__ is not tuple:
        o = out if out.__class__ is _ndarray else _wrap_out(out)
        r = _single_output(node, o)
        dt = o.dtype
        # Inputs with the size, rank and dtype of the output were not broadcast (broadcasting
        # grows the size or the rank), so backward needs no unbroadcasting or cast for them;
        # None tells the engine to skip those checks. Comparing sizes avoids building shapes.
        size = o.size
        ndim = o.ndim
        metas = None
        for i, (e, d) in enumerate(zip(node.next_functions, arrays)):
            if e is not _NO_EDGE and not (
                d.size == size and size and d.ndim == ndim and d.dtype is dt
            ):
                if metas is None:
                    metas = [None] * len(arrays)
                metas[i] = (d.shape, d.dtype)
        node._in_meta = metas
        if cls.view:
            _mark_view(r, args[0])
        ts = node._to_save
        if ts is not None:
            node._to_save = None
            node._saved = _pack_single(ts, args, arrays, out, o, r)
        return r
    node._in_meta = [
        None if e is _NO_EDGE else (d.shape, d.dtype) for e, d in zip(node.next_functions, arrays)
    ]
    outs = [_wrap_out(o) for o in out]
    non_diff = node._non_diff
    results = []
    meta = []
    for i, o in enumerate(outs):
        diff = o.dtype.kind == "f" and not (non_diff and any(o is nd for nd in non_diff))
        results.append(Tensor._make(o, diff, node if diff else None, i))
        meta.append((o.shape, o.dtype))
    node._metas = meta
    if node._to_save is not None:
        node._saved = _pack_saved(node._to_save, args, arrays, out, outs, results)
        node._to_save = None
    return tuple(results)


def _mark_view(r, src):
    """A view shares its base's version counter: writing through either is seen by both."""
    r._vc = _shared_vc(src)
    base = src._base
    r._base = base if base is not None else src


_PLAIN = (int, float, bool)


def _pack_saved(to_save, args, arrays, raw, outs, results):
    """Map what forward saved (arrays) back to the Tensors they came from."""
    saved = []
    n = len(arrays)
    for s in to_save:
        # identity tests, unrolled for the usual one or two operands
        if s is arrays[0]:
            k = 0
        elif n > 1 and s is arrays[1]:
            k = 1
        else:
            k = _find_operand(s, args, arrays)
        if k >= 0:
            saved.append(_saved_form(args[k]))  # a scalar operand is kept as it is
            continue
        if s is None or s.__class__ in _PLAIN:
            saved.append(s)
            continue
        for i, r in enumerate(results):
            if s is outs[i] or s is r or s is raw[i]:
                if r._grad_fn is not None:
                    saved.append((r._data, _shared_vc(r), 0, i))
                else:
                    saved.append(_saved_form(r))
                break
        else:  # an intermediate computed in forward: a constant for backward
            t = s if isinstance(s, Tensor) else Tensor._make(_wrap_out(s))
            saved.append(_saved_form(t))
    return saved


def _saved_form(t):
    """How an input or a constant is kept in `_saved` (see the format note above)."""
    if not isinstance(t, Tensor):
        return t
    vc = t._vc
    return t if vc is None or not vc[0] else (t, vc[0])


def _pack_single(to_save, args, arrays, out, o, r):
    """`_pack_saved` for a single-output op saving its operands and/or its output (Exp, Div):
    identity tests only, no search; anything else goes to the general packer."""
    saved = []
    n = len(arrays)
    for s in to_save:
        if s is out or s is o:
            if r._grad_fn is None:
                saved.append(_saved_form(r))
                continue
            vc = r._vc
            if vc is None:
                vc = r._vc = [0]
            saved.append((o, vc, vc[0], 0))
        elif s is arrays[0] and isinstance(args[0], Tensor):
            saved.append(_saved_form(args[0]))
        elif n > 1 and s is arrays[1] and isinstance(args[1], Tensor):
            saved.append(_saved_form(args[1]))
        else:
            return _pack_saved(to_save, args, arrays, (out,), (o,), (r,))
    return saved


def _find_operand(s, args, arrays):
    for i in range(len(arrays)):
        if s is arrays[i] or s is args[i]:
            return i
    return -1


def _apply_user(cls, args, kwargs):
    """PyTorch's custom Function protocol: forward sees Tensors and runs with grad off."""
    tensors = [(i, a) for i, a in enumerate(args) if isinstance(a, Tensor)]
    requires = _grad_state.enabled and any(a.requires_grad for _, a in tensors)
    node = cls._backward_cls.__new__(cls._backward_cls)
    _init_node(node, tuple(_edge(a) for _, a in tensors) if requires else ())
    node.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    node._in_meta = [(a._data.shape, a._data.dtype) for _, a in tensors]
    node._input_map = [i for i, _ in tensors]
    node._to_save = node._saved = None
    node._as_arrays = False
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
            if o._grad_fn is None and o._requires_grad and prev:
                raise RuntimeError(
                    "a leaf Variable that requires grad has been used in an in-place operation."
                )
            _shared_vc(o)[0] += 1
            r = o
        elif any(o is a for _, a in tensors):
            r = Tensor._make(o._data)  # an input returned as is: a new tensor (a view of it)
            r._vc = _shared_vc(o)
        else:
            r = o
        diff = requires and r.dtype.is_floating_point and not any(o is nd for nd in non_diff)
        if diff:
            r._requires_grad, r._grad_fn, r._output_nr = True, node, i
        else:
            r._grad_fn = None
        meta.append((r._data.shape, r._data.dtype))
        results.append(r)
    node._metas = meta
    if node._to_save is not None:
        saved = []
        for k, s in enumerate(node._to_save):
            if s is None:
                saved.append(None)
            elif not isinstance(s, Tensor):
                raise TypeError(
                    "save_for_backward can only save variables, but argument "
                    f"{k} is of type {type(s).__name__}"
                )
            elif any(s is r for r in results) and s._grad_fn is node:
                idx = next(k for k, r in enumerate(results) if r is s)
                saved.append((s._data, _shared_vc(s), _version_of(s), idx))
            else:
                saved.append((s, _version_of(s)))
        node._saved = saved
        node._to_save = None
    return results[0] if single else tuple(results)


# A ctx type name PyTorch code sometimes annotates with.
FunctionCtx = BackwardNode
