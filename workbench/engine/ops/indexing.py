"""Indexing: `t[...]` and `t[...] = v`, gather/scatter, index_select, masked_fill, take, nonzero.

Basic indexes (ints, slices, None, `...`) give NumPy views; their node is named after the last
step PyTorch applies (`x[0]` → SelectBackward0, `x[1:3]` → SliceBackward0, `x[None]` →
UnsqueezeBackward0). Advanced indexes (integer or boolean arrays) copy and are IndexBackward0;
their backward scatter-adds, so repeated indices accumulate. PyTorch applies the ints of an
advanced index first and indexes what remains; NumPy would treat them as advanced too (and move
dims), so such indexes are carried as a (basic, advanced) pair and applied in two steps.
"""

from __future__ import annotations

import operator
import re

import numpy as np

from ..autograd import function as _f
from ..autograd.function import Op
from ..autograd.grad_mode import state as _grad_state
from ..device import array_module, device_of_array, to_device_array
from ._util import wrap_dim

__all__ = [
    "gather",
    "scatter",
    "scatter_add",
    "index_select",
    "masked_fill",
    "masked_select",
    "take",
    "nonzero",
    "argwhere",
    "select",
]


def _xp(a):
    return np if a.__class__ is np.ndarray else array_module(device_of_array(a))


def variant(base, name, node_name=None):
    """A subclass of op `base` whose grad_fn is called `node_name` (PyTorch's name for that use:
    SqueezeBackward1, torch::autograd::CopySlices...) instead of `name` + "Backward0"."""
    cls = type(name, (base,), {"__module__": base.__module__, "__doc__": base.__doc__})
    if node_name is not None:
        node = cls._backward_cls
        node.__name__ = node.__qualname__ = node_name.rpartition("::")[2]
        if "::" in node_name:  # PyTorch's C++ nodes: name() has the namespace, repr does not
            node.name = lambda self: node_name
    return cls


def _add_at(out, index, g):
    """out[index] += g with repeated indices accumulating."""
    if all(
        i.__class__ is slice or i is None or (hasattr(i, "dtype") and i.dtype == bool)
        for i in index
    ):
        out[index] += g  # no integer arrays, so no position repeats: a plain += is exact
    else:
        _xp(out).add.at(out, index, g)


# ----- basic indexing: views ------------------------------------------------------------------


class Slice(Op):
    """`a[index]` for a basic index; the result is a view."""

    view = True

    @staticmethod
    def forward(ctx, a, index):
        ctx.in_shape, ctx.index = a.shape, index
        return a[index]

    @staticmethod
    def backward(ctx, grad):
        return ctx._fn.grad_op.apply(grad, shape=ctx.in_shape, index=ctx.index)


class SliceBackward(Op):
    """Places a gradient into zeros of the indexed tensor's shape; its own backward indexes."""

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        out = _xp(g).zeros(shape, g.dtype)
        out[index] = g
        return out

    @staticmethod
    def backward(ctx, grad):
        return ctx._fn.fwd_op.apply(grad, index=ctx.index)


Select = variant(Slice, "Select")
SelectBackward = variant(SliceBackward, "SelectBackward")
Alias = variant(Slice, "Alias")
UnsqueezeIndex = variant(Slice, "UnsqueezeIndex", "UnsqueezeBackward0")
Slice.grad_op, SliceBackward.fwd_op = SliceBackward, Slice
Select.grad_op, SelectBackward.fwd_op = SelectBackward, Select
Alias.grad_op = UnsqueezeIndex.grad_op = SliceBackward


# ----- advanced indexing: copies, and gradients that accumulate ---------------------------------


class Index(Op):
    """`a[index]` for an advanced index, given as a (basic or None, advanced) pair."""

    @staticmethod
    def forward(ctx, a, index):
        basic, adv = index
        ctx.in_shape, ctx.index = a.shape, index
        return (a if basic is None else a[basic])[adv]

    @staticmethod
    def backward(ctx, grad):
        return ctx._fn.grad_op.apply(grad, shape=ctx.in_shape, index=ctx.index)


class IndexPutImpl(Op):
    """Scatter-adds a gradient into zeros of the indexed tensor's shape (repeats accumulate)."""

    @staticmethod
    def forward(ctx, g, shape, index):
        basic, adv = index
        ctx.index = index
        out = _xp(g).zeros(shape, g.dtype)
        _add_at(out if basic is None else out[basic], adv, g)
        return out

    @staticmethod
    def backward(ctx, grad):
        return ctx._fn.fwd_op.apply(grad, index=ctx.index)


