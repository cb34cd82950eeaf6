"""Shape ops: reshape/view, expand, transpose/permute, squeeze/unsqueeze, cat/stack/split...

Ops whose result shares the input's memory (reshape of a viewable array, expand, permute,
squeeze, unsqueeze, split and unbind pieces) are views, as in PyTorch; flip, roll, repeat and
cat copy. Nodes are named as PyTorch names them (SqueezeBackward1 for `squeeze(dim)`,
SplitWithSizesBackward0 for `split([sizes])`, TBackward0 for `t()`).
"""

from __future__ import annotations

import math
import operator
import warnings

import numpy as np

from ..autograd import function as _f
from ..autograd.function import Op, _mark_view, legacy_type_name
from ._util import wrap_dim
from .indexing import Slice, _xp, variant

__all__ = [
    "reshape",
    "flatten",
    "unflatten",
    "ravel",
    "expand",
    "broadcast_to",
    "broadcast_tensors",
    "broadcast_shapes",
    "permute",
    "transpose",
    "swapaxes",
    "swapdims",
    "movedim",
    "moveaxis",
    "t",
    "squeeze",
    "unsqueeze",
    "repeat_interleave",
    "cat",
    "concat",
    "concatenate",
    "stack",
    "split",
    "chunk",
    "unbind",
    "narrow",
    "flip",
    "roll",
    "tril",
    "triu",
]


def _size_args(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    for s in size:
        if s.__class__ is not int:  # a 0-d tensor, a NumPy integer...
            return tuple(operator.index(s) for s in size)
    return tuple(size)


def _dims(dims, ndim):
    """A dim or a sequence of dims, wrapped, with PyTorch's error for repeats."""
    ds = [wrap_dim(d, ndim) for d in ((dims,) if isinstance(dims, int) else dims)]
    for i, d in enumerate(ds):
        if d in ds[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return tuple(ds)


# ----- reshape / view -------------------------------------------------------------------------


def _infer_shape(shape, numel):
    if -1 not in shape and min(shape, default=0) >= 0 and math.prod(shape) == numel:
        return shape
    for i, s in enumerate(shape):
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0:
            if numel == 0:
                raise RuntimeError(
                    f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                    "unspecified dimension size -1 can be any value and is ambiguous"
                )
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        if numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        i = shape.index(-1)
        return shape[:i] + (numel // known,) + shape[i + 1 :]
    if known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _viewable(a, shape):
    """Whether `a` can take `shape` without a copy (PyTorch's computeStride, on NumPy strides)."""
    if a.flags.c_contiguous or a.size == 0:
        return True
    old, strides = a.shape, a.strides
    view_d = len(shape) - 1
    base = strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(old) - 1, -1, -1):
        tensor_numel *= old[d]
        if d == 0 or (old[d - 1] != 1 and strides[d - 1] != tensor_numel * base):
            while view_d >= 0 and (view_numel < tensor_numel or shape[view_d] == 1):
                view_numel *= shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return False
            if d > 0:
                base = strides[d - 1]
                tensor_numel = view_numel = 1
    return view_d == -1


class View(Op):
    view = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape)


# reshape of a strided array NumPy must copy: PyTorch's clone + _unsafe_view, as one node
UnsafeView = variant(View, "UnsafeView")
UnsafeView.view = False


def reshape(input, *shape):
    shape = _infer_shape(_size_args(shape), input._data.size)
    op = View if _viewable(input._data, shape) else UnsafeView
    return op.apply(input, shape=shape)


def flatten(input, start_dim=0, end_dim=-1):
    n = input.ndim
    if n == 0:
        return reshape(input, 1)
    s, e = wrap_dim(start_dim, n), wrap_dim(end_dim, n)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shape = input.shape
    return reshape(input, shape[:s] + (math.prod(shape[s : e + 1]),) + shape[e + 1 :])


def ravel(input):
    return reshape(input, -1)


def unflatten(input, dim, sizes):
    d = wrap_dim(dim, input.ndim)
    sizes = tuple(sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    size = input.shape[d]
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if -1 in sizes:
        known = math.prod(s for s in sizes if s != -1)
        inferred = size // known if known and size % known == 0 else None
        if inferred is not None:
            sizes = tuple(inferred if s == -1 else s for s in sizes)
    if math.prod(sizes) != size or -1 in sizes:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
            f"size of dim {d} ({size}) in the input tensor"
        )
    shape = input.shape
    return reshape(input, shape[:d] + sizes + shape[d + 1 :])


# ----- expand -----------------------------------------------------------------------------


class Expand(Op):
    view = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        return _broadcast(a, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.sum_to_size(ctx.in_shape)


def _broadcast(a, shape):
    """A read-only broadcast view; np.broadcast_to costs ~9 us, striding a buffer ~2 us."""
    if a.__class__ is not np.ndarray or not a.flags.c_contiguous or not a.size:
        return _xp(a).broadcast_to(a, shape)
    lead = len(shape) - a.ndim
    strides = (0,) * lead + tuple(
        st if s == n else 0 for s, n, st in zip(a.shape, shape[lead:], a.strides)
    )
    out = np.ndarray(shape, a.dtype, a, 0, strides)
    out.flags.writeable = False  # elements alias each other, as np.broadcast_to's do
    return out


def expand_shape(shape, sizes, tensor):
    """The shape `expand(sizes)` gives a tensor of `shape`, with PyTorch's errors (which name
    `tensor`'s type: a Tensor, or its legacy type name)."""
    lead = len(sizes) - len(shape)
    if (
        lead >= 0
        and min(sizes, default=0) >= 0
        and all(c == s or c == 1 for c, s in zip(shape, sizes[lead:]))
    ):
        return sizes
    if lead < 0:
        name = tensor if isinstance(tensor, str) else legacy_type_name(tensor)
        raise RuntimeError(
            f"expand({name}{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in "
            f"the tensor ({len(shape)})"
        )
    out = []
    for i, s in enumerate(sizes):
        cur = shape[i - lead] if i >= lead else None
        if s == -1:
            if cur is None:
                raise RuntimeError(
                    f"The expanded size of the tensor (-1) isn't allowed in a "
                    f"leading, non-existing dimension {i}"
                )
            s = cur
        elif cur is not None and cur != 1 and cur != s:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(shape)}"
            )
        out.append(s)
    return tuple(out)


