"""Where the training panel's model comes from: the layer-stack builder, or a model from code.

`ModelBuilder` edits a list of `LayerSpec`s: add (a menu of kinds), remove, move up and down
(buttons, or drag a row by its handle), per-layer spin boxes and an activation combo. After
every edit it works out each layer's output shape and parameter count (`infer_shapes`,
`parameter_counts`); a layer that doesn't fit shows the `SpecError` in its row, in the error
colour, and `error` says so (the panel disables Start). `CodeModelChooser` picks an
`nn.Module` and x/y tensors from the session's namespace instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QMimeData, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QDrag
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.training import (
    ACTIVATIONS,
    LayerSpec,
    ModelSpec,
    SpecError,
    infer_shapes,
    parameter_counts,
)
from workbench.ui.panels.inspector_data import is_engine_tensor, is_module
from workbench.ui.theme import Theme, code_font, current_theme

MIME = "application/x-workbench-layer"

# kind -> the parameters a row edits: (name, label, type, minimum, maximum, step)
EDITORS: dict[str, list[tuple]] = {
    "Linear": [("out_features", "out", int, 1, 4096, 1)],
    "Dropout": [("p", "p", float, 0.0, 0.95, 0.05)],
    "Conv2d": [
        ("out_channels", "out", int, 1, 512, 1),
        ("kernel_size", "k", int, 1, 15, 1),
        ("stride", "stride", int, 1, 8, 1),
        ("padding", "pad", int, 0, 8, 1),
    ],
    "MaxPool2d": [("kernel_size", "k", int, 1, 8, 1)],
}
# what a newly added layer starts with where the kind has no default
NEW_LAYER = {
    "Linear": {"out_features": 16},
    "Conv2d": {"out_channels": 8, "kernel_size": 3, "padding": 1},
    "Dropout": {"p": 0.2},
}
ADD_MENU = (
    "Linear",
    None,
    *ACTIVATIONS,
    None,
    "Dropout",
    "LayerNorm",
    "BatchNorm1d",
    None,
    "Conv2d",
    "MaxPool2d",
    "Flatten",
)


def _cnn(input_shape, out_features) -> ModelSpec:
    layers = [
        LayerSpec("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
        LayerSpec("ReLU"),
        LayerSpec("MaxPool2d", {"kernel_size": 2}),
        LayerSpec("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}),
        LayerSpec("ReLU"),
        LayerSpec("MaxPool2d", {"kernel_size": 2}),
        LayerSpec("Flatten"),
        LayerSpec("Linear", {"out_features": 32}),
        LayerSpec("ReLU"),
        LayerSpec("Linear", {"out_features": out_features}),
    ]
    return ModelSpec(tuple(input_shape), layers)


# name -> (input shape, output size) -> spec. The MLPs take whatever input the data has (a
# Flatten first for images); "2-16-16" names the spirals' case.
PRESETS: dict[str, Callable[[tuple, int], ModelSpec]] = {
    "MLP 2-16-16": lambda shape, out: ModelSpec.mlp(shape, (16, 16), out),
    "MLP 2-64-64": lambda shape, out: ModelSpec.mlp(shape, (64, 64), out),
    "CNN (shapes)": _cnn,
}


def shape_text(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _row_style(theme: Theme, selected: bool) -> str:
    if selected:
        return (
            f"#LayerRow {{ background: {theme.current_line}; border: 1px solid {theme.accent};"
            f" border-radius: 4px; }}"
        )
    return (
        f"#LayerRow {{ background: {theme.base}; border: 1px solid {theme.border};"
        f" border-radius: 4px; }}"
    )


class _Handle(QLabel):
    """The grip a row is dragged by."""

    def __init__(self, row: LayerRow) -> None:
        super().__init__("⠿")
        self.row = row
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setToolTip("Drag to move the layer")
        self._press: QPoint | None = None

    def mousePressEvent(self, event) -> None:
        self._press = event.position().toPoint()
        self.row.clicked.emit(self.row.index)

    def mouseMoveEvent(self, event) -> None:
        if self._press is None:
            return
        moved = (event.position().toPoint() - self._press).manhattanLength()
        if moved < QApplication.startDragDistance():
            return
        self._press = None
        mime = QMimeData()
        mime.setData(MIME, str(self.row.index).encode())
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.setPixmap(self.row.grab())
        drag.exec(Qt.DropAction.MoveAction)

    def mouseReleaseEvent(self, event) -> None:
        self._press = None


class LayerRow(QFrame):
    """One layer: grip, index, kind (a combo for activations), its editors, the output shape
    and the parameter count, and the layer's error when it doesn't fit."""

    edited = Signal(int, object)  # index, the new LayerSpec
    clicked = Signal(int)

    def __init__(self, index: int, layer: LayerSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LayerRow")
        self.index = index
        self.layer = layer
        self.editors: dict[str, QSpinBox | QDoubleSpinBox] = {}
        self.handle = _Handle(self)
        self.number = QLabel(str(index))
        self.number.setFont(code_font(9))
        self.number.setMinimumWidth(14)
        if layer.kind in ACTIVATIONS:
            self.kind = QComboBox()
            self.kind.addItems(ACTIVATIONS)
            self.kind.setCurrentText(layer.kind)
            self.kind.setToolTip("Activation function")
            self.kind.currentTextChanged.connect(self._on_activation)
        else:
            self.kind = QLabel(layer.kind)
            bold = self.kind.font()
            bold.setBold(True)
            self.kind.setFont(bold)
        self.shape = QLabel()
        self.shape.setFont(code_font(9))
        self.shape.setToolTip("Output shape (without the batch dimension)")
        self.count = QLabel()
        self.count.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.count.setMinimumWidth(36)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.hide()

        top = QHBoxLayout()
        top.setSpacing(4)
        top.addWidget(self.handle)
        top.addWidget(self.number)
        top.addWidget(self.kind)
        editors = QHBoxLayout()
        editors.setSpacing(4)
        for name, label, kind, lo, hi, step in EDITORS.get(layer.kind, []):
            box = QSpinBox() if kind is int else QDoubleSpinBox()
            box.setRange(lo, hi)
            box.setSingleStep(step)
            if kind is float:
                box.setDecimals(2)
            value = layer.resolved()[name]
            box.setValue(value if not isinstance(value, tuple) else value[0])
            box.setKeyboardTracking(False)
            box.setToolTip(name)
            box.setFixedWidth(58 if name in ("out_features", "p") else 46)
            box.valueChanged.connect(self._on_edit)
            caption = QLabel(label)
            caption.setProperty("muted", True)
            editors.addWidget(caption)
            editors.addWidget(box)
            self.editors[name] = box
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 3, 8, 3)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        grid.addLayout(top, 0, 0)
        inline = len(self.editors) <= 1
        if inline:
            top.addLayout(editors)
        top.addStretch(1)
        grid.addWidget(self.shape, 0, 1)
        grid.addWidget(self.count, 0, 2)
        row = 1
        if not inline:
            indent = QHBoxLayout()
            indent.setContentsMargins(10, 0, 0, 0)
            indent.addLayout(editors)
            indent.addStretch(1)
            grid.addLayout(indent, row, 0, 1, 3)
            row += 1
        grid.addWidget(self.error, row, 0, 1, 3)
        grid.setColumnStretch(0, 1)

    def mousePressEvent(self, event) -> None:
        self.clicked.emit(self.index)
        super().mousePressEvent(event)

    def _on_activation(self, kind: str) -> None:
        self.layer = LayerSpec(kind)
        self.edited.emit(self.index, self.layer)

    def _on_edit(self) -> None:
        params = dict(self.layer.params)
        for name, box in self.editors.items():
            params[name] = box.value()
        self.layer = LayerSpec(self.layer.kind, params)
        self.edited.emit(self.index, self.layer)

    def set_info(self, shape: str, count: int | None, error: str, theme: Theme) -> None:
        self.shape.setText(shape)
        self.count.setText("" if count is None else (f"{count:,}" if count else "—"))
        self.count.setToolTip("" if count is None else f"{count:,} trainable parameters")
        self.error.setText(error)
        self.error.setVisible(bool(error))
        colour = theme.error if error else theme.text
        self.shape.setStyleSheet(f"color: {theme.error if error else theme.muted};")
        self.number.setStyleSheet(f"color: {colour if error else theme.muted};")
        self.error.setStyleSheet(f"color: {theme.error};")

    def apply_theme(self, theme: Theme, selected: bool) -> None:
        self.setStyleSheet(_row_style(theme, selected))
        self.handle.setStyleSheet(f"color: {theme.muted};")
        self.count.setStyleSheet(f"color: {theme.muted};")
        for caption in self.findChildren(QLabel):
            if caption.property("muted"):
                caption.setStyleSheet(f"color: {theme.muted};")


class _LayerList(QWidget):
    """The rows, accepting a dragged row and showing where it would land."""

    dropped = Signal(int, int)  # from index, to index (in the list before the move)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.rows: list[LayerRow] = []
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(4)
        self.marker = QFrame(self)
        self.marker.setFixedHeight(2)
        self.marker.hide()

    def drop_index(self, y: float) -> int:
        for i, row in enumerate(self.rows):
            if y < row.geometry().center().y():
                return i
        return len(self.rows)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(MIME):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        if not event.mimeData().hasFormat(MIME):
            return
        event.acceptProposedAction()
        i = self.drop_index(event.position().y())
        if self.rows:
            ref = self.rows[min(i, len(self.rows) - 1)].geometry()
            y = ref.top() - 3 if i < len(self.rows) else ref.bottom() + 2
            self.marker.setGeometry(0, max(y, 0), self.width(), 2)
            self.marker.setStyleSheet(f"background: {current_theme().accent};")
            self.marker.show()
            self.marker.raise_()

    def dragLeaveEvent(self, event) -> None:
        self.marker.hide()

    def dropEvent(self, event) -> None:
        self.marker.hide()
        if not event.mimeData().hasFormat(MIME):
            return
        source = int(bytes(event.mimeData().data(MIME)).decode())
        event.acceptProposedAction()
        self.dropped.emit(source, self.drop_index(event.position().y()))


class ModelBuilder(QWidget):
    """The layer-stack editor. `spec()` is what it holds; `error` the SpecError that stops it
    from training (None when it fits); `changed` follows every edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.input_shape: tuple = (2,)
        self.out_features = 2
        self.layers: list[LayerSpec] = []
        self.selected = -1
        self.error: SpecError | None = None
        self.shapes: list[tuple | None] = []
        self.counts: list[int | None] = []
        self._fit_check: Callable[[ModelSpec], None] | None = None
        self._preset: str | None = None  # the preset the layers still are, unedited

        self.preset_combo = QComboBox()
        self.preset_combo.addItem("Presets…")
        self.preset_combo.addItems(list(PRESETS))
        self.preset_combo.setToolTip("Replace the layers with a ready-made model")
        self.preset_combo.activated.connect(self._on_preset)
        self.add_button = QPushButton("Add layer")
        self.add_button.setToolTip("Add a layer after the selected one")
        self.add_menu = QMenu(self)
        for kind in ADD_MENU:
            if kind is None:
                self.add_menu.addSeparator()
                continue
            action = QAction(kind, self.add_menu)
            action.triggered.connect(lambda _c=False, k=kind: self.add_layer(k))
            self.add_menu.addAction(action)
        self.add_button.setMenu(self.add_menu)
        self.remove_button = self._tool("Remove", "Remove the selected layer", self.remove_selected)
        self.up_button = self._tool("▲", "Move the selected layer up", lambda: self._nudge(-1))
        self.down_button = self._tool("▼", "Move the selected layer down", lambda: self._nudge(1))
        tools = QHBoxLayout()
        tools.setSpacing(4)
        tools.addWidget(self.add_button)
        tools.addWidget(self.remove_button)
        tools.addWidget(self.up_button)
        tools.addWidget(self.down_button)
        tools.addStretch(1)
        tools.addWidget(self.preset_combo)

        self.input_label = QLabel()
        self.input_label.setFont(code_font(9))
        self.header = QLabel("output · params")
        head = QHBoxLayout()
        head.setContentsMargins(8, 0, 8, 0)
        head.addWidget(self.input_label)
        head.addStretch(1)
        head.addWidget(self.header)
        self.list = _LayerList()
        self.list.dropped.connect(self._on_dropped)
        self.empty = QLabel("No layers yet: add one, or pick a preset")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.total = QLabel()
        self.message = QLabel()  # an error that is no single layer's
        self.message.setWordWrap(True)
        self.message.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(tools)
        layout.addLayout(head)
        layout.addWidget(self.list)
        layout.addWidget(self.empty)
        layout.addWidget(self.message)
        layout.addWidget(self.total)
        self.apply_theme(current_theme())

    def _tool(self, text: str, tip: str, slot) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.clicked.connect(lambda _c=False: slot())
        return button

    # ----- the model ---------------------------------------------------------------------------

    def spec(self) -> ModelSpec:
        return ModelSpec(self.input_shape, list(self.layers))

    def set_spec(self, spec: ModelSpec) -> None:
        self.input_shape = tuple(spec.input_shape)
        self._preset = None
        self._set_layers(list(spec.layers))

    @property
    def preset(self) -> str | None:
        return self._preset

    def apply_preset(self, name: str) -> None:
        self._set_layers(list(PRESETS[name](self.input_shape, self.out_features).layers))
        self._preset = name

    def set_io(self, input_shape, out_features: int) -> None:
        """The data's input shape and the output size its loss needs. An unedited preset is
        rebuilt for them; otherwise a last Linear that matched the old output follows it."""
        input_shape = tuple(input_shape)
        old_out, self.out_features = self.out_features, out_features
        changed = input_shape != self.input_shape or old_out != out_features
        self.input_shape = input_shape
        if not changed:
            return
        if self._preset is not None:
            self.apply_preset(self._preset)
            return
        last = self.layers[-1] if self.layers else None
        if last is not None and last.kind == "Linear" and last.params["out_features"] == old_out:
            self.layers[-1] = LayerSpec("Linear", {**last.params, "out_features": out_features})
            self._set_layers(self.layers)
        else:
            self.validate()

    def set_fit_check(self, check: Callable[[ModelSpec], None] | None) -> None:
        """`check(spec)` raises SpecError when the model doesn't fit the data and loss."""
        self._fit_check = check
        self.validate()

    def add_layer(self, kind: str, index: int | None = None) -> None:
        if index is None:
            index = self.selected + 1 if 0 <= self.selected < len(self.layers) else len(self.layers)
        self.layers.insert(index, LayerSpec(kind, NEW_LAYER.get(kind, {})))
        self._edited()
        self.selected = index
        self._set_layers(self.layers)

    def remove_layer(self, index: int) -> None:
        del self.layers[index]
        self._edited()
        self.selected = min(index, len(self.layers) - 1)
        self._set_layers(self.layers)

    def remove_selected(self) -> None:
        if 0 <= self.selected < len(self.layers):
            self.remove_layer(self.selected)

    def move_layer(self, source: int, target: int) -> None:
        """Move the layer at `source` to position `target` (counted after removing it)."""
        target = max(0, min(target, len(self.layers) - 1))
        if source == target:
            return
        self.layers.insert(target, self.layers.pop(source))
        self._edited()
        self.selected = target
        self._set_layers(self.layers)

    def _nudge(self, delta: int) -> None:
        if 0 <= self.selected < len(self.layers):
            self.move_layer(self.selected, self.selected + delta)

    def _on_dropped(self, source: int, slot: int) -> None:
        # `slot` counts gaps in the list as it was: past the source, one fewer after removal
        self.move_layer(source, slot - 1 if slot > source else slot)

    def select(self, index: int) -> None:
        self.selected = index
        self._restyle()
        self._update_buttons()

    def _edited(self) -> None:
        self._preset = None

    def _on_preset(self, index: int) -> None:
        if index > 0:
            self.apply_preset(self.preset_combo.itemText(index))
        self.preset_combo.setCurrentIndex(0)

    def _on_row_edited(self, index: int, layer: LayerSpec) -> None:
        self.layers[index] = layer
        self._edited()
        self.validate()

    # ----- showing it --------------------------------------------------------------------------

    @property
    def rows(self) -> list[LayerRow]:
        return self.list.rows

    def _set_layers(self, layers: list[LayerSpec]) -> None:
        self.layers = list(layers)
        for row in self.list.rows:
            self.list.layout_.removeWidget(row)
            row.hide()
            row.deleteLater()
        self.list.rows = []
        for i, layer in enumerate(self.layers):
            row = LayerRow(i, layer)
            row.edited.connect(self._on_row_edited)
            row.clicked.connect(self.select)
            self.list.layout_.addWidget(row)
            self.list.rows.append(row)
        if self.selected >= len(self.layers):
            self.selected = len(self.layers) - 1
        self.validate()

    def validate(self) -> None:
        """Work out shapes and counts, show them, and find the error that stops training."""
        spec = self.spec()
        self.error = None
        try:
            shapes = infer_shapes(spec)
        except SpecError as exc:
            self.error = exc
            fit = exc.index if exc.index is not None else 0
            shapes = infer_shapes(ModelSpec(self.input_shape, self.layers[:fit]))
        n_ok = len(shapes)
        counts = parameter_counts(ModelSpec(self.input_shape, self.layers[:n_ok]))
        self.shapes = [*shapes, *[None] * (len(self.layers) - n_ok)]
        self.counts = [*counts, *[None] * (len(self.layers) - n_ok)]
        if self.error is None and self._fit_check is not None:
            try:
                self._fit_check(spec)
            except SpecError as exc:
                self.error = exc
        if self.error is None and not self.layers:
            self.error = SpecError("the model has no layers")
        self._show()
        self.changed.emit()

    def _show(self) -> None:
        theme = current_theme()
        bad = self.error.index if self.error is not None else None
        for i, row in enumerate(self.list.rows):
            shape = self.shapes[i]
            text = "—" if shape is None else shape_text(shape)
            error = str(self.error) if bad == i else ""
            row.set_info(text, self.counts[i], error, theme)
        self.input_label.setText(f"input {shape_text(self.input_shape)}")
        shown_elsewhere = self.error is not None and (bad is None or bad >= len(self.list.rows))
        self.message.setText(str(self.error) if shown_elsewhere else "")
        self.message.setVisible(shown_elsewhere and bool(self.layers))
        self.empty.setVisible(not self.layers)
        known = [c for c in self.counts if c is not None]
        total = sum(known)
        suffix = "" if len(known) == len(self.counts) else " (up to the error)"
        self.total.setText(f"Total: <b>{total:,}</b> trainable parameters{suffix}")
        self._restyle()
        self._update_buttons()

    def _restyle(self) -> None:
        theme = current_theme()
        for i, row in enumerate(self.list.rows):
            row.apply_theme(theme, i == self.selected)

    def _update_buttons(self) -> None:
        has = 0 <= self.selected < len(self.layers)
        self.remove_button.setEnabled(has)
        self.up_button.setEnabled(has and self.selected > 0)
        self.down_button.setEnabled(has and self.selected < len(self.layers) - 1)

    def setEnabled(self, enabled: bool) -> None:  # noqa: N802 (Qt's name)
        super().setEnabled(enabled)
        self.list.setAcceptDrops(enabled)

    def apply_theme(self, theme: Theme) -> None:
        for label in (self.input_label, self.header, self.empty, self.total):
            label.setStyleSheet(f"color: {theme.muted};")
        self.message.setStyleSheet(f"color: {theme.error};")
        if hasattr(self, "list"):
            self._show()


