"""Linear algebra: matmul in every rank case, mm, bmm, dot, outer, t..."""

from __future__ import annotations

from ..autograd.function import Op

__all__ = ["matmul"]


class Matmul(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = gb = None
        if a.ndim == 1 and b.ndim == 1:
            return (grad * b if ctx.needs_input_grad[0] else None,
                    grad * a if ctx.needs_input_grad[1] else None)
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        g = grad
        if a.ndim == 1:
            g = g.unsqueeze(-2)
        if b.ndim == 1:
            g = g.unsqueeze(-1)
        if ctx.needs_input_grad[0]:
            ga = matmul(g, b2.mT)
            if a.ndim == 1:
                ga = ga.squeeze(-2)
        if ctx.needs_input_grad[1]:
            gb = matmul(a2.mT, g)
            if b.ndim == 1:
                gb = gb.squeeze(-1)
        return ga, gb


def matmul(input, other):
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {input.ndim}D and "
            f"{other.ndim}D")
    return Matmul.apply(input, other)


class LinalgMethods:
    __slots__ = ()

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    def matmul(self, other):
        return matmul(self, other)
