"""Getting a run out of the workbench: its metrics as CSV, its weights as `.safetensors`, and
(from `script`) "Show as code"."""

from __future__ import annotations

import csv
import io
import os
import tempfile

import numpy as np
import safetensors.numpy

import workbench.engine as torch

from .metrics import TrainHistory
from .script import script_for

__all__ = ["metrics_csv", "save_safetensors", "load_safetensors", "script_for"]

_EPOCH_COLUMNS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")


# ----- metrics --------------------------------------------------------------------------------


def metrics_csv(history: TrainHistory | dict) -> str:
    """One row per step: step, epoch, batch, loss, lr, time, then grad_norm/<layer>,
    weight_norm/<layer> and update_ratio/<layer> for each layer, then the epoch's train/test
    loss and accuracy on the step that ended an evaluated epoch (empty elsewhere)."""
    if isinstance(history, dict):
        history = TrainHistory.from_dict(history)
    layers = list(history.layers)
    per_layer = [
        f"{m}/{layer}" for m in ("grad_norm", "weight_norm", "update_ratio") for layer in layers
    ]
    header = ["step", "epoch", "batch", "loss", "lr", "time", *per_layer, *_EPOCH_COLUMNS]
    by_step = {e.step: e for e in history.epochs}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for s in history.steps:
        row = [s.step, s.epoch, s.batch, _num(s.loss), _num(s.lr), _num(s.time)]
        for values in (s.grad_norm, s.weight_norm, s.update_ratio):
            row += [_num(values.get(layer)) for layer in layers]
        e = by_step.get(s.step)
        row += [_num(getattr(e, c)) if e is not None else "" for c in _EPOCH_COLUMNS]
        writer.writerow(row)
    return out.getvalue()


def _num(v):
    return "" if v is None else repr(float(v))


# ----- weights --------------------------------------------------------------------------------


def _state_arrays(model):
    # copies (C order, 0-d kept 0-d, unlike ascontiguousarray): safetensors wants contiguous
    # buffers, and a copy cannot change while it is written
    return {k: np.array(v.numpy(force=True), order="C") for k, v in model.state_dict().items()}


def save_safetensors(model, path, metadata: dict[str, str] | None = None) -> None:
    """Write `model.state_dict()` (PyTorch's keys and shapes) to `path` in the safetensors
    format, atomically: a crash leaves either the old file or the new one, never a torn one."""
    data = safetensors.numpy.save(_state_arrays(model), metadata=metadata)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".safetensors", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_safetensors(model, path, strict: bool = True):
    """Load weights `save_safetensors` (or PyTorch's safetensors) wrote into `model`; returns
    what `load_state_dict` returns."""
    arrays = safetensors.numpy.load_file(os.fspath(path))
    state = {k: torch.from_numpy(np.array(v)) for k, v in arrays.items()}
    return model.load_state_dict(state, strict=strict)
