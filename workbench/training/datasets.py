"""Built-in datasets: small, deterministic by seed, split into train and test.

Every factory takes keyword parameters only (`n`, `noise`, `seed`, `test_fraction`, and a few of
its own, all documented on the factory) and returns a `Dataset`. The numbers come from one
`numpy.random.default_rng(seed)`: first the generator draws the points, then `split` draws the
train/test permutation, so the same parameters give the same arrays on every machine.

The generators (`gen_*`) and `split` use nothing but NumPy, on purpose: "Show as code"
(`export.script_for`) copies their source into the generated script, so the script trains on
exactly the arrays that `load_dataset` gives.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Dataset",
    "DATASETS",
    "load_dataset",
    "dataset_params",
    "available_datasets",
    "split",
    "SHAPE_CLASSES",
    "GENERATORS",
]


@dataclass
class Dataset:
    """Arrays ready to train on.

    Inputs are float32, shaped `(n, *input_shape)`. Classification targets are int64 class
    indices, shape `(n,)`; regression targets are float32, shape `(n, k)`.
    """

    name: str
    task: str  # "regression" | "classification"
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int | None
    input_shape: tuple
    feature_names: list[str]
    description: str
    class_names: list[str] | None = None
    target_names: list[str] = field(default_factory=list)
    params: dict = field(default_factory=dict)  # what it was made with, for load_dataset

    @property
    def n_train(self) -> int:
        return len(self.x_train)

    @property
    def n_test(self) -> int:
        return len(self.x_test)

    @property
    def output_shape(self) -> tuple:
        """The model output a dataset asks for: one logit per class, or the target's shape."""
        if self.task == "classification":
            return (self.n_classes,)
        return tuple(self.y_train.shape[1:])


# ----- the generators: NumPy only (copied into generated scripts) ----------------------------


def split(rng, x, y, test_fraction):
    """Shuffle and cut off the test set: `round(n * test_fraction)` rows, at least 1 train row."""
    n = len(x)
    n_test = min(int(round(n * test_fraction)), n - 1)
    order = rng.permutation(n)
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def gen_sine(rng, n, noise, frequency):
    x = rng.uniform(-3.0, 3.0, size=(n, 1))
    y = np.sin(frequency * x) + noise * rng.standard_normal((n, 1))
    return x.astype(np.float32), y.astype(np.float32)


def gen_polynomial(rng, n, noise, coefficients):
    x = rng.uniform(-1.5, 1.5, size=(n, 1))
    y = sum(c * x**k for k, c in enumerate(coefficients)) + noise * rng.standard_normal((n, 1))
    return x.astype(np.float32), np.asarray(y, dtype=np.float32)


def gen_plane(rng, n, noise, weights, bias):
    x = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = x @ np.asarray(weights, dtype=np.float64).reshape(2, 1) + bias
    y = y + noise * rng.standard_normal((n, 1))
    return x.astype(np.float32), y.astype(np.float32)


def gen_random_regression(rng, n, in_features, out_features):
    x = rng.standard_normal((n, in_features))
    y = rng.standard_normal((n, out_features))
    return x.astype(np.float32), y.astype(np.float32)


def gen_spirals(rng, n, noise, arms, turns):
    xs, ys = [], []
    for k in range(arms):
        m = n // arms + (k < n % arms)
        r = rng.uniform(0.05, 1.0, size=m)
        t = r * turns * 2 * np.pi + 2 * np.pi * k / arms
        pts = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
        xs.append(pts + noise * rng.standard_normal((m, 2)))
        ys.append(np.full(m, k))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.int64)


def gen_circles(rng, n, noise, factor):
    xs, ys = [], []
    for k, radius in enumerate((1.0, factor)):  # class 0 the outer ring, class 1 the inner
        m = n // 2 + (k < n % 2)
        t = rng.uniform(0.0, 2 * np.pi, size=m)
        pts = radius * np.stack([np.cos(t), np.sin(t)], axis=1)
        xs.append(pts + noise * rng.standard_normal((m, 2)))
        ys.append(np.full(m, k))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.int64)


