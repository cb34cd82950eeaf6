"""The one selection every panel shares: the name of the tensor (or module) being looked at.

Panels call `select(name)` when the user picks something and follow `changed` to show it; a
panel that caused a change gets it back too, so it must not re-emit (compare before selecting).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Selection(QObject):
    changed = Signal(str)  # the selected namespace name ("" = nothing selected)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = ""

    @property
    def name(self) -> str:
        return self._name

    def select(self, name: str) -> None:
        if name != self._name:
            self._name = name
            self.changed.emit(name)

    def clear(self) -> None:
        self.select("")
