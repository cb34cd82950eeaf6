"""The Namespace panel: every tensor, parameter and module the user's code left behind.

Rows come from `workbench.session.namespace_entries` (plain data, computed after a run ends);
a module's parameters are its children in the tree. Selecting a row selects the name in every
panel through the shared `Selection`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStackedLayout,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.selection import Selection
from workbench.ui.theme import current_theme, theme_manager

COLUMNS = ("Name", "Type", "Shape", "dtype", "Device", "requires_grad", "grad", "grad_fn")
NAME_ROLE = Qt.ItemDataRole.UserRole


def _shape_text(shape) -> str:
    if shape is None:
        return ""
    return "scalar" if len(shape) == 0 else " × ".join(str(n) for n in shape)


def _flag(value) -> str:
    return "" if value is None else ("✓" if value else "–")


class NamespacePanel(QWidget):
    def __init__(self, selection: Selection, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.selection = selection
        self._items: dict[str, QTreeWidgetItem] = {}
        self._entries: list = []

        self.filter = QLineEdit(placeholderText="Filter by name, type or grad_fn")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)

        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.tree.itemSelectionChanged.connect(self._on_item_selected)

        self.empty = QLabel(
            "Nothing here yet.\nRun some code (Ctrl+Enter): the tensors, parameters and modules "
            "it defines appear here."
        )
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setMargin(16)

        self._stack = QStackedLayout()
        self._stack.addWidget(self.empty)
        self._stack.addWidget(self.tree)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.filter)
        layout.addLayout(self._stack)

        selection.changed.connect(self._follow_selection)
        theme_manager().changed.connect(self._recolour)
        self._recolour()

    # ----------------------------------------------------------------------------- contents

    def set_entries(self, entries) -> None:
        """Show `entries` (NamespaceEntry list), keeping the selection when its name survives."""
        self._entries = list(entries)
        selected = self.selection.name
        self.tree.blockSignals(True)
        self.tree.clear()
        self._items.clear()
        parents: dict[str, QTreeWidgetItem] = {}
        for entry in self._entries:
            owner = entry.name.split(".", 1)[0] if "." in entry.name else None
            parent = parents.get(owner) if owner else None
            label = entry.name[len(owner) + 1 :] if parent is not None else entry.name
            item = QTreeWidgetItem(
                [
                    label,
                    entry.type_name,
                    _shape_text(entry.shape),
                    entry.dtype or "",
                    entry.device or "",
                    _flag(entry.requires_grad),
                    _flag(entry.has_grad),
                    entry.grad_fn or "",
                ]
            )
            item.setData(0, NAME_ROLE, entry.name)
            item.setToolTip(0, entry.summary)
            if entry.kind == "module":
                item.setText(2, f"{entry.numel:,} params")
            (parent.addChild(item) if parent is not None else self.tree.addTopLevelItem(item))
            if entry.kind == "module":
                parents[entry.name] = item
            self._items[entry.name] = item
        # Expanded before sizing: resizeColumnToContents only measures rows that are shown.
        self.tree.expandAll()
        for column in range(len(COLUMNS) - 1):
            self.tree.resizeColumnToContents(column)
        self.tree.blockSignals(False)
        self._stack.setCurrentWidget(self.tree if self._entries else self.empty)
        self._recolour()
        self._apply_filter(self.filter.text())
        if selected in self._items:
            self._follow_selection(selected)

    def names(self) -> list[str]:
        return list(self._items)

    def visible_names(self) -> list[str]:
        return [name for name, item in self._items.items() if not item.isHidden()]

    # ----------------------------------------------------------------------------- behaviour

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for entry in self._entries:
            item = self._items[entry.name]
            haystack = " ".join((entry.name, entry.type_name, entry.grad_fn or "")).lower()
            item.setHidden(bool(needle) and needle not in haystack)
        # A parameter that matches keeps its module visible, or it could not be reached.
        for item in self._items.values():
            parent = item.parent()
            if parent is not None and not item.isHidden():
                parent.setHidden(False)
                parent.setExpanded(True)

    def _on_item_selected(self) -> None:
        items = self.tree.selectedItems()
        if items:
            self.selection.select(items[0].data(0, NAME_ROLE))

    def _follow_selection(self, name: str) -> None:
        item = self._items.get(name)
        current = self.tree.selectedItems()
        if item is None:
            if current:
                self.tree.clearSelection()
            return
        if current and current[0] is item:
            return
        self.tree.blockSignals(True)
        self.tree.setCurrentItem(item)
        self.tree.blockSignals(False)
        self.tree.scrollToItem(item)

    def _recolour(self, _theme=None) -> None:
        theme = current_theme()
        self.empty.setStyleSheet(f"color: {theme.muted};")
        muted = QBrush(QColor(theme.muted))
        accent = QBrush(QColor(theme.accent))
        for entry in self._entries:
            item = self._items[entry.name]
            if entry.grad_fn:
                item.setForeground(7, accent)
            for column in (1, 3, 4):
                item.setForeground(column, muted)
