"""The Training panel: build a small model (or pick one from code), choose data and settings,
train it live on a worker thread and watch it learn.

Left: the model (builder or from code), the data, the hyper-parameters, and pinned below them
Start / Pause / Step / Stop / Reset with the progress. Right: the runs' curves, the inside view
of one run, and its decision boundary (2-D classification) or predictions (regression).

Training runs on a `TrainingWorker` thread; its ~30 Hz GUI-thread timer hands over what arrived,
and this panel redraws only the tab on view: curves every tick, histograms at most twice a second
and the decision boundary at most four times a second.
"""

from __future__ import annotations

import math
import os
import time
from collections import deque
from collections.abc import Mapping
from contextlib import nullcontext
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import workbench.engine as torch
from workbench.training import (
    DATASETS,
    LOSSES,
    OPTIMIZERS,
    SCHEDULES,
    ModelSpec,
    SpecError,
    TrainConfig,
    Trainer,
    TrainHistory,
    build,
    load_csv,
    load_dataset,
    metrics_csv,
    save_safetensors,
    script_for,
)
from workbench.training.trainer import check_fit
from workbench.ui.icons import icon
from workbench.ui.panels.highlighter import PythonHighlighter
from workbench.ui.panels.training_builder import CodeModelChooser, ModelBuilder
from workbench.ui.panels.training_data import DatasetChooser
from workbench.ui.panels.training_plots import (
    BoundaryView,
    CurvesView,
    InsideView,
    PaintClock,
    PredictionsView,
    RunSeries,
)
from workbench.ui.panels.training_worker import TrainingRun, TrainingWorker
from workbench.ui.selection import Selection
from workbench.ui.theme import Theme, code_font, current_theme, theme_manager

__all__ = ["TrainingPanel", "HyperParams", "CodeDialog"]

# While training, redraws (setData and the paints that follow) may take DRAW_BUDGET of the
# time: the GUI thread draws holding the GIL the trainer needs. A cheap redraw happens on
# every ~30 Hz tick; a costly one (a big window, many runs) is spaced out to stay in budget.
DRAW_BUDGET = 0.05
LABEL_SECONDS = 0.2  # the progress text changes at most 5x a second: it is read, not watched
BOUNDARY_SECONDS = 0.25  # the decision boundary is recomputed at most 4x a second
HISTOGRAM_SECONDS = 0.5  # histogram images at most 2x a second
RATE_WINDOW = 1.5  # seconds of ticks the steps/s figure averages over
LR_LADDER = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
CLASSIFICATION_LOSSES = ("cross_entropy", "bce_with_logits")


