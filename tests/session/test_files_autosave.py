"""Autosave: a recovery file every interval, deleted on a clean exit, offered after a crash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.session.files import (
    AutosaveManager,
    SessionDocument,
    UnsupportedValue,
    default_recovery_dir,
    load_session,
)

ROOT = Path(__file__).resolve().parents[2]

# A second app instance: autosaves once, then exits the way argv[2] says.
_CHILD = """
import os, sys
from workbench.session.files import AutosaveManager, SessionDocument

manager = AutosaveManager(sys.argv[1])
manager.source = "/home/u/work.wbsession"
manager.save_now(SessionDocument(ui_state={"from": "child"}))
print(manager.path, flush=True)
how = sys.argv[2]
if how == "crash":
    os._exit(1)  # no cleanup at all, like a segfault or a kill
elif how == "clean":
    manager.discard()
else:  # "wait": stay alive until stdin closes
    sys.stdin.read()
"""


def _child(recovery_dir: Path, how: str) -> tuple[subprocess.Popen, Path]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(recovery_dir), how],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    line = proc.stdout.readline().decode().strip()
    assert line, proc.stderr.read().decode()
    return proc, Path(line)


class Provider:
    def __init__(self, doc: SessionDocument | None):
        self.doc = doc
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.doc


def test_maybe_save_every_interval(tmp_path):
    manager = AutosaveManager(tmp_path, interval=60)
    provider = Provider(SessionDocument(ui_state={"n": 1}))
    assert manager.maybe_save(provider, now=1000.0) is None  # the first call starts the clock
    assert manager.maybe_save(provider, now=1059.9) is None
    assert provider.calls == 0 and not manager.path.exists()
    assert manager.maybe_save(provider, now=1060.0) == manager.path
    assert load_session(manager.path).ui_state == {"n": 1}
    provider.doc.ui_state = {"n": 2}
    assert manager.maybe_save(provider, now=1100.0) is None
    assert manager.maybe_save(provider, now=1120.0) == manager.path
    assert load_session(manager.path).ui_state == {"n": 2}
    assert provider.calls == 2
    manager.discard()


def test_nothing_to_save_means_no_file(tmp_path):
    manager = AutosaveManager(tmp_path, interval=1)
    provider = Provider(None)  # unchanged since the last save
    manager.maybe_save(provider, 0.0)
    assert manager.maybe_save(provider, 5.0) is None
    assert provider.calls == 1 and list(tmp_path.iterdir()) == []


def test_a_failed_autosave_is_reported_not_raised(tmp_path):
    manager = AutosaveManager(tmp_path, interval=1)
    provider = Provider(SessionDocument(ui_state={"x": object()}))
    manager.maybe_save(provider, 0.0)
    assert manager.maybe_save(provider, 2.0) is None
    assert isinstance(manager.last_error, UnsupportedValue)
    provider.doc = SessionDocument()
    assert manager.maybe_save(provider, 4.0) == manager.path and manager.last_error is None
    manager.discard()


def test_save_now_leaves_the_documents_own_times_alone(tmp_path):
    manager = AutosaveManager(tmp_path)
    doc = SessionDocument(created="2020-01-01T00:00:00Z", modified="2020-01-02T00:00:00Z")
    manager.save_now(doc)
    assert (doc.created, doc.modified, doc.app_version) == (
        "2020-01-01T00:00:00Z",
        "2020-01-02T00:00:00Z",
        None,
    )
    manager.discard()


def test_discard_on_clean_exit_removes_everything(tmp_path):
    manager = AutosaveManager(tmp_path)
    manager.save_now(SessionDocument())
    assert manager.path.exists() and manager.marker_path.exists()
    manager.discard()
    assert list(tmp_path.iterdir()) == []


def test_live_instances_are_not_offered(tmp_path):
    mine = AutosaveManager(tmp_path)
    mine.save_now(SessionDocument())
    other_in_this_process = AutosaveManager(tmp_path)
    other_in_this_process.save_now(SessionDocument())
    launch = AutosaveManager(tmp_path)
    assert launch.recovery_files() == []
    assert mine.recovery_files() == [] and mine.latest_recovery() is None
    mine.discard()
    other_in_this_process.discard()


def test_after_a_crash_the_next_launch_finds_the_recovery_file(tmp_path):
    proc, path = _child(tmp_path, "crash")
    proc.wait()
    assert proc.returncode == 1 and path.exists()

    launch = AutosaveManager(tmp_path)
    assert launch.recovery_files() == [path]
    assert launch.latest_recovery() == path
    info = launch.recovery_info(path)
    assert info["pid"] == proc.pid and info["source"] == "/home/u/work.wbsession"
    assert load_session(path).ui_state == {"from": "child"}
    launch.remove(path)
    assert list(tmp_path.iterdir()) == []


def test_a_clean_exit_leaves_nothing_to_offer(tmp_path):
    proc, path = _child(tmp_path, "clean")
    proc.wait()
    assert proc.returncode == 0
    assert AutosaveManager(tmp_path).recovery_files() == []
    assert list(tmp_path.iterdir()) == []


def test_another_running_instance_is_not_a_crash_until_it_dies(tmp_path):
    proc, path = _child(tmp_path, "wait")
    try:
        launch = AutosaveManager(tmp_path)
        assert launch.recovery_files() == []
    finally:
        proc.kill()
        proc.wait()
    assert launch.recovery_files() == [path]


def test_dead_pid_without_a_marker_is_a_crash(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    leftover = tmp_path / f"recovery-{proc.pid}-abcdef01-0a0b0c.wbsession"
    leftover.write_bytes(b"x")
    assert AutosaveManager(tmp_path).recovery_files() == [leftover]


def test_newest_first_and_leftovers_cleaned(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    old = tmp_path / f"recovery-{proc.pid}-abcdef01-000001.wbsession"
    new = tmp_path / f"recovery-{proc.pid}-abcdef01-000002.wbsession"
    old.write_bytes(b"x")
    new.write_bytes(b"y")
    os.utime(old, (1_000_000, 1_000_000))
    orphan_marker = tmp_path / f"recovery-{proc.pid}-abcdef01-000003.owner"
    orphan_marker.write_text(json.dumps({"pid": proc.pid}))
    temp = tmp_path / f".recovery-{proc.pid}-abcdef01-000004.wbsession.tmp-{proc.pid}-ab-cd"
    temp.write_bytes(b"half")
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("keep")
    assert AutosaveManager(tmp_path).recovery_files() == [new, old]
    assert not orphan_marker.exists() and not temp.exists() and unrelated.exists()


def test_default_recovery_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_RECOVERY_DIR", str(tmp_path / "r"))
    assert default_recovery_dir() == tmp_path / "r"
    assert AutosaveManager().recovery_dir == tmp_path / "r"
    monkeypatch.delenv("WORKBENCH_RECOVERY_DIR")
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
        assert default_recovery_dir() == tmp_path / "state" / "autograd-workbench" / "recovery"
        monkeypatch.delenv("XDG_STATE_HOME")
        expected = Path.home() / ".local" / "state" / "autograd-workbench" / "recovery"
        assert default_recovery_dir() == expected


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_recovery_dir_is_private(tmp_path):
    manager = AutosaveManager(tmp_path / "rec")
    manager.save_now(SessionDocument())
    assert (tmp_path / "rec").stat().st_mode & 0o077 == 0
    manager.discard()
