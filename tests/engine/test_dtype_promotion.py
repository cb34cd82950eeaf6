"""Result dtypes of elementwise ops: PyTorch's type promotion, table by table.

Every table below was read off the reference PyTorch. Rows are the first operand, columns the
second; `i32[2]` is an int32 tensor of shape (2,), `f64[]` a 0-d float64 tensor, and anything
else (`2`, `2.5`, `True`) a Python scalar. `err` means PyTorch refuses the combination.
"""

import ast

import numpy as np
import pytest

import workbench.engine as torch

_DTYPES = {
    "b": torch.bool,
    "u8": torch.uint8,
    "i8": torch.int8,
    "i16": torch.int16,
    "i32": torch.int32,
    "i64": torch.int64,
    "f16": torch.float16,
    "f32": torch.float32,
    "f64": torch.float64,
}

# tensors with dims: PyTorch's promote_types lattice
ADD_TENSOR_TENSOR = """
          b[2]  u8[2]  i8[2] i16[2] i32[2] i64[2] f16[2] f32[2] f64[2]
b[2]         b     u8     i8    i16    i32    i64    f16    f32    f64
u8[2]       u8     u8    i16    i16    i32    i64    f16    f32    f64
i8[2]       i8    i16     i8    i16    i32    i64    f16    f32    f64
i16[2]     i16    i16    i16    i16    i32    i64    f16    f32    f64
i32[2]     i32    i32    i32    i32    i32    i64    f16    f32    f64
i64[2]     i64    i64    i64    i64    i64    i64    f16    f32    f64
f16[2]     f16    f16    f16    f16    f16    f16    f16    f32    f64
f32[2]     f32    f32    f32    f32    f32    f32    f32    f32    f64
f64[2]     f64    f64    f64    f64    f64    f64    f64    f64    f64
"""

# a 0-d tensor only counts when its category (bool < integer < float) is higher
ADD_TENSOR_ZERODIM = """
           b[]   u8[]   i8[]  i16[]  i32[]  i64[]  f16[]  f32[]  f64[]
b[2]         b     u8     i8    i16    i32    i64    f16    f32    f64
u8[2]       u8     u8     u8     u8     u8     u8    f16    f32    f64
i8[2]       i8     i8     i8     i8     i8     i8    f16    f32    f64
i16[2]     i16    i16    i16    i16    i16    i16    f16    f32    f64
i32[2]     i32    i32    i32    i32    i32    i32    f16    f32    f64
i64[2]     i64    i64    i64    i64    i64    i64    f16    f32    f64
f16[2]     f16    f16    f16    f16    f16    f16    f16    f16    f16
f32[2]     f32    f32    f32    f32    f32    f32    f32    f32    f32
f64[2]     f64    f64    f64    f64    f64    f64    f64    f64    f64
"""

# 0-d with 0-d: the lattice again
ADD_ZERODIM_ZERODIM = """
           b[]   u8[]   i8[]  i16[]  i32[]  i64[]  f16[]  f32[]  f64[]
b[]          b     u8     i8    i16    i32    i64    f16    f32    f64
u8[]        u8     u8    i16    i16    i32    i64    f16    f32    f64
i8[]        i8    i16     i8    i16    i32    i64    f16    f32    f64
i16[]      i16    i16    i16    i16    i32    i64    f16    f32    f64
i32[]      i32    i32    i32    i32    i32    i64    f16    f32    f64
i64[]      i64    i64    i64    i64    i64    i64    f16    f32    f64
f16[]      f16    f16    f16    f16    f16    f16    f16    f32    f64
f32[]      f32    f32    f32    f32    f32    f32    f32    f32    f64
f64[]      f64    f64    f64    f64    f64    f64    f64    f64    f64
"""

# Python scalars: only the category counts; a float scalar gives the default dtype
ADD_SCALAR = """
          True      2    2.5
b[2]         b    i64    f32
u8[2]       u8     u8    f32
i8[2]       i8     i8    f32
i16[2]     i16    i16    f32
i32[2]     i32    i32    f32
i64[2]     i64    i64    f32
f16[2]     f16    f16    f16
f32[2]     f32    f32    f32
f64[2]     f64    f64    f64
b[]          b    i64    f32
u8[]        u8     u8    f32
i8[]        i8     i8    f32
i16[]      i16    i16    f32
i32[]      i32    i32    f32
i64[]      i64    i64    f32
f16[]      f16    f16    f16
f32[]      f32    f32    f32
f64[]      f64    f64    f64
"""

