"""The Chrome trace writer (`workbench.trace.dump`, the profiler's too): the exact text it writes,
the edge cases of its bulk number formatting, and the args it takes as dicts or as JSON text."""

import json
from pathlib import Path

import numpy as np
import pytest

from workbench.trace import TraceEvents, dump, dumps, load, validate

FIXTURES = Path(__file__).parent / "fixtures"


def test_the_text_written():
    ev = TraceEvents(
        name=["step", "mul"],
        cat=["user_annotation", "cpu_op"],
        start_us=[0.0, 1.25],
        dur_us=[10.0, 2.0004],
        pid=[7, 7],
        tid=[3, 3],
        args=[None, {"node": 4}],
        process_names={7: "python"},
        thread_names={(7, 3): "thread 3 (MainThread)"},
    )
    assert dumps(ev) == (
        '{"traceEvents":[\n'
        '{"ph":"M","name":"process_name","pid":7,"tid":0,"args":{"name":"python"}},\n'
        '{"ph":"M","name":"thread_name","pid":7,"tid":3,"args":{"name":"thread 3 (MainThread)"}},\n'
        '{"ph":"X","cat":"user_annotation","name":"step","pid":7,"tid":3,"ts":0.000,"dur":10.000},\n'
        '{"ph":"X","cat":"cpu_op","name":"mul","pid":7,"tid":3,"ts":1.250,"dur":2.000,'
        '"args":{"node":4}}\n'
        '],"displayTimeUnit":"ms"}\n'
    )


def test_times_of_every_size_and_sign():
    starts = [0.0, 0.0004, 0.0005, 9.9996, 123456.789, -1.5, -0.25, 4.8e12, 1.7e15, 5e16]
    n = len(starts)
    ev = TraceEvents(
        name=["e"] * n, start_us=starts, dur_us=[1e-9] * n, pid=[1] * n, tid=np.arange(n)
    )
    text = dumps(ev)
    stamps = [line.split('"ts":')[1].split(",")[0] for line in text.splitlines() if '"X"' in line]
    assert stamps[:7] == ["0.000", "0.000", "0.000", "10.000", "123456.789", "-1.500", "-0.250"]
    assert stamps[7] == "4800000000000.000"
    back = load(text)
    np.testing.assert_allclose(back.start_us, starts, rtol=1e-15, atol=5e-4)
    assert (back.dur_us == 0).all()
    assert dumps(back) == text  # read back and written again: the same text


def test_names_are_escaped_once_and_right():
    names = ['quote " and \\ and ü', "tab\tnewline\n", "\x00nul", "mul"]
    ev = TraceEvents(
        name=names * 3, start_us=np.arange(12.0), dur_us=[0.5] * 12, pid=[1] * 12, tid=[1] * 12
    )
    text = dumps(ev)
    assert load(text).name == names * 3
    assert json.loads(text)["traceEvents"][2]["name"] == names[0]


def test_args_as_json_text_are_decoded_on_first_use():
    ev = TraceEvents(
        name=["a", "b", "c"],
        start_us=[0.0, 1.0, 2.0],
        dur_us=[1.0] * 3,
        pid=[1] * 3,
        tid=[1] * 3,
        args_json=['{"node":5}', None, '{"op":2,"shapes":[[2,3]]}'],
    )
    text = dumps(ev)
    assert ev.args == [{"node": 5}, None, {"op": 2, "shapes": [[2, 3]]}]
    assert dumps(ev) == text  # the dicts encode to the text they came from
    ev.args[1] = {"edited": True}  # from now on the dicts are what is written
    assert load(dumps(ev)).args[1] == {"edited": True}
    ev.args = [None, None, None]
    assert not any('"args"' in line for line in dumps(ev).splitlines() if '"X"' in line)


def test_tracks_are_named_in_first_seen_order_across_processes():
    ev = TraceEvents(
        name=list("abcd"),
        start_us=[0.0, 0.0, 1.0, 0.0],
        dur_us=[1.0] * 4,
        pid=[9, 2, 9, 2],
        tid=[(1 << 40), 5, (1 << 40), -3],  # ids past 32 bits and negative ones (load's labels)
        process_names={9: "nine", 2: "two"},
    )
    meta = [json.loads(line.rstrip(",")) for line in dumps(ev).splitlines()[1:6]]
    assert [(m["name"], m["pid"], m["tid"]) for m in meta] == [
        ("process_name", 9, 0),
        ("process_name", 2, 0),
        ("thread_name", 9, 1 << 40),
        ("thread_name", 2, 5),
        ("thread_name", 2, -3),
    ]
    assert ev.threads() == [(9, 1 << 40), (2, 5), (2, -3)]
    assert validate(dumps(ev)).threads == 3


def test_a_pytorch_trace_read_back_is_written_in_our_form_and_stays_so(tmp_path):
    ev = load(FIXTURES / "pytorch_profiler.json")
    first = dump(ev, tmp_path / "ours.json").read_bytes()
    validate(tmp_path / "ours.json")
    again = dump(load(tmp_path / "ours.json"), tmp_path / "again.json").read_bytes()
    assert again == first


def test_gzip_bytes_depend_on_the_events_only(tmp_path):
    ev = TraceEvents(name=["a"], start_us=[0.0], dur_us=[1.0], pid=[1], tid=[1])
    one = dump(ev, tmp_path / "one.json.gz").read_bytes()
    two = dump(ev, tmp_path / "two.json.gz").read_bytes()
    assert one == two and one[:2] == b"\x1f\x8b"


def test_columns_must_agree_with_json_args():
    with pytest.raises(ValueError, match="columns differ in length"):
        TraceEvents(name=["a"], start_us=[0.0], dur_us=[1.0], pid=[1], tid=[1], args_json=[])
