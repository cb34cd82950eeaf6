"""Linear algebra: matmul in every rank case, mm, bmm, dot, mv, outer, addmm, baddbmm, einsum.

`matmul` dispatches on the operands' ranks to the op PyTorch records (dot, mv, mm; the batched
cases as one broadcasting op), and each calls the array module's matmul (BLAS) directly.
Shape and dtype errors are raised before any maths, with PyTorch's messages.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import function as _f
from ..autograd.function import _TYPE_NAMES, Op
from .reduction import grad_fn_name

__all__ = ["matmul", "mm", "bmm", "dot", "mv", "outer", "ger", "t", "addmm", "baddbmm", "einsum"]


def _xp(a):
    return np if a.__class__ is np.ndarray else _f.Tensor._make(a)._xp


# ----- the ops -------------------------------------------------------------------------------


class Dot(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _xp(a).dot(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        return (grad * b if ga else None), (grad * a if gb else None)


class Mv(Op):
    @staticmethod
    def forward(ctx, a, v):
        ctx.save_for_backward(a, v)
        return a @ v

    @staticmethod
    def backward(ctx, grad):
        a, v = ctx.saved_tensors
        ga, gv = ctx.needs_input_grad
        return (grad.unsqueeze(1) * v if ga else None), (Mv.apply(a.mT, grad) if gv else None)


class Mm(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        return (Mm.apply(grad, b.mT) if ga else None), (Mm.apply(a.mT, grad) if gb else None)


class Bmm(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        return (Bmm.apply(grad, b.mT) if ga else None), (Bmm.apply(a.mT, grad) if gb else None)


@grad_fn_name("UnsafeViewBackward0")  # what PyTorch's batched matmul records
class Matmul(Op):
    """The remaining rank cases: batch dims broadcast; a 1-D operand is a row or a column."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        if b.ndim == 2 and a.ndim > 2 and a.flags.c_contiguous:
            # one large GEMM instead of one per batch entry; the reshapes are views
            return (a.reshape(-1, a.shape[-1]) @ b).reshape(a.shape[:-1] + b.shape[-1:])
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        # the 1-D operands as matrices, and the gradient with their unit dims put back
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        g = grad.unsqueeze(-2) if a.ndim == 1 else grad
        g = g.unsqueeze(-1) if b.ndim == 1 else g
        grad_a = grad_b = None
        if ga:  # summed over broadcast batch dims by the engine
            grad_a = matmul(g, b2.mT)
            grad_a = grad_a.squeeze(-2) if a.ndim == 1 else grad_a
        if gb:
            if b.ndim <= 2 and a.ndim > 2:  # a shared weight: one GEMM over all batch entries
                grad_b = mm(a2.reshape(-1, a2.shape[-1]).mT, g.reshape(-1, g.shape[-1]))
            else:
                grad_b = matmul(a2.mT, g)
            grad_b = grad_b.squeeze(-1) if b.ndim == 1 else grad_b
        return grad_a, grad_b


class Addmm(Op):
    @staticmethod
    def forward(ctx, c, a, b, beta=1, alpha=1):
        ctx.beta, ctx.alpha = beta, alpha
        ctx.save_for_backward(a, b)
        out = a @ b
        if alpha != 1:
            out *= alpha
        if beta == 0:  # c is ignored entirely, even its nan and inf, as in PyTorch
            return out
        return out + (c if beta == 1 else beta * c)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        gc, ga, gb = ctx.needs_input_grad
        g = grad * ctx.alpha if ctx.alpha != 1 else grad
        mul = Bmm.apply if a.ndim == 3 else Mm.apply
        return (
            (grad * ctx.beta if gc else None),
            (mul(g, b.mT) if ga else None),
            (mul(a.mT, g) if gb else None),
        )


class Baddbmm(Addmm):
    pass


