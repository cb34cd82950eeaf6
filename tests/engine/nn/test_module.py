"""nn.Module: registration, naming, state dicts, modes, grads, hooks, printing, module paths.

Expected names, orders, messages and reprs were taken from PyTorch 2.13 running the same code.
"""

from __future__ import annotations

import copy
import gc
import threading
import warnings
import weakref
from collections import OrderedDict

import numpy as np
import pytest

import workbench.engine as torch
from workbench.engine import nn
from workbench.engine.nn.modules import module as module_impl


class ReLU(nn.Module):
    """Stand-in with PyTorch's repr, so these tests depend on no other layer family."""

    def forward(self, x):
        return x.relu()


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(1000, 100)
        self.relu = ReLU()
        self.fc2 = nn.Linear(100, 10)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))


class Net(nn.Module):
    """Parameters, buffers (one non-persistent) and nested containers."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 4)
        self.act = ReLU()
        self.seq = nn.Sequential(nn.Linear(4, 3), nn.Sequential(nn.Identity(), nn.Flatten()))
        self.register_buffer("running", torch.zeros(3))
        self.register_buffer("tmp", torch.zeros(2), persistent=False)
        self.ml = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
        self.md = nn.ModuleDict({"b": nn.Identity(), "a": nn.Linear(1, 1)})
        self.pl = nn.ParameterList([nn.Parameter(torch.zeros(2, 3)), torch.ones(2)])


# ----- registration and naming ---------------------------------------------------------------


def test_named_members_match_pytorch_orders_and_names():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "fc1.weight",
        "fc1.bias",
        "seq.0.weight",
        "seq.0.bias",
        "ml.0.weight",
        "ml.0.bias",
        "ml.1.weight",
        "ml.1.bias",
        "md.a.weight",
        "md.a.bias",
        "pl.0",
        "pl.1",
    ]
    assert [n for n, _ in net.named_buffers()] == ["running", "tmp"]
    assert [n for n, _ in net.named_modules()] == [
        "",
        "fc1",
        "act",
        "seq",
        "seq.0",
        "seq.1",
        "seq.1.0",
        "seq.1.1",
        "ml",
        "ml.0",
        "ml.1",
        "md",
        "md.b",
        "md.a",
        "pl",
    ]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "seq", "ml", "md", "pl"]
    assert list(net.state_dict()) == [
        "running",
        "fc1.weight",
        "fc1.bias",
        "seq.0.weight",
        "seq.0.bias",
        "ml.0.weight",
        "ml.0.bias",
        "ml.1.weight",
        "ml.1.bias",
        "md.a.weight",
        "md.a.bias",
        "pl.0",
        "pl.1",
    ]
    assert len(list(net.parameters())) == 12
    assert len(list(net.parameters(recurse=False))) == 0
    assert len(list(net.buffers())) == 2
    assert [type(m).__name__ for m in net.children()][:3] == ["Linear", "ReLU", "Sequential"]
    assert next(iter(net.modules())) is net


def test_named_parameters_prefix_recurse_and_duplicates():
    assert [n for n, _ in TwoLayer().named_parameters(prefix="model")] == [
        "model.fc1.weight",
        "model.fc1.bias",
        "model.fc2.weight",
        "model.fc2.bias",
    ]
    lin = nn.Linear(2, 2)
    assert [n for n, _ in lin.named_parameters(recurse=False)] == ["weight", "bias"]
    shared = nn.Sequential(lin, lin)
    assert [n for n, _ in shared.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in shared.named_parameters(remove_duplicate=False)] == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
    ]
    assert [n for n, _ in shared.named_modules()] == ["", "0"]
    assert [n for n, _ in shared.named_modules(remove_duplicate=False)] == ["", "0", "1"]
    assert list(shared.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_attribute_registration_moves_between_kinds():
    m = nn.Module()
    p = nn.Parameter(torch.ones(2))
    m.x = p
    assert m._parameters["x"] is p and m.x is p
    m.x = None  # None keeps the slot, as in PyTorch
    assert "x" in m._parameters and m.x is None
    assert list(m.parameters()) == []
    sub = nn.Linear(1, 1)
    m.y = torch.zeros(1)  # a plain tensor is a plain attribute
    assert "y" in m.__dict__ and "y" not in m._buffers
    m.y = sub
    assert m._modules["y"] is sub and "y" not in m.__dict__
    m.register_buffer("b", torch.zeros(2))
    m.b = torch.ones(2)  # reassigning a buffer keeps it a buffer
    assert m._buffers["b"].tolist() == [1.0, 1.0]
    m.c = nn.Buffer(torch.ones(1), persistent=False)
    assert "c" in m._buffers and "c" in m._non_persistent_buffers_set
    del m.x, m.y, m.b
    assert "x" not in m._parameters and "y" not in m._modules and "b" not in m._buffers
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'x'"):
        m.x  # noqa: B018


def test_registration_errors_match_pytorch():
    m = nn.Linear(2, 2)
    cases = [
        (lambda: m.register_buffer("a.b", None), KeyError, 'buffer name can\'t contain "."'),
        (lambda: m.register_buffer("", None), KeyError, 'buffer name can\'t be empty string ""'),
        (lambda: m.register_buffer("weight", None), KeyError, "attribute 'weight' already exists"),
        (
            lambda: m.register_buffer("z", 3),
            TypeError,
            "cannot assign 'int' object to buffer 'z' (torch Tensor or None required)",
        ),
        (lambda: m.register_buffer(1, None), TypeError, "buffer name should be a string. Got int"),
        (
            lambda: m.register_parameter("z", torch.zeros(2)),
            TypeError,
            "cannot assign 'torch.FloatTensor' object to parameter 'z' (torch.nn.Parameter or None "
            "required)",
        ),
        (lambda: m.add_module("z", 3), TypeError, "int is not a Module subclass"),
        (
            lambda: m.add_module("a.b", nn.Identity()),
            KeyError,
            'module name can\'t contain ".", got: a.b',
        ),
        (
            lambda: setattr(m, "weight", torch.zeros(2, 2)),
            TypeError,
            "cannot assign 'torch.FloatTensor' as parameter 'weight' (torch.nn.Parameter or None "
            "expected)",
        ),
        (lambda: m.train(1), ValueError, "training mode is expected to be boolean"),
        (lambda: m.get_submodule("foo"), AttributeError, "Linear has no attribute `foo`"),
        (lambda: m.get_parameter("foo"), AttributeError, "Linear has no attribute `foo`"),
        (lambda: m.get_parameter("weight.x"), AttributeError, "`weight` is not an nn.Module"),
        (
            lambda: m.to(torch.int64),
            TypeError,
            "nn.Module.to only accepts floating point or complex dtypes, but got desired "
            "dtype=torch.int64",
        ),
        (
            lambda: nn.Module(3),
            TypeError,
            "Module.__init__() takes 1 positional argument but 2 were given",
        ),
        (
            lambda: nn.Module()(1),
            NotImplementedError,
            'Module [Module] is missing the required "forward" function',
        ),
    ]
    for fn, exc, msg in cases:
        with pytest.raises(exc) as info:
            fn()
        text = info.value.args[0] if exc is KeyError else str(info.value)
        assert text == msg

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(torch.ones(1))

    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module"):
        Early()
    nonleaf = nn.Parameter(torch.ones(2)) * 2
    nonleaf.__class__ = nn.Parameter
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'q'"):
        m.register_parameter("q", nonleaf)


def test_get_submodule_parameter_buffer():
    net = Net()
    assert net.get_submodule("seq.1.1") is net.seq[1][1]
    assert net.get_submodule("") is net
    assert net.get_parameter("seq.0.bias") is net.seq[0].bias
    assert net.get_buffer("running") is net.running
    with pytest.raises(AttributeError, match="`weight` is not a buffer"):
        net.get_buffer("fc1.weight")
    net.set_submodule("seq.0", nn.Identity())
    assert isinstance(net.seq[0], nn.Identity)


def test_dir_lists_parameters_modules_buffers():
    names = dir(Net())
    for n in ("fc1", "running", "seq", "state_dict", "training"):
        assert n in names
    assert "weight" in dir(nn.Linear(1, 1))


# ----- Parameter --------------------------------------------------------------------------------


def test_parameter_basics_and_repr():
    data = torch.ones(2)
    p = nn.Parameter(data)
    assert isinstance(p, torch.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf
    assert repr(p) == "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
    assert repr(nn.Parameter(torch.ones(2), requires_grad=False)) == (
        "Parameter containing:\ntensor([1., 1.])"
    )
    assert repr(nn.Parameter(torch.ones(2, dtype=torch.float64))) == (
        "Parameter containing:\ntensor([1., 1.], dtype=torch.float64, requires_grad=True)"
    )
    # shares memory with the tensor it was made from
    data.mul_(3)
    assert p.tolist() == [3.0, 3.0]
    for t in (p * 2, p.detach(), p.data, p + 0):
        assert type(t) is torch.Tensor
    assert nn.Parameter().shape == (0,)
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype"):
        nn.Parameter(torch.tensor([1, 2]))
    assert not nn.Parameter(torch.tensor([1, 2]), requires_grad=False).requires_grad


def test_parameter_and_module_deepcopy():
    net = TwoLayer()
    net.fc1.weight.grad = torch.ones(100, 1000)
    clone = copy.deepcopy(net)
    assert type(clone.fc1.weight) is nn.Parameter
    assert clone.fc1.weight is not net.fc1.weight
    assert np.array_equal(clone.fc1.weight.detach().numpy(), net.fc1.weight.detach().numpy())
    assert clone.fc1.weight.grad is None  # PyTorch's Parameter deepcopy leaves .grad behind
    with torch.no_grad():
        clone.fc1.weight.zero_()
    assert net.fc1.weight.abs().sum().item() > 0


# ----- state dicts -----------------------------------------------------------------------------


def test_state_dict_round_trip_and_sharing():
    torch.manual_seed(0)
    a, b = Net(), Net()
    sd = a.state_dict()
    assert isinstance(sd, OrderedDict)
    assert sd._metadata[""] == {"version": 1} and "seq.1.0" in sd._metadata
    assert all(not v.requires_grad for v in sd.values())
    assert type(sd["fc1.weight"]) is torch.Tensor
    # detached, but the same memory as the parameter
    with torch.no_grad():
        a.fc1.bias.fill_(7.0)
    assert sd["fc1.bias"].tolist() == [7.0] * 4
    assert b.load_state_dict(sd).missing_keys == []
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert na == nb and np.array_equal(pa.detach().numpy(), pb.detach().numpy())
    assert b.fc1.bias.tolist() == [7.0] * 4
    # loading copies in place: the Parameter objects stay (optimizers keep working)
    before = b.fc1.weight
    b.load_state_dict(Net().state_dict())
    assert b.fc1.weight is before
    kept = a.state_dict(keep_vars=True)
    assert kept["fc1.weight"] is a.fc1.weight


def test_load_state_dict_errors_match_pytorch():
    lin = nn.Linear(3, 2)
    with pytest.raises(RuntimeError) as info:
        lin.load_state_dict({"weight": torch.zeros(2, 3)})
    assert str(info.value) == (
        'Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". '
    )
    with pytest.raises(RuntimeError) as info:
        lin.load_state_dict(
            {
                "weight": torch.zeros(2, 3),
                "bias": torch.zeros(2),
                "foo": torch.zeros(1),
                "x.y": torch.zeros(1),
            }
        )
    assert str(info.value) == (
        "Error(s) in loading state_dict for Linear:\n\tUnexpected key(s) "
        'in state_dict: "foo", "x.y". '
    )
    with pytest.raises(RuntimeError) as info:
        lin.load_state_dict({"weight": torch.zeros(3, 3), "bias": 1})
    assert str(info.value) == (
        "Error(s) in loading state_dict for Linear:\n\tsize mismatch for weight: copying a param "
        "with shape torch.Size([3, 3]) from checkpoint, the shape in current model is "
        'torch.Size([2, 3]).\n\tWhile copying the parameter named "bias", expected '
        "torch.Tensor or Tensor-like object from checkpoint but received <class 'int'>"
    )
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        lin.load_state_dict([1, 2])
    result = lin.load_state_dict({"weight": torch.zeros(2, 3)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == []
    assert type(result).__name__ == "_IncompatibleKeys"
    assert repr(result) == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])"
    assert repr(lin.load_state_dict(lin.state_dict())) == "<All keys matched successfully>"
    assert lin.weight.abs().sum().item() == 0  # strict=False still loaded what matched


def test_load_state_dict_assign_and_nonpersistent_buffers():
    m = Net()
    assert "tmp" not in m.state_dict()
    new = {k: v.clone() + 1 for k, v in m.state_dict().items()}
    m.load_state_dict(new, assign=True)
    assert type(m.fc1.weight) is nn.Parameter and m.fc1.weight.requires_grad
    assert m.running.tolist() == [1.0, 1.0, 1.0]


def test_state_dict_hooks():
    lin = nn.Linear(2, 2)
    seen = []
    lin.register_state_dict_pre_hook(lambda m, prefix, keep: seen.append(("pre", prefix)))
    lin.register_state_dict_post_hook(lambda m, sd, prefix, meta: seen.append(("post", len(sd))))
    nn.Sequential(lin).state_dict()
    assert seen == [("pre", "0."), ("post", 2)]
    lin.register_load_state_dict_post_hook(lambda m, keys: keys.missing_keys.clear())
    assert lin.load_state_dict({"weight": torch.zeros(2, 2)}).missing_keys == []


# ----- modes, grads, conversions -------------------------------------------------------------


def test_train_eval_recurse():
    net = Net()
    assert net.training and net.seq[1][0].training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_both_modes():
    lin = nn.Linear(3, 2)
    lin.zero_grad()
    assert lin.weight.grad is None
    lin(torch.ones(1, 3)).sum().backward()
    g = lin.weight.grad
    assert g.abs().sum().item() > 0
    lin.zero_grad(set_to_none=False)
    assert lin.weight.grad is g  # zeroed in place, same tensor
    assert g.tolist() == [[0.0] * 3] * 2 and lin.bias.grad.tolist() == [0.0, 0.0]
    lin(torch.ones(1, 3)).sum().backward()
    assert lin.bias.grad.tolist() == [1.0, 1.0]
    lin.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None
    # a grad with history (create_graph) is detached in place
    x = torch.ones(1, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (lin(x) ** 2).sum().backward(create_graph=True)
    assert lin.weight.grad.grad_fn is not None
    lin.zero_grad(set_to_none=False)
    assert lin.weight.grad.grad_fn is None and not lin.weight.grad.requires_grad


def test_requires_grad_and_apply():
    net = TwoLayer()
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    assert all(p.requires_grad for p in net.parameters())
    order = []
    net.apply(lambda m: order.append(type(m).__name__))
    assert order == ["Linear", "ReLU", "Linear", "TwoLayer"]


def test_to_and_dtype_conversions_keep_parameter_objects():
    m = nn.Linear(2, 2)
    w = m.weight
    m.register_buffer("steps", torch.tensor(3))
    m(torch.ones(1, 2)).sum().backward()
    assert m.double() is m
    assert m.weight is w and w.dtype is torch.float64 and m.bias.dtype is torch.float64
    assert w.grad.dtype is torch.float64
    assert m.steps.dtype is torch.int64  # integer buffers keep their dtype
    m.to(torch.float32)
    assert m.weight is w and w.dtype is torch.float32
    m.to(dtype=torch.float64, device="cpu")
    assert w.dtype is torch.float64
    m.float()
    assert w.dtype is torch.float32
    assert m.to("cpu") is m and m.cpu() is m
    assert m(torch.ones(1, 2)).dtype is torch.float32


# ----- calling: hooks and module paths ---------------------------------------------------------


def test_forward_hooks():
    lin = nn.Linear(3, 2)
    lin.load_state_dict(
        {"weight": torch.tensor([[1.0, 2, 3], [4, 5, 6]]), "bias": torch.tensor([0.5, -0.5])}
    )
    log = []
    hp = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0 + 1,))
    hf = lin.register_forward_hook(lambda m, args, out: out + 100)
    hk = lin.register_forward_hook(
        lambda m, args, kwargs, out: log.append(kwargs), with_kwargs=True
    )
    assert lin(torch.zeros(1, 3)).tolist() == [[106.5, 114.5]]
    assert log == [{}]
    for h in (hp, hf, hk):
        h.remove()
    assert lin(torch.zeros(1, 3)).tolist() == [[0.5, -0.5]]

    class Scale(nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    k = Scale()
    k.register_forward_pre_hook(lambda m, a, kw: (a, {"scale": 3.0}), with_kwargs=True)
    assert k(torch.ones(2), scale=2.0).tolist() == [3.0, 3.0]
    order = []
    k2 = Scale()
    k2.register_forward_hook(lambda m, a, o: order.append(1))
    k2.register_forward_hook(lambda m, a, o: order.append(2), prepend=True)
    k2(torch.ones(1))
    assert order == [2, 1]
    with k2.register_forward_pre_hook(lambda m, a: order.append(0)):
        k2(torch.ones(1))
    k2(torch.ones(1))
    assert order == [2, 1, 0, 2, 1, 2, 1]
    bad = nn.Module()
    bad.register_forward_pre_hook(lambda m, a, kw: 5, with_kwargs=True)
    bad.forward = lambda x: x
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        bad(1)


def test_always_call_forward_hook_runs_on_error():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    log = []
    b = Boom()
    b.register_forward_hook(lambda m, a, o: log.append(("always", o)), always_call=True)
    b.register_forward_hook(lambda m, a, o: log.append("normal"))
    with pytest.raises(ValueError, match="boom"):
        b(torch.ones(1))
    assert log == [("always", None)]


def test_global_forward_hooks():
    calls = []
    h = nn.modules.register_module_forward_hook(lambda m, a, o: calls.append(type(m).__name__))
    try:
        nn.Sequential(nn.Identity())(torch.ones(1))
    finally:
        h.remove()
    nn.Identity()(torch.ones(1))
    assert calls == ["Identity", "Sequential"]


def test_full_backward_hooks_match_pytorch():
    lin = nn.Linear(3, 2)
    lin.load_state_dict(
        {"weight": torch.tensor([[1.0, 2, 3], [4, 5, 6]]), "bias": torch.tensor([0.5, -0.5])}
    )
    log = []

    def hook(m, grad_input, grad_output):
        log.append(
            (
                "bh",
                [None if g is None else g.tolist() for g in grad_input],
                [g.tolist() for g in grad_output],
            )
        )

    def pre_hook(m, grad_output):
        log.append(("bph", [g.tolist() for g in grad_output]))
        return (grad_output[0] * 2,)

    h1 = lin.register_full_backward_hook(hook)
    h2 = lin.register_full_backward_pre_hook(pre_hook)
    x = torch.tensor([[1.0, 1, 1]], requires_grad=True)
    y = lin(x)
    assert y.grad_fn.name() == "BackwardHookFunctionBackward"
    y.sum().backward()
    assert log == [("bph", [[[1.0, 1.0]]]), ("bh", [[[10.0, 14.0, 18.0]]], [[[2.0, 2.0]]])]
    assert x.grad.tolist() == [[10.0, 14.0, 18.0]]
    assert lin.weight.grad.tolist() == [[2.0, 2.0, 2.0]] * 2
    log.clear()
    with pytest.warns(UserWarning, match="Full backward hook is firing when gradients"):
        lin(torch.ones(1, 3)).sum().backward()
    assert log == [("bph", [[[1.0, 1.0]]]), ("bh", [None], [[[2.0, 2.0]]])]
    h1.remove()
    h2.remove()
    log.clear()
    lin(torch.ones(1, 3, requires_grad=True)).sum().backward()
    assert log == []

    # a hook may replace grad_input
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0,))
    x = torch.ones(1, 3, requires_grad=True)
    lin(x).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 0.0]]


def test_module_path_metadata():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)

        def forward(self, x):
            return self.lin(x) * 2

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(4, 3), Block())
            self.head = nn.Linear(3, 1)

        def forward(self, x):
            h = self.encoder(x)
            h2 = self.encoder[1].lin(h)  # a grandchild called from the root
            outside = nn.Identity()  # not registered: its work belongs to the caller
            return outside(self.head(h + h2)).sum()

    model = Model()
    out = model(torch.randn(2, 4))
    assert out.grad_fn.metadata["module"] is None  # the root's own work
    paths = {}
    stack = [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in paths:
            continue
        paths[node] = node.metadata["module"]
        stack.extend(f for f, _ in node.next_functions)
    names = {(n.name(), p) for n, p in paths.items() if "AccumulateGrad" not in n.name()}
    assert ("MulBackward0", "encoder.1") in names
    found = {p for _, p in names}
    assert {None, "head", "encoder.0", "encoder.1", "encoder.1.lin"} <= found
    assert model.head(torch.ones(1, 3)).grad_fn.metadata["module"] is None  # standalone call
    assert torch.autograd.grad_mode.state.module_path is None  # restored afterwards
    # the path follows the tree as it changes
    model.encoder[0] = nn.Linear(4, 3)
    model.encoder.append(nn.Linear(3, 3))
    seq_out = model.encoder(torch.randn(1, 4))
    assert seq_out.grad_fn.metadata["module"] == "2"


def test_module_path_restored_after_error_and_per_thread():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    outer = nn.Sequential(Boom())
    with pytest.raises(ValueError):
        outer(torch.ones(1))
    assert torch.autograd.grad_mode.state.module_path is None
    seen = []

    class Probe(nn.Module):
        def forward(self, x):
            seen.append(torch.autograd.grad_mode.state.module_path)
            return x

    model = nn.Sequential(nn.Sequential(Probe()))
    t = threading.Thread(target=lambda: model(torch.ones(1)))
    t.start()
    t.join()
    model(torch.ones(1))
    assert seen == ["0.0", "0.0"]


class _Echo(nn.Module):
    """Returns what forward received, to check the call passes arguments through untouched."""

    def forward(self, *args, **kwargs):
        return args, kwargs


def test_call_passes_arguments_as_given():
    # as PyTorch 2.13: m() -> ((), {}), m(None) -> ((None,), {}), m(input=3) -> ((), {"input": 3})
    m = _Echo()
    assert m() == ((), {})
    assert m(None) == ((None,), {})
    assert m(input=3) == ((), {"input": 3})
    assert m(1, 2, k=3) == ((1, 2), {"k": 3})
    assert m(1, k=3) == ((1,), {"k": 3})
    seen = []
    with m.register_forward_pre_hook(lambda mod, args: seen.append(args)):
        assert m(1, 2) == ((1, 2), {})
        assert m(None) == ((None,), {})
        assert m() == ((), {})
    assert seen == [(1, 2), (None,), ()]


def test_hooks_registered_after_calls_take_effect(monkeypatch):
    # module calls skip the hook dicts until a hook is registered: start from that state
    monkeypatch.setattr(module_impl, "_call_hooks_used", [False])
    m = nn.Identity()
    assert m(2) == 2
    h = m.register_forward_hook(lambda mod, args, out: out * 10)
    assert m(2) == 20
    h.remove()
    assert m(2) == 2
    monkeypatch.setattr(module_impl, "_call_hooks_used", [False])
    h = nn.modules.register_module_forward_pre_hook(lambda mod, args: (args[0] + 1,))
    try:
        assert m(2) == 3
    finally:
        h.remove()
    monkeypatch.setattr(module_impl, "_call_hooks_used", [False])
    lin = nn.Linear(2, 1)
    grads = []
    lin.register_full_backward_hook(lambda mod, gi, go: grads.append(go[0].tolist()))
    lin(torch.ones(1, 2, requires_grad=True)).sum().backward()
    assert grads == [[[1.0]]]


def test_module_calls_keep_no_module_alive():
    model = nn.Sequential(nn.Sequential(nn.Identity()))
    model(torch.ones(1))
    key = id(model)
    assert key in module_impl._path_caches
    worker = threading.Thread(target=model, args=(torch.ones(1),))
    worker.start()
    worker.join()
    # the running-module record holds nothing once the calls have returned, on either thread
    assert module_impl._running.get(threading.get_ident()) is None
    assert module_impl._running.get(worker.ident) is None
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None
    assert key not in module_impl._path_caches  # dropped with its module, before id reuse


def test_module_paths_of_copies_and_reentrant_calls():
    class Recurse(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x, depth=1):
            # calling itself is not calling a descendant: the path stays its own
            seen.append(torch.autograd.grad_mode.state.module_path)
            return self.lin(x) if depth == 0 else self(x, depth - 1)

    seen = []
    model = nn.Sequential(Recurse())
    out = model(torch.ones(1, 2))
    assert seen == ["0", "0"]
    assert out.grad_fn.metadata["module"] == "0.lin"
    twin = copy.deepcopy(model)
    twin.append(nn.Identity())
    seen.clear()
    assert twin(torch.ones(1, 2)).grad_fn.metadata["module"] == "0.lin"
    assert seen == ["0", "0"]
    # the original keeps its own tree: "1" does not exist there
    assert model[0](torch.ones(1, 2)).grad_fn.metadata["module"] == "lin"


# ----- printing ---------------------------------------------------------------------------------


def test_repr_matches_pytorch():
    assert repr(TwoLayer()) == (
        "TwoLayer(\n"
        "  (fc1): Linear(in_features=1000, out_features=100, bias=True)\n"
        "  (relu): ReLU()\n"
        "  (fc2): Linear(in_features=100, out_features=10, bias=True)\n"
        ")"
    )
    seq = nn.Sequential(
        OrderedDict(
            [
                ("encoder", nn.Sequential(nn.Linear(4, 8), ReLU(), nn.Sequential(nn.Identity()))),
                ("flat", nn.Flatten()),
                ("head", nn.Linear(8, 2, bias=False)),
            ]
        )
    )
    assert repr(seq) == (
        "Sequential(\n"
        "  (encoder): Sequential(\n"
        "    (0): Linear(in_features=4, out_features=8, bias=True)\n"
        "    (1): ReLU()\n"
        "    (2): Sequential(\n"
        "      (0): Identity()\n"
        "    )\n"
        "  )\n"
        "  (flat): Flatten(start_dim=1, end_dim=-1)\n"
        "  (head): Linear(in_features=8, out_features=2, bias=False)\n"
        ")"
    )

    class Multi(nn.Module):
        def __init__(self, child):
            super().__init__()
            if child:
                self.inner = nn.Identity()

        def extra_repr(self):
            return "a=1,\nb=2"

    assert repr(Multi(True)) == "Multi(\n  a=1,\n  b=2\n  (inner): Identity()\n)"
    assert repr(Multi(False)) == "Multi(\n  a=1,\n  b=2\n)"
    assert repr(nn.Module()) == "Module()"


@pytest.mark.gpu
def test_module_on_cuda():
    torch.manual_seed(0)
    model = TwoLayer()
    w = model.fc1.weight
    x = torch.randn(4, 1000)
    expected = model(x).detach().numpy()
    assert model.cuda() is model and w.is_cuda and model.fc1.weight is w
    out = model(x.cuda())
    assert out.is_cuda
    assert np.allclose(out.detach().cpu().numpy(), expected, atol=1e-4)
    out.sum().backward()
    assert w.grad.is_cuda
    model.zero_grad(set_to_none=False)
    assert w.grad.is_cuda and w.grad.abs().sum().item() == 0
    sd = model.state_dict()
    cpu_model = TwoLayer()
    cpu_model.load_state_dict(sd)  # cuda tensors load into cpu parameters
    assert np.allclose(cpu_model(x).detach().numpy(), expected, atol=1e-4)
    model.to("cpu")
    assert not w.is_cuda and not w.grad.is_cuda


class _Pair(nn.Module):
    def __init__(self, with_second=True):
        super().__init__()
        self.first = nn.Linear(2, 2)
        if with_second:
            self.second = nn.Linear(2, 2)
        self.register_buffer("count", torch.zeros(1))
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return self.second(self.first(x)) * self.scale


def test_registered_names_read_through_the_class_lookup_as_before():
    """After the first read, `model.first` goes through a lookup object on the class
    (module._Registered) instead of Module.__getattr__; what every read returns, and every
    error, must stay as it was."""
    a, b = _Pair(), _Pair(with_second=False)
    for _ in range(2):  # the first read installs the lookups, the second uses them
        assert a.first is a._modules["first"] and a.second is a._modules["second"]
        assert a.count is a._buffers["count"] and a.scale is a._parameters["scale"]
    assert isinstance(_Pair.__dict__["second"], module_impl._Registered)
    # another instance without the name, a class-level read and a deleted submodule all get
    # __getattr__'s error
    with pytest.raises(AttributeError, match="'_Pair' object has no attribute 'second'"):
        _ = b.second
    assert not hasattr(_Pair, "second")
    del a.second
    with pytest.raises(AttributeError, match="'_Pair' object has no attribute 'second'"):
        _ = a.second
    # replaced entries and plain instance attributes are seen at once
    new = nn.Linear(2, 2)
    a.first = new
    assert a.first is new
    a.register_buffer("count", None)
    assert a.count is None
    object.__setattr__(b, "second", "plain")
    assert b.second == "plain"


class _WithProperty(nn.Module):
    @property
    def extra(self):
        raise AttributeError("computed elsewhere")


def test_a_class_attribute_of_the_name_is_never_replaced():
    m = _WithProperty()
    m._modules["extra"] = nn.Identity()  # the property fails, so __getattr__ finds it
    assert m.extra is m._modules["extra"]
    assert isinstance(_WithProperty.__dict__["extra"], property)


def test_module_itself_gets_no_class_lookups():
    m = nn.Module()
    m.layer = nn.Identity()
    assert m.layer is m._modules["layer"]
    assert "layer" not in nn.Module.__dict__
