"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode; thread-locality.

Behaviour and messages were read off the reference PyTorch.
"""

import threading

import pytest

import workbench.engine as torch


@pytest.fixture(autouse=True)
def _grad_mode_restored():
    yield
    torch.set_grad_enabled(True)


def x():
    return torch.ones(2, requires_grad=True)


def test_no_grad_context_and_nesting():
    assert torch.is_grad_enabled()
    with torch.no_grad():
        assert not torch.is_grad_enabled()
        y = x() * 2
        assert not y.requires_grad and y.grad_fn is None and y.is_leaf
        with torch.enable_grad():
            assert torch.is_grad_enabled() and (x() * 2).requires_grad
        assert not torch.is_grad_enabled() and not (x() * 2).requires_grad
    assert torch.is_grad_enabled() and (x() * 2).requires_grad


def test_modes_restore_on_exceptions():
    with pytest.raises(ValueError), torch.no_grad():
        raise ValueError
    assert torch.is_grad_enabled()
    with torch.no_grad(), pytest.raises(ValueError), torch.enable_grad():
        raise ValueError
    assert torch.is_grad_enabled()


@pytest.mark.parametrize(
    "deco",
    [
        torch.no_grad(),
        torch.no_grad,
        torch.set_grad_enabled(False),
        torch.inference_mode(),
        torch.inference_mode,
    ],
    ids=["no_grad()", "no_grad", "set_grad_enabled", "inference_mode()", "inference_mode"],
)
def test_decorators_that_turn_grad_off(deco):
    def double(t):
        """Doubles."""
        return t * 2, torch.is_grad_enabled()

    f = deco(double)
    assert torch.is_grad_enabled()  # decorating changed nothing
    y, enabled = f(x())
    assert not enabled and not y.requires_grad
    assert torch.is_grad_enabled()
    assert f.__name__ == "double" and f.__doc__ == "Doubles."


@pytest.mark.parametrize(
    "deco",
    [torch.enable_grad(), torch.enable_grad, torch.set_grad_enabled(True)],
    ids=["enable_grad()", "enable_grad", "set_grad_enabled"],
)
def test_decorators_that_turn_grad_on(deco):
    f = deco(lambda t: t * 2)
    with torch.no_grad():
        assert f(x()).requires_grad
        assert not torch.is_grad_enabled()


def test_decorated_generators_keep_the_mode_inside_only():
    @torch.no_grad()
    def gen(t):
        for i in range(3):
            received = yield torch.is_grad_enabled(), (t * i).requires_grad
            assert received == i + 1

    g = gen(x())
    assert next(g) == (False, False)
    assert torch.is_grad_enabled()
    assert g.send(1) == (False, False)
    assert torch.is_grad_enabled()
    assert g.send(2) == (False, False)
    with pytest.raises(StopIteration):
        g.send(3)

    @torch.enable_grad()
    def gen2():
        yield torch.is_grad_enabled()

    with torch.no_grad():
        assert list(gen2()) == [True]


def test_decorating_a_class_is_deprecated_but_works():
    class A:
        def __init__(self):
            self.enabled = torch.is_grad_enabled()

    with pytest.warns(
        FutureWarning,
        match="^Decorating classes is deprecated and will be disabled in future versions",
    ):
        make = torch.no_grad()(A)
    assert make().enabled is False


def test_set_grad_enabled_as_a_call_and_a_context():
    torch.set_grad_enabled(False)
    assert not torch.is_grad_enabled() and not (x() * 2).requires_grad
    torch.set_grad_enabled(True)
    assert torch.is_grad_enabled()
    with torch.set_grad_enabled(False):
        assert not torch.is_grad_enabled()
        with torch.set_grad_enabled(True):
            assert torch.is_grad_enabled()
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()


@pytest.mark.parametrize("value, name", [("x", "str"), (0, "int"), (None, "NoneType")])
def test_set_grad_enabled_wants_a_bool(value, name):
    with pytest.raises(
        TypeError,
        match=f"^set_grad_enabled\\(\\): argument 'enabled' "
        f"\\(position 1\\) must be bool, not {name}$",
    ):
        torch.set_grad_enabled(value)
    assert torch.is_grad_enabled()


def test_inference_mode():
    inference = torch.autograd.is_inference_mode_enabled
    assert not inference()
    with torch.inference_mode():
        assert inference() and not torch.is_grad_enabled()
        assert not (x() * 2).requires_grad
        with torch.inference_mode(False):  # turns grad on, even inside no_grad
            assert not inference() and torch.is_grad_enabled()
    with torch.no_grad(), torch.inference_mode(False):
        assert torch.is_grad_enabled() and (x() * 2).requires_grad
    assert not inference() and torch.is_grad_enabled()


def test_grad_mode_is_thread_local():
    seen = []

    def worker():
        seen.append(torch.is_grad_enabled())  # a new thread starts with grad on
        with torch.no_grad():
            seen.append(torch.is_grad_enabled())
            started.set()
            resume.wait()

    started, resume = threading.Event(), threading.Event()
    resume.set()
    with torch.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert seen == [True, False]
    seen.clear()
    resume.clear()
    t = threading.Thread(target=worker)
    t.start()
    started.wait()
    assert torch.is_grad_enabled()  # the worker's no_grad does not leak here
    assert (x() * 2).requires_grad
    resume.set()
    t.join()
    assert seen == [True, False]


def test_backward_inside_no_grad_still_works():
    a = x()
    y = (a * a).sum()
    with torch.no_grad():
        y.backward()
    assert a.grad is not None and not a.grad.requires_grad
