"""The Examples gallery: the shipped example scripts listed by title, with a highlighted preview.

Choosing one (Open, Enter or a double click) emits `chosen(Example)`; the window opens its text in
a new editor tab.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from workbench.session.examples import Example, list_examples, read_example
from workbench.ui.panels.code_editor import CodeEditor
from workbench.ui.theme import Theme, code_font, current_theme, theme_manager

_ROLE_EXAMPLE = Qt.ItemDataRole.UserRole
_PAD_X = 12
_PAD_Y = 8
_LINE_GAP = 2


class _ExampleDelegate(QStyledItemDelegate):
    """Two lines per example: the title, then the description elided to the list's width."""

    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont]:
        title = QFont(option.font)
        title.setWeight(QFont.Weight.DemiBold)
        description = QFont(option.font)
        description.setPointSizeF(max(7.0, option.font.pointSizeF() - 1))
        return title, description

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        title, description = self._fonts(option)
        height = QFontMetrics(title).height() + _LINE_GAP + QFontMetrics(description).height()
        return QSize(240, height + 2 * _PAD_Y)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        theme = current_theme()
        example: Example = index.data(_ROLE_EXAMPLE)
        painter.save()
        rect = option.rect
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, QColor(theme.current_line))
            painter.fillRect(QRect(rect.left(), rect.top(), 3, rect.height()), QColor(theme.accent))
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(rect, QColor(theme.alt_base))
        title_font, description_font = self._fonts(option)
        inner = rect.adjusted(_PAD_X, _PAD_Y, -_PAD_X, -_PAD_Y)
        title_metrics = QFontMetrics(title_font)
        painter.setFont(title_font)
        painter.setPen(QColor(theme.text))
        title = title_metrics.elidedText(example.title, Qt.TextElideMode.ElideRight, inner.width())
        painter.drawText(inner.left(), inner.top() + title_metrics.ascent(), title)
        painter.setFont(description_font)
        painter.setPen(QColor(theme.muted))
        description_metrics = QFontMetrics(description_font)
        description = description_metrics.elidedText(
            example.description, Qt.TextElideMode.ElideRight, inner.width()
        )
        baseline = inner.top() + title_metrics.height() + _LINE_GAP + description_metrics.ascent()
        painter.drawText(inner.left(), baseline, description)
        painter.setPen(QColor(theme.border))
        painter.drawLine(rect.left(), rect.bottom(), rect.right(), rect.bottom())
        painter.restore()


class ExamplesGallery(QDialog):
    chosen = Signal(object)  # the Example to open

    def __init__(self, examples: list[Example] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Examples")
        self.resize(900, 560)
        self._examples = list_examples() if examples is None else list(examples)

        self.list = QListWidget(self)
        self.list.setItemDelegate(_ExampleDelegate(self.list))
        self.list.setMouseTracking(True)
        self.list.setUniformItemSizes(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for example in self._examples:
            item = QListWidgetItem(example.title)
            item.setData(_ROLE_EXAMPLE, example)
            item.setToolTip(example.description)
            self.list.addItem(item)
        self.list.currentRowChanged.connect(self._show_preview)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())

        self.title = QLabel(self)
        title_font = self.title.font()
        title_font.setPointSizeF(title_font.pointSizeF() + 3)
        title_font.setWeight(QFont.Weight.DemiBold)
        self.title.setFont(title_font)
        self.description = QLabel(self)
        self.description.setWordWrap(True)
        self.inspects = QLabel(self)
        self.inspects.setWordWrap(True)

        self.preview = CodeEditor("preview", parent=self)
        self.preview.setFont(code_font(9))
        self.preview.setReadOnly(True)
        self.preview.set_current_line_visible(False)
        self.preview.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )

        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(12, 8, 0, 0)
        right_layout.setSpacing(6)
        right_layout.addWidget(self.title)
        right_layout.addWidget(self.description)
        right_layout.addWidget(self.inspects)
        right_layout.addWidget(self.preview, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.list)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([290, 610])
        splitter.setChildrenCollapsible(False)

        self.buttons = QDialogButtonBox(self)
        self.open_button = self.buttons.addButton("Open", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.open_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        hint = "Each example opens in a new tab; run it with Ctrl+Enter."
        footer = QHBoxLayout()
        self.footer_hint = QLabel(hint, self)
        footer.addWidget(self.footer_hint, 1)
        footer.addWidget(self.buttons)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)
        layout.addWidget(splitter, 1)
        layout.addLayout(footer)

        self._apply_theme(current_theme())
        theme_manager().changed.connect(self._apply_theme)
        if self._examples:
            self.list.setCurrentRow(0)
        else:
            self._show_preview(-1)
        self.list.setFocus()

    def examples(self) -> list[Example]:
        return list(self._examples)

    def selected_example(self) -> Example | None:
        item = self.list.currentItem()
        return None if item is None else item.data(_ROLE_EXAMPLE)

    def select(self, name: str) -> bool:
        """Select the example whose file stem is `name`."""
        for row, example in enumerate(self._examples):
            if example.name == name:
                self.list.setCurrentRow(row)
                return True
        return False

    def accept(self) -> None:
        example = self.selected_example()
        if example is None:
            return
        super().accept()
        self.chosen.emit(example)

    def _show_preview(self, row: int) -> None:
        example = self._examples[row] if 0 <= row < len(self._examples) else None
        self.open_button.setEnabled(example is not None)
        if example is None:
            self.title.setText("No examples")
            self.description.setText("No example scripts were found in assets/examples.")
            self.inspects.clear()
            self.preview.setPlainText("")
            return
        self.title.setText(example.title)
        self.description.setText(example.description)
        shown = [name if x is None else f"{name} against {x}" for name, x in example.inspect]
        listed = ", ".join(shown)
        self.inspects.setText(f"After a run the inspector shows {listed}." if shown else "")
        self.inspects.setVisible(bool(shown))
        self.preview.setPlainText(read_example(example))

    def _apply_theme(self, theme: Theme) -> None:
        self.description.setStyleSheet(f"color: {theme.muted};")
        self.inspects.setStyleSheet(f"color: {theme.muted};")
        self.footer_hint.setStyleSheet(f"color: {theme.muted};")
        self.preview.setStyleSheet(f"QPlainTextEdit {{ border: 1px solid {theme.border}; }}")
        self.list.viewport().update()
