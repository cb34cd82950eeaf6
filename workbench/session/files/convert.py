"""A running Session to a SessionDocument and back.

Saving takes the code tabs and, from the namespace, every public tensor (its value and whether
it requires grad) and every nn.Module (its state dict and class name). Loading makes a fresh
Session whose tabs hold the code — never run: it waits in the editor — and whose namespace holds
the tensors again as engine Tensors. Modules cannot come back as objects, since rebuilding a
user's class means running their code; their state dicts stay in `document.modules` (the
"restored" area) for the app to show, and for `model.load_state_dict(...)` once the user has
run the code that defines the model. A re-save keeps them (pass the loaded document as `base`).

A tensor that was the result of an op comes back as a leaf (with requires_grad as saved): its
graph is not data. Gradients (`.grad`) are not saved.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable
from typing import Any

import numpy as np

from workbench.session.session import CodeBuffer, Session

from .codec import to_numpy
from .document import SessionDocument, StoredGraph, StoredProfile, StoredRun

__all__ = ["session_to_document", "document_to_session"]


def _public_items(namespace: dict[str, object]) -> list[tuple[str, object]]:
    try:
        items = list(namespace.items())  # one C-level copy: a run may be changing it
    except RuntimeError:
        items = list(dict(namespace).items())
    return [(k, v) for k, v in items if isinstance(k, str) and not k.startswith("_")]


def session_to_document(
    session: Session,
    *,
    base: SessionDocument | None = None,
    graphs: Iterable[StoredGraph] | None = None,
    training_runs: Iterable[StoredRun] | None = None,
    profiles: Iterable[StoredProfile] | None = None,
    ui_state: dict[str, Any] | None = None,
) -> SessionDocument:
    """What to save of `session`, plus the captures the app holds.

    `base` is the document the session was loaded from (if any): its created time, and its
    restored modules that the namespace has not redefined, carry over. Graphs, runs, profiles
    and UI state given here replace the base's; those not given are kept from it.
    """
    from workbench.engine import Tensor
    from workbench.engine.nn import Module

    doc = SessionDocument(
        code=[CodeBuffer(b.name, b.text, b.path) for b in session.buffers],
        created=base.created if base else None,
    )
    for name, value in _public_items(session.namespace):
        if isinstance(value, Tensor):
            doc.tensors[name] = _snapshot(value, f"tensor {name!r}")
            if value.requires_grad:
                doc.requires_grad.add(name)
        elif isinstance(value, Module):
            state = value.state_dict()
            doc.modules[name] = {
                k: _snapshot(v, f"module {name!r}[{k!r}]") for k, v in state.items()
            }
            doc.module_types[name] = type(value).__name__
    if base is not None:
        for name, state in base.modules.items():
            if name not in doc.modules and name not in doc.tensors:
                doc.modules[name] = state
                if name in base.module_types:
                    doc.module_types[name] = base.module_types[name]
    doc.graphs = list(graphs) if graphs is not None else list(base.graphs if base else [])
    doc.training_runs = (
        list(training_runs)
        if training_runs is not None
        else list(base.training_runs if base else [])
    )
    doc.profiles = list(profiles) if profiles is not None else list(base.profiles if base else [])
    if ui_state is not None:
        doc.ui_state = dict(ui_state)
    elif base is not None:
        doc.ui_state = dict(base.ui_state)
    return doc


def _snapshot(value: Any, where: str) -> np.ndarray:
    # A copy: the document must not share memory with a tensor that a run may still change
    # in place (an autosave can happen while a training loop is stepping).
    return np.array(to_numpy(value, where), copy=True)


def _restorable(name: str) -> bool:
    # Only names user code could have made: a file must not replace `__builtins__` & co.
    return name.isidentifier() and not name.startswith("_") and not keyword.iskeyword(name)


def document_to_session(doc: SessionDocument) -> Session:
    """A fresh Session holding `doc`'s code tabs and tensors; nothing is run.

    Tensors the engine has no dtype for (uint16/32/64) go into the namespace as NumPy arrays.
    A tensor whose name is not a public identifier (`__builtins__`, `a.b`) stays in the
    document only. The caller closes the Session as usual.
    """
    import workbench.engine as torch

    session = Session()
    session.buffers = [CodeBuffer(b.name, b.text, b.path) for b in doc.code]
    for name, array in doc.tensors.items():
        if not _restorable(name):
            continue
        array = np.array(array, copy=True)  # the tensor owns writable memory of its own
        try:
            tensor = torch.from_numpy(array)
        except TypeError:  # a dtype the engine lacks
            session.namespace[name] = array
            continue
        if name in doc.requires_grad and tensor.is_floating_point():
            tensor.requires_grad_(True)
        session.namespace[name] = tensor
    return session
