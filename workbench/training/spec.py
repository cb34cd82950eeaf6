"""Layer-stack model specs: plain, JSON-able data that builds into an `nn.Sequential`.

A `ModelSpec` is an input shape (without the batch dimension) and a list of `LayerSpec`s. Sizes
that follow from the previous layer (a Linear's in_features, a Conv2d's in_channels, a norm's
feature count) are not part of the spec: `infer_shapes` works them out, and a layer that cannot
take its input raises a `SpecError` naming the layer (its 0-based index, which is also its key
in the built `nn.Sequential` and its state_dict) and both shapes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import workbench.engine as torch

from ._rng import drawing_from, engine_generator

__all__ = [
    "LayerSpec",
    "ModelSpec",
    "SpecError",
    "LAYER_KINDS",
    "ACTIVATIONS",
    "infer_shapes",
    "build",
    "parameter_counts",
    "total_parameters",
    "summary",
]

FORMAT = "workbench.model_spec"
VERSION = 1


class SpecError(ValueError):
    """A spec that cannot be built; `index` and `kind` name the layer at fault (None if the
    problem is not one layer's)."""

    def __init__(self, message, index=None, kind=None):
        super().__init__(message)
        self.index = index
        self.kind = kind


REQUIRED = object()  # a parameter without a default

ACTIVATIONS = ("ReLU", "Tanh", "Sigmoid", "GELU", "SiLU", "LeakyReLU", "ELU", "Softplus")

# kind -> {parameter: default}
LAYER_KINDS: dict[str, dict] = {
    "Linear": {"out_features": REQUIRED, "bias": True},
    "ReLU": {},
    "Tanh": {},
    "Sigmoid": {},
    "GELU": {"approximate": "none"},
    "SiLU": {},
    "LeakyReLU": {"negative_slope": 0.01},
    "ELU": {"alpha": 1.0},
    "Softplus": {"beta": 1.0, "threshold": 20.0},
    "Dropout": {"p": 0.5},
    "LayerNorm": {"eps": 1e-5, "elementwise_affine": True},
    "BatchNorm1d": {"eps": 1e-5, "momentum": 0.1, "affine": True},
    "Conv2d": {"out_channels": REQUIRED, "kernel_size": 3, "stride": 1, "padding": 0, "bias": True},
    "MaxPool2d": {"kernel_size": 2, "stride": None},
    "Flatten": {},
}


def _positive_int(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def _pair(check):
    def ok(v):
        if isinstance(v, (list, tuple)):
            return len(v) == 2 and all(check(e) for e in v)
        return check(v)

    return ok


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


_CHECKS = {
    "out_features": (_positive_int, "a positive integer"),
    "out_channels": (_positive_int, "a positive integer"),
    "bias": (lambda v: isinstance(v, bool), "true or false"),
    "affine": (lambda v: isinstance(v, bool), "true or false"),
    "elementwise_affine": (lambda v: isinstance(v, bool), "true or false"),
    "approximate": (lambda v: v in ("none", "tanh"), "'none' or 'tanh'"),
    "p": (lambda v: _number(v) and 0 <= v < 1, "a number in [0, 1)"),
    "eps": (lambda v: _number(v) and v > 0, "a positive number"),
    "momentum": (lambda v: _number(v) and 0 <= v <= 1, "a number in [0, 1]"),
    "negative_slope": (_number, "a number"),
    "alpha": (_number, "a number"),
    "beta": (lambda v: _number(v) and v > 0, "a positive number"),
    "threshold": (_number, "a number"),
    "kernel_size": (_pair(_positive_int), "a positive integer or a pair of them"),
    "stride": (_pair(_positive_int), "a positive integer or a pair of them"),
    "padding": (
        _pair(lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0),
        "a non-negative integer or a pair of them",
    ),
}


@dataclass
class LayerSpec:
    """One layer: a kind from `LAYER_KINDS` and the parameters that differ from its defaults."""

    kind: str
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in LAYER_KINDS:
            raise SpecError(
                f"unknown layer kind {self.kind!r}; the kinds are: {', '.join(LAYER_KINDS)}",
                kind=self.kind,
            )
        self.params = dict(self.params)
        allowed = LAYER_KINDS[self.kind]
        unknown = sorted(set(self.params) - set(allowed))
        if unknown:
            takes = ", ".join(allowed) if allowed else "no parameters"
            raise SpecError(
                f"{self.kind} has no parameter {', '.join(map(repr, unknown))}; it takes {takes}",
                kind=self.kind,
            )
        for name, default in allowed.items():
            if name not in self.params:
                if default is REQUIRED:
                    raise SpecError(f"{self.kind} needs {name!r}", kind=self.kind)
                continue
            value = self.params[name]
            if isinstance(value, list):
                value = self.params[name] = tuple(value)
            if name == "stride" and value is None:
                continue
            check, wanted = _CHECKS[name]
            if not check(value):
                raise SpecError(
                    f"{self.kind} {name} must be {wanted}, got {value!r}", kind=self.kind
                )

    def resolved(self) -> dict:
        """All parameters, defaults filled in."""
        return {**LAYER_KINDS[self.kind], **self.params}

    def label(self) -> str:
        """`Conv2d(out_channels=8, kernel_size=3)`: the kind and its given parameters."""
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.kind}({args})"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "params": {k: _jsonable(v) for k, v in self.params.items()}}


def _jsonable(v):
    return list(v) if isinstance(v, tuple) else v


@dataclass
class ModelSpec:
    """An input shape (no batch dimension) and the layers that follow it."""

    input_shape: tuple
    layers: list[LayerSpec] = field(default_factory=list)

    def __post_init__(self):
        shape = tuple(self.input_shape)
        if not shape or not all(_positive_int(s) for s in shape):
            raise SpecError(f"input_shape must be positive integers, got {self.input_shape!r}")
        self.input_shape = shape
        self.layers = [
            layer if isinstance(layer, LayerSpec) else LayerSpec(**layer) for layer in self.layers
        ]

    @classmethod
    def mlp(cls, input_shape, hidden=(32, 32), out_features=2, activation="ReLU"):
        """Linear layers of the `hidden` sizes, each followed by `activation`, then the output
        Linear; a Flatten first when the input is not a vector."""
        layers = [] if len(tuple(input_shape)) == 1 else [LayerSpec("Flatten")]
        for width in hidden:
            layers += [LayerSpec("Linear", {"out_features": width}), LayerSpec(activation)]
        layers.append(LayerSpec("Linear", {"out_features": out_features}))
        return cls(tuple(input_shape), layers)

    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "input_shape": list(self.input_shape),
            "layers": [layer.to_dict() for layer in self.layers],
        }

    @classmethod
    def from_dict(cls, data) -> ModelSpec:
        """The spec `to_dict` wrote; anything unknown or malformed raises SpecError."""
        if not isinstance(data, dict):
            raise SpecError(f"a model spec is a JSON object, got {type(data).__name__}")
        unknown = sorted(set(data) - {"format", "version", "input_shape", "layers"})
        if unknown:
            raise SpecError(f"unknown model spec field(s): {', '.join(map(repr, unknown))}")
        if data.get("format", FORMAT) != FORMAT:
            raise SpecError(f"not a model spec: format is {data.get('format')!r}")
        version = data.get("version", VERSION)
        if not isinstance(version, int) or version > VERSION:
            raise SpecError(
                f"model spec version {version!r} is newer than this workbench reads ({VERSION})"
            )
        for key in ("input_shape", "layers"):
            if key not in data:
                raise SpecError(f"model spec lacks {key!r}")
        if not isinstance(data["input_shape"], list | tuple):
            raise SpecError(f"input_shape must be a list, got {data['input_shape']!r}")
        if not isinstance(data["layers"], list | tuple):
            raise SpecError(f"layers must be a list, got {type(data['layers']).__name__}")
        layers = []
        for i, entry in enumerate(data["layers"]):
            if not isinstance(entry, dict) or not isinstance(entry.get("kind"), str):
                raise SpecError(f"layer {i}: expected {{'kind': ..., 'params': {{...}}}}", index=i)
            extra = sorted(set(entry) - {"kind", "params"})
            if extra:
                raise SpecError(
                    f"layer {i}: unknown field(s) {', '.join(map(repr, extra))}", index=i
                )
            params = entry.get("params", {})
            if not isinstance(params, dict):
                raise SpecError(f"layer {i}: params must be an object", index=i)
            try:
                layers.append(LayerSpec(entry["kind"], params))
            except SpecError as e:
                raise SpecError(f"layer {i}: {e}", index=i, kind=entry["kind"]) from None
        return cls(tuple(data["input_shape"]), layers)


