"""workbench.trace.load / dump: our traces and PyTorch's read into one table; dump round-trips."""

import gzip
import json
import time
from pathlib import Path

import numpy as np
import pytest

from workbench.trace import TraceError, TraceEvents, dump, dumps, load, validate

FIXTURES = Path(__file__).parent / "fixtures"


def sample_events(n: int = 5) -> TraceEvents:
    names = ["mul", "div", "MulBackward0", "DivBackward0", "AccumulateGrad"]
    return TraceEvents(
        name=[names[i % 5] for i in range(n)],
        cat=["op"] * n,
        start_us=np.arange(n) * 3.1234567 + 1000.0,
        dur_us=np.full(n, 1.2345678),
        pid=np.full(n, 4242),
        tid=np.ones(n, dtype=np.int64),
        # Forward ops carry ids and shapes; backward nodes their node id, like the profiler's.
        args=[
            {"op_id": i, "node_id": 100 + i, "shapes": [[2, 3], [2, 3]]}
            if i % 5 < 2
            else {"node_id": 100 + i}
            for i in range(n)
        ],
        process_names={4242: "workbench"},
        thread_names={(4242, 1): "main"},
    )


def test_load_our_format():
    ev = load(FIXTURES / "workbench_small.json")
    assert len(ev) == 5
    assert ev.name == ["step", "div", "mul", "MulBackward0", "DivBackward0"]
    assert ev.cat == ["user", "op", "op", "backward", "backward"]
    np.testing.assert_array_equal(ev.start_us, [0.0, 1.0, 4.0, 12.0, 15.0])
    np.testing.assert_array_equal(ev.dur_us, [10.0, 2.5, 6.0, 3.0, 2.0])
    np.testing.assert_array_equal(ev.end_us, [10.0, 3.5, 10.0, 15.0, 17.0])
    assert ev.pid.dtype == np.int64 and ev.tid.tolist() == [1, 1, 1, 2, 2]
    assert ev.args[0] is None
    assert ev.args[1] == {"op_id": 1, "node_id": 11, "shapes": [[2, 3], [2, 3]]}
    assert ev.process_names == {7: "workbench"}
    assert ev.thread_names == {(7, 1): "main", (7, 2): "backward"}
    assert ev.threads() == [(7, 1), (7, 2)]


def test_load_pytorch_profiler_json():
    # Written by torch.profiler.profile(record_shapes=True) + export_chrome_trace on the tutorial
    # loop (3 iterations of z = (z / x) * y, then z.sum().backward()) inside record_function.
    ev = load(FIXTURES / "pytorch_profiler.json")
    raw = json.loads((FIXTURES / "pytorch_profiler.json").read_text())["traceEvents"]
    assert len(ev) == sum(e["ph"] == "X" for e in raw) == 57  # flow/instant/M events skipped
    assert ev.name.count("aten::mul") == 9 and ev.name.count("aten::div") == 12
    assert "MulBackward0" in ev.name and "step" in ev.name
    assert set(ev.cat) == {"cpu_op", "user_annotation", "Trace"}
    step = ev.name.index("step")
    assert ev.cat[step] == "user_annotation"
    mul = ev.name.index("aten::mul")
    assert ev.args[mul]["Input Dims"] == [[2, 3], [2, 3]]
    assert ev.start_us.dtype == np.float64 and (ev.dur_us >= 0).all()
    # Every op lies inside the "step" annotation on the main thread.
    main = (ev.pid == ev.pid[step]) & (ev.tid == ev.tid[step])
    assert (ev.start_us[main] >= ev.start_us[step]).all()
    assert (ev.end_us[main] <= ev.end_us[step] + 1e-3).all()
    assert ev.process_names[int(ev.pid[step])] == "python"
    assert ev.thread_name(int(ev.pid[step]), int(ev.tid[step])).startswith("thread ")
    # PyTorch's own span lives on pid "Spans", tid "PyTorch Profiler": labels become names.
    span = ev.name.index("PyTorch Profiler (0)")
    assert ev.process_name(int(ev.pid[span])) == "Spans"
    assert ev.thread_name(int(ev.pid[span]), int(ev.tid[span])) == "PyTorch Profiler"
    # Re-exported in our format, it passes our rules.
    validate(dumps(ev))


def test_load_errors():
    with pytest.raises(TraceError, match='no "traceEvents" list'):
        load({"foo": 1})
    with pytest.raises(TraceError, match="event 0: X event without a numeric ts"):
        load({"traceEvents": [{"ph": "X", "name": "a"}]})
    assert len(load([{"ph": "X", "name": "a", "ts": 1, "dur": 2, "pid": 1, "tid": 1}])) == 1


def test_table_columns_must_agree():
    with pytest.raises(ValueError, match="columns differ in length"):
        TraceEvents(name=["a"], start_us=[0.0, 1.0], dur_us=[1.0], pid=[1], tid=[1])
    empty = TraceEvents()
    assert len(empty) == 0 and empty.threads() == []
    validate(dumps(empty))


@pytest.mark.parametrize("suffix", [".json", ".json.gz"])
def test_dump_load_validate_round_trip(tmp_path, suffix):
    ev = sample_events(50)
    ev.args[3] = None
    ev.name[4] = 'quote " and \\ and ü'
    path = dump(ev, tmp_path / f"trace{suffix}")
    raw = path.read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == suffix.endswith(".gz")
    if suffix.endswith(".gz"):
        raw = gzip.decompress(raw)
    json.loads(raw)  # plain JSON for any reader
    report = validate(path)
    assert report.complete_events == 50 and report.threads == 1
    back = load(path)
    assert back.name == ev.name and back.cat == ev.cat and back.args == ev.args
    np.testing.assert_allclose(back.start_us, ev.start_us, atol=5e-4)
    np.testing.assert_allclose(back.dur_us, ev.dur_us, atol=5e-4)
    assert back.pid.tolist() == ev.pid.tolist() and back.tid.tolist() == ev.tid.tolist()
    assert back.process_names == {4242: "workbench"}
    assert back.thread_names == {(4242, 1): "main"}


def test_dump_names_unnamed_tracks():
    ev = TraceEvents(
        name=["a", "b"], start_us=[0.0, 0.0], dur_us=[1.0, 1.0], pid=[3, 3], tid=[1, 2]
    )
    back = load(dumps(ev))
    assert back.process_names == {3: "process 3"}
    assert back.thread_names == {(3, 1): "thread 1", (3, 2): "thread 2"}


def test_dump_refuses_non_finite_times():
    ev = sample_events(3)
    ev.dur_us[1] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        dumps(ev)


def test_dump_args_holding_the_split_sentinel_survive():
    ev = sample_events(3)
    ev.args[1] = {"note": "\x00wb-split\x00"}
    assert load(dumps(ev)).args == ev.args


def test_dump_size_and_speed_per_event(tmp_path):
    n = 100_000
    ev = sample_events(n)
    start = time.perf_counter()
    path = dump(ev, tmp_path / "big.json")
    elapsed = time.perf_counter() - start
    size = path.stat().st_size / n
    assert size <= 150, f"{size:.1f} bytes per event"
    # The target is 0.5 s per 100,000 events; the bound leaves room for a loaded CI machine.
    assert elapsed < 3.0, f"dump took {elapsed:.2f} s for {n} events"
