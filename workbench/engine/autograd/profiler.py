"""`torch.autograd.profiler`: times every op dispatch, backward node and `record_function` block.

Recording must cost little, so events are not objects: each thread appends to its own columns
(parallel lists of names, start and end times, node ids...), and everything else — nesting,
self time, averages, the table, the trace — is worked out in bulk with NumPy once profiling
ends (`profiler_columns`). Function events (one object each) are only built when
`function_events` is asked for. When no profiler is active the dispatch pays one
`if observers:` test and nothing else.

With `use_cuda=True` a device timer (`profiler_cuda`) also marks each device op's start and end
on the GPU's stream; the marks become times once, when the results are first read.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
from time import perf_counter_ns

import numpy as np

from . import chrome_trace, profiler_cuda
from . import engine as _engine
from . import function as _function
from .function import AccumulateGrad
from .grad_mode import module_path_var as _module_path_var
from .profiler_columns import Columns
from .profiler_table import (
    EventList,
    FunctionEvent,
    FunctionEventAvg,
    _format_time,  # noqa: F401 - PyTorch's formatter, read from here
)

__all__ = [
    "profile",
    "record_function",
    "EventList",
    "FunctionEvent",
    "FunctionEventAvg",
]

_active = []  # the profiler being recorded into (at most one)


class _Buffer:
    """One thread's events, column by column. `t1` is 0 while an event is still open."""

    __slots__ = (
        "tid",
        "thread_name",
        "key",
        "t0",
        "t1",
        "seq",
        "shapes",
        "module",
        "mem",
        "stack",
        "d0",
        "d1",
        "open",
    )

    def __init__(self):
        self.tid = threading.get_native_id()
        self.thread_name = threading.current_thread().name
        self.key = []  # an Op class, a Node class or a record_function name
        self.t0 = []
        self.t1 = []
        self.seq = []  # the graph node created (forward op) or run (backward node); -1: none
        self.shapes = []  # filled with record_shapes
        self.module = []  # filled with with_modules
        self.mem = []  # filled with profile_memory: bytes of the op's outputs
        self.stack = []  # filled with with_stack: the user's source line, "file(line): function"
        self.d0 = []  # filled with a device timer: the start and end marks, None if not timed
        self.d1 = []
        self.open = []  # indices of the backward nodes running, innermost last


