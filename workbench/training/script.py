""" "Show as code": a self-contained script that trains a spec'd model on a dataset.

The script uses only `import workbench.engine as torch` and NumPy, so changing that one import
runs it on PyTorch. On our engine it computes what `Trainer.from_spec` computes, bit for bit:
`torch.manual_seed(seed)` starts the stream `build` draws the weights from (and dropout goes on
drawing from it), the batch order comes from `default_rng(seed + 1)` as in the trainer, and a
built-in dataset is made by the very generator `load_dataset` uses, copied in by source.
"""

from __future__ import annotations

import inspect
import math

from . import datasets as _datasets
from .config import TrainConfig
from .datasets import Dataset
from .spec import LAYER_KINDS, ModelSpec, infer_shapes
from .trainer import check_fit

__all__ = ["script_for"]

_MAX_LITERAL_VALUES = 50_000  # a dataset written into a script as literals stays readable


def _kwargs(**kwargs):
    return "".join(f", {k}={_plain(v)!r}" for k, v in kwargs.items())


def _drop(d, *keys):
    return {k: v for k, v in d.items() if k not in keys}


def _plain(v):
    return list(v) if isinstance(v, tuple) else v


def _layer_code(layer, in_shape):
    p = layer.resolved()
    given = {k: v for k, v in p.items() if v != LAYER_KINDS[layer.kind][k]}
    kind = layer.kind
    if kind == "Linear":
        rest = _drop(given, "out_features")
        return f"nn.Linear({in_shape[0]}, {p['out_features']}{_kwargs(**rest)})"
    if kind == "Conv2d":
        rest = _drop(given, "out_channels", "kernel_size")
        return (
            f"nn.Conv2d({in_shape[0]}, {p['out_channels']}"
            f"{_kwargs(kernel_size=p['kernel_size'], **rest)})"
        )
    if kind == "MaxPool2d":
        rest = _drop(given, "kernel_size")
        return f"nn.MaxPool2d({_kwargs(kernel_size=p['kernel_size'], **rest)[2:]})"
    if kind == "LayerNorm":
        return f"nn.LayerNorm({list(in_shape)}{_kwargs(**given)})"
    if kind == "BatchNorm1d":
        return f"nn.BatchNorm1d({in_shape[0]}{_kwargs(**given)})"
    return f"nn.{kind}({_kwargs(**given)[2:]})"  # activations, Dropout, Flatten


def _model_code(spec):
    shapes = [tuple(spec.input_shape), *infer_shapes(spec)]
    lines = [
        f"    {_layer_code(layer, shapes[i])},  # -> {shapes[i + 1]}"
        for i, layer in enumerate(spec.layers)
    ]
    return "model = nn.Sequential(\n" + "\n".join(lines) + "\n)"


def _generator_code(ds):
    """A built-in dataset's generator and `split`, copied in, and the calls that remake it."""
    gen = _datasets.GENERATORS[ds.name]
    names = list(inspect.signature(gen).parameters)[1:]
    args = ", ".join(f"{k}={_plain(ds.params[k])!r}" for k in names)
    return "\n\n\n".join(
        [
            inspect.getsource(gen).rstrip(),
            inspect.getsource(_datasets.split).rstrip(),
            f"rng = np.random.default_rng({ds.params['seed']!r})\n"
            f"x, y = {gen.__name__}(rng, {args})\n"
            f"x_train, y_train, x_test, y_test = split(rng, x, y, {ds.params['test_fraction']!r})",
        ]
    )


def _literal_data(ds):
    size = sum(a.size for a in (ds.x_train, ds.y_train, ds.x_test, ds.y_test))
    if size > _MAX_LITERAL_VALUES:
        raise ValueError(
            f"dataset {ds.name!r} holds {size:,} values, too many to write into a script "
            f"(at most {_MAX_LITERAL_VALUES:,})"
        )
    lines = []
    for name in ("x_train", "y_train", "x_test", "y_test"):
        a = getattr(ds, name)
        lines.append(
            f"{name} = np.array({a.tolist()!r}, dtype=np.{a.dtype.name}).reshape({a.shape!r})"
        )
    return "\n".join(lines)


_LOSSES = {
    "cross_entropy": "nn.CrossEntropyLoss()",
    "mse": "nn.MSELoss()",
    "l1": "nn.L1Loss()",
    "huber": "nn.HuberLoss()",
    "bce_with_logits": "nn.BCEWithLogitsLoss()",
}

_ACCURACY = {
    "cross_entropy": "(out.argmax(dim=1) == target)",
    "bce_with_logits": "((out > 0).float() == target)",
}


def _optimizer_code(c):
    cls = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop"}[c.optimizer]
    kw = {"lr": c.lr}
    if c.optimizer in ("sgd", "rmsprop"):
        kw["momentum"] = c.momentum
    kw["weight_decay"] = c.weight_decay
    return f"torch.optim.{cls}(model.parameters(){_kwargs(**kw)})"