def expand(input, *sizes):
    shape = expand_shape(input._data.shape, _size_args(sizes), input)
    return Expand.apply(input, shape=shape)


def broadcast_to(input, size):
    return expand(input, tuple(size))


def broadcast_shapes(*shapes):
    from ..tensor import Size

    out = []
    for k, shape in enumerate(shapes):
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if len(shape) > len(out):
            out = [1] * (len(shape) - len(out)) + out
        for i in range(-1, -len(shape) - 1, -1):
            s = shape[i]
            if out[i] == 1:
                out[i] = s
            elif s != 1 and s != out[i]:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {s} at {i}! Mismatching "
                    f"argument at index {k} had {shape}; but expected shape should be "
                    f"broadcastable to {out}"
                )
    return Size(out)


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = ()
    for t in tensors:
        try:
            shape = np.broadcast_shapes(shape, tuple(t.shape))
        except ValueError:
            for k in range(1, min(len(shape), t.ndim) + 1):
                a, b = shape[-k], t.shape[-k]
                if a != b and 1 not in (a, b):
                    raise RuntimeError(
                        f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                        f"non-singleton dimension {max(len(shape), t.ndim) - k}"
                    ) from None
            raise
    return tuple(expand(t, shape) for t in tensors)


# ----- permutations -------------------------------------------------------------------------


class Permute(Op):
    view = True

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        return grad.permute(tuple(np.argsort(ctx.dims).tolist()))


Transpose = variant(Permute, "Transpose")
TransposeT = variant(Permute, "TransposeT", "TBackward0")  # x.t()


def permute(input, *dims):
    dims = _size_args(dims)
    if len(dims) != input.ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does "
            "not match the length of the desired ordering of dimensions i.e. "
            f"input.dim() = {input.ndim} is not equal to len(dims) = {len(dims)}"
        )
    dims = tuple(wrap_dim(d, input.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims=dims)


def _swap(input, dim0, dim1, op=Transpose):
    n = input.ndim
    dims = list(range(n))
    if n:
        d0, d1 = wrap_dim(dim0, n), wrap_dim(dim1, n)
        dims[d0], dims[d1] = dims[d1], dims[d0]
    else:
        wrap_dim(dim0, n), wrap_dim(dim1, n)
    return op.apply(input, dims=tuple(dims))


def transpose(input, dim0, dim1):
    return _swap(input, dim0, dim1)


swapaxes = swapdims = transpose


def t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return _swap(input, 0, 1 if input.ndim == 2 else 0, TransposeT)


def movedim(input, source, destination):
    n = input.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({src} dims) "
            f"should contain the same number of dims as destination ({dst} dims)"
        )
    src = [wrap_dim(d, n) for d in src]
    dst = [wrap_dim(d, n) for d in dst]
    for name, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({ds})")
    if n == 0:
        return Permute.apply(input, dims=())
    order = [None] * n
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(i for i in range(n) if i not in src)
    return Permute.apply(input, dims=tuple(o if o is not None else next(rest) for o in order))


