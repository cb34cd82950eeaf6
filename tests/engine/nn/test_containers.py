"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict (PyTorch 2.13 as reference)."""

from __future__ import annotations

from collections import OrderedDict

import pytest

import workbench.engine as torch
from workbench.engine import nn


class AddOne(nn.Module):
    def forward(self, x):
        return x + 1


class Double(nn.Module):
    def forward(self, x):
        return x * 2


# ----- Sequential ------------------------------------------------------------------------------


def test_sequential_forward_and_constructor_forms():
    seq = nn.Sequential(AddOne(), Double())
    assert seq(torch.tensor([1.0])).tolist() == [4.0]
    named = nn.Sequential(OrderedDict([("add", AddOne()), ("dbl", Double())]))
    assert [n for n, _ in named.named_children()] == ["add", "dbl"]
    assert isinstance(named.add, AddOne)
    assert named(torch.tensor([1.0])).tolist() == [4.0]
    assert nn.Sequential()(torch.tensor([5.0])).tolist() == [5.0]
    assert repr(nn.Sequential()) == "Sequential()"


def test_sequential_indexing_slicing_len_iteration():
    a, b, c = AddOne(), Double(), nn.Identity()
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3
    assert seq[0] is a and seq[-1] is c and seq[1] is b
    assert list(seq) == [a, b, c]
    sub = seq[1:]
    assert type(sub) is nn.Sequential and list(sub) == [b, c]
    assert [n for n, _ in sub.named_children()] == ["1", "2"]  # slices keep the keys
    with pytest.raises(IndexError, match="index 5 is out of range"):
        seq[5]
    seq[0] = Double()
    assert seq(torch.tensor([1.0])).tolist() == [4.0]


def test_sequential_mutation():
    seq = nn.Sequential(nn.Linear(1, 1), AddOne(), Double())
    del seq[0]
    assert [n for n, _ in seq.named_children()] == ["0", "1"]  # renumbered
    assert isinstance(seq[0], AddOne)
    seq.insert(0, nn.Identity())
    assert [type(m).__name__ for m in seq] == ["Identity", "AddOne", "Double"]
    seq.insert(-1, nn.Identity())
    assert [type(m).__name__ for m in seq] == ["Identity", "AddOne", "Identity", "Double"]
    with pytest.raises(IndexError, match="Index out of range: 9"):
        seq.insert(9, nn.Identity())
    assert seq.append(AddOne()) is seq
    seq.extend([Double(), Double()])
    assert len(seq) == 7
    assert isinstance(seq.pop(0), nn.Identity) and len(seq) == 6
    del seq[1:3]
    assert [type(m).__name__ for m in seq] == ["AddOne", "AddOne", "Double", "Double"]
    combined = nn.Sequential(nn.Linear(1, 1)) + nn.Sequential(nn.Identity())
    assert repr(combined) == (
        "Sequential(\n  (0): Linear(in_features=1, out_features=1, bias=True)\n  (1): Identity()\n)"
    )
    assert repr(nn.Sequential(nn.Identity()) * 2) == (
        "Sequential(\n  (0): Identity()\n  (1): Identity()\n)"
    )
    with pytest.raises(
        ValueError,
        match="add operator supports only objects of Sequential class, but <class 'int'> is given.",
    ):
        nn.Sequential() + 3
    grown = nn.Sequential(AddOne())
    grown += nn.Sequential(Double())
    assert grown(torch.tensor([0.0])).tolist() == [2.0]


def test_sequential_parameters_are_registered():
    seq = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert "0" not in dir(seq)


# ----- ModuleList ------------------------------------------------------------------------------


def test_module_list():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3
    assert [n for n, _ in layers.named_parameters()][:2] == ["0.weight", "0.bias"]
    assert layers[-1] is layers[2]
    assert type(layers[:2]) is nn.ModuleList and len(layers[:2]) == 2
    layers.append(nn.Identity())
    layers.extend([nn.Identity(), nn.Linear(2, 2)])
    layers.insert(0, nn.Identity())
    assert [type(m).__name__ for m in layers] == [
        "Identity",
        "Linear",
        "Linear",
        "Linear",
        "Identity",
        "Identity",
        "Linear",
    ]
    del layers[0]
    assert repr(layers) == (
        "ModuleList(\n"
        "  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
        "  (3-4): 2 x Identity()\n"
        "  (5): Linear(in_features=2, out_features=2, bias=True)\n"
        ")"
    )
    assert repr(nn.ModuleList()) == "ModuleList()"
    assert isinstance(layers.pop(-1), nn.Linear) and len(layers) == 5
    layers[0] = nn.Identity()
    assert isinstance(layers[0], nn.Identity)
    both = layers + nn.ModuleList([AddOne()])
    assert len(both) == 6 and isinstance(both[5], AddOne)
    with pytest.raises(IndexError, match="index 0 is out of range"):
        nn.ModuleList()[0]
    with pytest.raises(
        TypeError, match="ModuleList.extend should be called with an iterable, but got int"
    ):
        nn.ModuleList(3)