# gather, index_select, take and masked_select are advanced indexes PyTorch names on their own
Gather = variant(Index, "Gather")
IndexSelect = variant(Index, "IndexSelect")
Take = variant(Index, "Take")
MaskedSelect = variant(Index, "MaskedSelect")
for _fwd, _grad_name in [
    (Index, None),
    (Gather, "ScatterAdd"),
    (IndexSelect, "IndexAdd"),
    (Take, "Put"),
    (MaskedSelect, "MaskedScatter"),
]:
    _fwd.grad_op = (
        IndexPutImpl
        if _grad_name is None
        else variant(IndexPutImpl, "_" + _grad_name, _grad_name + "Backward0")
    )
    _fwd.grad_op.fwd_op = _fwd


# ----- parsing an index -------------------------------------------------------------------------

_BAD_TYPE = (
    "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
    "valid indices (got {})"
)


def _index_array(x, arr):
    kind = arr.dtype.kind
    if arr.dtype == np.uint8:
        arr = arr.astype(bool)  # PyTorch's legacy byte masks
    elif kind not in "iub":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return to_device_array(arr, x.device)


def _item(x, it):
    """One element of an index as NumPy takes it: int, slice, None, Ellipsis, bool or array."""
    c = it.__class__
    if c is int or c is bool or it is None or it is Ellipsis:
        return it
    if c is slice:
        step = None if it.step is None else operator.index(it.step)
        if step is not None and step <= 0:
            raise ValueError("step must be greater than zero")
        return slice(
            None if it.start is None else operator.index(it.start),
            None if it.stop is None else operator.index(it.stop),
            step,
        )
    if isinstance(it, _f.Tensor):
        arr = it._data
        if arr.ndim == 0 and arr.dtype.kind in "iu" and arr.dtype != np.uint8:
            return int(arr)  # a 0-d integer tensor selects, as an int does
        return _index_array(x, arr)
    if isinstance(it, np.bool_):
        return bool(it)
    if isinstance(it, (list, tuple)):
        arr = np.asarray(it)
        return _index_array(x, arr.astype(np.int64) if arr.size == 0 else arr)
    if isinstance(it, np.ndarray) or hasattr(it, "__cuda_array_interface__"):
        return _index_array(x, it)
    try:
        return operator.index(it)
    except TypeError:
        raise IndexError(_BAD_TYPE.format(type(it).__name__)) from None


def _check_int(i, dim, size):
    if not -size <= i < size:
        raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {size}")


def _parse(x, index):
    """(op class, NumPy index) for `x[index]`, checked with PyTorch's errors."""
    shape = x._data.shape
    c = index.__class__
    if c is int and shape:  # fast paths: x[i], x[a:b]
        _check_int(index, 0, shape[0])
        return Select, (index, Ellipsis)
    if c is slice:
        return Slice, _item(x, index)
    items = [_item(x, it) for it in (index if c is tuple else (index,))]
    used, adv, has_int = 0, False, False
    for it in items:
        c = it.__class__
        if c is int or c is slice:
            used += 1
            has_int = has_int or c is int
        elif it is not None and it is not Ellipsis and c is not bool:
            adv = True
            used += it.ndim if it.dtype == bool else 1
        elif c is bool:
            adv = True
    if used > len(shape):
        if not shape:
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
            )
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    if any(it is Ellipsis for it in items):  # the first `...` spans the dims not indexed
        k = next(k for k, it in enumerate(items) if it is Ellipsis)
        fill = [slice(None)] * (len(shape) - used)
        items = items[:k] + fill + [it for it in items[k + 1 :] if it is not Ellipsis]

    op, dim = Alias, 0
    seen = []  # the shape indexed so far, as PyTorch sees it when a mask comes (for errors)
    for it in items:
        c = it.__class__
        if it is None:
            op = UnsqueezeIndex
            seen.append(1)
        elif c is int:
            _check_int(it, dim, shape[dim])
            op, dim = Select, dim + 1
        elif c is slice:
            if it.indices(shape[dim]) != (0, shape[dim], 1):
                op = Slice  # PyTorch skips slices that take everything
            seen.append(len(range(*it.indices(shape[dim]))))
            dim += 1
        elif c is not bool:
            n = it.ndim if it.dtype == bool else 1
            if it.dtype == bool:
                if it.shape != shape[dim : dim + n]:
                    k = next(k for k, s in enumerate(it.shape) if s != shape[dim + k])
                    full = seen + list(shape[dim:])
                    raise IndexError(
                        f"The shape of the mask {list(it.shape)} at index {k} does not match the "
                        f"shape of the indexed tensor {full} at index {len(seen) + k}"
                    )
            elif it.size:
                lo, hi = int(it.min()), int(it.max())
                if hi >= shape[dim] or lo < -shape[dim]:
                    _check_int(hi if hi >= shape[dim] else lo, dim, shape[dim])
            seen.extend(shape[dim : dim + n])
            dim += n
    if not adv:  # a trailing `...` keeps a 0-d result a view, not a NumPy scalar
        return op, (*items, Ellipsis)
    if not has_int:
        return Index, (None, tuple(items))
    basic, rest = [], []  # ints (and slices, None) first, then the arrays on the dims that remain
    for it in items:
        c = it.__class__
        if c is int:
            basic.append(it)
        elif c is slice or it is None:
            basic.append(it)
            rest.append(slice(None))
        elif c is bool:
            rest.append(it)
        else:
            basic.extend([slice(None)] * (it.ndim if it.dtype == bool else 1))
            rest.append(it)
    return Index, (tuple(basic), tuple(rest))


