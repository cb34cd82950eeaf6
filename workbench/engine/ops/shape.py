"""Shape ops: reshape/view, expand, transpose/permute, squeeze/unsqueeze, cat/stack/split..."""

from __future__ import annotations

from ..autograd.function import Op
from ._util import wrap_dim

__all__ = ["reshape", "expand", "transpose", "permute", "unbind", "broadcast_to", "cat",
           "stack", "narrow", "squeeze", "unsqueeze"]


def _size_args(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _infer_shape(shape, numel):
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{shape}' is invalid for input of size {numel}")
        shape[shape.index(-1)] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{shape}' is invalid for input of size {numel}")
    return tuple(shape)


class Reshape(Op):
    view = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape)


class View(Reshape):
    pass


def reshape(input, *shape):
    shape = _infer_shape(_size_args(shape), input.numel())
    return Reshape.apply(input, shape=shape)


class Expand(Op):
    view = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        return _xp_broadcast(a, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.sum_to_size(ctx.in_shape)


def _xp_broadcast(a, shape):
    import numpy as np

    if a.__class__ is np.ndarray:
        return np.broadcast_to(a, shape)
    import cupy

    return cupy.broadcast_to(a, shape)


def expand(input, *sizes):
    sizes = _size_args(sizes)
    shape = input.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(torch.{input.dtype.name.capitalize()}Tensor{{{list(shape)}}}, size="
            f"{list(sizes)}): the number of sizes provided ({len(sizes)}) must be greater or "
            f"equal to the number of dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    out = []
    for i, s in enumerate(sizes):
        cur = shape[i - lead] if i >= lead else None
        if s == -1:
            if cur is None:
                raise RuntimeError(
                    f"The expanded size of the tensor (-1) isn't allowed in a leading, "
                    f"non-existing dimension {i}")
            s = cur
        elif cur is not None and cur != 1 and cur != s:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(shape)}")
        out.append(s)
    out = tuple(out)
    if out == tuple(shape):
        return Expand.apply(input, shape=out) if input.requires_grad else input
    return Expand.apply(input, shape=out)


def broadcast_to(input, shape):
    return expand(input, tuple(shape))


class Permute(Op):
    view = True

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        inv = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inv[d] = i
        return grad.permute(tuple(inv))


class Transpose(Permute):
    pass


def permute(input, *dims):
    dims = tuple(wrap_dim(d, input.ndim) for d in _size_args(dims))
    if sorted(dims) != list(range(input.ndim)):
        raise RuntimeError("permute(sparse_coo): number of dimensions in the tensor input does "
                           "not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {input.ndim} is not equal to len(dims) = {len(dims)}")
    return Permute.apply(input, dims=dims)


def transpose(input, dim0, dim1):
    n = input.ndim
    if n == 0:
        return Transpose.apply(input, dims=())
    d0, d1 = wrap_dim(dim0, n), wrap_dim(dim1, n)
    dims = list(range(n))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Transpose.apply(input, dims=tuple(dims))


class Unbind(Op):
    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        ctx.in_shape = a.shape
        import numpy as np

        return tuple(np.take(a, i, axis=dim) if a.__class__ is np.ndarray else a.take(i, axis=dim)
                     for i in range(a.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        return stack(grads, ctx.dim)


def unbind(input, dim=0):
    return Unbind.apply(input, dim=wrap_dim(dim, input.ndim))


class ShapeMethods:
    __slots__ = ()

    def reshape(self, *shape):
        return reshape(self, *shape)

    def view(self, *shape):
        return reshape(self, *shape)

    def view_as(self, other):
        return reshape(self, other.shape)

    def reshape_as(self, other):
        return reshape(self, other.shape)

    def expand(self, *sizes):
        return expand(self, *sizes)

    def expand_as(self, other):
        return expand(self, other.shape)

    def permute(self, *dims):
        return permute(self, *dims)

    def transpose(self, dim0, dim1):
        return transpose(self, dim0, dim1)

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self.ndim}D")
        return transpose(self, 0, 1) if self.ndim == 2 else self

    @property
    def T(self):
        return permute(self, tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        return transpose(self, -2, -1)

    def unbind(self, dim=0):
        return unbind(self, dim)

    def narrow(self, dim, start, length):
        return narrow(self, dim, start, length)

    def unsqueeze(self, dim):
        return unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return squeeze(self, dim)


class Cat(Op):
    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        import numpy as np

        xp = np if arrays[0].__class__ is np.ndarray else __import__("cupy")
        return xp.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        out = []
        start = 0
        for s in ctx.sizes:
            out.append(grad.narrow(ctx.dim, start, s))
            start += s
        return tuple(out)


def cat(tensors, dim=0):
    from .. import dtypes
    from ._util import is_tensor

    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    if not all(is_tensor(t) for t in tensors):
        raise TypeError("expected Tensor as element 0 in argument 0, but got "
                        + type(next(t for t in tensors if not is_tensor(t))).__name__)
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = dtypes.promote_types(dt, t.dtype)
    tensors = [t if t.dtype is dt else t.to(dt) for t in tensors]
    ref = tensors[0]
    d = wrap_dim(dim, ref.ndim)
    for i, t in enumerate(tensors):
        if t.ndim != ref.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.ndim} and {t.ndim}")
        for k in range(ref.ndim):
            if k != d and t.shape[k] != ref.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.shape[k]} but got size {t.shape[k]} for tensor number {i} in the list.")
    return Cat.apply(*tensors, dim=d)


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                f"and {list(t.shape)} at entry {i}")
    d = wrap_dim(dim, len(shape) + 1)
    return cat([unsqueeze(t, d) for t in tensors], d)


