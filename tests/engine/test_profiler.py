"""The profiler: what it records, how it adds up, the table it prints and the trace it writes.

Column layout, names and messages were read off the reference PyTorch's profiler.
"""

import gzip
import json
import re
import threading

import pytest

import workbench.engine as torch
from workbench.engine.autograd import profiler
from workbench.engine.autograd.function import observers as fn_observers
from workbench.trace import load, validate


def tutorial_loop(iters=3, reps=2):
    x = torch.randn((2, 3), requires_grad=True)
    y = torch.randn((2, 3), requires_grad=True)
    for _ in range(reps):
        z = torch.ones((2, 3), requires_grad=True)
        for _ in range(iters):
            z = (z / x) * y
        z.sum().backward()


def averages(prof, **kw):
    return {a.key: a for a in prof.key_averages(**kw)}


def test_reachable_as_torch_autograd_profiler():
    assert torch.autograd.profiler.profile is profiler.profile
    assert torch.autograd.profiler.record_function is profiler.record_function


def test_counts_of_forward_ops_and_backward_nodes():
    with profiler.profile() as prof:
        tutorial_loop(iters=3, reps=2)
    avg = averages(prof)
    assert avg["div"].count == 6
    assert avg["mul"].count == 6
    assert avg["sum"].count == 2
    assert avg["DivBackward0"].count == 6
    assert avg["MulBackward0"].count == 6
    assert avg["SumBackward0"].count == 2
    # x, y and the two z leaves
    assert avg["torch::autograd::AccumulateGrad"].count == 6
    for a in avg.values():
        assert 0 <= a.self_cpu_time_total <= a.cpu_time_total + 1e-9
        assert a.cpu_time == pytest.approx(a.cpu_time_total / a.count)


def test_op_variants_take_the_op_name():
    x = torch.ones(2, 3, requires_grad=True)
    with profiler.profile() as prof:
        x.sum(0)
        x.sum()
    assert averages(prof)["sum"].count == 2


def test_table_layout_sort_and_row_limit():
    with profiler.profile() as prof:
        with profiler.record_function("iter"):
            tutorial_loop()
    table = prof.key_averages().table(sort_by="self_cpu_time_total")
    lines = table.splitlines()
    assert set(lines[0]) == {"-", " "}
    headers = re.split(r"\s{2,}", lines[1].strip())
    assert headers == [
        "Name",
        "Self CPU %",
        "Self CPU",
        "CPU total %",
        "CPU total",
        "CPU time avg",
        "# of Calls",
    ]
    assert lines[2] == lines[0] == lines[-2]
    assert re.fullmatch(r"Self CPU time total: \d+\.\d{3}(us|ms|s)", lines[-1])
    rows = lines[3:-2]
    names = [r.split()[0] for r in rows]
    assert set(names) >= {"iter", "div", "mul", "DivBackward0", "MulBackward0"}
    by_self = sorted(prof.key_averages(), key=lambda a: a.self_cpu_time_total, reverse=True)
    assert names == [a.key for a in by_self]
    # "iter" holds everything: 100% of the CPU total
    iter_row = rows[names.index("iter")]
    assert "100.00%" in iter_row
    assert iter_row.split()[-1] == "1"
    limited = prof.key_averages().table(sort_by="cpu_time_total", row_limit=2)
    rows = limited.splitlines()[3:-2]
    assert len(rows) == 2
    assert rows[0].split()[0] == "iter"


def test_profile_table_lists_every_event():
    with profiler.profile() as prof:
        tutorial_loop(iters=2, reps=1)
    rows = prof.table().splitlines()[3:-2]
    assert len(rows) == len(prof.function_events)
    assert [r.split()[-1] for r in rows] == ["1"] * len(rows)
    assert str(prof) == prof.table()


def test_time_formatting_matches_pytorch():
    assert profiler._format_time(12.3456) == "12.346us"
    assert profiler._format_time(1234.5) == "1.234ms"
    assert profiler._format_time(2_500_000) == "2.500s"


class _Clock:
    """A stand-in for the profiler's clock: it ticks 1 us per reading, like a real clock
    that never stands still, and jumps when the test says so."""

    def __init__(self):
        self.s = 1000.0  # seconds, as time.perf_counter

    def __call__(self):
        self.s += 1e-6
        return self.s

    def advance(self, seconds):
        self.s += seconds


