"""The application's keyboard shortcuts, in one table for the actions and the help dialog."""

from __future__ import annotations

from html import escape

from PySide6.QtGui import QKeySequence

SHORTCUTS = {
    "new": "Ctrl+N",
    "open": "Ctrl+O",
    "save": "Ctrl+S",
    "save_as": "Ctrl+Shift+S",
    "quit": "Ctrl+Q",
    "run": "Ctrl+Return",
    "run_selection": "Shift+Return",
    "stop": "Ctrl+.",
}

DESCRIPTIONS = {
    "run": "Run the whole script",
    "run_selection": "Run the selection, or the current line",
    "stop": "Stop the run",
    "new": "New script",
    "open": "Open a script",
    "save": "Save",
    "save_as": "Save as",
    "quit": "Quit",
}

EDITOR_KEYS = (
    ("Tab / Shift+Tab", "Indent / dedent (4 spaces)"),
    ("↑ / ↓ in the console", "Previous / next input"),
)


def shortcuts_html() -> str:
    rows = [
        (QKeySequence(SHORTCUTS[key]).toString(QKeySequence.SequenceFormat.NativeText), text)
        for key, text in DESCRIPTIONS.items()
    ]
    rows += list(EDITOR_KEYS)
    body = "".join(
        f"<tr><td style='padding:2px 16px 2px 0'><b>{escape(k)}</b></td><td>{escape(t)}</td></tr>"
        for k, t in rows
    )
    return f"<table>{body}</table>"
