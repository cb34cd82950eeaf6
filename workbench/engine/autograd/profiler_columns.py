"""The profiler's events in bulk: all threads' columns as NumPy arrays, with nesting, self times
and device times worked out for every event at once, and the trace table they export as."""

from __future__ import annotations

import numpy as np

from . import function as _function
from .chrome_trace import TraceEvents, encode_each
from .function import AccumulateGrad, Node

# The fields of one event, in the order the profiler's buffers store them (`_Buffer`): the
# first four are all a plain profile records, the rest are its options (record_shapes,
# with_modules, profile_memory, with_stack, a device timer's start and end marks).
PLAIN_FIELDS = ("key", "t0", "t1", "seq")
FIELDS = PLAIN_FIELDS + ("shapes", "module", "mem", "stack", "d0", "d1")
_AT = {f: k for k, f in enumerate(FIELDS)}

# Device tracks get tids far above any OS thread id (Linux caps them at 2**22) and below 2**31,
# which some trace viewers read tids into.
_DEVICE_TID = 1 << 30


def key_name(key) -> str:
    """The name PyTorch gives an event: an op's aten name, a node's class, a block's label."""
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


def _kind(key) -> str:
    if key.__class__ is str:
        return "user_annotation"
    return "backward" if issubclass(key, Node) else "cpu_op"