class LrSpinBox(QDoubleSpinBox):
    """A learning rate: the arrows step along 1e-5, 3e-5, 1e-4, … 10; any value may be typed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(5)
        self.setRange(1e-5, 10.0)

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt's name)
        value = self.value()
        if steps > 0:
            higher = [v for v in LR_LADDER if v > value * 1.0001]
            self.setValue(higher[min(steps, len(higher)) - 1] if higher else LR_LADDER[-1])
        elif steps < 0:
            lower = [v for v in LR_LADDER if v < value / 1.0001]
            self.setValue(lower[-min(-steps, len(lower))] if lower else LR_LADDER[0])

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt's name)
        return f"{value:.5f}".rstrip("0").rstrip(".") if value else "0"


class HyperParams(QWidget):
    """Loss, optimiser, learning rate and the rest, building a TrainConfig; `error` is why the
    settings don't make one ("" when they do)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.error = ""
        self.loss = QComboBox()
        self.loss.addItems(LOSSES)
        self.optimizer = QComboBox()
        self.optimizer.addItems(OPTIMIZERS)
        self.optimizer.setCurrentText("adam")
        self.lr = LrSpinBox()
        self.lr.setValue(0.01)
        self.momentum = QDoubleSpinBox()
        self.momentum.setRange(0.0, 0.99)
        self.momentum.setSingleStep(0.05)
        self.momentum.setValue(0.9)
        self.weight_decay = QDoubleSpinBox()
        self.weight_decay.setDecimals(5)
        self.weight_decay.setRange(0.0, 1.0)
        self.weight_decay.setSingleStep(1e-4)
        self.schedule = QComboBox()
        for s in SCHEDULES:
            self.schedule.addItem("none" if s is None else s, s)
        self.batch = QSpinBox()
        self.batch.setRange(1, 65536)
        self.batch.setValue(32)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 1_000_000)
        self.epochs.setValue(200)
        self.clip = QDoubleSpinBox()
        self.clip.setRange(0.0, 1000.0)
        self.clip.setSingleStep(0.5)
        self.clip.setSpecialValueText("off")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        tips = {
            self.loss: "The loss; only those that fit the data's task are offered",
            self.lr: "Learning rate; the arrows step 1e-4, 3e-4, 1e-3, …",
            self.momentum: "Momentum (SGD and RMSprop)",
            self.weight_decay: "L2 weight decay (decoupled for AdamW)",
            self.schedule: "Learning-rate schedule, stepped once per epoch",
            self.batch: "Rows per optimisation step",
            self.epochs: "Passes over the training set",
            self.clip: "Clip the total gradient norm to this (off: no clipping)",
            self.seed: "Initial weights, batch order and dropout",
        }
        for widget, tip in tips.items():
            widget.setToolTip(tip)
        fields = (
            ("Loss", self.loss),
            ("Optimiser", self.optimizer),
            ("Learning rate", self.lr),
            ("Momentum", self.momentum),
            ("Weight decay", self.weight_decay),
            ("Schedule", self.schedule),
            ("Batch size", self.batch),
            ("Epochs", self.epochs),
            ("Grad clip", self.clip),
            ("Seed", self.seed),
        )
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        self.labels = {}
        for i, (label, widget) in enumerate(fields):
            # the loss has a row to itself (its names are long); the rest go two by two
            r, c = (0, 0) if i == 0 else divmod(i + 1, 2)
            text = QLabel(label)
            self.labels[label] = text
            grid.addWidget(text, r, 2 * c)
            if i == 0:
                grid.addWidget(widget, r, 1, 1, 3)
            else:
                grid.addWidget(widget, r, 2 * c + 1)
            widget.setMinimumWidth(60)
            if isinstance(widget, QComboBox):
                widget.currentIndexChanged.connect(self._on_change)
            else:
                widget.setKeyboardTracking(False)
                widget.valueChanged.connect(self._on_change)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(grid)
        layout.addWidget(self.error_label)
        self.apply_theme(current_theme())
        self._on_change()

    def set_task(self, task: str, n_classes: int | None = None) -> None:
        """Offer only the losses that fit the task (bce_with_logits: two classes)."""
        if task == "classification":
            losses = [l for l in CLASSIFICATION_LOSSES if l != "bce_with_logits" or n_classes == 2]
        else:
            losses = [l for l in LOSSES if l not in CLASSIFICATION_LOSSES]
        current = self.loss.currentText()
        if [self.loss.itemText(i) for i in range(self.loss.count())] == losses:
            return
        self.loss.blockSignals(True)
        self.loss.clear()
        self.loss.addItems(losses)
        self.loss.setCurrentText(current if current in losses else losses[0])
        self.loss.blockSignals(False)
        self._on_change()

    def config(self) -> TrainConfig:
        """The settings as a TrainConfig; ValueError when they don't make one."""
        clip = self.clip.value()
        return TrainConfig(
            loss=self.loss.currentText(),
            optimizer=self.optimizer.currentText(),
            lr=float(self.lr.value()),
            momentum=float(self.momentum.value()),
            weight_decay=float(self.weight_decay.value()),
            schedule=self.schedule.currentData(),
            batch_size=int(self.batch.value()),
            epochs=int(self.epochs.value()),
            grad_clip=float(clip) if clip > 0 else None,
            seed=int(self.seed.value()),
        )

    def set_config(self, config: TrainConfig) -> None:
        widgets = (self.loss, self.optimizer, self.lr, self.momentum, self.weight_decay)
        for w in (*widgets, self.schedule, self.batch, self.epochs, self.clip, self.seed):
            w.blockSignals(True)
        if self.loss.findText(config.loss) < 0:
            self.loss.addItem(config.loss)
        self.loss.setCurrentText(config.loss)
        self.optimizer.setCurrentText(config.optimizer)
        self.lr.setValue(config.lr)
        self.momentum.setValue(config.momentum)
        self.weight_decay.setValue(config.weight_decay)
        self.schedule.setCurrentIndex(max(self.schedule.findData(config.schedule), 0))
        self.batch.setValue(config.batch_size)
        self.epochs.setValue(config.epochs)
        self.clip.setValue(config.grad_clip or 0.0)
        self.seed.setValue(config.seed)
        for w in (*widgets, self.schedule, self.batch, self.epochs, self.clip, self.seed):
            w.blockSignals(False)
        self._on_change()

    def _on_change(self, *_args) -> None:
        uses_momentum = self.optimizer.currentText() in ("sgd", "rmsprop")
        self.momentum.setEnabled(uses_momentum)
        self.labels["Momentum"].setEnabled(uses_momentum)
        try:
            self.config()
            self.error = ""
        except ValueError as exc:
            self.error = str(exc)
        self.error_label.setText(self.error)
        self.error_label.setVisible(bool(self.error))
        self.changed.emit()

    def apply_theme(self, theme: Theme) -> None:
        self.error_label.setStyleSheet(f"color: {theme.error};")


