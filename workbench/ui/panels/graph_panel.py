"""The Graph panel: the autograd graph of the selected tensor (or of the last run's loss), with
search, grouping by module, node details, a NaN/Inf banner, export, and backward step by step.

What it shows: the tensor named by the shared `Selection` when that is a tensor with a
`grad_fn`; otherwise the run's output, which is the namespace's ``loss`` if that is a tensor
with a grad_fn, else the last scalar tensor with a grad_fn in the namespace, else the last
tensor with a grad_fn. `show_graph` shows a stored `Graph` directly (no live tensors, so no
step-through).

Recording a backward runs the engine's backward, with hooks, on a helper thread (it is the
user's computation and may take a while); a GUI-thread timer notices the end. Everything that
touches items happens on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMenu,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.icons import icon
from workbench.ui.panels import graph_adapter as api
from workbench.ui.panels.graph_controls import (
    BackwardRecorder,
    GraphToolbar,
    ProvenanceBanner,
    StepBar,
)
from workbench.ui.panels.graph_details import DetailsPane
from workbench.ui.panels.graph_export import export_png, export_svg
from workbench.ui.panels.graph_items import GraphScene, GraphStyle, NodeCard, card_size
from workbench.ui.panels.graph_view import GraphView
from workbench.ui.selection import Selection
from workbench.ui.theme import current_theme, theme_manager

EMPTY_HINT = "Select a tensor with a grad_fn, or run code that computes one"
PLAY_MS = 330  # about three backward steps a second


class GraphPanel(QWidget):
    """See the module doc. Signals: `node_selected(Node)` on a click on a node;
    `inspect_requested(name, array)` when the user asks to see an array that is not a
    namespace tensor (an op's output or gradient) in the inspector."""

    node_selected = Signal(object)
    inspect_requested = Signal(str, object)
    recorded = Signal(object)  # the recorded Graph: the leaves' .grad changed

    def __init__(self, selection: Selection, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("GraphPanel")
        self.selection = selection
        self._namespace: Mapping[str, object] = {}
        self._forward = None  # a ForwardRecord of the last run, if the session kept one
        self._source = None  # the live tensor whose graph is shown (None: a stored graph)
        self._source_name = ""
        self._title = ""
        self._base = None  # the Graph as captured (or recorded, or given)
        self._shown = None  # after saved tensors and grouping
        self._rep: dict[int, int] = {}  # base node id -> shown node id (for grouped nodes)
        self._expanded: set[str] = set()
        self._fold_members: dict[str, tuple[str, ...]] = {}
        self._selected: int | None = None  # base node id
        self._lit: list = []  # the selected card and its edges, drawn highlighted
        self._matches: list[int] = []  # shown node ids
        self._match_index = -1
        self._stepper = None
        self._provenance = None
        self._step_message = ""
        self._record_error = ""
        self._busy = False
        self._own_selection = False
        self.style_ = GraphStyle(current_theme())
        self.scene = GraphScene(self.style_, self)
        self._build()
        self.selection.changed.connect(self._on_selection)
        theme_manager().changed.connect(self._on_theme)
        self._update_controls()

    # ============================================================================ public API

    @property
    def graph(self):
        """The Graph shown (as captured or recorded, before grouping), or None."""
        return self._base

    @property
    def shown_graph(self):
        """The Graph the scene draws (grouping and saved tensors applied), or None."""
        return self._shown

    @property
    def current_title(self) -> str:
        return self._title

    @property
    def stepper(self):
        return self._stepper

    @property
    def provenance(self):
        return self._provenance

    @property
    def recording(self) -> bool:
        return self.recorder.busy

    @property
    def record_button(self):
        return self.step_bar.record_button

    @property
    def step_button(self):
        return self.step_bar.step_button

    @property
    def back_button(self):
        return self.step_bar.back_button

    @property
    def slider(self):
        return self.step_bar.slider

    @property
    def step_text(self) -> str:
        """What the step bar's label says ("step 4 of 11 · Mul")."""
        return self._step_message

    def set_namespace(self, namespace: Mapping[str, object], forward=None) -> None:
        """Adopt the session's namespace after a run (kept by reference) and show the graph of
        the selection, or of the run's output. `forward`: the run's `record_forward()` record,
        when it kept one, so that every op's output is known (values, NaN/Inf provenance)."""
        self._namespace = namespace
        self._forward = forward
        self._source = None
        self._show_for(self.selection.name, force=True)

    def set_busy(self, busy: bool) -> None:
        """While the session runs code, recording (which runs backward) is disabled."""
        self._busy = busy
        self._update_controls()

    def show_graph(self, graph, title: str = "graph") -> None:
        """Show a stored `Graph` (no live tensors behind it: step-through is unavailable)."""
        self._set_graph(graph, title, source=None)

    def show_tensor(self, name: str, tensor) -> None:
        """Capture and show the graph of `tensor` under `name`."""
        self._show_source(name, tensor)

    def select_node(self, node_id: int | None, centre: bool = True) -> None:
        """Select a node of `graph` by id: highlight it and fill the details pane."""
        self._selected = node_id
        self._refresh_selection(centre)

    def search(self, text: str) -> None:
        self.search_box.setText(text)

    def next_match(self) -> None:
        if not self._matches:
            return
        self._match_index = (self._match_index + 1) % len(self._matches)
        self._show_matches(centre=True)

    def set_grouped(self, on: bool) -> None:
        self.group_button.setChecked(on)

    def set_show_saved(self, on: bool) -> None:
        self.saved_button.setChecked(on)

    @property
    def direction(self) -> str:
        """The layout direction: "TB" (top to bottom) or "LR" (left to right)."""
        return "LR" if self.direction_button.isChecked() else "TB"

    def set_direction(self, direction: str) -> None:
        if direction not in ("TB", "LR"):
            raise ValueError(f"direction must be 'TB' or 'LR', not {direction!r}")
        self.direction_button.setChecked(direction == "LR")

    def expand(self, key: str) -> None:
        """Expand a collapsed module (its path) or fold (its key ``fold:…``)."""
        self._expanded.add(key)
        self._rebuild(focus=key)

    def collapse_module(self, path: str) -> None:
        """Collapse an expanded module again, and everything expanded inside it."""
        roots = (path, *self._fold_members.get(path, ()))
        self._expanded = {
            k for k in self._expanded if not any(k == r or k.startswith(r + ".") for r in roots)
        }
        self._rebuild(focus=path)

    def export_png(self, path: str | Path):
        return export_png(self.scene, path, self.style_.canvas)

    def export_svg(self, path: str | Path):
        return export_svg(self.scene, path, self.style_.canvas, self._title or "graph")

    # -- step-through --------------------------------------------------------------------------

    def record_backward(self) -> None:
        """Start recording a backward of the shown output (on a helper thread)."""
        if self._record_blocker() or self.recorder.busy:
            return
        self._stop_playing()
        self._record_error = ""
        # A snapshot of the namespace: the session may change it while the thread reads it.
        self.recorder.start(self._source, dict(self._namespace), self._forward)
        self._update_controls()

    def wait_recorded(self, timeout: float = 30.0) -> None:
        """Block until a recording ends and apply it (scripts, snapshots)."""
        self.recorder.wait(timeout)

    def step(self) -> None:
        if self._stepper is not None:
            self._stepper.step()
            self._after_step()

    def step_back(self) -> None:
        if self._stepper is not None:
            self._stepper.back()
            self._after_step()

    def reset_steps(self) -> None:
        if self._stepper is not None:
            self._stop_playing()
            self._stepper.reset()
            self._after_step()

    def go_to_step(self, index: int) -> None:
        if self._stepper is not None:
            self._stepper.go(index)
            self._after_step()

    def toggle_play(self) -> None:
        if self._play_timer.isActive():
            self._stop_playing()
            return
        if self._stepper is None:
            return
        if self._stepper.at_end:
            self._stepper.reset()
        self._play_timer.start()
        self.step_bar.set_playing(True)

    def exit_steps(self) -> None:
        """Leave step-through: the recorded gradients stay on the graph."""
        self._stop_playing()
        self._stepper = None
        self._apply_states()
        self._refresh_selection(False)
        self._update_controls()

    def shutdown(self) -> None:
        """Stop the timers and wait for a recording in progress (the window is closing)."""
        self._play_timer.stop()
        self.recorder.shutdown()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # In a narrow dock the details pane must not crowd out the graph.
        sizes = self.splitter.sizes()
        total = sum(sizes)
        if total and sizes[1] > 0.45 * total:
            graph = int(total * 0.6)
            self.splitter.setSizes([graph, total - graph])

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    # ============================================================================ building

    def _build(self) -> None:
        self.toolbar = GraphToolbar()
        for name in (
            "title_label",
            "search_box",
            "match_label",
            "group_button",
            "saved_button",
            "direction_button",
            "zoom_label",
            "fit_button",
            "export_button",
        ):
            setattr(self, name, getattr(self.toolbar, name))
        self.search_box.textChanged.connect(self._on_search)
        self.search_box.returnPressed.connect(self.next_match)
        self.group_button.toggled.connect(self._on_group_toggled)
        self.saved_button.toggled.connect(lambda _on: self._rebuild())
        self.direction_button.toggled.connect(self._on_direction_toggled)
        self.fit_button.clicked.connect(lambda: self.view.fit_all())
        self.toolbar.act_export_png.triggered.connect(lambda: self._export_dialog("png"))
        self.toolbar.act_export_svg.triggered.connect(lambda: self._export_dialog("svg"))

        self.banner = ProvenanceBanner()
        self.banner_label = self.banner.label
        self.banner_show = self.banner.show_button
        self.banner_close = self.banner.close_button
        self.banner_show.clicked.connect(self._show_provenance)

        self.view = GraphView()
        self.view.set_graph_scene(self.scene)
        self.view.node_clicked.connect(self._on_card_clicked)
        self.view.node_double_clicked.connect(self._on_card_double_clicked)
        self.view.expand_requested.connect(lambda card: self.expand(card.node.name))
        self.view.collapse_requested.connect(lambda box: self.collapse_module(box.module))
        self.view.background_clicked.connect(lambda: self.select_node(None, centre=False))
        self.view.context_requested.connect(self._on_context_menu)
        self.view.zoom_changed.connect(lambda s: self.zoom_label.setText(f"{s * 100:.0f} %"))
        self.details = DetailsPane()
        self.details.inspect_requested.connect(self.inspect_requested)
        self.details.node_requested.connect(lambda nid: self.select_node(nid))
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setSizes([640, 280])
        self.splitter.setChildrenCollapsible(False)
        self.details.setMinimumWidth(180)

        self.empty = QWidget()
        self.empty_icon = QLabel()
        self.empty_hint = QLabel(EMPTY_HINT)
        self.empty_detail = QLabel()
        empty_layout = QVBoxLayout(self.empty)
        empty_layout.addStretch(1)
        for label in (self.empty_icon, self.empty_hint, self.empty_detail):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
            empty_layout.addWidget(label)
        empty_layout.addStretch(1)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.splitter)

        self.step_bar = StepBar()
        self.step_bar.record_clicked.connect(self.record_backward)
        self.step_bar.reset_clicked.connect(self.reset_steps)
        self.step_bar.back_clicked.connect(self.step_back)
        self.step_bar.step_clicked.connect(self.step)
        self.step_bar.play_clicked.connect(self.toggle_play)
        self.step_bar.exit_clicked.connect(self.exit_steps)
        self.step_bar.moved.connect(self._on_slider)
        self.recorder = BackwardRecorder(self)
        self.recorder.finished.connect(self._on_recorded)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.step_bar)

        self._play_timer = QTimer(self)
        self._play_timer.setObjectName("graph-play")
        self._play_timer.setInterval(PLAY_MS)
        self._play_timer.timeout.connect(self._on_play_tick)
        self._on_theme()

    def _on_theme(self, theme=None) -> None:
        t = theme or current_theme()
        self.scene.restyle(t)
        self.view.minimap.invalidate()
        self.setStyleSheet(
            f"""
#GraphToolbar, #GraphStepBar {{ background: {t.window}; }}
#GraphToolbar {{ border-bottom: 1px solid {t.border}; }}
#GraphStepBar {{ border-top: 1px solid {t.border}; }}
#GraphSeparator {{ color: {t.border}; background: {t.border}; border: none; }}
#GraphBanner {{ background: {t.error_line}; border-bottom: 1px solid {t.error}; }}
#GraphBanner QLabel {{ color: {t.text}; }}
"""
        )
        self.empty_icon.setPixmap(icon("graph").pixmap(48, 48, QIcon.Mode.Disabled))
        self.empty_hint.setStyleSheet(f"color: {t.text}; font-size: 11pt;")
        self.empty_detail.setStyleSheet(f"color: {t.muted};")
        self.toolbar.apply_theme(t)
        self.banner.apply_theme(t)
        self.step_bar.apply_theme(t)
        self._update_title()
        self._update_match_label()

    # ============================================================================ what to show

    def _on_selection(self, name: str) -> None:
        if self._own_selection:
            return
        self._show_for(name)

    def _show_for(self, name: str, force: bool = False) -> None:
        obj = api.resolve(self._namespace, name)
        if api.has_graph(obj):
            target_name, target = name, obj
        elif self._source is None and self._base is not None and not force:
            # A stored graph (show_graph) stays until a tensor with a graph is selected.
            self._highlight_name(name)
            return
        else:
            found = api.default_output(self._namespace)
            target_name, target = found if found else ("", None)
        if target is None:
            self._set_graph(None, "", source=None)
            return
        if target is self._source and not force:
            self._highlight_name(name)
            return
        self._show_source(target_name, target)
        self._highlight_name(name)

    def _show_source(self, name: str, tensor) -> None:
        try:
            graph = api.capture(tensor, names=dict(self._namespace), forward=self._forward)
        except Exception as exc:  # a run is changing the graph as we read it
            self._set_graph(None, "", source=None)
            self.empty_detail.setText(f"Could not read the graph of {name}: {exc}")
            return
        self._set_graph(graph, name, source=tensor)

    def _set_graph(self, graph, title: str, source) -> None:
        self._stop_playing()
        self._stepper = None
        self._source = source
        self._source_name = title if source is not None else ""
        self._title = title if graph is not None else ""
        self._base = graph
        self._selected = None
        self._expanded = set()
        self.empty_detail.setText("")
        self._record_error = ""
        self._provenance = api.find_nonfinite(graph) if graph is not None else None
        self._rebuild(fit=True)
        self.details.clear()
        self._update_banner()
        self._update_controls()

    def _highlight_name(self, name: str) -> None:
        if not name or self._base is None:
            return
        for node in self._base.nodes.values():
            if node.name == name and node.kind in ("leaf", "parameter", "output"):
                self.select_node(node.id)
                return

    # ============================================================================ the scene

    def _rebuild(self, fit: bool = False, focus: str | None = None) -> None:
        """Lay the graph out again and rebuild the scene. `fit`: a new graph (fit it, or open
        a big one on its output); `focus`: the module (or fold) just expanded or collapsed."""
        base = self._base
        if base is None or not base.nodes:
            self._shown = None
            self._rep = {}
            self._lit = []  # the scene deletes its items
            self.scene.build(api.EMPTY_GRAPH, api.empty_layout(), True)
            self.stack.setCurrentWidget(self.empty)
            self._update_title()
            return
        graph = api.with_saved_nodes(base) if self.saved_button.isChecked() else base
        boxes: list = []
        if self.group_button.isChecked():
            graph, boxes, self._fold_members = api.grouped(graph, self._expanded)
        self._rep = api.representatives(graph)
        self._shown = graph
        direction = self.direction
        sizes: dict[int, tuple[float, float]] = {}

        def size_of(node):
            size = sizes.get(node.id)
            if size is None:
                size = sizes[node.id] = card_size(node, self.style_)
            return size

        layout = api.layout(graph, direction, size_of)
        auto = self.view.auto_fit
        centre = self.view.visible_scene_rect().center()
        self._lit = []  # the scene deletes its items
        self.scene.build(graph, layout, direction == "TB", boxes)
        self.stack.setCurrentWidget(self.splitter)
        self.view.minimap.invalidate()
        target = self._focus_item(focus) if focus else None
        if fit or auto:
            self.view.fit_or_focus(target or self._output_card())
        elif target is not None:
            self.view.centre_on(target)
        else:
            self.view.centerOn(centre)
        self._apply_states()
        self._on_search(self.search_box.text(), centre=False)
        self._refresh_selection(centre=False)
        self._update_title()

    def _focus_item(self, key: str):
        """The frame of expanded module `key`, or the card of collapsed module `key`."""
        box = self.scene.boxes.get(key)
        if box is not None:
            return box
        return next(
            (
                c
                for c in self.scene.cards.values()
                if c.node.kind == "module" and c.node.name == key
            ),
            None,
        )

    def _output_card(self):
        if self._base is None or not self._base.outputs:
            return None
        return self.card_for(self._base.outputs[0])

    def _on_direction_toggled(self, _on: bool) -> None:
        self.toolbar.show_direction()
        self._rebuild(fit=True)

    def _shown_id(self, base_id: int | None) -> int | None:
        if base_id is None:
            return None
        return self._rep.get(base_id, base_id)

    def card_for(self, base_id: int):
        """The card that shows base node `base_id` (its module card when grouped away)."""
        return self.scene.cards.get(self._shown_id(base_id))

    def _apply_states(self) -> None:
        cards = self.scene.cards
        error_id = self._shown_id(self._provenance.node_id) if self._provenance else None
        states: dict[int, str] = {}
        badges: dict[int, str] = {}
        if self._stepper is not None:
            members: dict[int, set[str]] = {}
            for nid, state in self._stepper.state().items():
                members.setdefault(self._shown_id(nid), set()).add(state)
            # A module card is current when a member is, done or pending when all its members
            # are, and plain (neither dimmed nor ticked) while backward is part way through it.
            for sid, seen in members.items():
                if "current" in seen:
                    states[sid] = "current"
                elif len(seen) == 1:
                    states[sid] = next(iter(seen))
                else:
                    states[sid] = "partial"
            for nid, node in self._base.nodes.items():
                if node.kind in ("leaf", "parameter") and nid in cards:
                    grad = self._stepper.leaf_grad(nid)
                    if grad is not None:
                        badges[nid] = api.grad_badge(grad)
        stepping = self._stepper is not None
        for sid, card in cards.items():
            state = states.get(sid, "pending" if stepping else None)
            card.set_state(step_state=state, error=sid == error_id, badge=badges.get(sid, ""))

    # ============================================================================ selection

    def _refresh_selection(self, centre: bool = True) -> None:
        shown = self._shown_id(self._selected)
        # Only the cards and edges whose state changes are touched: a click on a 2,000-node
        # graph repaints a handful of items.
        for item in self._lit:
            if isinstance(item, NodeCard):
                item.set_state(selected=False)
            else:
                item.set_highlighted(False)
        self._lit = []
        card = self.scene.cards.get(shown) if shown is not None else None
        if card is None:
            self.details.clear()
            return
        card.set_state(selected=True)
        self._lit.append(card)
        graph = self._shown
        for e in graph.inputs(shown) + graph.consumers(shown):
            edge = self.scene.edges.get(e.key)
            if edge is not None:
                edge.set_highlighted(True)
                self._lit.append(edge)
        if centre and not self.view.visible_scene_rect().contains(card.sceneBoundingRect()):
            self.view.centre_on(card)
        # A node grouped into a module card is still described as itself (a step inside a
        # collapsed module shows the gradients of that node, not of the module).
        node = self._base.nodes.get(self._selected, card.node)
        if node.kind == "saved" or self._selected not in self._base.nodes:
            node = card.node
        step, leaf_grad = None, None
        if self._stepper is not None:
            step = self._step_of(node.id)
            if node.kind in ("leaf", "parameter"):
                leaf_grad = self._stepper.leaf_grad(node.id)
        graph = self._base if node.id in self._base.nodes else self._shown
        self.details.show_node(
            graph, node, step, len(self._stepper) if self._stepper else 0, leaf_grad
        )

    def _step_of(self, node_id: int):
        """The step that ran `node_id` (its AccumulateGrad's for a leaf), if it has run."""
        stepper = self._stepper
        for s in stepper.steps[: stepper.position + 1]:
            node = self._base.nodes.get(s.node_id)
            if s.node_id == node_id or (node and node.details.get("leaf") == node_id):
                return s
        return None

    def _on_card_clicked(self, card) -> None:
        node = card.node
        self.select_node(node.id, centre=False)
        self.node_selected.emit(node)
        if node.kind in ("leaf", "parameter", "output"):
            if api.resolve(self._namespace, node.name) is not api.MISSING:
                self._own_selection = True
                try:
                    self.selection.select(node.name)
                finally:
                    self._own_selection = False
        elif node.kind == "op":
            label = node.label or node.name
            if node.value is not None:
                self.inspect_requested.emit(f"{label} (output)", node.value)
            elif node.grad is not None:
                self.inspect_requested.emit(f"grad of {label}", node.grad)

    def _on_card_double_clicked(self, card) -> None:
        if card.node.kind == "module":
            self.expand(card.node.name)

    def _on_context_menu(self, item, global_pos) -> None:
        menu = QMenu(self)
        node = getattr(item, "node", None)
        module = getattr(item, "module", None) if node is None else None
        if node is not None and node.kind == "module":
            menu.addAction(f"Expand {node.label}", lambda: self.expand(node.name))
        if node is not None and node.kind != "module" and self.group_button.isChecked():
            path = node.module
            while path:
                if path in self._expanded:
                    menu.addAction(f"Collapse {path}", lambda p=path: self.collapse_module(p))
                    break
                path = path.rpartition(".")[0]
        if module is not None:
            menu.addAction(f"Collapse {module}", lambda: self.collapse_module(module))
        if menu.actions():
            menu.addSeparator()
        menu.addAction("Fit to view", self.view.fit_all)
        menu.addAction("Export PNG…", lambda: self._export_dialog("png"))
        menu.addAction("Export SVG…", lambda: self._export_dialog("svg"))
        menu.popup(global_pos)
        self._context_menu = menu

    # ============================================================================ search

    def _on_search(self, text: str, centre: bool = True) -> None:
        needle = text.strip().lower()
        self._matches = []
        if needle and self._shown is not None:
            for nid, card in self.scene.cards.items():
                if needle in api.search_text(card.node):
                    self._matches.append(nid)
            self._matches.sort(key=lambda i: (self.scene.cards[i].y(), self.scene.cards[i].x()))
        self._match_index = 0 if self._matches else -1
        self._show_matches(centre)

    def _show_matches(self, centre: bool) -> None:
        current = self._matches[self._match_index] if self._match_index >= 0 else None
        matched = set(self._matches)
        for nid, card in self.scene.cards.items():
            card.set_state(match=2 if nid == current else 1 if nid in matched else 0)
        if centre and current is not None:
            self.view.centre_on(self.scene.cards[current])
        self._update_match_label()

    @property
    def match_text(self) -> str:
        return self.match_label.text()

    def _update_match_label(self) -> None:
        t = current_theme()
        if not self.search_box.text().strip():
            self.match_label.setText("")
        elif not self._matches:
            self.match_label.setText("no match")
            self.match_label.setStyleSheet(f"color: {t.error};")
        else:
            self.match_label.setText(f"{self._match_index + 1} of {len(self._matches)}")
            self.match_label.setStyleSheet(f"color: {t.muted};")

    # ============================================================================ grouping

    def _on_group_toggled(self, _on: bool) -> None:
        self._expanded = set()
        self._rebuild(fit=True)

    # ============================================================================ provenance

    def _update_banner(self) -> None:
        self.banner.set_provenance(self._base, self._provenance)

    def _show_provenance(self) -> None:
        if self._provenance is not None:
            self.select_node(self._provenance.node_id)
            card = self.card_for(self._provenance.node_id)
            if card is not None:
                self.view.centre_on(card)

    # ============================================================================ stepping

    def _record_blocker(self) -> str:
        return api.record_blocker(self._source, self._source_name, self._base, self._busy)

    def _on_recorded(self, result, error: str) -> None:
        if result is None:
            self._record_error = error
            self._update_controls()
            return
        graph, steps = result
        self._base = graph
        self._stepper = api.Stepper(graph, steps)
        self._provenance = api.find_nonfinite(graph)
        self._rebuild()
        self._update_banner()
        self._after_step()
        self.recorded.emit(graph)

    def _after_step(self) -> None:
        stepper = self._stepper
        if stepper is None:
            return
        self._apply_states()
        current = stepper.current
        if current is not None:
            self._selected = current.node_id
            self._refresh_selection(centre=True)
        else:
            self._refresh_selection(centre=False)
        if stepper.at_end and self._play_timer.isActive():
            self._stop_playing()
        self._update_controls()

    def _on_play_tick(self) -> None:
        if self._stepper is None or self._stepper.at_end:
            self._stop_playing()
            return
        self.step()

    def _stop_playing(self) -> None:
        if self._play_timer.isActive():
            self._play_timer.stop()
        self.step_bar.set_playing(False)

    def _on_slider(self, value: int) -> None:
        if self._stepper is not None and value != self._stepper.position:
            self.go_to_step(value)

    def _update_controls(self) -> None:
        blocker = self._record_blocker()
        tip = blocker or api.RECORD_TIP.format(name=self._source_name)
        stepper = self._stepper
        if self._record_error:
            message = self._record_error
        elif self.recorder.busy:
            message = "Recording…"
        elif stepper is not None and len(stepper):
            message = f"step {stepper.position + 1} of {len(stepper)}{self._step_where()}"
        elif self._base is not None:
            message = "Step through backward, node by node"
        else:
            message = ""
        self._step_message = message
        self.step_bar.show_state(
            stepper, tip, not blocker, self.recorder.busy, message, bool(self._record_error)
        )
        self.step_bar.set_playing(self._play_timer.isActive())
        has_graph = self._base is not None
        self.step_bar.setVisible(has_graph)
        self.toolbar.set_graph_shown(has_graph, has_graph and api.has_modules(self._base))

    def _step_where(self) -> str:
        """ " · Mul", or " · Mul in layer1: Linear" when the node is inside a module card."""
        current = self._stepper.current if self._stepper is not None else None
        node = self._base.nodes.get(current.node_id) if current is not None else None
        if node is None:
            return ""
        where = f" · {node.label or node.name}"
        card = self.scene.cards.get(self._shown_id(current.node_id))
        if card is not None and card.node.kind == "module":
            where += f" in {card.node.label}"
        return where

    # ============================================================================ chrome

    def _update_title(self) -> None:
        if self._base is None:
            self.title_label.set_text("")
            return
        count = len(self._base.nodes)
        shown = len(self._shown.nodes) if self._shown is not None else count
        self.title_label.set_text(self._title, f"  ·  {count:,} nodes")
        tip = f"The autograd graph of {self._title}: {count:,} nodes"
        if shown != count:
            tip += f", {shown:,} cards with modules collapsed"
        self.title_label.setToolTip(tip)

    def _export_dialog(self, kind: str) -> None:
        if self._base is None:
            return
        stem = (self._title or "graph").replace(" ", "_")
        path, _ = QFileDialog.getSaveFileName(
            self,
            f"Export graph as {kind.upper()}",
            f"{stem}-graph.{kind}",
            f"{kind.upper()} image (*.{kind})",
        )
        if not path:
            return
        try:
            (self.export_png if kind == "png" else self.export_svg)(path)
        except OSError as exc:
            self._record_error = f"Export failed: {exc}"
            self._update_controls()


def _esc(text: str) -> str:
    import html

    return html.escape(str(text))