def gen_xor(rng, n, noise, margin):
    # points keep `margin` away from the axes before the noise, so the quadrants are readable
    mag = rng.uniform(margin, 1.0, size=(n, 2))
    sign = rng.choice(np.array([-1.0, 1.0]), size=(n, 2))
    x = mag * sign
    y = (x[:, 0] * x[:, 1] < 0).astype(np.int64)
    x = x + noise * rng.standard_normal((n, 2))
    return x.astype(np.float32), y


def gen_blobs(rng, n, noise, classes):
    xs, ys = [], []
    for k in range(classes):
        m = n // classes + (k < n % classes)
        angle = 2 * np.pi * k / classes + np.pi / 2
        center = np.array([np.cos(angle), np.sin(angle)])
        xs.append(center + noise * rng.standard_normal((m, 2)))
        ys.append(np.full(m, k))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.int64)


def gen_moons(rng, n, noise):
    m0 = n // 2 + n % 2
    m1 = n // 2
    t0 = rng.uniform(0.0, np.pi, size=m0)
    t1 = rng.uniform(0.0, np.pi, size=m1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    x = (np.concatenate([upper, lower]) - np.array([0.5, 0.25])) / 1.5  # centred, about [-1, 1]
    x = x + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(m0), np.ones(m1)]).astype(np.int64)
    return x.astype(np.float32), y


def gen_digits(rng, n):
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (np.asarray(digits.images, dtype=np.float64) / 16.0)[:, None].astype(np.float32)
    y = np.asarray(digits.target, dtype=np.int64)
    if n is not None:
        keep = rng.permutation(len(x))[:n]
        x, y = x[keep], y[keep]
    return x, y


SHAPE_CLASSES = ("square", "circle", "cross", "bar")


def gen_shapes(rng, n, noise, size):
    """1×size×size images, one outline square, circle, plus-shaped cross or bar (lying or
    standing) each, at a jittered place and scale, plus Gaussian pixel noise."""
    rows, cols = np.mgrid[0:size, 0:size] + 0.5
    width = max(1.0, size / 12)
    x = np.empty((n, 1, size, size))
    y = np.arange(n) % 4
    for i in range(n):
        cy, cx = size / 2 + rng.uniform(-size / 8, size / 8, size=2)
        s = size * rng.uniform(0.22, 0.36)
        dy, dx = rows - cy, cols - cx
        if y[i] == 0:
            d = np.maximum(np.abs(dx), np.abs(dy))
            img = (d <= s) & (d >= s - width)
        elif y[i] == 1:
            img = np.abs(np.hypot(dx, dy) - s) <= width / 2 + 0.25
        elif y[i] == 2:
            img = ((np.abs(dx) <= width / 2 + 0.25) & (np.abs(dy) <= s)) | (
                (np.abs(dy) <= width / 2 + 0.25) & (np.abs(dx) <= s)
            )
        else:
            if rng.uniform() < 0.5:
                dx, dy = dy, dx
            img = (np.abs(dy) <= width) & (np.abs(dx) <= s)
        x[i, 0] = img + noise * rng.standard_normal((size, size))
    return x.astype(np.float32), y.astype(np.int64)


# ----- the factories --------------------------------------------------------------------------


def _dataset(name, task, rng, x, y, test_fraction, *, description, params, **extra):
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction}")
    x_train, y_train, x_test, y_test = split(rng, x, y, test_fraction)
    if task == "classification":
        extra.setdefault("n_classes", int(y.max()) + 1)
    else:
        extra.setdefault("n_classes", None)
        extra.setdefault("target_names", ["y"] if y.shape[1] == 1 else _names("y", y.shape[1]))
    extra.setdefault("feature_names", _names("x", int(np.prod(x.shape[1:]))))
    return Dataset(
        name=name,
        task=task,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        input_shape=tuple(x.shape[1:]),
        description=description,
        params=params,
        **extra,
    )


