"""`Tensor`: an array of the device's array module plus what autograd needs to know about it.

The maths lives in the op families (`ops/*.py`); each family contributes its Tensor methods as a
slot-free mixin, so an op's Function, its functional form and its method sit in one file.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import dtypes as _dt
from .autograd import engine as _engine
from .autograd import function as _function
from .autograd.grad_mode import state as _grad_state
from .device import CPU, device_of_array, normalize, to_device_array
from .ops._util import wrap_dim
from .ops.conversion import ConversionMethods
from .ops.elementwise import ElementwiseMethods
from .ops.indexing import IndexingMethods
from .ops.linalg import LinalgMethods
from .ops.reduction import ReductionMethods
from .ops.shape import ShapeMethods

__all__ = ["Tensor", "Size"]


class Size(tuple):
    """`torch.Size`: a tuple that prints as PyTorch prints it."""

    __slots__ = ()

    def __repr__(self):
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, k):
        r = tuple.__getitem__(self, k)
        return Size(r) if isinstance(k, slice) else r

    # arithmetic with tuples stays a Size, as PyTorch's does
    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__


_NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information."
)

# C++ names of the dtypes, as PyTorch's grad-assignment error prints them
_C_NAMES = {
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

_LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."

_new = object.__new__


class Tensor(
    ElementwiseMethods,
    ReductionMethods,
    ShapeMethods,
    IndexingMethods,
    LinalgMethods,
    ConversionMethods,
):
    # The four fields every tensor sets live in slots; the rest default on the class and land
    # in the instance dict only when set, which keeps creating a tensor (the op hot path) cheap.
    # The dict also lets users hang attributes on tensors, as PyTorch allows.
    # _vc, the version counter (a one-item list shared with views; None means version 0), is
    # a slot too: saving an output for backward needs it, and a slot write is much cheaper
    # than growing the instance dict.
    __slots__ = (
        "_data",
        "_requires_grad",
        "_grad_fn",
        "_output_nr",
        "_vc",
        "__dict__",
        "__weakref__",
    )
    _grad = None
    _grad_acc = None  # this leaf's AccumulateGrad node, made on first use
    _hooks = None
    _post_acc_hooks = None
    _base = None  # the tensor this one is a view of
    _retains_grad = False

    # NumPy defers to our reflected operators (ndarray * Tensor -> Tensor.__rmul__).
    __array_ufunc__ = None
    __array_priority__ = 1000

    def __init__(self, *args, device=None):
        """Legacy `torch.Tensor(data)` / `torch.Tensor(2, 3)`: float32 with the default dtype."""
        from .creation import _to_array

        if len(args) == 1 and not isinstance(args[0], int):
            data = _to_array(args[0], _dt.get_default_dtype(), normalize(device))
        else:
            data = np.empty(tuple(args), dtype=_dt.get_default_dtype().np)
            if device is not None:
                data = to_device_array(data, normalize(device))
        _init(self, data)

    @staticmethod
    def _make(data, requires_grad=False, grad_fn=None, output_nr=0):
        t = _new(Tensor)
        t._data = data
        t._requires_grad = requires_grad
        t._grad_fn = grad_fn
        t._output_nr = output_nr
        t._vc = None
        return t

    # ----- what it holds -------------------------------------------------------------------
    @property
    def _xp(self):
        d = self._data
        if d.__class__ is np.ndarray:
            return np
        from .device import array_module

        return array_module(device_of_array(d))

    @property
    def data(self) -> Tensor:
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, not {type(value).__name__}")
        self._data = value._data

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self) -> _dt.dtype:
        return _dt._BY_NP[self._data.dtype]

    @property
    def device(self):
        d = self._data
        return CPU if d.__class__ is np.ndarray else device_of_array(d)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self, memory_format=None) -> bool:
        return True

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        return to_device_array(self._data, CPU).tolist()

    def numpy(self, *, force=False) -> np.ndarray:
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        if self._data.__class__ is not np.ndarray:
            if not force:
                raise TypeError(
                    "can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy "
                    "the tensor to host memory first."
                )
            return self._data.get()
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr if dtype is None else arr.astype(dtype, copy=False)

    @property
    def _version(self) -> int:
        vc = self._vc
        return 0 if vc is None else vc[0]

    # ----- autograd ------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        value = bool(value)
        if self._grad_fn is not None:
            # PyTorch's setter refuses any change on a non-leaf; requires_grad_(True) is a no-op
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables."
                + (
                    ""
                    if value
                    else " If you want to use a computed variable in a subgraph that "
                    "doesn't require differentiation use var_no_grad = var.detach()."
                )
            )
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients"
            )
        self._requires_grad = value

    def requires_grad_(self, requires_grad=True) -> Tensor:
        if requires_grad and self._grad_fn is not None:
            return self
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def grad(self):
        if self._grad_fn is not None and not self._retains_grad:
            warnings.warn(_NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a "
                    f"tensor of size '{list(self._data.shape)}'. Please ensure that the gradient "
                    "and the tensor are the same size"
                )
            if value.dtype is not self.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_C_NAMES[value.dtype.name]}' "
                    f"to a tensor with grad_dtype '{_function._TYPE_NAMES[self.dtype.name]}'. The "
                    "gradient must match the tensor's grad_dtype (defaults to the tensor's "
                    "dtype). You can set the tensor's grad_dtype attribute with a specific dtype, "
                    "or None to allow any dtype. Set grad_dtype with caution. Diverging the "
                    "dtypes of a tensor and its gradient may break downstream systems that "
                    "assume they match."
                )
            if value.device != self.device:
                raise RuntimeError("assigned grad has data located on a different device")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def retain_grad(self) -> None:
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains_grad:
            return
        import weakref

        fn = self._grad_fn
        if fn._retains is None:
            fn._retains = {}
            fn._hooked = True
        fn._retains[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    def register_hook(self, hook):
        """hook(grad) -> None or a replacement grad; runs when this tensor's grad is computed."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            return self._grad_fn._register_tensor_hook(self._output_nr, hook)
        if self._hooks is None:
            self._hooks = {}
        h = _function.RemovableHandle(self._hooks)
        self._hooks[h._key] = hook
        _keep_leaf(self)
        return h

    def register_post_accumulate_grad_hook(self, hook):
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if self._post_acc_hooks is None:
            self._post_acc_hooks = {}
        h = _function.RemovableHandle(self._post_acc_hooks)
        self._post_acc_hooks[h._key] = hook
        _keep_leaf(self)
        return h

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        if gradient is None and inputs is None and not create_graph:
            _engine.backward_plain(self, retain_graph)  # loss.backward(): the lean loop
        else:
            _engine.backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self) -> Tensor:
        t = Tensor._make(self._data)
        t._vc = _shared_vc(self)  # shares storage, so in-place changes must be seen by both
        return t

    def detach_(self) -> Tensor:
        if self._base is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
                "called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self._grad_fn = None
        self._requires_grad = False
        return self

    # ----- in-place ops -------------------------------------------------------------------
    def _inplace(self, op, *args, **kwargs) -> Tensor:
        """Run `op` out of place, write the result into this tensor's memory, rebase its history.

        The op sees a snapshot of the old value (with the old history), so what it saves for
        backward is never the value this write overwrites.
        """
        grad_on = _grad_state.enabled
        if grad_on and self._requires_grad and self._grad_fn is None:
            raise RuntimeError(_LEAF_INPLACE)
        record = grad_on and (
            self._requires_grad or any(isinstance(a, Tensor) and a._requires_grad for a in args)
        )
        if record:
            if self._base is not None:
                # the base would have to take on the view's new history (PyTorch's
                # CopySlices); until it does, refuse rather than lose the gradient silently
                raise RuntimeError(
                    "in-place operations that record a gradient on a view are not supported "
                    "yet: use the out-of-place op (for example `y = x.clone(); y[...] = v`, or "
                    "`x = x + v` instead of `x[...].add_(v)`) instead."
                )
            src = Tensor._make(
                self._data.copy(), self._requires_grad, self._grad_fn, self._output_nr
            )
            out = op.apply(src, *args, **kwargs)
        else:
            out = op.apply(self, *args, **kwargs)
        res = out._data
        if res.shape != self._data.shape:
            raise RuntimeError(
                f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                f"{list(np.broadcast_shapes(res.shape, self._data.shape))}"
            )
        if res.dtype != self._data.dtype:
            _check_cast(res.dtype, self._data.dtype)
        self._data[...] = res
        _bump_version(self)
        if record:
            self._grad_fn = out._grad_fn
            self._output_nr = out._output_nr
            self._requires_grad = out._requires_grad
        return self

    # ----- Python protocol ------------------------------------------------------------------
    def __repr__(self, *, tensor_contents=None):
        return _repr(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                "Boolean value of Tensor with "
                f"{'no values' if self._data.size == 0 else 'more than one value'}"
                " is ambiguous"
            )
        return bool(self._data.reshape(()))

    def __float__(self):
        return float(self._scalar())

    def __int__(self):
        return int(self._scalar())

    def _scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __contains__(self, element):
        if not isinstance(element, (Tensor, int, float, bool, complex)):
            raise RuntimeError(
                "Tensor.__contains__ only supports Tensor or scalar, but you "
                f"passed in a {type(element)}."
            )
        value = element._data if isinstance(element, Tensor) else element
        return bool((self._data == value).any())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self):
        return complex(self._scalar())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    __hash__ = object.__hash__

    def __reduce_ex__(self, proto):
        raise TypeError(
            "Tensors are not picklable here: save them with workbench sessions "
            "(safetensors) instead."
        )

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) "
                "support the deepcopy protocol at the moment."
            )
        t = Tensor._make(self._data.copy(), self._requires_grad)
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t

    # ----- factories that follow this tensor's dtype and device -----------------------------
    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from .creation import tensor

        return tensor(
            data,
            dtype=dtype or self.dtype,
            device=device or self.device,
            requires_grad=requires_grad,
        )

    def _new_full(self, size, value, dtype, device, requires_grad):
        from .creation import full

        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        return full(
            size,
            value,
            dtype=dtype or self.dtype,
            device=device or self.device,
            requires_grad=requires_grad,
        )

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new_full(size, 0, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new_full(size, 1, dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new_full(size, 0, dtype, device, requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return self._new_full(tuple(size), fill_value, dtype, device, requires_grad)


def _repr(t, is_parameter=False):
    from .printing import format_tensor

    dt = t.dtype
    dev = t.device
    return format_tensor(
        to_device_array(t._data, CPU),
        dtype_name=repr(dt),
        is_default_dtype=dt is _dt.get_default_dtype() or dt is _dt.int64 or dt is _dt.bool,
        device=str(dev) if dev.type == "cuda" else None,
        requires_grad=t._requires_grad,
        grad_fn_name=type(t._grad_fn).__name__ if t._grad_fn is not None else None,
        is_parameter=is_parameter,
    )


def _keep_leaf(t):
    """A leaf with hooks must outlive the user's last reference while a graph uses it (its
    hooks still have to run): its AccumulateGrad, which otherwise holds it weakly, keeps it."""
    _function._accumulator(t)._keep = t


def _shared_vc(t):
    vc = t._vc
    if vc is None:
        vc = t._vc = [0]
    return vc


def _bump_version(t):
    vc = t._vc
    if vc is None:
        t._vc = [1]
    else:
        vc[0] += 1


def _init(t, data, requires_grad=False):
    t._data = data
    t._requires_grad = requires_grad
    t._grad_fn = None
    t._output_nr = 0
    t._vc = None


def _check_cast(src, dst):
    order = "biuf"
    if order.index(src.kind if src.kind != "u" else "i") > order.index(
        dst.kind if dst.kind != "u" else "i"
    ):
        names = _function._TYPE_NAMES
        raise RuntimeError(
            f"result type {names[src.name]} can't be cast to the desired output "
            f"type {names[dst.name]}"
        )


_function._bind_tensor_class(Tensor)
