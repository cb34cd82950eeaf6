"""embedding (a row gather whose gradient scatter-adds rows) and one_hot."""

from __future__ import annotations

import numpy as np

from ...autograd.function import Op, Tensor, legacy_type_name
from ...tensor import _bump_version
from ._util import add_at, tensor_like, xp_of

__all__ = ["embedding", "one_hot"]


class Embedding(Op):
    @staticmethod
    def forward(ctx, weight, *, indices, padding_idx=None):
        ctx.indices, ctx.num, ctx.padding_idx = indices, weight.shape[0], padding_idx
        return xp_of(weight).take(weight, indices, axis=0)

    @staticmethod
    def backward(ctx, grad):
        return EmbeddingBackward.apply(
            grad, indices=ctx.indices, num=ctx.num, padding_idx=ctx.padding_idx
        )


class EmbeddingBackward(Op):
    """Adds each looked-up row's gradient into its row; the padding row gets none."""

    @staticmethod
    def forward(ctx, g, *, indices, num, padding_idx):
        ctx.indices, ctx.padding_idx = indices, padding_idx
        xp = xp_of(g)
        dim = g.shape[-1]
        out = xp.zeros((num, dim), dtype=g.dtype)
        flat = indices.reshape(-1)
        add_at(xp, out, flat, g.reshape(-1, dim))
        if padding_idx is not None:
            out[padding_idx] = 0
        return out

    @staticmethod
    def backward(ctx, gg):
        out = Embedding.apply(gg, indices=ctx.indices)
        if ctx.padding_idx is not None:
            keep = (ctx.indices != ctx.padding_idx)[..., None]
            out = out * tensor_like(keep, out)
        return out


def _renorm(weight, indices, max_norm, norm_type):
    """Rescale in place the looked-up rows whose norm exceeds max_norm (as PyTorch does)."""
    xp = weight._xp
    w = weight._data
    rows = xp.unique(indices.reshape(-1))
    norms = (xp.abs(w[rows]) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    over = norms > max_norm
    if bool(over.any()):
        scale = max_norm / (norms[over] + 1e-7)
        w[rows[over]] *= scale[:, None].astype(w.dtype)
        _bump_version(weight)


def embedding(
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
):
    if input._data.dtype.kind not in "iu":
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {legacy_type_name(input)} instead (while checking "
            "arguments for embedding)"
        )
    num = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < num, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -num, "Padding_idx must be within num_embeddings"
            padding_idx = num + padding_idx
    idx = input._data
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num):
        raise IndexError("index out of range in self")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: scale_grad_by_freq and sparse are not supported")
    if max_norm is not None:
        _renorm(weight, idx, max_norm, norm_type)
    return Embedding.apply(weight, indices=idx, padding_idx=padding_idx)


def one_hot(tensor, num_classes=-1):
    if tensor._data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    a = tensor._data
    xp = tensor._xp
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size:
        if int(a.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(a.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._make((a[..., None] == xp.arange(num_classes)).astype(np.int64))
