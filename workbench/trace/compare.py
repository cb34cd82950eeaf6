"""Two profiles side by side: per op, the calls and times of each and how they changed.

Rows are op names (shape groups are added up), those of either profile; an op present in only
one of them has zeros on the other side. Sorted by how much the op's self time changed, most
first, so the table opens on what a change (CPU vs GPU, before vs after) actually moved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .averages import OpAverages, key_averages
from .events import TraceEvents

__all__ = ["OpDelta", "compare"]


@dataclass
class OpDelta:
    """Per op name: A's and B's calls, self and total time (µs), as parallel columns."""

    name: list[str]
    count_a: np.ndarray
    count_b: np.ndarray
    self_a: np.ndarray
    self_b: np.ndarray
    total_a: np.ndarray
    total_b: np.ndarray

    def __len__(self) -> int:
        return len(self.name)

    @property
    def delta_self(self) -> np.ndarray:
        return self.self_b - self.self_a

    @property
    def delta_total(self) -> np.ndarray:
        return self.total_b - self.total_a

    @property
    def ratio(self) -> np.ndarray:
        """Self time B / A: inf for an op only B has, 0 for one only A has, nan for neither."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.self_b / self.self_a

    @property
    def in_a(self) -> np.ndarray:
        return self.count_a > 0

    @property
    def in_b(self) -> np.ndarray:
        return self.count_b > 0

    def row(self, name: str) -> int:
        try:
            return self.name.index(name)
        except ValueError:
            return -1


def _by_name(avg: OpAverages) -> dict[str, tuple[int, float, float]]:
    out: dict[str, tuple[int, float, float]] = {}
    for name, c, s, t in zip(
        avg.name, avg.count.tolist(), avg.self_cpu_us.tolist(), avg.cpu_total_us.tolist()
    ):
        c0, s0, t0 = out.get(name, (0, 0.0, 0.0))
        out[name] = (c0 + c, s0 + s, t0 + t)
    return out


def compare(a: OpAverages | TraceEvents, b: OpAverages | TraceEvents) -> OpDelta:
    """The per-op delta table of profile `a` against profile `b` (B − A, B / A)."""
    if isinstance(a, TraceEvents):
        a = key_averages(a)
    if isinstance(b, TraceEvents):
        b = key_averages(b)
    ra, rb = _by_name(a), _by_name(b)
    names = list(dict.fromkeys([*ra, *rb]))  # A's order, then the ops only B has
    zero = (0, 0.0, 0.0)
    cols = np.array([(*ra.get(n, zero), *rb.get(n, zero)) for n in names], np.float64)
    cols = cols.reshape(len(names), 6)
    delta = np.abs(cols[:, 4] - cols[:, 1])
    order = np.argsort(-delta, kind="stable")
    cols = cols[order]
    return OpDelta(
        name=[names[i] for i in order.tolist()],
        count_a=cols[:, 0].astype(np.int64),
        self_a=cols[:, 1],
        total_a=cols[:, 2],
        count_b=cols[:, 3].astype(np.int64),
        self_b=cols[:, 4],
        total_b=cols[:, 5],
    )
