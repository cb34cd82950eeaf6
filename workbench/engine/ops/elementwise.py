"""Elementwise ops: arithmetic, unary maths, activations, comparisons, logical ops, in-place forms.

Each op's forward (arrays in, array out) sits beside its backward (Tensor ops, so it is
differentiable again). Broadcasting is undone by the engine, not here. Gradients at kinks follow
PyTorch's conventions: relu'(0) = abs'(0) = sign' = 0, clamp passes the gradient on
min <= x <= max, and maximum/minimum split it in half on ties.

Python scalars that PyTorch's overloads take as `Scalar` (pow's exponent, clamp's bounds, ...)
are passed as keyword options, so they get no `next_functions` entry, as in PyTorch.
"""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes as _dt
from ..autograd import function as _f
from ..autograd.function import Op, _observed_binary, _record_binary, apply_binary, apply_unary
from ..autograd.function import observers as _observers
from ..autograd.grad_mode import enabled_var as _enabled_var
from ._util import as_operand, promote

__all__ = [
    # arithmetic
    "add",
    "sub",
    "subtract",
    "rsub",
    "mul",
    "multiply",
    "div",
    "divide",
    "true_divide",
    "floor_divide",
    "remainder",
    "fmod",
    "neg",
    "negative",
    "positive",
    "pow",
    "square",
    "reciprocal",
    # unary maths
    "abs",
    "absolute",
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "sqrt",
    "rsqrt",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "sigmoid",
    "relu",
    "sign",
    "floor",
    "ceil",
    "round",
    "trunc",
    "fix",
    "frac",
    "clamp",
    "clip",
    "clamp_min",
    "clamp_max",
    "maximum",
    "minimum",
    "where",
    "fill",
    # comparisons, logical and bitwise ops, tests
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "not_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
    "logical_not",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "bitwise_not",
    "isnan",
    "isinf",
    "isfinite",
    # module-level in-place forms (those PyTorch has)
    "abs_",
    "absolute_",
    "exp_",
    "exp2_",
    "expm1_",
    "log_",
    "log2_",
    "log10_",
    "log1p_",
    "sqrt_",
    "rsqrt_",
    "sin_",
    "cos_",
    "tan_",
    "asin_",
    "acos_",
    "atan_",
    "arcsin_",
    "arccos_",
    "arctan_",
    "sinh_",
    "cosh_",
    "tanh_",
    "sigmoid_",
    "relu_",
    "floor_",
    "ceil_",
    "round_",
    "trunc_",
    "fix_",
    "frac_",
    "neg_",
    "negative_",
    "reciprocal_",
    "square_",
    "clamp_",
    "clip_",
    "clamp_min_",
    "clamp_max_",
    "fill_",
    "zero_",
]

_SCALAR_TYPES = (int, float, bool)


def _xp(a):
    return np if a.__class__ is np.ndarray else _f.Tensor._make(a)._xp


class _Constants(dict):
    """dtype -> a read-only 0-d array of one value in that dtype, made on first use.

    A Python number handed to a ufunc is converted to the array's dtype on every call (NEP 50),
    which on a small array costs about as much as the operation itself (np.maximum(a, 0): 8.5k
    instructions, with a 0-d float32 zero: 4.6k); the same value as a 0-d array of the dtype
    gives the same result without that work."""

    def __init__(self, value):
        super().__init__()
        self.value = value

    def __missing__(self, dtype):
        c = self[dtype] = np.array(self.value, dtype)
        c.flags.writeable = False
        return c


_ZERO = _Constants(0)
_TWO = _Constants(2)


def _grad_fn_name(name):
    """Give an op's node PyTorch's name where it isn't `<class>Backward0` (PowBackward1...)."""

    def rename(cls):
        cls._backward_cls.__name__ = cls._backward_cls.__qualname__ = name
        return cls

    return rename


def _operand(x):
    """A Tensor, a Python scalar, or None for what an operator can't take (-> NotImplemented).

    NumPy scalars count as Python scalars (as PyTorch treats them); arrays become Tensors.
    """
    if isinstance(x, _f.Tensor):
        return x
    if isinstance(x, np.generic):  # before the scalar test: np.float64 subclasses float
        return x.item()
    if isinstance(x, _SCALAR_TYPES):
        return x
    if hasattr(x, "__array__") or hasattr(x, "__cuda_array_interface__"):
        return as_operand(x)
    return None


def _arg(x):
    """The functional forms' operand: like `_operand`, but lists are taken and junk is an error."""
    r = _operand(x)
    if r is None:
        if isinstance(x, (list, tuple)):
            return as_operand(x)
        raise TypeError(f"unsupported operand type: {type(x).__name__}")
    return r


def _operands(input, other, floating=False):
    """`promote` of a binary op's operands, with the common cases (operands of one dtype, a
    float tensor with a Python number) answered before the general rules run."""
    T = _f.Tensor
    ic, oc = input.__class__, other.__class__
    if isinstance(input, T):
        d = input._data.dtype
        if isinstance(other, T):
            if other._data.dtype == d and (not floating or d.kind == "f"):
                return input, other
        elif ((oc is float or oc is int) and d.kind == "f") or (
            oc is int and d.kind in "iu" and not floating
        ):
            return input, other
    elif (ic is float or ic is int) and isinstance(other, T) and other._data.dtype.kind == "f":
        return input, other
    return promote(_arg(input), _arg(other), floating=floating)


def _broadcast_error(*operands):
    """PyTorch's message for operands whose shapes do not broadcast, or None if they do."""
    shapes = [tuple(t.shape) for t in operands if isinstance(t, _f.Tensor)]
    if not shapes:
        return None
    acc = shapes[0]
    for s in shapes[1:]:
        n = max(len(acc), len(s))
        a, b = (1,) * (n - len(acc)) + acc, (1,) * (n - len(s)) + s
        for i in range(n - 1, -1, -1):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                return RuntimeError(
                    f"The size of tensor a ({a[i]}) must match the size of "
                    f"tensor b ({b[i]}) at non-singleton dimension {i}"
                )
        acc = tuple(max(x, y) for x, y in zip(a, b))
    return None


def _apply(op, *operands, **options):
    """op.apply, with NumPy's broadcasting ValueError turned into PyTorch's RuntimeError."""
    try:
        return op.apply(*operands, **options)
    except ValueError:
        err = _broadcast_error(*operands)
        if err is not None:
            raise err from None
        raise