class Einsum(Op):
    @staticmethod
    def forward(ctx, *operands, inputs, output):
        ctx.inputs, ctx.output = inputs, output
        ctx.save_for_backward(*operands)
        eq = ",".join(inputs) + "->" + output
        return _xp(operands[0]).einsum(eq, *operands, optimize=len(operands) > 2)

    @staticmethod
    def backward(ctx, grad):
        """Each operand's gradient is the einsum of the gradient with the other operands."""
        ops = ctx.saved_tensors
        grads = []
        for i, (sub, need) in enumerate(zip(ctx.inputs, ctx.needs_input_grad)):
            if not need:
                grads.append(None)
                continue
            others = [(s, t) for j, (s, t) in enumerate(zip(ctx.inputs, ops)) if j != i]
            present = set(ctx.output).union(*(s for s, _ in others))
            target = "".join(c for c in sub if c in present)  # labels summed in this one alone
            g = _einsum(
                [ctx.output, *(s for s, _ in others)], target, [grad, *(t for _, t in others)]
            )
            for k, c in enumerate(sub):  # ... come back as broadcast dims
                if c not in present:
                    g = g.unsqueeze(k)
            if len(target) < len(sub):
                g = g.expand(tuple(-1 if c in present else n for c, n in zip(sub, ops[i].shape)))
            grads.append(g)
        return tuple(grads)


# ----- checks with PyTorch's messages --------------------------------------------------------

_CPP_NAMES = {
    "float32": "float",
    "float64": "double",
    "float16": "c10::Half",
    "int64": "long int",
    "int32": "int",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
    "bool": "bool",
}


def _type_name(t):
    return _TYPE_NAMES[t.dtype.name]


def _check_dtypes(a, b, case):
    if a._data.dtype == b._data.dtype:
        return
    if case == "dot":
        msg = (
            f"dot : expected both vectors to have same dtype, but found {_type_name(a)} and "
            f"{_type_name(b)}"
        )
    elif case == "mv":
        msg = (
            f"addmv input tensors must have the same dtype, but got {_type_name(b)}, "
            f"{_type_name(a)}, and {_type_name(b)}"
        )
    elif case == "mm":
        msg = (
            f"expected m1 and m2 to have the same dtype, but got: {_CPP_NAMES[a.dtype.name]} "
            f"!= {_CPP_NAMES[b.dtype.name]}"
        )
    else:
        msg = f"expected scalar type {_type_name(a)} but found {_type_name(b)}"
    raise RuntimeError(msg)


def _check_dot(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    n, m = a.shape[0], b.shape[0]
    if n != m:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
            f"number of elements, but got {n} and {m} elements respectively"
        )
    _check_dtypes(a, b, "dot")


def _check_mm(rows, k, k2, cols):
    if k != k2:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and {k2}x{cols})"
        )


def _check_mv(rows, k, n):
    if k != n:
        raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{k}), vec ({n})")


def _broadcast_batch(sa, sb):
    n = max(len(sa), len(sb))
    sa, sb = (1,) * (n - len(sa)) + tuple(sa), (1,) * (n - len(sb)) + tuple(sb)
    out = []
    for i, (x, y) in enumerate(zip(sa, sb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) "
                f"at non-singleton dimension {i}"
            )
        out.append(y if x == 1 else x)
    return tuple(out)


def _check_bmm(batch, k, batch2, k2):
    if (batch, k) != (batch2, k2):
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {k}] but "
            f"got: [{batch2}, {k2}]."
        )


def _check_batched(a, b):
    """The shape checks of matmul's batched cases, in the order PyTorch makes them."""
    sa, sb = a.shape, b.shape
    if b.ndim == 1:  # folded into a matrix-vector product
        rows = math.prod(sa[:-1])
        _check_mv(rows, sa[-1], sb[0])
        _check_dtypes(a, b, "mv")
    elif b.ndim == 2 and a.ndim > 2:  # folded into one matrix product
        _check_mm(math.prod(sa[:-1]), sa[-1], sb[0], sb[1])
        _check_dtypes(a, b, "mm")
    else:
        batch = math.prod(_broadcast_batch(sa[:-2], sb[:-2]))
        _check_bmm(batch, sa[-1], batch, sb[-2])
        _check_dtypes(a, b, "bmm")


