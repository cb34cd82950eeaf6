"""The main window: menus, toolbar, status bar and the dockable panels, wired to one Session.

Every panel is a dock (so each can be moved, tabbed, closed and restored); the layout, the
geometry and the recent files persist through QSettings. User code runs on the Session's
worker thread; the window only reacts to what the RunController reports.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QWidget,
)

from workbench import __version__
from workbench.session import Session
from workbench.session.session import CodeBuffer
from workbench.ui.gc_guard import GuiGarbageCollector
from workbench.ui.icons import icon
from workbench.ui.panels.console import ConsolePanel
from workbench.ui.panels.editor import EditorPanel
from workbench.ui.panels.inspector import InspectorPanel
from workbench.ui.panels.namespace import NamespacePanel
from workbench.ui.run_controller import RunController
from workbench.ui.selection import Selection
from workbench.ui.session_files import SessionFiles, is_session_path
from workbench.ui.settings import add_recent_file, open_settings, recent_files, remove_recent_file
from workbench.ui.shortcuts import SHORTCUTS, shortcuts_html
from workbench.ui.theme import MODES, theme_manager

APP_NAME = "Autograd Workbench"
SCRIPT_FILTER = "Python scripts (*.py);;All files (*)"
SAVE_AS_FILTER = "Python script (*.py);;Workbench session (*.wbsession)"
SESSION_FILTER = "Workbench session (*.wbsession)"
OPEN_FILTER = "Python scripts and sessions (*.py *.wbsession);;All files (*)"
# Bumped when the set of docks changes, so an old saved layout is not restored onto new panels.
LAYOUT_VERSION = 4


def _device_text() -> str:
    try:
        from workbench.engine import cuda

        if cuda.is_available():
            return f"GPU: {cuda.get_device_name(0)}"
    except Exception:  # a broken CUDA install must not stop the window from opening
        pass
    return "CPU (NumPy)"


class MainWindow(QMainWindow):
    """The application window. `session` is the kernel the panels look into."""

    run_finished = Signal(object)  # RunResult, after the panels have been refreshed

    def __init__(self, session: Session | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(icon("app"))
        self.setObjectName("MainWindow")
        self.settings = open_settings()
        self.session = session or Session()
        self.selection = Selection(self)
        self.controller = RunController(self.session, self)
        self.gc_guard = GuiGarbageCollector(self)
        self.gc_guard.start()
        self._pending_inspect: tuple = ()
        self._closing = False
        self.last_warning: QMessageBox | None = None
        self.layout_version = LAYOUT_VERSION
        self.files = SessionFiles(self)
        self.setAcceptDrops(True)

        self._build_panels()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._connect()
        self._default_state = self.saveState(LAYOUT_VERSION)
        self._restore_settings()
        self._update_run_actions(False)
        if not self.editor.editors():
            self.editor.new_tab()

    # ----------------------------------------------------------------------------- building

    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{name}")  # saveState/restoreState key docks by object name
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        self.docks[name] = dock
        return dock

    def _build_panels(self) -> None:
        self.docks: dict[str, QDockWidget] = {}
        self.editor = EditorPanel()
        self.console = ConsolePanel()
        self.namespace = NamespacePanel(self.selection)
        self.inspector = InspectorPanel(self.selection)
        self._panels: dict[str, QWidget] = {}  # the lazily built panels, once built
        self.setDockNestingEnabled(True)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        editor = self._dock("Editor", "editor", self.editor, left)
        console = self._dock("Console", "console", self.console, left)
        namespace = self._dock("Namespace", "namespace", self.namespace, right)
        inspector = self._dock("Inspector", "inspector", self.inspector, right)
        self.splitDockWidget(editor, console, Qt.Orientation.Vertical)
        self.splitDockWidget(namespace, inspector, Qt.Orientation.Vertical)
        # The big views share the inspector's place as tabs; the inspector stays in front.
        graph = self._lazy_dock("Graph", "graph", right)
        training = self._lazy_dock("Training", "training", right)
        profiler = self._lazy_dock("Profiler", "profiler", right)
        self.tabifyDockWidget(inspector, graph)
        self.tabifyDockWidget(inspector, training)
        self.tabifyDockWidget(inspector, profiler)
        inspector.raise_()
        # No central widget: every panel is a dock, so any of them can take any place.
        self.setCentralWidget(None)
        self.resize(1440, 900)
        self.resizeDocks([editor, namespace], [720, 720], Qt.Orientation.Horizontal)
        self.resizeDocks([editor, console], [560, 300], Qt.Orientation.Vertical)
        self.resizeDocks([namespace, inspector], [300, 560], Qt.Orientation.Vertical)

    # The graph and profiler panels start behind the inspector's tab: they are built (and their
    # modules imported, which loads the engine) the first time they are shown or needed, so
    # the window appears sooner.

    def _lazy_dock(self, title: str, name: str, area) -> QDockWidget:
        dock = self._dock(title, name, QWidget(), area)
        dock.visibilityChanged.connect(lambda visible, n=name: visible and self._panel(n))
        return dock

    def _panel(self, name: str):
        panel = self._panels.get(name)
        if panel is None:
            panel = self._panels[name] = getattr(self, f"_make_{name}")()
            self.docks[name].setWidget(panel)
        return panel

    @property
    def graph(self):
        return self._panel("graph")

    @property
    def profiler(self):
        return self._panel("profiler")

    @property
    def training(self):
        return self._panel("training")

    def _make_training(self):
        from workbench.ui.panels.training_panel import TrainingPanel

        training = TrainingPanel(self.selection)
        training.open_code.connect(lambda name, text: self.editor.new_tab(name=name, text=text))
        training.run_finished.connect(lambda _run: self.files.mark_dirty())
        training.profiled.connect(self._on_training_profiled)
        if self.session.history:
            training.set_namespace(self.session.namespace)
        return training

    def _make_graph(self):
        from workbench.ui.panels.graph_panel import GraphPanel

        graph = GraphPanel(self.selection)
        graph.inspect_requested.connect(self._inspect_array)
        graph.node_selected.connect(self._on_graph_node)
        graph.recorded.connect(self._on_backward_recorded)
        self.controller.busy_changed.connect(graph.set_busy)
        graph.set_busy(self.controller.busy)
        if self.session.history:
            graph.set_namespace(self.session.namespace)
        return graph

    def _on_training_profiled(self, profile, title: str) -> None:
        if profile is None:  # why it could not be profiled
            self.statusBar().showMessage(title, 6000)
            return
        self.profiler.show_profile(profile, title)
        self.docks["profiler"].raise_()

    def _make_profiler(self):
        from workbench.ui.panels.profiler_panel import ProfilerPanel

        profiler = ProfilerPanel(self.selection)
        profiler.event_selected.connect(self._on_profiler_event)
        self.act_profile.toggled.connect(profiler.set_profile_enabled)
        profiler.profile_toggled.connect(self.act_profile.setChecked)
        profiler.set_profile_enabled(self.act_profile.isChecked())
        return profiler

    def _action(self, text, slot, shortcut=None, icon_name=None, tip=None) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip or shortcut:
            shown = tip or text.replace("…", "").replace("&", "")
            action.setToolTip(
                f"{shown} ({QKeySequence(shortcut).toString()})" if shortcut else shown
            )
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.act_new = a("&New", self.new_file, SHORTCUTS["new"], "new", "New script")
        self.act_open = a("&Open…", self.open_dialog, SHORTCUTS["open"], "open", "Open a script")
        self.act_save = a("&Save", self.save_file, SHORTCUTS["save"], "save", "Save the script")
        self.act_save_as = a("Save &As…", self.save_file_as, SHORTCUTS["save_as"])
        self.act_save_session_as = a("Save Session As…", self.save_session_as)
        self.act_export_output = a("Console Output…", self.export_console_output)
        self.act_quit = a("&Quit", self.close, SHORTCUTS["quit"])
        self.act_run = a("&Run", self.run_all, SHORTCUTS["run"], "run", "Run the script")
        self.act_run_selection = a(
            "Run &Selection",
            self.run_selection,
            SHORTCUTS["run_selection"],
            "run-selection",
            "Run the selection or the current line",
        )
        self.act_stop = a("S&top", self.stop, SHORTCUTS["stop"], "stop", "Stop the run")
        self.act_profile = QAction(icon("profiler"), "Profile", self, checkable=True)
        self.act_profile.setToolTip(
            "Profile the next runs: record every op, backward node and block, with shapes"
        )
        self.act_export_trace = a("Trace…", lambda: self.profiler.export_trace_dialog())
        self.act_import_trace = a("Import Trace…", lambda: self.profiler.import_trace_dialog())
        self.act_restart = a("Restart Session", self.restart_session)
        self.act_reset_layout = a("&Reset Layout", self.reset_layout, icon_name="layout")
        self.act_examples = a(
            "&Examples…", self.show_examples, icon_name="examples", tip="Open an example"
        )
        self.act_shortcuts = a("&Keyboard Shortcuts", self.show_shortcuts)
        self.act_about = a("&About Autograd Workbench", self.show_about)
        self.theme_actions = QActionGroup(self)
        for mode in MODES:
            action = QAction(mode.capitalize(), self, checkable=True)
            action.setData(mode)
            action.triggered.connect(lambda _c=False, m=mode: self.set_theme_mode(m))
            self.theme_actions.addAction(action)

    def _edit_action(self, text: str, method: str, key) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(key))
        # Only the focused editor or line edit reacts; its own shortcut handling does the work.
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(lambda _c=False: self._forward_edit(method))
        return action

    def _forward_edit(self, method: str) -> None:
        widget = QApplication.focusWidget()
        if widget is not None and hasattr(widget, method):
            getattr(widget, method)()

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        file.addActions([self.act_new, self.act_open])
        self.recent_menu = file.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file.addSeparator()
        file.addActions([self.act_save, self.act_save_as, self.act_save_session_as])
        self.export_menu = file.addMenu("&Export")
        self.export_menu.setIcon(icon("export"))
        self.export_menu.addActions([self.act_export_output, self.act_export_trace])
        file.addAction(self.act_import_trace)
        file.addSeparator()
        file.addAction(self.act_quit)

        edit = bar.addMenu("&Edit")
        Std = QKeySequence.StandardKey
        for text, method, key in (
            ("&Undo", "undo", Std.Undo),
            ("&Redo", "redo", Std.Redo),
            (None, None, None),
            ("Cu&t", "cut", Std.Cut),
            ("&Copy", "copy", Std.Copy),
            ("&Paste", "paste", Std.Paste),
            (None, None, None),
            ("Select &All", "selectAll", Std.SelectAll),
        ):
            if text is None:
                edit.addSeparator()
            else:
                edit.addAction(self._edit_action(text, method, key))

        run = bar.addMenu("&Run")
        run.addActions([self.act_run, self.act_run_selection, self.act_stop])
        run.addSeparator()
        run.addAction(self.act_restart)

        view = bar.addMenu("&View")
        for name in self.docks:
            action = self.docks[name].toggleViewAction()
            action.setIcon(icon(name))
            view.addAction(action)
        view.addSeparator()
        view.addAction(self.act_reset_layout)
        theme_menu = view.addMenu("&Theme")
        theme_menu.setIcon(icon("theme"))
        theme_menu.addActions(self.theme_actions.actions())

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.act_examples)
        self.example_sessions_menu = help_menu.addMenu("Example &Sessions")
        self.example_sessions_menu.aboutToShow.connect(self._fill_example_sessions)
        help_menu.addAction(self.act_shortcuts)
        help_menu.addSeparator()
        help_menu.addAction(self.act_about)

    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Main")
        bar.setObjectName("toolbar-main")
        bar.setMovable(False)
        bar.setIconSize(QSize(18, 18))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.addActions([self.act_new, self.act_open, self.act_save])
        bar.addSeparator()
        bar.addAction(self.act_examples)
        for action in (self.act_new, self.act_open, self.act_save):
            bar.widgetForAction(action).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        # Run and Stop live beside the code they act on (and in the Run menu), not twice over.
        self.editor.toolbar.addActions(
            [self.act_run, self.act_run_selection, self.act_stop, self.act_profile]
        )

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.status_run = QLabel("Ready")
        # Finding the device loads the engine (a quarter of the start-up time), so it happens
        # once the window is on screen; user code imports the engine on its worker anyway.
        self.status_device = QLabel("Device: …")
        self._device_timer = QTimer(self)
        self._device_timer.setObjectName("device-probe")
        self._device_timer.setSingleShot(True)
        self._device_timer.setInterval(250)
        self._device_timer.timeout.connect(self.update_device)
        self.status_version = QLabel(f"engine {__version__}")
        status.addWidget(self.status_run, 1)
        status.addPermanentWidget(self.status_device)
        status.addPermanentWidget(self.status_version)
        self._clock = QTimer(self)
        self._clock.setObjectName("status-clock")
        self._clock.setInterval(100)
        self._clock.timeout.connect(self._tick)

    def update_device(self) -> None:
        self.status_device.setText(_device_text())

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.status_device.text() == "Device: …" and not self._device_timer.isActive():
            self._device_timer.start()

    def _connect(self) -> None:
        self.editor.run_requested.connect(self._start_editor_run)
        self.editor.current_changed.connect(lambda _e: self._update_title())
        self.editor.modified_changed.connect(lambda _m: self._update_title())
        self.console.submitted.connect(self._start_console_run)
        self.console.location_clicked.connect(self.editor.show_error)
        self.editor.modified_changed.connect(self._on_code_modified)
        self.files.changed.connect(self._update_title)
        self.controller.output.connect(self.console.append_output)
        self.controller.finished.connect(self._on_run_finished)
        self.controller.busy_changed.connect(self._update_run_actions)
        theme_manager().changed.connect(self._refresh_icons)

    # ----------------------------------------------------------------------------- settings

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state, LAYOUT_VERSION)
        mode = str(self.settings.value("theme", theme_manager().mode))
        if mode not in MODES:
            mode = "system"
        for action in self.theme_actions.actions():
            action.setChecked(action.data() == mode)
        if mode != theme_manager().mode:
            theme_manager().set_mode(mode)

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self.settings.setValue("theme", theme_manager().mode)
        self.settings.sync()

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, LAYOUT_VERSION)
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()

    def set_theme_mode(self, mode: str) -> None:
        theme_manager().set_mode(mode)
        for action in self.theme_actions.actions():
            action.setChecked(action.data() == mode)
        self.settings.setValue("theme", mode)

    def _refresh_icons(self, _theme=None) -> None:
        pairs = (
            (self.act_new, "new"),
            (self.act_open, "open"),
            (self.act_save, "save"),
            (self.act_run, "run"),
            (self.act_run_selection, "run-selection"),
            (self.act_stop, "stop"),
            (self.act_reset_layout, "layout"),
            (self.act_examples, "examples"),
            (self.act_profile, "profiler"),
        )
        for action, name in pairs:
            action.setIcon(icon(name))
        for name, dock in self.docks.items():
            dock.toggleViewAction().setIcon(icon(name))

    # ----------------------------------------------------------------------------- files

    def new_file(self) -> None:
        self.editor.new_tab()

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open", self._last_dir(), OPEN_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | os.PathLike) -> bool:
        """Open a script in the editor, or a session in the window; report any problem in a
        dialog (never raise)."""
        path = Path(path)
        if is_session_path(path):
            if self.controller.busy:
                self.warn("Run in progress", "Stop the run (Ctrl+.) before opening a session.")
                return False
            if not self.files.open(path):
                return False
            add_recent_file(self.settings, path)
            self.settings.setValue("last_dir", str(path.resolve().parent))
            return True
        pristine = self._pristine_tab()
        try:
            self.editor.open_file(str(path))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            remove_recent_file(self.settings, str(path.resolve()))
            self.warn("Cannot open file", f"Could not open {path}:\n{exc}")
            return False
        if pristine is not None:  # the blank tab a new window starts with makes way
            self.editor.close_tab(self.editor.editors().index(pristine))
        add_recent_file(self.settings, path)
        self.settings.setValue("last_dir", str(path.resolve().parent))
        return True

    def _pristine_tab(self):
        """The window's only tab when it is an untouched, empty, unsaved one, else None."""
        editors = self.editor.editors()
        if len(editors) == 1:
            only = editors[0]
            if only.path is None and not only.toPlainText() and not only.document().isModified():
                return only
        return None

    def save_file(self) -> bool:
        """Save the session when the window edits a session file, else the current script."""
        if self.files.path is not None:
            return self.files.save()
        current = self.editor.current_editor()
        if current is None:
            return False
        if not current.path:
            return self.save_file_as()
        return self._save_to(current, current.path)

    def save_file_as(self) -> bool:
        current = self.editor.current_editor()
        if current is None:
            return False
        suggested = current.path or str(Path(self._last_dir()) / f"{current.name}.py")
        path, _ = QFileDialog.getSaveFileName(self, "Save As", suggested, SAVE_AS_FILTER)
        if path and is_session_path(path):
            return self._save_session_to(path)
        return bool(path) and self._save_to(current, path)

    def save_session_as(self) -> bool:
        suggested = str(self.files.path or Path(self._last_dir()) / "untitled.wbsession")
        path, _ = QFileDialog.getSaveFileName(self, "Save Session As", suggested, SESSION_FILTER)
        return bool(path) and self._save_session_to(path)

    def _save_session_to(self, path) -> bool:
        if not is_session_path(path):
            path = f"{path}.wbsession"
        if not self.files.save(path):
            return False
        add_recent_file(self.settings, self.files.path)
        self.statusBar().showMessage(f"Saved {self.files.path}", 4000)
        return True

    def replace_session(self, session: Session) -> None:
        """Swap in another kernel (an opened or restored session file); the old one closes.
        Its code goes into fresh tabs and waits there: nothing runs until the user runs it."""
        self.controller.shutdown()
        self.session = session
        self.controller.session = session
        for editor in self.editor.editors():
            editor.document().setModified(False)  # the caller has asked about unsaved work
        self.editor.close_all()
        for buffer in session.buffers:
            self.editor.new_tab(name=buffer.name, text=buffer.text, path=buffer.path)
        if not self.editor.editors():
            self.editor.new_tab()
        self.selection.clear()
        self._refresh_panels()
        self.console.append_output(
            "info", "↻ Session opened: its code is in the editor, not run.\n"
        )

    def captures(self) -> dict:
        """What the panels hold that a session file keeps (keyword arguments of
        `session_to_document`): the profiles shown, the training runs, the graph shown."""
        from workbench.session.files import StoredProfile, StoredRun

        built = self._panels
        stored = built["profiler"].stored_profiles() if "profiler" in built else []
        captures = {"profiles": [StoredProfile(t, ev) for t, ev in stored]}
        if "training" in built:
            captures["training_runs"] = [StoredRun(**r.stored()) for r in built["training"].runs()]
        graph = built["graph"].graph if "graph" in built else None
        if graph is not None:
            from workbench.session.files import StoredGraph

            captures["graphs"] = [
                StoredGraph(self.graph.current_title, graph.to_dict(), graph.arrays())
            ]
        return captures

    def show_restored(self, doc) -> None:
        """Give the panels what a loaded session file holds."""
        if doc is None:
            return
        if "profiler" in self._panels or doc.profiles:
            self.profiler.clear()
        for stored in doc.profiles:
            self.profiler.show_profile(stored.events, stored.name)
        for run in doc.training_runs:
            self.training.load_run(run)
        if doc.graphs:
            from workbench.graph import Graph

            stored = doc.graphs[-1]
            try:
                self.graph.show_graph(Graph.from_dict(stored.data, stored.arrays), stored.name)
            except ValueError as exc:  # a stored graph this version cannot read: say so
                self.warn("Cannot show the stored graph", f"{stored.name}: {exc}")

    def _on_code_modified(self, modified: bool) -> None:
        if modified:
            self.files.mark_dirty()

    def _fill_example_sessions(self) -> None:
        from workbench.assets import asset

        self.example_sessions_menu.clear()
        found = sorted(asset("examples").glob("*.wbsession"))
        if not found:
            self.example_sessions_menu.addAction("No example sessions").setEnabled(False)
        for path in found:
            title = path.stem.split("_", 1)[-1].replace("_", " ").capitalize()
            action = self.example_sessions_menu.addAction(title)
            action.setToolTip(str(path))
            action.triggered.connect(lambda _c=False, p=path: self.open_path(p))

    # ----------------------------------------------------------------------------- drag and drop

    def _dropped_paths(self, event) -> list[Path]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
        return [p for p in paths if p.suffix.lower() in (".py", ".wbsession")]

    def dragEnterEvent(self, event) -> None:
        if self._dropped_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        paths = self._dropped_paths(event)
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        for path in paths:
            self.open_path(path)

    def _save_to(self, editor, path: str) -> bool:
        try:
            saved = self.editor.save(editor, path)
        except OSError as exc:
            self.warn("Cannot save", f"Could not save {path}:\n{exc}")
            return False
        add_recent_file(self.settings, saved)
        self.statusBar().showMessage(f"Saved {saved}", 4000)
        return True

    def _last_dir(self) -> str:
        return str(self.settings.value("last_dir", str(Path.home())))

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = recent_files(self.settings)
        if not files:
            self.recent_menu.addAction("No recent files").setEnabled(False)
            return
        for path in files:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _c=False, p=path: self.open_path(p))
        self.recent_menu.addSeparator()
        self.recent_menu.addAction("Clear Menu").triggered.connect(
            lambda _c=False: self.settings.setValue("recent_files", [])
        )

    def export_console_output(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export Console Output",
            str(Path(self._last_dir()) / "output.txt"),
            "Text files (*.txt);;All files (*)",
        )
        if not path:
            return
        try:
            Path(path).write_text(self.console.output.toPlainText(), encoding="utf-8")
        except OSError as exc:
            self.warn("Cannot export", f"Could not write {path}:\n{exc}")

    # ----------------------------------------------------------------------------- running

    def run_all(self) -> None:
        self.editor.run_all()

    def run_selection(self) -> None:
        self.editor.run_selection()

    def stop(self) -> None:
        if self.controller.busy:
            self.status_run.setText("Stopping…")
            self.controller.stop()

    def restart_session(self) -> None:
        if self.controller.busy:
            self.warn("Run in progress", "Stop the run (Ctrl+.) before restarting the session.")
            return
        self.session.reset_namespace()
        self._refresh_panels()
        self.console.append_output("info", "↻ Session restarted: the namespace is empty.\n")

    def _start_editor_run(self, code: str, source: str, first_line: int) -> None:
        self.editor.clear_error_markers()
        if first_line == 1:
            # `# workbench: inspect NAME [against X]` lines pick what to show once it has run.
            from workbench.session.examples import parse_directives

            try:
                self._pending_inspect = parse_directives(code, source)
            except Exception:  # a half-written script (bad tokens, bad directive) still runs
                self._pending_inspect = ()
        lines = code.count("\n") + (0 if code.endswith("\n") else 1)
        where = source.removeprefix("<editor: ").removesuffix(">")
        span = (
            f"line {first_line}" if lines <= 1 else f"lines {first_line}–{first_line + lines - 1}"
        )
        self._start(code, source, first_line, "exec", f"▶ Run · {where} · {span}\n")

    def _start_console_run(self, code: str) -> None:
        self.console.echo_input(code)
        self._start(code, "<console>", 1, "console", None)

    def _start(self, code, source, first_line, mode, header) -> None:
        if self.controller.busy:
            self.statusBar().showMessage("A run is in progress; stop it first (Ctrl+.)", 4000)
            return
        if header:
            self.console.append_run_header(header)
        self.sync_buffers()
        profile = self.act_profile.isChecked() and mode == "exec"
        self.controller.start(
            code, source=source, first_line=first_line, mode=mode, profile=profile
        )
        self.status_run.setText("Running… 0.0 s")
        self._clock.start()

    def sync_buffers(self) -> None:
        """Mirror the editor's tabs into the Session, which is what sessions save."""
        self.session.buffers = [
            CodeBuffer(e.name, e.toPlainText(), e.path) for e in self.editor.editors()
        ]

    def _tick(self) -> None:
        if self.controller.busy and self.status_run.text() != "Stopping…":
            self.status_run.setText(f"Running… {self.controller.elapsed():.1f} s")

    def _on_run_finished(self, result) -> None:
        self._clock.stop()
        state = result.state.value
        seconds = f"{result.duration:.2f} s"
        if state == "finished":
            footer, status = f"✓ finished in {seconds}\n", f"Finished in {seconds}"
        elif state == "stopped":
            footer, status = f"■ stopped after {seconds}\n", f"Stopped after {seconds}"
        else:
            name = result.error.type_name if result.error else "error"
            footer, status = f"✗ {name} after {seconds}\n", f"Failed: {name} after {seconds}"
            if result.error is not None and result.error.line is not None:
                self.editor.show_error(result.error.source, result.error.line)
        if result.mode == "exec":
            self.console.append_run_footer(state, footer)
        if result.profile is not None:
            self.profiler.show_profile(result.profile, f"Run {result.run_id}")
            self.docks["profiler"].raise_()
        self.status_run.setText(status)
        self.files.mark_dirty()
        self._refresh_panels()
        self._apply_pending_inspect()
        self.run_finished.emit(result)

    def _update_run_actions(self, busy: bool) -> None:
        self.act_run.setEnabled(not busy)
        self.act_run_selection.setEnabled(not busy)
        self.act_restart.setEnabled(not busy)
        self.act_stop.setEnabled(busy)
        self.console.set_busy(busy)

    def _refresh_panels(self) -> None:
        self.namespace.set_entries(self.session.namespace_entries())
        self.inspector.set_namespace(self.session.namespace)
        if "graph" in self._panels:
            self.graph.set_namespace(self.session.namespace)
        if "training" in self._panels:
            self.training.set_namespace(self.session.namespace)

    # ----------------------------------------------------------------------------- linking

    def _inspect_array(self, name: str, array) -> None:
        """An op's output or gradient from the graph: not a namespace name, shown directly."""
        self.inspector.show_tensor(name, array)
        self.docks["inspector"].raise_()

    def _on_graph_node(self, node) -> None:
        if node is not None and node.seq is not None and "profiler" in self._panels:
            self.profiler.select_node(node.seq)

    def _on_profiler_event(self, seq: int) -> None:
        if "graph" not in self._panels:
            return
        graph = self.graph.graph
        if seq < 0 or graph is None:
            return
        for node in graph.nodes.values():
            if node.seq == seq:
                self.graph.select_node(node.id)
                return

    def _on_backward_recorded(self, _graph) -> None:
        # the recording ran a real backward: the leaves' .grad changed
        self.namespace.set_entries(self.session.namespace_entries())
        self.inspector.refresh()
        self.files.mark_dirty()

    # ----------------------------------------------------------------------------- examples

    def show_examples(self) -> None:
        from workbench.ui.panels.examples import ExamplesGallery

        gallery = ExamplesGallery(self)
        gallery.chosen.connect(self.open_example)
        gallery.exec()
        gallery.deleteLater()

    def open_example(self, example) -> None:
        """Open an example as a new, unsaved tab, so the shipped file is never overwritten."""
        from workbench.session.examples import read_example

        pristine = self._pristine_tab()
        self.editor.new_tab(name=example.path.name, text=read_example(example))
        if pristine is not None:
            self.editor.close_tab(self.editor.editors().index(pristine))

    def _apply_pending_inspect(self) -> None:
        if not self._pending_inspect:
            return
        from workbench.ui.panels.inspector_data import MISSING, resolve_name

        name, x_name = self._pending_inspect[0]
        if resolve_name(self.session.namespace, name) is not MISSING:
            self.selection.select(name)
            if x_name and hasattr(self.inspector, "set_x_axis"):
                self.inspector.set_x_axis(x_name)
            self._pending_inspect = ()

    # ----------------------------------------------------------------------------- help

    def show_shortcuts(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle("Keyboard Shortcuts")
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(shortcuts_html())
        box.exec()
        box.deleteLater()

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"<h3>{APP_NAME} {__version__}</h3>"
            "<p>Build a computation or a small model, run it on our own autograd engine "
            "(NumPy on the CPU, CuPy on the GPU, PyTorch's API) and look inside: values, "
            "gradients, the autograd graph, training curves and profiles.</p>"
            f"<p>Device: {_device_text()}</p>",
        )

    def warn(self, title: str, text: str) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # not exec(): a warning must not block tests or a running event loop
        self.last_warning = box

    def _update_title(self) -> None:
        if self.files.path is not None:
            mark = "•" if self.files.dirty else ""
            self.setWindowTitle(f"{self.files.path.name}{mark} — {APP_NAME}")
            return
        current = self.editor.current_editor()
        if current is None:
            self.setWindowTitle(APP_NAME)
            return
        mark = "•" if current.document().isModified() else ""
        self.setWindowTitle(f"{current.name}{mark} — {APP_NAME}")

    # ----------------------------------------------------------------------------- closing

    def _confirm_close(self) -> bool:
        """Ask about unsaved work; False cancels the close. A window editing a session file
        asks once for the session; otherwise each modified script tab is asked about."""
        if self.files.path is not None:
            return self.files.confirm_discard("closing")
        if not any(e.document().isModified() for e in self.editor.editors()):
            return True
        return self.editor.close_all()

    def closeEvent(self, event) -> None:
        if not self._closing and not self._confirm_close():
            event.ignore()
            return
        self._closing = True
        for box in self.findChildren(QMessageBox):
            box.close()
        self.save_settings()
        self._clock.stop()
        self._device_timer.stop()
        self.statusBar().clearMessage()  # stops the message's timeout timer
        self.files.close()
        if "graph" in self._panels:
            self.graph.shutdown()
        if "training" in self._panels:
            self.training.shutdown()
        self.controller.shutdown()
        self.gc_guard.stop()
        super().closeEvent(event)
