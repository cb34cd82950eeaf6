"""Starting the desktop app: the QApplication, the theme, the window, and a clear message when
there is no display to open it on.
"""

from __future__ import annotations

import os
import sys

from workbench import __version__

NO_DISPLAY = (
    "workbench: no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
    "  Run it from a desktop session, or on a server use the headless commands:\n"
    "    workbench run SCRIPT.py --table     run a script under the profiler\n"
    "    workbench snapshot FILE -o out.png  render the window to a picture\n"
)


def display_problem(environ=os.environ, platform: str = sys.platform) -> str | None:
    """Why Qt could not open a window here, or None. Only X11/Wayland systems need a display
    variable; an explicit QT_QPA_PLATFORM (offscreen, vnc, …) is trusted."""
    if environ.get("QT_QPA_PLATFORM"):
        return None
    if not platform.startswith("linux") and "bsd" not in platform:
        return None
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return NO_DISPLAY


def create_application(argv: list[str] | None = None):
    """The QApplication with our names, icon and theme (reused if one exists already)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(argv if argv is not None else [sys.argv[0]])
    app.setApplicationName("Autograd Workbench")
    app.setOrganizationName("AutogradWorkbench")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("autograd-workbench")
    from workbench.ui.icons import icon
    from workbench.ui.theme import theme_manager

    theme_manager().apply()
    app.setWindowIcon(icon("app"))
    return app


def run_app(path: str | None = None) -> int:
    problem = display_problem()
    if problem:
        sys.stderr.write(problem)
        return 1
    app = create_application()
    from workbench.ui.main_window import MainWindow

    window = MainWindow()
    window.show()
    if path:
        window.open_path(path)
    else:
        # A recovery file left by a Workbench that crashed: offer it back before anything else.
        window.files.offer_recovery()
    return app.exec()
