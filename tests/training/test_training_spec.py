"""Model specs: JSON round trips and validation, shape inference against the built module,
parameter counts, shape errors that name the layer and both shapes, seeded building."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import workbench.engine as torch
from workbench.training import (
    ACTIVATIONS,
    LAYER_KINDS,
    LayerSpec,
    ModelSpec,
    SpecError,
    build,
    infer_shapes,
    parameter_counts,
    summary,
    total_parameters,
)


def L(kind, **params):
    return LayerSpec(kind, params)


CNN = ModelSpec(
    (1, 16, 16),
    [
        L("Conv2d", out_channels=4, kernel_size=3, padding=1),
        L("ReLU"),
        L("MaxPool2d", kernel_size=2),
        L("Conv2d", out_channels=6, kernel_size=(3, 2), stride=2, bias=False),
        L("GELU", approximate="tanh"),
        L("LayerNorm"),
        L("Flatten"),
        L("Dropout", p=0.25),
        L("Linear", out_features=12),
        L("BatchNorm1d", momentum=0.2),
        L("LeakyReLU", negative_slope=0.1),
        L("Linear", out_features=4, bias=False),
    ],
)

MLP = ModelSpec(
    (2,),
    [L("Linear", out_features=8)]
    + [L(kind) for kind in ACTIVATIONS]
    + [L("ELU", alpha=0.5), L("Softplus", beta=2.0), L("Linear", out_features=3)],
)


def layer_outputs(model, x):
    shapes = []
    for module in model:
        x = module(x)
        shapes.append(tuple(x.shape[1:]))
    return shapes


@pytest.mark.parametrize("spec", [CNN, MLP], ids=["cnn", "mlp"])
def test_inferred_shapes_are_the_built_modules_shapes(spec):
    model = build(spec, seed=0)
    assert isinstance(model, torch.nn.Sequential) and len(model) == len(spec.layers)
    model.eval()
    x = torch.randn(3, *spec.input_shape)
    assert layer_outputs(model, x) == infer_shapes(spec)


@pytest.mark.parametrize("spec", [CNN, MLP], ids=["cnn", "mlp"])
def test_parameter_counts_are_the_built_modules(spec):
    model = build(spec, seed=0)
    counts = [sum(p.numel() for p in module.parameters()) for module in model]
    assert parameter_counts(spec) == counts
    assert total_parameters(spec) == sum(p.numel() for p in model.parameters())


def test_cnn_counts_by_hand():
    # conv 1->4 3x3: 36+4; conv 4->6 3x2 no bias: 144, on 8x8 with stride 2: (6, 3, 4);
    # LayerNorm over (6, 3, 4): 2*72; Linear 72->12: 876; BatchNorm1d(12): 24; Linear 12->4: 48
    assert parameter_counts(CNN) == [40, 0, 0, 144, 0, 144, 0, 0, 876, 24, 0, 48]
    assert infer_shapes(CNN)[:4] == [(4, 16, 16), (4, 16, 16), (4, 8, 8), (6, 3, 4)]


def test_the_built_modules_take_the_spec_parameters():
    model = build(CNN, seed=0)
    assert model[0].padding == (1, 1) and model[3].stride == (2, 2)
    assert model[3].bias is None and model[11].bias is None
    assert model[7].p == 0.25 and model[9].momentum == 0.2
    assert model[10].negative_slope == 0.1 and model[4].approximate == "tanh"
    assert tuple(model[5].normalized_shape) == (6, 3, 4)


def test_summary_rows():
    rows = summary(MLP)
    assert rows[0] == {
        "index": 0,
        "layer": "Linear(out_features=8)",
        "output_shape": (8,),
        "parameters": 24,
    }
    assert rows[-1]["output_shape"] == (3,) and len(rows) == len(MLP.layers)


def test_json_round_trip():
    data = json.loads(json.dumps(CNN.to_dict()))
    assert data["format"] == "workbench.model_spec" and data["version"] == 1
    again = ModelSpec.from_dict(data)
    assert again == CNN
    assert again.to_dict() == CNN.to_dict()


def test_mlp_helper():
    spec = ModelSpec.mlp((1, 8, 8), hidden=(16,), out_features=10, activation="Tanh")
    assert [layer.kind for layer in spec.layers] == ["Flatten", "Linear", "Tanh", "Linear"]
    assert infer_shapes(spec)[-1] == (10,)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"input_shape": [2], "layers": [{"kind": "Dense"}]},
            "layer 0: unknown layer kind 'Dense'",
        ),
        (
            {"input_shape": [2], "layers": [{"kind": "Linear", "params": {"units": 3}}]},
            "layer 0: Linear has no parameter 'units'; it takes out_features, bias",
        ),
        (
            {"input_shape": [2], "layers": [{"kind": "ReLU", "params": {"inplace": True}}]},
            "ReLU has no parameter 'inplace'; it takes no parameters",
        ),
        ({"input_shape": [2], "layers": [{"kind": "Linear"}]}, "Linear needs 'out_features'"),
        (
            {"input_shape": [2], "layers": [{"kind": "Linear", "params": {"out_features": 0}}]},
            "Linear out_features must be a positive integer, got 0",
        ),
        (
            {"input_shape": [2], "layers": [{"kind": "Dropout", "params": {"p": 1.5}}]},
            r"Dropout p must be a number in \[0, 1\), got 1.5",
        ),
        ({"input_shape": [2], "layers": [], "extra": 1}, "unknown model spec field"),
        ({"input_shape": [2]}, "model spec lacks 'layers'"),
        ({"input_shape": [0], "layers": []}, "input_shape must be positive integers"),
        ({"format": "other", "input_shape": [2], "layers": []}, "not a model spec"),
        ({"version": 2, "input_shape": [2], "layers": []}, "newer than this workbench reads"),
        ({"input_shape": [2], "layers": [["Linear"]]}, "layer 0: expected"),
        ([], "a model spec is a JSON object"),
    ],
)
def test_from_dict_refuses_what_it_does_not_know(data, message):
    with pytest.raises(SpecError, match=message):
        ModelSpec.from_dict(data)


def test_every_kind_is_documented_with_defaults():
    assert set(ACTIVATIONS) <= set(LAYER_KINDS)
    for kind in ("Linear", "Dropout", "LayerNorm", "BatchNorm1d", "Conv2d", "MaxPool2d", "Flatten"):
        assert kind in LAYER_KINDS


# ----- shape errors ---------------------------------------------------------------------------


def shape_error(input_shape, *layers):
    with pytest.raises(SpecError) as info:
        infer_shapes(ModelSpec(input_shape, list(layers)))
    return info.value


def test_conv_after_flatten():
    e = shape_error(
        (1, 8, 8),
        L("Flatten"),
        L("Linear", out_features=64),
        L("ReLU"),
        L("Conv2d", out_channels=4),
    )
    assert str(e) == "layer 3 Conv2d expects (C, H, W) input, got (64,) — add it before Flatten"
    assert (e.index, e.kind) == (3, "Conv2d")


def test_pooling_too_small():
    e = shape_error((3, 8, 8), L("MaxPool2d", kernel_size=4), L("MaxPool2d", kernel_size=4))
    assert str(e) == "layer 1 MaxPool2d(kernel_size=4) needs at least 4×4, got 2×2"
    assert (e.index, e.kind) == (1, "MaxPool2d")


def test_conv_too_small_counts_padding():
    e = shape_error((1, 2, 2), L("Conv2d", out_channels=2, kernel_size=5, padding=1))
    assert (
        str(e)
        == "layer 0 Conv2d(out_channels=2, kernel_size=5, padding=1) needs at least 3×3, got 2×2"
    )
    assert infer_shapes(
        ModelSpec((1, 3, 3), [L("Conv2d", out_channels=2, kernel_size=5, padding=1)])
    ) == [(2, 1, 1)]


def test_linear_on_an_image():
    e = shape_error((1, 4, 4), L("Linear", out_features=3))
    assert (
        str(e) == "layer 0 Linear expects (features,) input, got (1, 4, 4) — add Flatten before it"
    )


def test_conv_on_a_vector_without_flatten():
    e = shape_error((5,), L("Conv2d", out_channels=2))
    assert str(e) == "layer 0 Conv2d expects (C, H, W) input, got (5,)"


def test_batchnorm_on_an_image():
    e = shape_error((1, 4, 4), L("BatchNorm1d"))
    assert (
        "layer 0 BatchNorm1d expects (features,) or (C, L) input, got (1, 4, 4) — add it after Flatten"
        == str(e)
    )


def test_build_checks_shapes_first():
    with pytest.raises(SpecError, match="layer 0 Linear"):
        build(ModelSpec((1, 4, 4), [L("Linear", out_features=3)]))


# ----- seeds ----------------------------------------------------------------------------------


def weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def test_build_is_deterministic_by_seed():
    a, b, c = build(CNN, seed=1), build(CNN, seed=1), build(CNN, seed=2)
    wa, wb, wc = weights(a), weights(b), weights(c)
    assert all(np.array_equal(wa[k], wb[k]) for k in wa)
    assert not np.array_equal(wa["0.weight"], wc["0.weight"])


def test_build_draws_what_manual_seed_draws_and_leaves_the_global_generator_alone():
    torch.manual_seed(3)
    by_hand = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.ReLU(), torch.nn.Linear(5, 1))
    after_by_hand = torch.randn(4)
    spec = ModelSpec((2,), [L("Linear", out_features=5), L("ReLU"), L("Linear", out_features=1)])
    torch.manual_seed(3)
    built = build(spec, seed=3)
    assert all(
        np.array_equal(a, b) for a, b in zip(weights(by_hand).values(), weights(built).values())
    )
    # the global stream did not move: the next draw is the one manual_seed(3) starts with
    torch.manual_seed(3)
    first = torch.randn(4)
    torch.manual_seed(3)
    build(spec, seed=7)
    assert torch.equal(torch.randn(4), first)
    assert not torch.equal(after_by_hand, first)


# ----- property: inference agrees with the engine --------------------------------------------

_IMAGE_LAYERS = st.one_of(
    st.builds(
        lambda c, k, s, p: L("Conv2d", out_channels=c, kernel_size=k, stride=s, padding=p),
        st.integers(1, 3),
        st.integers(1, 4),
        st.integers(1, 2),
        st.integers(0, 1),
    ),
    st.builds(
        lambda k, s: L("MaxPool2d", kernel_size=k, stride=s),
        st.integers(1, 3),
        st.one_of(st.none(), st.integers(1, 2)),
    ),
    st.sampled_from([L("ReLU"), L("LayerNorm"), L("Flatten"), L("Tanh")]),
    st.builds(lambda n: L("Linear", out_features=n), st.integers(1, 5)),
    st.just(L("BatchNorm1d")),
)


@given(
    st.tuples(st.integers(1, 2), st.integers(1, 9), st.integers(1, 9)),
    st.lists(_IMAGE_LAYERS, min_size=1, max_size=5),
)
def test_inference_agrees_with_the_engine_or_names_a_layer(input_shape, layers):
    spec = ModelSpec(input_shape, layers)
    try:
        shapes = infer_shapes(spec)
    except SpecError as e:
        assert 0 <= e.index < len(layers) and e.kind == layers[e.index].kind
        assert str(e).startswith(f"layer {e.index} {layers[e.index].kind}")
        return
    model = build(spec, seed=0)
    model.eval()
    assert layer_outputs(model, torch.randn(2, *input_shape)) == shapes
    assert parameter_counts(spec) == [sum(p.numel() for p in m.parameters()) for m in model]
