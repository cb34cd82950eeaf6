"""Convolution and pooling layers: PyTorch's initialisation and printing, agreement with
nn.functional, padding modes, errors."""

import math

import numpy as np
import pytest

import workbench.engine as torch
import workbench.engine.nn as nn
import workbench.engine.nn.functional as F
from tests.engine.helpers import check_grads


@pytest.mark.parametrize(
    "layer, text",
    [
        (nn.Conv2d(1, 8, 3), "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1))"),
        (
            nn.Conv2d(2, 4, (3, 5), stride=2, padding=1, dilation=2, groups=2, bias=False),
            "Conv2d(2, 4, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1), dilation=(2, 2), "
            "groups=2, bias=False)",
        ),
        (
            nn.Conv2d(2, 4, 3, padding="same"),
            "Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), padding=same)",
        ),
        (
            nn.Conv2d(2, 4, 3, padding=(1, 2), padding_mode="circular"),
            "Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 2), padding_mode=circular)",
        ),
        (
            nn.Conv1d(2, 4, 3, stride=2, padding=1, bias=False),
            "Conv1d(2, 4, kernel_size=(3,), stride=(2,), padding=(1,), bias=False)",
        ),
        (
            nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1, output_padding=1),
            "ConvTranspose2d(2, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
            "output_padding=(1, 1))",
        ),
        (
            nn.MaxPool2d(2),
            "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
        ),
        (
            nn.MaxPool2d((2, 3), 1, 1, 2, True, True),
            "MaxPool2d(kernel_size=(2, 3), stride=1, padding=1, dilation=2, ceil_mode=True)",
        ),
        (
            nn.MaxPool1d(3, 2, 1),
            "MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)",
        ),
        (nn.AvgPool2d(2), "AvgPool2d(kernel_size=2, stride=2, padding=0)"),
        (nn.AvgPool2d(3, 2, 1, True, False, 5), "AvgPool2d(kernel_size=3, stride=2, padding=1)"),
        (nn.AvgPool1d(3), "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"),
        (nn.AdaptiveAvgPool2d(1), "AdaptiveAvgPool2d(output_size=1)"),
        (nn.AdaptiveAvgPool2d((None, 3)), "AdaptiveAvgPool2d(output_size=(None, 3))"),
    ],
)
def test_repr(layer, text):
    assert repr(layer) == text


def test_conv2d_default_init_and_parameters():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 16, (3, 5))
    assert conv.weight.shape == (16, 3, 3, 5) and conv.bias.shape == (16,)
    bound = 1 / math.sqrt(3 * 3 * 5)  # kaiming_uniform(a=sqrt(5)) and the bias share it
    w, b = conv.weight.detach().numpy(), conv.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound
    assert [n for n, _ in conv.named_parameters()] == ["weight", "bias"]
    assert nn.Conv2d(4, 6, 3, groups=2, bias=False).weight.shape == (6, 2, 3, 3)
    assert nn.ConvTranspose2d(2, 4, 3, groups=2).weight.shape == (2, 2, 3, 3)


def test_conv2d_forward_and_backward():
    conv = nn.Conv2d(2, 3, 3, stride=2, padding=1).double()
    x = torch.randn(2, 2, 6, 6, dtype=torch.float64)
    np.testing.assert_allclose(
        conv(x).detach().numpy(), F.conv2d(x, conv.weight, conv.bias, 2, 1).detach().numpy()
    )
    conv(x).sum().backward()
    assert conv.weight.grad.shape == (3, 2, 3, 3) and conv.bias.grad.shape == (3,)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv2d_padding_modes(mode):
    conv = nn.Conv2d(1, 2, 3, padding=(1, 2), padding_mode=mode).double()
    x = torch.randn(1, 1, 5, 6, dtype=torch.float64, requires_grad=True)
    want = F.conv2d(F.pad(x, (2, 2, 1, 1), mode=mode), conv.weight, conv.bias)
    np.testing.assert_allclose(conv(x).detach().numpy(), want.detach().numpy())
    check_grads(
        lambda x: conv(x),
        torch.randn(1, 1, 3, 3, dtype=torch.float64, requires_grad=True),
        second_order=False,
    )


def test_same_padding_with_even_kernel_and_conv1d():
    conv = nn.Conv2d(1, 1, 4, padding="same", padding_mode="reflect")
    assert conv._reversed_padding_repeated_twice == [1, 2, 1, 2]
    assert conv(torch.randn(1, 1, 6, 6)).shape == (1, 1, 6, 6)
    c1 = nn.Conv1d(2, 3, 3, padding=1)
    assert c1(torch.randn(4, 2, 7)).shape == (4, 3, 7)


def test_conv_transpose2d_output_size():
    m = nn.ConvTranspose2d(2, 4, 3, stride=2)
    x = torch.randn(1, 2, 5, 5)
    assert m(x).shape == (1, 4, 11, 11)
    assert m(x, output_size=[12, 12]).shape == (1, 4, 12, 12)
    with pytest.raises(
        ValueError,
        match=r"requested an output size of \[14, 14\], but valid "
        r"sizes range from \[11, 11\] to \[12, 12\]",
    ):
        m(x, output_size=[14, 14])


def test_conv_errors():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="Invalid padding string 'foo', should be one of"):
        nn.Conv2d(4, 4, 3, padding="foo")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(4, 4, 3, padding_mode="foo")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(4, 4, 3, stride=2, padding="same")
    with pytest.raises(
        ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'
    ):
        nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect")


def test_pooling_layers_match_functional():
    x = torch.randn(2, 3, 7, 8)
    out, idx = nn.MaxPool2d(3, 2, 1, return_indices=True, ceil_mode=True)(x)
    want, want_idx = F.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True)
    np.testing.assert_array_equal(out.numpy(), want.numpy())
    np.testing.assert_array_equal(idx.numpy(), want_idx.numpy())
    np.testing.assert_array_equal(
        nn.AvgPool2d(3, 2, 1, count_include_pad=False)(x).numpy(),
        F.avg_pool2d(x, 3, 2, 1, count_include_pad=False).numpy(),
    )
    np.testing.assert_allclose(
        nn.AdaptiveAvgPool2d(1)(x).numpy(), x.numpy().mean((2, 3), keepdims=True), rtol=1e-6
    )
    assert nn.MaxPool1d(2)(torch.randn(2, 3, 8)).shape == (2, 3, 4)
    assert nn.AvgPool1d(2)(torch.randn(2, 3, 8)).shape == (2, 3, 4)


def test_small_cnn_trains():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4, 2),
    )
    x = torch.randn(8, 1, 8, 8)
    y = torch.tensor([0, 1] * 4)
    losses = []
    for _ in range(30):
        model.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        for p in model.parameters():
            p.data = p.data - 0.2 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]