class _Recorder:
    """What the dispatch and the engine call; it appends to the calling thread's buffer."""

    def __init__(self, record_shapes, with_modules, profile_memory, with_stack=False, timer=None):
        self._local = threading.local()
        self.buffers = []
        self._lock = threading.Lock()
        self.record_shapes = record_shapes
        self.with_modules = with_modules
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.timer = timer
        self._device_nodes = set()  # graph nodes made by device ops: their backward is timed
        self._plain = not (record_shapes or with_modules or profile_memory or with_stack or timer)
        if self._plain:
            # the usual profile: the per-op calls with nothing optional to test for, as closures
            # (no attribute lookups on self)
            self.op_start, self.op_end = self._plain_hooks()
            self.node_start, self.node_end = self._plain_node_hooks()

    def buffer(self):
        try:
            return self._local.b
        except AttributeError:
            b = self._local.b = _Buffer()
            with self._lock:
                self.buffers.append(b)
            return b

    def _open(self, key, shapes, seq=-1, device=False):
        try:
            b = self._local.b
        except AttributeError:
            b = self.buffer()
        i = len(b.t0)
        b.key.append(key)
        b.seq.append(seq)
        b.t1.append(0)
        if self.record_shapes:
            b.shapes.append(shapes)
        if self.with_modules:
            b.module.append(_module_path_var.get())
        if self.profile_memory:
            b.mem.append(0)
        if self.with_stack:
            b.stack.append(_source_line())
        if self.timer is not None:
            b.d1.append(None)
            # marked before the clock is read, so the mark's own cost is not the op's CPU time
            b.d0.append(self.timer.mark() if device else None)
        b.t0.append(perf_counter_ns())
        return b, i

    def op_start(self, cls, args):
        shapes = None
        if self.record_shapes:
            shapes = [list(a.shape) if hasattr(a, "shape") else [] for a in args]
        device = self.timer is not None and self.timer.wants(args)
        return self._open(cls, shapes, -1, device)

    def op_end(self, tok, r):
        t = perf_counter_ns()
        b, i = tok
        b.t1[i] = t
        seq = -1
        if r is not None:
            first = r[0] if r.__class__ is tuple else r
            fn = first._grad_fn if first is not None else None
            if fn is not None:
                seq = b.seq[i] = fn._seq
            if self.profile_memory:
                outs = r if r.__class__ is tuple else (r,)
                b.mem[i] = sum(o._data.nbytes for o in outs if o is not None)
        if self.timer is not None and b.d0[i] is not None:
            b.d1[i] = self.timer.mark()
            if seq >= 0:
                self._device_nodes.add(seq)

    def _plain_hooks(self):
        local = self._local
        buffer = self.buffer

        def op_start(cls, args):
            try:
                b = local.b
            except AttributeError:
                b = buffer()
            i = len(b.t0)
            b.key.append(cls)
            b.seq.append(-1)
            b.t1.append(0)
            b.t0.append(perf_counter_ns())
            return b, i

        def op_end(tok, r):
            t = perf_counter_ns()
            b, i = tok
            b.t1[i] = t
            fn = getattr(r[0] if r.__class__ is tuple else r, "_grad_fn", None)
            if fn is not None:
                b.seq[i] = fn._seq

        return op_start, op_end

    def _plain_node_hooks(self):
        """node_start/node_end of the usual profile as closures, like `_plain_hooks`: one
        backward node is two calls on the backward pass's hottest path."""
        local = self._local
        buffer = self.buffer

        def node_start(node):
            try:
                b = local.b
            except AttributeError:
                b = buffer()
            b.open.append(len(b.t0))
            b.key.append(node.__class__)
            b.seq.append(node._seq)
            b.t1.append(0)
            b.t0.append(perf_counter_ns())

        def node_end(node):
            t = perf_counter_ns()
            try:
                b = local.b
            except AttributeError:
                b = buffer()
            open_, key, cls = b.open, b.key, node.__class__
            # nodes nest, so the innermost open node is this one (see `node_end` below)
            while open_:
                i = open_.pop()
                if key[i] is cls:
                    b.t1[i] = t
                    return

        return node_start, node_end

    def _node_on_device(self, node):
        if node._seq in self._device_nodes:
            return True
        return isinstance(node, AccumulateGrad) and self.timer.wants((node.variable,))

    def node_start(self, node):
        if not self._plain:
            device = self.timer is not None and self._node_on_device(node)
            b, i = self._open(node.__class__, [], node._seq, device)
            b.open.append(i)
            return
        try:
            b = self._local.b
        except AttributeError:
            b = self.buffer()
        b.open.append(len(b.t0))
        b.key.append(node.__class__)
        b.seq.append(node._seq)
        b.t1.append(0)
        b.t0.append(perf_counter_ns())

    def node_end(self, node):
        t = perf_counter_ns()
        try:
            b = self._local.b
        except AttributeError:
            b = self.buffer()
        # nodes nest, so the innermost open node is this one; it is not when a node raised
        # before its end was recorded, and then the stale entries are dropped
        open_ = b.open
        while open_:
            i = open_.pop()
            if b.key[i] is node.__class__:
                b.t1[i] = t
                if self.timer is not None and b.d0[i] is not None:
                    b.d1[i] = self.timer.mark()
                return

    def user_start(self, name):
        return self._open(name, [])

    def user_end(self, tok):
        b, i = tok
        b.t1[i] = perf_counter_ns()


def _source_line() -> str:
    """Where the user's code called in, past the engine's own frames (dispatch, Tensor methods,
    ops, autograd), as PyTorch's profiler writes stack entries."""
    f = sys._getframe(2)
    while f is not None and f.f_code.co_filename.startswith(_function._DISPATCH):
        f = f.f_back
    if f is None:
        return ""
    return f"{f.f_code.co_filename}({f.f_lineno}): {f.f_code.co_name}"


