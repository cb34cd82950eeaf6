"""The profiler's Chrome trace: one writer shared with workbench.trace, byte for byte, and tracks
named for every thread (backward work called from another thread on a track of its own)."""

import gzip
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import workbench.engine as torch
import workbench.trace
from workbench.engine.autograd import chrome_trace, profiler
from workbench.trace import TraceEvents, dump, load, validate

REPO_ROOT = Path(__file__).resolve().parents[2]


def tutorial_loop(iters=3, reps=2):
    x = torch.randn((2, 3), requires_grad=True)
    y = torch.randn((2, 3), requires_grad=True)
    for _ in range(reps):
        z = torch.ones((2, 3), requires_grad=True)
        for _ in range(iters):
            z = (z / x) * y
        z.sum().backward()


def exported(prof, path):
    """Export, then check what every trace must be: JSON, and valid by DESIGN.md §6."""
    prof.export_chrome_trace(path)
    raw = Path(path).read_bytes()
    text = gzip.decompress(raw) if str(path).endswith(".gz") else raw
    trace = json.loads(text)
    validate(trace)
    return raw, trace


def test_one_writer_for_the_profiler_and_workbench_trace():
    assert workbench.trace.dump is chrome_trace.dump
    assert workbench.trace.dumps is chrome_trace.dumps
    assert workbench.trace.TraceEvents is chrome_trace.TraceEvents
    # and nothing else in the code base spells out a Chrome trace
    writers = [
        p.relative_to(REPO_ROOT).as_posix()
        for p in (REPO_ROOT / "workbench").rglob("*.py")
        if '{"traceEvents":[' in p.read_text(encoding="utf-8")
    ]
    assert writers == ["workbench/engine/autograd/chrome_trace.py"]


def test_the_engine_writer_imports_nothing_above_the_engine():
    # DESIGN.md §3: engine <- trace. Importing the profiler must not load workbench.trace.
    code = (
        "import sys, workbench.engine.autograd.profiler as p, json;"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('workbench'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout)
    assert [m for m in loaded if m != "workbench" and not m.startswith("workbench.engine")] == []


@pytest.mark.parametrize("suffix", [".json", ".json.gz"])
def test_export_and_dump_write_identical_bytes(tmp_path, suffix):
    with profiler.profile(record_shapes=True) as prof:
        with profiler.record_function("loop"):
            tutorial_loop()
    raw, trace = exported(prof, tmp_path / f"export{suffix}")
    via_trace = dump(prof.trace_events(), tmp_path / f"dump{suffix}").read_bytes()
    assert via_trace == raw
    # the args as dicts (what `load` and users see) encode to the same text as the profiler's
    ev = prof.trace_events()
    as_dicts = TraceEvents(
        ev.name, ev.cat, ev.start_us, ev.dur_us, ev.pid, ev.tid, ev.args,
        ev.process_names, ev.thread_names,
    )  # fmt: skip
    assert dump(as_dicts, tmp_path / f"dicts{suffix}").read_bytes() == raw
    # and a trace read back writes out unchanged: load -> dump is stable
    assert dump(load(tmp_path / f"export{suffix}"), tmp_path / f"again{suffix}").read_bytes() == raw
    xs = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert len(xs) == len(prof.function_events)
    div = next(e for e in xs if e["name"] == "div")
    assert div["args"]["shapes"] == [[2, 3], [2, 3]]


def test_gzip_round_trip(tmp_path):
    with profiler.profile() as prof:
        tutorial_loop()
    plain, trace = exported(prof, tmp_path / "t.json")
    zipped, trace_gz = exported(prof, tmp_path / "t.json.gz")
    assert zipped[:2] == b"\x1f\x8b" and gzip.decompress(zipped) == plain
    assert trace_gz == trace
    back = load(tmp_path / "t.json.gz")
    assert back.name == [e.name for e in prof.function_events]


def test_trace_events_match_the_function_events(tmp_path):
    x = torch.ones(2, 3, requires_grad=True)
    with profiler.profile() as prof:
        (x * 3.0).sum().backward()
    ev = prof.trace_events()
    fe = prof.function_events
    assert ev.name == [e.name for e in fe]
    assert ev.cat[: len(fe)] == ["cpu_op" if e.name in ("mul", "sum") else "backward" for e in fe]
    for k, e in enumerate(fe):
        assert ev.start_us[k] == pytest.approx(e.start_us)
        assert ev.dur_us[k] == pytest.approx(e.cpu_time_total)
        assert ev.args[k] == ({"node": e.sequence_nr} if e.sequence_nr >= 0 else None)
    _, trace = exported(prof, tmp_path / "t.json")
    xs = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    mul = next(e for e in xs if e["name"] == "mul")
    node = next(e for e in xs if e["name"] == "MulBackward0")
    assert mul["args"]["node"] == node["args"]["node"]  # a forward op links to its node
    assert mul["cat"] == "cpu_op" and node["cat"] == "backward"


def test_backward_called_from_another_thread_gets_its_own_track(tmp_path):
    x = torch.ones(2, 3, requires_grad=True)
    with profiler.profile() as prof:
        with profiler.record_function("forward"):
            loss = (x * 2.0).sum()
        t = threading.Thread(target=loss.backward, name="bw")
        t.start()
        t.join()
    _, trace = exported(prof, tmp_path / "t.json")
    evs = trace["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in evs if e["name"] == "thread_name"}
    main = threading.main_thread().native_id
    assert names == {
        main: f"thread {main} (MainThread)",
        t.native_id: f"backward (thread {t.native_id}, bw)",
    }
    by_tid = {}
    for e in evs:
        if e["ph"] == "X":
            by_tid.setdefault(e["tid"], []).append(e["name"])
    assert by_tid[main] == ["forward", "mul", "sum"]
    assert by_tid[t.native_id] == [
        "SumBackward0",
        "MulBackward0",
        "torch::autograd::AccumulateGrad",
    ]
    assert validate(trace).threads == 2
    (process,) = [e for e in evs if e["name"] == "process_name"]
    assert process["args"]["name"] == "python" and process["pid"] == evs[-1]["pid"]


def test_empty_profile_exports_a_valid_trace(tmp_path):
    with profiler.profile() as prof:
        pass
    _, trace = exported(prof, tmp_path / "t.json")
    assert trace["traceEvents"] == []


def test_memory_cells_use_pytorchs_units():
    with profiler.profile(profile_memory=True) as prof:
        torch.ones(100) * 2.0
        torch.ones(1024) * 2.0
    rows = prof.key_averages().table().splitlines()
    (mul,) = [r for r in rows if r.split()[0] == "mul"]
    assert "4.39 KB" in mul  # 400 B + 4096 B
