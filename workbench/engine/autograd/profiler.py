"""`torch.autograd.profiler`: times every op dispatch, backward node and `record_function` block.

Recording must cost little, so events are not objects: each thread appends to its own columns
(parallel lists of names, start and end times, node ids...), and everything else — nesting,
self time, averages, the table, the trace — is worked out in bulk with NumPy once profiling
ends. Function events (one object each) are only built when `function_events` is asked for.
When no profiler is active the dispatch pays one `if observers:` test and nothing else.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import threading
import warnings
from time import perf_counter_ns

import numpy as np

from . import engine as _engine
from . import function as _function
from .function import AccumulateGrad, Node
from .grad_mode import module_path_var as _module_path_var

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
        self.open = []  # indices of the backward nodes running, innermost last


class _Recorder:
    """What the dispatch and the engine call; it appends to the calling thread's buffer."""

    def __init__(self, record_shapes, with_modules, profile_memory, with_stack=False):
        self._local = threading.local()
        self.buffers = []
        self._lock = threading.Lock()
        self.record_shapes = record_shapes
        self.with_modules = with_modules
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self._plain = not (record_shapes or with_modules or profile_memory or with_stack)
        if self._plain:
            # the usual profile: the per-op calls with nothing optional to test for, as closures
            # (no attribute lookups on self)
            self.op_start, self.op_end = self._plain_hooks()

    def buffer(self):
        try:
            return self._local.b
        except AttributeError:
            b = self._local.b = _Buffer()
            with self._lock:
                self.buffers.append(b)
            return b

    def _open(self, key, shapes, seq=-1):
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
        b.t0.append(perf_counter_ns())
        return b, i

    def op_start(self, cls, args):
        shapes = None
        if self.record_shapes:
            shapes = [list(a.shape) if hasattr(a, "shape") else [] for a in args]
        return self._open(cls, shapes)

    def op_end(self, tok, r):
        t = perf_counter_ns()
        b, i = tok
        b.t1[i] = t
        if r is not None:
            first = r[0] if r.__class__ is tuple else r
            fn = first._grad_fn if first is not None else None
            if fn is not None:
                b.seq[i] = fn._seq
            if self.profile_memory:
                outs = r if r.__class__ is tuple else (r,)
                b.mem[i] = sum(o._data.nbytes for o in outs if o is not None)

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

    def node_start(self, node):
        if not self._plain:
            b, i = self._open(node.__class__, [], node._seq)
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


def _key_name(key) -> str:
    if key.__class__ is str:
        return key
    if issubclass(key, AccumulateGrad):
        return "torch::autograd::AccumulateGrad"
    if issubclass(key, Node):
        return key.__name__
    name = getattr(key, "profile_name", None)
    if name:
        return name
    # a variant of an op (SumDim of Sum) is shown under the op's name, as PyTorch's aten::sum
    for c in reversed(key.__mro__):
        if issubclass(c, _function.Op) and c is not _function.Op and not c.__name__.startswith("_"):
            return c.__name__.lower()
    return key.__name__.lower()


def _format_time(time_us):
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _format_time_share(time_us, total_us):
    if total_us == 0:
        return "NaN"
    return f"{time_us * 100.0 / total_us:.2f}%"


def _format_memory(nbytes):
    kb, mb, gb = 1024, 1024**2, 1024**3
    if abs(nbytes) >= gb:
        return f"{nbytes * 1.0 / gb:.2f} Gb"
    if abs(nbytes) >= mb:
        return f"{nbytes * 1.0 / mb:.2f} Mb"
    if abs(nbytes) >= kb:
        return f"{nbytes * 1.0 / kb:.2f} Kb"
    return f"{nbytes} b"


