"""`workbench` opening the app: --help, --version, bad files, no display, and `snapshot`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from workbench import __version__
from workbench.ui.app import NO_DISPLAY, display_problem


def workbench(*args, env=None, cwd=None, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "workbench", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )


def test_version_and_help():
    assert workbench("--version").stdout.strip() == f"workbench {__version__}"
    out = workbench("--help").stdout
    for word in ("run SCRIPT", "snapshot", "info FILE", "export-trace", "a session (.wbsession)"):
        assert word in out


def test_a_missing_file_is_a_usage_error(tmp_path):
    proc = workbench(tmp_path / "nope.py")
    assert proc.returncode == 2
    assert "does not exist" in proc.stderr


def test_no_display_prints_a_clear_message_instead_of_a_qt_abort(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    proc = workbench(env=env)
    assert proc.returncode == 1
    assert proc.stderr == NO_DISPLAY
    assert "Aborted" not in proc.stderr and "qt.qpa" not in proc.stderr


@pytest.mark.parametrize(
    "environ, platform, problem",
    [
        ({}, "linux", True),
        ({"DISPLAY": ":0"}, "linux", False),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({"QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({}, "darwin", False),
        ({}, "win32", False),
    ],
)
def test_display_problem(environ, platform, problem):
    assert (display_problem(environ, platform) is not None) is problem


def test_snapshot_renders_a_run_script_to_a_real_png(tmp_path):
    from PySide6.QtGui import QImage

    script = tmp_path / "demo.py"
    script.write_text(
        "import workbench.engine as torch\n"
        "w = torch.randn(8, 6, requires_grad=True)\n"
        "(w * w).sum().backward()\n"
        "print('ran')\n"
    )
    out = tmp_path / "shots" / "window.png"
    env = dict(os.environ, WORKBENCH_SETTINGS=str(tmp_path / "user-settings.ini"))
    env.pop("QT_QPA_PLATFORM", None)  # snapshot must go offscreen by itself
    proc = workbench("snapshot", script, "-o", out, "--size", "1200x800", "--run", env=env)
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1200, 800)
    colours = {image.pixel(x, y) for x in range(0, 1200, 37) for y in range(0, 800, 29)}
    assert len(colours) > 8, "the picture is (nearly) a single colour"
    # the user's own settings file is left alone
    assert not (tmp_path / "user-settings.ini").exists()


def test_snapshot_of_one_panel_and_bad_arguments(tmp_path):
    out = tmp_path / "console.png"
    proc = workbench("snapshot", "-o", out, "--panel", "console", "--size", "800x600")
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 1000
    bad = workbench("snapshot", "-o", out, "--size", "huge")
    assert bad.returncode == 2 and "--size must look like" in bad.stderr
