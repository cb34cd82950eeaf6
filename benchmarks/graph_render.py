"""Graph panel rendering (issue 6): a 2,000-node graph must show and fit without freezing.

`python -m benchmarks.graph_render [--repeat N] [--sizes 500 2000 5000]`

Offscreen (QT_QPA_PLATFORM=offscreen), for the graphs of `benchmarks.graph_layout` (a random DAG
and an engine MLP of about n nodes), the best of N times of:
- `layout`: `workbench.graph.layout` alone, with the panel's card sizes: the baseline;
- `show`: `GraphPanel.show_graph` (grouping off): layout plus building the scene's items;
- `paint fit`: fit the whole graph and paint the view (cards are solid blocks at that scale);
- `paint 100%`: paint the view zoomed in to 100 % (cards with text);
- `zoom step`: one wheel notch (x1.2) and the repaint that follows.

The scene figures are also given as ratios to `layout` measured in the same run.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks.graph_layout import mlp_graph, random_dag  # noqa: E402
from benchmarks.timing import best_time  # noqa: E402


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    args = ap.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from workbench.graph import layout
    from workbench.ui.panels.graph_items import card_size
    from workbench.ui.panels.graph_panel import GraphPanel
    from workbench.ui.selection import Selection
    from workbench.ui.theme import theme_manager

    app = QApplication.instance() or QApplication([])
    theme_manager().apply()
    panel = GraphPanel(Selection())
    panel.resize(1200, 800)
    panel.show()
    app.processEvents()
    view = panel.view

    def paint() -> None:
        view.viewport().grab()

    def zoom_step() -> None:
        view.zoom_by(1.2)
        paint()
        view.zoom_by(1 / 1.2)

    style = panel.style_

    def sized(node):
        return card_size(node, style)

    print(
        f"{'workload':<8} {'nodes':>6} {'layout s':>9} {'show s':>8} {'(x)':>5} "
        f"{'paint fit s':>11} {'paint 100% s':>12} {'zoom step s':>11}"
    )
    for n in args.sizes:
        for name, make in (("random", random_dag), ("mlp", mlp_graph)):
            g = make(n)
            t_layout = best_time(lambda g=g: layout(g, node_size=sized), repeat=args.repeat)
            t_show = best_time(lambda g=g, t=name: panel.show_graph(g, t), repeat=args.repeat)
            view.fit_all()
            t_fit = best_time(paint, repeat=args.repeat)
            view.set_zoom(1.0)
            t_full = best_time(paint, repeat=args.repeat)
            t_zoom = best_time(zoom_step, repeat=args.repeat)
            print(
                f"{name:<8} {len(g.nodes):>6} {t_layout:>9.3f} {t_show:>8.3f} "
                f"{t_show / t_layout:>5.1f} {t_fit:>11.3f} {t_full:>12.3f} {t_zoom:>11.3f}"
            )
    panel.close()


if __name__ == "__main__":
    main()