def _shapes(m):
    return ", ".join(
        str(list(int(s) for s in g.split(",") if s.strip()))
        for g in re.findall(r"\(([\d, ]*)\)", m)
    )


def _numpy_index_error(exc):
    msg = str(exc)
    if msg.startswith("shape mismatch: indexing arrays"):
        msg = (
            "shape mismatch: indexing tensors could not be broadcast together with shapes "
            + _shapes(msg)
        )
    return IndexError(msg)


def _getitem(x, index):
    op, idx = _parse(x, index)
    try:
        return op.apply(x, index=idx)
    except IndexError as exc:
        raise _numpy_index_error(exc) from None


# ----- setitem: an in-place op --------------------------------------------------------------


class IndexPut(Op):
    """`a[index] = value` out of place: the copy with the region assigned; `index` is a
    (basic, advanced or None) pair. Tensor._inplace writes the result back."""

    @staticmethod
    def forward(ctx, a, value, index):
        ctx.index = index
        ctx.value_shape = getattr(value, "shape", None)
        out = a.copy()
        _assign(out, index, value)
        return out

    @staticmethod
    def backward(ctx, grad):
        ga, gv = ctx.needs_input_grad
        grad_a = ctx._fn.apply(grad, 0.0, index=ctx.index) if ga else None  # region zeroed
        grad_v = None
        if gv:
            basic, adv = ctx.index
            grad_v = (
                Slice.apply(grad, index=basic)
                if adv is None
                else Index.apply(grad, index=ctx.index)
            )
            vs = ctx.value_shape
            if len(vs) > grad_v.ndim:  # the value had extra leading 1-dims, as copy_ allows
                grad_v = grad_v.sum_to_size(vs[len(vs) - grad_v.ndim :]).reshape(vs)
        return grad_a, grad_v


# PyTorch's names: a write through a view (x[0] = v) is CopySlices; an advanced index on the
# tensor itself is IndexPutBackward0; a write to all of it is a copy_ or a fill_
CopySlices = variant(IndexPut, "CopySlices", "torch::autograd::CopySlices")
CopyFrom = variant(IndexPut, "CopyFrom", "torch::autograd::CopyBackwards")
Fill = variant(IndexPut, "Fill", "FillBackward3")


def _assign(out, index, value):
    """out[index] = value, with PyTorch's errors for values that don't fit."""
    basic, adv = index
    region = out if basic is None else out[basic]
    try:
        if adv is None:
            region[...] = value
        else:
            region[adv] = value
    except ValueError as exc:
        if "read-only" in str(exc):
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers to "
                "a single memory location. Please clone() the tensor before performing the "
                "operation."
            ) from None
        _check_value_shape(region, adv, value)
        raise


def _check_value_shape(region, adv, value):
    vshape = list(value.shape)
    if adv is not None:
        rshape = region[adv].shape
        try:
            fits = np.broadcast_shapes(tuple(vshape), rshape) == rshape
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(
                f"shape mismatch: value tensor of shape {vshape} cannot be broadcast to indexing "
                f"result of shape {list(rshape)}"
            ) from None
        return
    from .shape import expand_shape

    while len(vshape) > region.ndim and vshape[0] == 1:  # copy_ drops leading 1-dims
        vshape.pop(0)
    expand_shape(tuple(vshape), region.shape, _f.Tensor._make(value))