def _names(prefix, k):
    return [f"{prefix}{i + 1}" for i in range(k)]


def _check_n(n, minimum=2):
    if int(n) != n or n < minimum:
        raise ValueError(f"n must be an integer of at least {minimum}, got {n!r}")
    return int(n)


def _check_noise(noise):
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    return float(noise)


def make_sine(*, n=200, noise=0.1, seed=0, test_fraction=0.2, frequency=1.0):
    """1-D regression: y = sin(frequency·x) + noise·N(0, 1), x uniform in [-3, 3]."""
    params = dict(n=n, noise=noise, seed=seed, test_fraction=test_fraction, frequency=frequency)
    rng = np.random.default_rng(seed)
    x, y = gen_sine(rng, _check_n(n), _check_noise(noise), float(frequency))
    desc = f"y = sin({frequency}·x) + noise, x in [-3, 3]"
    return _dataset("sine", "regression", rng, x, y, test_fraction, description=desc, params=params)


def make_polynomial(*, n=200, noise=0.1, seed=0, test_fraction=0.2, coefficients=(0, -1, 0, 1)):
    """1-D regression: y = Σ coefficients[k]·x^k + noise·N(0, 1), x uniform in [-1.5, 1.5]
    (the default is x³ - x)."""
    coefficients = [float(c) for c in coefficients]
    if not coefficients:
        raise ValueError("coefficients must not be empty")
    params = dict(
        n=n, noise=noise, seed=seed, test_fraction=test_fraction, coefficients=coefficients
    )
    rng = np.random.default_rng(seed)
    x, y = gen_polynomial(rng, _check_n(n), _check_noise(noise), coefficients)
    terms = " + ".join(f"{c:g}·x^{k}" for k, c in enumerate(coefficients) if c)
    desc = f"y = {terms or '0'} + noise, x in [-1.5, 1.5]"
    return _dataset(
        "polynomial", "regression", rng, x, y, test_fraction, description=desc, params=params
    )


def make_plane(*, n=200, noise=0.1, seed=0, test_fraction=0.2, weights=(1.0, -2.0), bias=0.5):
    """2-D regression: y = weights·x + bias + noise·N(0, 1), x uniform in [-1, 1]²."""
    weights = [float(w) for w in weights]
    if len(weights) != 2:
        raise ValueError(f"weights must hold 2 numbers, got {len(weights)}")
    params = dict(
        n=n, noise=noise, seed=seed, test_fraction=test_fraction, weights=weights, bias=bias
    )
    rng = np.random.default_rng(seed)
    x, y = gen_plane(rng, _check_n(n), _check_noise(noise), weights, float(bias))
    desc = f"y = {weights[0]:g}·x1 + {weights[1]:g}·x2 + {bias:g} + noise"
    return _dataset(
        "plane", "regression", rng, x, y, test_fraction, description=desc, params=params
    )


def make_random_regression(*, n=16, seed=0, test_fraction=0.0, in_features=1000, out_features=10):
    """The autograd tutorial's data: x = randn(n, in_features), y = randn(n, out_features).
    There is nothing to learn but the points themselves, hence no test set by default."""
    params = dict(
        n=n,
        seed=seed,
        test_fraction=test_fraction,
        in_features=in_features,
        out_features=out_features,
    )
    rng = np.random.default_rng(seed)
    x, y = gen_random_regression(
        rng, _check_n(n), _check_n(in_features, 1), _check_n(out_features, 1)
    )
    desc = f"random targets: x ~ N(0, 1)^{in_features}, y ~ N(0, 1)^{out_features}"
    return _dataset(
        "random_regression", "regression", rng, x, y, test_fraction, description=desc, params=params
    )


