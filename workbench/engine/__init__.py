"""The autograd engine, shaped like `torch`: `import workbench.engine as torch`.

NumPy on the CPU, CuPy on an NVIDIA GPU when it is installed. Never imports Qt or anything else
from workbench.
"""

import warnings as _warnings

import numpy as _np

# The submodule `tensor` must load before `creation` so that creation's `tensor` function,
# imported below, is what `workbench.engine.tensor` names (the submodule import would replace it).
from .tensor import Size, Tensor  # isort: split

from . import autograd
from .autograd import (
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    is_inference_mode_enabled,
    set_anomaly_enabled,
)
from .autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .creation import *  # noqa: F403
from .creation import __all__ as _creation_all
from .device import cuda, device
from .dtypes import (
    bool,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    set_default_dtype,
    short,
    uint8,
)
from .ops.conversion import clone
from .ops.elementwise import *  # noqa: F403
from .ops.elementwise import __all__ as _elementwise_all
from .ops.indexing import *  # noqa: F403
from .ops.indexing import __all__ as _indexing_all
from .ops.linalg import *  # noqa: F403
from .ops.linalg import __all__ as _linalg_all
from .ops.reduction import *  # noqa: F403
from .ops.reduction import __all__ as _reduction_all
from .ops.shape import *  # noqa: F403
from .ops.shape import __all__ as _shape_all
from .printing import get_printoptions, set_printoptions

__version__ = "0.1.0"


def equal(input, other) -> bool:
    """True when both have the same shape and elements (no broadcasting, no gradient)."""
    return input.shape == other.shape and (input == other).all().item()  # `bool` is a dtype here


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    xp = input._xp
    o = other._data if isinstance(other, Tensor) else other
    return Tensor._make(
        xp.asarray(xp.isclose(input._data, o, rtol=rtol, atol=atol, equal_nan=equal_nan))
    )


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return isclose(input, other, rtol, atol, equal_nan).all().item()


from . import nn, optim, utils  # noqa: E402 - need Tensor and the op families loaded

__all__ = [
    "autograd",
    "Tensor",
    "Size",
    "device",
    "cuda",
    "dtype",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "clone",
    "set_printoptions",
    "get_printoptions",
    "get_default_dtype",
    "set_default_dtype",
    "promote_types",
    "float",
    "float32",
    "float64",
    "double",
    "float16",
    "half",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "long",
    "short",
    "uint8",
    "bool",
    *_creation_all,
    *_elementwise_all,
    *_indexing_all,
    *_linalg_all,
    *_reduction_all,
    *_shape_all,
    "equal",
    "isclose",
    "allclose",
    "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled",
    "set_anomaly_enabled",
    "is_inference_mode_enabled",
]

# PyTorch raises no floating-point warnings (log(0) is -inf, 0/0 is nan, quietly); NumPy warns.
# The engine follows PyTorch. NumPy keeps `seterr` per thread (a context variable), so a thread
# started later would warn again; the warnings filter is process-wide and matches only warnings
# raised from the engine's own modules, so a user's own NumPy code still warns as usual.
_np.seterr(all="ignore")
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"workbench\.engine(\.|$)")
