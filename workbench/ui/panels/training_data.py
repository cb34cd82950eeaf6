"""The training panel's data: a dataset chooser with its parameters and a preview, and the
dialog that imports a CSV file.

The preview draws what the data is: 2-D classification as points coloured by class, 1-D
regression as y against x, images as a strip of thumbnails, anything else as a short summary.
"""

from __future__ import annotations

import csv
import html
import os
from collections.abc import Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.training import (
    CSVImportError,
    Dataset,
    available_datasets,
    dataset_params,
    load_csv,
    load_dataset,
)
from workbench.ui.icons import icon
from workbench.ui.panels.training_plots import faint, make_plot, theme_plot
from workbench.ui.theme import Theme, code_font, current_theme

PREVIEW_HEIGHT = 170
THUMBNAILS = 8
CSV_PREFIX = "csv: "  # how imported files are named in the dataset combo

# parameter -> (minimum, maximum, step, decimals) for float parameters; ints use INT_RANGES
FLOAT_RANGES = {
    "noise": (0.0, 5.0, 0.01, 3),
    "test_fraction": (0.0, 0.9, 0.05, 2),
    "turns": (0.25, 5.0, 0.25, 2),
    "factor": (0.05, 0.95, 0.05, 2),
    "margin": (0.0, 0.9, 0.05, 2),
    "frequency": (0.1, 10.0, 0.1, 2),
    "bias": (-10.0, 10.0, 0.1, 2),
}
INT_RANGES = {
    "n": (2, 100_000),
    "seed": (0, 2**31 - 1),
    "arms": (2, 3),
    "classes": (2, 10),
    "size": (8, 64),
    "in_features": (1, 10_000),
    "out_features": (1, 1_000),
}


def _tuple_text(value) -> str:
    return ", ".join(f"{v:g}" for v in value)


def _parse_tuple(text: str) -> tuple:
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    return tuple(float(p) for p in parts)


