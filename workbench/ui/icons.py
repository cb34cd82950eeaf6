"""SVG icons from assets/icons, tinted with the current theme's colours.

The SVGs draw in `currentColor`; we substitute a concrete colour before rendering because Qt's
SVG renderer has no notion of a current colour.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from workbench.assets import asset
from workbench.ui.theme import current_theme

# Icons whose meaning is their colour: run is go, stop is stop.
_ROLE_COLOURS = {"run": "success", "run-selection": "success", "stop": "error"}


def icon_names() -> list[str]:
    return sorted(p.stem for p in asset("icons").glob("*.svg"))


@cache
def _svg_text(name: str) -> str:
    path = asset("icons", f"{name}.svg")
    if not path.is_file():
        raise FileNotFoundError(f"no icon {name!r}: {path} is missing")
    return path.read_text(encoding="utf-8")


@cache
def _pixmap(name: str, colour: str, size: int) -> QPixmap:
    return svg_pixmap(_svg_text(name), colour, size)


def svg_pixmap(svg: str, colour: str, size: int) -> QPixmap:
    """An SVG drawn in `colour` (its `currentColor`) on a transparent square of `size` px."""
    renderer = QSvgRenderer(QByteArray(svg.replace("currentColor", colour).encode()))
    pixmap = QPixmap(QSize(size, size))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


def icon(name: str) -> QIcon:
    theme = current_theme()
    colour = getattr(theme, _ROLE_COLOURS.get(name, "text"))
    return _two_mode_icon(lambda c, size: _pixmap(name, c, size), colour, theme.muted)


def svg_icon(svg: str, colour: str | None = None) -> QIcon:
    """An icon from SVG text, like `icon` for the files in assets/icons (muted when disabled)."""
    theme = current_theme()
    return _two_mode_icon(
        lambda c, size: svg_pixmap(svg, c, size), colour or theme.text, theme.muted
    )


def _two_mode_icon(pixmap, colour: str, muted: str) -> QIcon:
    result = QIcon()
    # Two sizes cover toolbars and menus at 1x and 2x; Qt scales between them.
    for size in (16, 32):
        result.addPixmap(pixmap(colour, size), QIcon.Mode.Normal)
        result.addPixmap(pixmap(muted, size), QIcon.Mode.Disabled)
    return result