def _narrows(shape, items):
    """Whether an index takes a view smaller than the tensor before any advanced part: an int, a
    None or a partial slice (PyTorch then writes through that view: CopySlices)."""
    dim = 0
    for it in items:
        c = it.__class__
        if c is int or it is None:
            return True
        if c is slice:
            if it.indices(shape[dim]) != (0, shape[dim], 1):
                return True
            dim += 1
        elif it is not Ellipsis and c is not bool:
            dim += it.ndim if it.dtype == bool else 1
    return False


def _setitem(x, index, value):
    T = _f.Tensor
    op, idx = _parse(x, index)
    shape = x._data.shape
    if op is Index:
        pair = idx
        narrows = idx[0] is not None or _narrows(shape, idx[1])
        op = CopySlices if narrows else IndexPut
    else:
        pair = (idx if idx.__class__ is tuple else (idx,), None)
        narrows = _narrows(shape, pair[0])
        op = CopySlices if narrows else CopyFrom if isinstance(value, T) else Fill
    if isinstance(value, T):
        if value.device != x.device:
            value = value.to(x.device)
        if pair[1] is None:  # copy_ semantics: PyTorch expands the value to the region first
            rshape = x._data[pair[0]].shape
            if value._data.shape != rshape:
                vshape = value._data.shape
                while len(vshape) > len(rshape) and vshape[0] == 1:
                    vshape = vshape[1:]
                value = value.reshape(vshape) if vshape != value._data.shape else value
                value = value.expand(rshape)
        if value._data.dtype != x._data.dtype:
            if op is IndexPut:
                _check_value_shape(
                    x._data if pair[0] is None else x._data[pair[0]], pair[1], value._data
                )
                names = _f._TYPE_NAMES
                raise RuntimeError(
                    "Index put requires the source and destination dtypes match, got "
                    f"{names[x.dtype.name]} for the destination and {names[value.dtype.name]} "
                    "for the source."
                )
            value = value.to(x.dtype)
    elif not isinstance(value, (int, float, bool)):
        from ..creation import as_tensor

        value = as_tensor(value, dtype=x.dtype, device=x.device)
    grad_on = _grad_state.enabled
    if grad_on and x._requires_grad and x._grad_fn is None:
        raise RuntimeError(
            ("a view of " if narrows else "") + "a leaf Variable that requires "
            "grad is being used in an in-place operation."
        )
    if grad_on and (x._requires_grad or (isinstance(value, T) and value._requires_grad)):
        x._inplace(op, value, index=pair)
    else:
        _assign(x._data, pair, value._data if isinstance(value, T) else value)
        vc = x._vc
        if vc is None:
            x._vc = [1]
        else:
            vc[0] += 1


# ----- gather / scatter -----------------------------------------------------------------------


def _along(index, dim):
    """The advanced index that picks `index` along `dim` and the index's own position elsewhere."""
    xp = _xp(index)
    n = index.ndim
    return tuple(
        index
        if d == dim
        else xp.arange(index.shape[d]).reshape([-1 if k == d else 1 for k in range(n)])
        for d in range(n)
    )


def _gather_index(name, input, dim, index, src=None):
    """Checks gather/scatter arguments as PyTorch does; returns the (basic, advanced) index."""
    if index._data.dtype.kind not in "iu" or index._data.dtype == np.uint8:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    if input.ndim and index.ndim != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if src is not None and index.ndim != src.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    d = wrap_dim(dim, input.ndim)
    for k in range(index.ndim):
        too_big = input.ndim and k != d and index.shape[k] > input.shape[k]
        if too_big or (src is not None and index.shape[k] > src.shape[k]):
            if src is None:
                raise RuntimeError(
                    f"Size does not match at dimension {k} expected index {list(index.shape)} to "
                    f"be no larger than self {list(input.shape)} apart from dimension {d}"
                )
            raise RuntimeError(
                f"Expected index {list(index.shape)} to be no larger than self "
                f"{list(input.shape)} apart from dimension {d} and to be no larger size than src "
                f"{list(src.shape)}"
            )
    size = input.shape[d] if input.ndim else 1
    idx = to_device_array(index._data, input.device)
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if hi >= size or lo < -size:
            raise RuntimeError(
                f"index {hi if hi >= size else lo} is out of bounds for dimension "
                f"{d} with size {size}"
            )
    if input.ndim == 0:  # a 0-d input acts as a 1-element vector
        return (None,), (idx,)
    return None, _along(idx, d)


