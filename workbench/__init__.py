"""Autograd Workbench: build a computation or a small model, run it on our autograd engine,
and look inside (graph, values and gradients, training curves, profiler).

Importing this package stays cheap: it loads neither the engine nor Qt.
"""

__version__ = "0.1.0"
