"""`torch.autograd.profiler`: times every op dispatch, backward node and `record_function` block.

Recording must cost little, so events are not objects: each event is stored once, when it
ends, as a few items appended to its thread's flat list (name key, start, end, graph node id),
and everything else — start order, nesting, self time, averages, the table, the trace — is
worked out in bulk with NumPy once profiling ends (`profiler_columns`). In a plain profile the
dispatch and the engine store ops and backward nodes themselves, through the thread's
`(clock, store)` pair (`_Recorder`): per event two clock reads, one thread-local lookup and
one `list.extend`. Function events (one object each) are only built when `function_events` is
asked for. When no profiler is active the dispatch pays one `if observers:` test and nothing
else.

With `use_cuda=True` a device timer (`profiler_cuda`) also marks each device op's start and end
on the GPU's stream; the marks become times once, when the results are first read.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
from time import perf_counter as _clock  # seconds, a float: cheaper to read than _ns

import numpy as np

from . import chrome_trace, profiler_cuda
from . import engine as _engine
from . import function as _function
from .function import AccumulateGrad
from .grad_mode import module_path as _module_path
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
    """One thread's events. Each event is stored whole once it ends, as consecutive items of
    one flat list (`profiler_columns.FIELDS` in order, only its `PLAIN_FIELDS` in a plain
    profile): one `extend` per event, no object kept per event. Events still running wait on
    `nodes` (backward nodes, innermost last) and `users` (`record_function` blocks) as lists
    of their fields, t1 still 0."""

    __slots__ = ("tid", "thread_name", "events", "nodes", "users")

    def __init__(self):
        self.tid = threading.get_native_id()
        self.thread_name = threading.current_thread().name
        self.events = []
        self.nodes = []
        self.users = []

    def snapshot(self, stride):
        """The events recorded so far and those still open, as one flat list."""
        out = self.events[:]
        for e in self.users[:] + self.nodes[:]:
            out += e
        return out[: len(out) - len(out) % stride]


class _Recorder:
    """What the dispatch and the engine record into: every event goes to the calling thread's
    buffer when it ends, whole.

    `local.hooks` is what they record through, once a thread has a buffer: `(clock, store)`,
    where they read `clock()` around an op or node and hand `store` the event whole,
    `(key, t0, t1, seq)`. That is a plain profile's whole cost per event: two clock reads,
    one per-thread lookup, one `extend`. With options on, `hooks` is `(None, None)`, and
    before a thread's first event there is none: then they call `op_start`/`op_end` and
    `node_start`/`node_end`, which read the options around the clock reads. Those pairs serve
    other observers chaining to this one too.
    """

    def __init__(self, record_shapes, with_modules, profile_memory, with_stack=False, timer=None):
        self.buffers = []
        self._lock = threading.Lock()
        self.record_shapes = record_shapes
        self.with_modules = with_modules
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.timer = timer
        self._device_nodes = set()  # graph nodes made by device ops: their backward is timed
        self.plain = not (record_shapes or with_modules or profile_memory or with_stack or timer)
        self.local = threading.local()

    def buffer(self):
        """The calling thread's buffer, made on its first event."""
        local = self.local
        try:
            return local.buffer
        except AttributeError:
            b = local.buffer = _Buffer()
            local.hooks = (_clock, b.events.extend) if self.plain else (None, None)
            with self._lock:
                self.buffers.append(b)
            return b

    def _begin(self, key, shapes, seq, device):
        """The fields of an event that starts now, t1 still 0; the clock is read last."""
        if self.plain:
            return [key, _clock(), 0, seq]
        e = [
            key,
            0,
            0,
            seq,
            shapes if self.record_shapes else None,
            _module_path() if self.with_modules else None,
            0,
            _source_line() if self.with_stack else None,
            # marked before the clock is read, so the mark's own cost is not the op's CPU time
            self.timer.mark() if device else None,
            None,
        ]
        e[1] = _clock()
        return e

    def _end(self, e, b):
        """Store the event `e`, its end time `e[2]` set, in buffer `b`."""
        if not self.plain and e[8] is not None:
            e[9] = self.timer.mark()
        b.events.extend(e)

    def op_start(self, cls, args):
        shapes = None
        if self.record_shapes:
            shapes = [list(a.shape) if hasattr(a, "shape") else [] for a in args]
        device = self.timer is not None and self.timer.wants(args)
        return self._begin(cls, shapes, -1, device)

    def op_end(self, e, r):
        e[2] = _clock()
        if r is not None:
            first = r[0] if r.__class__ is tuple else r
            fn = first._grad_fn if first is not None else None
            if fn is not None:
                e[3] = fn._seq
                if not self.plain and e[8] is not None:
                    self._device_nodes.add(fn._seq)
            if self.profile_memory:
                outs = r if r.__class__ is tuple else (r,)
                e[6] = sum(o._data.nbytes for o in outs if o is not None)
        self._end(e, self.buffer())

    def _node_on_device(self, node):
        if node._seq in self._device_nodes:
            return True
        return isinstance(node, AccumulateGrad) and self.timer.wants((node.variable,))

    def node_start(self, node):
        device = self.timer is not None and self._node_on_device(node)
        self.buffer().nodes.append(self._begin(node.__class__, [], node._seq, device))

    def node_end(self, node):
        t = _clock()
        b = self.buffer()
        # nodes nest, so the innermost open node is this one; it is not when a node raised
        # before its end was recorded, and then the stale entries are dropped
        nodes, cls = b.nodes, node.__class__
        while nodes:
            e = nodes.pop()
            if e[0] is cls:
                e[2] = t
                self._end(e, b)
                return

    def user_start(self, name):
        b = self.buffer()
        e = self._begin(name, [], -1, False)
        b.users.append(e)
        return b, e

    def user_end(self, tok):
        t = _clock()
        b, e = tok
        e[2] = t
        users = b.users
        for k in range(len(users) - 1, -1, -1):  # the innermost block, usually the last
            if users[k] is e:
                del users[k]
                break
        self._end(e, b)


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
        # True for a profiler that steps aside when code inside it starts its own (see
        # __enter__); PyTorch's profilers never do, so only the app sets it
        self._yields = False
        self._suspended = ()
        self._yielded_to = []  # the profilers it stepped aside for, in the order they ended
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
            if not all(p._yields for p in _active):
                raise RuntimeError(
                    "Profiler is already enabled: a profiler may not run inside another one"
                )
            # A profiler that yields (the app's run-wide one, under its Profile toggle) steps
            # aside while the script's own profiler runs, so the script works as it would
            # alone; it records again once that one ends.
            self._suspended = [p for p in _active if p._recorder in _function.observers]
            for p in self._suspended:
                _function.observers.remove(p._recorder)
                _engine.observers.remove(p._recorder)
        self.entered = True
        self._recorder = _Recorder(
            self.record_shapes, self.with_modules, self.profile_memory, self.with_stack, self._timer
        )
        self._origin = _clock()
        if self._timer is not None:
            self._timer.start()
        _active.append(self)
        _function.observers.append(self._recorder)
        _engine.observers.append(self._recorder)
        return self

    def __exit__(self, *exc):
        if not self.enabled or self._recorder is None or self not in _active:
            return False
        self._end = _clock()
        if self._recorder in _function.observers:  # not while it yields to another
            _function.observers.remove(self._recorder)
            _engine.observers.remove(self._recorder)
        _active.remove(self)
        for p in self._suspended:
            p._yielded_to.append(self)
            if p in _active:
                _function.observers.append(p._recorder)
                _engine.observers.append(p._recorder)
        self._suspended = ()
        return False

    def _columns(self):
        if self._cols is None:
            if self._recorder is None:
                raise RuntimeError("Profiler didn't finish running")
            end = getattr(self, "_end", None) or _clock()
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
