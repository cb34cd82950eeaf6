"""How the profiler records: each event is stored once, when it ends, and the events are put
back in start order with their nesting when the profile is read. These tests drive a stand-in
clock, so that every start, end and nesting is known exactly."""

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench.engine as torch
from workbench.engine.autograd import profiler


class _Clock:
    """The profiler's clock (seconds): 1 µs per reading, plus the jumps a test asks for."""

    def __init__(self):
        self.s = 5000.0

    def __call__(self):
        self.s += 1e-6
        return self.s

    def advance(self, us):
        self.s += us * 1e-6


@pytest.fixture
def clock(monkeypatch):
    c = _Clock()
    monkeypatch.setattr(profiler, "_clock", c)
    return c


# a block: ("block", children) is a record_function around its children; ("op", us) a mul
# after `us` µs of work outside any op
_blocks = st.recursive(
    st.tuples(st.just("op"), st.integers(0, 5)),
    lambda inner: st.tuples(st.just("block"), st.lists(inner, max_size=4)),
    max_leaves=12,
)


def _run(tree, x, clock, names):
    kind, arg = tree
    if kind == "op":
        clock.advance(arg)
        x * 2.0
        return ("mul", [])
    name = f"b{len(names)}"
    names.append(name)
    with profiler.record_function(name):
        children = [_run(t, x, clock, names) for t in arg]
    return (name, children)


def _shape(ev):
    return (ev.name, [_shape(c) for c in ev.cpu_children])


@settings(max_examples=40, deadline=None)
@given(trees=st.lists(_blocks, max_size=4), record_shapes=st.booleans())
def test_nesting_is_rebuilt_from_events_stored_at_their_end(trees, record_shapes):
    clock = _Clock()
    saved = profiler._clock
    profiler._clock = clock
    try:
        x = torch.ones(2, 3)
        names = []
        with profiler.profile(record_shapes=record_shapes) as prof:
            expected = [_run(t, x, clock, names) for t in trees]
    finally:
        profiler._clock = saved
    evs = prof.function_events
    top = [e for e in evs if e.cpu_parent is None]
    assert [_shape(e) for e in top] == expected
    # start order, and every event's self time is its total less its children's
    starts = [e.time_range.start for e in evs]
    assert starts == sorted(starts)
    for e in evs:
        kids = sum(c.cpu_time_total for c in e.cpu_children)
        assert e.self_cpu_time_total == pytest.approx(e.cpu_time_total - kids, abs=1e-6)
        assert e.cpu_time_total > 0


def test_ops_and_nodes_carry_the_clock_readings_around_them(clock):
    x = torch.ones(2, requires_grad=True)
    with profiler.profile() as prof:
        clock.advance(10)
        y = x * 2.0  # the op reads the clock at its start and its end: 1 µs
        clock.advance(10)
        y.sum().backward()
    evs = {e.name: e for e in prof.function_events}
    mul = evs["mul"]
    assert mul.cpu_time_total == pytest.approx(1.0, abs=1e-3)
    assert mul.time_range.start == pytest.approx(11.0, abs=1e-3)  # 10 µs, then the op's read
    node = evs["MulBackward0"]
    assert node.cpu_time_total == pytest.approx(1.0, abs=1e-3)
    assert node.time_range.start > mul.time_range.end
    assert node.sequence_nr == mul.sequence_nr >= 0


def test_an_op_that_raises_is_still_recorded():
    x = torch.ones(2, 3, requires_grad=True)
    with profiler.profile() as prof:
        with pytest.raises(RuntimeError, match="must match"):
            torch.add(x, torch.ones(4))
        x * 2.0
    (add, mul) = prof.function_events
    assert (add.name, add.sequence_nr) == ("add", -1)  # it made no graph node
    assert mul.name == "mul" and mul.sequence_nr >= 0
    assert add.time_range.end <= mul.time_range.start


def test_a_block_still_open_when_profiling_stops_ends_with_it(clock):
    x = torch.ones(2)
    block = profiler.record_function("open")
    with profiler.profile() as prof:
        block.__enter__()
        x * 2.0
        clock.advance(50)
    block.__exit__(None, None, None)
    evs = {e.name: e for e in prof.function_events}
    assert evs["mul"].cpu_parent is evs["open"]
    assert evs["open"].cpu_time_total >= 50
    assert evs["open"].time_range.end == pytest.approx(prof.function_events[0].time_range.end)


def test_each_thread_records_into_its_own_buffer():
    x = torch.ones(2, requires_grad=True)
    barrier = threading.Barrier(2)

    def work():
        barrier.wait()  # both threads record at once
        for _ in range(200):
            (x * 2.0).sum().backward()

    with profiler.profile() as prof:
        t = threading.Thread(target=work)
        t.start()
        work()
        t.join()
    evs = prof.function_events
    by_thread = {}
    for e in evs:
        by_thread.setdefault(e.thread, []).append(e)
    assert len(by_thread) == 2
    for mine in by_thread.values():
        assert [e.name for e in mine].count("mul") == 200
        assert [e.name for e in mine].count("MulBackward0") == 200
        # one thread's events never overlap without nesting
        top = [e for e in mine if e.cpu_parent is None]
        for a, b in zip(top, top[1:]):
            assert a.time_range.end <= b.time_range.start