def _zeros(like):
    """A gradient of zeros (no history), where PyTorch's formula is zeros_like(grad); an array
    when `like` is one (an array-mode backward)."""
    if not isinstance(like, _f.Tensor):
        return _xp(like).zeros(like.shape, like.dtype)
    return _f.Tensor._make(like._xp.zeros(like._data.shape, like._data.dtype))


def _floating(t):
    """Unary maths on integer tensors computes in the default float dtype, as PyTorch does."""
    if t._data.dtype.kind in "biu":
        return t.to(_dt.get_default_dtype())
    return t


# PyTorch's short dtype names, as its "not implemented for 'Long'" messages print them
_TYPE_NAMES = {
    "float64": "Double",
    "float32": "Float",
    "float16": "Half",
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
}


def _not_implemented(kernel, t):
    dev = "cuda" if t._data.__class__ is not np.ndarray else "cpu"
    return NotImplementedError(
        f"\"{kernel}_{dev}\" not implemented for '{_TYPE_NAMES[t._data.dtype.name]}'"
    )


def _no_bool(t, what):
    if t._data.dtype.kind == "b":
        raise _not_implemented(what, t)


_BOOL_SUB = (
    "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
    "trying to invert a mask, use the `~` or `logical_not()` operator instead."
)
_BOOL_NEG = (
    "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
    "to invert a mask, use the `~` or `logical_not()` operator instead."
)


def _is_bool(x):
    return x.__class__ is bool or (isinstance(x, _f.Tensor) and x._data.dtype.kind == "b")


# ----- arithmetic ----------------------------------------------------------------------------


class Add(Op):
    array_backward = True

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        if alpha == 1:
            return a + b  # nothing stored on ctx: the common case stays allocation-free
        ctx.alpha = alpha
        return a + alpha * b

    @staticmethod
    def backward(ctx, grad):
        alpha = ctx.__dict__.get("alpha", 1)
        return grad, (grad if alpha == 1 else grad * alpha)


class Sub(Op):
    array_backward = True

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        if alpha == 1:
            return a - b
        ctx.alpha = alpha
        return a - alpha * b

    @staticmethod
    def backward(ctx, grad):
        if not ctx.needs_input_grad[1]:  # x - target: no negation for the constant
            return grad, None
        alpha = ctx.__dict__.get("alpha", 1)
        return grad, (-grad if alpha == 1 else grad * -alpha)


class Rsub(Op):
    """rsub(input, other) = other - alpha * input; `2 - x` and `ndarray - x` land here."""

    @staticmethod
    def forward(ctx, a, b=None, alpha=1, other=None):
        ctx.alpha = alpha
        b = other if b is None else b
        return b - a if alpha == 1 else b - alpha * a

    @staticmethod
    def backward(ctx, grad):
        ga = -grad if ctx.alpha == 1 else grad * -ctx.alpha
        return (ga,) if len(ctx.needs_input_grad) == 1 else (ga, grad)


@_grad_fn_name("RsubBackward1")
class RsubScalar(Rsub):
    pass


class Mul(Op):
    array_backward = True

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
    array_backward = True

    @staticmethod
    def forward(ctx, a, b):
        # the operands, not the quotient, as PyTorch saves: the quotient may be changed in
        # place afterwards (y = x / n; y.mul_(2)) without spoiling backward
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = grad / b  # d(a/b)/db = -(a/b)/b = -ga * a / b: four ops instead of five
        return (ga if ctx.needs_input_grad[0] else None), (
            -ga * a / b if ctx.needs_input_grad[1] else None
        )


def _int_trunc_div(a, b):
    q = a // b
    return q + ((q < 0) & (q * b != a))  # floor rounds negative quotients away from zero


@_grad_fn_name("DivBackward2")
class DivRounding(Op):
    """div with rounding_mode: piecewise constant, so the gradient is zero almost everywhere."""

    @staticmethod
    def forward(ctx, a, b, rounding_mode="trunc"):
        if rounding_mode == "floor":
            return a // b
        arr = a if hasattr(a, "dtype") else b  # promoted: the array has the result dtype
        if arr.dtype.kind == "f":
            return _xp(arr).trunc(a / b)
        return _int_trunc_div(a, b)

    @staticmethod
    def backward(ctx, grad):
        return tuple(_zeros(grad) if n else None for n in ctx.needs_input_grad)


@_grad_fn_name("NotImplemented")
class FloorDivide(Op):
    """`//`: PyTorch records a node whose backward refuses, and so do we."""

    @staticmethod
    def forward(ctx, a, b):
        return a // b

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


def _remainder(a, b):
    arr = a if hasattr(a, "dtype") else b  # promoted: the array has the result dtype
    xp = _xp(arr)
    if arr.dtype.kind != "f":
        return xp.remainder(a, b)
    # PyTorch's formula rather than NumPy's, which differs in the sign of zero results
    mod = xp.fmod(a, b)
    return xp.where((mod != 0) & ((b < 0) != (mod < 0)), mod + b, mod)


class Remainder(Op):
    """Python's `%`: the result takes the divisor's sign (RemainderBackward0: scalar divisor)."""

    @staticmethod
    def forward(ctx, a, other):
        return _remainder(a, other)

    @staticmethod
    def backward(ctx, grad):
        return grad


