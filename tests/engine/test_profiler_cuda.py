"""`profile(use_cuda=True)`: device times, the table's CUDA columns and the trace's device track.

The sums, columns and tracks are checked on any machine with `FakeDeviceTimer`, whose k-th mark
lies k steps after the start; the `gpu` tests run the same through CuPy's CUDA events.
Column names and order were read off PyTorch 2.13's `profiler_util._build_table`.
"""

import json
import re
import threading
import warnings

import pytest

import workbench.engine as torch
from workbench.engine.autograd import profiler, profiler_cuda
from workbench.engine.autograd.profiler_cuda import FakeDeviceTimer
from workbench.trace import validate

STEP = 1000.0  # µs per fake mark: every timed op without children lasts 1 ms on the "device"


@pytest.fixture
def fake_gpu(monkeypatch):
    timers = []

    def make(**kw):
        timers.append(FakeDeviceTimer(step_us=STEP, **kw))
        return timers[-1]

    monkeypatch.setattr(profiler_cuda, "make_device_timer", make)
    return make


def cuda_profile(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # use_device is the current spelling: no warning
        return profiler.profile(use_device="cuda", **kw)


def averages(prof):
    return {a.key: a for a in prof.key_averages()}


def test_device_times_add_up_through_nesting(fake_gpu):
    x = torch.ones(2, 3)
    with cuda_profile() as prof:
        with profiler.record_function("block"):
            y = x * 2.0  # marks 1, 2
            y + 1.0  # marks 3, 4
        y * 3.0  # marks 5, 6
    avg = averages(prof)
    assert avg["mul"].count == 2
    assert avg["mul"].cuda_time_total == avg["mul"].device_time_total == 2 * STEP
    assert avg["mul"].self_cuda_time_total == 2 * STEP
    assert avg["mul"].cuda_time == STEP  # per call
    assert avg["add"].cuda_time_total == STEP
    # the block is not timed itself: its total is its children's, its self time nothing
    assert avg["block"].cuda_time_total == 2 * STEP
    assert avg["block"].self_cuda_time_total == 0
    assert prof.total_average().self_device_time_total == 3 * STEP
    evs = {e.name: e for e in prof.function_events if e.name != "mul"}
    assert evs["block"].device_time_total == 2 * STEP
    assert evs["add"].self_device_time_total == STEP and evs["add"].use_device == "cuda"


def test_backward_nodes_of_device_ops_are_timed_and_nest(fake_gpu):
    x = torch.ones(3, requires_grad=True)
    with cuda_profile() as prof:
        torch.autograd.grad((x * x).sum(), x, create_graph=True)
    node = next(e for e in prof.function_events if e.name == "MulBackward0")
    # its backward runs two muls (grad * x twice, under create_graph), each a device op
    assert [c.name for c in node.cpu_children] == ["mul", "mul"]
    assert all(c.device_time_total == STEP for c in node.cpu_children)
    assert node.device_time_total == 5 * STEP  # marks: start, 2 x (start, end), end
    assert node.self_device_time_total == 3 * STEP
    assert averages(prof)["MulBackward0"].self_cuda_time_total == 3 * STEP


def test_table_gains_pytorchs_cuda_columns(fake_gpu):
    x = torch.ones(2, 3)
    with cuda_profile() as prof:
        with profiler.record_function("block"):
            x * 2.0
            x * 2.0
            x + 1.0
    table = prof.key_averages().table(sort_by="self_cuda_time_total")
    lines = table.splitlines()
    headers = re.split(r"\s{2,}", lines[1].strip())
    assert headers == [
        "Name",
        "Self CPU %",
        "Self CPU",
        "CPU total %",
        "CPU total",
        "CPU time avg",
        "Self CUDA",
        "Self CUDA %",
        "CUDA total",
        "CUDA time avg",
        "# of Calls",
    ]
    assert lines[-2] == "Self CPU time total: " + lines[-2].split(": ")[1]
    assert lines[-1] == "Self CUDA time total: 3.000ms"
    rows = {r.split()[0]: r.split() for r in lines[3:-3]}
    assert list(rows) == ["mul", "add", "block"]  # sorted by self CUDA time
    assert rows["mul"][6:11] == ["2.000ms", "66.67%", "2.000ms", "1.000ms", "2"]
    assert rows["add"][6:11] == ["1.000ms", "33.33%", "1.000ms", "1.000ms", "1"]
    assert rows["block"][6:11] == ["0.000us", "0.00%", "3.000ms", "3.000ms", "1"]
    by_total = prof.key_averages().table(sort_by="cuda_time_total").splitlines()
    assert by_total[3].split()[0] == "block"
    # with memory columns too, the CUDA ones come first, as in PyTorch
    with cuda_profile(profile_memory=True) as prof:
        x * 2.0
    headers = re.split(r"\s{2,}", prof.key_averages().table().splitlines()[1].strip())
    assert headers[6:] == [
        "Self CUDA",
        "Self CUDA %",
        "CUDA total",
        "CUDA time avg",
        "CPU Mem",
        "Self CPU Mem",
        "# of Calls",
    ]


def test_no_device_work_means_no_cuda_columns(fake_gpu, monkeypatch):
    monkeypatch.setattr(
        profiler_cuda, "make_device_timer", lambda: FakeDeviceTimer(wants=lambda args: False)
    )
    x = torch.ones(2, requires_grad=True)
    with cuda_profile() as prof:
        (x * 2.0).sum().backward()
    assert all(a.cuda_time_total == 0 for a in prof.key_averages())
    assert "CUDA" not in prof.key_averages().table()
    assert not any(e["cat"] == "kernel" for e in _x_events(prof.trace_events()))


def _x_events(ev):
    return [
        {"name": n, "cat": c, "ts": s, "dur": d, "tid": t, "args": a}
        for n, c, s, d, t, a in zip(
            ev.name, ev.cat, ev.start_us, ev.dur_us, ev.tid.tolist(), ev.args
        )
    ]


def test_device_events_on_their_own_track_linked_to_their_ops(fake_gpu, tmp_path):
    x = torch.ones(2, 3, requires_grad=True)
    with cuda_profile() as prof:
        with profiler.record_function("step"):
            (x * 2.0).sum().backward()
    path = tmp_path / "t.json"
    prof.export_chrome_trace(path)
    trace = json.loads(path.read_text())
    validate(trace)
    evs = trace["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in evs if e["name"] == "thread_name"}
    host = threading.main_thread().native_id
    (lane,) = set(names) - {host}
    assert names[lane] == "cuda:0 stream 7"
    xs = [e for e in evs if e["ph"] == "X"]
    cpu = [e for e in xs if e["tid"] == host]
    device = [e for e in xs if e["tid"] == lane]
    assert {e["cat"] for e in device} == {"kernel"}
    assert [e["name"] for e in device] == [
        "mul",
        "sum",
        "SumBackward0",
        "MulBackward0",
        "torch::autograd::AccumulateGrad",
    ]
    by_op = {e["args"]["op"]: e for e in cpu if "op" in e.get("args", {})}
    assert len(by_op) == len(device)  # "step" has no device event of its own
    for k, d in enumerate(device):
        op = by_op[d["args"]["op"]]  # the link: the same id in both args
        assert op["name"] == d["name"] and op["args"].get("node") == d["args"].get("node")
        assert d["ts"] == pytest.approx((2 * k + 1) * STEP) and d["dur"] == pytest.approx(STEP)
    ids = [e.id for e in prof.function_events if e.device_time_total and e.name != "step"]
    assert sorted(by_op) == ids  # the op id is the FunctionEvent's id


def test_device_work_of_two_threads_lands_on_two_device_tracks(fake_gpu, tmp_path):
    def work():
        a = torch.ones(2, requires_grad=True)
        for _ in range(20):
            a = a * 1.0
        a.sum().backward()

    with cuda_profile() as prof:
        t = threading.Thread(target=work, name="worker")
        t.start()
        work()
        t.join()
    path = tmp_path / "t.json"
    prof.export_chrome_trace(path)
    report = validate(path)  # interleaved marks still nest on each thread's own track
    assert report.threads == 4
    trace = json.loads(path.read_text())
    names = sorted(e["args"]["name"] for e in trace["traceEvents"] if e["name"] == "thread_name")
    assert sorted(n for n in names if n.startswith("cuda:0 stream 7 (thread ")) == sorted(
        f"cuda:0 stream 7 (thread {tid})"
        for tid in (threading.main_thread().native_id, t.native_id)
    )
    assert averages(prof)["mul"].count == 40


def test_use_cuda_spelling_warns_as_pytorch_and_still_profiles(fake_gpu):
    with pytest.warns(FutureWarning, match="use_device = 'cuda'"):
        prof = profiler.profile(use_cuda=True)
    with prof:
        torch.ones(2) * 2.0
    assert prof.use_device == "cuda"
    assert averages(prof)["mul"].cuda_time_total == STEP


def test_profiler_without_cuda_records_no_marks(fake_gpu):
    with profiler.profile() as prof:
        torch.ones(2) * 2.0
    assert "kernel" not in prof.trace_events().cat  # no device track
    assert averages(prof)["mul"].cuda_time_total == 0


# ----------------------------------------------------------------------------- a real GPU


@pytest.mark.gpu
def test_cuda_events_time_device_ops(tmp_path):
    x = torch.randn(512, 512, device="cuda", requires_grad=True)
    (x @ x).sum().backward()  # warm up: CuPy compiles its kernels on first use
    x.grad = None
    with profiler.profile(use_device="cuda") as prof:
        with profiler.record_function("step"):
            y = (x @ x).relu().sum()
            y.backward()
    avg = averages(prof)
    for key in ("mm", "relu", "sum", "MmBackward0"):
        assert avg[key].cuda_time_total > 0, key
        assert avg[key].self_cuda_time_total <= avg[key].cuda_time_total + 1e-6
    assert avg["step"].cuda_time_total >= avg["mm"].cuda_time_total
    assert avg["step"].self_cuda_time_total == 0
    table = prof.key_averages().table(sort_by="cuda_time_total")
    assert "Self CUDA %" in table.splitlines()[1]
    assert re.search(r"Self CUDA time total: \d+\.\d{3}(us|ms|s)\n$", table)
    path = tmp_path / "gpu.json"
    prof.export_chrome_trace(path)
    trace = json.loads(path.read_text())
    validate(trace)
    names = [e["args"]["name"] for e in trace["traceEvents"] if e["name"] == "thread_name"]
    assert any(n.startswith("cuda:") and " stream " in n for n in names)
    kernels = [e for e in trace["traceEvents"] if e.get("cat") == "kernel"]
    assert {"mm", "relu", "sum"} <= {e["name"] for e in kernels}
    assert all(e["dur"] >= 0 and "op" in e["args"] for e in kernels)


@pytest.mark.gpu
def test_cuda_profile_of_cpu_tensors_has_no_device_time():
    x = torch.ones(4, 4)
    with profiler.profile(use_device="cuda") as prof:
        x * 2.0
    assert averages(prof)["mul"].cuda_time_total == 0
    assert "CUDA" not in prof.key_averages().table()