class _Columns:
    """All threads' events as NumPy arrays, in start order per thread, with nesting resolved."""

    def __init__(
        self, buffers, origin_ns, end_ns, record_shapes, with_modules, profile_memory, with_stack
    ):
        keys, t0, t1, seq, tids, shapes, modules, mem, stack = [], [], [], [], [], [], [], [], []
        self.thread_names = {}
        for b in buffers:
            n = len(b.t0)
            keys += b.key[:n]
            t0 += b.t0[:n]
            t1 += b.t1[:n]
            seq += b.seq[:n]
            tids.append(np.full(n, b.tid, np.int64))
            if record_shapes:
                shapes += b.shapes[:n]
            if with_modules:
                modules += b.module[:n]
            if profile_memory:
                mem += b.mem[:n]
            if with_stack:
                stack += b.stack[:n]
            self.thread_names[b.tid] = b.thread_name
        n = len(t0)
        self.n = n
        codes = {}
        code = np.fromiter((codes.setdefault(k, len(codes)) for k in keys), np.int64, n)
        # keys sharing a name (SumDim and Sum are both "sum") are one key from here on
        name_ids = {}
        self.key_kinds = []
        remap = []
        for k in codes:
            name = _key_name(k)
            if name not in name_ids:
                name_ids[name] = len(name_ids)
                self.key_kinds.append(
                    "user_annotation"
                    if k.__class__ is str
                    else "backward"
                    if issubclass(k, Node)
                    else "cpu_op"
                )
            remap.append(name_ids[name])
        self.key_names = list(name_ids)
        self.code = np.array(remap, np.int64)[code] if n else code
        self.t0 = np.array(t0, np.int64) - origin_ns
        t1 = np.array(t1, np.int64)
        t1[t1 == 0] = end_ns  # events still open when profiling stopped end with it
        self.t1 = t1 - origin_ns
        self.dur = self.t1 - self.t0
        seq = np.array(seq, np.int64)
        seq[seq >= 1 << 62] = -1
        self.seq = seq
        self.tid = np.concatenate(tids) if tids else np.zeros(0, np.int64)
        self.shapes = shapes if record_shapes else None
        self.modules = modules if with_modules else None
        self.stack = stack if with_stack else None
        self.mem = np.array(mem, np.int64) if profile_memory else np.zeros(n, np.int64)
        self.parent = self._parents()
        child = np.zeros(n, np.int64)
        has = self.parent >= 0
        np.add.at(child, self.parent[has], self.dur[has])
        self.self_dur = self.dur - child
        child_mem = np.zeros(n, np.int64)
        np.add.at(child_mem, self.parent[has], self.mem[has])
        self.total_mem = self.mem + child_mem

    def _parents(self):
        """Each event's enclosing event on its thread (-1 at the top): one sweep with a stack,
        since every thread's events are stored in the order they started."""
        parent = [-1] * self.n
        t0 = self.t0.tolist()
        t1 = self.t1.tolist()
        tid = self.tid.tolist()
        stacks = {}
        for i in range(self.n):
            st = stacks.get(tid[i])
            if st is None:
                st = stacks[tid[i]] = []
            s = t0[i]
            while st and t1[st[-1]] <= s:
                st.pop()
            if st:
                parent[i] = st[-1]
            st.append(i)
        return np.array(parent, np.int64)


class FunctionEvent:
    """One recorded event, in PyTorch's shape (times in microseconds)."""

    node_id = -1
    device_type = "cpu"
    use_device = None
    count = 1
    cpu_parent = None
    self_device_time_total = device_time_total = 0.0
    device_memory_usage = self_device_memory_usage = 0

    def __init__(self, id, name, thread, sequence_nr, start_us, end_us, self_us, **extra):
        self.id = id
        self.name = self.key = name
        self.thread = thread
        self.sequence_nr = sequence_nr
        self.start_us = start_us
        self.end_us = end_us
        self.cpu_time_total = end_us - start_us
        self.self_cpu_time_total = self_us
        self.input_shapes = extra.get("input_shapes", [])
        self.scope = extra.get("scope")
        self.cpu_memory_usage = extra.get("cpu_memory_usage", 0)
        self.self_cpu_memory_usage = extra.get("self_cpu_memory_usage", 0)
        self.is_user_annotation = extra.get("is_user_annotation", False)
        self.stack = extra.get("stack", [])
        self.cpu_children = []

    @property
    def cpu_time(self):
        return self.cpu_time_total

    @property
    def time_range(self):
        return (self.start_us, self.end_us)

    def __repr__(self):
        return (
            f"<FunctionEvent id={self.id} name={self.name} cpu_time={_format_time(self.cpu_time)} "
            f"start_us={self.start_us:.3f} end_us={self.end_us:.3f} "
            f"thread={self.thread} input_shapes={self.input_shapes} "
            f"cpu_memory_usage={self.cpu_memory_usage}>"
        )