# ----- the functions -------------------------------------------------------------------------


def matmul(input, other):
    try:
        sa, sb = input._data.shape, other._data.shape
    except AttributeError:
        pos = 1 if not isinstance(input, _f.Tensor) else 2
        cls = type((input, other)[pos - 1])
        kind = cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"
        raise TypeError(
            f"matmul(): argument '{('input', 'other')[pos - 1]}' (position {pos}) "
            f"must be Tensor, not {kind}"
        ) from None
    if len(sa) == 2 and len(sb) == 2 and sa[1] == sb[0] and input._data.dtype == other._data.dtype:
        return Mm.apply(input, other)  # the common case, without the checks below
    da, db = len(sa), len(sb)
    if da == 0 or db == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D"
        )
    if da == 1 and db == 1:
        _check_dot(input, other)
        return Dot.apply(input, other)
    if da == 2 and db == 1:
        return mv(input, other)
    if da == 2 and db == 2:
        return mm(input, other)
    if da == 1 and db == 2:
        _check_mm(1, input.shape[0], *other.shape)
        _check_dtypes(input, other, "mm")
    else:
        _check_batched(input, other)
    return Matmul.apply(input, other)


def mm(input, mat2):
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _check_mm(*input.shape, *mat2.shape)
    _check_dtypes(input, mat2, "mm")
    return Mm.apply(input, mat2)


def bmm(input, mat2):
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _check_bmm(input.shape[0], input.shape[2], mat2.shape[0], mat2.shape[1])
    _check_dtypes(input, mat2, "bmm")
    return Bmm.apply(input, mat2)


def dot(input, tensor):
    _check_dot(input, tensor)
    return Dot.apply(input, tensor)


def mv(input, vec):
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    _check_mv(input.shape[0], input.shape[1], vec.shape[0])
    _check_dtypes(input, vec, "mv")
    return Mv.apply(input, vec)