def make_spirals(*, n=300, noise=0.05, seed=0, test_fraction=0.2, arms=2, turns=1.5):
    """2-D classification: `arms` (2 or 3) interleaved spirals of `turns` turns, radius up to 1;
    one class per arm."""
    if arms not in (2, 3):
        raise ValueError(f"arms must be 2 or 3, got {arms!r}")
    params = dict(n=n, noise=noise, seed=seed, test_fraction=test_fraction, arms=arms, turns=turns)
    rng = np.random.default_rng(seed)
    x, y = gen_spirals(rng, _check_n(n, arms), _check_noise(noise), arms, float(turns))
    desc = f"{arms} spirals of {turns:g} turns, one class each"
    return _dataset(
        "spirals", "classification", rng, x, y, test_fraction, description=desc, params=params
    )


def make_circles(*, n=300, noise=0.05, seed=0, test_fraction=0.2, factor=0.5):
    """2-D classification: a ring of radius 1 (class 0) around a ring of radius `factor`
    (class 1)."""
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor must be in (0, 1), got {factor!r}")
    params = dict(n=n, noise=noise, seed=seed, test_fraction=test_fraction, factor=factor)
    rng = np.random.default_rng(seed)
    x, y = gen_circles(rng, _check_n(n), _check_noise(noise), float(factor))
    desc = f"a ring of radius 1 around one of radius {factor:g}"
    return _dataset(
        "circles", "classification", rng, x, y, test_fraction, description=desc, params=params
    )


def make_xor(*, n=300, noise=0.05, seed=0, test_fraction=0.2, margin=0.1):
    """2-D classification: points in [-1, 1]², class 1 where x1·x2 < 0 (the XOR of the signs),
    kept `margin` away from the axes before the noise."""
    if not 0.0 <= margin < 1.0:
        raise ValueError(f"margin must be in [0, 1), got {margin!r}")
    params = dict(n=n, noise=noise, seed=seed, test_fraction=test_fraction, margin=margin)
    rng = np.random.default_rng(seed)
    x, y = gen_xor(rng, _check_n(n), _check_noise(noise), float(margin))
    desc = "XOR of the signs of x1 and x2"
    return _dataset(
        "xor", "classification", rng, x, y, test_fraction, description=desc, params=params
    )


def make_blobs(*, n=300, noise=0.25, seed=0, test_fraction=0.2, classes=3):
    """2-D classification: `classes` Gaussian blobs of standard deviation `noise`, centred on
    the unit circle."""
    if int(classes) != classes or classes < 2:
        raise ValueError(f"classes must be an integer of at least 2, got {classes!r}")
    params = dict(n=n, noise=noise, seed=seed, test_fraction=test_fraction, classes=classes)
    rng = np.random.default_rng(seed)
    x, y = gen_blobs(rng, _check_n(n, classes), _check_noise(noise), int(classes))
    desc = f"{classes} Gaussian blobs (std {noise:g}) on the unit circle"
    return _dataset(
        "blobs", "classification", rng, x, y, test_fraction, description=desc, params=params
    )


def make_moons(*, n=300, noise=0.1, seed=0, test_fraction=0.2):
    """2-D classification: two interleaved half circles, centred and scaled to about [-1, 1]."""
    params = dict(n=n, noise=noise, seed=seed, test_fraction=test_fraction)
    rng = np.random.default_rng(seed)
    x, y = gen_moons(rng, _check_n(n), _check_noise(noise))
    desc = "two interleaved half moons"
    return _dataset(
        "moons", "classification", rng, x, y, test_fraction, description=desc, params=params
    )


