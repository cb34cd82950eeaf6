"""Exact-output tests for ``workbench.engine.printing``.

Every expected string below was produced once by ``repr()`` in reference
PyTorch 2.13.0 (CPU) for the same values and options, and pasted in verbatim.
torch itself is deliberately not a test dependency.
"""

import math

import numpy as np
import pytest

from workbench.engine import printing
from workbench.engine.printing import (
    format_size,
    format_tensor,
    get_printoptions,
    printoptions,
    set_printoptions,
)

DEFAULT_OPTIONS = {
    "precision": 4,
    "threshold": 1000,
    "edgeitems": 3,
    "linewidth": 80,
    "sci_mode": None,
}


@pytest.fixture(autouse=True)
def _restore_print_options():
    # Print options are global state; keep one test's settings out of the next.
    yield
    set_printoptions(profile="default")


def fmt(data, dtype_name="torch.float32", is_default_dtype=True, **kwargs):
    """format_tensor with float32-default-dtype flags, the common case."""
    return format_tensor(data, dtype_name=dtype_name, is_default_dtype=is_default_dtype, **kwargs)


def lines(*rows):
    """Join expected output rows, so multi-line reprs read as they print."""
    return "\n".join(rows)


F32 = np.float32
F64 = np.float64
NAN = math.nan
INF = math.inf