class DatasetPreview(QWidget):
    """A small picture of a dataset; `kind` is "scatter", "regression", "images" or "text"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = "text"
        self.dataset: Dataset | None = None
        self.plot = make_plot(self, "", "", grid=False)
        self.plot.getPlotItem().hideAxis("left")
        self.plot.getPlotItem().hideAxis("bottom")
        self.plot.getPlotItem().setContentsMargins(2, 2, 2, 2)
        self.scatter = pg.ScatterPlotItem(size=5)
        self.plot.addItem(self.scatter)
        self.image_plot = make_plot(self, "", "", grid=False)
        self.image_plot.getPlotItem().hideAxis("left")
        self.image_plot.getPlotItem().hideAxis("bottom")
        self.image_plot.getPlotItem().setAspectLocked(True)
        self.image_plot.getPlotItem().invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image_plot.addItem(self.image)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        for w in (self.plot, self.image_plot, self.text):
            w.setMinimumHeight(60)
            self.stack.addWidget(w)
        self.stack.setFixedHeight(PREVIEW_HEIGHT)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.apply_theme(current_theme())

    def show_dataset(self, dataset: Dataset | None, message: str = "") -> None:
        self.dataset = dataset
        if dataset is None:
            self._text(message or "No data")
            return
        shape = tuple(dataset.input_shape)
        if dataset.task == "classification" and shape == (2,):
            self.kind = "scatter"
        elif dataset.task == "regression" and shape == (1,) and dataset.y_train.shape[1:] == (1,):
            self.kind = "regression"
        elif len(shape) == 3:
            self.kind = "images"
        else:
            self.kind = "text"
        self._draw(current_theme())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._fit()

    def _fit(self) -> None:
        """Fit the view to the data for the size it has now (a locked aspect ratio fitted
        before the final size would leave the points off centre)."""
        if self.kind in ("scatter", "regression"):
            self.plot.getPlotItem().autoRange(padding=0.05)
        elif self.kind == "images":
            self.image_plot.getPlotItem().autoRange(padding=0.02)

    def _text(self, text: str) -> None:
        self.kind = "text"
        self.text.setText(text)
        self.stack.setCurrentWidget(self.text)

    def _draw(self, theme: Theme) -> None:
        ds = self.dataset
        if ds is None:
            return
        if self.kind == "scatter":
            x = np.concatenate([ds.x_train, ds.x_test])
            y = np.concatenate([ds.y_train, ds.y_test])
            brushes = [pg.mkBrush(theme.series[int(c) % len(theme.series)]) for c in y]
            self.scatter.setData(x[:, 0], x[:, 1], brush=brushes, pen=pg.mkPen(None))
            self.plot.getPlotItem().setAspectLocked(True)
            self.plot.getPlotItem().autoRange()
            self.stack.setCurrentWidget(self.plot)
        elif self.kind == "regression":
            x = np.concatenate([ds.x_train, ds.x_test])[:, 0]
            y = np.concatenate([ds.y_train, ds.y_test])[:, 0]
            self.scatter.setData(
                x, y, brush=pg.mkBrush(faint(theme.series[0], 170)), pen=pg.mkPen(None)
            )
            self.plot.getPlotItem().setAspectLocked(False)
            self.plot.getPlotItem().autoRange()
            self.stack.setCurrentWidget(self.plot)
        elif self.kind == "images":
            self.image.setImage(self._mosaic(ds), autoLevels=False, levels=(0.0, 1.0))
            bg, fg = QColor(theme.plot_background), QColor(theme.plot_foreground)
            self.image.setColorMap(pg.ColorMap([0.0, 1.0], [bg, fg]))
            h, w = self.image.image.shape
            self.image.setRect(QRectF(0, 0, w, h))
            self.image_plot.getPlotItem().autoRange(padding=0.02)
            self.stack.setCurrentWidget(self.image_plot)
        else:
            self._text(self._summary(ds))

    @staticmethod
    def _mosaic(ds: Dataset) -> np.ndarray:
        """The first THUMBNAILS training images in two rows, one pixel apart, scaled to 0..1."""
        images = ds.x_train[:THUMBNAILS, 0]
        n, h, w = images.shape
        cols = min(n, THUMBNAILS // 2) or 1
        rows = -(-n // cols)
        out = np.zeros((rows * (h + 1) - 1, cols * (w + 1) - 1), np.float32)
        lo, hi = float(images.min()), float(images.max())
        scaled = (images - lo) / (hi - lo) if hi > lo else images * 0
        for i in range(n):
            r, c = divmod(i, cols)
            out[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = scaled[i]
        return out

    @staticmethod
    def _summary(ds: Dataset) -> str:
        shape = "×".join(str(s) for s in ds.input_shape)
        what = (
            f"{ds.n_classes} classes"
            if ds.task == "classification"
            else f"{ds.y_train.shape[1] if ds.y_train.ndim > 1 else 1} target(s)"
        )
        return (
            f"{ds.task.capitalize()} · {ds.n_train:,} train / {ds.n_test:,} test rows\n"
            f"inputs of shape ({shape}) · {what}"
        )

    def apply_theme(self, theme: Theme) -> None:
        theme_plot(self.plot, theme, grid=False)
        theme_plot(self.image_plot, theme, grid=False)
        self.text.setStyleSheet(
            f"QLabel {{ background: {theme.plot_background}; border: 1px solid {theme.border};"
            f" border-radius: 4px; color: {theme.muted}; }}"
        )
        self._draw(theme)


class DatasetChooser(QWidget):
    """The dataset combo, its parameters as spin boxes, a preview and "Import CSV…".

    `dataset()` is the chosen dataset (None with `error` set when the parameters don't make
    one); `source()` is how to remake it; `changed` follows every change."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.imported: dict[str, Dataset] = {}  # combo text -> dataset
        self.editors: dict[str, QWidget] = {}
        self.error = ""
        self._dataset: Dataset | None = None
        self._dialog: CSVImportDialog | None = None

        self.combo = QComboBox()
        self.combo.addItems(available_datasets())
        self.combo.setToolTip("Built-in datasets, and CSV files you imported")
        self.combo.currentTextChanged.connect(self._on_name)
        self.import_button = QPushButton(icon("open"), "Import CSV…")
        self.import_button.clicked.connect(lambda _c=False: self.open_csv_dialog())
        top = QHBoxLayout()
        top.setSpacing(6)
        top.addWidget(self.combo, 1)
        top.addWidget(self.import_button)
        self.params_grid = QGridLayout()
        self.params_grid.setHorizontalSpacing(8)
        self.params_grid.setVerticalSpacing(6)
        self.preview = DatasetPreview()
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addLayout(self.params_grid)
        layout.addWidget(self.preview)
        layout.addWidget(self.description)
        layout.addWidget(self.error_label)
        self.apply_theme(current_theme())
        self.combo.blockSignals(True)
        self.combo.setCurrentText("spirals")
        self.combo.blockSignals(False)
        self._on_name(self.combo.currentText())

    # ----- what is chosen ----------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.combo.currentText()

    def dataset(self) -> Dataset | None:
        return self._dataset

    def params(self) -> dict:
        out = {}
        for key, editor in self.editors.items():
            if isinstance(editor, QLineEdit):
                out[key] = _parse_tuple(editor.text())
            elif isinstance(editor, QSpinBox) and editor.specialValueText() and editor.value() == 0:
                out[key] = None
            else:
                out[key] = editor.value()
        return out

    def source(self) -> dict:
        """How to remake the data: {"name": <built-in>, "params": {...}}, or for an imported
        file {"name": "csv", "params": load_csv's arguments}."""
        if self.name in self.imported:
            return {"name": "csv", "params": dict(self.imported[self.name].params)}
        return {"name": self.name, "params": self.params()}

    def set_dataset(self, name: str, params: Mapping | None = None) -> None:
        """Choose a built-in dataset and set its parameters."""
        self.combo.setCurrentText(name)
        for key, value in (params or {}).items():
            editor = self.editors.get(key)
            if editor is None:
                continue
            editor.blockSignals(True)
            if isinstance(editor, QLineEdit):
                editor.setText(_tuple_text(value))
            elif value is None and isinstance(editor, QSpinBox):
                editor.setValue(0)
            else:
                editor.setValue(value)
            editor.blockSignals(False)
        self._load()

    def add_imported(self, dataset: Dataset) -> None:
        """Offer an imported dataset in the combo, and choose it."""
        key = f"{CSV_PREFIX}{dataset.name}"
        self.imported[key] = dataset
        if self.combo.findText(key) < 0:
            self.combo.addItem(key)
        if self.combo.currentText() == key:
            self._on_name(key)
        else:
            self.combo.setCurrentText(key)

    # ----- building the editors ----------------------------------------------------------------

    def _on_name(self, name: str) -> None:
        while self.params_grid.count():
            widget = self.params_grid.takeAt(0).widget()
            if widget is not None:
                widget.hide()  # deleteLater waits for the event loop; it must not show till then
                widget.deleteLater()
        self.editors = {}
        if name in self.imported:
            self._load()
            return
        for i, (key, default) in enumerate(dataset_params(name).items()):
            editor = self._editor(key, default)
            self.editors[key] = editor
            label = QLabel(key.replace("_", " "))
            r, c = divmod(i, 2)
            self.params_grid.addWidget(label, r, 2 * c)
            self.params_grid.addWidget(editor, r, 2 * c + 1)
        self.params_grid.setColumnStretch(1, 1)
        self.params_grid.setColumnStretch(3, 1)
        self._load()

    def _editor(self, key: str, default) -> QWidget:
        if isinstance(default, (tuple, list)):
            editor = QLineEdit(_tuple_text(default))
            editor.setToolTip(f"{key}: numbers separated by commas")
            editor.editingFinished.connect(self._load)
            return editor
        if isinstance(default, float) or key in FLOAT_RANGES:
            lo, hi, step, decimals = FLOAT_RANGES.get(key, (-1e6, 1e6, 0.1, 3))
            editor = QDoubleSpinBox()
            editor.setRange(lo, hi)
            editor.setSingleStep(step)
            editor.setDecimals(decimals)
            editor.setValue(float(default))
        else:
            lo, hi = INT_RANGES.get(key, (0, 1_000_000))
            editor = QSpinBox()
            if default is None:  # e.g. digits' n: all rows
                lo = 0
                editor.setSpecialValueText("all")
            editor.setRange(lo, hi)
            editor.setValue(0 if default is None else int(default))
        editor.setKeyboardTracking(False)
        editor.setToolTip(key)
        editor.valueChanged.connect(self._load)
        return editor

    def _load(self) -> None:
        name = self.name
        self.error = ""
        try:
            if name in self.imported:
                self._dataset = self.imported[name]
            else:
                self._dataset = load_dataset(name, **self.params())
        except (ValueError, TypeError) as exc:
            self._dataset = None
            self.error = str(exc)
        ds = self._dataset
        self.preview.show_dataset(ds, self.error)
        if ds is not None:
            self.description.setText(ds.description)
        self.description.setVisible(ds is not None)
        self.error_label.setText(self.error)
        self.error_label.setVisible(bool(self.error))
        self.changed.emit()

    # ----- CSV ---------------------------------------------------------------------------------

    def open_csv_dialog(self, path: str | None = None) -> CSVImportDialog | None:
        """Ask for a file (unless `path` is given) and open the import dialog on it; an
        imported dataset is added to the combo and chosen."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, "Import CSV", "", "CSV files (*.csv *.tsv *.txt);;All files (*)"
            )
            if not path:
                return None
        if self._dialog is not None:
            self._dialog.close()
        dialog = CSVImportDialog(path, self)
        dialog.imported.connect(self.add_imported)
        dialog.open()
        self._dialog = dialog
        return dialog

    def apply_theme(self, theme: Theme) -> None:
        self.description.setStyleSheet(f"color: {theme.muted};")
        self.error_label.setStyleSheet(f"color: {theme.error};")
        self.preview.apply_theme(theme)


def peek_columns(path: str, lines: int = 20) -> tuple[list[str], str]:
    """The column names (header cells, or "column k") and the first lines of a text file."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            head = [line for _, line in zip(range(lines), f, strict=False)]
    except (OSError, UnicodeDecodeError):
        return [], ""
    text = "".join(head)
    sample = [line for line in text.splitlines() if line.strip()]
    if not sample:
        return [], text
    best = ","
    for d in (",", ";", "\t", "|"):
        widths = {len(r) for r in csv.reader(sample, delimiter=d)}
        if len(widths) == 1 and widths.pop() > 1:
            best = d
            break
    rows = list(csv.reader(sample, delimiter=best))
    first = [c.strip() for c in rows[0]]

    def number(s: str) -> bool:
        try:
            float(s)
        except ValueError:
            return False
        return True

    header = len(rows) > 1 and any(
        not number(a) and number(b.strip()) for a, b in zip(first, rows[1], strict=False)
    )
    names = first if header else [f"column {i + 1}" for i in range(len(first))]
    return names, text