def test_module_list_in_a_model():
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([AddOne(), Double()])

        def forward(self, x):
            for b in self.blocks:
                x = b(x)
            return x

    assert Stack()(torch.tensor([1.0])).tolist() == [4.0]


# ----- ModuleDict ------------------------------------------------------------------------------


def test_module_dict():
    md = nn.ModuleDict([("x", nn.Identity()), ("y", nn.Linear(1, 1))])
    assert list(md.keys()) == ["x", "y"] and "x" in md and len(md) == 2
    assert list(md) == ["x", "y"]
    assert isinstance(md["y"], nn.Linear)
    assert isinstance(md.pop("x"), nn.Identity) and list(md) == ["y"]
    md["z"] = AddOne()
    md.update({"w": Double()})
    assert [k for k, _ in md.items()] == ["y", "z", "w"]
    assert [type(v).__name__ for v in md.values()] == ["Linear", "AddOne", "Double"]
    del md["z"]
    assert [n for n, _ in md.named_parameters()] == ["y.weight", "y.bias"]
    md.clear()
    assert len(md) == 0
    with pytest.raises(
        ValueError, match="ModuleDict update sequence element #0 has length 1; 2 is required"
    ):
        md.update([("a",)])
    ordered = nn.ModuleDict({"b": nn.Identity(), "a": nn.Identity()})
    assert list(ordered) == ["b", "a"]  # insertion order (a plain dict), as PyTorch keeps


# ----- ParameterList / ParameterDict ------------------------------------------------------------


def test_parameter_list():
    pl = nn.ParameterList([nn.Parameter(torch.zeros(2, 3)), torch.ones(2)])
    assert len(pl) == 2
    assert all(type(p) is nn.Parameter for p in pl)  # plain tensors are wrapped
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pl.append(torch.zeros(1))
    assert len(pl) == 3 and isinstance(pl[-1], nn.Parameter)
    assert len(pl[1:]) == 2
    assert repr(nn.ParameterList([nn.Parameter(torch.zeros(2, 3, dtype=torch.float64))])) == (
        "ParameterList(  (0): Parameter containing: [torch.float64 of size 2x3])"
    )
    assert repr(nn.ParameterList([nn.Parameter(torch.zeros(2, 3)), torch.ones(2)])) == (
        "ParameterList(\n"
        "    (0): Parameter containing: [torch.float32 of size 2x3]\n"
        "    (1): Parameter containing: [torch.float32 of size 2]\n"
        ")"
    )
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl(1)
    with pytest.raises(
        TypeError, match="ParameterList.extend should be called with an iterable, but got Tensor"
    ):
        pl.extend(torch.ones(2))


def test_parameter_dict():
    pd = nn.ParameterDict({"b": nn.Parameter(torch.zeros(2)), "a": torch.zeros(1, 2)})
    assert list(pd.keys()) == ["a", "b"]  # a plain dict is taken in sorted order
    assert isinstance(pd["a"], nn.Parameter)
    assert repr(pd) == (
        "ParameterDict(\n"
        "    (a): Parameter containing: [torch.FloatTensor of size 1x2]\n"
        "    (b): Parameter containing: [torch.FloatTensor of size 2]\n"
        ")"
    )
    assert "a" in pd and len(pd) == 2 and pd.get("zz") is None
    pd["c"] = torch.ones(3)
    assert [n for n, _ in pd.named_parameters()] == ["a", "b", "c"]
    assert pd.pop("c").shape == (3,) and "c" not in pd
    merged = pd | nn.ParameterDict({"d": torch.ones(1)})
    assert list(merged.keys()) == ["a", "b", "d"]
    with pytest.raises(TypeError, match="Index given to ParameterDict cannot be used as a key"):
        pd[1]