def gather(input, dim, index, *, sparse_grad=False):
    return Gather.apply(input, index=_gather_index("gather", input, dim, index))


class Scatter(Op):
    """`a` with `src` written at `index` along a dim; `src` is an array (of which the leading
    `region` is read) or a number."""

    @staticmethod
    def forward(ctx, a, src, index, region):
        basic, adv = index
        ctx.index, ctx.region = index, region
        ctx.src_shape = getattr(src, "shape", None)
        out = a.copy()
        (out if basic is None else out[basic])[adv] = src if region is None else src[region]
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_a = ScatterValue.apply(grad, src=0.0, index=ctx.index, region=None)
        if len(ctx.needs_input_grad) == 1:  # src was a number
            return grad_a
        return grad_a, (_src_grad(grad, ctx) if ctx.needs_input_grad[1] else None)


ScatterValue = variant(Scatter, "ScatterValue", "ScatterBackward1")


class ScatterAdd(Op):
    @staticmethod
    def forward(ctx, a, src, index, region):
        basic, adv = index
        ctx.index, ctx.region, ctx.src_shape = index, region, src.shape
        out = a.copy()
        _add_at(out if basic is None else out[basic], adv, src[region])
        return out

    @staticmethod
    def backward(ctx, grad):
        ga, gs = ctx.needs_input_grad
        return (grad if ga else None), (_src_grad(grad, ctx) if gs else None)


def _src_grad(grad, ctx):
    """The gradient of scatter's src: the gathered positions, zero where src was not read."""
    g = Gather.apply(grad, index=ctx.index)
    if tuple(g.shape) != ctx.src_shape:
        g = SliceBackward.apply(g, shape=ctx.src_shape, index=ctx.region)
    return g


def _scatter_args(name, input, dim, index, src):
    """(op, src, options) for scatter / scatter_add, shared by the in-place forms."""
    if isinstance(src, _f.Tensor):
        if src.dtype is not input.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
        idx = _gather_index(name, input, dim, index, src)
        op = ScatterAdd if name == "scatter_add" else Scatter
        return op, (src,), {"index": idx, "region": tuple(slice(0, s) for s in index.shape)}
    return (
        ScatterValue,
        (),
        {"src": src, "index": _gather_index(name, input, dim, index), "region": None},
    )


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    if reduce is not None:
        raise NotImplementedError("scatter(reduce=...) is not supported; use scatter_add")
    op, args, opts = _scatter_args("scatter", input, dim, index, value if src is None else src)
    return op.apply(input, *args, **opts)


def scatter_add(input, dim, index, src):
    if not isinstance(src, _f.Tensor):
        raise TypeError(f"scatter_add(): argument 'src' must be Tensor, not {type(src).__name__}")
    op, args, opts = _scatter_args("scatter_add", input, dim, index, src)
    return op.apply(input, *args, **opts)


# ----- index_select / take / masked ops / nonzero -------------------------------------------


def index_select(input, dim, index):
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index._data.dtype.kind not in "iu" or index._data.dtype == np.uint8:
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    d = wrap_dim(dim, input.ndim)
    idx = to_device_array(index._data, input.device).reshape(-1)
    size = input.shape[d] if input.ndim else 1
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if hi >= size or lo < 0:
            raise RuntimeError(
                f"INDICES element is out of DATA bounds, id="
                f"{hi if hi >= size else lo} axis_dim={size}"
            )
    if input.ndim == 0:
        return IndexSelect.apply(input, index=((None,), (idx,)))
    return IndexSelect.apply(input, index=(None, (slice(None),) * d + (idx,)))


def take(input, index):
    n = input.numel()
    idx = to_device_array(index._data, input.device)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(
            "take(): Expected a long tensor for index, but got " + _f._TYPE_NAMES[index.dtype.name]
        )
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if hi >= n or lo < -n:
            raise IndexError(
                f"out of range: tried to access index {hi if hi >= n else lo} on a "
                f"tensor of {n} elements."
            )
    xp = _xp(idx)
    if input.ndim == 0:
        return Take.apply(input, index=((None,), (idx * 0,)))
    return Take.apply(input, index=(None, xp.unravel_index(idx % max(n, 1), input.shape)))