class CodeDialog(QDialog):
    """ "Show as code": the run as a script, highlighted and read-only, to copy or to open in
    the editor."""

    open_requested = Signal(str, str)  # name, text

    def __init__(self, name: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Show as code — {name}")
        self.name = name
        self.editor = QPlainTextEdit(text)
        self.editor.setReadOnly(True)
        self.editor.setFont(code_font())
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.document().setDocumentMargin(8)
        self.highlighter = PythonHighlighter(self.editor.document())
        note = QLabel(
            "Runs on our engine; on PyTorch after changing the import to <code>import torch</code>."
        )
        note.setStyleSheet(f"color: {current_theme().muted};")
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(self.copy)
        self.open_button = QPushButton(icon("editor"), "Open in editor")
        self.open_button.clicked.connect(self._open)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(note, 1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.open_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.addWidget(self.editor, 1)
        layout.addLayout(buttons)
        self.resize(760, 620)

    @property
    def text(self) -> str:
        return self.editor.toPlainText()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text)

    def _open(self) -> None:
        self.open_requested.emit(self.name, self.text)
        self.close()


class ElidedLabel(QLabel):
    """A one-line label that ends in "…" rather than being cut off when narrow."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = text
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, self.width())
        super().setText(shown)


def _section(title: str) -> QLabel:
    label = QLabel(title.upper())
    label.setObjectName("SectionTitle")
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 0.85)
    font.setLetterSpacing(font.SpacingType.AbsoluteSpacing, 0.6)
    label.setFont(font)
    return label


def _rule() -> QFrame:
    line = QFrame()
    line.setObjectName("SectionRule")
    line.setFixedHeight(1)
    return line


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _percent(v) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{100 * v:.1f}%"


class TrainingPanel(QWidget):
    """See the module docstring. The window calls `set_namespace(ns)` after each run (for
    "model from code"), stores `runs()` in sessions (`StoredRun(**run.stored())`), shows stored
    ones with `load_run(stored)`, and listens to `run_finished` (a TrainingRun that finished or
    was stopped) and `open_code` (name, text: "Show as code" → "Open in editor")."""

    run_finished = Signal(object)
    open_code = Signal(str, str)
    state_changed = Signal(str)  # "idle", "running", "paused"
    # (engine profile or None, title or the reason it failed): "Profile next N steps"
    profiled = Signal(object, str)

    def __init__(self, selection: Selection, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TrainingPanel")
        self.selection = selection
        self.namespace: Mapping[str, object] = {}
        # Training keeps Python's default switch interval: benchmarks/training_panel.py measured
        # 0.91 of headless steps/s with it against 0.85 at 1 ms, both with GUI p99 under 20 ms.
        # (None: leave the interval alone; TRAIN_SWITCH_INTERVAL remains for experiments.)
        self.switch_interval: float | None = None
        self._runs: list[TrainingRun] = []
        self._shown: TrainingRun | None = None
        self._active: TrainingRun | None = None
        self._worker: TrainingWorker | None = None
        self._state = "idle"
        self._next_number = 1
        self._rates: deque = deque()
        self._rate = 0.0
        self._last_boundary = -math.inf
        self._last_histograms = -math.inf
        self._last_label = -math.inf
        self._next_draw = -math.inf
        self._draw_cost = 0.0
        self._paint_mark = PaintClock.seconds
        self._code_dialog: CodeDialog | None = None
        self.last_error = ""
        self.redraws = 0  # live redraws of the views (the benchmark reports their rate)
        self._result_for: object = _UNSET  # the run the result tab is set up for
        self._build()
        selection.changed.connect(self._on_selection)
        theme_manager().changed.connect(self._on_theme)
        self._on_data_changed()
        self._update_controls()

    # ----- building --------------------------------------------------------------------------

    def _build(self) -> None:
        # the model
        self.builder_button = QToolButton()
        self.builder_button.setText("Builder")
        self.code_button = QToolButton()
        self.code_button.setText("Model from code")
        self.source_group = QButtonGroup(self)
        for i, button in enumerate((self.builder_button, self.code_button)):
            button.setCheckable(True)
            self.source_group.addButton(button, i)
        self.builder_button.setChecked(True)
        self.source_group.idToggled.connect(self._on_source)
        source_row = QHBoxLayout()
        source_row.setSpacing(0)
        source_row.addWidget(self.builder_button)
        source_row.addWidget(self.code_button)
        source_row.addStretch(1)
        self.builder = ModelBuilder()
        self.builder.apply_preset("MLP 2-16-16")
        self.builder.changed.connect(self._update_controls)
        self.code_chooser = CodeModelChooser()
        self.code_chooser.changed.connect(self._on_code_changed)
        self.model_stack = QStackedWidget()
        self.model_stack.addWidget(self.builder)
        self.model_stack.addWidget(self.code_chooser)

        # the data and the settings
        self.data = DatasetChooser()
        self.data.changed.connect(self._on_data_changed)
        self.code_data_note = QLabel("The data are the x and y tensors chosen above.")
        self.code_data_note.setWordWrap(True)
        self.code_data_note.hide()
        self.hyper = HyperParams()
        self.hyper.changed.connect(self._on_hyper_changed)

        form = QWidget()
        form.setObjectName("TrainingForm")
        column = QVBoxLayout(form)
        column.setContentsMargins(10, 8, 10, 10)
        column.setSpacing(6)
        self.sections = {}
        for title, widgets in (
            ("Model", [source_row, self.model_stack]),
            ("Data", [self.data, self.code_data_note]),
            ("Training", [self.hyper]),
        ):
            if self.sections:
                column.addSpacing(8)
            header = _section(title)
            self.sections[title] = header
            column.addWidget(header)
            column.addWidget(_rule())
            for w in widgets:
                if isinstance(w, QHBoxLayout):
                    column.addLayout(w)
                else:
                    column.addWidget(w)
        column.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidget(form)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        # the controls, pinned under the form
        self.start_button = QPushButton(icon("run"), "Start")
        self.start_button.setToolTip("Train (resume when paused)")
        self.pause_button = QPushButton("Pause")
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("Do one optimisation step, then wait")
        self.stop_button = QPushButton(icon("stop"), "Stop")
        self.stop_button.setToolTip("End the run; it stays in the plots for comparison")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Stop and discard the current run")
        for button, slot in (
            (self.start_button, self.start),
            (self.pause_button, self.pause),
            (self.step_button, self.step),
            (self.stop_button, self.stop),
            (self.reset_button, self.reset),
        ):
            button.clicked.connect(lambda _c=False, s=slot: s())
        self.profile_button = QPushButton(icon("profiler"), "Profile next")
        self.profile_button.setToolTip(
            "Record the next steps with the profiler; they open in the Profiler panel"
        )
        self.profile_steps = QSpinBox()
        self.profile_steps.setRange(1, 10_000)
        self.profile_steps.setValue(10)
        self.profile_steps.setSuffix(" steps")
        self.profile_button.clicked.connect(
            lambda _c=False: self.profile_next(self.profile_steps.value())
        )
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        for b in (
            self.start_button,
            self.pause_button,
            self.step_button,
            self.stop_button,
            self.reset_button,
        ):
            buttons.addWidget(b)
        profile_row = QHBoxLayout()
        profile_row.setSpacing(4)
        profile_row.addWidget(self.profile_button)
        profile_row.addWidget(self.profile_steps)
        profile_row.addStretch(1)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(6)
        self.status = QLabel("Ready")
        self.rate_label = QLabel()
        for label in (self.status, self.rate_label):  # changing text, steady layout
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        status_row = QVBoxLayout()
        status_row.setSpacing(2)
        status_row.addWidget(self.status)
        status_row.addWidget(self.rate_label)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        controls = QWidget()
        controls.setObjectName("TrainingControls")
        box = QVBoxLayout(controls)
        box.setContentsMargins(10, 8, 10, 8)
        box.setSpacing(6)
        box.addLayout(buttons)
        box.addLayout(profile_row)
        box.addWidget(self.progress)
        box.addLayout(status_row)
        box.addWidget(self.error_label)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(0)
        left_layout.addWidget(self.scroll, 1)
        left_layout.addWidget(controls)
        left.setMinimumWidth(340)

        # the right: header, then tabs
        self.run_title = ElidedLabel()
        self.run_combo = QComboBox()
        self.run_combo.setToolTip("The run the Inside and Boundary tabs and the exports show")
        self.run_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.run_combo.setMinimumContentsLength(14)
        self.run_combo.setMaximumWidth(300)
        self.run_combo.currentIndexChanged.connect(self._on_run_chosen)
        self.run_combo.hide()
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setIcon(icon("export"))
        self.export_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        self.act_export_metrics = QAction("Metrics as CSV…", menu)
        self.act_export_metrics.triggered.connect(lambda _c=False: self.export_metrics())
        self.act_export_weights = QAction("Weights as .safetensors…", menu)
        self.act_export_weights.triggered.connect(lambda _c=False: self.export_weights())
        menu.addActions([self.act_export_metrics, self.act_export_weights])
        self.export_button.setMenu(menu)
        self.code_button_show = QPushButton(icon("editor"), "Show as code")
        self.code_button_show.clicked.connect(lambda _c=False: self.show_code())
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.setSpacing(6)
        head.addWidget(self.run_combo, 3)
        head.addWidget(self.run_title, 2)
        head.addWidget(self.export_button)
        head.addWidget(self.code_button_show)

        self.curves = CurvesView()
        self.curves.clear_requested.connect(self.clear_runs)
        self.curves.smoothing_changed.connect(self._on_smoothing)
        self.inside = InsideView()
        self.boundary = BoundaryView()
        self.predictions = PredictionsView()
        self.result_stack = QStackedWidget()
        self.result_stack.addWidget(self.boundary)
        self.result_stack.addWidget(self.predictions)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.curves_tab = self.tabs.addTab(self.curves, "Curves")
        self.inside_tab = self.tabs.addTab(self.inside, "Inside")
        self.result_tab = self.tabs.addTab(self.result_stack, "Boundary")
        self.tabs.currentChanged.connect(lambda _i: self._refresh_views(force=True))
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(10, 8, 10, 8)
        right_layout.setSpacing(4)
        right_layout.addLayout(head)
        right_layout.addWidget(self.tabs, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([390, 810])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self._apply_theme(current_theme())

    # ----- public API ------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """ "idle", "running" or "paused"."""
        return self._state

    @property
    def current_run(self) -> TrainingRun | None:
        """The run the Inside and Boundary tabs show (the newest unless another is chosen)."""
        return self._shown

    @property
    def active_run(self) -> TrainingRun | None:
        return self._active

    def runs(self) -> list[TrainingRun]:
        """This panel's runs, oldest first (the active one included, as far as it got)."""
        return list(self._runs)

    def set_namespace(self, namespace: Mapping[str, object]) -> None:
        """Adopt the session's namespace (kept by reference) for "Model from code"."""
        self.namespace = namespace
        self.code_chooser.set_namespace(namespace)

    def set_source(self, source: str) -> None:
        """ "builder" or "code"."""
        (self.code_button if source == "code" else self.builder_button).setChecked(True)

    @property
    def source(self) -> str:
        return "code" if self.code_button.isChecked() else "builder"

    # ----- controls --------------------------------------------------------------------------

    def start(self) -> bool:
        """Train: resume a paused run, or start a new one from the settings."""
        if self._worker is not None and self._worker.active:
            self._worker.resume()
            self._set_state("running")
            return True
        return self._begin(step_only=False)

    def pause(self) -> None:
        if self._worker is not None and self._worker.active:
            self._worker.pause()
            self._set_state("paused")
            self._catch_up()

    def _catch_up(self) -> None:
        """Draw everything that arrived (redraws are spaced out only while running)."""
        if self._worker is not None and self._active is not None:
            items = self._worker.drain()
            if items:
                self._active.series.extend(items)
        self._update_progress(self._active)
        self._refresh_views(force=True)

    def profile_next(self, steps: int) -> None:
        """Profile the next `steps` optimisation steps of the run (starting it paused-stepping
        is not needed: the steps are recorded as they happen); `profiled` delivers it."""
        if self._worker is None:
            self.profiled.emit(None, "Start a run first: the next steps of a run are profiled")
            return
        self._worker.profile_steps(steps)

    def step(self) -> bool:
        """One optimisation step (of a new run when none is active), then wait paused."""
        if self._worker is not None and self._worker.active:
            self._worker.step_once()
            self._set_state("paused")
            return True
        return self._begin(step_only=True)

    def stop(self) -> None:
        """End the active run; `run_finished` follows within a tick."""
        if self._worker is not None:
            self._worker.stop()
            self.status.setText("Stopping…")

    def reset(self) -> None:
        """Stop the active run at once and discard it; with none active, discard the run on
        view. Its curves go too."""
        run = self._active or self._shown
        if self._worker is not None:
            self._worker.shutdown()
            self._worker.deleteLater()
            self._worker = None
        self._active = None
        if run is not None and run in self._runs:
            self._runs.remove(run)
        self._shown = self._runs[-1] if self._runs else None
        self._set_state("idle")
        self.status.setText("Ready")
        self.progress.setValue(0)
        self.rate_label.setText("")
        self._runs_changed()

    def clear_runs(self) -> None:
        """Drop every run but the active one."""
        self._runs = [r for r in self._runs if r is self._active]
        self._shown = self._active
        self._runs_changed()

    # ----- starting a run --------------------------------------------------------------------

    def _make_run(self) -> TrainingRun:
        """A new run from the settings; ValueError (SpecError included) says why not."""
        config = self.hyper.config()
        if self.source == "code":
            model, x, y = self.code_chooser.objects()
            names = self.code_chooser.selection()
            trainer = Trainer.for_module(model, x, y, config)
            spec = None
            source = {"name": "namespace", "model": names[0], "x": names[1], "y": names[2]}
        else:
            dataset = self.data.dataset()
            if dataset is None:
                raise ValueError(self.data.error or "choose a dataset")
            spec = self.builder.spec()
            if self.builder.error is not None:
                raise self.builder.error
            trainer = Trainer.from_spec(spec, dataset, config)
            source = self.data.source()
        run = TrainingRun(
            number=self._next_number,
            spec=spec,
            config=config,
            source=source,
            history=trainer.history,
            dataset=trainer.dataset,
            model=trainer.model,
            trainer=trainer,
            state="running",
        )
        run.series = RunSeries(trainer.history.layers)
        self._next_number += 1
        return run

    def _begin(self, step_only: bool) -> bool:
        try:
            run = self._make_run()
        except (ValueError, TypeError, RuntimeError) as exc:
            self._show_error(str(exc))
            return False
        self._show_error("")
        self._active = self._shown = run
        self._runs.append(run)
        self._worker = TrainingWorker(run.trainer, self, switch_interval=self.switch_interval)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._worker.profiled.connect(self.profiled)
        self._rates.clear()
        self._rate = 0.0
        self._rates.append((time.perf_counter(), 0))
        self._last_boundary = self._last_histograms = self._last_label = -math.inf
        self._next_draw = -math.inf
        self._draw_cost = 0.0
        self._paint_mark = PaintClock.seconds
        self._runs_changed()
        self._worker.start(step_only=step_only)
        self._set_state("paused" if step_only else "running")
        return True

    def _show_error(self, text: str) -> None:
        self.last_error = text
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    # ----- progress --------------------------------------------------------------------------

    def _on_progress(self, items: list) -> None:
        run = self._active
        if run is None:
            return
        run.series.extend(items)
        now = time.perf_counter()
        cpu = time.thread_time()
        self._rates.append((now, run.steps_done))
        while len(self._rates) > 2 and now - self._rates[0][0] > RATE_WINDOW:
            self._rates.popleft()
        (t0, s0), (t1, s1) = self._rates[0], self._rates[-1]
        if t1 > t0:
            self._rate = (s1 - s0) / (t1 - t0)
        if now - self._last_label >= LABEL_SECONDS:
            self._last_label = now
            self._update_progress(run)
        # the paints that followed the last redraw count toward its cost
        self._draw_cost += PaintClock.seconds - self._paint_mark
        self._paint_mark = PaintClock.seconds
        if self._state != "running" or now >= self._next_draw:
            self._next_draw = now + self._draw_cost / DRAW_BUDGET
            self.redraws += 1
            self._refresh_views()
            self._draw_cost = time.thread_time() - cpu

    def _on_finished(self, state: str) -> None:
        worker, run = self._worker, self._active
        self._worker = None
        self._active = None
        if worker is not None:
            worker.deleteLater()
        if run is None:
            return
        run.seconds += worker.seconds if worker is not None else 0.0
        run.state = "stopped" if state == "error" and run.steps_done else state
        if state == "error":
            error = worker.error if worker is not None else None
            self._show_error(f"Training failed: {error}")
            if not run.steps_done:
                self._runs.remove(run)
                self._shown = self._runs[-1] if self._runs else None
        self._set_state("idle")
        self._update_progress(run)
        self._runs_changed()
        if run in self._runs:
            self.run_finished.emit(run)

    def _update_progress(self, run: TrainingRun | None) -> None:
        if run is None or run.trainer is None:
            return
        trainer = run.trainer
        total = max(trainer.total_steps, 1)
        done = run.steps_done
        self.progress.setMaximum(total)
        self.progress.setValue(min(done, total))
        epoch = min(done // max(trainer.steps_per_epoch, 1), trainer.config.epochs)
        text = f"step {done:,} / {total:,} · epoch {epoch:,} / {trainer.config.epochs:,}"
        if run.state in ("finished", "stopped"):
            text = f"{run.state.capitalize()} · {text}"
        elif self._state == "paused":
            text = f"Paused · {text}"
        self.status.setText(text)
        if self._state == "running" and self._rate > 0:
            left = (total - done) / self._rate
            self.rate_label.setText(f"{self._rate:,.0f} steps/s · {_clock(left)} left")
        elif self._state != "running":
            self.rate_label.setText("")
        self._update_title()

    # ----- views -----------------------------------------------------------------------------

    def _runs_changed(self) -> None:
        self.curves.set_runs(self._runs)
        self.run_combo.blockSignals(True)
        self.run_combo.clear()
        for run in self._runs:
            self.run_combo.addItem(run.label(), run.number)
        if self._shown is not None:
            self.run_combo.setCurrentIndex(self._runs.index(self._shown))
        self.run_combo.setVisible(bool(self._runs))
        self.run_combo.blockSignals(False)
        self._show_run(self._shown)

    def _on_run_chosen(self, index: int) -> None:
        if 0 <= index < len(self._runs):
            self._shown = self._runs[index]
            self._show_run(self._shown)

    def _layer_titles(self, run: TrainingRun | None) -> dict[str, str]:
        titles = {}
        if run is None:
            return titles
        if run.spec is not None:
            for i, layer in enumerate(run.spec.layers):
                titles[str(i)] = f"{i} · {layer.kind}"
        elif run.model is not None:
            for name, module in run.model.named_modules():
                titles[name or "(root)"] = f"{name or '(root)'} · {type(module).__name__}"
        return titles

    def _show_run(self, run: TrainingRun | None) -> None:
        self.inside.show_run(run, self._layer_titles(run))
        self._result_for = _UNSET  # set up when its tab is next drawn (scattering costs)
        self._name_result_tab(run)
        self._update_title()
        self._update_controls()
        self._refresh_views(force=True)

    def _name_result_tab(self, run: TrainingRun | None) -> None:
        dataset = run.dataset if run is not None else self._preview_dataset()
        regression = dataset is not None and dataset.task == "regression"
        self.tabs.setTabText(self.result_tab, "Predictions" if regression else "Boundary")

    def _setup_result(self, run: TrainingRun | None) -> None:
        """Point the third tab at the run's task: boundary or predictions, or a hint."""
        self._result_for = run
        dataset = run.dataset if run is not None else self._preview_dataset()
        regression = dataset is not None and dataset.task == "regression"
        self._name_result_tab(run)
        if dataset is None:
            self.result_stack.setCurrentWidget(self.boundary)
            self.boundary.show_message("No data to show yet")
            return
        if regression:
            self.result_stack.setCurrentWidget(self.predictions)
            one_d = tuple(dataset.input_shape) == (1,) and dataset.y_train.shape[1:] == (1,)
            if one_d:
                self.predictions.set_data(
                    dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test
                )
                self.predictions.set_curve([], [])
            else:
                self.predictions.show_message("Predictions appear here once the model trains")
            if run is None or run.trainer is None:
                if not one_d:
                    self.predictions.show_message(
                        "Press Start: predictions against targets appear as the model learns"
                    )
            return
        self.result_stack.setCurrentWidget(self.boundary)
        if tuple(dataset.input_shape) != (2,):
            shape = "×".join(map(str, dataset.input_shape))
            self.boundary.show_message(
                f"The decision boundary is drawn for 2-D inputs; {dataset.name} has inputs of "
                f"shape ({shape})"
            )
            return
        self.boundary.set_dataset(dataset)
        self.boundary.note.setText("" if run is not None else "before training")

    def _preview_dataset(self):
        if self.source == "builder":
            return self.data.dataset()
        return None

    def _refresh_views(self, force: bool = False) -> None:
        """Redraw what is on view: cheap views every tick, costly ones at their own pace."""
        tab = self.tabs.currentIndex()
        now = time.perf_counter()
        if tab == self.curves_tab:
            self.curves.refresh()
        elif tab == self.inside_tab:
            # histograms and curves on different ticks: neither stalls the window for long
            if force or now - self._last_histograms >= HISTOGRAM_SECONDS:
                self._last_histograms = now
                self.inside.refresh_histograms(force)
                if force:
                    self.inside.refresh()
            else:
                self.inside.refresh()
        elif tab == self.result_tab and (force or now - self._last_boundary >= BOUNDARY_SECONDS):
            self._last_boundary = now
            if self._result_for is not self._shown:
                self._setup_result(self._shown)
            self._refresh_result()

    def _refresh_result(self) -> None:
        run = self._shown
        if run is None or run.trainer is None or run.dataset is None:
            return
        ds = run.dataset
        note = self._result_note(run)
        try:
            if ds.task == "classification" and tuple(ds.input_shape) == (2,):
                if self.boundary.bounds is None:
                    self.boundary.set_dataset(ds)
                _, _, probs = run.trainer.decision_grid(
                    BoundaryView.RESOLUTION, bounds=self.boundary.bounds
                )
                self.boundary.set_grid(probs, note)
            elif ds.task == "regression":
                if self.predictions.mode == "curve":
                    x = np.concatenate([ds.x_train, ds.x_test])[:, 0]
                    grid = np.linspace(float(x.min()), float(x.max()), 200, dtype=np.float32)
                    pred = run.trainer.predict(grid[:, None])
                    self.predictions.set_curve(grid, pred[:, 0], note)
                else:
                    _x, y_true, y_pred = run.trainer.predictions("test")
                    self.predictions.show_scatter(y_true, y_pred, note)
        except Exception as exc:  # a model from code may not take the grid; say so, keep going
            self.boundary.note.setText(f"cannot draw: {exc}")

    def _result_note(self, run: TrainingRun) -> str:
        if not run.history.epochs:
            return f"step {run.steps_done:,}"
        e = run.history.epochs[-1]
        if e.test_accuracy is not None:
            return f"step {e.step:,} · test accuracy {_percent(e.test_accuracy)}"
        if e.train_accuracy is not None:
            return f"step {e.step:,} · train accuracy {_percent(e.train_accuracy)}"
        loss = e.test_loss if e.test_loss is not None else e.train_loss
        return f"step {e.step:,} · {'test' if e.test_loss is not None else 'train'} loss {loss:.4g}"

    def _update_title(self) -> None:
        run = self._shown
        if run is None:
            self.run_title.setText("No runs yet")
            return
        parts = [run.state if run.state != "running" else "training"]
        if run.history.epochs:
            e = run.history.epochs[-1]
            parts.append(f"loss {e.train_loss:.4g}")
            if e.test_accuracy is not None:
                parts.append(f"test acc {_percent(e.test_accuracy)}")
            elif e.train_accuracy is not None:
                parts.append(f"train acc {_percent(e.train_accuracy)}")
        self.run_title.setText(" · ".join(parts))

    # ----- state -----------------------------------------------------------------------------

    def _set_state(self, state: str) -> None:
        changed = state != self._state
        self._state = state
        if self._active is not None and state in ("running", "paused"):
            self._active.state = state
        self._update_controls()
        if self._active is not None:
            self._update_progress(self._active)
        if changed:
            self.state_changed.emit(state)

    def _can_start(self) -> bool:
        if self.hyper.error:
            return False
        if self.source == "code":
            return all(self.code_chooser.selection())
        return self.builder.error is None and self.data.dataset() is not None

    def _update_controls(self) -> None:
        if not hasattr(self, "reset_button"):
            return
        busy = self._worker is not None
        state = self._state
        can_start = self._can_start()
        self.start_button.setEnabled(state == "paused" or (not busy and can_start))
        self.start_button.setText("Resume" if state == "paused" else "Start")
        self.pause_button.setEnabled(state == "running")
        self.step_button.setEnabled(state in ("running", "paused") or (not busy and can_start))
        self.stop_button.setEnabled(busy)
        self.reset_button.setEnabled(busy or self._shown is not None)
        for w in (self.model_stack, self.data, self.hyper, self.builder_button, self.code_button):
            w.setEnabled(not busy)
        if not busy and not can_start and self.source == "builder":
            reason = self.builder.error or self.data.error or self.hyper.error
            self.start_button.setToolTip(f"Cannot start: {reason}" if reason else "")
        else:
            self.start_button.setToolTip("Train (resume when paused)")
        shown = self._shown
        has_model = shown is not None and shown.model is not None
        self.act_export_metrics.setEnabled(shown is not None)
        self.act_export_weights.setEnabled(has_model)
        self.export_button.setEnabled(shown is not None)
        self.code_button_show.setEnabled(shown is not None and shown.spec is not None)
        self.code_button_show.setToolTip(
            "The model and the training loop as a script"
            if shown is None or shown.spec is not None
            else "Only builder models can be shown as code"
        )

    # ----- reactions -------------------------------------------------------------------------

    def _on_source(self, _id: int, checked: bool) -> None:
        if not checked:
            return
        code = self.source == "code"
        self.model_stack.setCurrentWidget(self.code_chooser if code else self.builder)
        self.data.setVisible(not code)
        self.code_data_note.setVisible(code)
        self._on_code_changed() if code else self._on_data_changed()

    def _on_data_changed(self) -> None:
        ds = self.data.dataset()
        if ds is not None and self.source == "builder":
            self.hyper.set_task(ds.task, ds.n_classes)
            self._update_io()
        self._update_controls()
        if self._shown is None:
            self._result_for = _UNSET
            self._name_result_tab(None)
            self._refresh_views(force=True)

    def _on_hyper_changed(self) -> None:
        self._update_io()
        self._update_controls()

    def _update_io(self) -> None:
        """Tell the builder the data's shapes and what the loss needs of the last layer."""
        ds = self.data.dataset()
        if ds is None:
            self.builder.set_fit_check(None)
            return
        loss = self.hyper.loss.currentText()
        out = 1 if loss == "bce_with_logits" else int(np.prod(ds.output_shape))
        self.builder.set_io(ds.input_shape, out)
        self.builder.set_fit_check(lambda spec: check_fit(spec, ds, loss))

    def _on_code_changed(self) -> None:
        if self.source != "code":
            return
        _model, _x, y_name = self.code_chooser.selection()
        y = self.namespace.get(y_name) if y_name else None
        if y is not None:
            kind = np.dtype(str(y.dtype).replace("workbench.", "").replace("torch.", "")).kind
            if kind in "iub":
                self.hyper.set_task("classification", None)
            else:
                self.hyper.set_task("regression")
        self._update_controls()

    def _on_selection(self, name: str) -> None:
        if self.source == "code" and name and self._worker is None:
            index = self.code_chooser.model_combo.findData(name)
            if index >= 0:
                self.code_chooser.model_combo.setCurrentIndex(index)

    def _on_smoothing(self, weight: float) -> None:
        self.inside.smoothing = weight
        self.inside.refresh()

    # ----- export ----------------------------------------------------------------------------

    def _ask_path(self, title: str, suggested: str, filters: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, title, suggested, filters)
        return path or None

    def _file_stem(self, run: TrainingRun) -> str:
        data = run.source.get("name", "run")
        if data == "csv":
            data = Path(str(run.source.get("params", {}).get("path", "csv"))).stem
        return f"{data}-run{run.number}"

    def export_metrics(self, path: str | None = None) -> str | None:
        """Write the run on view's metrics as CSV (asks where when `path` is None)."""
        run = self._shown
        if run is None:
            return None
        path = path or self._ask_path(
            "Export metrics", f"{self._file_stem(run)}.csv", "CSV files (*.csv)"
        )
        if not path:
            return None
        try:
            Path(path).write_text(metrics_csv(run.history), encoding="utf-8")
        except OSError as exc:
            self._show_error(f"Could not write {path}: {exc}")
            return None
        return path

    def export_weights(self, path: str | None = None) -> str | None:
        """Write the run on view's weights as .safetensors (PyTorch's state_dict keys)."""
        run = self._shown
        if run is None or run.model is None:
            return None
        path = path or self._ask_path(
            "Export weights", f"{self._file_stem(run)}.safetensors", "safetensors (*.safetensors)"
        )
        if not path:
            return None
        lock = getattr(run.trainer, "_lock", None) or nullcontext()
        try:
            with lock:  # between two steps of a live run
                save_safetensors(run.model, path)
        except OSError as exc:
            self._show_error(f"Could not write {path}: {exc}")
            return None
        return path

    def script(self, run: TrainingRun | None = None) -> str:
        """The run's script (`script_for`); ValueError for a model from code."""
        run = run or self._shown
        if run is None or run.spec is None:
            raise ValueError("only a builder model can be shown as code")
        if run.source.get("name") in DATASETS:
            return script_for(run.spec, run.source["name"], run.source["params"], run.config)
        if run.dataset is None:
            raise ValueError("the run's data is not available")
        return script_for(run.spec, run.dataset, None, run.config)

    def show_code(self) -> CodeDialog | None:
        run = self._shown
        try:
            text = self.script(run)
        except (ValueError, SpecError) as exc:
            self._show_error(str(exc))
            return None
        if self._code_dialog is not None:
            self._code_dialog.close()
            self._code_dialog.deleteLater()
        dialog = CodeDialog(f"train_{self._file_stem(run).replace('-', '_')}.py", text, self)
        dialog.open_requested.connect(self.open_code)
        dialog.show()
        self._code_dialog = dialog
        return dialog

    # ----- sessions --------------------------------------------------------------------------

    def load_run(self, stored) -> TrainingRun:
        """Show a stored run (a StoredRun, the dict `TrainingRun.stored()` gives, or a
        TrainingRun) without training it. Where the data and the weights can be remade (a
        built-in dataset or a readable CSV; a builder spec) the boundary and the exports work
        as after training."""
        if isinstance(stored, TrainingRun):
            run = stored
            run.number = self._next_number
        else:
            run = self._run_from_stored(stored)
        self._next_number += 1
        if run.series is None:
            run.series = RunSeries.from_history(run.history)
        self._runs.append(run)
        if self._active is None:
            self._shown = run
        self._runs_changed()
        return run

    def _run_from_stored(self, stored) -> TrainingRun:
        def get(key, default=None):
            if isinstance(stored, Mapping):
                return stored.get(key, default)
            return getattr(stored, key, default)

        settings = dict(get("settings") or {})
        config_dict = settings.get("config", {k: v for k, v in settings.items() if k != "dataset"})
        config = TrainConfig.from_dict(config_dict)
        source = dict(settings.get("dataset") or {})
        spec_dict = get("spec")
        spec = ModelSpec.from_dict(spec_dict) if spec_dict else None
        history = TrainHistory.from_dict(get("history") or {})
        dataset = _remake_dataset(source)
        model = trainer = None
        weights = get("weights") or {}
        if spec is not None:
            try:
                model = build(spec)
                if weights:
                    state = {k: torch.from_numpy(np.array(v)) for k, v in weights.items()}
                    model.load_state_dict(state)
                if dataset is not None:
                    trainer = Trainer(model, dataset, config)
                    trainer.spec = spec
            except (ValueError, KeyError, RuntimeError, SpecError):
                model = trainer = None
        return TrainingRun(
            number=self._next_number,
            spec=spec,
            config=config,
            source=source,
            history=history,
            dataset=dataset,
            model=model,
            trainer=trainer,
            state="loaded",
            name=str(get("name") or ""),
        )

    # ----- theme and closing -----------------------------------------------------------------

    def _on_theme(self, theme: Theme) -> None:
        self._apply_theme(theme)

    def _apply_theme(self, theme: Theme) -> None:
        self.setStyleSheet(
            f"#SectionTitle {{ color: {theme.muted}; }}"
            f"#SectionRule {{ background: {theme.border}; }}"
            f"#TrainingControls {{ border-top: 1px solid {theme.border}; }}"
            "#TrainingControls QPushButton { padding: 4px 8px; }"
        )
        for label in (self.status, self.rate_label, self.code_data_note, self.run_title):
            label.setStyleSheet(f"color: {theme.muted};")
        self.error_label.setStyleSheet(f"color: {theme.error};")
        self.progress.setStyleSheet(
            f"QProgressBar {{ border: none; border-radius: 3px; background: {theme.border}; }}"
            f"QProgressBar::chunk {{ border-radius: 3px; background: {theme.accent}; }}"
        )
        for view in (self.curves, self.inside, self.boundary, self.predictions):
            view.apply_theme(theme)
        self.builder.apply_theme(theme)
        self.data.apply_theme(theme)
        self.hyper.apply_theme(theme)
        self.code_chooser.apply_theme(theme)
        self.start_button.setIcon(icon("run"))
        self.stop_button.setIcon(icon("stop"))
        self.export_button.setIcon(icon("export"))
        self.code_button_show.setIcon(icon("editor"))
        self._update_title()

    def shutdown(self) -> None:
        """Stop training and join the worker thread (the panel or the window is closing)."""
        if self._worker is not None:
            self._worker.shutdown()
            self._worker.deleteLater()
            self._worker = None
            if self._active is not None:
                self._active.state = "stopped"
            self._active = None
            self._state = "idle"
        if self._code_dialog is not None:
            self._code_dialog.close()
        dialog = getattr(self.data, "_dialog", None)
        if dialog is not None:
            dialog.close()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)


_UNSET = object()


def _remake_dataset(source: dict):
    """The dataset a stored run's `source` names, or None when it cannot be remade."""
    name = source.get("name")
    params = dict(source.get("params") or {})
    try:
        if name in DATASETS:
            params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
            return load_dataset(name, **params)
        if name == "csv" and params.get("path") and os.path.exists(params["path"]):
            return load_csv(**params)
    except (ValueError, TypeError, OSError):
        return None
    return None