def test_record_function_nesting_and_self_time(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(profiler, "_clock", clock)
    x = torch.ones(2, 2, requires_grad=True)
    with profiler.profile() as prof:
        with profiler.record_function("outer"):
            clock.advance(0.002)
            with profiler.record_function("inner"):
                clock.advance(0.003)
                x * 2
    evs = {e.name: e for e in prof.function_events}
    outer, inner, mul = evs["outer"], evs["inner"], evs["mul"]
    assert inner.cpu_parent is outer and mul.cpu_parent is inner
    assert outer.cpu_parent is None
    assert inner in outer.cpu_children
    assert outer.self_cpu_time_total == pytest.approx(
        outer.cpu_time_total - inner.cpu_time_total, abs=1e-6
    )
    assert inner.self_cpu_time_total == pytest.approx(
        inner.cpu_time_total - mul.cpu_time_total, abs=1e-6
    )
    assert outer.self_cpu_time_total >= 2000 and inner.cpu_time_total >= 3000
    total = sum(e.self_cpu_time_total for e in prof.function_events)
    assert prof.self_cpu_time_total == pytest.approx(total)
    assert prof.self_cpu_time_total == pytest.approx(outer.cpu_time_total)
    assert prof.total_average().self_cpu_time_total == pytest.approx(total)
    assert prof.total_average().key == "Total"


def test_record_function_as_decorator_and_outside_a_profile():
    @profiler.record_function("step")
    def step(a):
        return a + 1

    a = torch.ones(3)
    step(a)  # nothing active: just runs
    with profiler.profile() as prof:
        step(a)
        step(a)
    avg = averages(prof)
    assert avg["step"].count == 2
    assert avg["add"].count == 2
    assert all(e.cpu_parent.name == "step" for e in prof.events() if e.name == "add")


def test_group_by_input_shape():
    with profiler.profile(record_shapes=True) as prof:
        torch.ones(2, 3) * torch.ones(2, 3)
        torch.ones(2, 3) * torch.ones(2, 3)
        torch.ones(4) * 2.0
    plain = [a for a in prof.key_averages() if a.key == "mul"]
    assert len(plain) == 1 and plain[0].count == 3
    grouped = [a for a in prof.key_averages(group_by_input_shape=True) if a.key == "mul"]
    shapes = sorted((str(a.input_shapes), a.count) for a in grouped)
    assert shapes == [("[[2, 3], [2, 3]]", 2), ("[[4], []]", 1)]
    table = prof.key_averages(group_by_input_shape=True).table()
    assert "Input Shapes" in table.splitlines()[1]
    assert "[[2, 3], [2, 3]]" in table


def test_events_from_two_threads_on_two_tids(tmp_path):
    def work():
        a = torch.ones(2, requires_grad=True)
        for _ in range(50):
            a = a * 1.0
        a.sum().backward()

    with profiler.profile() as prof:
        t = threading.Thread(target=work, name="worker")
        t.start()
        work()
        t.join()
    threads = {}
    for e in prof.function_events:
        threads.setdefault(e.thread, []).append(e.name)
    assert len(threads) == 2
    for names in threads.values():
        assert names.count("mul") == 50 and names.count("MulBackward0") == 50
    trace = json.loads(open(prof.export_chrome_trace(tmp_path / "t.json")).read())
    assert validate(trace).threads == 2
    evs = trace["traceEvents"]
    tids = {e["tid"] for e in evs if e["ph"] == "X"}
    assert len(tids) == 2
    named = {e["tid"]: e["args"]["name"] for e in evs if e["name"] == "thread_name"}
    assert set(named) == tids
    # PyTorch's "thread <tid> (<name>)", with the Python thread's name
    assert sorted(named.values()) == sorted(
        f"thread {tid} ({name})"
        for tid, name in [
            (threading.main_thread().native_id, "MainThread"),
            (t.native_id, "worker"),
        ]
    )


def test_backward_nodes_linked_to_their_forward_ops():
    x = torch.ones(2, 3, requires_grad=True)
    with profiler.profile() as prof:
        y = x * 3.0
        z = y / 2.0
        z.sum().backward()
    evs = prof.function_events
    fwd = {e.name: e for e in evs if e.name in ("mul", "div", "sum")}
    bwd = {e.name: e for e in evs if e.name.endswith("Backward0")}
    assert fwd["mul"].sequence_nr == y.grad_fn._sequence_nr()
    assert fwd["div"].sequence_nr == z.grad_fn._sequence_nr()
    assert bwd["MulBackward0"].sequence_nr == fwd["mul"].sequence_nr
    assert bwd["DivBackward0"].sequence_nr == fwd["div"].sequence_nr
    assert bwd["SumBackward0"].sequence_nr == fwd["sum"].sequence_nr
    # backward runs after forward, newest node first
    assert bwd["SumBackward0"].start_us < bwd["DivBackward0"].start_us
    assert bwd["DivBackward0"].start_us < bwd["MulBackward0"].start_us
    assert fwd["sum"].end_us <= bwd["SumBackward0"].start_us
    assert [e.name for e in evs].count("torch::autograd::AccumulateGrad") == 1


def test_ops_without_grad_are_recorded_without_a_node():
    with profiler.profile() as prof:
        with torch.no_grad():
            torch.ones(2) + torch.ones(2)
    (add,) = [e for e in prof.function_events if e.name == "add"]
    assert add.sequence_nr == -1


def test_ops_inside_a_create_graph_backward_nest_in_their_node():
    x = torch.ones(3, requires_grad=True)
    with profiler.profile() as prof:
        torch.autograd.grad((x * x).sum(), x, create_graph=True)
    (node,) = [e for e in prof.function_events if e.name == "MulBackward0"]
    assert [c.name for c in node.cpu_children] == ["mul", "mul"]


def test_profiler_off_records_nothing():
    with profiler.profile() as prof:
        pass
    tutorial_loop()
    assert len(prof.function_events) == 0
    assert fn_observers == []
    assert torch.autograd.engine.observers == []
    assert prof.key_averages().table() == ""
    with profiler.profile(enabled=False) as off:
        tutorial_loop()
    assert fn_observers == []
    assert off._recorder is None


def test_results_and_gradients_unchanged_under_the_profiler():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with profiler.profile(record_shapes=True, with_modules=True, profile_memory=True):
        y = (x * x).exp().sum()
        y.backward()
        parts = torch.ones(4).split(2)
        v = x[1:]
    assert x.grad.tolist() == pytest.approx((2 * x * (x * x).exp()).tolist())
    assert len(parts) == 2 and v._base is x


def test_nested_profile_raises():
    with profiler.profile() as prof:
        with pytest.raises(RuntimeError, match="Profiler context manager is not reentrant"):
            with prof:
                pass
        with pytest.raises(RuntimeError):
            with profiler.profile():
                pass
    assert fn_observers == []


def test_results_need_a_finished_profile():
    with profiler.profile() as prof:
        with pytest.raises(RuntimeError, match="Profiler didn't finish running"):
            prof.key_averages()


def test_exception_inside_the_profile_detaches_it():
    with pytest.raises(ValueError):
        with profiler.profile():
            raise ValueError
    assert fn_observers == []


def test_use_cuda_without_a_gpu_warns_like_pytorch():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")  # the no-GPU behaviour needs no GPU
    with pytest.warns(UserWarning, match="CUDA is not available, disabling CUDA profiling"):
        with pytest.warns(FutureWarning):
            p = profiler.profile(use_cuda=True)
    with p:
        torch.ones(2) * 2
    assert "CUDA" not in p.key_averages().table()


def test_memory_columns():
    with profiler.profile(profile_memory=True) as prof:
        with profiler.record_function("block"):
            torch.ones(100) * 2.0
    avg = averages(prof)
    assert avg["mul"].self_cpu_memory_usage == 400
    assert avg["block"].cpu_memory_usage == 400 and avg["block"].self_cpu_memory_usage == 0
    header = prof.key_averages().table().splitlines()[1]
    assert "CPU Mem" in header and "Self CPU Mem" in header


def test_module_paths():
    # the module path ops and nodes record: relative to the outermost module called
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU())
    with profiler.profile(with_modules=True) as prof:
        net(torch.ones(1, 3))
    scopes = {e.name: e.scope for e in prof.function_events}
    assert scopes["relu"] == "1"
    assert "0" in {e.scope for e in prof.function_events if e.name != "relu"}


