"""The profiler panel's rendering (issue 8): time to first render and per zoom step.

`python -m benchmarks.profiler_render [--sizes 100000,300000] [--steps 30]`

Workload: the tutorial's loop (`z = (z / x) * y` 1,000 times, then backward) recorded by the
engine's profiler with shapes, repeated until the trace holds ~100,000 and ~300,000 events.
For each size:

- first render: `ProfilerPanel.show_profile(profile)` (the profile's trace table, nesting, key
  averages, lanes) until the whole panel — table and timeline — is painted into an image.
  Target: <= 1 s at 100,000.
- zoom: from "fit all", `steps` wheel notches in around the middle of the view and as many
  out, each repainting the timeline into an image: mean and worst time per step. A frame at
  60 Hz is 16.7 ms.

Baseline in the same run: the same panel and timeline painted with a 100-event trace, so the
figures read as the cost of the events, not of painting a window. Offscreen (no display).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def record(events_wanted: int):
    """A profile of the tutorial loop with about `events_wanted` events (4,004 per repeat)."""
    import workbench.engine as torch
    from workbench.engine.autograd import profiler

    x = torch.randn(2, 3, requires_grad=True)
    y = torch.randn(2, 3, requires_grad=True)
    reps = max(1, round(events_wanted / 4004))
    with profiler.profile(record_shapes=True) as prof:
        for _ in range(reps):
            z = torch.ones(2, 3, requires_grad=True)
            for _ in range(1000):
                z = (z / x) * y
            z.sum().backward()
    return prof


def measure(events, title, steps, app, panel_cls, selection_cls):
    from PySide6.QtGui import QImage

    panel = panel_cls(selection_cls())
    panel.resize(1400, 800)
    panel.show()
    app.processEvents()
    image = QImage(panel.size(), QImage.Format.Format_ARGB32_Premultiplied)
    t0 = time.perf_counter()
    panel.show_profile(events, title)
    panel.render(image)
    first = time.perf_counter() - t0

    canvas = panel.canvas
    canvas.fit()
    frame = QImage(canvas.size(), QImage.Format.Format_ARGB32_Premultiplied)
    canvas.render(frame)
    x = canvas.width() * 0.37
    times = []
    for factor in [1.25] * steps + [1 / 1.25] * steps:
        t = time.perf_counter()
        canvas.zoom(factor, x)
        canvas.render(frame)
        times.append(time.perf_counter() - t)
    bars_out = len(canvas._frame().bars)
    panel.close()
    panel.deleteLater()
    app.processEvents()
    return first, statistics.mean(times), max(times), bars_out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,300000")
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from workbench.trace import TraceEvents
    from workbench.ui.panels.profiler_panel import ProfilerPanel
    from workbench.ui.selection import Selection
    from workbench.ui.theme import theme_manager

    theme_manager().set_mode("light")

    small = record(100).trace_events()
    small = TraceEvents(
        small.name[:100], small.cat[:100], small.start_us[:100], small.dur_us[:100],
        small.pid[:100], small.tid[:100], small.args[:100], small.process_names,
        small.thread_names,
    )  # fmt: skip
    base = measure(small, "baseline", args.steps, app, ProfilerPanel, Selection)
    print(
        f"baseline ({len(small)} events): first render {base[0] * 1e3:.1f} ms, "
        f"zoom step mean {base[1] * 1e3:.2f} ms / max {base[2] * 1e3:.2f} ms"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        prof = record(size)
        # what the window hands over after a profiled run: the engine's profile object, so
        # its conversion to a trace table counts too
        first, mean, worst, bars = measure(prof, "run", args.steps, app, ProfilerPanel, Selection)
        n = len(prof.trace_events())
        print(
            f"{n:,} events: first render {first * 1e3:.0f} ms "
            f"({first / base[0]:.1f}x baseline; target <= 1000 ms at 100k); "
            f"zoom step mean {mean * 1e3:.1f} ms / max {worst * 1e3:.1f} ms "
            f"({mean / base[1]:.1f}x / {worst / base[2]:.1f}x baseline); "
            f"{bars} bars drawn zoomed out"
        )


if __name__ == "__main__":
    main()