class FunctionEventAvg:
    """Events of one key (and input shapes) added up."""

    def __init__(self, key="", count=0, cpu_time_total=0.0, self_cpu_time_total=0.0):
        self.key = key
        self.count = count
        self.cpu_time_total = cpu_time_total
        self.self_cpu_time_total = self_cpu_time_total
        self.input_shapes = None
        self.cpu_memory_usage = self.self_cpu_memory_usage = 0
        self.self_device_time_total = self.device_time_total = 0.0
        self.device_memory_usage = self.self_device_memory_usage = 0
        self.node_id = -1
        self.stack = []
        self.use_device = None
        self.is_user_annotation = False
        self.cpu_parent = None

    @property
    def cpu_time(self):
        return 0.0 if self.count == 0 else self.cpu_time_total / self.count

    @property
    def device_time(self):
        return 0.0

    self_device_time = cuda_time = device_time

    @property
    def self_cuda_time_total(self):
        return self.self_device_time_total

    @property
    def cuda_time_total(self):
        return self.device_time_total

    def add(self, other):
        self.count += other.count
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        return self

    def __iadd__(self, other):
        return self.add(other)

    def __repr__(self):
        return (
            f"<FunctionEventAvg key={self.key} "
            f"self_cpu_time={_format_time(self.self_cpu_time_total)}"
            f" cpu_time={_format_time(self.cpu_time)}  self_cuda_time=0.000us cuda_time=0.000us"
            f" input_shapes={self.input_shapes if self.input_shapes is not None else []}"
            f" cpu_memory_usage={self.cpu_memory_usage} cuda_memory_usage=0>"
        )


class EventList(list):
    """A list of events or averages that prints as PyTorch's table."""

    def __init__(self, *args, profile_memory=False, **kwargs):
        super().__init__(*args)
        self._profile_memory = profile_memory

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def table(
        self,
        sort_by=None,
        row_limit=100,
        max_src_column_width=75,
        max_name_column_width=55,
        max_shapes_column_width=80,
        header=None,
        top_level_events_only=False,
        time_unit=None,
    ):
        return _build_table(
            self,
            sort_by=sort_by,
            header=header,
            row_limit=row_limit,
            max_src_column_width=max_src_column_width,
            max_name_column_width=max_name_column_width,
            max_shapes_column_width=max_shapes_column_width,
            profile_memory=self._profile_memory,
            top_level_events_only=top_level_events_only,
            time_unit=time_unit,
        )

    def __str__(self):
        return self.table()

    def total_average(self):
        total = FunctionEventAvg("Total")
        for e in self:
            total.add(e)
        return total


def _trim_path(path, width):
    if len(path) > width:
        path = path[len(path) - width :]
        if len(path) > 3:
            path = "..." + path[3:]
    return path


