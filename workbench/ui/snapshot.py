"""`workbench snapshot`: render the window (or one panel) to a PNG offscreen, then exit.

It uses the offscreen platform and a throw-away settings file, so it works on a server and never
touches the user's layout; the README's pictures and the UI tests are made with it.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

PANELS = ("editor", "console", "namespace", "inspector", "graph", "training", "profiler")


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size must look like 1400x900, not {text!r}") from None
    if not (200 <= width <= 8000 and 200 <= height <= 8000):
        raise ValueError(f"--size {text}: width and height must be between 200 and 8000")
    return width, height


def snapshot(
    path: str | None,
    out: str,
    *,
    panel: str | None = None,
    size: tuple[int, int] = (1440, 900),
    run: bool = False,
    theme: str = "light",
    timeout: float = 60.0,
    profile: bool = False,
) -> Path:
    """Open `path` (a script) in a fresh window, optionally run it, and save a PNG of the window
    or of one panel. Returns the PNG's path; raises RuntimeError when the run fails or hangs."""
    if panel is not None and panel not in PANELS:
        raise ValueError(f"unknown panel {panel!r}; choose one of {', '.join(PANELS)}")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="workbench-snapshot-") as tmp:
        saved = os.environ.get("WORKBENCH_SETTINGS")
        os.environ["WORKBENCH_SETTINGS"] = str(Path(tmp) / "settings.ini")
        try:
            return _render(path, Path(out), panel, size, run, theme, timeout, profile)
        finally:
            if saved is None:
                os.environ.pop("WORKBENCH_SETTINGS", None)
            else:
                os.environ["WORKBENCH_SETTINGS"] = saved


def _render(path, out: Path, panel, size, run, theme, timeout, profile=False) -> Path:
    from PySide6.QtCore import QEventLoop, QTimer

    from workbench.ui.app import create_application
    from workbench.ui.main_window import MainWindow
    from workbench.ui.theme import theme_manager

    app = create_application()
    theme_manager().set_mode(theme)
    window = MainWindow()
    try:
        window.resize(*size)
        if path and not window.open_path(path):
            raise RuntimeError(f"could not open {path}")
        window.show()
        app.processEvents()
        window.act_profile.setChecked(profile)
        if run:
            loop = QEventLoop()
            results = []
            window.run_finished.connect(lambda result: (results.append(result), loop.quit()))
            QTimer.singleShot(int(timeout * 1000), loop.quit)
            window.run_all()
            if not results and window.controller.busy:
                loop.exec()
            if not results:
                raise RuntimeError(f"the run did not finish within {timeout:g} s")
        window.update_device()  # the window probes it 250 ms after showing; a picture can't wait
        if panel is not None:
            window.docks[panel].raise_()  # a tabbed panel is drawn only when in front
        app.processEvents()
        widget = window if panel is None else window.docks[panel]
        out.parent.mkdir(parents=True, exist_ok=True)
        if not widget.grab().save(str(out)):
            raise RuntimeError(f"could not write {out}")
        return out
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()


def main_snapshot(args) -> int:
    try:
        size = parse_size(args.size)
        out = snapshot(
            args.file,
            args.output,
            panel=args.panel,
            size=size,
            run=args.run,
            theme=args.theme,
            profile=args.profile,
        )
    except (ValueError, RuntimeError) as exc:
        print(f"workbench snapshot: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ValueError) else 1
    print(f"snapshot written to {out}")
    return 0