# scalar + tensor (the reflected operator) promotes the same way
RADD_SCALAR = """
          True      2    2.5
b[2]         b    i64    f32
u8[2]       u8     u8    f32
i8[2]       i8     i8    f32
i16[2]     i16    i16    f32
i32[2]     i32    i32    f32
i64[2]     i64    i64    f32
f16[2]     f16    f16    f16
f32[2]     f32    f32    f32
f64[2]     f64    f64    f64
"""

# true division always gives a float
DIV = """
          b[2]  u8[2]  i8[2] i16[2] i32[2] i64[2]  i64[]      2    2.5
b[2]       f32    f32    f32    f32    f32    f32    f32    f32    f32
u8[2]      f32    f32    f32    f32    f32    f32    f32    f32    f32
i8[2]      f32    f32    f32    f32    f32    f32    f32    f32    f32
i16[2]     f32    f32    f32    f32    f32    f32    f32    f32    f32
i32[2]     f32    f32    f32    f32    f32    f32    f32    f32    f32
i64[2]     f32    f32    f32    f32    f32    f32    f32    f32    f32
f16[2]     f16    f16    f16    f16    f16    f16    f16    f16    f16
f32[2]     f32    f32    f32    f32    f32    f32    f32    f32    f32
f64[2]     f64    f64    f64    f64    f64    f64    f64    f64    f64
"""

# tensor ** exponent
POW = """
             2    0.5 i64[2] f32[2]  f64[]
u8[2]       u8    f32    i64    f32    f64
i8[2]       i8    f32    i64    f32    f64
i16[2]     i16    f32    i64    f32    f64
i32[2]     i32    f32    i64    f32    f64
i64[2]     i64    f32    i64    f32    f64
f16[2]     f16    f16    f16    f32    f16
f32[2]     f32    f32    f32    f32    f32
f64[2]     f64    f64    f64    f64    f64
"""

# scalar ** tensor
RPOW = """
             2    2.5
u8[2]       u8    f32
i8[2]       i8    f32
i16[2]     i16    f32
i32[2]     i32    f32
i64[2]     i64    f32
f16[2]     f16    f16
f32[2]     f32    f32
f64[2]     f64    f64
"""

# maximum promotes like arithmetic
MAXIMUM = """
        i64[2] f16[2]  f64[]  i32[]
u8[2]      i64    f16    f64     u8
i8[2]      i64    f16    f64     i8
i16[2]     i64    f16    f64    i16
i32[2]     i64    f16    f64    i32
i64[2]     i64    f16    f64    i64
f16[2]     f16    f16    f16    f16
f32[2]     f32    f32    f32    f32
f64[2]     f64    f64    f64    f64
"""

# where(cond, input, other)
WHERE = """
        i64[2] f16[2]  f64[]      1    1.5  False
b[2]       i64    f16    f64    i64    f32      b
u8[2]      i64    f16    f64     u8    f32     u8
i8[2]      i64    f16    f64     i8    f32     i8
i16[2]     i64    f16    f64    i16    f32    i16
i32[2]     i64    f16    f64    i32    f32    i32
i64[2]     i64    f16    f64    i64    f32    i64
f16[2]     f16    f16    f16    f16    f16    f16
f32[2]     f32    f32    f32    f32    f32    f32
f64[2]     f64    f64    f64    f64    f64    f64
1          i64    f16    f64    i64    f32    i64
1.0        f32    f16    f64    f32    f32    f32
True       i64    f16    f64    i64    f32      b
"""

# remainder
REMAINDER = """
        i64[2]      2    1.5
u8[2]      i64     u8    f32
i8[2]      i64     i8    f32
i16[2]     i64    i16    f32
i32[2]     i64    i32    f32
i64[2]     i64    i64    f32
f16[2]     f16    f16    f16
f32[2]     f32    f32    f32
f64[2]     f64    f64    f64
"""

