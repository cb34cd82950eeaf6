"""Indexing: `t[...]` with slices, ints, None, Ellipsis, integer and boolean arrays; gather..."""

from __future__ import annotations

from ..autograd import function as _f
from ..autograd.function import Op

__all__ = []


def _convert_index(idx):
    """Tensors inside an index become arrays; everything else is NumPy's own indexing."""
    if isinstance(idx, tuple):
        return tuple(_convert_index(i) for i in idx)
    if isinstance(idx, _f.Tensor):
        return idx._data
    if isinstance(idx, list):
        import numpy as np

        return np.asarray(idx)
    return idx


class Index(Op):
    @staticmethod
    def forward(ctx, a, index):
        ctx.in_shape = a.shape
        ctx.index = index
        return a[index]

    @staticmethod
    def backward(ctx, grad):
        return IndexBackward.apply(grad, shape=ctx.in_shape, index=ctx.index)


class IndexBackward(Op):
    """Scatter-adds a gradient into zeros of the indexed tensor's shape (repeats accumulate)."""

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        import numpy as np

        xp = np if g.__class__ is np.ndarray else __import__("cupy")
        out = xp.zeros(shape, dtype=g.dtype)
        xp.add.at(out, index, g) if xp is np else out.__setitem__(index, g)
        return out

    @staticmethod
    def backward(ctx, grad):
        return Index.apply(grad, index=ctx.index)


class IndexingMethods:
    __slots__ = ()

    def __getitem__(self, index):
        return Index.apply(self, index=_convert_index(index))