def _scheduler_code(c):
    s = c.schedule_settings()
    sched = "torch.optim.lr_scheduler"
    if c.schedule == "step":
        return f"{sched}.StepLR(optimizer{_kwargs(step_size=s['step_size'], gamma=s['gamma'])})"
    if c.schedule == "cosine":
        return (
            f"{sched}.CosineAnnealingLR(optimizer{_kwargs(T_max=s['t_max'], eta_min=s['eta_min'])})"
        )
    if c.schedule == "exponential":
        return f"{sched}.ExponentialLR(optimizer{_kwargs(gamma=s['gamma'])})"
    return None


def _report_code(classification, has_test):
    """The lines inside the epoch loop that evaluate and print."""
    lines, parts = [], []
    for split in ("train", "test") if has_test else ("train",):
        if classification:
            lines.append(f"{split}_loss, {split}_accuracy = evaluate(x_{split}, y_{split})")
            parts += [
                f"{split} loss {{{split}_loss:.6f}}",
                f"{split} accuracy {{{split}_accuracy:.4f}}",
            ]
        else:
            lines.append(f"{split}_loss = evaluate(x_{split}, y_{split})")
            parts.append(f"{split} loss {{{split}_loss:.6f}}")
    lines.append(f'print(f"epoch {{epoch + 1}}: {", ".join(parts)}")')
    return "\n".join("        " + line for line in lines)


_SCRIPT = '''"""{title}

Written by Autograd Workbench ("Show as code"). It runs on the workbench's engine; to run it
on PyTorch, change the first import to `import torch`.
"""

import workbench.engine as torch
import numpy as np

nn = torch.nn

# ----- data: {data_description}

{data}
{target_prep}
# ----- model

torch.manual_seed({seed})
{model}

# ----- training

loss_fn = {loss}
optimizer = {optimizer}
{scheduler}order_rng = np.random.default_rng({order_seed})  # the batch order of each epoch
n = len(x_train)
batches = [(start, min(start + {batch_size}, n)) for start in range(0, n, {batch_size})]
if len(batches) > 1 and batches[-1][1] - batches[-1][0] == 1:
    batches[-2:] = [(batches[-2][0], n)]  # no batch of one row (BatchNorm cannot train on it)


def evaluate(x, y):
    """{evaluate_doc} over a whole split, in eval mode."""
    model.eval()
    with torch.no_grad():
        out = model(torch.from_numpy(x))
        target = torch.from_numpy(y)
        loss = loss_fn(out, target).item()
{accuracy}    model.train()
    return {evaluate_returns}


for epoch in range({epochs}):
    order = order_rng.permutation(n)
    for start, end in batches:
        idx = order[start:end]
        xb, yb = torch.from_numpy(x_train[idx]), torch.from_numpy(y_train[idx])
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
{clip}        optimizer.step()
{scheduler_step}    if (epoch + 1) % {report_every} == 0 or epoch + 1 == {epochs}:
{report}
'''


def script_for(
    spec: ModelSpec,
    dataset_name: str | Dataset,
    dataset_params: dict | None,
    config: TrainConfig,
    report_every: int | None = None,
) -> str:
    """The script that builds `spec`, makes the data and trains as `config` says.

    `dataset_name` names a built-in dataset (made with `dataset_params` by its generator,
    copied in) or is a `Dataset` object (a CSV import, say), written out as array literals.
    The script prints the train (and test) loss, and accuracy for classification, every
    `report_every` epochs (default: ten reports) and after the last epoch."""
    if isinstance(dataset_name, Dataset):
        ds = dataset_name
        data, description = _literal_data(ds), ds.description
    else:
        ds = _datasets.load_dataset(dataset_name, **(dataset_params or {}))
        data, description = _generator_code(ds), f"{ds.name}: {ds.description}"
    check_fit(spec, ds, config.loss)
    classification = ds.task == "classification"
    target_prep = ""
    if config.loss == "bce_with_logits" and classification:
        target_prep = (
            "\n# BCEWithLogitsLoss takes float targets shaped like its single output\n"
            "y_train = y_train.astype(np.float32).reshape(-1, 1)\n"
            "y_test = y_test.astype(np.float32).reshape(-1, 1)\n"
        )
    accuracy = ""
    if classification:
        accuracy = f"        accuracy = {_ACCURACY[config.loss]}.float().mean().item()\n"
    scheduler = _scheduler_code(config)
    clip = ""
    if config.grad_clip is not None:
        clip = f"        nn.utils.clip_grad_norm_(model.parameters(), {config.grad_clip!r})\n"
    if report_every is None:
        report_every = max(1, math.ceil(config.epochs / 10))
    return _SCRIPT.format(
        title=f"Train a {len(spec.layers)}-layer model on {description}.",
        data_description=description,
        data=data,
        target_prep=target_prep,
        seed=config.seed,
        model=_model_code(spec),
        loss=_LOSSES[config.loss],
        optimizer=_optimizer_code(config),
        scheduler=f"scheduler = {scheduler}\n" if scheduler else "",
        order_seed=config.seed + 1,
        batch_size=config.batch_size,
        evaluate_doc="Loss and accuracy" if classification else "Loss",
        accuracy=accuracy,
        evaluate_returns="loss, accuracy" if classification else "loss",
        epochs=config.epochs,
        clip=clip,
        scheduler_step="    scheduler.step()\n" if scheduler else "",
        report_every=report_every,
        report=_report_code(classification, ds.n_test > 0),
    )
