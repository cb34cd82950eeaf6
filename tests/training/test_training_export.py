"""Exports: the metrics CSV parses back, safetensors weights have PyTorch's keys and load back to
identical outputs, and "Show as code" scripts run on our engine (in a subprocess)."""

import ast
import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy

import workbench.engine as torch
from workbench.training import (
    LayerSpec,
    ModelSpec,
    SpecError,
    TrainConfig,
    Trainer,
    build,
    load_csv,
    load_dataset,
    load_safetensors,
    metrics_csv,
    save_safetensors,
    script_for,
)

ROOT = Path(__file__).resolve().parents[2]


def L(kind, **params):
    return LayerSpec(kind, params)


def trained(epochs=2, **config):
    ds = load_dataset("blobs", n=90)
    spec = ModelSpec.mlp((2,), (6, 5), 3)
    trainer = Trainer.from_spec(spec, ds, TrainConfig(epochs=epochs, batch_size=16, **config))
    trainer.run()
    return trainer


# ----- metrics CSV ----------------------------------------------------------------------------


def test_metrics_csv_parses_back_to_the_history():
    trainer = trained(epochs=3, eval_every=2)
    history = trainer.history
    rows = list(csv.DictReader(io.StringIO(metrics_csv(history))))
    assert len(rows) == len(history.steps) == 15
    header = list(rows[0])
    assert header[:6] == ["step", "epoch", "batch", "loss", "lr", "time"]
    assert header[6:9] == ["grad_norm/0", "grad_norm/2", "grad_norm/4"]
    assert "update_ratio/4" in header and header[-4:] == [
        "train_loss",
        "train_accuracy",
        "test_loss",
        "test_accuracy",
    ]
    for row, step in zip(rows, history.steps):
        assert int(row["step"]) == step.step and int(row["epoch"]) == step.epoch
        assert float(row["loss"]) == step.loss and float(row["lr"]) == step.lr
        assert float(row["grad_norm/2"]) == step.grad_norm["2"]
        assert float(row["weight_norm/0"]) == step.weight_norm["0"]
        assert float(row["update_ratio/4"]) == step.update_ratio["4"]
    ended = {int(r["step"]): r for r in rows if r["train_loss"]}
    assert sorted(ended) == [e.step for e in history.epochs] == [10, 15]
    for e in history.epochs:
        assert float(ended[e.step]["train_loss"]) == e.train_loss
        assert float(ended[e.step]["test_accuracy"]) == e.test_accuracy
    assert metrics_csv(history.to_dict()) == metrics_csv(history)


# ----- safetensors ----------------------------------------------------------------------------

BN_SPEC = ModelSpec(
    (1, 6, 6),
    [
        L("Conv2d", out_channels=2, kernel_size=3),
        L("ReLU"),
        L("Flatten"),
        L("Linear", out_features=5),
        L("BatchNorm1d"),
        L("LayerNorm"),
        L("Linear", out_features=3),
    ],
)
# what torch.nn.Sequential(Conv2d, ReLU, Flatten, Linear, BatchNorm1d, LayerNorm, Linear)
# .state_dict() holds in PyTorch
PYTORCH_KEYS = {
    "0.weight": (2, 1, 3, 3),
    "0.bias": (2,),
    "3.weight": (5, 32),
    "3.bias": (5,),
    "4.weight": (5,),
    "4.bias": (5,),
    "4.running_mean": (5,),
    "4.running_var": (5,),
    "4.num_batches_tracked": (),
    "5.weight": (5,),
    "5.bias": (5,),
    "6.weight": (3, 5),
    "6.bias": (3,),
}


def test_safetensors_have_pytorchs_keys_and_shapes(tmp_path):
    model = build(BN_SPEC, seed=0)
    model(torch.randn(4, 1, 6, 6))  # move the running statistics
    path = tmp_path / "model.safetensors"
    save_safetensors(model, path, metadata={"spec": json.dumps(BN_SPEC.to_dict())})
    arrays = safetensors.numpy.load_file(str(path))
    assert {k: a.shape for k, a in arrays.items()} == PYTORCH_KEYS
    assert arrays["4.num_batches_tracked"].dtype == np.int64
    assert arrays["4.num_batches_tracked"] == 1
    assert arrays["0.weight"].dtype == np.float32
    with open(path, "rb") as f:  # the metadata travels in the header
        header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
    assert ModelSpec.from_dict(json.loads(header["__metadata__"]["spec"])) == BN_SPEC


