"""`workbench info FILE` and `workbench export-trace FILE`, end to end through `python -m`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).parent / "session" / "fixtures" / "v1-example.wbsession"


def workbench(*args):
    return subprocess.run(
        [sys.executable, "-m", "workbench", *map(str, args)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_info_lists_what_the_session_holds():
    proc = workbench("info", FIXTURE)
    assert proc.returncode == 0, proc.stderr
    for text in (
        "schema version 1",
        "tutorial  3 lines",
        "a      float32 [4]",
        "[0] loop  12 events",
    ):
        assert text in proc.stdout


def test_info_on_a_file_that_is_not_a_session_exits_1_naming_the_problem(tmp_path):
    bad = tmp_path / "notes.wbsession"
    bad.write_text("hello")
    proc = workbench("info", bad)
    assert proc.returncode == 1
    assert proc.stderr.startswith("workbench info: error:") and "not a session file" in proc.stderr


def test_export_trace_writes_a_valid_chrome_trace(tmp_path):
    from workbench.trace import validate

    out = tmp_path / "loop.json"
    proc = workbench("export-trace", FIXTURE, "-o", out)
    assert proc.returncode == 0, proc.stderr
    validate(out)
    events = [e for e in json.loads(out.read_text())["traceEvents"] if e["ph"] == "X"]
    assert len(events) == 12
    missing = workbench("export-trace", FIXTURE, "--run", "7", "-o", out)
    assert missing.returncode == 1 and "loop" in missing.stderr


def test_session_save_and_load_round_trip_through_the_package_api(tmp_path):
    import numpy as np

    import workbench.engine as torch
    from workbench.session import Session, SessionFileError, load

    with Session() as session:
        session.buffers = []
        run = session.run("import workbench.engine as torch\nw = torch.arange(6.).reshape(2, 3)\n")
        run.wait(30)
        path = session.save(tmp_path / "s.wbsession")
    restored = load(path)
    try:
        assert isinstance(restored.namespace["w"], torch.Tensor)
        np.testing.assert_array_equal(restored.namespace["w"].numpy(), np.arange(6.0).reshape(2, 3))
        assert restored.restored is not None and restored.history == []
    finally:
        restored.close()
    (tmp_path / "bad.wbsession").write_bytes(b"PK\x03\x04 truncated")
    try:
        load(tmp_path / "bad.wbsession")
    except SessionFileError as exc:
        assert "bad.wbsession" in str(exc)
    else:
        raise AssertionError("a damaged file loaded")
