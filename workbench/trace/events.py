"""The event table that the profiler records into and that traces are read back as.

Columnar on purpose: a profile of 150,000 ops must aggregate and export in well under a second,
which rules out a Python object per event. Times are microseconds (float64), like Chrome traces.

The class lives in the engine (`workbench.engine.autograd.chrome_trace`), beside the one Chrome
trace writer: the profiler exports through both, and the engine may not import this package.
"""

from workbench.engine.autograd.chrome_trace import TraceEvents

__all__ = ["TraceEvents"]