# clamp(input, min): the bound takes part in promotion
CLAMP = """
             0    0.5  f64[] f32[2]
u8[2]       u8    f32    f64    f32
i8[2]       i8    f32    f64    f32
i16[2]     i16    f32    f64    f32
i32[2]     i32    f32    f64    f32
i64[2]     i64    f32    f64    f32
f16[2]     f16    f16    f16    f32
f32[2]     f32    f32    f32    f32
f64[2]     f64    f64    f64    f64
"""

# comparisons give bool whatever they compare
COMPARE = """
        i64[2]  f64[]    1.5
b[2]         b      b      b
u8[2]        b      b      b
i8[2]        b      b      b
i16[2]       b      b      b
i32[2]       b      b      b
i64[2]       b      b      b
f16[2]       b      b      b
f32[2]       b      b      b
f64[2]       b      b      b
"""

# unary ops on an input of each dtype (integer inputs to float maths compute in float32)
UNARY = """
               b[2]  u8[2]  i8[2] i16[2] i32[2] i64[2] f16[2] f32[2] f64[2]
sin             f32    f32    f32    f32    f32    f32    f16    f32    f64
exp             f32    f32    f32    f32    f32    f32    f16    f32    f64
sqrt            f32    f32    f32    f32    f32    f32    f16    f32    f64
log1p           f32    f32    f32    f32    f32    f32    f16    f32    f64
tanh            f32    f32    f32    f32    f32    f32    f16    f32    f64
sigmoid         f32    f32    f32    f32    f32    f32    f16    f32    f64
reciprocal      f32    f32    f32    f32    f32    f32    f16    f32    f64
rsqrt           f32    f32    f32    f32    f32    f32    f16    f32    f64
abs             err     u8     i8    i16    i32    i64    f16    f32    f64
neg             err     u8     i8    i16    i32    i64    f16    f32    f64
relu            err     u8     i8    i16    i32    i64    f16    f32    f64
sign              b     u8     i8    i16    i32    i64    f16    f32    f64
floor           err     u8     i8    i16    i32    i64    f16    f32    f64
round           err     u8     i8    i16    i32    i64    f16    f32    f64
square          i64     u8     i8    i16    i32    i64    f16    f32    f64
isnan             b      b      b      b      b      b      b      b      b
logical_not       b      b      b      b      b      b      b      b      b
"""


def _operand(token):
    if token.endswith("]"):
        name, dims = token[:-1].split("[")
        shape = (int(dims),) if dims else ()
        return torch.ones(shape, dtype=_DTYPES[name])
    return ast.literal_eval(token)


def _cases(table):
    lines = table.strip("\n").splitlines()
    cols = lines[0].split()
    for line in lines[1:]:
        row, *cells = line.split()
        for col, want in zip(cols, cells, strict=True):
            yield row, col, want


def _check(fn, *tokens, want):
    args = [_operand(t) for t in tokens]
    if want == "err":
        with pytest.raises((RuntimeError, NotImplementedError)):
            fn(*args)
    else:
        assert fn(*args).dtype is _DTYPES[want]


_COND = torch.tensor([True, False])

BINARY = {
    "add": (torch.add, [ADD_TENSOR_TENSOR, ADD_TENSOR_ZERODIM, ADD_ZERODIM_ZERODIM, ADD_SCALAR]),
    "radd": (lambda a, b: b + a, [RADD_SCALAR]),
    "div": (torch.div, [DIV]),
    "pow": (torch.pow, [POW]),
    "rpow": (lambda a, b: b**a, [RPOW]),
    "maximum": (torch.maximum, [MAXIMUM]),
    "where": (lambda a, b: torch.where(_COND, a, b), [WHERE]),
    "remainder": (torch.remainder, [REMAINDER]),
    "clamp": (torch.clamp, [CLAMP]),
    "lt": (torch.lt, [COMPARE]),
}


@pytest.mark.parametrize(
    ("op", "row", "col", "want"),
    [
        pytest.param(op, row, col, want, id=f"{op}-{row}-{col}")
        for op, (_, tables) in BINARY.items()
        for t in tables
        for row, col, want in _cases(t)
    ],
)
def test_binary_result_dtype(op, row, col, want):
    _check(BINARY[op][0], row, col, want=want)