moveaxis = movedim


# ----- squeeze / unsqueeze ----------------------------------------------------------------


class Squeeze(Op):
    view = True

    @staticmethod
    def forward(ctx, a, dims):
        ctx.in_shape = a.shape
        return a.reshape(tuple(s for i, s in enumerate(a.shape) if i not in dims))

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape)


SqueezeDim = variant(Squeeze, "SqueezeDim", "SqueezeBackward1")
SqueezeDims = variant(Squeeze, "SqueezeDims", "SqueezeBackward2")


def squeeze(input, dim=None):
    shape = input.shape
    if dim is None:
        return Squeeze.apply(input, dims=tuple(i for i, s in enumerate(shape) if s == 1))
    dims = _dims(dim, input.ndim)
    op = SqueezeDim if isinstance(dim, int) else SqueezeDims
    return op.apply(input, dims=tuple(d for d in dims if input.ndim and shape[d] == 1))


class Unsqueeze(Op):
    view = True

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return a[(slice(None),) * dim + (None, Ellipsis)]

    @staticmethod
    def backward(ctx, grad):
        return grad.squeeze(ctx.dim)


def unsqueeze(input, dim):
    return Unsqueeze.apply(input, dim=wrap_dim(dim, input.ndim + 1))


# ----- repeat ---------------------------------------------------------------------------------


class Repeat(Op):
    @staticmethod
    def forward(ctx, a, repeats):
        ctx.in_shape, ctx.repeats = a.shape, repeats
        return _xp(a).tile(a, repeats)

    @staticmethod
    def backward(ctx, grad):
        # output dim i is (repeats[i], size[i]) flattened: split it and sum the repeat axes
        reps = ctx.repeats
        sizes = (1,) * (len(reps) - len(ctx.in_shape)) + tuple(ctx.in_shape)
        split = tuple(x for r, s in zip(reps, sizes) for x in (r, s))
        g = grad.reshape(split).sum(tuple(range(0, len(split), 2)))
        return g.reshape(ctx.in_shape)


def repeat(input, *repeats):
    repeats = _size_args(repeats)
    if len(repeats) < input.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number "
            "of dimensions of tensor"
        )
    for r in repeats:
        if r < 0:
            shape = (1,) * (len(repeats) - input.ndim) + tuple(input.shape)
            raise RuntimeError(
                f"Trying to create tensor with negative dimension "
                f"{r * shape[repeats.index(r)]}: "
                f"{[a * b for a, b in zip(repeats, shape)]}"
            )
    return Repeat.apply(input, repeats=repeats)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    T = _f.Tensor
    if repeats is None:  # torch.repeat_interleave(counts): the indices repeated by their counts
        counts = input._data
        xp = _xp(counts)
        return T._make(xp.repeat(xp.arange(counts.shape[0]), counts).astype(np.int64))
    if dim is None:
        input, dim = reshape(input, -1), 0
    d = wrap_dim(dim, input.ndim)
    if isinstance(repeats, T) and repeats.numel() != 1:
        counts = repeats._data.reshape(-1)
        if counts.shape[0] != input.shape[d]:
            raise RuntimeError(
                f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                f"{counts.shape[0]} and input.size({d}) = {input.shape[d]}"
            )
        if counts.size and int(counts.min()) < 0:
            raise RuntimeError("Repeats must be non-negative")
        xp = _xp(counts)
        from .indexing import index_select

        idx = xp.repeat(xp.arange(counts.shape[0]), counts)
        return index_select(input, d, T._make(idx.astype(np.int64)))
    r = int(repeats)
    if r < 0:
        raise RuntimeError("Repeats must be non-negative")
    shape = list(input.shape)
    big = unsqueeze(input, d + 1).expand(*shape[: d + 1], r, *shape[d + 1 :])
    shape[d] *= r
    return reshape(big.clone(), shape)  # expand + clone + view, PyTorch's own composition


