"""Tensor ``repr`` rendering that reproduces PyTorch's output character for character.

The Tensor class hands us a host NumPy array plus the metadata torch would show
(dtype, device, autograd state) and gets back exactly the string
``torch.Tensor.__repr__`` would produce for the same values and options.

Only NumPy and the standard library are used so that this module can be
imported on its own (by the engine, the UI, or tests) without cycles.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = [
    "PRINT_OPTS",
    "PrintOptions",
    "format_size",
    "format_tensor",
    "get_printoptions",
    "printoptions",
    "set_printoptions",
]


@dataclasses.dataclass
class PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


# Global, like torch's: set_printoptions affects every tensor printed afterwards.
PRINT_OPTS = PrintOptions()

_PROFILES: dict[str, dict[str, Any]] = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Same contract as ``torch.set_printoptions``.

    A profile is applied first so explicit arguments can override it. Unknown
    profile names are ignored, as torch does. ``sci_mode`` is always assigned,
    so omitting it goes back to automatic choice -- also torch's behaviour.
    """
    if profile is not None and profile in _PROFILES:
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Current options, in a form that can be passed back to ``set_printoptions``."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change the print options (``torch._tensor_str.printoptions``)."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


def format_size(shape: Sequence[int]) -> str:
    """``repr(torch.Size(shape))``, e.g. ``torch.Size([2, 3])``."""
    return f"torch.Size({[int(d) for d in shape]})"


class _Formatter:
    """Chooses one number style and column width for a whole tensor.

    All elements share the width of the widest one so that columns line up.
    The decision is made from the values actually shown (the summarised data
    when the tensor is elided), exactly as torch does.
    """

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1

        flat = values.reshape(-1)
        if not self.floating:
            # tolist() yields Python ints/bools, whose str() is what torch shows.
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(str(value)))
            return

        # Zeros, nans and infs say nothing about the scale of the data, so the
        # style is chosen from the remaining values only. The maths is done in
        # float64 because float16 would overflow the ratio below, and because
        # torch formats the float64 value of each element (so float32 0.1 is
        # 0.10000000149..., which still prints as 0.1000).
        shown = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if shown.size == 0:
            # Note: this early exit ignores a forced sci_mode, like torch.
            return

        magnitudes = np.abs(shown)
        smallest, largest = magnitudes.min(), magnitudes.max()
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = bool(
                largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
            )
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        precision = PRINT_OPTS.precision
        for value in shown.tolist():
            if self.sci_mode:
                width = len(f"{value:.{precision}e}")
            elif self.int_mode:
                # +1 for the trailing "." that marks the tensor as floating point.
                width = len(f"{value:.0f}") + 1
            else:
                width = len(f"{value:.{precision}f}")
            self.max_width = max(self.max_width, width)

    def width(self) -> int:
        return self.max_width

    def format(self, value: Any) -> str:
        precision = PRINT_OPTS.precision
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            # nan/inf get no "." (torch prints "nan", "inf", "-inf").
            if math.isfinite(value):
                text += "."
        else:
            text = f"{value:.{precision}f}"
        return text.rjust(self.max_width)


class _ElementFormatter:
    """Formats one element, combining a real and an imaginary formatter for complex data."""

    def __init__(self, real: _Formatter, imag: _Formatter | None = None) -> None:
        self.real = real
        self.imag = imag

    def width(self) -> int:
        if self.imag is None:
            return self.real.width()
        # The imaginary part is followed by a "j".
        return self.real.width() + self.imag.width() + 1

    def format(self, value: Any) -> str:
        if self.imag is None:
            return self.real.format(value)
        real_text = self.real.format(value.real)
        imag_text = (self.imag.format(value.imag) + "j").lstrip()
        # A negative (or "-0") imaginary part already carries its sign.
        if imag_text[0] in "+-":
            return real_text + imag_text
        return real_text + "+" + imag_text


def _edge_rows(length: int, summarize: bool) -> list[int | None]:
    """Row indices to show along one axis; ``None`` marks the elided middle."""
    edge = PRINT_OPTS.edgeitems
    if summarize and length > 2 * edge:
        return [*range(edge), None, *range(length - edge, length)]
    return list(range(length))


