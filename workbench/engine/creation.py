"""Tensor factories (`tensor`, `zeros`, `linspace`, `randn`...) and the global random generator."""

from __future__ import annotations

import numbers

import numpy as np

from . import dtypes as _dt
from .autograd import function as _f
from .device import CPU, array_module, normalize, to_device_array

__all__ = [
    "tensor",
    "as_tensor",
    "from_numpy",
    "zeros",
    "ones",
    "full",
    "empty",
    "eye",
    "arange",
    "linspace",
    "rand",
    "randn",
    "randint",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "rand_like",
    "randn_like",
    "randint_like",
    "manual_seed",
    "seed",
    "initial_seed",
    "Generator",
    "default_generator",
    "get_rng_state",
    "set_rng_state",
    "is_tensor",
    "numel",
]


def _infer_dtype(data) -> _dt.dtype:
    """PyTorch's inference: bools, then ints (int64), then floats (the default dtype)."""
    kind = -1  # nothing seen yet: an empty list gives the default float dtype
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, _f.Tensor):
            return x.dtype
        elif isinstance(x, bool | np.bool_):
            kind = max(kind, 0)
        elif isinstance(x, numbers.Integral):
            kind = max(kind, 1)
        elif isinstance(x, numbers.Real):
            kind = max(kind, 2)
        else:
            raise TypeError(f"Could not infer dtype of {type(x).__name__}")
    return (
        (_dt.bool, _dt.int64, _dt.get_default_dtype())[kind]
        if kind >= 0
        else _dt.get_default_dtype()
    )


def _to_array(data, dtype, dev):
    """Host or device array of `data` (nested lists, scalars, arrays, Tensors)."""
    if isinstance(data, _f.Tensor):
        arr = data._data
        if dtype is None:
            dtype = data.dtype
        arr = to_device_array(arr, dev)
        return arr.astype(dtype.np, copy=False)
    if isinstance(data, np.ndarray):
        if dtype is None:
            dtype = _dt.from_numpy_dtype(data.dtype)
        return to_device_array(data.astype(dtype.np, copy=False), dev)
    if hasattr(data, "__cuda_array_interface__"):
        if dtype is None:
            dtype = _dt.from_numpy_dtype(data.dtype)
        return to_device_array(data, dev).astype(dtype.np, copy=False)
    if dtype is None:
        dtype = _infer_dtype(data)
    if isinstance(data, (list, tuple)) and any(isinstance(x, _f.Tensor) for x in data):
        data = [to_device_array(x._data, CPU) if isinstance(x, _f.Tensor) else x for x in data]
    try:
        arr = np.array(data, dtype=dtype.np)
    except ValueError as exc:
        raise ValueError(
            _ragged(data) or f"expected sequence of equal-length lists: {exc}"
        ) from None
    return to_device_array(arr, dev)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    dt = None if dtype is None else _dt.to_dtype(dtype)
    arr = _to_array(data, dt, normalize(device))
    if isinstance(data, (np.ndarray, _f.Tensor)) and arr is (
        data._data if isinstance(data, _f.Tensor) else data
    ):
        arr = arr.copy()  # torch.tensor always copies
    return _finish(arr, requires_grad)


def _ragged(data):
    """PyTorch's message for nested lists of unequal lengths, naming the first mismatch."""
    level = [data]
    dim = 0
    while level and all(isinstance(x, (list, tuple)) for x in level):
        n = len(level[0])
        for x in level:
            if len(x) != n:
                return f"expected sequence of length {n} at dim {dim} (got {len(x)})"
        level = [y for x in level for y in x]
        dim += 1
    return None


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, _f.Tensor):
        return data.to(dtype=dtype, device=device) if (dtype or device) else data
    dt = None if dtype is None else _dt.to_dtype(dtype)
    return _f.Tensor._make(_to_array(data, dt, normalize(device)))


def from_numpy(ndarray):
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dt.from_numpy_dtype(ndarray.dtype)
    return _f.Tensor._make(ndarray)  # shares memory, as PyTorch's does


def is_tensor(obj) -> bool:
    return isinstance(obj, _f.Tensor)


def numel(input) -> int:
    return input.numel()


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, numbers.Integral):
            raise TypeError(
                f"expected a sequence of integers for the size, but got {type(s).__name__}"
            )
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return tuple(int(s) for s in size)