# ----- cat / stack / split / unbind -----------------------------------------------------------


class Cat(Op):
    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        return _xp(arrays[0]).concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        out, start = [], 0
        for s in ctx.sizes:
            out.append(narrow(grad, ctx.dim, start, s))
            start += s
        return tuple(out)


def _tensor_list(tensors):
    from .. import dtypes

    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, _f.Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}"
            )
    if not tensors:
        return tensors
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = dtypes.promote_types(dt, t.dtype)
    return [t if t.dtype is dt else t.to(dt) for t in tensors]


def cat(tensors, dim=0):
    tensors = _tensor_list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    # PyTorch still skips 1-d empty tensors, whatever the other shapes
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    kept = [(i, t) for i, t in enumerate(tensors) if t.shape != (0,)] or [(0, tensors[0])]
    ref = kept[0][1]
    d = wrap_dim(dim, ref.ndim)
    for i, t in kept:
        if t.ndim != ref.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.ndim} and {t.ndim}"
            )
        for k in range(ref.ndim):
            if k != d and t.shape[k] != ref.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.shape[k]} but got size {t.shape[k]} for tensor number {i} in the "
                    "list."
                )
    return Cat.apply(*(t for _, t in kept), dim=d)


concat = concatenate = cat


class Stack(Op):
    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        return _xp(arrays[0]).stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return unbind(grad, ctx.dim)


def stack(tensors, dim=0):
    tensors = _tensor_list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                f"and {list(t.shape)} at entry {i}"
            )
    return Stack.apply(*tensors, dim=wrap_dim(dim, len(shape) + 1))


def _mark_views(outs, input):
    # each piece shares the input's memory; apply marks only single outputs itself
    for o in outs:
        _mark_view(o, input)
    return outs


class Split(Op):
    """Pieces of `sizes` along `dim`, each a view; one node with an output per piece."""

    @staticmethod
    def forward(ctx, a, dim, sizes):
        ctx.dim = dim
        lead = (slice(None),) * dim
        starts = np.cumsum((0,) + sizes[:-1]).tolist()
        return tuple(a[lead + (slice(s, s + n),)] for s, n in zip(starts, sizes))

    @staticmethod
    def backward(ctx, *grads):
        return cat(grads, ctx.dim)


SplitWithSizes = variant(Split, "SplitWithSizes")