def outer(input, vec2):
    for name, v in (("self", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    return input.reshape(-1, 1) * vec2  # PyTorch's own definition, hence its MulBackward0


ger = outer


def t(input):
    return input.t()


def _check_addend(c, shape):
    lead = len(shape) - c.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand(torch.{_type_name(c)}Tensor{{{list(c.shape)}}}, size={list(shape)}): the "
            f"number of sizes provided ({len(shape)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({c.ndim})"
        )
    for i, s in enumerate(c.shape):
        if s != 1 and s != shape[lead + i]:
            raise RuntimeError(
                f"The expanded size of the tensor ({shape[lead + i]}) must match the existing "
                f"size ({s}) at non-singleton dimension {lead + i}.  Target sizes: "
                f"{list(shape)}.  Tensor sizes: {list(c.shape)}"
            )


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2), with input broadcast to the product's shape."""
    for name, m in (("mat1", mat1), ("mat2", mat2)):
        if m.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {m.ndim}-D tensor")
    _check_mm(*mat1.shape, *mat2.shape)
    for a, b in ((input, mat1), (mat1, mat2)):
        if a._data.dtype != b._data.dtype:
            raise RuntimeError(
                f"self and mat2 must have the same dtype, but got {_type_name(a)} "
                f"and {_type_name(b)}"
            )
    _check_addend(input, (mat1.shape[0], mat2.shape[1]))
    return Addmm.apply(input, mat1, mat2, beta=beta, alpha=alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * bmm(batch1, batch2), with input broadcast to the product's shape."""
    if batch1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _check_bmm(batch1.shape[0], batch1.shape[2], batch2.shape[0], batch2.shape[1])
    _check_dtypes(batch1, batch2, "bmm")
    _check_dtypes(batch1, input, "bmm")
    _check_addend(input, (batch1.shape[0], batch1.shape[1], batch2.shape[2]))
    return Baddbmm.apply(input, batch1, batch2, beta=beta, alpha=alpha)


# ----- einsum --------------------------------------------------------------------------------


def _parse_einsum(equation, operands):
    """Subscripts per operand and for the output, with any ellipsis spelled out as letters."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    inputs = lhs.split(",")
    if len(inputs) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(inputs) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    used = set(eq) - {".", ",", "-", ">"}
    spare = iter(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used)
    ell = ""  # letters standing for the broadcast dims of the longest ellipsis
    spelled = []
    for sub, op in zip(inputs, operands):
        n = len(sub.replace("...", ""))
        if "..." not in sub and n != op.ndim:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({n}) does not match the "
                f"number of dimensions ({op.ndim}) for operand {len(spelled)} and no ellipsis "
                "was given"
            )
        if "..." in sub:
            k = op.ndim - n
            while len(ell) < k:
                ell = next(spare) + ell
            sub = sub.replace("...", ell[len(ell) - k :])
        if len(set(sub)) != len(sub):
            raise NotImplementedError(
                "einsum(): a subscript repeated within one operand "
                "(a diagonal or trace) is not supported"
            )
        spelled.append(sub)
    if arrow:
        out = out.replace("...", ell)
    else:  # implicit output: the ellipsis dims, then the letters used once, sorted
        labels = "".join(spelled)
        out = ell + "".join(sorted(c for c in set(labels) if labels.count(c) == 1 and c not in ell))
    for c in out:
        if out.count(c) > 1:
            raise RuntimeError(
                f"einsum(): output subscript {c} appears more than once in the output"
            )
        if not any(c in s for s in spelled):
            raise RuntimeError(
                f"einsum(): output subscript {c} does not appear in the equation "
                "for any input operand"
            )
    sizes = {}
    for i, (sub, op) in enumerate(zip(spelled, operands)):
        for c, s in zip(sub, op.shape):
            if sizes.setdefault(c, s) != s and s != 1 and sizes[c] != 1:
                raise RuntimeError(
                    f"einsum(): subscript {c} has size {s} for operand {i} which does not "
                    f"broadcast with previously seen size {sizes[c]}"
                )
    return spelled, out


def _einsum(inputs, output, operands):
    return Einsum.apply(*operands, inputs=tuple(inputs), output=output)


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    from .. import dtypes

    dt = dtypes.result_type(*operands)
    operands = [o if o.dtype is dt else o.to(dt) for o in operands]
    inputs, output = _parse_einsum(equation, operands)
    return _einsum(inputs, output, operands)


class LinalgMethods:
    __slots__ = ()

    def __matmul__(self, other):
        if isinstance(other, np.ndarray):
            return matmul(*_with_array(self, other, reflected=False))
        return matmul(self, other) if isinstance(other, _f.Tensor) else NotImplemented

    def __rmatmul__(self, other):
        if isinstance(other, np.ndarray):
            return matmul(*_with_array(self, other, reflected=True))
        return matmul(other, self) if isinstance(other, _f.Tensor) else NotImplemented

    def matmul(self, other):
        return matmul(self, other)

    def mm(self, mat2):
        return mm(self, mat2)

    def bmm(self, mat2):
        return bmm(self, mat2)

    def dot(self, tensor):
        return dot(self, tensor)

    def mv(self, vec):
        return mv(self, vec)

    def outer(self, vec2):
        return outer(self, vec2)

    ger = outer

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)


def _with_array(t, arr, reflected):
    """`t @ arr` or `arr @ t`: the NumPy array becomes a tensor on t's device and the two
    promote (NumPy's float64 with float32 gives float64) instead of failing on the dtype."""
    from .. import dtypes
    from ..creation import as_tensor

    a = as_tensor(arr, device=t.device)
    if a._data.dtype != t._data.dtype:
        dt = dtypes.result_type(t, a)
        t, a = t.to(dt), a.to(dt)
    return (a, t) if reflected else (t, a)
