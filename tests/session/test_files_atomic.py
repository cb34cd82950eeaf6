"""Atomic saves: a failure or a kill in the middle of a save leaves the previous file intact."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from workbench.session.files import SessionDocument, load_session, save_session
from workbench.session.files.atomic import atomic_write, remove_stale_temps
from workbench.session.files.procs import PROCESS_TOKEN, pid_alive

ROOT = Path(__file__).resolve().parents[2]

# Saves 8 members of 4 MiB; after half of them it says so and blocks until it is killed, so the
# kill lands mid-write every time, without timing.
_CHILD = """
import sys
import numpy as np
from workbench.session.files import SessionDocument, save_session

doc = SessionDocument(
    modules={f"m{i}": {"w": np.full(1 << 20, i, np.float32)} for i in range(8)},
    ui_state={"version": "new"},
)
said = False

def progress(done, total):
    global said
    if not said and done >= total // 2:
        said = True
        print("writing", flush=True)
        sys.stdin.read()  # wait here for the kill

save_session(doc, sys.argv[1], progress=progress)
print("finished", flush=True)
"""


def _temps(directory: Path, name: str) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.startswith(f".{name}.tmp-"))


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_mid_save_leaves_the_previous_file(tmp_path):
    target = tmp_path / "work.wbsession"
    old = SessionDocument(ui_state={"version": "old"}, tensors={"x": np.arange(3.0)})
    save_session(old, target)
    before = target.read_bytes()

    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(target)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        line = child.stdout.readline()
        assert line == b"writing\n", child.stderr.read().decode()
        temps = _temps(tmp_path, target.name)
        assert len(temps) == 1 and temps[0].stat().st_size > 0  # really mid-write
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL

    assert target.read_bytes() == before
    assert load_session(target).ui_state == {"version": "old"}
    assert _temps(tmp_path, target.name) == temps  # the dead save's temp file is left over

    save_session(SessionDocument(ui_state={"version": "next"}), target)
    assert _temps(tmp_path, target.name) == []  # ...and the next save removes it
    assert load_session(target).ui_state == {"version": "next"}


def test_an_error_while_writing_keeps_the_old_file_and_removes_the_temp(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")

    def fail(f):
        f.write(b"half of the new")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, fail)
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_a_bad_document_never_touches_the_file(tmp_path):
    target = tmp_path / "a.wbsession"
    save_session(SessionDocument(ui_state={"v": 1}), target)
    before = target.read_bytes()
    with pytest.raises(ValueError):
        save_session(SessionDocument(ui_state={"v": object()}), target)
    assert target.read_bytes() == before
    assert list(tmp_path.iterdir()) == [target]


def test_replace_keeps_permissions_and_follows_symlinks(tmp_path):
    real = tmp_path / "real.bin"
    real.write_bytes(b"old")
    os.chmod(real, 0o640)
    link = tmp_path / "link.bin"
    link.symlink_to(real)
    atomic_write(link, lambda f: f.write(b"new"))
    assert link.is_symlink() and real.read_bytes() == b"new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_stale_temp_cleanup_spares_live_processes_and_other_files(tmp_path):
    other_process = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        target = tmp_path / "s.wbsession"
        dead = tmp_path / f".s.wbsession.tmp-{_dead_pid()}-abcd-1234"
        earlier_life = tmp_path / f".s.wbsession.tmp-{os.getpid()}-{'0' * 8}-99"
        mine = tmp_path / f".s.wbsession.tmp-{os.getpid()}-{PROCESS_TOKEN}-77"
        live = tmp_path / f".s.wbsession.tmp-{other_process.pid}-abcd-55"
        other = tmp_path / ".t.wbsession.tmp-1-ab-1"
        unrelated = tmp_path / "notes.txt"
        for p in (dead, earlier_life, mine, live, other, unrelated):
            p.write_bytes(b"x")
        assert PROCESS_TOKEN != "0" * 8
        removed = remove_stale_temps(target)
        assert sorted(removed) == sorted([dead, earlier_life])
        assert all(p.exists() for p in (mine, live, other, unrelated))
    finally:
        other_process.kill()
        other_process.wait()


def test_pid_alive():
    assert pid_alive(os.getpid())
    assert not pid_alive(_dead_pid())
    assert not pid_alive(0) and not pid_alive(-5)
