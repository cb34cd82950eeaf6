"""Built-in datasets: shapes, dtypes, value ranges, determinism, the registry's errors."""

import sys
import types

import numpy as np
import pytest

from workbench.training import DATASETS, available_datasets, dataset_params, load_dataset

BUILT_IN = [name for name in DATASETS if name != "digits"]
TWO_D = ["spirals", "circles", "xor", "blobs", "moons"]


@pytest.mark.parametrize("name", BUILT_IN)
def test_arrays_have_the_documented_shapes_and_dtypes(name):
    ds = load_dataset(name)
    n = dataset_params(name)["n"]
    fraction = dataset_params(name)["test_fraction"]
    assert ds.name == name
    assert ds.n_train + ds.n_test == n
    assert ds.n_test == round(n * fraction)
    for x in (ds.x_train, ds.x_test):
        assert x.dtype == np.float32
        assert x.shape[1:] == ds.input_shape
    if ds.task == "classification":
        for y in (ds.y_train, ds.y_test):
            assert y.dtype == np.int64 and y.ndim == 1
        labels = np.concatenate([ds.y_train, ds.y_test])
        assert set(labels.tolist()) == set(range(ds.n_classes))
        assert ds.output_shape == (ds.n_classes,)
    else:
        assert ds.task == "regression" and ds.n_classes is None
        for y in (ds.y_train, ds.y_test):
            assert y.dtype == np.float32 and y.ndim == 2
        assert ds.output_shape == ds.y_train.shape[1:]
        assert len(ds.target_names) == ds.y_train.shape[1]
    assert len(ds.x_train) == len(ds.y_train) and len(ds.x_test) == len(ds.y_test)
    assert len(ds.feature_names) == int(np.prod(ds.input_shape))
    assert ds.description
    assert np.isfinite(ds.x_train).all()


@pytest.mark.parametrize("name", BUILT_IN)
def test_same_seed_same_arrays_other_seed_other_arrays(name):
    a, b, c = load_dataset(name, seed=3), load_dataset(name, seed=3), load_dataset(name, seed=4)
    for field in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.x_train, c.x_train)


@pytest.mark.parametrize("name", TWO_D)
def test_two_d_sets_lie_in_about_the_unit_square(name):
    ds = load_dataset(name, n=400)
    x = np.concatenate([ds.x_train, ds.x_test])
    assert ds.input_shape == (2,)
    assert np.abs(x).max() < 1 + 5 * ds.params["noise"]  # the unit square, widened by noise
    assert x.std(axis=0).min() > 0.3  # spread over the square, not a point


def _all(ds):
    return np.concatenate([ds.x_train, ds.x_test]), np.concatenate([ds.y_train, ds.y_test])


def test_noise_free_regression_targets_follow_their_formulas():
    x, y = _all(load_dataset("sine", noise=0.0, frequency=2.0))
    assert x.min() >= -3 and x.max() <= 3
    np.testing.assert_allclose(y, np.sin(2.0 * x), atol=1e-6)
    x, y = _all(load_dataset("polynomial", noise=0.0, coefficients=[1.0, 0.0, -2.0]))
    assert x.min() >= -1.5 and x.max() <= 1.5
    np.testing.assert_allclose(y, 1.0 - 2.0 * x**2, atol=1e-5)
    x, y = _all(load_dataset("plane", noise=0.0, weights=[3.0, 0.5], bias=-1.0))
    assert np.abs(x).max() <= 1
    np.testing.assert_allclose(y[:, 0], 3.0 * x[:, 0] + 0.5 * x[:, 1] - 1.0, atol=1e-5)


def test_noise_moves_the_targets():
    clean = load_dataset("sine", noise=0.0)
    noisy = load_dataset("sine", noise=0.5)
    residual = noisy.y_train - np.sin(noisy.x_train)
    assert 0.35 < residual.std() < 0.65
    assert np.abs(clean.y_train - np.sin(clean.x_train)).max() < 1e-6


def test_random_regression_is_the_tutorials_shape():
    ds = load_dataset("random_regression")
    assert ds.x_train.shape == (16, 1000) and ds.y_train.shape == (16, 10)
    assert ds.n_test == 0 and ds.x_test.shape == (0, 1000) and ds.y_test.shape == (0, 10)
    assert abs(ds.x_train.mean()) < 0.05 and 0.9 < ds.x_train.std() < 1.1


