"""The event table that the profiler records into and that traces are read back as.

Columnar on purpose: a profile of 150,000 ops must aggregate and export in well under a second,
which rules out a Python object per event. Times are microseconds (float64), like Chrome traces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class TraceEvents:
    """Complete ("X") events as parallel columns, plus the names of processes and threads.

    `args[i]` is a dict or None (ours carry op/node ids and shapes; PyTorch's carry its own keys).
    `process_names` maps pid to a name, `thread_names` maps (pid, tid) to a name.
    """

    name: list[str] = field(default_factory=list)
    cat: list[str] = field(default_factory=list)
    start_us: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    dur_us: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    pid: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    tid: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    args: list[dict[str, Any] | None] = field(default_factory=list)
    process_names: dict[int, str] = field(default_factory=dict)
    thread_names: dict[tuple[int, int], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.name = list(self.name)
        self.cat = list(self.cat)
        self.start_us = np.asarray(self.start_us, dtype=np.float64)
        self.dur_us = np.asarray(self.dur_us, dtype=np.float64)
        self.pid = np.asarray(self.pid, dtype=np.int64)
        self.tid = np.asarray(self.tid, dtype=np.int64)
        n = len(self.name)
        if not self.args:
            self.args = [None] * n
        else:
            self.args = list(self.args)
        if not self.cat:
            self.cat = [""] * n
        lengths = {
            "name": n,
            "cat": len(self.cat),
            "start_us": len(self.start_us),
            "dur_us": len(self.dur_us),
            "pid": len(self.pid),
            "tid": len(self.tid),
            "args": len(self.args),
        }
        if len(set(lengths.values())) != 1:
            raise ValueError(f"TraceEvents columns differ in length: {lengths}")

    def __len__(self) -> int:
        return len(self.name)

    @property
    def end_us(self) -> np.ndarray:
        return self.start_us + self.dur_us

    def threads(self) -> list[tuple[int, int]]:
        """The (pid, tid) pairs that have events, in first-seen order."""
        seen: dict[tuple[int, int], None] = {}
        for key in zip(self.pid.tolist(), self.tid.tolist()):
            seen.setdefault(key, None)
        return list(seen)

    def process_name(self, pid: int) -> str:
        return self.process_names.get(pid, f"process {pid}")

    def thread_name(self, pid: int, tid: int) -> str:
        return self.thread_names.get((pid, tid), f"thread {tid}")
