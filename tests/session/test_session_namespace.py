"""namespace_entries: the tensors and modules of a namespace, described for the variables panel."""

import warnings

import workbench.engine as torch
from workbench.engine import nn
from workbench.session import NamespaceEntry, namespace_entries


def _by_name(namespace, **kwargs):
    return {entry.name: entry for entry in namespace_entries(namespace, **kwargs)}


def test_a_plain_tensor():
    (entry,) = namespace_entries({"x": torch.zeros(2, 3)})
    assert entry == NamespaceEntry(
        name="x",
        kind="tensor",
        type_name="Tensor",
        shape=(2, 3),
        dtype="float32",
        device="cpu",
        requires_grad=False,
        has_grad=False,
        grad_fn=None,
        numel=6,
        summary="tensor 2×3 float32",
    )


def test_dtypes_and_scalars():
    entries = _by_name({"i": torch.tensor([1, 2, 3]), "s": torch.tensor(2.5, dtype=torch.float64)})
    assert (entries["i"].dtype, entries["i"].shape, entries["i"].numel) == ("int64", (3,), 3)
    assert entries["i"].summary == "tensor 3 int64"
    assert (entries["s"].shape, entries["s"].numel) == ((), 1)
    assert entries["s"].summary == "tensor scalar float64"


def test_a_leaf_with_a_grad_and_a_non_leaf():
    x = torch.ones(2, requires_grad=True)
    y = x * 3
    y.sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # describing y must not touch its .grad (that warns)
        entries = _by_name({"x": x, "y": y})
    assert (entries["x"].requires_grad, entries["x"].has_grad, entries["x"].grad_fn) == (
        True,
        True,
        None,
    )
    assert entries["x"].summary == "tensor 2 float32, requires_grad, has grad"
    assert (entries["y"].requires_grad, entries["y"].has_grad, entries["y"].grad_fn) == (
        True,
        False,
        "MulBackward0",
    )
    assert entries["y"].summary == "tensor 2 float32, grad_fn=MulBackward0"


def test_a_non_leaf_that_retains_its_grad():
    x = torch.ones(2, requires_grad=True)
    y = x * 3
    y.retain_grad()
    y.sum().backward()
    assert _by_name({"y": y})["y"].has_grad is True


def test_a_parameter():
    (entry,) = namespace_entries({"w": nn.Parameter(torch.ones(4, 2))})
    assert (entry.kind, entry.type_name, entry.shape) == ("parameter", "Parameter", (4, 2))
    assert entry.requires_grad is True
    assert entry.summary == "parameter 4×2 float32, requires_grad"


def test_a_sequential_and_its_parameters():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    entries = namespace_entries({"model": model, "z": torch.ones(1), "a": torch.ones(1)})
    assert [e.name for e in entries] == [
        "a",
        "model",
        "model.0.weight",
        "model.0.bias",
        "model.2.weight",
        "model.2.bias",
        "z",
    ]
    module = entries[1]
    assert (module.kind, module.type_name, module.numel) == ("module", "Sequential", 26)
    assert (module.shape, module.dtype, module.device, module.grad_fn) == (None,) * 4
    assert module.summary == "Sequential(3 submodules, 26 parameters)"
    weight = entries[2]
    assert (weight.kind, weight.type_name, weight.shape) == ("parameter", "Parameter", (4, 3))


def test_a_leaf_module_summary_is_its_one_line_repr():
    linear = nn.Linear(3, 2)
    (entry,) = namespace_entries({"fc": linear}, include_module_params=False)
    assert entry.summary == "Linear(in_features=3, out_features=2, bias=True)" == repr(linear)
    assert entry.numel == 8


def test_private_names_classes_functions_and_python_modules_are_skipped():
    namespace = {
        "_hidden": torch.ones(1),
        "__builtins__": __builtins__,
        "torch": torch,
        "Tensor": torch.Tensor,
        "Linear": nn.Linear,
        "fn": len,
        "lam": lambda: 0,
        "number": 3,
        "text": "a tensor",
        "arrays": [torch.ones(1)],
        "shown": torch.ones(1),
    }
    assert [e.name for e in namespace_entries(namespace)] == ["shown"]


class _ExplodingGetattr:
    def __getattr__(self, name):
        raise RuntimeError(f"no {name}")


class _LyingClass:
    @property
    def __class__(self):
        raise RuntimeError("no class")


class _FakeTensor:
    """Claims to be a Tensor but has none of its attributes."""

    __class__ = torch.Tensor


class _MyTensor(torch.Tensor):
    pass


class _BrokenModule(nn.Module):
    def extra_repr(self):
        raise ValueError("broken")


class _BrokenParameters(nn.Module):
    def named_parameters(self, *args, **kwargs):
        raise ValueError("broken")


def test_odd_objects_never_crash_the_listing():
    namespace = {
        "a_getattr": _ExplodingGetattr(),
        "b_lying": _LyingClass(),
        "c_fake": _FakeTensor(),
        "d_sub": _MyTensor([1.0, 2.0]),
        "e_broken_repr": _BrokenModule(),
        "f_broken_params": _BrokenParameters(),
        "g_fine": torch.ones(1),
        3: torch.ones(1),  # a non-string key (possible via globals())
    }
    entries = _by_name(namespace)
    assert sorted(entries) == ["d_sub", "e_broken_repr", "g_fine"]
    assert entries["d_sub"].type_name == "_MyTensor"
    assert entries["d_sub"].kind == "tensor"
    assert entries["e_broken_repr"].summary == "_BrokenModule()"


def test_session_namespace_entries_delegates(session, run_code):
    run_code("import workbench.engine as torch\nmodel = torch.nn.Linear(2, 1)\nx = torch.ones(2)")
    names = [e.name for e in session.namespace_entries()]
    assert names == ["model", "model.weight", "model.bias", "x"]