def _dtype_word(dt):
    return {
        "float32": "float",
        "float64": "double",
        "float16": "half",
        "int64": "long",
        "int32": "int",
        "int16": "short",
        "int8": "signed char",
        "uint8": "unsigned char",
    }.get(dt.name, dt.name)


class MaskedFill(Op):
    """where(mask, value, a); `value` is a number or a 0-d array."""

    @staticmethod
    def forward(ctx, a, value, mask):
        ctx.mask = mask
        return _xp(a).where(mask, value, a).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        grad_a = MaskedFill.apply(grad, value=0.0, mask=ctx.mask)
        if len(ctx.needs_input_grad) == 1:  # the value was a number
            return grad_a
        grad_v = MaskedFill.apply(grad, value=0.0, mask=~ctx.mask).sum()
        return grad_a, grad_v


MaskedFillTensor = variant(MaskedFill, "MaskedFillTensor", "MaskedFillBackward1")


def _masked_fill_args(input, mask, value):
    if mask.dtype.name != "bool":
        raise RuntimeError(
            "masked_fill_ only supports boolean masks, but got mask with dtype "
            + _dtype_word(mask.dtype)
        )
    m = to_device_array(mask._data, input.device)
    if isinstance(value, _f.Tensor):
        if value.ndim:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got "
                f"tensor with {value.ndim} dimension(s)."
            )
        return MaskedFillTensor, (value.to(input.dtype),), {"mask": m}
    return MaskedFill, (), {"value": value, "mask": m}


def masked_fill(input, mask, value):
    op, args, opts = _masked_fill_args(input, mask, value)
    return op.apply(input, *args, **opts)


def masked_select(input, mask):
    if mask.dtype.name != "bool":
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    m = to_device_array(mask._data, input.device)
    shape = np.broadcast_shapes(input.shape, m.shape)
    if tuple(input.shape) != shape:
        input = input.expand(shape)
    if m.shape != shape:
        m = _xp(m).broadcast_to(m, shape)
    return MaskedSelect.apply(input, index=(None, (m,)) if shape else ((None,), (m[None],)))


class NonZero(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, a, as_tuple):
        xp = _xp(a)
        if as_tuple:
            return tuple(
                i.astype(np.int64) for i in xp.nonzero(a.reshape(-1) if a.ndim == 0 else a)
            )
        return xp.argwhere(a).astype(np.int64)


def nonzero(input, *, as_tuple=False):
    return NonZero.apply(input, as_tuple=as_tuple)


def argwhere(input):
    return NonZero.apply(input, as_tuple=False)


def select(input, dim, index):
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input.ndim)
    index = operator.index(index)
    size = input.shape[d]
    if not -size <= index < size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size "
            f"{list(input.shape)} at dimension {d}"
        )
    return Select.apply(input, index=(slice(None),) * d + (index,))


class IndexingMethods:
    __slots__ = ()

    def __getitem__(self, index):
        return _getitem(self, index)

    def __setitem__(self, index, value):
        _setitem(self, index, value)

    def gather(self, dim, index, *, sparse_grad=False):
        return gather(self, dim, index)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        return scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim, index, src):
        return scatter_add(self, dim, index, src)

    def index_select(self, dim, index):
        return index_select(self, dim, index)

    def masked_fill(self, mask, value):
        return masked_fill(self, mask, value)

    def masked_select(self, mask):
        return masked_select(self, mask)

    def take(self, index):
        return take(self, index)

    def nonzero(self, *, as_tuple=False):
        return nonzero(self, as_tuple=as_tuple)

    def argwhere(self):
        return argwhere(self)

    def select(self, dim, index):
        return select(self, dim, index)

    # in-place variants: the op runs out of place, Tensor._inplace writes it back
    def masked_fill_(self, mask, value):
        op, args, opts = _masked_fill_args(self, mask, value)
        shape = np.broadcast_shapes(tuple(self.shape), tuple(mask.shape))
        if shape != tuple(self.shape):
            raise RuntimeError(
                f"output with shape {list(self.shape)} doesn't match the broadcast "
                f"shape {list(shape)}"
            )
        return self._inplace(op, *args, **opts)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        if reduce is not None:
            raise NotImplementedError("scatter_(reduce=...) is not supported; use scatter_add_")
        op, args, opts = _scatter_args("scatter", self, dim, index, value if src is None else src)
        return self._inplace(op, *args, **opts)

    def scatter_add_(self, dim, index, src):
        op, args, opts = _scatter_args("scatter_add", self, dim, index, src)
        return self._inplace(op, *args, **opts)