def _summarized(arr: np.ndarray) -> np.ndarray:
    """The elements that remain visible after eliding, used to pick the format.

    Widths must come from what is displayed, otherwise one huge hidden value
    would widen (or switch to scientific) every visible column.
    """
    edge = PRINT_OPTS.edgeitems
    if arr.ndim == 0:
        return arr
    if arr.ndim == 1:
        if arr.shape[0] > 2 * edge:
            return np.concatenate((arr[:edge], arr[-edge:]))
        return arr
    if not edge:
        return arr[(slice(0, 0),) * arr.ndim]
    rows = [i for i in _edge_rows(arr.shape[0], summarize=True) if i is not None]
    return np.stack([_summarized(arr[i]) for i in rows])


def _vector_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _ElementFormatter) -> str:
    # Each element costs its width plus the ", " separating it from the next.
    element_length = fmt.width() + 2
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))

    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        cells = ["..."]
    elif summarize and arr.shape[0] > 2 * edge:
        cells = [fmt.format(v) for v in arr[:edge].tolist()]
        # The leading space is torch's; it is not padded to the column width.
        cells.append(" ...")
        cells.extend(fmt.format(v) for v in arr[-edge:].tolist())
    else:
        cells = [fmt.format(v) for v in arr.tolist()]

    lines = [", ".join(cells[i : i + per_line]) for i in range(0, len(cells), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _ElementFormatter) -> str:
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, fmt)

    parts = [
        "..." if i is None else _nested_str(arr[i], indent + 1, summarize, fmt)
        for i in _edge_rows(arr.shape[0], summarize)
    ]
    # Deeper blocks are separated by more blank lines (one per extra dimension)
    # and indented one column past the enclosing "[".
    separator = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(parts) + "]"


def _body_str(arr: np.ndarray, indent: int) -> str:
    summarize = arr.size > PRINT_OPTS.threshold
    visible = _summarized(arr) if summarize else arr
    if arr.dtype.kind == "c":
        fmt = _ElementFormatter(_Formatter(visible.real), _Formatter(visible.imag))
    else:
        fmt = _ElementFormatter(_Formatter(visible))
    return _nested_str(arr, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    parts = [text]
    # torch's own measure of the current line; for a single-line string it
    # comes out two larger than the real length, and the wrapping depends on it.
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def format_tensor(
    data: Any,
    *,
    dtype_name: str,
    is_default_dtype: bool,
    device: str | None = None,
    requires_grad: bool = False,
    grad_fn_name: str | None = None,
    prefix: str = "tensor(",
    is_parameter: bool = False,
) -> str:
    """Render ``data`` as ``repr(tensor)`` would in PyTorch.

    ``dtype_name`` is the text shown after ``dtype=`` (e.g. ``"torch.float64"``);
    ``is_default_dtype`` says whether torch would leave it out (the caller
    knows the default float dtype). ``device`` is shown whenever given.
    ``grad_fn_name`` (e.g. ``"SinBackward0"``) takes precedence over
    ``requires_grad``. ``is_parameter`` adds the ``nn.Parameter`` header.
    """
    arr = np.asarray(data)
    indent = len(prefix)
    suffixes: list[str] = []

    if device is not None:
        suffixes.append(f"device='{device}'")

    if arr.size == 0:
        # (0,) is what "[]" already suggests; any other shape must be spelled out.
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        # With no elements to look at, only the default *float* dtype goes
        # unmentioned: an empty int64 or bool tensor still shows its dtype.
        if not (is_default_dtype and arr.dtype.kind == "f"):
            suffixes.append(f"dtype={dtype_name}")
        body = "[]"
    else:
        # With edgeitems=0 nothing is shown, so the shape is the only hint left.
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(arr.shape)}")
        if not is_default_dtype:
            suffixes.append(f"dtype={dtype_name}")
        body = _body_str(arr, indent)

    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")

    text = _add_suffixes(prefix + body, suffixes, indent)
    if is_parameter:
        text = "Parameter containing:\n" + text
    return text
