"""utils.data: datasets, samplers, default_collate, DataLoader."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import workbench.engine as torch
from workbench.engine.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    random_split,
)


def _xy(n=10):
    x = torch.arange(n * 2, dtype=torch.float32).reshape(n, 2)
    y = torch.arange(n)
    return x, y


def test_reachable_as_torch_utils_data():
    assert torch.utils.data.DataLoader is DataLoader


def test_tensor_dataset():
    x, y = _xy()
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[3]
    assert xi.tolist() == [6.0, 7.0] and yi.item() == 3
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(x, torch.zeros(3))


def test_dataloader_batches_and_drop_last():
    x, y = _xy()
    batches = list(DataLoader(TensorDataset(x, y), batch_size=4))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert isinstance(batches[0], list) and len(batches[0]) == 2  # tuples collate to lists
    assert batches[0][0].shape == (4, 2) and batches[0][0].dtype is torch.float32
    assert batches[0][1].dtype is torch.int64
    assert batches[2][0].tolist() == [[16.0, 17.0], [18.0, 19.0]]
    loader = DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [b[1].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(TensorDataset(x, y), batch_size=4)) == 3
    assert len(list(DataLoader(TensorDataset(x, y)))) == 10  # batch_size=1 by default


def test_dataloader_shuffle_is_a_permutation_and_seeded():
    x, y = _xy(20)
    ds = TensorDataset(x, y)

    def epoch(loader):
        return [v for b in loader for v in b[1].tolist()]

    g = torch.Generator().manual_seed(7)
    loader = DataLoader(ds, batch_size=6, shuffle=True, generator=g)
    first = epoch(loader)
    assert sorted(first) == list(range(20)) and first != list(range(20))
    second = epoch(loader)  # a new order each epoch
    assert sorted(second) == list(range(20)) and second != first
    again = DataLoader(ds, batch_size=6, shuffle=True, generator=torch.Generator().manual_seed(7))
    assert epoch(again) == first and epoch(again) == second
    # rows stay paired with their labels
    for xb, yb in DataLoader(ds, batch_size=5, shuffle=True, generator=g):
        assert xb.tolist() == [[2.0 * v, 2.0 * v + 1] for v in yb.tolist()]
    # without a generator the global seed decides
    torch.manual_seed(3)
    a = epoch(DataLoader(ds, batch_size=4, shuffle=True))
    torch.manual_seed(3)
    assert epoch(DataLoader(ds, batch_size=4, shuffle=True)) == a


def test_fast_path_matches_generic_collate():
    x, y = _xy(9)
    ds = TensorDataset(x, y)
    fast = list(
        DataLoader(ds, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(1))
    )
    slow = list(
        DataLoader(
            ds,
            batch_size=4,
            shuffle=True,
            collate_fn=lambda b: default_collate(b),
            generator=torch.Generator().manual_seed(1),
        )
    )
    for (fx, fy), (sx, sy) in zip(fast, slow, strict=True):
        assert fx.tolist() == sx.tolist() and fy.tolist() == sy.tolist()
        assert fx.dtype is sx.dtype and fy.dtype is sy.dtype


def test_default_collate_structures():
    Point = namedtuple("Point", "x y")
    batch = [
        {
            "a": torch.tensor([1.0, 2.0]),
            "b": 1,
            "c": 0.5,
            "s": "u",
            "p": Point(1, 2.0),
            "n": np.array([1, 2]),
        }
        for _ in range(3)
    ]
    out = default_collate(batch)
    assert out["a"].shape == (3, 2)
    assert out["b"].tolist() == [1, 1, 1] and out["b"].dtype is torch.int64
    assert out["c"].dtype is torch.float64
    assert out["s"] == ["u", "u", "u"]
    assert isinstance(out["p"], Point) and out["p"].y.tolist() == [2.0] * 3
    assert out["n"].shape == (3, 2) and out["n"].dtype is torch.int64
    assert default_collate([True, False]).dtype is torch.bool
    assert default_collate([[1, 2], [3, 4]])[0].tolist() == [1, 3]
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        default_collate([object()])


def test_custom_dataset_and_collate_fn():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": torch.tensor(float(i)), "y": i * i}

    batches = list(DataLoader(Squares(), batch_size=2))
    assert batches[0]["x"].tolist() == [0.0, 1.0] and batches[2]["y"].tolist() == [16]
    raw = list(DataLoader(Squares(), batch_size=2, collate_fn=lambda b: len(b)))
    assert raw == [2, 2, 1]
    unbatched = list(DataLoader(Squares(), batch_size=None))
    assert len(unbatched) == 5 and unbatched[2]["y"] == 4
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement"):
        Dataset()[0]


def test_iterable_dataset():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(torch.tensor([float(i)]) for i in range(5))

    assert [b.shape for b in DataLoader(Stream(), batch_size=2)] == [(2, 1), (2, 1), (1, 1)]
    assert len(list(DataLoader(Stream(), batch_size=2, drop_last=True))) == 2
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(), shuffle=True)


def test_dataloader_option_errors():
    ds = TensorDataset(*_xy())
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, sampler=SequentialSampler(ds), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 2, False), batch_size=3)
    with pytest.raises(ValueError, match="batch_size=None option disables auto-batching"):
        DataLoader(ds, batch_size=None, drop_last=True)
    loader = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 3, True))
    assert [b[1].tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def test_samplers():
    ds = list(range(10))
    assert list(SequentialSampler(ds)) == ds
    g = torch.Generator().manual_seed(0)
    perm = list(RandomSampler(ds, generator=g))
    assert sorted(perm) == ds
    drawn = list(RandomSampler(ds, replacement=True, num_samples=25, generator=g))
    assert len(drawn) == 25 and all(0 <= i < 10 for i in drawn)
    assert len(list(RandomSampler(ds, num_samples=13, generator=g))) == 13
    assert sorted(SubsetRandomSampler([3, 5, 7], generator=g)) == [3, 5, 7]
    w = list(WeightedRandomSampler([0.0, 0.0, 1.0], 6, generator=g))
    assert w == [2] * 6
    assert list(BatchSampler(range(5), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    assert len(BatchSampler(range(5), 2, drop_last=True)) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(range(5), 0, False)


def test_subset_concat_random_split():
    ds = TensorDataset(*_xy())
    sub = Subset(ds, [1, 3, 5])
    assert len(sub) == 3 and sub[1][1].item() == 3
    both = ConcatDataset([sub, Subset(ds, [0])])
    assert len(both) == 4 and both[3][1].item() == 0 and both[-1][1].item() == 0
    assert len(sub + sub) == 6
    parts = random_split(ds, [3, 7], generator=torch.Generator().manual_seed(42))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    again = random_split(ds, [3, 7], generator=torch.Generator().manual_seed(42))
    assert again[0].indices == parts[0].indices
    fractions = random_split(range(30), [0.3, 0.3, 0.4], generator=torch.Generator())
    assert [len(p) for p in fractions] == [9, 9, 12]
    assert [len(p) for p in random_split(range(11), [0.5, 0.5])] == [6, 5]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length"):
        random_split(ds, [3, 3])


@pytest.mark.gpu
def test_dataloader_with_cuda_tensors():
    x, y = _xy(7)
    ds = TensorDataset(x.cuda(), y.cuda())
    batches = list(
        DataLoader(ds, batch_size=3, shuffle=True, generator=torch.Generator().manual_seed(0))
    )
    assert all(b[0].is_cuda and b[1].is_cuda for b in batches)
    labels = sorted(v for b in batches for v in b[1].cpu().tolist())
    assert labels == list(range(7))
    assert default_collate([x[0].cuda(), x[1].cuda()]).is_cuda