def test_weights_load_back_and_give_identical_outputs(tmp_path):
    ds = load_dataset("shapes", n=40, size=16)
    spec = ModelSpec(
        ds.input_shape,
        [
            L("Conv2d", out_channels=2, kernel_size=3),
            L("MaxPool2d"),
            L("Flatten"),
            L("Linear", out_features=8),
            L("BatchNorm1d"),
            L("ReLU"),
            L("Linear", out_features=4),
        ],
    )
    trainer = Trainer.from_spec(spec, ds, TrainConfig(epochs=2, batch_size=8))
    trainer.run()
    path = tmp_path / "w.safetensors"
    save_safetensors(trainer.model, path)
    fresh = build(spec, seed=99)
    x = ds.x_test
    assert not np.array_equal(
        Trainer.for_module(fresh, x, ds.y_test).predict(x), trainer.predict(x)
    )
    result = load_safetensors(fresh, path)
    assert not result.missing_keys and not result.unexpected_keys
    np.testing.assert_array_equal(
        Trainer.for_module(fresh, x, ds.y_test).predict(x), trainer.predict(x)
    )


def test_loading_into_another_architecture_fails_clearly(tmp_path):
    path = tmp_path / "w.safetensors"
    save_safetensors(build(ModelSpec.mlp((2,), (4,), 3)), path)
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):
        load_safetensors(build(ModelSpec.mlp((2,), (5,), 3)), path)


