"""Numbers about a tensor for the inspector: summary statistics, histograms, 2-D slices.

NumPy only (no Qt), so the statistics are tested without a display and reused by the CLI.
Everything here accepts a `workbench.engine` Tensor, a NumPy array or a CuPy array.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "HISTOGRAM_SAMPLE",
    "Stats",
    "format_number",
    "histogram",
    "sample",
    "slice_2d",
    "tensor_stats",
    "to_numpy",
]

HISTOGRAM_SAMPLE = 1_000_000  # most elements a histogram looks at


def to_numpy(x) -> np.ndarray:
    """The data of `x` as a NumPy array, outside autograd.

    An engine Tensor gives its array (no copy on the CPU), a CuPy array a host copy (`.get()`),
    anything else `np.asarray(x)`. The dtype is kept: bool stays bool, int stays int.
    """
    data = getattr(x, "_data", None)  # an engine Tensor (or Parameter): its raw array
    if data is not None and hasattr(data, "shape"):
        x = data
    if type(x).__module__.split(".", 1)[0] == "cupy":
        x = x.get()
    return np.asarray(x)


def _numeric(a: np.ndarray) -> np.ndarray:
    """`a` in a dtype arithmetic works on: bools as 0/1, complex numbers by magnitude."""
    if a.dtype == np.bool_:
        return a.astype(np.uint8)
    if np.iscomplexobj(a):
        return np.abs(a)
    return a


def _finite(a: np.ndarray) -> np.ndarray:
    """The finite values of `a`, flattened (no copy needed when all are finite)."""
    flat = a.reshape(-1)
    if a.dtype.kind not in "fc":
        return flat
    mask = np.isfinite(flat)
    return flat if mask.all() else flat[mask]


@dataclass(frozen=True)
class Stats:
    """Summary statistics of a tensor, PyTorch's way.

    `min`, `max`, `mean`, `std` and `norm` are taken over the finite values only (NaN and ±Inf
    are counted, not averaged in) and are None when there is no finite value. `std` is the
    unbiased estimate (correction=1, `Tensor.std()`'s default), so it is NaN for a single finite
    value, as in PyTorch. `norm` is the 2-norm of the flattened values. `min`/`max` are ints for
    integer and bool tensors (bools count as 0/1). `zero_fraction` is the share of all elements
    that are exactly zero (None for an empty tensor).
    """

    numel: int
    min: float | int | None
    max: float | int | None
    mean: float | None
    std: float | None
    norm: float | None
    nan_count: int
    inf_count: int
    zero_fraction: float | None


_CHUNK = 1 << 20  # elements per float64 block in tensor_stats: bounded memory, cache-friendly


def _moments(finite: np.ndarray) -> tuple[float, float, float]:
    """(mean, unbiased std, 2-norm) in float64, one pass over blocks of the flat array: no
    full-size float64 copy, and each block's squared deviations are merged with Chan et al.'s
    formula rather than the cancellation-prone sum-of-squares shortcut."""
    count = 0
    mean = m2 = squares = 0.0
    for start in range(0, finite.size, _CHUNK):
        block = finite[start : start + _CHUNK].astype(np.float64)
        n = block.size
        squares += float(np.dot(block, block))
        block_mean = float(block.sum()) / n
        block -= block_mean
        delta = block_mean - mean
        total = count + n
        mean += delta * n / total
        m2 += float(np.dot(block, block)) + delta * delta * count * n / total
        count = total
    std = math.sqrt(m2 / (count - 1)) if count > 1 else math.nan
    return mean, std, math.sqrt(squares)


def tensor_stats(x) -> Stats:
    a = _numeric(to_numpy(x))
    numel = int(a.size)
    if numel == 0:
        return Stats(0, None, None, None, None, None, 0, 0, None)
    flat = a.reshape(-1)
    nan_count = inf_count = 0
    finite = flat
    if a.dtype.kind == "f":
        mask = np.isfinite(flat)
        n_finite = int(np.count_nonzero(mask))
        if n_finite < numel:
            nan_count = int(np.count_nonzero(np.isnan(flat)))
            inf_count = numel - n_finite - nan_count
            finite = flat[mask]
    zero_fraction = (numel - int(np.count_nonzero(flat))) / numel
    if finite.size == 0:
        return Stats(numel, None, None, None, None, None, nan_count, inf_count, zero_fraction)
    mean, std, norm = _moments(finite)
    lo, hi = finite.min().item(), finite.max().item()
    return Stats(numel, lo, hi, mean, std, norm, nan_count, inf_count, zero_fraction)


def sample(x, limit: int = HISTOGRAM_SAMPLE) -> np.ndarray:
    """At most `limit` elements of `x`, flattened: every k-th one, so the same tensor always
    gives the same sample (no randomness, no flicker between redraws)."""
    flat = to_numpy(x).reshape(-1)
    if flat.size <= limit:
        return flat
    step = -(-flat.size // limit)
    return flat[::step]


def histogram(x, bins: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """`(counts, edges)` of the finite values of `x`, with `bins` equal-width bins.

    Tensors with more than `HISTOGRAM_SAMPLE` (1,000,000) elements are subsampled
    deterministically first (every k-th element, see `sample`), so the counts then add up to the
    sample's size, not to `numel`. With no finite value the counts are all zero over [0, 1].
    """
    values = _finite(_numeric(sample(x)))
    if values.dtype.kind not in "f":
        values = values.astype(np.float64)
    counts, edges = np.histogram(values, bins=bins)
    return counts, edges


def slice_2d(array, row_dim: int, col_dim: int, index: Mapping[int, int]) -> np.ndarray:
    """The 2-D slice of an N-D array with dims `row_dim` × `col_dim`; every other dim is fixed
    at `index[dim]` (0 when not given). Dims and indices may be negative, as in PyTorch."""
    a = to_numpy(array)
    ndim = a.ndim
    if ndim < 2:
        raise ValueError(f"slice_2d needs at least 2 dims, got a {ndim}-D array")

    def wrap(dim: int, what: str) -> int:
        if not -ndim <= dim < ndim:
            raise IndexError(
                f"{what} {dim} is out of range for a {ndim}-D array "
                f"(expected a dim in [{-ndim}, {ndim - 1}])"
            )
        return dim % ndim

    rows, cols = wrap(row_dim, "row dim"), wrap(col_dim, "col dim")
    if rows == cols:
        raise ValueError(f"row dim and col dim must differ, both are dim {rows}")
    fixed = {wrap(d, "dim"): i for d, i in index.items()}
    key: list[int | slice] = []
    for dim, size in enumerate(a.shape):
        if dim in (rows, cols):
            key.append(slice(None))
            continue
        i = int(fixed.get(dim, 0))
        if not -size <= i < size:
            raise IndexError(f"index {i} is out of bounds for dim {dim} with size {size}")
        key.append(i)
    out = a[tuple(key)]
    return out.T if rows > cols else out


def format_number(v) -> str:
    """A number as the inspector shows it, PyTorch-like: ints as they are, floats with four
    decimals, in scientific notation when |v| ≥ 1e8 or 0 < |v| < 1e-4; None as an em dash."""
    if v is None:
        return "—"
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, int | np.integer):
        return str(int(v))
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    magnitude = abs(v)
    if magnitude >= 1e8 or 0 < magnitude < 1e-4:
        return f"{v:.4e}"
    return f"{v:.4f}"