class Columns:
    """All threads' events as NumPy arrays, in start order per thread, with nesting resolved.

    `origin` and `end` are the clock's readings (float seconds) where profiling started and
    stopped. Times are ns from the start of profiling; device times (with a timer) are µs.
    """

    def __init__(self, buffers, origin, end, options, timer=None):
        record_shapes, with_modules, profile_memory, with_stack = options
        plain = not (record_shapes or with_modules or profile_memory or with_stack or timer)
        stride = len(PLAIN_FIELDS) if plain else len(FIELDS)
        flat, tids = [], []
        self.thread_names = {}
        for b in buffers:
            ev = b.snapshot(stride)
            flat += ev
            tids.append(np.full(len(ev) // stride, b.tid, np.int64))
            self.thread_names[b.tid] = b.thread_name
        n = self.n = len(flat) // stride
        keys = flat[_AT["key"] :: stride]
        codes = {}
        code = np.fromiter((codes.setdefault(k, len(codes)) for k in keys), np.int64, n)
        # keys sharing a name (SumDim and Sum are both "sum") are one key from here on
        name_ids = {}
        self.key_kinds = []
        remap = []
        for k in codes:
            name = key_name(k)
            if name not in name_ids:
                name_ids[name] = len(name_ids)
                self.key_kinds.append(_kind(k))
            remap.append(name_ids[name])
        self.key_names = list(name_ids)
        code = np.array(remap, np.int64)[code] if n else code
        # clock readings (float seconds) to ns from the start of profiling
        t0 = np.array(flat[_AT["t0"] :: stride], np.float64)
        t1 = np.array(flat[_AT["t1"] :: stride], np.float64)
        # events still open when profiling stopped (or ending after it) end with it
        t1[(t1 == 0) | (t1 > end)] = end
        t0 = np.rint((np.minimum(t0, t1) - origin) * 1e9).astype(np.int64)
        t1 = np.rint((t1 - origin) * 1e9).astype(np.int64)
        seq = np.array(flat[_AT["seq"] :: stride], np.int64)
        tid = np.concatenate(tids) if tids else np.zeros(0, np.int64)
        # Events are recorded as they end; each thread's are put in the order they started
        # (an enclosing event first: it started no later and ended no sooner, and was
        # recorded after the events inside it).
        order = np.lexsort((-np.arange(n), -t1, t0, tid))
        self.code = code[order]
        self.t0 = t0[order]
        self.t1 = t1[order]
        self.dur = self.t1 - self.t0
        seq = seq[order]
        seq[seq >= 1 << 62] = -1
        self.seq = seq
        self.tid = tid[order]
        pick = order.tolist()

        def column(field):
            values = flat[_AT[field] :: stride]
            return [values[i] for i in pick]

        self.shapes = column("shapes") if record_shapes else None
        self.modules = column("module") if with_modules else None
        self.stack = column("stack") if with_stack else None
        self.mem = np.array(column("mem"), np.int64) if profile_memory else np.zeros(n, np.int64)
        if timer is not None:
            d0, d1 = column("d0"), column("d1")
        self.parent, self.depth = self._parents()
        child = np.zeros(n, np.int64)
        has = self.parent >= 0
        np.add.at(child, self.parent[has], self.dur[has])
        self.self_dur = self.dur - child
        child_mem = np.zeros(n, np.int64)
        np.add.at(child_mem, self.parent[has], self.mem[has])
        self.total_mem = self.mem + child_mem
        self.timer = timer
        if timer is not None:
            self._device_times(timer.elapsed_us(d0 + d1))

    def _parents(self):
        """Each event's enclosing event on its thread (-1 at the top) and its depth: one sweep
        with a stack, since every thread's events are stored in the order they started."""
        parent = [-1] * self.n
        depth = [0] * self.n
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
                depth[i] = len(st)
            st.append(i)
        return np.array(parent, np.int64), np.array(depth, np.int64)

    def _device_times(self, marks_us):
        """Device start, duration, total and self time per event (µs).

        A timed event's total is what its marks measured; an untimed one (a `record_function`
        block, a backward node of a CPU op) totals its children's, as PyTorch sums the kernels
        of an op's children into its CUDA total. Self is total minus the children's totals.
        Worked out one nesting level at a time, deepest first.
        """
        n = self.n
        start, end = marks_us[:n], marks_us[n:]
        timed = ~(np.isnan(start) | np.isnan(end))
        self.timed = timed
        self.dev_start = np.where(timed, start, 0.0)
        self.dev_dur = np.where(timed, np.maximum(end - start, 0.0), 0.0)
        total = self.dev_dur.copy()
        child = np.zeros(n)
        order = np.argsort(self.depth, kind="stable")[::-1]
        levels = np.flatnonzero(np.diff(self.depth[order])) + 1
        for idx in np.split(order, levels):
            untimed = idx[~timed[idx]]
            total[untimed] = child[untimed]
            p = self.parent[idx]
            has = p >= 0
            np.add.at(child, p[has], total[idx[has]])
        self.dev_total = total
        self.dev_self = np.maximum(total - child, 0.0)

    def thread_label(self, tid, backward_only):
        """PyTorch names a thread's track "thread <tid> (<name>)"; a thread that only ran
        backward work (a backward called from another thread) says so first."""
        name = self.thread_names.get(tid, "python")
        return f"backward (thread {tid}, {name})" if backward_only else f"thread {tid} ({name})"

    def _backward_only(self):
        """The threads whose top-level events are all backward nodes."""
        backward = np.array([k == "backward" for k in self.key_kinds], bool)
        if not self.n:
            return set()
        kinds = backward[self.code]
        top = self.parent < 0
        forward = set(np.unique(self.tid[top & ~kinds]).tolist())
        return set(np.unique(self.tid[top & kinds]).tolist()) - forward

    def _args_json(self):
        """Each event's trace args as JSON text: the graph node it made or ran, its shapes, and
        under a device timer its id (the link from its device event)."""
        seq = self.seq.tolist()
        if self.shapes is None and self.timer is None:
            return [f'{{"node":{s}}}' if s >= 0 else None for s in seq]
        shapes = None
        if self.shapes is not None:
            shapes = [None] * self.n
            present = [i for i, s in enumerate(self.shapes) if s]
            for i, text in zip(present, encode_each([self.shapes[i] for i in present])):
                shapes[i] = text
        timed = self.timed.tolist() if self.timer is not None else None
        out = []
        for i in range(self.n):
            items = []
            if timed is not None and timed[i]:
                items.append(f'"op":{i}')
            if seq[i] >= 0:
                items.append(f'"node":{seq[i]}')
            if shapes is not None and shapes[i] is not None:
                items.append(f'"shapes":{shapes[i]}')
            out.append("{" + ",".join(items) + "}" if items else None)
        return out

    def trace_events(self, pid) -> TraceEvents:
        """The events as a trace table: one track per thread, and the device work of each thread
        on a device track of its own, every device event naming its op's id in args."""
        names = np.array(self.key_names, dtype=object)
        kinds = np.array(self.key_kinds, dtype=object)
        backward_only = self._backward_only()
        thread_names = {
            (pid, t): self.thread_label(t, t in backward_only) for t in self.thread_names
        }
        name = names[self.code].tolist()
        cat = kinds[self.code].tolist()
        start = [self.t0 / 1e3]
        dur = [self.dur / 1e3]
        tid = [self.tid]
        args = self._args_json()
        if self.timer is not None and self.timed.any():
            idx = np.flatnonzero(self.timed)
            host = self.tid[idx]
            threads = list(dict.fromkeys(host.tolist()))
            lanes = {t: _DEVICE_TID + k for k, t in enumerate(threads)}
            for t, lane in lanes.items():
                label = self.timer.track_name
                thread_names[(pid, lane)] = label if len(lanes) == 1 else f"{label} (thread {t})"
            name += names[self.code[idx]].tolist()
            cat += ["kernel"] * len(idx)
            start.append(self.dev_start[idx])
            dur.append(self.dev_dur[idx])
            tid.append(np.array([lanes[t] for t in host.tolist()], np.int64))
            seq = self.seq[idx].tolist()
            args += [
                f'{{"op":{i},"node":{s}}}' if s >= 0 else f'{{"op":{i}}}'
                for i, s in zip(idx.tolist(), seq)
            ]
        tids = np.concatenate(tid)
        return TraceEvents(
            name=name,
            cat=cat,
            start_us=np.concatenate(start),
            dur_us=np.concatenate(dur),
            pid=np.full(len(tids), pid, np.int64),
            tid=tids,
            args_json=args,
            process_names={pid: "python"},
            thread_names=thread_names,
        )