def test_saving_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "w.safetensors"
    save_safetensors(build(ModelSpec.mlp((2,), (4,), 3), seed=1), path)
    old = path.read_bytes()

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save_safetensors(build(ModelSpec.mlp((2,), (4,), 3), seed=2), path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["w.safetensors"]  # no temporary file left behind
    monkeypatch.undo()
    save_safetensors(build(ModelSpec.mlp((2,), (4,), 3), seed=2), path)
    assert path.read_bytes() != old


# ----- "Show as code" -------------------------------------------------------------------------


def run_script(tmp_path, source):
    path = tmp_path / "train.py"
    path.write_text(source, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


REPORT = re.compile(r"epoch (\d+): (.*)")
FIGURE = re.compile(r"(train loss|train accuracy|test loss|test accuracy) ([^,]+)")


def reports(output):
    """{epoch: {"train loss": "0.123456", ...}} from the script's printed lines."""
    return {int(m.group(1)): dict(FIGURE.findall(m.group(2))) for m in REPORT.finditer(output)}


def expected_report(trainer):
    """The trainer's last epoch metrics, printed as the script prints them."""
    e = trainer.history.epochs[-1]
    figures = {"train loss": f"{e.train_loss:.6f}"}
    if e.train_accuracy is not None:
        figures["train accuracy"] = f"{e.train_accuracy:.4f}"
    if e.test_loss is not None:
        figures["test loss"] = f"{e.test_loss:.6f}"
    if e.test_accuracy is not None:
        figures["test accuracy"] = f"{e.test_accuracy:.4f}"
    return e.epoch + 1, figures


def last(output):
    epoch = max(reports(output))
    return epoch, reports(output)[epoch]


def test_script_imports_only_the_engine_and_numpy():
    source = script_for(ModelSpec.mlp((2,), (8,), 2), "moons", {"n": 50}, TrainConfig(epochs=1))
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {(alias.name, alias.asname) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module, None))
    assert imported == {("workbench.engine", "torch"), ("numpy", "np")}
    assert "workbench.training" not in source
    assert source.splitlines()[0].startswith('"""Train a 3-layer model on moons')


def test_script_trains_exactly_what_the_trainer_trains(tmp_path):
    spec = ModelSpec(
        (2,),
        [
            L("Linear", out_features=32),
            L("BatchNorm1d"),
            L("ReLU"),
            L("Dropout", p=0.1),
            L("Linear", out_features=32),
            L("SiLU"),
            L("Linear", out_features=2),
        ],
    )
    params = {"n": 240, "seed": 5}
    config = TrainConfig(
        optimizer="adamw",
        lr=0.03,
        weight_decay=0.01,
        batch_size=25,
        epochs=40,
        grad_clip=5.0,
        schedule="cosine",
        seed=3,
    )
    output = run_script(tmp_path, script_for(spec, "spirals", params, config))
    trainer = Trainer.from_spec(spec, load_dataset("spirals", **params), config)
    trainer.run()
    assert sorted(reports(output)) == list(range(4, 41, 4))
    assert last(output) == expected_report(trainer)  # same weights, batches and dropout masks
    assert float(last(output)[1]["train accuracy"]) > 0.9


def test_regression_script_runs_and_learns(tmp_path):
    spec = ModelSpec.mlp((1,), (16, 16), 1, activation="Tanh")
    config = TrainConfig(loss="mse", optimizer="sgd", lr=0.05, epochs=60, schedule="step")
    output = run_script(tmp_path, script_for(spec, "sine", {}, config, report_every=20))
    lines = reports(output)
    assert sorted(lines) == [20, 40, 60] and set(lines[60]) == {"train loss", "test loss"}
    assert float(lines[60]["test loss"]) < 0.05  # noise 0.1: the floor is 0.01
    trainer = Trainer.from_spec(spec, load_dataset("sine"), config)
    trainer.run()
    assert last(output) == expected_report(trainer)


def test_cnn_script_on_shapes_and_bce_script(tmp_path):
    spec = ModelSpec(
        (1, 16, 16),
        [
            L("Conv2d", out_channels=3, kernel_size=3, stride=2, padding=1),
            L("ELU", alpha=0.5),
            L("MaxPool2d", kernel_size=2),
            L("LayerNorm"),
            L("Flatten"),
            L("Linear", out_features=4),
        ],
    )
    config = TrainConfig(optimizer="rmsprop", lr=0.003, momentum=0.5, epochs=3, seed=2)
    output = run_script(tmp_path, script_for(spec, "shapes", {"n": 60}, config))
    trainer = Trainer.from_spec(spec, load_dataset("shapes", n=60), config)
    trainer.run()
    assert last(output) == expected_report(trainer)

    spec = ModelSpec.mlp((2,), (8,), 1)
    config = TrainConfig(loss="bce_with_logits", epochs=5, schedule="exponential")
    output = run_script(tmp_path, script_for(spec, "xor", {"n": 80}, config))
    trainer = Trainer.from_spec(spec, load_dataset("xor", n=80), config)
    trainer.run()
    assert last(output) == expected_report(trainer)


def test_a_csv_dataset_is_written_as_literals(tmp_path):
    rows = ["a,b,label"] + [
        f"{i / 7:.4f},{(i * 3) % 5},{'yes' if i % 3 else 'no'}" for i in range(30)
    ]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    ds = load_csv(tmp_path / "d.csv", target="label")
    spec = ModelSpec.mlp((2,), (8,), 2)
    config = TrainConfig(epochs=4)
    output = run_script(tmp_path, script_for(spec, ds, None, config))
    trainer = Trainer.from_spec(spec, ds, config)
    trainer.run()
    assert last(output) == expected_report(trainer)


def test_without_a_test_set_only_train_figures_are_printed(tmp_path):
    spec = ModelSpec.mlp((1000,), (32,), 10)
    config = TrainConfig(loss="mse", optimizer="adam", lr=0.01, epochs=20)
    output = run_script(tmp_path, script_for(spec, "random_regression", {}, config))
    trainer = Trainer.from_spec(spec, load_dataset("random_regression"), config)
    trainer.run()
    assert last(output) == expected_report(trainer)
    assert set(last(output)[1]) == {"train loss"}
    assert float(last(output)[1]["train loss"]) < 0.1 * float(reports(output)[2]["train loss"])


def test_a_model_that_does_not_fit_the_data_gets_no_script():
    with pytest.raises(SpecError, match="needs \\(4,\\)"):
        script_for(ModelSpec.mlp((1, 16, 16), (4,), 3), "shapes", {}, TrainConfig())
    with pytest.raises(SpecError, match="inputs of shape \\(1, 28, 28\\)"):
        script_for(ModelSpec.mlp((1, 16, 16), (4,), 4), "shapes", {"size": 28}, TrainConfig())


def test_too_big_a_dataset_is_not_written_out():
    big = load_dataset("random_regression", n=100)
    with pytest.raises(ValueError, match="too many to write into a script"):
        script_for(ModelSpec.mlp((1000,), (4,), 10), big, None, TrainConfig(loss="mse"))


def test_unknown_dataset_in_a_script():
    with pytest.raises(ValueError, match="unknown dataset"):
        script_for(ModelSpec.mlp((2,), (4,), 2), "spiral", {}, TrainConfig())
