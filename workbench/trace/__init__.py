"""Profiler captures as data: op tables, Chrome trace export/import and validation. No Qt."""