def make_shapes(*, n=400, noise=0.1, seed=0, test_fraction=0.2, size=16):
    """Images for CNNs: 1×size×size (size 16 or 28) pictures of an outline square, an outline
    circle, a plus-shaped cross or a bar (4 classes, in that order), jittered in place and
    scale, with Gaussian pixel noise of standard deviation `noise`. Pixels are 0 or 1 before
    the noise."""
    if size not in (16, 28):
        raise ValueError(f"size must be 16 or 28, got {size!r}")
    params = dict(n=n, noise=noise, seed=seed, test_fraction=test_fraction, size=size)
    rng = np.random.default_rng(seed)
    x, y = gen_shapes(rng, _check_n(n, 4), _check_noise(noise), size)
    desc = f"{size}×{size} images of {', '.join(SHAPE_CLASSES)}"
    return _dataset(
        "shapes",
        "classification",
        rng,
        x,
        y,
        test_fraction,
        description=desc,
        params=params,
        class_names=list(SHAPE_CLASSES),
        feature_names=[f"pixel ({r}, {c})" for r in range(size) for c in range(size)],
    )


def make_digits(*, n=None, seed=0, test_fraction=0.2):
    """scikit-learn's 8×8 handwritten digits (1,797 images, 10 classes) as 1×8×8 images scaled
    to [0, 1]; `n` takes a random subset. Needs scikit-learn, which the workbench does not
    depend on."""
    try:
        import sklearn.datasets  # noqa: F401 - fail here, with a message that names it
    except ImportError as e:
        raise ImportError(
            "the 'digits' dataset needs scikit-learn, which is not installed "
            "(pip install scikit-learn)"
        ) from e
    params = dict(n=n, seed=seed, test_fraction=test_fraction)
    rng = np.random.default_rng(seed)
    x, y = gen_digits(rng, None if n is None else _check_n(n))
    return _dataset(
        "digits",
        "classification",
        rng,
        x,
        y,
        test_fraction,
        description="8×8 handwritten digits (scikit-learn)",
        params=params,
        n_classes=10,
        class_names=[str(d) for d in range(10)],
        feature_names=[f"pixel ({r}, {c})" for r in range(8) for c in range(8)],
    )


DATASETS: dict[str, Callable[..., Dataset]] = {
    "sine": make_sine,
    "polynomial": make_polynomial,
    "plane": make_plane,
    "random_regression": make_random_regression,
    "spirals": make_spirals,
    "circles": make_circles,
    "xor": make_xor,
    "blobs": make_blobs,
    "moons": make_moons,
    "shapes": make_shapes,
    "digits": make_digits,
}


# name -> the NumPy generator the factory draws with; its parameters (after `rng`) are named as
# the factory's, so `gen(rng, **{p: dataset.params[p] ...})` then `split` remakes the arrays.
GENERATORS: dict[str, Callable] = {
    "sine": gen_sine,
    "polynomial": gen_polynomial,
    "plane": gen_plane,
    "random_regression": gen_random_regression,
    "spirals": gen_spirals,
    "circles": gen_circles,
    "xor": gen_xor,
    "blobs": gen_blobs,
    "moons": gen_moons,
    "shapes": gen_shapes,
    "digits": gen_digits,
}


def dataset_params(name: str) -> dict:
    """The parameters a dataset takes, with their defaults."""
    factory = _factory(name)
    return {p.name: p.default for p in inspect.signature(factory).parameters.values()}


def available_datasets() -> list[str]:
    """The names `load_dataset` can load here (digits only where scikit-learn is installed)."""
    names = [name for name in DATASETS if name != "digits"]
    try:
        import sklearn.datasets  # noqa: F401
    except ImportError:
        return names
    return [*names, "digits"]


def load_dataset(name: str, **params) -> Dataset:
    """`DATASETS[name](**params)`, with errors that list the valid names and parameters."""
    factory = _factory(name)
    valid = dataset_params(name)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ValueError(
            f"dataset {name!r} has no parameter {', '.join(map(repr, unknown))}; "
            f"its parameters are: {', '.join(valid)}"
        )
    return factory(**params)


def _factory(name):
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown dataset {name!r}; the datasets are: {', '.join(DATASETS)}"
        ) from None