class profile:
    """Profile every op, backward node and `record_function` block run inside the block.

    Times are in microseconds, as in PyTorch. Not re-entrant; one profiler at a time.
    """

    def __init__(
        self,
        enabled=True,
        *,
        use_cuda=False,
        use_device=None,
        record_shapes=False,
        with_flops=False,
        profile_memory=False,
        with_stack=False,
        with_modules=False,
        use_kineto=False,
        use_cpu=True,
        experimental_config=None,
        acc_events=False,
        custom_trace_id_callback=None,
    ):
        self.enabled = enabled
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_modules = with_modules
        self.with_flops = with_flops
        self.entered = False
        self._recorder = None
        self._cols = None
        self._events = None
        self._timer = None
        self.use_device = None
        if use_cuda:
            warnings.warn(
                "The attribute `use_cuda` will be deprecated soon, please use "
                "``use_device = 'cuda'`` instead.",
                FutureWarning,
                stacklevel=2,
            )
            use_device = "cuda"
        if use_device == "cuda":
            self._timer = profiler_cuda.make_device_timer()
            if self._timer is None:
                warnings.warn("CUDA is not available, disabling CUDA profiling", stacklevel=2)
            else:
                self.use_device = "cuda"

    def __enter__(self):
        if not self.enabled:
            return self
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        if _active:
            raise RuntimeError(
                "Profiler is already enabled: a profiler may not run inside another one"
            )
        self.entered = True
        self._recorder = _Recorder(
            self.record_shapes, self.with_modules, self.profile_memory, self.with_stack, self._timer
        )
        self._origin = perf_counter_ns()
        if self._timer is not None:
            self._timer.start()
        _active.append(self)
        _function.observers.append(self._recorder)
        _engine.observers.append(self._recorder)
        return self

    def __exit__(self, *exc):
        if not self.enabled or self._recorder is None or self not in _active:
            return False
        self._end = perf_counter_ns()
        _function.observers.remove(self._recorder)
        _engine.observers.remove(self._recorder)
        _active.remove(self)
        return False

    def _columns(self):
        if self._cols is None:
            if self._recorder is None:
                raise RuntimeError("Profiler didn't finish running")
            end = getattr(self, "_end", None) or perf_counter_ns()
            options = (self.record_shapes, self.with_modules, self.profile_memory, self.with_stack)
            self._cols = Columns(self._recorder.buffers, self._origin, end, options, self._timer)
        return self._cols

    def _check_finished(self):
        if self._recorder is None or self in _active:
            raise RuntimeError("Profiler didn't finish running")

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        """One `FunctionEventAvg` per event name (and input shapes), summed in bulk."""
        self._check_finished()
        c = self._columns()
        code = c.code
        shape_keys = None
        if group_by_input_shape and c.shapes is not None:
            sk = {}
            scode = np.fromiter((sk.setdefault(str(s), len(sk)) for s in c.shapes), np.int64, c.n)
            shape_keys = list(sk)
            code = code * len(sk) + scode
        by_stack = group_by_stack_n > 0 and c.stack is not None
        if by_stack:
            sk = {}
            scode = np.fromiter((sk.setdefault(s, len(sk)) for s in c.stack), np.int64, c.n)
            code = code * len(sk) + scode
        groups, first, inv = np.unique(code, return_index=True, return_inverse=True)
        g = len(groups)
        count = np.bincount(inv, minlength=g)
        total = np.bincount(inv, weights=c.dur, minlength=g) / 1e3
        self_t = np.bincount(inv, weights=c.self_dur, minlength=g) / 1e3
        mem = np.bincount(inv, weights=c.total_mem, minlength=g)
        self_mem = np.bincount(inv, weights=c.mem, minlength=g)
        device = c.timer is not None
        if device:
            dev = np.bincount(inv, weights=c.dev_total, minlength=g)
            self_dev = np.bincount(inv, weights=c.dev_self, minlength=g)
        out = EventList(profile_memory=self.profile_memory)
        # first appearance order, as PyTorch lists its averages
        for k in np.argsort(first, kind="stable").tolist():
            i = int(first[k])
            a = FunctionEventAvg(
                c.key_names[c.code[i]], int(count[k]), float(total[k]), float(self_t[k])
            )
            a.input_shapes = c.shapes[i] if shape_keys is not None else None
            if by_stack and c.stack[i]:
                a.stack = [c.stack[i]]
            a.cpu_memory_usage = int(mem[k])
            a.self_cpu_memory_usage = int(self_mem[k])
            a.is_user_annotation = c.key_kinds[c.code[i]] == "user_annotation"
            if device:
                a.use_device = self.use_device
                a.device_time_total = float(dev[k])
                a.self_device_time_total = float(self_dev[k])
            out.append(a)
        return out

    @property
    def function_events(self):
        """Every event as a `FunctionEvent` (built on first use), parents and children linked."""
        self._check_finished()
        if self._events is None:
            c = self._columns()
            threads = {t: k for k, t in enumerate(sorted(c.thread_names), 1)}
            tids = c.tid.tolist()
            names = c.key_names
            user = [k == "user_annotation" for k in c.key_kinds]
            code, seq = c.code.tolist(), c.seq.tolist()
            t0, t1, self_us = (c.t0 / 1e3).tolist(), (c.t1 / 1e3).tolist(), c.self_dur / 1e3
            self_us = self_us.tolist()
            mem, total_mem = c.mem.tolist(), c.total_mem.tolist()
            evs = []
            for i in range(c.n):
                k = code[i]
                extra = {}
                if user[k]:
                    extra["is_user_annotation"] = True
                if c.shapes is not None:
                    extra["input_shapes"] = c.shapes[i]
                if c.modules is not None:
                    extra["scope"] = c.modules[i]
                if c.stack is not None and c.stack[i]:
                    extra["stack"] = [c.stack[i]]
                if mem[i] or total_mem[i]:
                    extra["cpu_memory_usage"] = total_mem[i]
                    extra["self_cpu_memory_usage"] = mem[i]
                evs.append(
                    FunctionEvent(
                        i, names[k], threads[tids[i]], seq[i], t0[i], t1[i], self_us[i], **extra
                    )
                )
            if c.timer is not None:
                for e, d, s in zip(evs, c.dev_total.tolist(), c.dev_self.tolist()):
                    e.use_device = self.use_device
                    e.device_time_total = d
                    e.self_device_time_total = s
            for i, p in enumerate(c.parent.tolist()):
                if p >= 0:
                    evs[i].cpu_parent = evs[p]
                    evs[p].cpu_children.append(evs[i])
            self._events = EventList(evs, profile_memory=self.profile_memory)
        return self._events

    def events(self):
        return self.function_events

    def table(self, sort_by=None, row_limit=100, **kwargs):
        """Every event, one row each (PyTorch's `prof.table()`; key_averages().table() sums)."""
        self._check_finished()
        return self.function_events.table(sort_by=sort_by, row_limit=row_limit, **kwargs)

    def total_average(self):
        return self.key_averages().total_average()

    @property
    def self_cpu_time_total(self):
        self._check_finished()
        return float(self._columns().self_dur.sum()) / 1e3

    def __str__(self):
        return str(self.function_events)

    def trace_events(self) -> chrome_trace.TraceEvents:
        """The events as a trace table (`workbench.trace.TraceEvents`): what
        `export_chrome_trace` writes, and what sessions and the profiler panel show."""
        self._check_finished()
        return self._columns().trace_events(os.getpid())

    def export_chrome_trace(self, path):
        """Write the events as a Chrome Trace Event JSON object (gzip when `path` ends .gz)."""
        return os.fspath(chrome_trace.dump(self.trace_events(), path))


class record_function:
    """Label a block (or, as a decorator, every call of a function) in the profile."""

    def __init__(self, name, args=None):
        self.name = name
        self.args = args
        self._tok = None
        self._rec = None

    def __enter__(self):
        if _active:
            self._rec = _active[-1]._recorder
            self._tok = self._rec.user_start(self.name)
        return self

    def __exit__(self, *exc):
        if self._tok is not None:
            self._rec.user_end(self._tok)
            self._tok = self._rec = None
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)

        return wrapper