def split(tensor, split_size_or_sections, dim=0):
    d = wrap_dim(dim, tensor.ndim)
    size = tensor.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = tuple(operator.index(s) for s in split_size_or_sections)
        if any(s < 0 for s in sizes):
            raise RuntimeError(
                "split_with_sizes expects split_sizes have only non-negative "
                f"entries, but got split_sizes={list(sizes)}"
            )
        if sum(sizes) != size:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                f"size at dimension {d}), but got split_sizes={list(sizes)}"
            )
        return _mark_views(SplitWithSizes.apply(tensor, dim=d, sizes=sizes), tensor)
    n = operator.index(split_size_or_sections)
    if n == 0 and size != 0:
        raise RuntimeError(
            f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}"
        )
    if n < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={n}")
    count = max(-(-size // n), 1) if n else 1
    sizes = tuple(min(n, size - i * n) for i in range(count))
    return _mark_views(Split.apply(tensor, dim=d, sizes=sizes), tensor)


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = wrap_dim(dim, input.ndim)
    size = input.shape[d]
    if size == 0:
        sizes = (0,) * chunks
        return _mark_views(Split.apply(input, dim=d, sizes=sizes), input)
    return split(input, -(-size // chunks), d)


class Unbind(Op):
    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        lead = (slice(None),) * dim
        return tuple(a[lead + (i, Ellipsis)] for i in range(a.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        return stack(grads, ctx.dim)


def unbind(input, dim=0):
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    return _mark_views(Unbind.apply(input, dim=wrap_dim(dim, input.ndim)), input)


def narrow(input, dim, start, length):
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input.ndim)
    start, length = operator.index(start), operator.index(length)
    size = input.shape[d]
    if not -size <= start <= size:
        raise IndexError(
            f"start out of range (expected to be in range of [{-size}, {size}], but got {start})"
        )
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return Slice.apply(input, index=(slice(None),) * d + (slice(start, start + length),))


# ----- flip / roll / tril / triu --------------------------------------------------------------


class Flip(Op):
    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return _xp(a).flip(a, dims).copy()  # PyTorch's flip copies; NumPy's is a view

    @staticmethod
    def backward(ctx, grad):
        return Flip.apply(grad, dims=ctx.dims)


def flip(input, *dims):
    dims = _size_args(dims)
    return Flip.apply(input, dims=_dims(dims, input.ndim) if input.ndim else ())


class Roll(Op):
    @staticmethod
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return _xp(a).roll(a, shifts, dims)

    @staticmethod
    def backward(ctx, grad):
        return Roll.apply(grad, shifts=tuple(-s for s in ctx.shifts), dims=ctx.dims)


def roll(input, shifts, dims=None):
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return Roll.apply(input, shifts=shifts, dims=None)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
        )
    dims = tuple(wrap_dim(d, input.ndim) for d in dims)
    return Roll.apply(input, shifts=shifts, dims=dims if input.ndim else None)


class Tril(Op):
    @staticmethod
    def forward(ctx, a, diagonal):
        ctx.diagonal = diagonal
        return _xp(a).tril(a, diagonal)

    @staticmethod
    def backward(ctx, grad):
        return Tril.apply(grad, diagonal=ctx.diagonal)


class Triu(Op):
    @staticmethod
    def forward(ctx, a, diagonal):
        ctx.diagonal = diagonal
        return _xp(a).triu(a, diagonal)

    @staticmethod
    def backward(ctx, grad):
        return Triu.apply(grad, diagonal=ctx.diagonal)


def tril(input, diagonal=0):
    if input.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tril.apply(input, diagonal=diagonal)


def triu(input, diagonal=0):
    if input.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Triu.apply(input, diagonal=diagonal)


# ----- Tensor methods -------------------------------------------------------------------------

_T_DEPRECATED = (
    "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated "
    "and it will throw an error in a future release. Consider `x.mT` to transpose batches of "
    "matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a "
    "tensor."
)


class ShapeMethods:
    __slots__ = ()

    def reshape(self, *shape):
        return reshape(self, *shape)

    def view(self, *shape):
        # PyTorch refuses a view that needs a copy; here contiguous() is a no-op, so code that
        # calls .contiguous().view() would break: view is reshape (a copy only when it must be)
        return reshape(self, *shape)

    def view_as(self, other):
        return reshape(self, other.shape)

    def reshape_as(self, other):
        return reshape(self, other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return unflatten(self, dim, sizes)

    def ravel(self):
        return ravel(self)

    def expand(self, *sizes):
        return expand(self, *sizes)

    def expand_as(self, other):
        return expand(self, other.shape)

    def broadcast_to(self, size):
        return broadcast_to(self, size)

    def permute(self, *dims):
        return permute(self, *dims)

    def transpose(self, dim0, dim1):
        return transpose(self, dim0, dim1)

    swapaxes = swapdims = transpose

    def movedim(self, source, destination):
        return movedim(self, source, destination)

    moveaxis = movedim

    def t(self):
        return t(self)

    @property
    def T(self):
        n = self.ndim
        if n != 2:
            msg = (
                _T_DEPRECATED
                if n
                else (
                    "Tensor.T is deprecated on 0-D tensors. This "
                    "function is the identity in these cases."
                )
            )
            warnings.warn(msg, UserWarning, stacklevel=2)
        return Permute.apply(self, dims=tuple(reversed(range(n))))

    @property
    def mT(self):
        if self.ndim < 2:
            raise RuntimeError(
                "tensor.mT is only supported on matrices or batches of matrices. "
                f"Got {self.ndim}-D tensor."
            )
        return transpose(self, -2, -1)

    def squeeze(self, dim=None):
        return squeeze(self, dim)

    def unsqueeze(self, dim):
        return unsqueeze(self, dim)

    def repeat(self, *repeats):
        return repeat(self, *repeats)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        return repeat_interleave(self, repeats, dim)

    def split(self, split_size, dim=0):
        return split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return unbind(self, dim)

    def narrow(self, dim, start, length):
        return narrow(self, dim, start, length)

    def flip(self, *dims):
        return flip(self, *dims)

    def roll(self, shifts, dims=None):
        return roll(self, shifts, dims)

    def tril(self, diagonal=0):
        return tril(self, diagonal)

    def triu(self, diagonal=0):
        return triu(self, diagonal)
