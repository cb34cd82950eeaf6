"""Export a graph scene as a picture: PNG (rendered at 2x for crisp text) and SVG (vector, with
the labels as real text). Both render the whole scene, not just what the view shows, on the
theme's canvas colour."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene

MAX_PIXELS = 16384  # per side: beyond this, image viewers and QImage itself give up


@contextmanager
def _uncached(scene: QGraphicsScene):
    """Items that cache their pixels would be exported as bitmaps (blurry in a 2x PNG, <image>
    instead of text in an SVG): paint them directly while exporting."""
    cached = [i for i in scene.items() if i.cacheMode() != QGraphicsItem.CacheMode.NoCache]
    modes = [i.cacheMode() for i in cached]
    for item in cached:
        item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
    try:
        yield
    finally:
        for item, mode in zip(cached, modes, strict=True):
            item.setCacheMode(mode)


def _source(scene: QGraphicsScene) -> QRectF:
    rect = scene.sceneRect()
    if rect.isEmpty():
        rect = scene.itemsBoundingRect().adjusted(-20, -20, 20, 20)
    return rect


def export_png(scene: QGraphicsScene, path: str | Path, background: QColor, scale: float = 2.0):
    """Render `scene` to a PNG at `scale` pixels per scene unit (reduced for huge graphs).
    Returns the image's size; raises OSError when the file cannot be written."""
    source = _source(scene)
    scale = min(
        scale, MAX_PIXELS / max(source.width(), 1.0), MAX_PIXELS / max(source.height(), 1.0)
    )
    size = QSize(max(int(source.width() * scale), 1), max(int(source.height() * scale), 1))
    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(background)
    painter = QPainter(image)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    with _uncached(scene):
        scene.render(painter, QRectF(0, 0, size.width(), size.height()), source)
    painter.end()
    if not image.save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return size


def export_svg(
    scene: QGraphicsScene, path: str | Path, background: QColor, title: str = "autograd graph"
) -> QSize:
    """Render `scene` to an SVG file, one scene unit per SVG pixel."""
    source = _source(scene)
    size = QSize(max(int(source.width()), 1), max(int(source.height()), 1))
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(size)
    generator.setViewBox(QRectF(0, 0, size.width(), size.height()))
    generator.setTitle(title)
    generator.setDescription("Exported from Autograd Workbench")
    painter = QPainter()
    if not painter.begin(generator):
        raise OSError(f"could not write {path}")
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    target = QRectF(0, 0, size.width(), size.height())
    painter.fillRect(target, background)
    with _uncached(scene):
        scene.render(painter, target, source, Qt.AspectRatioMode.KeepAspectRatio)
    painter.end()
    if not Path(path).is_file():
        raise OSError(f"could not write {path}")
    return size