# ----- shapes ---------------------------------------------------------------------------------


def _hw(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def _spatial(i, layer, shape, flattened):
    """Checks that `shape` is (C, H, W) and returns (C, H, W)."""
    if len(shape) != 3:
        hint = " — add it before Flatten" if flattened and len(shape) == 1 else ""
        raise SpecError(
            f"layer {i} {layer.kind} expects (C, H, W) input, got {shape}{hint}", i, layer.kind
        )
    return shape


def _window_out(i, layer, shape, kernel, stride, padding):
    _, h, w = shape
    kh, kw = _hw(kernel)
    sh, sw = _hw(stride)
    ph, pw = _hw(padding)
    need_h, need_w = max(kh - 2 * ph, 1), max(kw - 2 * pw, 1)
    if h < need_h or w < need_w:
        raise SpecError(
            f"layer {i} {layer.label()} needs at least {need_h}×{need_w}, got {h}×{w}",
            i,
            layer.kind,
        )
    return (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1


def _output_shape(i, layer, shape, flattened):
    p = layer.resolved()
    kind = layer.kind
    if kind == "Linear":
        if len(shape) != 1:
            raise SpecError(
                f"layer {i} Linear expects (features,) input, got {shape} — add Flatten before it",
                i,
                kind,
            )
        return (p["out_features"],)
    if kind == "Conv2d":
        _spatial(i, layer, shape, flattened)
        hw = _window_out(i, layer, shape, p["kernel_size"], p["stride"], p["padding"])
        return (p["out_channels"], *hw)
    if kind == "MaxPool2d":
        c = _spatial(i, layer, shape, flattened)[0]
        stride = p["kernel_size"] if p["stride"] is None else p["stride"]
        return (c, *_window_out(i, layer, shape, p["kernel_size"], stride, 0))
    if kind == "BatchNorm1d":
        if len(shape) not in (1, 2):
            hint = " — add it after Flatten" if len(shape) == 3 else ""
            raise SpecError(
                f"layer {i} BatchNorm1d expects (features,) or (C, L) input, got {shape}{hint}",
                i,
                kind,
            )
        return shape
    if kind == "Flatten":
        return (math.prod(shape),)
    return shape  # activations, Dropout, LayerNorm


def infer_shapes(spec: ModelSpec) -> list[tuple]:
    """The output shape (no batch dimension) after each layer, without building anything."""
    shape = tuple(spec.input_shape)
    shapes = []
    flattened = False
    for i, layer in enumerate(spec.layers):
        shape = _output_shape(i, layer, shape, flattened)
        flattened = flattened or layer.kind == "Flatten"
        shapes.append(shape)
    return shapes


def parameter_counts(spec: ModelSpec) -> list[int]:
    """Trainable parameters per layer (BatchNorm's running statistics are buffers, not
    parameters)."""
    counts = []
    shape = tuple(spec.input_shape)
    for layer, out in zip(spec.layers, infer_shapes(spec), strict=True):
        p = layer.resolved()
        if layer.kind == "Linear":
            n = shape[0] * out[0] + (out[0] if p["bias"] else 0)
        elif layer.kind == "Conv2d":
            kh, kw = _hw(p["kernel_size"])
            n = shape[0] * out[0] * kh * kw + (out[0] if p["bias"] else 0)
        elif layer.kind == "LayerNorm":
            n = 2 * math.prod(shape) if p["elementwise_affine"] else 0
        elif layer.kind == "BatchNorm1d":
            n = 2 * shape[0] if p["affine"] else 0
        else:
            n = 0
        counts.append(n)
        shape = out
    return counts


def total_parameters(spec: ModelSpec) -> int:
    return sum(parameter_counts(spec))


def summary(spec: ModelSpec) -> list[dict]:
    """One row per layer, for a model builder's table: index, label, output shape, parameters."""
    rows = []
    for i, (layer, shape, n) in enumerate(
        zip(spec.layers, infer_shapes(spec), parameter_counts(spec), strict=True)
    ):
        rows.append({"index": i, "layer": layer.label(), "output_shape": shape, "parameters": n})
    return rows


# ----- building -------------------------------------------------------------------------------


def _module(layer, in_shape):
    nn = torch.nn
    p = layer.resolved()
    kind = layer.kind
    if kind == "Linear":
        return nn.Linear(in_shape[0], p["out_features"], bias=p["bias"])
    if kind == "Conv2d":
        return nn.Conv2d(
            in_shape[0],
            p["out_channels"],
            p["kernel_size"],
            stride=p["stride"],
            padding=p["padding"],
            bias=p["bias"],
        )
    if kind == "MaxPool2d":
        return nn.MaxPool2d(p["kernel_size"], stride=p["stride"])
    if kind == "LayerNorm":
        return nn.LayerNorm(
            list(in_shape), eps=p["eps"], elementwise_affine=p["elementwise_affine"]
        )
    if kind == "BatchNorm1d":
        return nn.BatchNorm1d(in_shape[0], eps=p["eps"], momentum=p["momentum"], affine=p["affine"])
    return getattr(nn, kind)(**p)  # activations, Dropout, Flatten: parameters map one to one


def build(spec: ModelSpec, seed: int | None = 0, rng=None) -> torch.nn.Sequential:
    """The `nn.Sequential` the spec describes, initialised from `torch.manual_seed(seed)`'s
    stream (or from `rng`, a NumPy Generator, which is left where the initialisation ends);
    the engine's global generator is not touched."""
    shapes = [tuple(spec.input_shape), *infer_shapes(spec)]
    if rng is None:
        rng = engine_generator(0 if seed is None else seed)
    with drawing_from(rng):
        modules = [_module(layer, shapes[i]) for i, layer in enumerate(spec.layers)]
    return torch.nn.Sequential(*modules)
