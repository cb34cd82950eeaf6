"""Dropout layers (train/eval) and Embedding (init, padding row, from_pretrained, printing)."""

import numpy as np
import pytest

import workbench.engine as torch
import workbench.engine.nn as nn


def test_dropout_repr_and_train_eval():
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(nn.Dropout(0.2, True)) == "Dropout(p=0.2, inplace=True)"
    assert repr(nn.Dropout2d(0.1)) == "Dropout2d(p=0.1, inplace=False)"
    d = nn.Dropout(0.5)
    x = torch.ones(100, 100)
    torch.manual_seed(0)
    y = d(x)
    assert set(np.unique(y.numpy())) == {0.0, 2.0}
    torch.manual_seed(0)
    np.testing.assert_array_equal(d(x).numpy(), y.numpy())  # same seed, same mask
    d.eval()
    assert d(x) is x
    d.train()
    assert (d(x).numpy() == 0).any()
    with pytest.raises(
        ValueError, match="dropout probability has to be between 0 and 1, but got -0.1"
    ):
        nn.Dropout(-0.1)


def test_dropout_inside_a_model_follows_model_mode():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.9))
    x = torch.randn(3, 4)
    model.eval()
    np.testing.assert_array_equal(model(x).detach().numpy(), model[0](x).detach().numpy())


def test_embedding_layer():
    torch.manual_seed(0)
    emb = nn.Embedding(1000, 8, padding_idx=2)
    assert repr(emb) == "Embedding(1000, 8, padding_idx=2)"
    w = emb.weight.detach().numpy()
    assert (w[2] == 0).all()
    rest = np.delete(w, 2, axis=0)
    assert abs(rest.mean()) < 0.05 and abs(rest.std() - 1) < 0.05  # N(0, 1)
    idx = torch.tensor([[2, 5], [5, 7]])
    out = emb(idx)
    assert out.shape == (2, 2, 8)
    out.sum().backward()
    g = emb.weight.grad.numpy()
    assert g[5].tolist() == [2.0] * 8 and g[7].tolist() == [1.0] * 8 and (g[2] == 0).all()
    assert (
        repr(nn.Embedding(10, 3, padding_idx=-1, max_norm=1.0))
        == "Embedding(10, 3, padding_idx=9, max_norm=1.0)"
    )


def test_embedding_from_pretrained():
    table = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad
    assert emb(torch.tensor([1, 0])).tolist() == [[3.0, 4.0], [1.0, 2.0]]
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)
