"""`workbench run SCRIPT`: a script run headless under the profiler, end to end via subprocess."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

LOOP = textwrap.dedent(
    """
    import sys
    import workbench.engine as torch

    x = torch.ones(2, 3, requires_grad=True)
    y = torch.full((2, 3), 2.0)
    z = x
    for _ in range(10):
        z = (z / x) * y
    z.sum().backward()
    print("script args:", sys.argv[1:], __name__)
    """
)


def workbench(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "workbench", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )


def test_run_prints_the_table_and_writes_a_valid_trace(tmp_path):
    from workbench.trace import load, validate

    script = tmp_path / "loop.py"
    script.write_text(LOOP)
    trace = tmp_path / "out.json"
    proc = workbench("run", script, "--table", "--trace", trace, "--", "a", "--b", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "script args: ['a', '--b'] __main__" in out
    assert "Self CPU time total:" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert rows["mul"][-1] == "10" and rows["div"][-1] == "10"  # "# of Calls" column
    assert "MulBackward0" in rows
    assert f"trace written to {trace}" in out and "validated: OK" in out
    json.loads(trace.read_text())
    validate(trace)
    events = load(trace)
    assert events.name.count("mul") == 10 and events.name.count("div") == 10


def test_run_gzip_trace_with_shapes_and_row_limit(tmp_path):
    from workbench.trace import validate

    script = tmp_path / "loop.py"
    script.write_text(LOOP)
    trace = tmp_path / "out.json.gz"
    proc = workbench(
        "run", script, "--record-shapes", "--table", "--row-limit", "2", "--sort-by",
        "cpu_time_total", "--trace", trace, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Input Shapes" in proc.stdout
    assert trace.read_bytes()[:2] == b"\x1f\x8b"
    validate(trace)


def test_script_errors_show_the_users_traceback_and_exit_1(tmp_path):
    script = tmp_path / "bad.py"
    script.write_text("def f():\n    raise ValueError('boom')\n\nf()\n")
    proc = workbench("run", script, cwd=tmp_path)
    assert proc.returncode == 1
    err = proc.stderr
    assert err.startswith("Traceback (most recent call last):")
    assert f'File "{script}", line 4, in <module>' in err
    assert err.rstrip().endswith("ValueError: boom")
    assert "runpy" not in err and "cli.py" not in err


def test_syntax_errors_are_reported_without_our_frames(tmp_path):
    script = tmp_path / "bad.py"
    script.write_text("x = (\n")
    proc = workbench("run", script, cwd=tmp_path)
    assert proc.returncode == 1
    assert "SyntaxError" in proc.stderr and "runpy" not in proc.stderr


def test_missing_script_is_a_usage_error(tmp_path):
    proc = workbench("run", tmp_path / "nope.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert "nope.py' does not exist" in proc.stderr
    proc = workbench("run", tmp_path, cwd=tmp_path)
    assert proc.returncode == 2 and "is not a file" in proc.stderr


def test_demo_command_runs_the_headless_demo(tmp_path):
    proc = workbench("demo", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "a.grad == 2 * cos(a): OK" in proc.stdout
