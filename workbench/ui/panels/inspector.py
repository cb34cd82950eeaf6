"""The Tensor inspector: the selected tensor's values and gradient side by side (a number, line
plots or heatmaps by rank), their histograms and their summary statistics.

It reads the session's live namespace on the GUI thread, possibly while a run is still changing
the arrays, so every read is guarded (a failed read shows "updating…") and kept cheap: heatmaps
are strided, long lines downsampled and histograms sampled (see `tensorstats`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.session.tensorstats import (
    HISTOGRAM_SAMPLE,
    histogram,
    slice_2d,
    tensor_stats,
    to_numpy,
)
from workbench.ui.panels.inspector_controls import (
    EmptyState,
    EvenSplitter,
    SliceControls,
    StatsTable,
)
from workbench.ui.panels.inspector_data import (
    MISSING,
    grad_of,
    header_parts,
    is_module,
    is_tensor,
    module_summary,
    no_grad_reason,
    plottable,
    resolve_name,
    shape_text,
    strided,
)
from workbench.ui.panels.inspector_views import DOWNSAMPLE_FROM, HistogramPane, TensorPane
from workbench.ui.selection import Selection
from workbench.ui.theme import Theme, code_font, current_theme, theme_manager

__all__ = ["EMPTY_HINT", "InspectorPanel"]

EMPTY_HINT = "Select a tensor in the Namespace panel to see its values and gradients"


class InspectorPanel(QWidget):
    """Shows the tensor (or module) named by the shared `Selection`.

    The window calls `set_namespace(ns)` after each run with the session's live namespace;
    `show_tensor(name, obj)` shows an object that need not be in the namespace.
    """

    def __init__(self, selection: Selection, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("InspectorPanel")
        self._selection = selection
        self._namespace: Mapping[str, object] = {}
        self._name = ""
        self._direct: object = MISSING  # what show_tensor was given, until the selection moves
        self._obj: object = MISSING
        self._value: np.ndarray | None = None
        self._grad: np.ndarray | None = None
        self._x_name = "index"  # the chosen x axis for 1-D plots, kept across selections
        self._notes: list[str] = []
        self._dirty: set[int] = set()
        self._build()
        selection.changed.connect(self._on_selection)
        theme_manager().changed.connect(self._on_theme)
        self._name = selection.name
        self.refresh()

    # -- public API ---------------------------------------------------------------------------

    @property
    def current_name(self) -> str:
        return self._name

    def set_namespace(self, namespace: Mapping[str, object]) -> None:
        """Adopt the session's namespace (kept by reference) and redraw what is selected."""
        self._namespace = namespace
        self.refresh()

    def show_tensor(self, name: str, tensor) -> None:
        """Show `tensor` under `name` (a label; it need not be in the namespace)."""
        self._name = name
        self._direct = tensor
        self.refresh()

    @property
    def x_axis(self) -> str:
        """The chosen x axis of 1-D plots: "index" or a namespace name."""
        return self._x_name

    def set_x_axis(self, name: str) -> None:
        """Plot 1-D tensors against the 1-D tensor `name` ("index" or "" for the index). The
        choice is kept across selections and applies whenever the lengths match."""
        self._x_name = name or "index"
        if self._value is not None and self._value.ndim == 1:
            self._rerender_values()

    def refresh(self) -> None:
        obj = resolve_name(self._namespace, self._name)
        if obj is MISSING:
            obj = self._direct
        self._obj = obj
        try:
            self._render(obj)
        except Exception:  # a run is changing the arrays as we read them
            self._show_updating()

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.empty = EmptyState(EMPTY_HINT)

        self.module_text = QPlainTextEdit()
        self.module_text.setReadOnly(True)
        self.module_text.setFont(code_font())
        self.module_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.module_text.document().setDocumentMargin(8)

        self.value_pane = TensorPane("value")
        self.grad_pane = TensorPane("grad")
        self.x_combo = QComboBox()
        self.x_combo.setToolTip("Plot against the index or another 1-D tensor of the same length")
        self.x_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.x_combo.activated.connect(self._on_x_chosen)
        self.x_box = QWidget()
        x_layout = QHBoxLayout(self.x_box)
        x_layout.setContentsMargins(0, 0, 0, 0)
        x_layout.setSpacing(6)
        x_layout.addWidget(QLabel("x axis"))
        x_layout.addWidget(self.x_combo)
        self.slice_controls = SliceControls()
        self.slice_controls.changed.connect(self._on_slice_changed)
        controls = QHBoxLayout()
        controls.setSpacing(12)
        controls.addWidget(self.x_box, 0, Qt.AlignmentFlag.AlignLeft)
        controls.addWidget(self.slice_controls, 1)
        self.x_box.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.splitter = EvenSplitter(self.value_pane, self.grad_pane)
        values_tab = QWidget()
        values_layout = QVBoxLayout(values_tab)
        values_layout.setContentsMargins(0, 8, 0, 0)
        values_layout.setSpacing(6)
        values_layout.addLayout(controls)
        values_layout.addWidget(self.splitter, 1)

        self.value_hist = HistogramPane("value")
        self.grad_hist = HistogramPane("grad")
        self.hist_splitter = EvenSplitter(self.value_hist, self.grad_hist)
        hist_page = QWidget()
        hist_layout = QVBoxLayout(hist_page)
        hist_layout.setContentsMargins(0, 8, 0, 0)
        hist_layout.addWidget(self.hist_splitter)

        self.stats_table = StatsTable()
        stats_page = QWidget()
        stats_layout = QVBoxLayout(stats_page)
        stats_layout.setContentsMargins(0, 8, 0, 0)
        stats_layout.setSpacing(6)
        stats_layout.addWidget(self.stats_table, 0, Qt.AlignmentFlag.AlignLeft)
        self.stats_note = QLabel(
            "min, max, mean, std and norm are over the finite values; std is unbiased, "
            "like Tensor.std()"
        )
        self.stats_note.setWordWrap(True)
        stats_layout.addWidget(self.stats_note)
        stats_layout.addStretch(1)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.values_tab = self.tabs.addTab(values_tab, "Values")
        self.histogram_tab = self.tabs.addTab(hist_page, "Histogram")
        self.statistics_tab = self.tabs.addTab(stats_page, "Statistics")
        self.tabs.currentChanged.connect(self._render_tab)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.module_text)
        self.stack.addWidget(self.tabs)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.header)
        layout.addWidget(self.stack, 1)
        self._apply_theme(current_theme())

    @property
    def view_kind(self) -> str:
        """ "empty", "module" or "tensor": which page is showing."""
        return ("empty", "module", "tensor")[self.stack.currentIndex()]

    # -- rendering ----------------------------------------------------------------------------

    def _render(self, obj) -> None:
        self._value = self._grad = None
        if is_module(obj):
            self._show_module(obj)
        elif is_tensor(obj):
            self._show_tensor(obj)
        else:
            self._show_empty(obj)

    def _show_empty(self, obj) -> None:
        name = html.escape(self._name)
        if not self._name:
            detail = ""
        elif obj is MISSING:
            detail = f"“{name}” is not in the namespace."
        else:
            detail = f"“{name}” is {html.escape(type(obj).__name__)}, not a tensor."
        self.empty.set_detail(detail)
        self.header.setText(self._header_html([]) if self._name else "")
        self.header.setVisible(bool(self._name))
        self.stack.setCurrentWidget(self.empty)

    def _show_module(self, module) -> None:
        text, total = module_summary(module)
        self.module_text.setPlainText(text)
        self.header.setText(self._header_html([type(module).__name__, f"{total:,} parameters"]))
        self.header.setVisible(True)
        self.stack.setCurrentWidget(self.module_text)

    def _show_tensor(self, tensor) -> None:
        self._value = to_numpy(tensor)
        grad = grad_of(tensor)
        self._grad = None if grad is None else to_numpy(grad)
        if self._grad is not None and self._grad.shape != self._value.shape:
            self._grad = None  # a hand-assigned grad of another shape: nothing to pair it with
        self._notes = []
        self._dirty = {self.values_tab, self.histogram_tab, self.statistics_tab}
        self.stack.setCurrentWidget(self.tabs)
        self._render_tab(self.tabs.currentIndex())
        self._update_header()

    def _render_tab(self, index: int) -> None:
        if index not in self._dirty or self._value is None:
            return
        try:
            if index == self.values_tab:
                self._render_values()
                self.splitter.even_out()  # a newly made plot may have pushed the halves apart
            elif index == self.histogram_tab:
                self._render_histograms()
                self.hist_splitter.even_out()
            else:
                self._render_statistics()
            self._dirty.discard(index)
        except Exception:
            self._show_updating()

    def _render_values(self) -> None:
        value, grad = self._value, self._grad
        name = self._name or "tensor"
        self.x_box.setVisible(value.ndim == 1)
        self.slice_controls.setVisible(value.ndim >= 3)
        caption = f"Gradient · {name}.grad" if grad is not None else "Gradient"
        if grad is not None and grad.size and not grad.any():
            caption += " · all zeros"  # a uniform heatmap alone does not say so
        self.grad_pane.set_caption(caption)
        self.value_pane.set_caption(f"Value · {name}")
        no_grad = no_grad_reason(name, self._obj)
        if value.size == 0:
            message = f"{name} is empty (shape {shape_text(value.shape)})"
            self.value_pane.show_message(message)
            self.grad_pane.show_message(message if grad is not None else no_grad)
            return
        if value.ndim == 0:
            self.value_pane.show_scalar(value.item())
            if grad is None:
                self.grad_pane.show_message(no_grad)
            else:
                self.grad_pane.show_scalar(grad.item())
            return
        if value.ndim == 1:
            self._render_lines(value, grad, no_grad)
            return
        self._render_heatmaps(value, grad, no_grad)

    def _render_lines(self, value: np.ndarray, grad: np.ndarray | None, no_grad: str) -> None:
        n = len(value)
        candidates = self._x_candidates(n)
        self.x_combo.blockSignals(True)
        self.x_combo.clear()
        self.x_combo.addItems(["index", *candidates])
        x_name = self._x_name if self._x_name in candidates else "index"
        self.x_combo.setCurrentText(x_name)
        self.x_combo.blockSignals(False)
        x = None
        if x_name != "index":
            x = to_numpy(self._namespace[x_name]).astype(np.float64).reshape(-1)
            if len(x) != n:
                x, x_name = None, "index"
        if x is None:
            x, order = np.arange(n), slice(None)
        else:
            order = np.argsort(x, kind="stable")  # a line through unsorted x would zig-zag
            x = x[order]
        # Copies: the plot keeps its arrays, and a run may write into the tensor's memory.
        y = plottable(value)[order]
        self.value_pane.show_line(x, y, x_name, "value")
        if grad is None:
            self.grad_pane.show_message(no_grad)
        else:
            self.grad_pane.show_line(x, plottable(grad)[order], x_name, "gradient")
        if n > DOWNSAMPLE_FROM:
            self._notes.append(f"{n:,} points, drawn downsampled")
            self._update_header()

    def _render_heatmaps(self, value: np.ndarray, grad: np.ndarray | None, no_grad: str) -> None:
        if value.ndim == 2:
            rows_dim, cols_dim, index = 0, 1, {}
            labels = ("row (dim 0)", "column (dim 1)")
            index_label = None
        else:
            controls = self.slice_controls
            if controls.shape != value.shape:
                controls.configure(value.shape)
            rows_dim, cols_dim, index = controls.rows, controls.cols, dict(controls.index)
            labels = (f"dim {rows_dim}", f"dim {cols_dim}")
            index_label = controls.full_index
        value_2d = slice_2d(value, rows_dim, cols_dim, index)
        shown, note = strided(value_2d)
        self.value_pane.show_heatmap(value_2d, shown, labels, index_label)
        if grad is None:
            self.grad_pane.show_message(no_grad)
        else:
            grad_2d = slice_2d(grad, rows_dim, cols_dim, index)
            self.grad_pane.show_heatmap(grad_2d, strided(grad_2d)[0], labels, index_label)
        if note:
            self._notes.append(note)
            self._update_header()

    def _render_histograms(self) -> None:
        for pane, array, what in (
            (self.value_hist, self._value, "values"),
            (self.grad_hist, self._grad, "gradients"),
        ):
            if array is None:
                pane.show_message(no_grad_reason(self._name or "tensor", self._obj))
                continue
            counts, edges = histogram(array)
            if counts.sum() == 0:
                pane.show_message(f"No finite {what} to count")
                continue
            if array.size > HISTOGRAM_SAMPLE:
                note = f"sample of {int(counts.sum()):,} of {array.size:,}"
            else:
                note = f"{int(counts.sum()):,} finite of {array.size:,}"
            pane.show_histogram(counts, edges, note)

    def _render_statistics(self) -> None:
        grad = None if self._grad is None else tensor_stats(self._grad)
        self.stats_table.show_stats(tensor_stats(self._value), grad)

    def _x_candidates(self, n: int) -> list[str]:
        names = []
        for key, obj in list(self._namespace.items()):
            if not isinstance(key, str) or not is_tensor(obj):
                continue
            shape = tuple(obj.shape)
            if shape == (n,):
                names.append(key)
        return names

    def _show_updating(self) -> None:
        self._notes = ["updating…"]
        self._update_header()
        for pane in (self.value_pane, self.grad_pane):
            pane.show_message("updating…")

    # -- header -------------------------------------------------------------------------------

    def _update_header(self) -> None:
        parts = header_parts(self._obj, self._value)
        self.header.setText(self._header_html(parts))
        self.header.setVisible(True)

    def _header_html(self, parts: list[str]) -> str:
        theme = current_theme()
        sep = f" <span style='color:{theme.muted}'>·</span> "
        text = f"<b>{html.escape(self._name or 'tensor')}</b>"
        if parts:
            text += sep + sep.join(html.escape(p) for p in parts)
        for note in self._notes:
            text += f"{sep}<span style='color:{theme.warning}'>{html.escape(note)}</span>"
        return text

    # -- reactions ----------------------------------------------------------------------------

    def _on_selection(self, name: str) -> None:
        self._name = name
        self._direct = MISSING
        self.refresh()

    def _on_x_chosen(self, index: int) -> None:
        self._x_name = self.x_combo.itemText(index)
        self._rerender_values()

    def _on_slice_changed(self) -> None:
        self._rerender_values()

    def _rerender_values(self) -> None:
        self._notes = []
        self._dirty.add(self.values_tab)
        self._render_tab(self.values_tab)
        self._update_header()

    def _on_theme(self, theme: Theme) -> None:
        self._apply_theme(theme)
        self.refresh()  # re-render: pens and colour maps are chosen while drawing

    def _apply_theme(self, theme: Theme) -> None:
        self.stats_note.setStyleSheet(f"color: {theme.muted};")
        for pane in (self.empty, self.value_pane, self.grad_pane, self.value_hist, self.grad_hist):
            pane.apply_theme(theme)
        self.stats_table.apply_theme(theme)
