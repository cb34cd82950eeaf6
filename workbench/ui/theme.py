"""Light and dark themes: one palette for widgets, plots and code, switched at run time.

Panels never hard-code colours: they read `current_theme()` and listen to
`theme_manager().changed`, so a switch repaints everything, pyqtgraph plots included.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

MODES = ("system", "light", "dark")


@dataclass(frozen=True)
class Theme:
    name: str  # "light" | "dark"
    window: str  # window and panel background
    base: str  # editors, tables, lists
    alt_base: str  # alternate rows, gutters
    text: str
    muted: str  # secondary text: line numbers, hints, units
    border: str
    accent: str  # selection, focus, primary buttons
    accent_text: str  # text drawn on the accent colour
    error: str
    warning: str
    success: str
    current_line: str  # the editor's current-line band
    error_line: str  # the band on the line of the last error
    plot_background: str
    plot_foreground: str
    grid: str
    value: str  # a tensor's values in plots
    grad: str  # a tensor's gradients in plots
    series: tuple[str, ...] = ()  # further plot series, in order
    code: dict[str, str] = field(default_factory=dict)  # syntax colours by token kind


LIGHT = Theme(
    name="light",
    window="#f3f4f6",
    base="#ffffff",
    alt_base="#f7f8fa",
    text="#1f2328",
    muted="#6e7781",
    border="#d0d7de",
    accent="#2f6feb",
    accent_text="#ffffff",
    error="#cf222e",
    warning="#9a6700",
    success="#1a7f37",
    current_line="#eef3fc",
    error_line="#fde7e9",
    plot_background="#ffffff",
    plot_foreground="#1f2328",
    grid="#d0d7de",
    value="#2f6feb",
    grad="#d1242f",
    series=("#2f6feb", "#d1242f", "#1a7f37", "#8250df", "#bc4c00", "#0a7b83"),
    code={
        "keyword": "#cf222e",
        "builtin": "#8250df",
        "string": "#0a3069",
        "comment": "#6e7781",
        "number": "#0550ae",
        "decorator": "#953800",
        "self": "#953800",
        "definition": "#8250df",
    },
)

DARK = Theme(
    name="dark",
    window="#1e2227",
    base="#16191d",
    alt_base="#1b1f24",
    text="#d8dee4",
    muted="#7d8590",
    border="#30363d",
    accent="#4c8dff",
    accent_text="#ffffff",
    error="#ff7b72",
    warning="#d29922",
    success="#3fb950",
    current_line="#1f2630",
    error_line="#3d1f24",
    plot_background="#16191d",
    plot_foreground="#d8dee4",
    grid="#30363d",
    value="#58a6ff",
    grad="#ff7b72",
    series=("#58a6ff", "#ff7b72", "#3fb950", "#d2a8ff", "#ffa657", "#39c5cf"),
    code={
        "keyword": "#ff7b72",
        "builtin": "#d2a8ff",
        "string": "#a5d6ff",
        "comment": "#8b949e",
        "number": "#79c0ff",
        "decorator": "#ffa657",
        "self": "#ffa657",
        "definition": "#d2a8ff",
    },
)

THEMES = {"light": LIGHT, "dark": DARK}


def system_prefers_dark() -> bool:
    """Whether the desktop asks for a dark scheme (Qt 6.5+); unknown means light."""
    app = QGuiApplication.instance()
    if app is None:
        return False
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def code_font(point_size: int = 10) -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    # The offscreen platform reports a generic "monospace" that may resolve to a proportional
    # face; asking for a concrete monospace family keeps the editor's columns aligned.
    font.setFamilies(["JetBrains Mono", "Cascadia Code", "Menlo", "Consolas", "DejaVu Sans Mono"])
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setFixedPitch(True)
    font.setPointSize(point_size)
    return font


def _palette(theme: Theme) -> QPalette:
    p = QPalette()
    c = QColor
    roles = {
        QPalette.ColorRole.Window: theme.window,
        QPalette.ColorRole.WindowText: theme.text,
        QPalette.ColorRole.Base: theme.base,
        QPalette.ColorRole.AlternateBase: theme.alt_base,
        QPalette.ColorRole.ToolTipBase: theme.base,
        QPalette.ColorRole.ToolTipText: theme.text,
        QPalette.ColorRole.PlaceholderText: theme.muted,
        QPalette.ColorRole.Text: theme.text,
        QPalette.ColorRole.Button: theme.window,
        QPalette.ColorRole.ButtonText: theme.text,
        QPalette.ColorRole.BrightText: theme.error,
        QPalette.ColorRole.Highlight: theme.accent,
        QPalette.ColorRole.HighlightedText: theme.accent_text,
        QPalette.ColorRole.Link: theme.accent,
        QPalette.ColorRole.Mid: theme.border,
        QPalette.ColorRole.Midlight: theme.alt_base,
        QPalette.ColorRole.Dark: theme.border,
        QPalette.ColorRole.Light: theme.base,
    }
    for role, colour in roles.items():
        p.setColor(role, c(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, c(theme.muted))
    return p


def _stylesheet(theme: Theme) -> str:
    # Only what the palette cannot say: hairline borders, dock titles, compact toolbars.
    return f"""
