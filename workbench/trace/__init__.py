"""Profiler captures as data: op tables, Chrome trace export/import and validation. No Qt."""

from .chrome import TraceError, dump, dumps, load, read_trace
from .events import TraceEvents
from .validate import TraceReport, validate

__all__ = [
    "TraceError",
    "TraceEvents",
    "TraceReport",
    "dump",
    "dumps",
    "load",
    "read_trace",
    "validate",
]
