"""Elementwise ops: arithmetic, unary maths, activations, comparisons.

Each op's forward (arrays in, array out) sits beside its backward (Tensor ops, so it is
differentiable again). Broadcasting is undone by the engine, not here.
"""

from __future__ import annotations

import numpy as np

from ..autograd import function as _f
from ..autograd.function import Op
from ._util import as_operand, promote

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "neg",
    "negative", "pow", "exp", "log", "sin", "cos", "tanh", "sigmoid", "relu",
]


def _xp(a):
    return np if a.__class__ is np.ndarray else _f.Tensor._make(a)._xp


# ----- arithmetic ----------------------------------------------------------------------------

class Add(Op):
    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        return a + b if alpha == 1 else a + alpha * b

    @staticmethod
    def backward(ctx, grad):
        return grad, (grad if ctx.alpha == 1 else grad * ctx.alpha)


class Sub(Op):
    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        return a - b if alpha == 1 else a - alpha * b

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.alpha == 1 else grad * -ctx.alpha)


class Mul(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        return (grad * b if ga else None), (grad * a if gb else None)


class Div(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        return (grad / b if ga else None), (-grad * a / (b * b) if gb else None)


class Neg(Op):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Op):
    @staticmethod
    def forward(ctx, a, b):
        out = a ** b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        grad_a = grad_b = None
        if ga:
            grad_a = grad * 2 * a if (b.__class__ in (int, float) and b == 2) else grad * b * a ** (b - 1)
        if gb:
            # d/db a**b = a**b log a; PyTorch takes 0 where a == 0 and b >= 0 instead of nan
            safe = where(a == 0, 1.0, a)
            grad_b = where((a == 0) & (b >= 0), 0.0, grad * out * log(safe))
        return grad_a, grad_b


def add(input, other, *, alpha=1):
    a, b = promote(as_operand(input), as_operand(other))
    return Add.apply(a, b, alpha=alpha)


def sub(input, other, *, alpha=1):
    a, b = promote(as_operand(input), as_operand(other))
    return Sub.apply(a, b, alpha=alpha)


def mul(input, other):
    a, b = promote(as_operand(input), as_operand(other))
    return Mul.apply(a, b)


def div(input, other, *, rounding_mode=None):
    if rounding_mode is not None:
        raise NotImplementedError("div with rounding_mode is not supported yet")
    a, b = promote(as_operand(input), as_operand(other), floating=True)
    return Div.apply(a, b)


def neg(input):
    return Neg.apply(input)


def pow(input, exponent):  # noqa: A001 - PyTorch's name
    a, b = promote(as_operand(input), as_operand(exponent))
    return Pow.apply(a, b)


subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg


# ----- unary maths -------------------------------------------------------------------------

class Exp(Op):
    @staticmethod
    def forward(ctx, a):
        out = _xp(a).exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Log(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _xp(a).log(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / a


class Sin(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _xp(a).sin(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * cos(a)


class Cos(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _xp(a).cos(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * -sin(a)


class Tanh(Op):
    @staticmethod
    def forward(ctx, a):
        out = _xp(a).tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)


class Sigmoid(Op):
    @staticmethod
    def forward(ctx, a):
        xp = _xp(a)
        # split by sign so that exp never overflows
        out = xp.where(a >= 0, 1 / (1 + xp.exp(-xp.abs(a))), 1 - 1 / (1 + xp.exp(-xp.abs(a))))
        out = out.astype(a.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)


class Relu(Op):
    @staticmethod
    def forward(ctx, a):
        out = _xp(a).maximum(a, 0).astype(a.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out > 0)


def _floating(t):
    """Unary maths on integer tensors computes in the default float dtype, as PyTorch does."""
    if t._data.dtype.kind in "biu":
        from .. import dtypes

        return t.to(dtypes.get_default_dtype())
    return t


def exp(input):
    return Exp.apply(_floating(input))


def log(input):
    return Log.apply(_floating(input))


def sin(input):
    return Sin.apply(_floating(input))


def cos(input):
    return Cos.apply(_floating(input))


def tanh(input):
    return Tanh.apply(_floating(input))


def sigmoid(input):
    return Sigmoid.apply(_floating(input))


def relu(input):
    return Relu.apply(input)


# ----- comparisons and selection (no gradient through the condition) ------------------------

class _Compare(Op):
    differentiable = False


class Eq(_Compare):
    forward = staticmethod(lambda ctx, a, b: a == b)


class Ne(_Compare):
    forward = staticmethod(lambda ctx, a, b: a != b)


class Lt(_Compare):
    forward = staticmethod(lambda ctx, a, b: a < b)


class Le(_Compare):
    forward = staticmethod(lambda ctx, a, b: a <= b)


class Gt(_Compare):
    forward = staticmethod(lambda ctx, a, b: a > b)


class Ge(_Compare):
    forward = staticmethod(lambda ctx, a, b: a >= b)


class LogicalAnd(_Compare):
    forward = staticmethod(lambda ctx, a, b: a & b)


class LogicalOr(_Compare):
    forward = staticmethod(lambda ctx, a, b: a | b)


class LogicalNot(_Compare):
    forward = staticmethod(lambda ctx, a: ~a if a.dtype == bool else a == 0)


class Where(Op):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return _xp(cond).where(cond, a, b)

    @staticmethod
    def backward(ctx, grad):
        (cond,) = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad[1:]
        zero = grad.new_zeros(())
        return (None, where(cond, grad, zero) if ga else None,
                where(cond, zero, grad) if gb else None)


def where(condition, input, other):
    a, b = promote(as_operand(input), as_operand(other))
    if isinstance(a, (int, float, bool)) and isinstance(b, (int, float, bool)):
        from ..creation import tensor

        a = tensor(a, device=condition.device)
    return Where.apply(condition, a, b)


def _compare(op, a, b):
    if b is None:  # PyTorch answers `t == None` with a plain bool
        return op is Ne
    return op.apply(as_operand(a), as_operand(b))


class ElementwiseMethods:
    """Tensor methods and operators of this family."""

    __slots__ = ()

    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return sub(self, other)

    def __rsub__(self, other):
        return sub(other, self)

    def __mul__(self, other):
        return mul(self, other)

    def __rmul__(self, other):
        return mul(other, self)

    def __truediv__(self, other):
        return div(self, other)

    def __rtruediv__(self, other):
        return div(other, self)

    def __pow__(self, other):
        return pow(self, other)

    def __rpow__(self, other):
        return pow(other, self)

    def __neg__(self):
        return Neg.apply(self)

    def __pos__(self):
        return self

    def __eq__(self, other):
        return _compare(Eq, self, other)

    def __ne__(self, other):
        return _compare(Ne, self, other)

    def __lt__(self, other):
        return _compare(Lt, self, other)

    def __le__(self, other):
        return _compare(Le, self, other)

    def __gt__(self, other):
        return _compare(Gt, self, other)

    def __ge__(self, other):
        return _compare(Ge, self, other)

    def __and__(self, other):
        return _compare(LogicalAnd, self, other)

    def __or__(self, other):
        return _compare(LogicalOr, self, other)

    def __invert__(self):
        return LogicalNot.apply(self)

    def add(self, other, *, alpha=1):
        return add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return sub(self, other, alpha=alpha)

    def mul(self, other):
        return mul(self, other)

    def div(self, other, *, rounding_mode=None):
        return div(self, other, rounding_mode=rounding_mode)

    def pow(self, exponent):
        return pow(self, exponent)

    def neg(self):
        return Neg.apply(self)

    def exp(self):
        return exp(self)

    def log(self):
        return log(self)

    def sin(self):
        return sin(self)

    def cos(self):
        return cos(self)

    def tanh(self):
        return tanh(self)

    def sigmoid(self):
        return sigmoid(self)

    def relu(self):
        return relu(self)

    def eq(self, other):
        return _compare(Eq, self, other)

    def ne(self, other):
        return _compare(Ne, self, other)

    def lt(self, other):
        return _compare(Lt, self, other)

    def le(self, other):
        return _compare(Le, self, other)

    def gt(self, other):
        return _compare(Gt, self, other)

    def ge(self, other):
        return _compare(Ge, self, other)

    # in-place variants: the op runs out of place, Tensor._inplace writes it back
    def add_(self, other, *, alpha=1):
        return self._inplace(Add, *promote_inplace(self, other), alpha=alpha)

    def sub_(self, other, *, alpha=1):
        return self._inplace(Sub, *promote_inplace(self, other), alpha=alpha)

    def mul_(self, other):
        return self._inplace(Mul, *promote_inplace(self, other))

    def div_(self, other):
        return self._inplace(Div, *promote_inplace(self, other))

    def pow_(self, exponent):
        return self._inplace(Pow, *promote_inplace(self, exponent))

    def neg_(self):
        return self._inplace(Neg)

    def exp_(self):
        return self._inplace(Exp)

    def log_(self):
        return self._inplace(Log)

    def sin_(self):
        return self._inplace(Sin)

    def cos_(self):
        return self._inplace(Cos)

    def tanh_(self):
        return self._inplace(Tanh)

    def sigmoid_(self):
        return self._inplace(Sigmoid)

    def relu_(self):
        return self._inplace(Relu)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_


def promote_inplace(self, other):
    """The other operand of an in-place op; the result keeps `self`'s dtype (checked later)."""
    other = as_operand(other)
    if isinstance(other, _f.Tensor) and other._data.dtype != self._data.dtype:
        from .. import dtypes

        res = dtypes.result_type(self, other)
        if res.np == self._data.dtype:
            other = other.to(res)
        # else: Tensor._inplace reports that the result can't be cast back
    return (other,)