def test_with_stack_records_the_users_line():
    x = torch.ones(2, requires_grad=True)

    def scaled():
        return x * 2.0  # the line the mul event points at

    with profiler.profile(with_stack=True) as prof:
        scaled().sum().backward()
    (mul,) = [e for e in prof.function_events if e.name == "mul"]
    assert len(mul.stack) == 1
    assert mul.stack[0].startswith(__file__) and mul.stack[0].endswith(": scaled")
    plain = prof.key_averages().table()
    assert "Source Location" not in plain
    by_line = prof.key_averages(group_by_stack_n=1).table()
    assert "Source Location" in by_line.splitlines()[1]
    assert "scaled" in by_line


def check_trace(trace):
    validate(trace)  # the rules of DESIGN.md §6: Perfetto and chrome://tracing open it
    evs = trace["traceEvents"]
    meta = [e for e in evs if e["ph"] == "M"]
    xs = [e for e in evs if e["ph"] == "X"]
    assert any(e["name"] == "process_name" for e in meta)
    for e in xs:
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int)
        assert isinstance(e["ts"], (int, float)) and isinstance(e["dur"], (int, float))
        assert e["dur"] >= 0
    return xs


def test_export_chrome_trace_json_and_gzip(tmp_path):
    with profiler.profile(record_shapes=True) as prof:
        tutorial_loop()
    n = len(prof.function_events)
    plain = tmp_path / "trace.json"
    prof.export_chrome_trace(str(plain))
    with open(plain) as f:
        trace = json.load(f)
    xs = check_trace(trace)
    assert len(xs) == n
    div = next(e for e in xs if e["name"] == "div")
    assert div["args"]["shapes"] == [[2, 3], [2, 3]]
    assert isinstance(div["args"]["node"], int)
    assert plain.stat().st_size / n <= 150
    gz = tmp_path / "trace.json.gz"
    prof.export_chrome_trace(gz)
    with gzip.open(gz, "rt") as f:
        assert json.load(f) == trace
    # read back into the event table sessions show: same names, same order
    back = load(gz)
    assert back.name == [e.name for e in prof.function_events]


def test_trace_events_nest_per_thread(tmp_path):
    with profiler.profile() as prof:
        with profiler.record_function("outer"):
            tutorial_loop()
    xs = check_trace(json.load(open(prof.export_chrome_trace(tmp_path / "t.json"))))
    outer = next(e for e in xs if e["name"] == "outer")
    for e in xs:
        assert outer["ts"] <= e["ts"] and e["ts"] + e["dur"] <= outer["ts"] + outer["dur"] + 1e-3