# (id, data, format_tensor keyword overrides, torch's repr)
CASES = [
    # -- 0-d tensors
    ("scalar_float", np.array(3.14159265, F32), {}, "tensor(3.1416)"),
    ("scalar_int", np.array(7), {"dtype_name": "torch.int64"}, "tensor(7)"),
    ("scalar_bool", np.array(True), {"dtype_name": "torch.bool"}, "tensor(True)"),
    ("scalar_nan", np.array(NAN, F32), {}, "tensor(nan)"),
    (
        "scalar_f64",
        np.array(2.5, F64),
        {"dtype_name": "torch.float64", "is_default_dtype": False},
        "tensor(2.5000, dtype=torch.float64)",
    ),
    ("scalar_tiny_is_sci", np.array(1e-7, F32), {}, "tensor(1.0000e-07)"),
    # -- empty tensors: shape shown unless (0,); dtype shown unless default float
    ("empty", np.zeros(0, F32), {}, "tensor([])"),
    ("empty_2d", np.zeros((0, 3), F32), {}, "tensor([], size=(0, 3))"),
    (
        "empty_int64",
        np.zeros(0, np.int64),
        {"dtype_name": "torch.int64"},
        "tensor([], dtype=torch.int64)",
    ),
    (
        "empty_bool_3d",
        np.zeros((2, 0, 1), bool),
        {"dtype_name": "torch.bool"},
        "tensor([], size=(2, 0, 1), dtype=torch.bool)",
    ),
    (
        "empty_f64",
        np.zeros(0, F64),
        {"dtype_name": "torch.float64", "is_default_dtype": False},
        "tensor([], dtype=torch.float64)",
    ),
    # -- integers and bools
    ("ints_aligned", np.array([1, -20, 300]), {}, "tensor([  1, -20, 300])"),
    (
        "int32",
        np.array([1, 2], np.int32),
        {"dtype_name": "torch.int32", "is_default_dtype": False},
        "tensor([1, 2], dtype=torch.int32)",
    ),
    (
        "uint8",
        np.array([255, 0], np.uint8),
        {"dtype_name": "torch.uint8", "is_default_dtype": False},
        "tensor([255,   0], dtype=torch.uint8)",
    ),
    (
        "very_large_ints",
        np.array([2**62, -(2**63), 5], np.int64),
        {},
        "tensor([ 4611686018427387904, -9223372036854775808,                    5])",
    ),
    ("bools", np.array([True, False]), {}, "tensor([ True, False])"),
    (
        "bools_2d",
        np.array([[True, False, True]] * 2),
        {},
        lines(
            "tensor([[ True, False,  True],",
            "        [ True, False,  True]])",
        ),
    ),
    # -- floating point styles
    ("f32_tenths", np.array([0.1, 0.2, 0.3], F32), {}, "tensor([0.1000, 0.2000, 0.3000])"),
    (
        "f64",
        np.array([0.1, 0.25], F64),
        {"dtype_name": "torch.float64", "is_default_dtype": False},
        "tensor([0.1000, 0.2500], dtype=torch.float64)",
    ),
    (
        "f16",
        np.array([0.1, 1.5, -2.0], np.float16),
        {"dtype_name": "torch.float16", "is_default_dtype": False},
        "tensor([ 0.1000,  1.5000, -2.0000], dtype=torch.float16)",
    ),
    (
        "f16_sci_shows_f16_rounding",
        np.array([1e-3, 1.0, 123.456], np.float16),
        {"dtype_name": "torch.float16", "is_default_dtype": False},
        "tensor([1.0004e-03, 1.0000e+00, 1.2344e+02], dtype=torch.float16)",
    ),
    ("integer_valued", np.array([1.0, 2.0], F32), {}, "tensor([1., 2.])"),
    ("int_mode_up_to_1e8", np.array([1e8], F32), {}, "tensor([100000000.])"),
    ("sci_by_ratio", np.array([1e-5, 1e3], F32), {}, "tensor([1.0000e-05, 1.0000e+03])"),
    ("sci_by_magnitude", np.array([1e9, 1.0], F32), {}, "tensor([1.0000e+09, 1.0000e+00])"),
    ("sci_negative", np.array([1e20, -3.0], F32), {}, "tensor([ 1.0000e+20, -3.0000e+00])"),
    (
        "nan_inf",
        np.array([NAN, INF, -INF, 1.5], F32),
        {},
        "tensor([   nan,    inf,   -inf, 1.5000])",
    ),
    ("nan_inf_int_mode", np.array([NAN, 1.0, -INF], F32), {}, "tensor([nan, 1., -inf])"),
    (
        "negative_alignment",
        np.array([-1.5, 2.25, 10.0], F32),
        {},
        "tensor([-1.5000,  2.2500, 10.0000])",
    ),
    ("negative_zero", np.array([-0.0, 0.0], F32), {}, "tensor([-0., 0.])"),
    ("negative_zero_fixed", np.array([-0.0, 1.5], F32), {}, "tensor([-0.0000, 1.5000])"),
    (
        "complex",
        np.array([1 + 2j, -0.5 - 1j, 3j], np.complex64),
        {"dtype_name": "torch.complex64"},
        "tensor([ 1.0000+2.j, -0.5000-1.j,  0.0000+3.j])",
    ),
    (
        "complex128",
        np.array([1.5 - 2j], np.complex128),
        {"dtype_name": "torch.complex128", "is_default_dtype": False},
        "tensor([1.5000-2.j], dtype=torch.complex128)",
    ),
    # -- nesting
    (
        "matrix",
        np.arange(6, dtype=F32).reshape(2, 3),
        {},
        lines(
            "tensor([[0., 1., 2.],",
            "        [3., 4., 5.]])",
        ),
    ),
    (
        "matrix_negative_zero",
        np.array([[-1.0, -0.0], [1e-2, 7.0]], F32),
        {},
        lines(
            "tensor([[-1.0000, -0.0000],",
            "        [ 0.0100,  7.0000]])",
        ),
    ),
    ("singleton_3d", np.ones((1, 1, 1), F32), {}, "tensor([[[1.]]])"),
    (
        "cube_3d",
        np.arange(24).reshape(2, 3, 4),
        {},
        lines(
            "tensor([[[ 0,  1,  2,  3],",
            "         [ 4,  5,  6,  7],",
            "         [ 8,  9, 10, 11]],",
            "",
            "        [[12, 13, 14, 15],",
            "         [16, 17, 18, 19],",
            "         [20, 21, 22, 23]]])",
        ),
    ),
    # -- a row longer than linewidth=80 wraps under the first element
    (
        "row_wraps_at_80",
        np.arange(30, dtype=F32) * 1.5,
        {},
        lines(
            "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,",
            "        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,",
            "        24.0000, 25.5000, 27.0000, 28.5000, 30.0000, 31.5000, 33.0000, 34.5000,",
            "        36.0000, 37.5000, 39.0000, 40.5000, 42.0000, 43.5000])",
        ),
    ),
    # -- summarisation (numel > threshold)
    (
        "summarised_1d",
        np.arange(2000),
        {},
        "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])",
    ),
    (
        # Only the visible corners pick the format; 1/1999 still forces sci.
        "summarised_2d",
        np.arange(2000, dtype=F32).reshape(40, 50),
        {},
        lines(
            "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,",
            "         4.9000e+01],",
            "        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,",
            "         9.9000e+01],",
            "        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,",
            "         1.4900e+02],",
            "        ...,",
            "        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,",
            "         1.8990e+03],",
            "        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,",
            "         1.9490e+03],",
            "        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,",
            "         1.9990e+03]])",
        ),
    ),
    # -- autograd and device suffixes
    (
        "requires_grad",
        np.array([1.0, 2.0], F32),
        {"requires_grad": True},
        "tensor([1., 2.], requires_grad=True)",
    ),
    (
        "grad_fn_wins_over_requires_grad",
        np.sin(np.array([0.0, 1.0], F32)),
        {"requires_grad": True, "grad_fn_name": "SinBackward0"},
        "tensor([0.0000, 0.8415], grad_fn=<SinBackward0>)",
    ),
    (
        "scalar_grad_fn",
        np.array(3.0, F32),
        {"grad_fn_name": "SumBackward0"},
        "tensor(3., grad_fn=<SumBackward0>)",
    ),
    (
        # Reference made with a CPU tensor while torch's default device was
        # patched away from cpu, which is the only way to see the suffix there.
        "device_dtype_grad_order",
        np.array([1.0, 2.0], F64),
        {
            "device": "cpu",
            "dtype_name": "torch.float64",
            "is_default_dtype": False,
            "requires_grad": True,
        },
        "tensor([1., 2.], device='cpu', dtype=torch.float64, requires_grad=True)",
    ),
    (
        "device_cuda",
        np.array([0.5, 1.0], F32),
        {"device": "cuda:0", "grad_fn_name": "SinBackward0"},
        "tensor([0.5000, 1.0000], device='cuda:0', grad_fn=<SinBackward0>)",
    ),
    (
        "device_before_size_on_empty",
        np.zeros((0, 2), F32),
        {"device": "cpu"},
        "tensor([], device='cpu', size=(0, 2))",
    ),
    (
        "device_wraps_to_new_line",
        np.arange(12, dtype=F32).reshape(2, 6) * 1.25 + 100,
        {"device": "cpu"},
        lines(
            "tensor([[100.0000, 101.2500, 102.5000, 103.7500, 105.0000, 106.2500],",
            "        [107.5000, 108.7500, 110.0000, 111.2500, 112.5000, 113.7500]],",
            "       device='cpu')",
        ),
    ),
    (
        "suffixes_wrap_together",
        np.array([[0.1234, -5.5, 3.25, 100.5, 7.0, 8.5]] * 2, F64),
        {"dtype_name": "torch.float64", "is_default_dtype": False, "requires_grad": True},
        lines(
            "tensor([[  0.1234,  -5.5000,   3.2500, 100.5000,   7.0000,   8.5000],",
            "        [  0.1234,  -5.5000,   3.2500, 100.5000,   7.0000,   8.5000]],",
            "       dtype=torch.float64, requires_grad=True)",
        ),
    ),
    # -- nn.Parameter and tensor subclasses
    (
        "parameter",
        np.ones(2, F32),
        {"requires_grad": True, "is_parameter": True},
        "Parameter containing:\ntensor([1., 1.], requires_grad=True)",
    ),
    (
        "parameter_2d",
        np.arange(6, dtype=F32).reshape(2, 3) / F32(3),
        {"requires_grad": True, "is_parameter": True},
        lines(
            "Parameter containing:",
            "tensor([[0.0000, 0.3333, 0.6667],",
            "        [1.0000, 1.3333, 1.6667]], requires_grad=True)",
        ),
    ),
    (
        # A subclass named Activation: rows and suffixes indent to its prefix.
        "custom_prefix_indent",
        np.arange(12, dtype=F64).reshape(2, 6) * 1.25 + 100,
        {"prefix": "Activation(", "dtype_name": "torch.float64", "is_default_dtype": False},
        lines(
            "Activation([[100.0000, 101.2500, 102.5000, 103.7500, 105.0000, 106.2500],",
            "            [107.5000, 108.7500, 110.0000, 111.2500, 112.5000, 113.7500]],",
            "           dtype=torch.float64)",
        ),
    ),
]