@pytest.mark.parametrize(
    ("fn", "arg", "want"),
    [pytest.param(fn, arg, want, id=f"{fn}-{arg}") for fn, arg, want in _cases(UNARY)],
)
def test_unary_result_dtype(fn, arg, want):
    _check(getattr(torch, fn), arg, want=want)


# The same rules hold for the other arithmetic ops and the comparisons.
@pytest.mark.parametrize("op", ["sub", "mul", "minimum", "fmod", "eq", "ge", "bitwise_and"])
@pytest.mark.parametrize(
    ("a", "b", "want"),
    [
        ("i64[2]", "f32[]", "f32"),
        ("i32[2]", "f16[2]", "f16"),
        ("f32[2]", "f64[]", "f32"),
        ("i32[2]", "i64[]", "i32"),
        ("u8[2]", "i8[2]", "i16"),
        ("i64[]", "f16[]", "f16"),
        ("i16[2]", "f16[]", "f16"),
        ("u8[]", "i64[]", "i64"),
    ],
)
def test_other_ops_promote_alike(op, a, b, want):
    if op == "bitwise_and" and want.startswith("f"):
        return  # bitwise ops refuse floats; test_elementwise covers that error
    res = getattr(torch, op)(_operand(a), _operand(b))
    assert res.dtype is (torch.bool if op in ("eq", "ge") else _DTYPES[want])


def test_comparisons_compare_in_the_promoted_dtype():
    # 0.1 as float32 differs from 0.1 as float64; the 0-d float64 tensor is cast down first
    x = torch.tensor([0.1, 0.2])
    assert (x == torch.tensor(0.1, dtype=torch.float64)).tolist() == [True, False]
    assert (x == 0.1).tolist() == [True, False]
    assert (x.double() == 0.1).tolist() == [False, False]
    assert (torch.tensor([1, 2]) < 1.5).tolist() == [True, False]
    assert (torch.tensor([1, 2], dtype=torch.int32) == torch.tensor([1.0, 2.5])).tolist() == [
        True,
        False,
    ]


@pytest.mark.parametrize("op", ["mul", "maximum", "eq", "bitwise_or", "logical_and"])
def test_bool_operands_promote(op):
    b = torch.tensor([True, False])
    res = getattr(torch, op)(b, torch.tensor([1, 2], dtype=torch.int16))
    assert res.dtype is (torch.int16 if op in ("mul", "maximum", "bitwise_or") else torch.bool)
    assert getattr(torch, op)(b, b).dtype is torch.bool


def test_numpy_scalars_act_as_python_scalars():
    x = torch.tensor([1.0, 2.0])
    assert (x * np.float64(2)).dtype is torch.float32
    assert (np.float64(2) * x).dtype is torch.float32
    assert (torch.tensor([1, 2]) * np.float64(2)).dtype is torch.float32
    assert (torch.tensor([1, 2], dtype=torch.int32) * np.int64(2)).dtype is torch.int32


def test_numpy_arrays_act_as_tensors():
    x = torch.tensor([1.0, 2.0])
    assert (x * np.ones(2)).dtype is torch.float64
    assert (np.ones(2, dtype=np.float32) * x).dtype is torch.float32
    assert (torch.tensor([1, 2]) + np.ones(2, dtype=np.int32)).dtype is torch.int64


def test_default_dtype_drives_int_float_results():
    prev = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        assert (torch.tensor([1, 2]) * 1.5).dtype is torch.float64
        assert (torch.tensor([1, 2]) / torch.tensor([2, 2])).dtype is torch.float64
        assert torch.sin(torch.tensor([1, 2])).dtype is torch.float64
    finally:
        torch.set_default_dtype(prev)


def test_integer_division_values():
    a, b = torch.tensor([7, -7]), torch.tensor([2, 2])
    assert (a / b).tolist() == [3.5, -3.5]
    assert (a // b).tolist() == [3, -4]
    assert torch.div(a, b, rounding_mode="trunc").tolist() == [3, -3]
    assert torch.div(a, b, rounding_mode="floor").dtype is torch.int64
