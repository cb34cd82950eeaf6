"""Persistent settings: window geometry, panel layout, recent files, theme.

`WORKBENCH_SETTINGS` names an INI file to use instead of the user's settings; the tests and
`workbench snapshot` set it so they never read or change what a person has arranged.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 10


def open_settings() -> QSettings:
    path = os.environ.get("WORKBENCH_SETTINGS")
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, "AutogradWorkbench", "workbench"
    )


def recent_files(settings: QSettings) -> list[str]:
    value = settings.value("recent_files", [])
    if isinstance(value, str):  # QSettings returns a lone string for a one-item list
        value = [value]
    return [str(v) for v in value or [] if v]


def add_recent_file(settings: QSettings, path: str | os.PathLike) -> list[str]:
    path = str(Path(path).resolve())
    files = [path] + [f for f in recent_files(settings) if f != path]
    files = files[:MAX_RECENT]
    settings.setValue("recent_files", files)
    return files


def remove_recent_file(settings: QSettings, path: str) -> list[str]:
    files = [f for f in recent_files(settings) if f != path]
    settings.setValue("recent_files", files)
    return files