QMainWindow::separator {{ background: {theme.border}; width: 1px; height: 1px; }}
QDockWidget {{ titlebar-close-icon: none; }}
QDockWidget::title {{
    background: {theme.window}; padding: 5px 8px; border-bottom: 1px solid {theme.border};
}}
QToolBar {{ background: {theme.window}; border: none; border-bottom: 1px solid {theme.border};
    spacing: 4px; padding: 3px 6px; }}
QToolButton {{ border: 1px solid transparent; border-radius: 4px; padding: 3px; }}
QToolButton:hover {{ background: {theme.alt_base}; border-color: {theme.border}; }}
QToolButton:checked {{ background: {theme.current_line}; border-color: {theme.accent}; }}
QStatusBar {{ background: {theme.window}; border-top: 1px solid {theme.border}; }}
QStatusBar QLabel {{ color: {theme.muted}; padding: 0 6px; }}
QTabBar::tab {{ padding: 5px 12px; border: none; background: {theme.window};
    color: {theme.muted}; }}
QTabBar::tab:selected {{ color: {theme.text}; border-bottom: 2px solid {theme.accent}; }}
QTabWidget::pane {{ border: none; border-top: 1px solid {theme.border}; }}
QHeaderView::section {{ background: {theme.window}; color: {theme.muted}; border: none;
    border-bottom: 1px solid {theme.border}; border-right: 1px solid {theme.border};
    padding: 3px 6px; }}
QTreeView::item, QTableView::item {{ padding: 2px 0; }}
QTableView, QTreeView, QListView, QPlainTextEdit, QTextEdit {{
    border: 1px solid {theme.border}; gridline-color: {theme.border};
    selection-background-color: {theme.accent}; selection-color: {theme.accent_text}; }}
QLineEdit, QComboBox {{ border: 1px solid {theme.border};
    border-radius: 4px; padding: 3px 6px; background: {theme.base}; }}
QLineEdit:focus, QComboBox:focus {{ border-color: {theme.accent}; }}
QPushButton {{ border: 1px solid {theme.border}; border-radius: 4px; padding: 4px 12px;
    background: {theme.base}; }}
QPushButton:hover {{ border-color: {theme.accent}; }}
QPushButton:default {{ background: {theme.accent}; color: {theme.accent_text};
    border-color: {theme.accent}; }}
QToolTip {{ border: 1px solid {theme.border}; padding: 4px; }}
"""


class ThemeManager(QObject):
    """Holds the chosen mode ("system", "light", "dark") and the theme in effect."""

    changed = Signal(object)  # the new Theme

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._mode = "system"
        self._theme = DARK if system_prefers_dark() else LIGHT

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def theme(self) -> Theme:
        return self._theme

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown theme mode {mode!r}; expected one of {', '.join(MODES)}")
        self._mode = mode
        name = ("dark" if system_prefers_dark() else "light") if mode == "system" else mode
        self._theme = THEMES[name]
        self.apply()
        self.changed.emit(self._theme)

    def apply(self) -> None:
        """Push the theme into the application: style, palette, stylesheet, pyqtgraph defaults."""
        app = QApplication.instance()
        if app is None:
            return
        import pyqtgraph as pg

        app.setStyle("Fusion")
        app.setPalette(_palette(self._theme))
        app.setStyleSheet(_stylesheet(self._theme))
        pg.setConfigOptions(
            background=self._theme.plot_background,
            foreground=self._theme.plot_foreground,
            antialias=True,
        )


_manager: ThemeManager | None = None


def theme_manager() -> ThemeManager:
    """The application's one ThemeManager (created on first use, parented to the QApplication)."""
    global _manager
    app = QApplication.instance()
    if _manager is None or _manager.parent() is not app:
        _manager = ThemeManager(app)
    return _manager


def current_theme() -> Theme:
    return theme_manager().theme


def style_plot(plot_item, theme: Theme | None = None) -> None:
    """Colour a pyqtgraph PlotItem (axes, labels, grid) for `theme` (default: the current one)."""
    theme = theme or current_theme()
    for name in ("left", "bottom", "right", "top"):
        axis = plot_item.getAxis(name)
        axis.setPen(theme.grid)
        axis.setTextPen(theme.plot_foreground)
    plot_item.showGrid(x=True, y=True, alpha=0.25)
    vb = plot_item.getViewBox()
    vb.setBackgroundColor(theme.plot_background)