# ----- a model from code ---------------------------------------------------------------------


def _describe(obj) -> str:
    shape = tuple(getattr(obj, "shape", ()))
    dtype = str(getattr(obj, "dtype", "")).replace("workbench.", "").replace("torch.", "")
    return f"{shape_text(shape)} {dtype}".strip()


class CodeModelChooser(QWidget):
    """Picks a model, inputs x and targets y from the session's namespace."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.namespace: Mapping[str, object] = {}
        self.model_combo = QComboBox()
        self.x_combo = QComboBox()
        self.y_combo = QComboBox()
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        for row, (label, combo, tip) in enumerate(
            (
                ("Model", self.model_combo, "An nn.Module from the namespace"),
                ("x", self.x_combo, "The inputs: a tensor, one row per example"),
                ("y", self.y_combo, "The targets: integer classes or float values"),
            )
        ):
            combo.setToolTip(tip)
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(12)
            combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
            grid.addWidget(QLabel(label), row, 0)
            grid.addWidget(combo, row, 1)
        grid.setColumnStretch(1, 1)
        self.hint = QLabel(
            "Run code that defines a model and its data, e.g.\n"
            "model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))\n"
            "x = torch.randn(200, 2); y = (x[:, 0] > 0).long()"
        )
        self.hint.setWordWrap(True)
        self.hint.setFont(code_font(9))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(grid)
        layout.addWidget(self.hint)
        self.apply_theme(current_theme())
        self.set_namespace({})

    def set_namespace(self, namespace: Mapping[str, object]) -> None:
        self.namespace = namespace
        modules, tensors = [], []
        for name, obj in list(namespace.items()):
            if not isinstance(name, str) or name.startswith("_"):
                continue
            if is_module(obj):
                modules.append((name, type(obj).__name__))
            elif is_engine_tensor(obj) and len(getattr(obj, "shape", ())) >= 1:
                tensors.append((name, _describe(obj)))
        self._fill(self.model_combo, modules, prefer=("model", "net"))
        self._fill(self.x_combo, tensors, prefer=("x", "X", "inputs", "x_train"))
        self._fill(self.y_combo, tensors, prefer=("y", "Y", "targets", "labels", "y_train"))
        self.hint.setVisible(not modules or not tensors)
        self.changed.emit()

    def _fill(self, combo: QComboBox, entries, prefer) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        for name, detail in entries:
            combo.addItem(f"{name}  ·  {detail}", name)
        names = [name for name, _ in entries]
        pick = current if current in names else next((p for p in prefer if p in names), None)
        if pick is not None:
            combo.setCurrentIndex(names.index(pick))
        combo.blockSignals(False)

    def selection(self) -> tuple[str | None, str | None, str | None]:
        return (
            self.model_combo.currentData(),
            self.x_combo.currentData(),
            self.y_combo.currentData(),
        )

    def select(self, model: str, x: str, y: str) -> None:
        for combo, name in ((self.model_combo, model), (self.x_combo, x), (self.y_combo, y)):
            index = combo.findData(name)
            if index >= 0:
                combo.setCurrentIndex(index)

    def objects(self):
        """(model, x, y) from the namespace; raises ValueError naming what is missing."""
        names = self.selection()
        for what, name in zip(("a model", "x", "y"), names, strict=True):
            if name is None or name not in self.namespace:
                raise ValueError(f"choose {what} from the namespace")
        return tuple(self.namespace[name] for name in names)

    def apply_theme(self, theme: Theme) -> None:
        self.hint.setStyleSheet(f"color: {theme.muted};")
