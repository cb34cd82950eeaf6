import math

import numpy as np
import pytest

import workbench.engine as torch
from workbench.session import tensorstats
from workbench.session.tensorstats import (
    HISTOGRAM_SAMPLE,
    Stats,
    format_number,
    histogram,
    sample,
    slice_2d,
    tensor_stats,
    to_numpy,
)

RNG = np.random.default_rng(0)

ARRAYS = {
    "float32": RNG.standard_normal((7, 13)).astype(np.float32),
    "float64": RNG.standard_normal(257) * 1e3,
    "int64": RNG.integers(-50, 50, size=(4, 5, 6)),
    "int8": RNG.integers(-3, 3, size=40).astype(np.int8),
    "bool": RNG.random(33) > 0.3,
}


@pytest.mark.parametrize("name", ARRAYS)
def test_stats_match_numpy(name):
    a = ARRAYS[name]
    s = tensor_stats(a)
    wide = a.astype(np.float64)
    assert s.numel == a.size
    assert s.min == wide.min() and s.max == wide.max()
    assert s.mean == pytest.approx(wide.mean(), rel=1e-12)
    assert s.std == pytest.approx(wide.std(ddof=1), rel=1e-12)  # unbiased, like Tensor.std()
    assert s.norm == pytest.approx(np.linalg.norm(wide.ravel()), rel=1e-12)
    assert s.zero_fraction == pytest.approx(np.mean(wide == 0))
    assert s.nan_count == 0 and s.inf_count == 0


def test_int_and_bool_extremes_are_ints():
    assert tensor_stats(np.array([3, -2, 7])).max == 7
    assert isinstance(tensor_stats(np.array([3, -2, 7])).min, int)
    s = tensor_stats(np.array([True, False, True]))
    assert (s.min, s.max) == (0, 1)
    assert s.mean == pytest.approx(2 / 3)


def test_float32_mean_is_accumulated_in_float64():
    a = np.full(10_000_001, 0.1, dtype=np.float32)
    assert tensor_stats(a).mean == pytest.approx(float(np.float32(0.1)), rel=1e-9)


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 20])
def test_blockwise_moments_match_numpy(monkeypatch, chunk):
    monkeypatch.setattr(tensorstats, "_CHUNK", chunk)
    a = RNG.standard_normal(1000) * 3 + 1e4  # a large mean: no cancellation allowed
    s = tensor_stats(a)
    assert s.mean == pytest.approx(a.mean(), rel=1e-14)
    assert s.std == pytest.approx(a.std(ddof=1), rel=1e-9)
    assert s.norm == pytest.approx(np.linalg.norm(a), rel=1e-14)


def test_engine_tensor_with_grad():
    t = torch.tensor([1.0, 2.0, 4.0], requires_grad=True)
    s = tensor_stats(t)
    assert (s.min, s.max, s.numel) == (1.0, 4.0, 3)
    assert s.std == pytest.approx(np.std([1, 2, 4], ddof=1))
    assert to_numpy(t).dtype == np.float32


def test_nan_and_inf_are_counted_not_averaged():
    a = np.array([1.0, np.nan, 3.0, np.inf, -np.inf, 0.0, np.nan])
    s = tensor_stats(a)
    assert (s.nan_count, s.inf_count, s.numel) == (2, 2, 7)
    finite = np.array([1.0, 3.0, 0.0])
    assert (s.min, s.max) == (0.0, 3.0)
    assert s.mean == pytest.approx(finite.mean())
    assert s.std == pytest.approx(finite.std(ddof=1))
    assert s.norm == pytest.approx(np.linalg.norm(finite))
    assert s.zero_fraction == pytest.approx(1 / 7)


def test_no_finite_value_gives_nones():
    s = tensor_stats(np.array([np.nan, np.inf]))
    assert s == Stats(2, None, None, None, None, None, 1, 1, 0.0)


def test_empty_and_zero_d():
    assert tensor_stats(np.zeros((0, 3))) == Stats(0, None, None, None, None, None, 0, 0, None)
    s = tensor_stats(torch.tensor(2.5))
    assert (s.numel, s.min, s.max, s.mean, s.norm) == (1, 2.5, 2.5, 2.5, 2.5)
    assert math.isnan(s.std)  # one value: the unbiased std is undefined, as in PyTorch
    assert tensor_stats(np.array(0.0)).zero_fraction == 1.0


