"""workbench.trace.averages: the op table from a TraceEvents, equal to the profiler's own."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import workbench.engine as torch
from workbench.engine.autograd import profiler, profiler_cuda
from workbench.engine.autograd.profiler_cuda import FakeDeviceTimer
from workbench.trace import TraceEvents, dump, load
from workbench.trace.averages import key_averages
from workbench.trace.structure import Kind, nest, node_seqs, shape_texts, structure

FIXTURES = Path(__file__).parent / "fixtures"


def tutorial_profile(iterations=50, **kwargs):
    """The tutorial's loop, a record_function block, a scalar operand and backward."""
    x = torch.randn(2, 3, requires_grad=True)
    y = torch.randn(2, 3, requires_grad=True)
    z = torch.ones(2, 3, requires_grad=True)
    with profiler.profile(record_shapes=True, **kwargs) as prof:
        with profiler.record_function("loop"):
            for _ in range(iterations):
                z = (z / x) * y
        (z * 2.0).sum().backward()
    return prof


def assert_same_as_profiler(prof, avg, group_by_input_shape=False):
    expected = prof.key_averages(group_by_input_shape=group_by_input_shape)
    assert avg.name == [e.key for e in expected]
    assert avg.count.tolist() == [e.count for e in expected]
    np.testing.assert_allclose(
        avg.self_cpu_us, [e.self_cpu_time_total for e in expected], rtol=1e-9, atol=1e-6
    )
    np.testing.assert_allclose(
        avg.cpu_total_us, [e.cpu_time_total for e in expected], rtol=1e-9, atol=1e-6
    )
    np.testing.assert_allclose(avg.cpu_avg_us, [e.cpu_time for e in expected], rtol=1e-9)
    assert avg.self_cpu_time_total == pytest.approx(expected.self_cpu_time_total, abs=1e-6)
    if group_by_input_shape:
        assert avg.input_shapes == [str(e.input_shapes) for e in expected]


@pytest.mark.parametrize("group_by_input_shape", [False, True])
def test_equals_the_profilers_key_averages(group_by_input_shape):
    prof = tutorial_profile()
    avg = key_averages(prof.trace_events(), group_by_input_shape=group_by_input_shape)
    assert_same_as_profiler(prof, avg, group_by_input_shape)
    assert {"div", "mul", "loop", "MulBackward0", "DivBackward0"} <= set(avg.name)
    assert avg.count[avg.name.index("div")] == 50
    assert avg.device_total_us is None and not avg.has_device_times


def test_grouping_by_shape_splits_an_op_by_its_operands():
    prof = tutorial_profile(iterations=3)
    avg = key_averages(prof.trace_events(), group_by_input_shape=True)
    muls = [avg.input_shapes[i] for i, n in enumerate(avg.name) if n == "mul"]
    # z * y on two (2, 3) tensors; z * 2.0 with a scalar operand
    assert set(muls) == {"[[2, 3], []]", "[[2, 3], [2, 3]]"}
    assert avg.row_of("mul", "[[2, 3], []]") >= 0


def test_same_table_after_export_and_import(tmp_path):
    prof = tutorial_profile()
    path = dump(prof.trace_events(), tmp_path / "trace.json.gz")
    avg = key_averages(load(path), group_by_input_shape=True)
    live = key_averages(prof.trace_events(), group_by_input_shape=True)
    assert avg.name == live.name and avg.input_shapes == live.input_shapes
    assert avg.count.tolist() == live.count.tolist()
    # the file keeps times to the nanosecond
    np.testing.assert_allclose(avg.self_cpu_us, live.self_cpu_us, atol=1e-3 * avg.count.max())


def test_event_rows_and_node_links():
    prof = tutorial_profile(iterations=2)
    events = prof.trace_events()
    avg = key_averages(events)
    for i, name in enumerate(events.name):
        assert avg.name[avg.event_row[i]] == name
    seqs = node_seqs(events)
    function_events = prof.function_events
    assert seqs.tolist() == [e.sequence_nr for e in function_events]
    # the forward op that made a node and the backward node it ran share the number
    div = events.name.index("div")
    assert events.name[int(np.flatnonzero(seqs == seqs[div])[-1])] == "DivBackward0"
    # decoded args give the same numbers as the fast path over the JSON text
    decoded = TraceEvents(
        events.name,
        events.cat,
        events.start_us,
        events.dur_us,
        events.pid,
        events.tid,
        events.args,
        events.process_names,
        events.thread_names,
    )
    assert node_seqs(decoded).tolist() == seqs.tolist()
    assert shape_texts(decoded) == shape_texts(events)