@_grad_fn_name("RemainderBackward1")
class RemainderTensor(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _remainder(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        return (grad if ga else None), (-grad * div(a, b, rounding_mode="floor") if gb else None)


class Fmod(Op):
    """C's fmod: the result takes the dividend's sign. FmodBackward0 for a scalar divisor."""

    @staticmethod
    def forward(ctx, a, other):
        return _xp(a).fmod(a, other)

    @staticmethod
    def backward(ctx, grad):
        return grad


@_grad_fn_name("FmodBackward1")
class FmodTensor(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _xp(a).fmod(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        return (grad if ga else None), (-grad * div(a, b, rounding_mode="trunc") if gb else None)


class Neg(Op):
    array_backward = True

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Op):
    """input ** exponent with a scalar exponent (PowBackward0)."""

    array_backward = True

    @staticmethod
    def forward(ctx, a, exponent):
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        return a**exponent

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        e = ctx.exponent
        if e == 0:
            return _zeros(grad)
        if e == 2:  # the squared error's: a ** 1 is a exactly, so skip that pass
            if grad.__class__ is np.ndarray and a.__class__ is np.ndarray:
                return np.multiply(grad, np.multiply(a, _TWO[a.dtype]))  # see _Constants
            return grad * (2 * a)
        return grad * (e * a ** (e - 1))


@_grad_fn_name("PowBackward1")
class PowTensor(Op):
    @staticmethod
    def forward(ctx, a, b):
        out = a**b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        grad_a = grad_b = None
        if ga:
            grad_a = where(b == 0, 0.0, grad * (b * a ** (b - 1)))
        if gb:
            # d/db a**b = a**b log a, taken as 0 where a == 0 and b >= 0 (PyTorch's convention)
            grad_b = grad * where((a == 0) & (b >= 0), 0.0, out * log(a))
        return grad_a, grad_b


@_grad_fn_name("PowBackward2")
class PowScalarBase(Op):
    """base ** exponent with a scalar base: `2 ** x`."""

    @staticmethod
    def forward(ctx, b, base):
        out = base**b
        ctx.save_for_backward(b, out)
        ctx.base = base
        return out

    @staticmethod
    def backward(ctx, grad):
        b, out = ctx.saved_tensors
        base = ctx.base
        if base == 0:  # log 0 = -inf, but PyTorch takes the gradient as 0 where b >= 0
            return grad * where(b >= 0, 0.0, out * -math.inf)
        return grad * (out * (math.log(base) if base > 0 else math.nan))


def add(input, other, *, alpha=1):
    a, b = _operands(input, other)
    return _apply(Add, a, b, alpha=alpha)


def sub(input, other, *, alpha=1):
    if _is_bool(input) or _is_bool(other):
        raise RuntimeError(_BOOL_SUB)
    a, b = _operands(input, other)
    return _apply(Sub, a, b, alpha=alpha)


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    input, other = _arg(input), _arg(other)
    if _is_bool(input) or _is_bool(other):
        raise RuntimeError(_BOOL_SUB)
    a, b = promote(input, other)
    if isinstance(b, _f.Tensor):
        return _apply(Rsub, a, b, alpha=alpha)
    return RsubScalar.apply(a, alpha=alpha, other=b)


def mul(input, other):
    a, b = _operands(input, other)
    return _apply(Mul, a, b)


def div(input, other, *, rounding_mode=None):
    if rounding_mode is None:
        a, b = _operands(input, other, floating=True)
        return _apply(Div, a, b)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' "
            f"but found '{rounding_mode}'"
        )
    a, b = _operands(input, other)
    return _apply(DivRounding, a, b, rounding_mode=rounding_mode)


def true_divide(input, other):
    return div(input, other)


def floor_divide(input, other):
    a, b = _operands(input, other)
    return _apply(FloorDivide, a, b)


def remainder(input, other):
    a, b = _operands(input, other)
    if not isinstance(a, _f.Tensor):  # `2 % x`: unlike PyTorch (no formula) we differentiate
        from ..creation import tensor

        a = tensor(a, dtype=b.dtype, device=b.device)
    if isinstance(b, _f.Tensor):
        return _apply(RemainderTensor, a, b)
    return Remainder.apply(a, other=b)


def fmod(input, other):
    a, b = _operands(input, other)
    if isinstance(b, _f.Tensor):
        return _apply(FmodTensor, a, b)
    return Fmod.apply(a, other=b)


def neg(input):
    if input._data.dtype.kind == "b":
        raise RuntimeError(_BOOL_NEG)
    return Neg.apply(input)


def positive(input):
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def pow(input, exponent):  # noqa: A001 - PyTorch's name
    a, b = _operands(input, exponent)
    if not isinstance(a, _f.Tensor):
        return PowScalarBase.apply(b, base=a)
    if not isinstance(b, _f.Tensor):
        if a._data.dtype.kind in "iu" and b.__class__ is int and b < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return Pow.apply(a, exponent=b)
    try:
        return _apply(PowTensor, a, b)
    except ValueError as e:  # NumPy refuses negative integer exponents of integer arrays
        raise RuntimeError(str(e)) from None


def square(input):
    return pow(input, 2)


subtract, multiply, divide, negative = sub, mul, div, neg


# ----- unary maths -------------------------------------------------------------------------


class Abs(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _xp(a).abs(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * sign(a)


class Sign(Op):
    @staticmethod
    def forward(ctx, a):
        if a.dtype.kind == "b":
            return a.copy()
        # not xp.sign: PyTorch's sign(nan) is 0
        return (a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)

    @staticmethod
    def backward(ctx, grad):
        return _zeros(grad)


class Exp(Op):
    array_backward = True

    @staticmethod
    def forward(ctx, a):
        out = _xp(a).exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Exp2(Op):
    @staticmethod
    def forward(ctx, a):
        out = _xp(a).exp2(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out * math.log(2.0))


class Expm1(Op):
    @staticmethod
    def forward(ctx, a):
        out = _xp(a).expm1(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out + 1)


class Log(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _xp(a).log(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / a


class Log2(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _xp(a).log2(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (a * math.log(2.0))


class Log10(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _xp(a).log10(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (a * math.log(10.0))


@_grad_fn_name("Log1PBackward0")
class Log1p(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _xp(a).log1p(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (a + 1)


class Sqrt(Op):
    array_backward = True

    @staticmethod
    def forward(ctx, a):
        out = _xp(a).sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad / (2 * out)


class Rsqrt(Op):
    @staticmethod
    def forward(ctx, a):
        out = 1 / _xp(a).sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return -0.5 * grad * out**3


class Reciprocal(Op):
    @staticmethod
    def forward(ctx, a):
        out = 1 / a
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return -grad * (out * out)


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


class Tan(Op):
    @staticmethod
    def forward(ctx, a):
        out = _xp(a).tan(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 + out * out)


class Asin(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _xp(a).arcsin(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * rsqrt(1 - a * a)


class Acos(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _xp(a).arccos(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * -rsqrt(1 - a * a)


class Atan(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _xp(a).arctan(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (a * a + 1)


class Sinh(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _xp(a).sinh(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * cosh(a)


class Cosh(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _xp(a).cosh(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * sinh(a)


class Tanh(Op):
    array_backward = True

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
    array_backward = True

    @staticmethod
    def forward(ctx, a):
        xp = _xp(a)
        # exp of a non-positive number only, so that nothing overflows
        e = xp.exp(-xp.abs(a))
        out = xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 - out) * out


class Relu(Op):
    array_backward = True

    @staticmethod
    def forward(ctx, a):
        if a.__class__ is np.ndarray:
            out = np.maximum(a, _ZERO[a.dtype])
        else:
            out = _xp(a).maximum(a, 0).astype(a.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        # PyTorch's threshold_backward: zero where out <= 0 (relu'(0) = 0), and the gradient
        # passes where out is nan
        if grad.__class__ is np.ndarray and out.__class__ is np.ndarray and grad.shape == out.shape:
            if grad.size <= 4096:  # small: where's two passes beat the bit trick's four calls
                zero = _ZERO[grad.dtype]
                return np.where(np.less_equal(out, zero), zero, grad)
            if grad.dtype.itemsize in _BITS:  # no negated mask: one pass fewer than select
                return _clear_bits_where(out <= 0, grad, True)
        return select(~(out <= 0), grad, 0.0)


class _Rounding(Op):
    """floor, ceil, round, trunc: the gradient is zero (PyTorch's zeros_like(grad))."""

    fn = None

    @classmethod
    def forward(cls, ctx, a):
        if a.dtype.kind in "iu":
            return a.copy()  # already whole; NumPy would hand back floats
        return getattr(_xp(a), cls.fn)(a)

    @staticmethod
    def backward(ctx, grad):
        return _zeros(grad)


class Floor(_Rounding):
    fn = "floor"


class Ceil(_Rounding):
    fn = "ceil"


class Round(_Rounding):
    fn = "rint"  # half to even, as PyTorch


class Trunc(_Rounding):
    fn = "trunc"


@_grad_fn_name("RoundBackward1")
class RoundDecimals(Op):
    @staticmethod
    def forward(ctx, a, decimals=0):
        if a.dtype.kind in "iu":
            return a.copy()
        return _xp(a).round(a, decimals)

    @staticmethod
    def backward(ctx, grad):
        return _zeros(grad)


class Frac(Op):
    @staticmethod
    def forward(ctx, a):
        return a - _xp(a).trunc(a)

    @staticmethod
    def backward(ctx, grad):
        return grad


def _unary(op, name):
    """The functional form of a unary float op: integer inputs compute in the default dtype."""

    def fn(input):
        return op.apply(_floating(input))

    fn.__name__ = fn.__qualname__ = name
    return fn


exp = _unary(Exp, "exp")
exp2 = _unary(Exp2, "exp2")
expm1 = _unary(Expm1, "expm1")
log = _unary(Log, "log")
log2 = _unary(Log2, "log2")
log10 = _unary(Log10, "log10")
log1p = _unary(Log1p, "log1p")
sqrt = _unary(Sqrt, "sqrt")
rsqrt = _unary(Rsqrt, "rsqrt")
reciprocal = _unary(Reciprocal, "reciprocal")
sin = _unary(Sin, "sin")
cos = _unary(Cos, "cos")
tan = _unary(Tan, "tan")
asin = _unary(Asin, "asin")
acos = _unary(Acos, "acos")
atan = _unary(Atan, "atan")
sinh = _unary(Sinh, "sinh")
cosh = _unary(Cosh, "cosh")
tanh = _unary(Tanh, "tanh")
sigmoid = _unary(Sigmoid, "sigmoid")
arcsin, arccos, arctan = asin, acos, atan


def abs(input):  # noqa: A001 - PyTorch's name
    _no_bool(input, "abs")
    return Abs.apply(input)


absolute = abs


def sign(input):
    return Sign.apply(input)


def relu(input):
    if input._data.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    return apply_unary(Relu, input)


def floor(input):
    _no_bool(input, "floor")
    return Floor.apply(input)


def ceil(input):
    _no_bool(input, "ceil")
    return Ceil.apply(input)


def round(input, *, decimals=0):  # noqa: A001 - PyTorch's name
    _no_bool(input, "round")
    if decimals:
        return RoundDecimals.apply(input, decimals=decimals)
    return Round.apply(input)


def trunc(input):
    _no_bool(input, "trunc")
    return Trunc.apply(input)


fix = trunc


def frac(input):
    if input._data.dtype.kind != "f":
        raise _not_implemented("frac", input)
    return Frac.apply(input)


# ----- clamp, maximum, minimum, where --------------------------------------------------------


@_grad_fn_name("ClampBackward1")
class Clamp(Op):
    """clamp with scalar bounds; the gradient passes where min <= x <= max."""

    @staticmethod
    def forward(ctx, a, min=None, max=None):  # noqa: A002 - PyTorch's names
        ctx.save_for_backward(a)
        ctx.min, ctx.max = min, max
        xp = _xp(a)
        out = a if min is None else xp.maximum(a, min)
        return out if max is None else xp.minimum(out, max)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        lo, hi = ctx.min, ctx.max
        if lo is None:
            mask = a <= hi
        elif hi is None:
            mask = a >= lo
        else:
            mask = (a >= lo) & (a <= hi)
        return where(mask, grad, 0.0)


@_grad_fn_name("ClampBackward0")
class ClampTensor(Op):
    """clamp with tensor bounds (either may be None); ties and min > max follow PyTorch."""

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a, lo, hi)
        xp = _xp(a)
        out = a if lo is None else xp.maximum(a, lo)
        return out if hi is None else xp.minimum(out, hi)

    @staticmethod
    def backward(ctx, grad):
        a, lo, hi = ctx.saved_tensors
        ga, glo, ghi = ctx.needs_input_grad
        if hi is None:
            return (
                where(a >= lo, grad, 0.0) if ga else None,
                where(a < lo, grad, 0.0) if glo else None,
                None,
            )
        if lo is None:
            return (
                where(a <= hi, grad, 0.0) if ga else None,
                None,
                where(a > hi, grad, 0.0) if ghi else None,
            )
        # with min > max the result is max everywhere, so max takes the whole gradient
        return (
            where((a >= lo) & (a <= hi), grad, 0.0) if ga else None,
            where((a < lo) & (lo < hi), grad, 0.0) if glo else None,
            where((a > hi) | (hi < lo), grad, 0.0) if ghi else None,
        )


@_grad_fn_name("ClampMinBackward0")
class ClampMin(Op):
    @staticmethod
    def forward(ctx, a, min=None):  # noqa: A002
        ctx.save_for_backward(a)
        ctx.min = min
        return _xp(a).maximum(a, min)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return where(a >= ctx.min, grad, 0.0)


@_grad_fn_name("ClampMinBackward1")
class ClampMinTensor(Op):
    @staticmethod
    def forward(ctx, a, lo):
        ctx.save_for_backward(a, lo)
        return _xp(a).maximum(a, lo)

    @staticmethod
    def backward(ctx, grad):
        a, lo = ctx.saved_tensors
        ga, glo = ctx.needs_input_grad
        return (
            where(a >= lo, grad, 0.0) if ga else None,
            where(a < lo, grad, 0.0) if glo else None,
        )


@_grad_fn_name("ClampMaxBackward0")
class ClampMax(Op):
    @staticmethod
    def forward(ctx, a, max=None):  # noqa: A002
        ctx.save_for_backward(a)
        ctx.max = max
        return _xp(a).minimum(a, max)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return where(a <= ctx.max, grad, 0.0)


@_grad_fn_name("ClampMaxBackward1")
class ClampMaxTensor(Op):
    @staticmethod
    def forward(ctx, a, hi):
        ctx.save_for_backward(a, hi)
        return _xp(a).minimum(a, hi)

    @staticmethod
    def backward(ctx, grad):
        a, hi = ctx.saved_tensors
        ga, ghi = ctx.needs_input_grad
        return (
            where(a <= hi, grad, 0.0) if ga else None,
            where(a > hi, grad, 0.0) if ghi else None,
        )


def _cast_all(dt, *xs):
    return tuple(x.to(dt) if isinstance(x, _f.Tensor) and x.dtype is not dt else x for x in xs)


def clamp(input, min=None, max=None):  # noqa: A002 - PyTorch's names
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    lo, hi = (None if m is None else _arg(m) for m in (min, max))
    dt = _dt.result_type(input, *(m for m in (lo, hi) if m is not None))
    a, lo, hi = _cast_all(dt, input, lo, hi)
    if isinstance(lo, _f.Tensor) or isinstance(hi, _f.Tensor):
        return _apply(ClampTensor, a, lo, hi)
    return Clamp.apply(a, min=lo, max=hi)


clip = clamp


def clamp_min(input, min):  # noqa: A002
    a, lo = promote(input, _arg(min))
    if isinstance(lo, _f.Tensor):
        return _apply(ClampMinTensor, a, lo)
    return ClampMin.apply(a, min=lo)


def clamp_max(input, max):  # noqa: A002
    a, hi = promote(input, _arg(max))
    if isinstance(hi, _f.Tensor):
        return _apply(ClampMaxTensor, a, hi)
    return ClampMax.apply(a, max=hi)


class Maximum(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _xp(a).maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        shared = where(a == b, grad / 2, grad)  # ties split the gradient, as in PyTorch
        return (
            where(a < b, 0.0, shared) if ga else None,
            where(a > b, 0.0, shared) if gb else None,
        )


class Minimum(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _xp(a).minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        shared = where(a == b, grad / 2, grad)
        return (
            where(a > b, 0.0, shared) if ga else None,
            where(a < b, 0.0, shared) if gb else None,
        )


def _tensor_arg(fn, x, pos, name):
    if not isinstance(x, _f.Tensor):
        raise TypeError(
            f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not {type(x).__name__}"
        )
    return x


def maximum(input, other):
    a, b = promote(
        _tensor_arg("maximum", input, 1, "input"), _tensor_arg("maximum", other, 2, "other")
    )
    return _apply(Maximum, a, b)


def minimum(input, other):
    a, b = promote(
        _tensor_arg("minimum", input, 1, "input"), _tensor_arg("minimum", other, 2, "other")
    )
    return _apply(Minimum, a, b)


class Where(Op):
    """The condition is an option, not an operand: PyTorch gives it no next_functions entry."""

    @staticmethod
    def forward(ctx, a, b, condition=None):
        ctx.save_for_backward(condition)
        return _xp(condition).where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        (cond,) = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        c = cond._data
        return (
            Where.apply(grad, 0.0, condition=c) if ga else None,
            Where.apply(0.0, grad, condition=c) if gb else None,
        )


def where(condition, input=None, other=None):
    if input is None and other is None:  # where(cond) is nonzero(cond, as_tuple=True)
        xp = condition._xp
        return tuple(
            _f.Tensor._make(i.astype(np.int64, copy=False)) for i in xp.nonzero(condition._data)
        )
    if condition._data.dtype.kind != "b":
        raise RuntimeError(
            "where expected condition to be a boolean tensor, but got a tensor "
            f"with dtype {_TYPE_NAMES[condition._data.dtype.name]}"
        )
    a, b = _operands(input, other)
    if not isinstance(a, _f.Tensor) and not isinstance(b, _f.Tensor):
        from ..creation import tensor

        a = tensor(a, dtype=_dt.result_type(a, b), device=condition.device)
    try:
        return Where.apply(a, b, condition=condition._data)
    except ValueError:
        err = _broadcast_error(condition, *(x for x in (a, b) if isinstance(x, _f.Tensor)))
        if err is not None:
            raise err from None
        raise


# ----- fill, zero, copy (the in-place writers) -----------------------------------------------


@_grad_fn_name("FillBackward0")
class Fill(Op):
    @staticmethod
    def forward(ctx, a, value=0):
        return _xp(a).full_like(a, value)

    @staticmethod
    def backward(ctx, grad):
        return _zeros(grad)


@_grad_fn_name("FillBackward3")
class FillTensor(Op):
    @staticmethod
    def forward(ctx, a, value):
        return _xp(a).full_like(a, value)

    @staticmethod
    def backward(ctx, grad):
        ga, gv = ctx.needs_input_grad
        return (_zeros(grad) if ga else None), (grad.sum() if gv else None)


@_grad_fn_name("FillBackward2")
class FillInplace(Fill):
    pass


class Zero(Op):
    @staticmethod
    def forward(ctx, a):
        return _xp(a).zeros_like(a)

    @staticmethod
    def backward(ctx, grad):
        return _zeros(grad)


@_grad_fn_name("CopyBackwards")
class Copy(Op):
    """dst.copy_(src): src broadcast to dst's shape and cast to its dtype (and device)."""

    @staticmethod
    def forward(ctx, dst, src):
        from ..device import device_of_array, to_device_array

        ctx.src_device = device_of_array(src)
        if ctx.src_device != device_of_array(dst):
            src = to_device_array(src, device_of_array(dst))
        return _xp(dst).broadcast_to(src, dst.shape).astype(dst.dtype)

    @staticmethod
    def backward(ctx, grad):
        gd, gs = ctx.needs_input_grad
        gsrc = None
        if gs:
            gsrc = grad if grad.device == ctx.src_device else grad.to(ctx.src_device)
        return (_zeros(grad) if gd else None), gsrc


# PyTorch's copy_ node is a C++ class: its type is CopyBackwards, its name() the qualified name
Copy._backward_cls.name = lambda self: "torch::autograd::CopyBackwards"


def _fill_value(value, fn="fill_"):
    if isinstance(value, _f.Tensor) and value.ndim:
        raise RuntimeError(
            f"{fn} only supports 0-dimension value tensor but got tensor with "
            f"{value.ndim} dimensions."
        )
    return value


def fill(input, value):
    value = _fill_value(_arg(value), "fill")
    if isinstance(value, _f.Tensor):
        return FillTensor.apply(input, value.to(input.dtype))
    return Fill.apply(input, value=value)


def _fill_inplace(input, value):
    value = _fill_value(_arg(value))
    if isinstance(value, _f.Tensor):
        return FillTensor.apply(input, value.to(input.dtype))
    return FillInplace.apply(input, value=value)


def _copy(dst, src):
    src = _arg(src)
    if not isinstance(src, _f.Tensor):
        from ..creation import tensor

        src = tensor(src, dtype=dst.dtype, device=dst.device)
    err = _broadcast_error(dst, src)
    if err is not None:
        raise err
    shape = np.broadcast_shapes(dst.shape, src.shape)
    if shape != dst.shape:
        raise RuntimeError(
            f"output with shape {list(dst.shape)} doesn't match the broadcast shape {list(shape)}"
        )
    return Copy.apply(dst, src)


# ----- comparisons, logical and bitwise ops (no gradient) ------------------------------------


class _NoGrad(Op):
    differentiable = False


class Eq(_NoGrad):
    forward = staticmethod(lambda ctx, a, b: a == b)


class Ne(_NoGrad):
    forward = staticmethod(lambda ctx, a, b: a != b)


class Lt(_NoGrad):
    forward = staticmethod(lambda ctx, a, b: a < b)


class Le(_NoGrad):
    forward = staticmethod(lambda ctx, a, b: a <= b)


class Gt(_NoGrad):
    forward = staticmethod(lambda ctx, a, b: a > b)


class Ge(_NoGrad):
    forward = staticmethod(lambda ctx, a, b: a >= b)


class LogicalAnd(_NoGrad):
    forward = staticmethod(lambda ctx, a, b: _xp(a).logical_and(a, b))


class LogicalOr(_NoGrad):
    forward = staticmethod(lambda ctx, a, b: _xp(a).logical_or(a, b))


class LogicalXor(_NoGrad):
    forward = staticmethod(lambda ctx, a, b: _xp(a).logical_xor(a, b))


class LogicalNot(_NoGrad):
    forward = staticmethod(lambda ctx, a: _xp(a).logical_not(a))


class BitwiseAnd(_NoGrad):
    forward = staticmethod(lambda ctx, a, b: a & b)


class BitwiseOr(_NoGrad):
    forward = staticmethod(lambda ctx, a, b: a | b)


class BitwiseXor(_NoGrad):
    forward = staticmethod(lambda ctx, a, b: a ^ b)


class BitwiseNot(_NoGrad):
    forward = staticmethod(lambda ctx, a: ~a)


class Isnan(_NoGrad):
    forward = staticmethod(lambda ctx, a: _xp(a).isnan(a))


class Isinf(_NoGrad):
    forward = staticmethod(lambda ctx, a: _xp(a).isinf(a))


class Isfinite(_NoGrad):
    forward = staticmethod(lambda ctx, a: _xp(a).isfinite(a))


def _compare(op, input, other):
    a, b = _operands(input, other)
    return _apply(op, a, b)


def eq(input, other):
    return _compare(Eq, input, other)


def ne(input, other):
    return _compare(Ne, input, other)


def lt(input, other):
    return _compare(Lt, input, other)


def le(input, other):
    return _compare(Le, input, other)


def gt(input, other):
    return _compare(Gt, input, other)


def ge(input, other):
    return _compare(Ge, input, other)


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _logical(op, input, other):
    a, b = _arg(input), _arg(other)
    if not isinstance(a, _f.Tensor):  # only the functional form can get here with a scalar
        a, b = b, a
    return _apply(op, a, b)


def logical_and(input, other):
    return _logical(LogicalAnd, input, other)


def logical_or(input, other):
    return _logical(LogicalOr, input, other)


def logical_xor(input, other):
    return _logical(LogicalXor, input, other)


def logical_not(input):
    return LogicalNot.apply(input)


def _bitwise(op, name, input, other):
    a, b = _operands(input, other)
    for x in (a, b):
        if isinstance(x, _f.Tensor) and x._data.dtype.kind == "f":
            raise _not_implemented(name, x)
        if isinstance(x, float):
            raise RuntimeError(f"{name} expects integral or boolean arguments, got a float")
    return _apply(op, a, b)


def bitwise_and(input, other):
    return _bitwise(BitwiseAnd, "bitwise_and", input, other)


def bitwise_or(input, other):
    return _bitwise(BitwiseOr, "bitwise_or", input, other)


def bitwise_xor(input, other):
    return _bitwise(BitwiseXor, "bitwise_xor", input, other)


def bitwise_not(input):
    if input._data.dtype.kind == "f":
        raise _not_implemented("bitwise_not", input)
    return BitwiseNot.apply(input)


def isnan(input):
    return Isnan.apply(input)


def isinf(input):
    return Isinf.apply(input)


def isfinite(input):
    return Isfinite.apply(input)


# ----- Tensor methods and operators ------------------------------------------------------------


class _Via:
    """Lets Tensor._inplace run a functional form, with its dtype promotion, like an Op."""

    __slots__ = ("apply",)

    def __init__(self, fn):
        self.apply = fn


def _inplace_of(fn, name=None):
    """The in-place method of a functional form: computed out of place, written back."""
    via = _Via(fn)

    def method(self, *args, **kwargs):
        return self._inplace(via, *args, **kwargs)

    method.__name__ = method.__qualname__ = name or fn.__name__ + "_"
    return method


def _binary_operator(fn, reflected=False):
    """A Python operator: NotImplemented for operands we can't take, so Python says TypeError."""

    def op(self, other):
        oc = other.__class__
        if oc is not float and oc is not int and not isinstance(other, _f.Tensor):
            other = _operand(other)
            if other is None:
                return NotImplemented
        return fn(other, self) if reflected else fn(self, other)

    return op


def _fast_operator(op, fn, floating=False, reflected=False):
    """The hot arithmetic operators. Operands of one dtype, or a float tensor with a Python
    number, go straight to `op`; everything else takes `fn`'s general path (promotion,
    NotImplemented, PyTorch's error wording)."""
    general = _binary_operator(fn, reflected)

    def dunder(self, other):
        d = self._data.dtype
        if isinstance(other, ElementwiseMethods):
            if other._data.dtype is d and (not floating or d.kind == "f"):
                a, b = (other, self) if reflected else (self, other)
                try:
                    # two tensors, one of them needing grad: record directly, the hot case
                    if (a._requires_grad or b._requires_grad) and _enabled_var.get():
                        if _observers:
                            return _observed_binary(op, a, b)
                        return _record_binary(op, a, b, True, True)
                    return apply_binary(op, a, b)
                except ValueError:
                    pass  # shapes that don't broadcast: the general path words the error
        elif (other.__class__ is float or other.__class__ is int) and d.kind == "f":
            return apply_binary(op, other, self) if reflected else apply_binary(op, self, other)
        return general(self, other)

    return dunder


_pow_general = _binary_operator(pow)


def _pow_operator(self, other):
    """`t ** 2` and the like on a float tensor: straight to Pow, the squared error's case."""
    if (other.__class__ is int or other.__class__ is float) and self._data.dtype.kind == "f":
        return apply_unary(Pow, self, {"exponent": other})
    return _pow_general(self, other)


def select(condition, input, other):
    """`where` for backward formulas: Tensors normally, raw arrays in an array-mode backward."""
    if isinstance(condition, _f.Tensor):
        return where(condition, input, other)
    if (
        other.__class__ in (int, float)
        and other == 0
        and input.__class__ is np.ndarray
        and condition.__class__ is np.ndarray
        and input.shape == condition.shape
        and input.dtype.itemsize in _BITS
    ):
        return _clear_bits_where(condition, input, False)
    return _xp(condition).where(condition, input, other)


def _clear_bits_where(flags, x, clear_if):
    """`x` with exact zeros where `flags` (a bool array of x's shape) equals `clear_if`.

    NumPy's where on an unpredictable mask is ~10x slower than clearing the bits of the
    masked elements (which also gives an exact 0 where `x` is nan or inf).
    """
    ints = _BITS[x.dtype.itemsize]
    mask = flags.view(np.uint8).astype(ints)
    if clear_if:
        mask -= 1  # 1 -> no bits kept, 0 -> all bits
    else:
        np.negative(mask, out=mask)  # 1 -> all bits kept, 0 -> none
    mask &= x.view(ints)
    return mask.view(x.dtype)


_BITS = {2: np.int16, 4: np.int32, 8: np.int64}


def _rtruediv(self, other):
    return mul(reciprocal(self), other)  # PyTorch's __rtruediv__: MulBackward0 of a reciprocal


class ElementwiseMethods:
    """Tensor methods and operators of this family."""

    __slots__ = ()

    # The functional forms take the tensor first, so most serve as methods as they are.
    add = add
    sub = sub
    subtract = subtract
    mul = mul
    multiply = multiply
    div = div
    divide = divide
    true_divide = true_divide
    floor_divide = floor_divide
    remainder = remainder
    fmod = fmod
    neg = neg
    negative = negative
    positive = positive
    pow = pow
    square = square
    reciprocal = reciprocal
    abs = abs
    absolute = absolute
    exp = exp
    exp2 = exp2
    expm1 = expm1
    log = log
    log2 = log2
    log10 = log10
    log1p = log1p
    sqrt = sqrt
    rsqrt = rsqrt
    sin = sin
    cos = cos
    tan = tan
    asin = asin
    acos = acos
    atan = atan
    arcsin = arcsin
    arccos = arccos
    arctan = arctan
    sinh = sinh
    cosh = cosh
    tanh = tanh
    sigmoid = sigmoid
    relu = relu
    sign = sign
    floor = floor
    ceil = ceil
    round = round
    trunc = trunc
    fix = fix
    frac = frac
    clamp = clamp
    clip = clip
    clamp_min = clamp_min
    clamp_max = clamp_max
    maximum = maximum
    minimum = minimum
    eq = eq
    ne = ne
    lt = lt
    le = le
    gt = gt
    ge = ge
    greater = greater
    greater_equal = greater_equal
    less = less
    less_equal = less_equal
    not_equal = not_equal
    logical_and = logical_and
    logical_or = logical_or
    logical_xor = logical_xor
    logical_not = logical_not
    bitwise_and = bitwise_and
    bitwise_or = bitwise_or
    bitwise_xor = bitwise_xor
    bitwise_not = bitwise_not
    isnan = isnan
    isinf = isinf
    isfinite = isfinite

    def where(self, condition, other):
        return where(condition, self, other)

    # operators
    __add__ = _fast_operator(Add, add)
    __radd__ = _fast_operator(Add, add, reflected=True)
    __sub__ = _fast_operator(Sub, sub)
    __rsub__ = _binary_operator(rsub)
    __mul__ = _fast_operator(Mul, mul)
    __rmul__ = _fast_operator(Mul, mul, reflected=True)
    __truediv__ = _fast_operator(Div, div, floating=True)
    __rtruediv__ = _binary_operator(_rtruediv)
    __floordiv__ = _binary_operator(floor_divide)
    __rfloordiv__ = _binary_operator(floor_divide, reflected=True)
    __mod__ = _binary_operator(remainder)
    __rmod__ = _binary_operator(remainder, reflected=True)
    __pow__ = _pow_operator
    __rpow__ = _binary_operator(pow, reflected=True)
    __and__ = _binary_operator(bitwise_and)
    __rand__ = _binary_operator(bitwise_and, reflected=True)
    __or__ = _binary_operator(bitwise_or)
    __ror__ = _binary_operator(bitwise_or, reflected=True)
    __xor__ = _binary_operator(bitwise_xor)
    __rxor__ = _binary_operator(bitwise_xor, reflected=True)
    __eq__ = _binary_operator(eq)  # NotImplemented makes `t == None` False, as in PyTorch
    __ne__ = _binary_operator(ne)
    __lt__ = _binary_operator(lt)
    __le__ = _binary_operator(le)
    __gt__ = _binary_operator(gt)
    __ge__ = _binary_operator(ge)
    __neg__ = neg
    __pos__ = positive
    __abs__ = abs

    def __invert__(self):
        if self._data.dtype.kind == "f":
            raise TypeError(
                "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
            )
        return BitwiseNot.apply(self)

    # in-place variants: the functional form runs out of place, Tensor._inplace writes it back
    add_ = _inplace_of(add)
    sub_ = _inplace_of(sub)
    subtract_ = _inplace_of(sub, "subtract_")
    mul_ = _inplace_of(mul)
    multiply_ = _inplace_of(mul, "multiply_")
    div_ = _inplace_of(div)
    divide_ = _inplace_of(div, "divide_")
    true_divide_ = _inplace_of(true_divide)
    floor_divide_ = _inplace_of(floor_divide)
    remainder_ = _inplace_of(remainder)
    fmod_ = _inplace_of(fmod)
    pow_ = _inplace_of(pow)
    neg_ = _inplace_of(neg)
    negative_ = _inplace_of(neg, "negative_")
    square_ = _inplace_of(square)
    reciprocal_ = _inplace_of(reciprocal)
    abs_ = _inplace_of(abs)
    absolute_ = _inplace_of(abs, "absolute_")
    exp_ = _inplace_of(exp)
    exp2_ = _inplace_of(exp2)
    expm1_ = _inplace_of(expm1)
    log_ = _inplace_of(log)
    log2_ = _inplace_of(log2)
    log10_ = _inplace_of(log10)
    log1p_ = _inplace_of(log1p)
    sqrt_ = _inplace_of(sqrt)
    rsqrt_ = _inplace_of(rsqrt)
    sin_ = _inplace_of(sin)
    cos_ = _inplace_of(cos)
    tan_ = _inplace_of(tan)
    asin_ = _inplace_of(asin)
    acos_ = _inplace_of(acos)
    atan_ = _inplace_of(atan)
    arcsin_ = _inplace_of(asin, "arcsin_")
    arccos_ = _inplace_of(acos, "arccos_")
    arctan_ = _inplace_of(atan, "arctan_")
    sinh_ = _inplace_of(sinh)
    cosh_ = _inplace_of(cosh)
    tanh_ = _inplace_of(tanh)
    sigmoid_ = _inplace_of(sigmoid)
    relu_ = _inplace_of(relu)
    sign_ = _inplace_of(sign)
    floor_ = _inplace_of(floor)
    ceil_ = _inplace_of(ceil)
    round_ = _inplace_of(round)
    trunc_ = _inplace_of(trunc)
    fix_ = _inplace_of(trunc, "fix_")
    frac_ = _inplace_of(frac)
    clamp_ = _inplace_of(clamp)
    clip_ = _inplace_of(clamp, "clip_")
    clamp_min_ = _inplace_of(clamp_min)
    clamp_max_ = _inplace_of(clamp_max)
    eq_ = _inplace_of(eq)
    ne_ = _inplace_of(ne)
    lt_ = _inplace_of(lt)
    le_ = _inplace_of(le)
    gt_ = _inplace_of(gt)
    ge_ = _inplace_of(ge)
    logical_and_ = _inplace_of(logical_and)
    logical_or_ = _inplace_of(logical_or)
    logical_xor_ = _inplace_of(logical_xor)
    logical_not_ = _inplace_of(logical_not)
    bitwise_and_ = _inplace_of(bitwise_and)
    bitwise_or_ = _inplace_of(bitwise_or)
    bitwise_xor_ = _inplace_of(bitwise_xor)
    bitwise_not_ = _inplace_of(bitwise_not)
    fill_ = _inplace_of(_fill_inplace, "fill_")
    zero_ = _inplace_of(Zero.apply, "zero_")

    def copy_(self, src, non_blocking=False):
        return self._inplace(_COPY, src)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_
    __ifloordiv__ = floor_divide_
    __imod__ = remainder_
    __ipow__ = pow_
    __iand__ = bitwise_and_
    __ior__ = bitwise_or_
    __ixor__ = bitwise_xor_


_COPY = _Via(_copy)

# torch.sin_(x) and friends: the in-place methods, called as functions
_M = ElementwiseMethods
abs_, absolute_, exp_, exp2_, expm1_ = _M.abs_, _M.absolute_, _M.exp_, _M.exp2_, _M.expm1_
log_, log2_, log10_, log1p_ = _M.log_, _M.log2_, _M.log10_, _M.log1p_
sqrt_, rsqrt_, reciprocal_, square_ = _M.sqrt_, _M.rsqrt_, _M.reciprocal_, _M.square_
sin_, cos_, tan_, asin_, acos_, atan_ = _M.sin_, _M.cos_, _M.tan_, _M.asin_, _M.acos_, _M.atan_
arcsin_, arccos_, arctan_ = _M.arcsin_, _M.arccos_, _M.arctan_
sinh_, cosh_, tanh_, sigmoid_, relu_ = _M.sinh_, _M.cosh_, _M.tanh_, _M.sigmoid_, _M.relu_
floor_, ceil_, round_, trunc_, fix_, frac_ = (
    _M.floor_,
    _M.ceil_,
    _M.round_,
    _M.trunc_,
    _M.fix_,
    _M.frac_,
)
neg_, negative_ = _M.neg_, _M.negative_
clamp_, clip_, clamp_min_, clamp_max_ = _M.clamp_, _M.clip_, _M.clamp_min_, _M.clamp_max_
fill_, zero_ = _M.fill_, _M.zero_
del _M