def test_histogram_over_finite_values():
    a = np.array([0.0, 0.5, 1.0, np.nan, np.inf, 1.0])
    counts, edges = histogram(a, bins=4)
    ref_counts, ref_edges = np.histogram([0.0, 0.5, 1.0, 1.0], bins=4)
    np.testing.assert_array_equal(counts, ref_counts)
    np.testing.assert_allclose(edges, ref_edges)
    assert counts.sum() == 4


def test_histogram_of_ints_bools_empty_and_all_nan():
    counts, edges = histogram(np.array([True, False, True]), bins=2)
    assert counts.tolist() == [1, 2]
    counts, _ = histogram(np.arange(10), bins=5)
    assert counts.tolist() == [2] * 5
    for empty in (np.zeros(0), np.array([np.nan, np.nan])):
        counts, edges = histogram(empty, bins=3)
        assert counts.tolist() == [0, 0, 0] and len(edges) == 4


def test_histogram_subsamples_deterministically():
    a = RNG.standard_normal(2_500_003)
    s1, s2 = sample(a), sample(a)
    assert s1.size <= HISTOGRAM_SAMPLE
    np.testing.assert_array_equal(s1, s2)
    c1, e1 = histogram(a)
    c2, e2 = histogram(a)
    np.testing.assert_array_equal(c1, c2)
    np.testing.assert_array_equal(e1, e2)
    assert c1.sum() == s1.size
    assert len(c1) == 50
    small = np.arange(10.0)
    assert sample(small) is not None and sample(small).size == 10


def test_slice_2d_on_3d_and_4d():
    a = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    np.testing.assert_array_equal(slice_2d(a, 1, 2, {0: 1}), a[1])
    np.testing.assert_array_equal(slice_2d(a, 0, 2, {1: 2}), a[:, 2, :])
    np.testing.assert_array_equal(slice_2d(a, 2, 0, {1: 2}), a[:, 2, :].T)
    np.testing.assert_array_equal(slice_2d(a, -2, -1, {}), a[0])  # unspecified dims: index 0
    b = np.arange(5 * 4 * 3 * 2).reshape(5, 4, 3, 2)
    np.testing.assert_array_equal(slice_2d(b, 0, 1, {2: 1, 3: -1}), b[:, :, 1, 1])
    np.testing.assert_array_equal(slice_2d(b, 3, 2, {0: 4, 1: 3}), b[4, 3].T)
    t = torch.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(slice_2d(t, 1, 2, {0: 1}), a[1].astype(np.float32))


def test_slice_2d_errors_name_the_dim_and_size():
    a = np.zeros((2, 3, 4))
    with pytest.raises(IndexError, match="index 3 is out of bounds for dim 1 with size 3"):
        slice_2d(a, 0, 2, {1: 3})
    with pytest.raises(IndexError, match="row dim 3 is out of range for a 3-D array"):
        slice_2d(a, 3, 0, {})
    with pytest.raises(ValueError, match="must differ, both are dim 1"):
        slice_2d(a, 1, -2, {})
    with pytest.raises(ValueError, match="at least 2 dims"):
        slice_2d(np.zeros(3), 0, 0, {})


class FakeCupyArray:
    """Stands in for a CuPy array: the module name and `.get()` are all to_numpy relies on."""

    __module__ = "cupy._core.core"

    def __init__(self, host):
        self.host = host
        self.shape = host.shape

    def get(self):
        return self.host.copy()


def test_to_numpy_paths():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    assert to_numpy(a) is a
    np.testing.assert_array_equal(to_numpy(FakeCupyArray(a)), a)
    assert type(to_numpy(FakeCupyArray(a))) is np.ndarray
    assert to_numpy(torch.tensor([True, False])).dtype == np.bool_
    assert to_numpy([1.5, 2.5]).dtype == np.float64
    assert tensor_stats(FakeCupyArray(a.astype(np.float64))).max == 5.0
    w = torch.nn.Linear(3, 2).weight  # a Parameter
    assert to_numpy(w).shape == (2, 3)


@pytest.mark.parametrize(
    "value, text",
    [
        (None, "—"),
        (3, "3"),
        (np.int64(-7), "-7"),
        (True, "True"),
        (0.5, "0.5000"),
        (-1.23456, "-1.2346"),
        (0.0, "0.0000"),
        (1e-4, "0.0001"),
        (9.99e-5, "9.9900e-05"),
        (1.5e8, "1.5000e+08"),
        (99_999_999.0, "99999999.0000"),
        (np.float32(2.0), "2.0000"),
        (math.nan, "nan"),
        (-math.inf, "-inf"),
    ],
)
def test_format_number(value, text):
    assert format_number(value) == text