@pytest.mark.parametrize(
    ("data", "kwargs", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_matches_torch_repr(data, kwargs, expected):
    assert fmt(data, **kwargs) == expected


# (id, set_printoptions kwargs, data, torch's repr under those options)
OPTION_CASES = [
    ("precision_2", {"precision": 2}, np.array([3.14159, -2.71828], F32), "tensor([ 3.14, -2.72])"),
    (
        "sci_mode_false",
        {"sci_mode": False},
        np.array([1e-5, 1e3], F32),
        "tensor([   0.0000, 1000.0000])",
    ),
    (
        "sci_mode_true",
        {"sci_mode": True},
        np.array([1.0, 2.0], F32),
        "tensor([1.0000e+00, 2.0000e+00])",
    ),
    (
        # Without a nonzero finite value torch never reaches its sci_mode check.
        "sci_mode_true_all_zeros",
        {"sci_mode": True},
        np.array([0.0, 0.0], F32),
        "tensor([0., 0.])",
    ),
    (
        "linewidth_40",
        {"linewidth": 40},
        np.arange(20, dtype=F32) / 4,
        lines(
            "tensor([0.0000, 0.2500, 0.5000, 0.7500,",
            "        1.0000, 1.2500, 1.5000, 1.7500,",
            "        2.0000, 2.2500, 2.5000, 2.7500,",
            "        3.0000, 3.2500, 3.5000, 3.7500,",
            "        4.0000, 4.2500, 4.5000, 4.7500])",
        ),
    ),
    (
        "threshold_and_edgeitems",
        {"threshold": 5, "edgeitems": 2},
        np.arange(10),
        "tensor([0, 1,  ..., 8, 9])",
    ),
    (
        "edgeitems_zero_shows_size",
        {"threshold": 5, "edgeitems": 0},
        np.arange(10, dtype=F32).reshape(2, 5),
        "tensor([...], size=(2, 5))",
    ),
    (
        "summarised_3d",
        {"threshold": 10, "edgeitems": 1},
        np.arange(60).reshape(3, 4, 5),
        lines(
            "tensor([[[ 0,  ...,  4],",
            "         ...,",
            "         [15,  ..., 19]],",
            "",
            "        ...,",
            "",
            "        [[40,  ..., 44],",
            "         ...,",
            "         [55,  ..., 59]]])",
        ),
    ),
    (
        "profile_short",
        {"profile": "short"},
        np.arange(2000, dtype=F32).reshape(40, 50) / F32(3),
        lines(
            "tensor([[0.00e+00, 3.33e-01,  ..., 1.60e+01, 1.63e+01],",
            "        [1.67e+01, 1.70e+01,  ..., 3.27e+01, 3.30e+01],",
            "        ...,",
            "        [6.33e+02, 6.34e+02,  ..., 6.49e+02, 6.50e+02],",
            "        [6.50e+02, 6.50e+02,  ..., 6.66e+02, 6.66e+02]])",
        ),
    ),
]


@pytest.mark.parametrize(
    ("options", "data", "expected"),
    [case[1:] for case in OPTION_CASES],
    ids=[case[0] for case in OPTION_CASES],
)
def test_matches_torch_repr_with_options(options, data, expected):
    set_printoptions(**options)
    assert fmt(data, dtype_name="torch.int64") == expected


def test_defaults():
    assert get_printoptions() == DEFAULT_OPTIONS
    assert isinstance(printing.PRINT_OPTS, printing.PrintOptions)


def test_set_printoptions_reports_back_and_resets_sci_mode():
    set_printoptions(precision=2, sci_mode=True)
    assert get_printoptions() == {**DEFAULT_OPTIONS, "precision": 2, "sci_mode": True}
    # As in torch, sci_mode is always assigned, so leaving it out resets it.
    set_printoptions(linewidth=100)
    assert get_printoptions() == {**DEFAULT_OPTIONS, "precision": 2, "linewidth": 100}


def test_profiles():
    set_printoptions(profile="short")
    assert get_printoptions() == {**DEFAULT_OPTIONS, "precision": 2, "edgeitems": 2}
    set_printoptions(profile="full", precision=6)
    assert get_printoptions() == {**DEFAULT_OPTIONS, "threshold": math.inf, "precision": 6}
    set_printoptions(profile="default")
    assert get_printoptions() == DEFAULT_OPTIONS


def test_profile_full_overrides_earlier_threshold():
    set_printoptions(threshold=5)
    set_printoptions(profile="full")
    assert fmt(np.arange(10)) == "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])"


def test_profile_full_prints_every_element():
    set_printoptions(profile="full")
    text = fmt(np.arange(1001))
    # torch: 84 lines, no ellipsis, these exact ends.
    assert "..." not in text
    assert text.count("\n") == 83
    assert text.startswith("tensor([   0,    1,    2,    3,    4,    5,    6,    7,    8")
    assert text.endswith("92,  993,  994,  995,\n         996,  997,  998,  999, 1000])")


def test_printoptions_context_manager_restores():
    with printoptions(precision=1, sci_mode=False):
        assert fmt(np.array([1e-5, 2.25], F32)) == "tensor([0.0, 2.2])"
    assert get_printoptions() == DEFAULT_OPTIONS


@pytest.mark.parametrize(
    ("shape", "expected"),
    [((2, 3), "torch.Size([2, 3])"), ((), "torch.Size([])"), ((np.int64(5),), "torch.Size([5])")],
)
def test_format_size(shape, expected):
    assert format_size(shape) == expected


def test_accepts_numpy_scalars_and_non_contiguous_views():
    assert fmt(np.float32(0.1)) == "tensor(0.1000)"
    assert fmt(np.arange(6, dtype=F32).reshape(2, 3).T) == (
        lines(
            "tensor([[0., 3.],",
            "        [1., 4.],",
            "        [2., 5.]])",
        )
    )
