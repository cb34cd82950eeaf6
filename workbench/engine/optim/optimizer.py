"""`Optimizer`: parameter groups, per-parameter state, state dicts, zero_grad and step hooks.

Subclasses implement `step` on the raw arrays (`p._data`, `p._grad._data`) in place: an update
is not part of any graph, and going through Tensor ops would cost a dispatch per arithmetic
step on the hot path of training. After writing a parameter they bump its version counter, so
a graph that saved the old value still refuses to backward through it.
"""

from __future__ import annotations

import functools
import itertools
import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy

import numpy as np

from ..autograd.function import RemovableHandle, legacy_type_name
from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor, _bump_version

__all__ = [
    "Optimizer",
    "required",
    "register_optimizer_step_pre_hook",
    "register_optimizer_step_post_hook",
]


class _RequiredParameter:
    """Singleton class representing a required parameter for an Optimizer."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

_global_pre_hooks: dict = OrderedDict()
_global_post_hooks: dict = OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs), before every step."""
    handle = RemovableHandle(_global_pre_hooks)
    _global_pre_hooks[handle._key] = hook
    return handle


def register_optimizer_step_post_hook(hook):
    handle = RemovableHandle(_global_post_hooks)
    _global_post_hooks[handle._key] = hook
    return handle


def typename(obj) -> str:
    """`torch.typename`, as PyTorch's optimizer errors print it."""
    if isinstance(obj, Tensor):
        return legacy_type_name(obj)
    module = getattr(obj, "__module__", "") or ""
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if qualname is None:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def _hooked_step(step):
    """Wraps a subclass's `step` with the step hooks; with none registered it is one call."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        self._opt_called = True  # read by the lr schedulers' call-order warning
        if not (
            _global_pre_hooks
            or _global_post_hooks
            or self._optimizer_step_pre_hooks
            or self._optimizer_step_post_hooks
        ):
            # a plain call where it can be: forwarding *args/**kwargs costs as much again
            if kwargs:
                return step(self, *args, **kwargs)
            if args:
                return step(self, *args)
            return step(self)
        for hook in itertools.chain(
            list(_global_pre_hooks.values()), list(self._optimizer_step_pre_hooks.values())
        ):
            result = hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(
                        f"{step} must return None or a tuple of (new_args, "
                        f"new_kwargs), but got {result}."
                    )
        out = step(self, *args, **kwargs)
        for hook in itertools.chain(
            list(self._optimizer_step_post_hooks.values()), list(_global_post_hooks.values())
        ):
            hook(self, args, kwargs)
        return out

    wrapper.hooked = True
    wrapper._wrapped_by_lr_sched = True  # PyTorch's schedulers look for this marker
    return wrapper


class Optimizer:
    """Base class for all optimizers.

    `params` is an iterable of Tensors, of (name, Tensor) pairs, or of dicts that each define
    a parameter group (`{"params": [...], "lr": 0.1}`); options missing from a group come from
    `defaults`.
    """

    def __init__(self, params, defaults: dict) -> None:
        cls = type(self)
        if not getattr(cls.step, "hooked", False):  # as PyTorch: the class's step, once
            cls.step = _hooked_step(cls.step)
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of "
                "Tensors or dicts, but got " + typename(params)
            )
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in (
            "_optimizer_step_pre_hooks",
            "_optimizer_step_post_hooks",
            "_optimizer_state_dict_pre_hooks",
            "_optimizer_state_dict_post_hooks",
            "_optimizer_load_state_dict_pre_hooks",
            "_optimizer_load_state_dict_post_hooks",
        ):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.defaults.setdefault("differentiable", False)

    def __repr__(self) -> str:
        out = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    out += f"    {key}: {group[key]}\n"
        return out + ")"

    # ----- parameter groups --------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, "
                "but the ordering of tensors in sets will change between runs. "
                "Please use a list instead."
            )
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):  # from named_parameters()
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param "
                    "names are missing"
                )
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    + typename(param)
                )
            if not self.defaults.get("differentiable", None) and not (
                param.is_leaf or param.retains_grad
            ):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    f"parameter group didn't specify a value of required "
                    f"optimization parameter {name}"
                )
            param_group.setdefault(name, default)

        if len(tensors) != len(set(tensors)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in "
                "future, this will cause an error; see "
                "github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )

        param_set = set()
        for group in self.param_groups:
            param_set.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        if not param_set.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ----- gradients ------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        if set_to_none:  # the common case, as its own loop: it runs once per training step
            for group in self.param_groups:
                for p in group["params"]:
                    if p._grad is not None:
                        p._grad = None
            return
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if g._grad_fn is not None:
                    g.detach_()
                else:
                    g._requires_grad = False
                g._data.fill(0)
                _bump_version(g)

    def step(self, closure=None):
        raise NotImplementedError

    def _scratch(self, like):
        """A scratch array shaped like `like`, reused across parameters and steps (allocating a
        large temporary each step would cost page faults on every use)."""
        buffers = self.__dict__.get("_buffers")
        if buffers is None:
            buffers = self._buffers = {}
        if like.__class__ is np.ndarray:  # the common case, with a key that is cheap to build
            key = (like.shape, like.dtype)
        else:
            key = (like.shape, like.dtype, type(like), str(getattr(like, "device", "")))
        buf = buffers.get(key)
        if buf is None:
            buf = buffers[key] = _xp_of(like).empty_like(like)
        return buf

    def _pieces(self, *arrays):
        """The same-shaped `arrays` cut into matching pieces, each with two scratch arrays of
        its shape: [(piece of each array..., tmp, tmp2), ...]; tmp2 may be None.

        An update of a few passes per element runs each pass over a whole parameter, so for a
        large one every pass streams it from memory; run piece by piece, all passes of a piece
        find it in the L2 cache (1.4 ms instead of 2.0-2.4 ms for Adam over a 784-512-512-10
        MLP). NumPy arrays that are all C-contiguous are cut into 1-D pieces of `_PIECE_BYTES`;
        anything else (CuPy, where every pass is a kernel launch; strided arrays) is one piece,
        the whole arrays, with whole-shape scratch.
        """
        d = arrays[0]
        if d.__class__ is not np.ndarray or not all(a.flags.c_contiguous for a in arrays):
            return [(*arrays, self._scratch(d), None)]  # the caller makes tmp2 if it needs one
        n = d.size
        step = max(_PIECE_BYTES // d.itemsize, 1)
        tmp, tmp2 = self._piece_scratch(d.dtype, min(n, step))
        flat = [a.reshape(-1) for a in arrays]
        if n <= step:
            return [(*flat, tmp[:n], tmp2[:n])]
        pieces = []
        for i in range(0, n, step):
            j = min(i + step, n)
            pieces.append((*(a[i:j] for a in flat), tmp[: j - i], tmp2[: j - i]))
        return pieces

    def _piece_scratch(self, dtype, n):
        """Two 1-D scratch arrays of at least `n` elements, 64-byte aligned: a pass that writes
        to an array off a 64-byte boundary (NumPy only promises 16) takes up to twice as long
        with AVX-512."""
        bufs = self.__dict__.get("_piece_buffers")
        if bufs is None:
            bufs = self._piece_buffers = {}
        pair = bufs.get(dtype)
        if pair is None or pair[0].size < n:
            size = max(n, _PIECE_BYTES // dtype.itemsize)
            pair = bufs[dtype] = (_aligned_empty(size, dtype), _aligned_empty(size, dtype))
        return pair

    @staticmethod
    def _closure_loss(closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ----- hooks ---------------------------------------------------------------------------
    def register_step_pre_hook(self, hook):
        """hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)."""
        return _register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """hook(optimizer, args, kwargs) -> None."""
        return _register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return _register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return _register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return _register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return _register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ----- state dicts ---------------------------------------------------------------------
    def state_dict(self) -> dict:
        """{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}.

        Parameters are numbered in the order the groups list them; the state's tensors are the
        optimizer's own (not copies), as in PyTorch.
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        mapping: dict[int, int] = {}
        start = 0

        def pack_group(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {
            (mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()
        }
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match "
                "the size of optimizer's group"
            )
        id_map = dict(
            zip(
                itertools.chain.from_iterable(g["params"] for g in saved_groups),
                itertools.chain.from_iterable(g["params"] for g in groups),
            )
        )

        def cast(param, value, key=None):
            if isinstance(value, Tensor):
                # 'step' keeps its own dtype; other state follows the parameter's dtype/device
                if key == "step":
                    return value
                if param.is_floating_point():
                    return value.to(dtype=param.dtype, device=param.device)
                return value.to(device=param.device)
            if isinstance(value, dict):
                return {k: cast(param, v, key=k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v)
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)


def _xp_of(a):
    return Tensor._make(a)._xp


# bytes per array in one piece of a piecewise update (see Optimizer._pieces): the five or six
# arrays of one piece fit in a 2 MiB L2 cache with room to spare
_PIECE_BYTES = 1 << 18
_ALIGN = 64


def _aligned_empty(n, dtype):
    base = np.empty(n + _ALIGN // dtype.itemsize, dtype)
    offset = (-base.ctypes.data % _ALIGN) // dtype.itemsize
    return base[offset : offset + n]


def _register(store, hook, prepend=False):
    handle = RemovableHandle(store)
    store[handle._key] = hook
    if prepend:
        store.move_to_end(handle._key, last=False)
    return handle


# ----- helpers the algorithms share -------------------------------------------------------


def _scalar(x):
    """A hyperparameter as a Python number (PyTorch also takes 1-element tensors)."""
    return x.item() if isinstance(x, Tensor) else x


_EXACT_LR_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _lr_operand(lr, dtype):
    """`lr` as the operand of a NumPy ufunc on arrays of `dtype`, made once and reused.

    A Python float meets a float array as a "weak" scalar (NEP 50): NumPy converts it to the
    array's dtype on every call, which is most of a call's cost on a small array. A 0-d array
    of that dtype holds the very same value and is the cheapest operand to pass. Anything else
    (a NumPy float64 scalar would promote a float32 array; an int; other dtypes) is returned
    as it is.
    """
    if lr.__class__ is float and dtype in _EXACT_LR_DTYPES:
        return np.array(lr, dtype)
    return lr


def _check_lr(lr):
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _no_differentiable(differentiable):
    if differentiable:
        raise NotImplementedError(
            "differentiable=True is not supported: optimizer steps "
            "update the parameters' arrays in place, outside autograd"
        )


def _step_tensor():
    """A fresh 'step' count: a 0-d float tensor on the CPU, as PyTorch keeps it."""
    import numpy as np

    from .. import dtypes

    dt = np.float64 if dtypes.get_default_dtype() is dtypes.float64 else np.float32
    return Tensor._make(np.zeros((), dt))


def _increment(step_t) -> float:
    d = step_t._data
    d += 1
    return float(d)


def _steps_to_tensors(optimizer):
    """__setstate__ for the stateful optimizers: a numeric 'step' becomes a tensor again."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            s = optimizer.state.get(p)
            if s and "step" in s and not isinstance(s["step"], Tensor):
                t = _step_tensor()
                t._data[...] = float(s["step"])
                s["step"] = t


def _lerp_(xp, start, end, weight, tmp):
    """start.lerp_(end, weight) with PyTorch's CPU formula (it switches sides at weight 0.5)."""
    xp.subtract(end, start, out=tmp)
    if abs(weight) < 0.5:
        tmp *= weight
        start += tmp
    else:
        tmp *= 1 - weight
        xp.subtract(end, tmp, out=start)
