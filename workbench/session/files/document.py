"""What a session file holds, as plain data: `SessionDocument` and the stored items in it.

Graphs, training runs and UI state are opaque here — JSON-able dicts plus named NumPy arrays —
so this package depends on neither `workbench.graph` nor `workbench.training`: their `to_dict()`
/ `arrays()` / state dicts go in, and come back out exactly. Arrays may be NumPy arrays or
workbench Tensors when saving; loading always gives NumPy arrays.

JSON parts follow JSON's rules: dict keys are strings, values are None, bool, int, float
(NaN/Infinity allowed), str, lists or dicts. Tuples are stored as lists and NumPy scalars as
Python numbers; anything else is refused when saving (`UnsupportedValue`).

These classes compare by identity (`eq=False`): their arrays make `==` ambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.session.session import CodeBuffer
from workbench.trace import TraceEvents

__all__ = ["CodeBuffer", "SessionDocument", "StoredGraph", "StoredProfile", "StoredRun"]


@dataclass(eq=False)
class StoredGraph:
    """A captured graph: `Graph.to_dict()` and `Graph.arrays()` of workbench.graph."""

    name: str
    data: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(eq=False)
class StoredRun:
    """A training run: model spec (None for a model defined in code), settings, metric
    history and the final weights (a state dict)."""

    name: str
    spec: dict[str, Any] | None
    settings: dict[str, Any]
    history: dict[str, Any]
    weights: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(eq=False)
class StoredProfile:
    """A profiler capture."""

    name: str
    events: TraceEvents


@dataclass(eq=False)
class SessionDocument:
    """Everything a `.wbsession` file holds.

    `tensors` are the named tensors the user keeps (bit-exact, dtype included);
    `requires_grad` names those of them that required grad. `modules` are state dicts by
    module name, with `module_types` giving each one's class name (for display only: a
    user's class cannot be rebuilt without running their code). `created`/`modified` are ISO
    8601 UTC; on load, `app_version` and `schema_version` tell who wrote the file.
    """

    code: list[CodeBuffer] = field(default_factory=list)
    tensors: dict[str, np.ndarray] = field(default_factory=dict)
    requires_grad: set[str] = field(default_factory=set)
    modules: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    module_types: dict[str, str] = field(default_factory=dict)
    training_runs: list[StoredRun] = field(default_factory=list)
    profiles: list[StoredProfile] = field(default_factory=list)
    graphs: list[StoredGraph] = field(default_factory=list)
    ui_state: dict[str, Any] = field(default_factory=dict)
    created: str | None = None
    modified: str | None = None
    app_version: str | None = None
    schema_version: int | None = None
