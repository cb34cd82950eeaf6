"""Grad modes: `no_grad`, `enable_grad`, `set_grad_enabled`, `inference_mode`.

The mode is thread-local, as in PyTorch, so a worker thread's `no_grad` never leaks into the GUI
thread. `state` also carries the running module path (for node metadata) because op dispatch
reads both on its hot path and one thread-local lookup is cheaper than two.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import threading
import warnings

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "is_inference_mode_enabled",
]


# Context variables rather than threading.local: each thread still has its own values (a
# new thread starts from the defaults), and reading one costs about half as much, which
# matters because op dispatch reads the grad mode on every call.
enabled_var = contextvars.ContextVar("workbench_grad_enabled", default=True)
inference_var = contextvars.ContextVar("workbench_inference_mode", default=False)
# The dotted path of the nn.Module whose forward is running (recorded in node metadata), per
# thread: thread id -> path, no entry while none runs. A dict rather than a context variable
# because a module call sets it and resets it: setting a context variable costs several dict
# stores and makes the next read of every other one (grad mode, read on every op) slower.
module_paths: dict = {}
get_ident = threading.get_ident

# Whether any module path was ever set in this process: until one is, op recording skips
# looking it up (it would always be None), which saves time on every op.
module_paths_used = [False]


def module_path():
    """The running module's dotted path on this thread, or None."""
    return module_paths.get(get_ident())


def set_module_path(value):
    """Set this thread's running module path (None: none); returns the previous one."""
    tid = get_ident()
    prev = module_paths.get(tid)
    if value is None:
        module_paths.pop(tid, None)
    else:
        module_paths_used[0] = True
        module_paths[tid] = value
    return prev


class _State:
    """Attribute-style access to the per-thread modes (`state.enabled = False`)."""

    __slots__ = ()

    enabled = property(
        lambda self: enabled_var.get(), lambda self, v: enabled_var.set(bool(v)) and None
    )
    inference = property(
        lambda self: inference_var.get(), lambda self, v: inference_var.set(bool(v)) and None
    )
    module_path = property(lambda self: module_path(), lambda self, v: set_module_path(v) and None)


state = _State()


def is_grad_enabled() -> bool:
    return enabled_var.get()


def is_inference_mode_enabled() -> bool:
    return state.inference


class _DecoratorContextManager:
    """A context manager that also decorates functions (and generator functions) like PyTorch's."""

    def __call__(self, func):
        if inspect.isclass(func):
            warnings.warn(
                "Decorating classes is deprecated and will be disabled in future versions. You "
                "should only decorate functions or methods. To preserve the current behavior of "
                "class decoration, you can directly decorate the `__init__` method and nothing "
                "else.",
                FutureWarning,
                stacklevel=2,
            )
            cls = func
            func = lambda *args, **kwargs: cls(*args, **kwargs)  # noqa: E731
        if inspect.isgeneratorfunction(func):
            return self._wrap_generator(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)

        return wrapper

    def _wrap_generator(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            gen = func(*args, **kwargs)
            try:
                with self.clone():
                    request = gen.send(None)
                while True:
                    try:
                        response = yield request
                    except GeneratorExit:
                        with self.clone():
                            gen.close()
                        raise
                    except BaseException as exc:  # forward throw() into the generator
                        with self.clone():
                            request = gen.throw(exc)
                    else:
                        with self.clone():
                            request = gen.send(response)
            except StopIteration as stop:
                return stop.value

        return wrapper

    def clone(self):
        return self.__class__()


class _NoParamDecoratorContextManager(_DecoratorContextManager):
    """Also usable as a decorator without parentheses: `@no_grad` as well as `@no_grad()`."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecoratorContextManager):
    def __init__(self):
        self.prev = None

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = False

    def __exit__(self, *exc):
        state.enabled = self.prev


class enable_grad(_NoParamDecoratorContextManager):
    def __init__(self):
        self.prev = None

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = True

    def __exit__(self, *exc):
        state.enabled = self.prev


class set_grad_enabled(_DecoratorContextManager):
    """Sets the mode on construction (so it also works as a plain call), restores on exit."""

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):
            raise TypeError(
                "set_grad_enabled(): argument 'enabled' (position 1) must be bool, "
                f"not {_typename(mode)}"
            )
        self.prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def __call__(self, func):
        state.enabled = self.prev  # used as a decorator: the call itself must not change the mode
        return super().__call__(func)

    def __enter__(self):
        state.enabled = self.mode

    def __exit__(self, *exc):
        state.enabled = self.prev

    def clone(self):
        return self.__class__(self.mode)


class inference_mode(_DecoratorContextManager):
    """`no_grad` plus a flag: the engine has no separate inference tensors.

    As in PyTorch, `inference_mode(False)` turns grad mode on, even inside `no_grad`.
    """

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # used as a bare decorator: `mode` is the function

    def __init__(self, mode: bool = True):
        self.mode = mode
        self.prev = None

    def __enter__(self):
        self.prev = (state.enabled, state.inference)
        state.enabled = not self.mode
        state.inference = self.mode

    def __exit__(self, *exc):
        state.enabled, state.inference = self.prev

    def clone(self):
        return self.__class__(self.mode)


def _typename(v):
    t = type(v)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"
