"""workbench.trace.validate: the rules of DESIGN.md §6, each violation named with its event."""

import copy
import gzip
import json
from pathlib import Path

import pytest

from workbench.trace import TraceError, TraceReport, validate

FIXTURES = Path(__file__).parent / "fixtures"


def good_trace() -> dict:
    return {
        "traceEvents": [
            {"ph": "M", "name": "process_name", "pid": 1, "tid": 0, "args": {"name": "wb"}},
            {"ph": "M", "name": "thread_name", "pid": 1, "tid": 5, "args": {"name": "main"}},
            {"ph": "X", "name": "step", "pid": 1, "tid": 5, "ts": 0, "dur": 10.0},
            {"ph": "X", "name": "mul", "pid": 1, "tid": 5, "ts": 1.5, "dur": 2, "args": {"a": 1}},
            {"ph": "X", "name": "div", "pid": 1, "tid": 5, "ts": 4.0, "dur": 6.0},
            {"ph": "X", "name": "neg", "pid": 1, "tid": 5, "ts": 12.0, "dur": 0.0},
        ]
    }


def test_accepts_a_good_trace_in_every_form(tmp_path):
    trace = good_trace()
    text = json.dumps(trace)
    plain = tmp_path / "t.json"
    plain.write_text(text)
    zipped = tmp_path / "t.json.gz"
    zipped.write_bytes(gzip.compress(text.encode()))
    for source in (trace, text, text.encode(), plain, str(plain), zipped):
        report = validate(source)
        assert isinstance(report, TraceReport)
        assert report.events == 6
        assert report.complete_events == 4
        assert (report.processes, report.threads, report.max_depth) == (1, 1, 2)


def test_accepts_the_hand_written_fixture():
    report = validate(FIXTURES / "workbench_small.json")
    assert report.threads == 2 and report.complete_events == 5 and report.max_depth == 2


def test_children_may_share_their_parents_edges_and_round_off():
    trace = good_trace()
    events = trace["traceEvents"]
    events.append({"ph": "X", "name": "a", "pid": 1, "tid": 5, "ts": 20.0, "dur": 5.0})
    events.append({"ph": "X", "name": "b", "pid": 1, "tid": 5, "ts": 20.0, "dur": 5.0})
    # Rounding to the nanosecond can push a child a hair past its parent's end.
    events.append({"ph": "X", "name": "c", "pid": 1, "tid": 5, "ts": 22.0, "dur": 3.001})
    assert validate(trace).max_depth == 3


def test_threads_are_checked_separately():
    trace = good_trace()
    trace["traceEvents"] += [
        {"ph": "M", "name": "thread_name", "pid": 1, "tid": 6, "args": {"name": "backward"}},
        {"ph": "X", "name": "MulBackward0", "pid": 1, "tid": 6, "ts": 3.0, "dur": 5.0},
    ]
    assert validate(trace).threads == 2


def broken(mutate):
    trace = copy.deepcopy(good_trace())
    mutate(trace)
    return trace


def _set(index, **fields):
    def mutate(trace):
        trace["traceEvents"][index].update(fields)

    return mutate


def _drop(index, key):
    def mutate(trace):
        del trace["traceEvents"][index][key]

    return mutate


@pytest.mark.parametrize(
    "mutate, message",
    [
        (_drop(3, "ph"), 'event 3: missing "ph"'),
        (_drop(3, "name"), 'event 3 (X): missing "name"'),
        (_set(3, ts="1.5"), "event 3 (X 'mul'): \"ts\" must be a number, got '1.5'"),
        (_drop(3, "dur"), "event 3 (X 'mul'): \"dur\" must be a number, got None"),
        (_set(3, dur=-1.0), "event 3 (X 'mul'): \"dur\" is negative (-1.0)"),
        (_set(3, pid="1"), "event 3 (X 'mul'): \"pid\" must be an integer, got '1'"),
        (_set(3, tid=5.0), "event 3 (X 'mul'): \"tid\" must be an integer, got 5.0"),
        (_set(3, tid=True), "event 3 (X 'mul'): \"tid\" must be an integer, got True"),
        (_set(3, args=[1, 2]), "event 3 (X 'mul'): args must be an object"),
        (_set(1, args={}), "event 1 (M 'thread_name'): args.name must be a string"),
        (_set(1, tid=9), "event 2: thread 5 of process 1 has no thread_name metadata (M) event"),
        (_set(0, pid=2), "event 2: process 1 has no process_name metadata (M) event"),
        (_set(3, ts=9.0), "event 3 (X 'mul'): overlaps event 4 ('div')"),
        (_set(5, ts=9.0, dur=3.0), "event 5 (X 'neg'): overlaps event 4 ('div')"),
    ],
)
def test_rejects_each_rule_violation_naming_it(mutate, message):
    trace = broken(mutate)
    with pytest.raises(TraceError) as info:
        validate(trace)
    assert message in str(info.value)


def test_partial_overlap_message_gives_the_times():
    trace = broken(_set(4, ts=3.0))  # div starts inside mul (1.5–3.5) and ends after it
    with pytest.raises(TraceError, match=r"starts at 3 µs inside \[1.5, 3.5\] but ends at 9 µs"):
        validate(trace)


def test_rejects_non_traces(tmp_path):
    with pytest.raises(TraceError, match="must be a JSON object"):
        validate([{"ph": "X"}])
    with pytest.raises(TraceError, match='no "traceEvents" list'):
        validate({"events": []})
    with pytest.raises(TraceError, match="event 0: not a JSON object"):
        validate({"traceEvents": [3]})
    with pytest.raises(TraceError, match="not valid JSON"):
        validate(b"{nope")
    bad_gz = tmp_path / "t.json.gz"
    bad_gz.write_bytes(gzip.compress(b"{}")[:12])
    with pytest.raises(TraceError, match="not valid gzip"):
        validate(bad_gz)
    with pytest.raises(TraceError, match="cannot read trace"):
        validate(tmp_path / "missing.json")
    with pytest.raises(TypeError, match="expected a path"):
        validate(3.5)
    assert issubclass(TraceError, ValueError)


def test_pytorch_traces_use_string_pids_which_our_rules_reject():
    # PyTorch writes pid "Spans" for its profiler span: load() reads it, validate() is for ours.
    with pytest.raises(TraceError, match='"pid" must be an integer'):
        validate(FIXTURES / "pytorch_profiler.json")
