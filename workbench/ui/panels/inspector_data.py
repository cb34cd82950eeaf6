"""What the inspector shows, worked out without widgets: resolving a selected name in the
namespace, why a tensor has no gradient, and the copies of arrays that the plots draw.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping

import numpy as np

# The engine is not imported here: it costs a quarter of the app's start-up, and until user
# code has imported it no object in a namespace can be one of its tensors or modules.


def is_engine_tensor(obj) -> bool:
    engine = sys.modules.get("workbench.engine")
    return engine is not None and isinstance(obj, engine.Tensor)


def is_module(obj) -> bool:
    nn = sys.modules.get("workbench.engine.nn")
    return nn is not None and isinstance(obj, nn.Module)


MAX_HEATMAP = 2000  # heatmaps draw at most this many rows and columns (strided beyond)
MISSING = object()


def resolve_name(namespace: Mapping[str, object], name: str) -> object:
    """The object `name` refers to in `namespace`, or `MISSING`.

    A dotted name reaches into its first component: a module's parameters and buffers by their
    `named_parameters()` names ("model.0.weight"), otherwise an attribute chain ("a.grad",
    "model.fc"), where a number also indexes ("layers.0").
    """
    if not name:
        return MISSING
    if name in namespace:
        return namespace[name]
    head, _, rest = name.partition(".")
    if not rest or head not in namespace:
        return MISSING
    obj = namespace[head]
    if is_module(obj):
        for named in (obj.named_parameters, obj.named_buffers):
            for key, tensor in named():
                if key == rest:
                    return tensor
    for part in rest.split("."):
        if is_engine_tensor(obj) and part == "grad":
            obj = grad_of(obj)  # without the non-leaf warning that `.grad` gives
            continue
        try:
            obj = getattr(obj, part)
        except Exception:
            try:
                obj = obj[int(part)]
            except Exception:
                return MISSING
    return obj


def is_tensor(obj) -> bool:
    if is_engine_tensor(obj):
        return True
    return isinstance(obj, np.ndarray) and obj.dtype.kind in "biuf"


def grad_of(obj):
    # `_grad` directly: `.grad` warns on non-leaves, and silencing that would need
    # warnings.catch_warnings, which is process-wide and would hide the user's own warnings.
    return getattr(obj, "_grad", None) if is_engine_tensor(obj) else None


def shape_text(shape) -> str:
    return " × ".join(str(s) for s in shape) if len(shape) else "scalar"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def no_grad_reason(name: str, tensor) -> str:
    if not is_engine_tensor(tensor):
        return f"No gradient: {name} is a NumPy array"
    if not tensor.requires_grad:
        return f"No gradient: {name} does not require grad"
    if tensor.is_leaf:
        return f"No gradient: {name} is a leaf that has not been through backward()"
    if tensor.retains_grad:
        return f"No gradient yet: {name} retains its gradient but has not been through backward()"
    return (
        f"No gradient: {name} is not a leaf; call retain_grad() before backward() "
        "to keep its gradient"
    )


def header_parts(obj, value: np.ndarray | None) -> list[str]:
    """What the header says after the name: shape, dtype, device, requires_grad, grad_fn."""
    parts: list[str] = []
    if value is not None:
        parts += [shape_text(value.shape), str(value.dtype)]
    if is_engine_tensor(obj):
        parts.append(str(obj.device))
        if obj.requires_grad:
            parts += ["requires_grad", "leaf" if obj.is_leaf else type(obj.grad_fn).__name__]
        else:
            parts.append("requires_grad=False")
    elif isinstance(obj, np.ndarray):
        parts.append("NumPy array")
    return parts


def module_summary(module) -> tuple[str, int]:
    """A module's repr, then its parameters one per line; and its parameter count."""
    named = list(module.named_parameters())
    total = sum(p.numel() for _, p in named)
    trainable = sum(p.numel() for _, p in named if p.requires_grad)
    lines = [repr(module), "", f"{total:,} parameters ({trainable:,} trainable)"]
    width = max((len(n) for n, _ in named), default=0)
    for name, p in named:
        grad = "grad" if grad_of(p) is not None else "no grad"
        dtype = str(p.dtype).removeprefix("torch.")
        lines.append(f"  {name:<{width}}  {shape_text(p.shape):<12} {dtype:<8} {grad}")
    return "\n".join(lines), total


def plottable(array: np.ndarray) -> np.ndarray:
    """A float copy of a 1-D array for plotting (bools as 0/1)."""
    dtype = np.float64 if array.dtype == np.float64 else np.float32
    return np.array(array, dtype=dtype, copy=True)


def strided(array: np.ndarray) -> tuple[np.ndarray, str]:
    """A float copy of a 2-D slice for drawing, strided down to MAX_HEATMAP per side."""
    rows, cols = array.shape
    step_r, step_c = math.ceil(rows / MAX_HEATMAP), math.ceil(cols / MAX_HEATMAP)
    dtype = np.float64 if array.dtype == np.float64 else np.float32
    shown = np.array(array[::step_r, ::step_c], dtype=dtype, copy=True)
    if step_r == step_c == 1:
        return shown, ""
    what = []
    if step_r > 1:
        what.append(f"every {_ordinal(step_r)} row")
    if step_c > 1:
        what.append(f"every {_ordinal(step_c)} column")
    return shown, f"heatmap shows {' and '.join(what)}"
