"""The profiler's result objects and PyTorch's key-averages table, column for column.

`FunctionEvent` (one event), `FunctionEventAvg` (events of one key added up) and `EventList`
(a list of either that prints as the table) have PyTorch's attributes and layout, read off
PyTorch 2.13's `torch.autograd.profiler_util`. Times are microseconds.
"""

from __future__ import annotations

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg"]


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
        return f"{nbytes * 1.0 / gb:.2f} GB"
    if abs(nbytes) >= mb:
        return f"{nbytes * 1.0 / mb:.2f} MB"
    if abs(nbytes) >= kb:
        return f"{nbytes * 1.0 / kb:.2f} KB"
    return f"{nbytes} B"


class _DeviceTimes:
    """The device-time views PyTorch offers beside `device_time_total` (cuda_* are its old
    names, still what the issue's users call)."""

    @property
    def device_time(self):
        return 0.0 if self.count == 0 else self.device_time_total / self.count

    cuda_time = device_time

    @property
    def self_cuda_time_total(self):
        return self.self_device_time_total

    @property
    def cuda_time_total(self):
        return self.device_time_total


class Interval:
    """An event's start and end (µs), as PyTorch's `FunctionEvent.time_range`."""

    __slots__ = ("start", "end")

    def __init__(self, start, end):
        self.start = start
        self.end = end

    def elapsed_us(self):
        return self.end - self.start

    def __repr__(self):
        return f"Interval(start={self.start}, end={self.end})"


class FunctionEvent(_DeviceTimes):
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
        return Interval(self.start_us, self.end_us)

    def __repr__(self):
        return (
            f"<FunctionEvent id={self.id} name={self.name} cpu_time={_format_time(self.cpu_time)} "
            f"start_us={self.start_us:.3f} end_us={self.end_us:.3f} "
            f"thread={self.thread} input_shapes={self.input_shapes} "
            f"cpu_memory_usage={self.cpu_memory_usage}>"
        )


class FunctionEventAvg(_DeviceTimes):
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

    def add(self, other):
        self.use_device = self.use_device or other.use_device
        self.count += other.count
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.device_time_total += other.device_time_total
        self.self_device_time_total += other.self_device_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        return self

    def __iadd__(self, other):
        return self.add(other)

    def __repr__(self):
        device = self.use_device or "cuda"
        return (
            f"<FunctionEventAvg key={self.key} "
            f"self_cpu_time={_format_time(self.self_cpu_time_total)}"
            f" cpu_time={_format_time(self.cpu_time)} "
            f" self_{device}_time={_format_time(self.self_device_time_total)}"
            f" {device}_time={_format_time(self.device_time)}"
            f" input_shapes={self.input_shapes if self.input_shapes is not None else []}"
            f" cpu_memory_usage={self.cpu_memory_usage} {device}_memory_usage=0>"
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
    """PyTorch's key-averages table; the device columns appear when any row has device time."""
    if len(events) == 0:
        return ""
    has_shapes = any(e.input_shapes for e in events)
    has_device_time = any(e.self_device_time_total > 0 for e in events)
    use_device = events[0].use_device or next((e.use_device for e in events if e.use_device), None)
    device = use_device.upper() if use_device else "None"
    if sort_by is not None:
        attr = sort_by.replace("cuda", "device").replace("xpu", "device")
        events = sorted(events, key=lambda e: getattr(e, attr), reverse=True)
    name_w = min(max(len(e.key) for e in events) + 4, max_name_column_width)
    shapes_w = min(max(len(str(e.input_shapes)) for e in events) + 4, max_shapes_column_width)
    stacks = [e.stack for e in events if e.stack]
    src_w = min(max((len(x) for st in stacks for x in st), default=0) + 4, max_src_column_width)
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if has_device_time:
        headers += [f"Self {device}", f"Self {device} %", f"{device} total", f"{device} time avg"]
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
    # every row's self device time counts: ours are measured per op, not per kernel
    device_total = sum(e.self_device_time_total for e in events)
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
        if has_device_time:
            row += [
                unit(e.self_device_time_total),
                _format_time_share(e.self_device_time_total, device_total),
                unit(e.device_time_total),
                unit(e.device_time),
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
    if has_device_time:
        out.append(f"Self {device} time total: {unit(device_total)}")
    return "\n".join(out) + "\n"