def test_noise_free_classes_are_where_they_should_be():
    x, y = _all(load_dataset("circles", noise=0.0, factor=0.4))
    r = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(r[y == 1], 0.4, atol=1e-6)
    x, y = _all(load_dataset("xor", noise=0.0, margin=0.2))
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] < 0).astype(np.int64))
    assert np.abs(x).min() >= 0.2 - 1e-6
    x, y = _all(load_dataset("spirals", noise=0.0, arms=3))
    r = np.hypot(x[:, 0], x[:, 1])
    assert r.max() <= 1.0 + 1e-6 and set(y.tolist()) == {0, 1, 2}
    x, y = _all(load_dataset("blobs", noise=0.1, classes=4, n=400))
    means = np.array([x[y == k].mean(axis=0) for k in range(4)])
    np.testing.assert_allclose(np.hypot(means[:, 0], means[:, 1]), 1.0, atol=0.05)


def test_moons_are_two_half_circles():
    x, y = _all(load_dataset("moons", noise=0.0))
    raw = x * 1.5 + np.array([0.5, 0.25])  # undo the centring
    upper, lower = raw[y == 0], raw[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-5)
    assert (upper[:, 1] >= -1e-6).all() and (lower[:, 1] <= 0.5 + 1e-6).all()


@pytest.mark.parametrize("size", [16, 28])
def test_shapes_are_images_of_four_distinct_classes(size):
    ds = load_dataset("shapes", n=80, noise=0.0, size=size)
    assert ds.input_shape == (1, size, size)
    assert ds.n_classes == 4 and ds.class_names == ["square", "circle", "cross", "bar"]
    x, y = _all(ds)
    assert set(np.unique(x).tolist()) == {0.0, 1.0}  # pixels before the noise
    assert (x.reshape(len(x), -1).sum(axis=1) >= size).all()  # every picture has a shape
    assert np.bincount(y).tolist() == [20, 20, 20, 20]
    means = np.array([x[y == k].mean(axis=0).ravel() for k in range(4)])
    gaps = [np.abs(means[i] - means[j]).sum() for i in range(4) for j in range(i + 1, 4)]
    assert min(gaps) > size / 2  # the class means differ: the classes are distinguishable
    noisy = load_dataset("shapes", n=80, noise=0.2, size=size)
    assert 0.15 < (noisy.x_train - ds.x_train).std() < 0.25


def test_test_fraction_sets_the_split():
    assert load_dataset("moons", n=100, test_fraction=0.5).n_test == 50
    ds = load_dataset("moons", n=100, test_fraction=0.0)
    assert ds.n_test == 0 and ds.x_test.shape == (0, 2)
    with pytest.raises(ValueError, match=r"test_fraction must be in \[0, 1\)"):
        load_dataset("moons", test_fraction=1.0)


def test_registry_errors_list_the_valid_choices():
    with pytest.raises(ValueError, match="unknown dataset 'spiral'; the datasets are: sine, "):
        load_dataset("spiral")
    with pytest.raises(ValueError, match="has no parameter 'arm'; its parameters are: n, noise"):
        load_dataset("spirals", arm=3)
    with pytest.raises(ValueError, match="arms must be 2 or 3"):
        load_dataset("spirals", arms=4)
    with pytest.raises(ValueError, match="noise must be >= 0"):
        load_dataset("circles", noise=-1)
    with pytest.raises(ValueError, match="n must be an integer"):
        load_dataset("sine", n=1)
    assert dataset_params("spirals") == {
        "n": 300,
        "noise": 0.05,
        "seed": 0,
        "test_fraction": 0.2,
        "arms": 2,
        "turns": 1.5,
    }


def test_params_are_recorded_and_reload_the_same_dataset():
    ds = load_dataset("blobs", classes=5, seed=9)
    again = load_dataset("blobs", **ds.params)
    np.testing.assert_array_equal(ds.x_train, again.x_train)
    assert ds.params["classes"] == 5 and ds.n_classes == 5


def test_digits_without_scikit_learn_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="needs scikit-learn"):
        load_dataset("digits")
    assert "digits" not in available_datasets()


def test_digits_with_scikit_learn_are_8x8_images(monkeypatch):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 17, size=(50, 8, 8)).astype(np.float64)
    target = np.arange(50) % 10
    sklearn = types.ModuleType("sklearn")
    sk_datasets = types.ModuleType("sklearn.datasets")
    sk_datasets.load_digits = lambda: types.SimpleNamespace(images=images, target=target)
    sklearn.datasets = sk_datasets
    monkeypatch.setitem(sys.modules, "sklearn", sklearn)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", sk_datasets)
    assert "digits" in available_datasets()
    ds = load_dataset("digits", test_fraction=0.2)
    assert ds.input_shape == (1, 8, 8) and ds.n_classes == 10
    assert ds.n_train == 40 and ds.n_test == 10
    x, y = _all(ds)
    assert x.min() >= 0 and x.max() <= 1
    # each image keeps its label through the shuffle
    order = [int(np.argmin(np.abs(images / 16 - img[0]).sum(axis=(1, 2)))) for img in x]
    np.testing.assert_array_equal(y, target[order])
    assert load_dataset("digits", n=20).n_train == 16