def _build_table(
    events,
    sort_by=None,
    header=None,
    row_limit=100,
    max_src_column_width=75,
    max_name_column_width=55,
    max_shapes_column_width=80,
    profile_memory=False,
    top_level_events_only=False,
    time_unit=None,
):
    """PyTorch's key-averages table, column for column (CPU only)."""
    if len(events) == 0:
        return ""
    has_shapes = any(e.input_shapes for e in events)
    if sort_by is not None:
        attr = sort_by.replace("cuda", "device").replace("xpu", "device")
        events = sorted(events, key=lambda e: getattr(e, attr), reverse=True)
    name_w = min(max(len(e.key) for e in events) + 4, max_name_column_width)
    shapes_w = min(max(len(str(e.input_shapes)) for e in events) + 4, max_shapes_column_width)
    stacks = [e.stack for e in events if e.stack]
    src_w = min(max((len(x) for st in stacks for x in st), default=0) + 4, max_src_column_width)
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
    headers.append("# of Calls")
    widths = [name_w] + [12] * (len(headers) - 1)
    if has_shapes:
        headers.append("Input Shapes")
        widths.append(shapes_w)
    aligns = [">"] * len(widths)
    if stacks:
        headers.append("Source Location")
        widths.append(src_w)
        aligns.append("<")
    row_format = "".join("{: " + a + str(w) + "}  " for a, w in zip(aligns, widths))
    sep = "".join("-" * w + "  " for w in widths)
    line_length = sum(w + 2 for w in widths) - 2

    def unit(t):
        if time_unit == "s":
            return f"{t / 1e6:.3f}s"
        if time_unit == "ms":
            return f"{t / 1e3:.3f}ms"
        if time_unit == "us":
            return f"{t:.3f}us"
        return _format_time(t)

    total = sum(e.self_cpu_time_total for e in events)
    out = []
    if header is not None:
        out += ["=" * line_length, header]
    if top_level_events_only:
        out += ["=" * line_length, "This report only display top-level ops statistics"]
    out += [sep, row_format.format(*headers), sep]
    shown = 0
    for e in events:
        if shown == row_limit:
            break
        if top_level_events_only and e.cpu_parent is not None:
            continue
        shown += 1
        name = e.key
        if len(name) >= max_name_column_width - 3:
            name = name[: max_name_column_width - 3] + "..."
        row = [
            name,
            _format_time_share(e.self_cpu_time_total, total),
            unit(e.self_cpu_time_total),
            _format_time_share(e.cpu_time_total, total),
            unit(e.cpu_time_total),
            unit(e.cpu_time),
        ]
        if profile_memory:
            row += [_format_memory(e.cpu_memory_usage), _format_memory(e.self_cpu_memory_usage)]
        row.append(e.count)
        if has_shapes:
            row.append(str(e.input_shapes)[:shapes_w])
        if stacks:
            row.append(_trim_path(e.stack[0], src_w) if e.stack else "")
        out.append(row_format.format(*row))
        if stacks:
            blank = [""] * (len(headers) - 1)
            for entry in e.stack[1:]:
                out.append(row_format.format(*blank, _trim_path(entry, src_w)))
            out.append(row_format.format(*blank, ""))
    out += [sep, f"Self CPU time total: {unit(total)}"]
    return "\n".join(out) + "\n"


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
            from ..device import cuda

            if not cuda.is_available():
                warnings.warn("CUDA is not available, disabling CUDA profiling", stacklevel=2)
            else:
                self.use_device = "cuda"  # device time is not measured yet: CPU columns only

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
            self.record_shapes, self.with_modules, self.profile_memory, self.with_stack
        )
        self._origin = perf_counter_ns()
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
            self._cols = _Columns(
                self._recorder.buffers,
                self._origin,
                end,
                self.record_shapes,
                self.with_modules,
                self.profile_memory,
                self.with_stack,
            )
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

    def export_chrome_trace(self, path):
        """Write the events as a Chrome Trace Event JSON object (gzip when `path` ends .gz)."""
        self._check_finished()
        data = _chrome_trace(self._columns())
        path = os.fspath(path)
        if path.endswith(".gz"):
            with gzip.open(path, "wt", encoding="utf-8", compresslevel=5) as f:
                f.write(data)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(data)
        return path


def _chrome_trace(c) -> str:
    """The trace text, written line by line with format strings: json.dumps per event is slower
    and the fields are few. Names are escaped once per distinct name."""
    pid = os.getpid()
    names = [json.dumps(n) for n in c.key_names]
    cats = c.key_kinds
    parts = ['{"traceEvents":[\n']
    meta = [{"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": "python"}}]
    for tid, tname in c.thread_names.items():
        meta.append(
            {"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": tname}}
        )
    lines = [json.dumps(m, separators=(",", ":")) for m in meta]
    ts = (c.t0 / 1e3).tolist()
    dur = (c.dur / 1e3).tolist()
    code = c.code.tolist()
    tid = c.tid.tolist()
    seq = c.seq.tolist()
    shapes = c.shapes
    for i in range(c.n):
        k = code[i]
        args = ""
        if seq[i] >= 0:
            args = f'"node":{seq[i]}'
        if shapes is not None and shapes[i]:
            args += (
                "," if args else ""
            ) + f'"shapes":{json.dumps(shapes[i], separators=(",", ":"))}'
        lines.append(
            f'{{"ph":"X","cat":"{cats[k]}","name":{names[k]},"pid":{pid},"tid":{tid[i]},'
            f'"ts":{ts[i]:.3f},"dur":{dur[i]:.3f},"args":{{{args}}}}}'
        )
    parts.append(",\n".join(lines))
    parts.append('\n],"displayTimeUnit":"ms"}\n')
    return "".join(parts)


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