class Narrow(Op):
    view = True

    @staticmethod
    def forward(ctx, a, dim, start, length):
        ctx.in_shape, ctx.dim, ctx.start = a.shape, dim, start
        idx = [slice(None)] * a.ndim
        idx[dim] = slice(start, start + length)
        return a[tuple(idx)]

    @staticmethod
    def backward(ctx, grad):
        # place the slice's gradient back into zeros of the input's shape
        before = ctx.start
        after = ctx.in_shape[ctx.dim] - ctx.start - grad.shape[ctx.dim]
        parts = []
        if before:
            parts.append(grad.new_zeros(_with(grad.shape, ctx.dim, before)))
        parts.append(grad)
        if after:
            parts.append(grad.new_zeros(_with(grad.shape, ctx.dim, after)))
        return cat(parts, ctx.dim) if len(parts) > 1 else grad


def _with(shape, dim, size):
    s = list(shape)
    s[dim] = size
    return tuple(s)


def narrow(input, dim, start, length):
    d = wrap_dim(dim, input.ndim)
    if start < 0:
        start += input.shape[d]
    if not (0 <= start and start + length <= input.shape[d]):
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({input.shape[d]}).")
    return Narrow.apply(input, dim=d, start=start, length=length)


class Unsqueeze(Op):
    view = True

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        import numpy as np

        return np.expand_dims(a, dim) if a.__class__ is np.ndarray else a.reshape(
            a.shape[:dim] + (1,) + a.shape[dim:])

    @staticmethod
    def backward(ctx, grad):
        return grad.squeeze(ctx.dim)


def unsqueeze(input, dim):
    return Unsqueeze.apply(input, dim=wrap_dim(dim, input.ndim + 1))


class Squeeze(Op):
    view = True

    @staticmethod
    def forward(ctx, a, dims):
        ctx.in_shape = a.shape
        return a.reshape(tuple(s for i, s in enumerate(a.shape) if i not in dims))

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape)


def squeeze(input, dim=None):
    shape = input.shape
    if dim is None:
        dims = tuple(i for i, s in enumerate(shape) if s == 1)
    else:
        ds = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = tuple(wrap_dim(d, input.ndim) for d in ds)
        dims = tuple(d for d in dims if input.ndim and shape[d] == 1)
    return Squeeze.apply(input, dims=dims)