class CSVImportDialog(QDialog):
    """Which column is the target, classification or regression, and the test split; errors
    from `load_csv` (naming the line and the column) show inline and the dialog stays open."""

    imported = Signal(object)  # the Dataset

    def __init__(self, path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import CSV")
        self.path = os.fspath(path)
        self.dataset: Dataset | None = None
        names, text = peek_columns(self.path)
        self.file_label = QLabel(f"<b>{html.escape(os.path.basename(self.path))}</b>")
        self.head = QPlainTextEdit(text)
        self.head.setReadOnly(True)
        self.head.setFont(code_font(9))
        self.head.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.head.setFixedHeight(110)
        self.target = QComboBox()
        for i, name in enumerate(names):
            self.target.addItem(name, i)
        if names:
            self.target.setCurrentIndex(len(names) - 1)
        self.task = QComboBox()
        self.task.addItems(["auto", "classification", "regression"])
        self.task.setToolTip("auto: text labels or a few integers are classes, else regression")
        self.test_fraction = QDoubleSpinBox()
        self.test_fraction.setRange(0.0, 0.9)
        self.test_fraction.setSingleStep(0.05)
        self.test_fraction.setValue(0.2)
        form = QFormLayout()
        form.addRow("Target column", self.target)
        form.addRow("Task", self.task)
        form.addRow("Test fraction", self.test_fraction)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        self.buttons.accepted.connect(self.try_import)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        layout.addWidget(self.file_label)
        layout.addWidget(self.head)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.resize(480, 360)
        theme = current_theme()
        self.error_label.setStyleSheet(f"color: {theme.error};")

    def try_import(self) -> bool:
        target = self.target.currentData()
        try:
            self.dataset = load_csv(
                self.path,
                target=-1 if target is None else int(target),
                task=self.task.currentText(),
                test_fraction=self.test_fraction.value(),
            )
        except CSVImportError as exc:
            self.error_label.setText(str(exc))
            self.error_label.show()
            return False
        except (OSError, ValueError) as exc:
            self.error_label.setText(f"Cannot import: {exc}")
            self.error_label.show()
            return False
        self.error_label.hide()
        self.imported.emit(self.dataset)
        self.accept()
        return True