def _finish(arr, requires_grad):
    t = _f.Tensor._make(arr)
    if requires_grad:
        if arr.dtype.kind != "f":
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        t._requires_grad = True
    return t


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    dev = normalize(device)
    if dtype is None:
        dtype = _infer_dtype(fill_value)
    dtype = _dt.to_dtype(dtype)
    return _finish(
        array_module(dev).full(
            _size((size,) if isinstance(size, int) else tuple(size)), fill_value, dtype=dtype.np
        ),
        requires_grad,
    )


def _filled(value, size, dtype, device, requires_grad):
    dev = normalize(device)
    dt = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    xp = array_module(dev)
    shape = _size(size)
    arr = xp.zeros(shape, dt.np) if value == 0 else xp.full(shape, value, dt.np)
    return _finish(arr, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None):
    if any(
        isinstance(s, int) and s < 0
        for s in (size[0] if size and isinstance(size[0], (tuple, list)) else size)
    ):
        raise RuntimeError("zeros: Dimension size must be non-negative.")
    return _filled(0, size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _filled(1, size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _filled(0, size, dtype, device, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    dev = normalize(device)
    dt = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    return _finish(array_module(dev).eye(n, n if m is None else m, dtype=dt.np), requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        dtype = _infer_dtype([start, end, step])
    dt = _dt.to_dtype(dtype)
    dev = normalize(device)
    # computed in float64 then cast, as PyTorch does, so float ranges have the same length
    arr = np.arange(start, end, step, dtype=np.float64 if dt.is_floating_point else np.int64)
    return _finish(to_device_array(arr.astype(dt.np), dev), requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    dt = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    arr = np.linspace(float(start), float(end), int(steps), dtype=np.float64)
    return _finish(to_device_array(arr.astype(dt.np), normalize(device)), requires_grad)


# ----- random numbers ------------------------------------------------------------------------


class Generator:
    """A seeded source of random numbers (NumPy's PCG64 underneath)."""

    def __init__(self, device="cpu"):
        self.device = normalize(device)
        self._seed = 67280421310721
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy % (1 << 63))
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        import json

        from .creation import tensor

        state = json.dumps(self._rng.bit_generator.state)
        return tensor(list(state.encode()), dtype=_dt.uint8)

    def set_state(self, state) -> None:
        import json

        self._rng.bit_generator.state = json.loads(bytes(state.tolist()).decode())


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    from .device import cuda

    cuda.manual_seed(int(seed))
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)


def _random(fill, size, dtype, device, requires_grad, generator):
    rng = (generator or default_generator)._rng
    dt = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    shape = _size(size)
    # drawn on the host from one generator, so a seed gives the same numbers on every device
    arr = fill(rng, shape).astype(dt.np, copy=False)
    return _finish(to_device_array(arr, normalize(device)), requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    return _random(
        lambda r, s: r.random(s, dtype=np.float64), size, dtype, device, requires_grad, generator
    )


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    return _random(
        lambda r, s: r.standard_normal(s, dtype=np.float64),
        size,
        dtype,
        device,
        requires_grad,
        generator,
    )


def randint(
    low, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False
):
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high  # randint(high, size)
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    dt = _dt.int64 if dtype is None else _dt.to_dtype(dtype)
    rng = (generator or default_generator)._rng
    arr = rng.integers(low, high, size=_size(tuple(size)), dtype=np.int64).astype(dt.np)
    return _finish(to_device_array(arr, normalize(device)), requires_grad)


def _like(fn, input, dtype, device, requires_grad, *args):
    return fn(
        *args,
        input.shape,
        dtype=dtype or input.dtype,
        device=device or input.device,
        requires_grad=requires_grad,
    )


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(zeros, input, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(ones, input, dtype, device, requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(empty, input, dtype, device, requires_grad)


def full_like(
    input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None
):
    return full(
        input.shape,
        fill_value,
        dtype=dtype or input.dtype,
        device=device or input.device,
        requires_grad=requires_grad,
    )


def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(rand, input, dtype, device, requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(randn, input, dtype, device, requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False):
    if high is None:
        low, high = 0, low
    return randint(
        low,
        high,
        tuple(input.shape),
        dtype=dtype or input.dtype,
        device=device or input.device,
        requires_grad=requires_grad,
    )