def test_device_columns_equal_the_profilers(monkeypatch):
    monkeypatch.setattr(profiler_cuda, "make_device_timer", lambda: FakeDeviceTimer(step_us=1000.0))
    x = torch.ones(3, requires_grad=True)
    with profiler.profile(use_device="cuda", record_shapes=True) as prof:
        with profiler.record_function("block"):
            y = x * 2.0
            y + 1.0
        torch.autograd.grad((x * x).sum(), x, create_graph=True)
    avg = key_averages(prof.trace_events())
    assert_same_as_profiler(prof, avg)
    expected = prof.key_averages()
    np.testing.assert_allclose(avg.device_total_us, [e.device_time_total for e in expected])
    np.testing.assert_allclose(avg.self_device_us, [e.self_device_time_total for e in expected])
    assert avg.has_device_times
    assert avg.self_device_time_total == pytest.approx(
        expected.total_average().self_device_time_total
    )
    # the device track's own events are not rows
    assert "kernel" not in avg.name and len(avg.name) == len(expected)


def test_pytorch_trace_table():
    events = load(FIXTURES / "pytorch_profiler.json")
    avg = key_averages(events, group_by_input_shape=False)
    assert "PyTorch Profiler (0)" not in avg.name  # PyTorch's span of the whole trace
    assert avg.name[0] == "step"
    assert avg.count[avg.name.index("aten::div")] == 12
    assert avg.count[avg.name.index("aten::mul")] == 9
    step = events.name.index("step")
    children = [
        i
        for i in range(len(events))
        if events.tid[i] == events.tid[step]
        and i != step
        and events.start_us[i] >= events.start_us[step]
        and events.start_us[i] + events.dur_us[i] <= events.start_us[step] + events.dur_us[step]
    ]
    st = structure(events)
    top_children = [i for i in children if st.parent[i] == step]
    expected_self = events.dur_us[step] - events.dur_us[top_children].sum()
    assert avg.self_cpu_us[0] == pytest.approx(expected_self)
    assert st.kind[events.name.index("MulBackward0")] == Kind.BACKWARD
    assert st.kind[events.name.index("aten::div")] == Kind.FORWARD
    assert st.kind[step] == Kind.USER
    shaped = key_averages(events, group_by_input_shape=True)
    assert shaped.row_of("aten::div", "[[2, 3], [2, 3]]") >= 0


def stack_nesting(start, dur, track):
    """The profiler's loop, per track in start order: the reference for `nest`."""
    n = len(start)
    s = np.rint(np.asarray(start) * 1000).astype(np.int64)
    e = s + np.rint(np.asarray(dur) * 1000).astype(np.int64)
    order = sorted(range(n), key=lambda i: (track[i], s[i], -e[i], i))
    parent, depth, stacks = [-1] * n, [0] * n, {}
    for i in order:
        stack = stacks.setdefault(track[i], [])
        while stack and e[stack[-1]] <= s[i]:
            stack.pop()
        if stack:
            parent[i], depth[i] = stack[-1], len(stack)
        stack.append(i)
    return parent, depth


def test_nest_edge_cases():
    # equal spans (the first is the parent), a zero-length event at another's start (inside
    # it: the longer one opens first), touching events (no nesting), unsorted input, two tracks
    start = [5.0, 0.0, 0.0, 2.0, 2.0, 10.0, 0.0, 3.0]
    dur = [1.0, 10.0, 10.0, 0.0, 3.0, 1.0, 4.0, 1.0]
    track = [0, 0, 0, 0, 0, 0, 1, 1]
    parent, depth = nest(np.array(start), np.array(dur), np.array(track))
    assert parent.tolist() == [2, -1, 1, 4, 2, -1, -1, 6]
    assert depth.tolist() == [2, 0, 1, 3, 2, 0, 0, 1]
    ref_parent, ref_depth = stack_nesting(start, dur, track)
    assert parent.tolist() == ref_parent and depth.tolist() == ref_depth


@st.composite
def nested_spans(draw):
    spans = []

    def fill(track, a, b, level):
        t = a
        while len(spans) < 80:
            gap = draw(st.integers(0, 40))
            length = draw(st.integers(0, 300))
            if t + gap + length > b:
                return
            s = t + gap
            spans.append((s / 1000, length / 1000, track))
            if level < 4 and length and draw(st.booleans()):
                fill(track, s, s + length, level + 1)
            t = s + length

    for track in range(draw(st.integers(1, 3))):
        fill(track, 0, 3000, 0)
    perm = draw(st.permutations(range(len(spans))))
    return [spans[i] for i in perm]


@given(nested_spans())
def test_nest_matches_the_profilers_stack(spans):
    start = [s for s, _, _ in spans]
    dur = [d for _, d, _ in spans]
    track = [t for _, _, t in spans]
    parent, depth = nest(np.array(start, float), np.array(dur, float), np.array(track))
    ref_parent, ref_depth = stack_nesting(start, dur, track)
    assert depth.tolist() == ref_depth
    assert parent.tolist() == ref_parent
