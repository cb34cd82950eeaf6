"""The trainer learns, reports correct metrics, and looks at its model (predict, decision grid,
regression predictions); TrainConfig validation; models written in code."""

import dataclasses
import json
import math

import numpy as np
import pytest

import workbench.engine as torch
from workbench.training import (
    EpochMetrics,
    LayerSpec,
    ModelSpec,
    SpecError,
    StepMetrics,
    TrainConfig,
    Trainer,
    TrainHistory,
    load_dataset,
)

nn = torch.nn


def L(kind, **params):
    return LayerSpec(kind, params)


def mlp(dataset, hidden=(32, 32), activation="ReLU", out=None):
    out = out or math.prod(dataset.output_shape)
    return ModelSpec.mlp(dataset.input_shape, hidden, out, activation)


def test_spirals_reach_95_percent_within_3000_steps():
    ds = load_dataset("spirals")
    config = TrainConfig(optimizer="adam", lr=0.01, batch_size=32, epochs=375)
    trainer = Trainer.from_spec(mlp(ds, (64, 64)), ds, config)
    assert trainer.total_steps == 3000
    best = 0.0
    for metric in trainer.steps():
        if isinstance(metric, EpochMetrics):
            best = metric.train_accuracy
            if best >= 0.95:
                trainer.stop()
    assert best >= 0.95, f"train accuracy {best} after {trainer.step} steps"
    assert trainer.step <= 3000 and trainer.state == "stopped"


def test_sine_regression_loss_decreases():
    ds = load_dataset("sine")
    config = TrainConfig(loss="mse", lr=0.01, batch_size=32, epochs=60)
    trainer = Trainer.from_spec(mlp(ds, activation="Tanh"), ds, config)
    assert trainer.run() == "finished"
    epochs = trainer.history.epochs
    assert len(epochs) == 60 and epochs[0].train_accuracy is None
    assert epochs[-1].train_loss < 0.2 * epochs[0].train_loss
    assert epochs[-1].test_loss < 0.05  # noise 0.1: the floor is 0.01


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw", "rmsprop"])
def test_every_optimizer_learns_blobs(optimizer):
    ds = load_dataset("blobs", n=150)
    lr = {"sgd": 0.1, "rmsprop": 0.003}.get(optimizer, 0.01)
    config = TrainConfig(optimizer=optimizer, lr=lr, weight_decay=1e-4, epochs=15, batch_size=16)
    trainer = Trainer.from_spec(mlp(ds, (16,)), ds, config)
    trainer.run()
    first, last = trainer.history.epochs[0], trainer.history.epochs[-1]
    assert last.train_loss < first.train_loss
    assert last.train_accuracy > 0.9


@pytest.mark.parametrize("loss", ["l1", "huber"])
def test_other_regression_losses_learn(loss):
    ds = load_dataset("plane", n=100)
    trainer = Trainer.from_spec(mlp(ds, (8,)), ds, TrainConfig(loss=loss, epochs=20))
    trainer.run()
    assert trainer.history.epochs[-1].train_loss < 0.5 * trainer.history.epochs[0].train_loss


def test_bce_with_logits_on_two_classes():
    ds = load_dataset("moons", n=200)
    config = TrainConfig(loss="bce_with_logits", epochs=30)
    trainer = Trainer.from_spec(mlp(ds, out=1), ds, config)
    trainer.run()
    last = trainer.history.epochs[-1]
    assert last.train_accuracy > 0.85 and last.test_accuracy > 0.8
    xx, yy, probs = trainer.decision_grid(resolution=5)
    assert probs.shape == (5, 5, 2)
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-6)


def test_a_small_cnn_learns_shapes():
    ds = load_dataset("shapes", n=160, noise=0.05)
    spec = ModelSpec(
        ds.input_shape,
        [
            L("Conv2d", out_channels=4, kernel_size=3, padding=1),
            L("ReLU"),
            L("MaxPool2d", kernel_size=2),
            L("Flatten"),
            L("Linear", out_features=4),
        ],
    )
    trainer = Trainer.from_spec(spec, ds, TrainConfig(lr=0.01, epochs=8, batch_size=16))
    trainer.run()
    assert trainer.history.epochs[-1].train_accuracy > 0.8
    assert trainer.history.layers == ["0", "4"]


def test_loss_and_dataset_must_fit():
    spirals, sine = load_dataset("spirals"), load_dataset("sine")
    with pytest.raises(
        ValueError, match="mse needs a regression dataset; 'spirals' is classification"
    ):
        Trainer.from_spec(mlp(spirals), spirals, TrainConfig(loss="mse"))
    with pytest.raises(ValueError, match="cross_entropy needs a classification dataset"):
        Trainer.from_spec(mlp(sine), sine, TrainConfig(loss="cross_entropy"))
    blobs = load_dataset("blobs")
    with pytest.raises(ValueError, match="bce_with_logits needs 2 classes; 'blobs' has 3"):
        Trainer.from_spec(mlp(blobs, out=1), blobs, TrainConfig(loss="bce_with_logits"))


def test_from_spec_checks_the_model_against_the_dataset():
    blobs = load_dataset("blobs")
    with pytest.raises(
        SpecError,
        match=r"outputs \(2,\) but cross_entropy on dataset 'blobs' needs \(3,\) — set the last Linear's out_features to 3",
    ) as info:
        Trainer.from_spec(mlp(blobs, out=2), blobs)
    assert info.value.index == 4
    with pytest.raises(
        SpecError, match=r"takes input \(3,\) but dataset 'blobs' has inputs of shape \(2,\)"
    ):
        Trainer.from_spec(ModelSpec.mlp((3,), (4,), 3), blobs)


def test_regression_shapes_must_match_instead_of_broadcasting():
    x = np.linspace(-1, 1, 20, dtype=np.float32).reshape(-1, 1)
    y = (2 * x[:, 0]).astype(np.float32)  # (20,) against the model's (20, 1)
    trainer = Trainer.for_module(nn.Linear(1, 1), x, y, TrainConfig(loss="mse", epochs=1))
    with pytest.raises(ValueError, match=r"output \(20, 1\) and the targets \(20,\) differ"):
        trainer.advance()


# ----- metrics --------------------------------------------------------------------------------


def test_step_metrics_per_layer_are_consistent_with_an_sgd_step():
    ds = load_dataset("circles", n=100)
    config = TrainConfig(optimizer="sgd", momentum=0.0, lr=0.05, batch_size=20, epochs=2)
    trainer = Trainer.from_spec(mlp(ds, (8, 8)), ds, config)
    trainer.run()
    steps = trainer.history.steps
    assert [s.step for s in steps] == list(range(1, 9))
    assert [(s.epoch, s.batch) for s in steps[:5]] == [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0)]
    assert trainer.history.layers == ["0", "2", "4"]
    for prev, s in zip(steps, steps[1:]):
        assert set(s.grad_norm) == set(s.weight_norm) == set(s.update_ratio) == {"0", "2", "4"}
        assert s.lr == 0.05 and s.time > 0 and math.isfinite(s.loss)
        for layer in s.grad_norm:
            # plain SGD: |Δw| = lr·|g|, and the weights before this step are the last ones after
            delta = s.update_ratio[layer] * prev.weight_norm[layer]
            assert delta == pytest.approx(0.05 * s.grad_norm[layer], rel=1e-4)
    final = {name: 0.0 for name in ("0", "2", "4")}
    for key, value in trainer.model.state_dict().items():
        final[key.split(".")[0]] += float((value.numpy().astype(np.float64) ** 2).sum())
    for layer, w2 in final.items():
        assert steps[-1].weight_norm[layer] == pytest.approx(math.sqrt(w2), rel=1e-6)


def test_layer_metrics_can_be_turned_off():
    ds = load_dataset("xor", n=60)
    trainer = Trainer.from_spec(mlp(ds, (4,)), ds, TrainConfig(epochs=1, layer_metrics=False))
    (step, *_) = trainer.advance()
    assert step.grad_norm == step.weight_norm == step.update_ratio == {}


def test_grad_clip_bounds_the_update_and_norms_are_reported_before_it():
    ds = load_dataset("spirals", n=60)
    config = TrainConfig(optimizer="sgd", momentum=0.0, lr=1.0, grad_clip=1e-3, epochs=1)
    trainer = Trainer.from_spec(mlp(ds, (8,)), ds, config)
    before = [p.detach().numpy().copy() for p in trainer.model.parameters()]
    (step, *_) = trainer.advance()
    after = [p.detach().numpy() for p in trainer.model.parameters()]
    moved = math.sqrt(sum(float(((a - b) ** 2).sum()) for a, b in zip(after, before)))
    assert moved == pytest.approx(1e-3, rel=1e-3)
    assert math.sqrt(sum(g**2 for g in step.grad_norm.values())) > 1e-2


def test_epoch_metrics_every_n_epochs_and_at_the_end():
    ds = load_dataset("moons", n=100, test_fraction=0.0)
    config = TrainConfig(epochs=5, eval_every=2, batch_size=50)
    trainer = Trainer.from_spec(mlp(ds, (4,)), ds, config)
    trainer.run()
    epochs = trainer.history.epochs
    assert [e.epoch for e in epochs] == [1, 3, 4]
    assert [e.step for e in epochs] == [4, 8, 10]
    assert all(e.test_loss is None and e.test_accuracy is None for e in epochs)
    assert all(0 <= e.train_accuracy <= 1 and e.time > 0 for e in epochs)


def test_epoch_metrics_match_a_direct_evaluation():
    ds = load_dataset("blobs", n=120)
    trainer = Trainer.from_spec(mlp(ds, (8,)), ds, TrainConfig(epochs=2))
    last = [m for m in trainer.steps()][-1]
    assert isinstance(last, EpochMetrics)
    logits = trainer.predict(ds.x_test)
    accuracy = float((logits.argmax(axis=1) == ds.y_test).mean())
    loss = nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(ds.y_test))
    assert last.test_accuracy == accuracy
    assert last.test_loss == pytest.approx(loss.item(), rel=1e-6)


@pytest.mark.parametrize(
    ("schedule", "params", "expected"),
    [
        ("step", {"step_size": 2, "gamma": 0.5}, [0.1, 0.1, 0.05, 0.05, 0.025]),
        ("exponential", {"gamma": 0.5}, [0.1, 0.05, 0.025, 0.0125, 0.00625]),
        ("cosine", {}, [0.1 * (1 + math.cos(math.pi * e / 5)) / 2 for e in range(5)]),
    ],
)
def test_schedules_step_once_per_epoch(schedule, params, expected):
    ds = load_dataset("xor", n=40)
    config = TrainConfig(lr=0.1, epochs=5, batch_size=10, schedule=schedule, schedule_params=params)
    trainer = Trainer.from_spec(mlp(ds, (4,)), ds, config)
    trainer.run()
    by_epoch = {s.epoch: s.lr for s in trainer.history.steps}
    assert [by_epoch[e] for e in range(5)] == pytest.approx(expected)
    assert len({s.lr for s in trainer.history.steps if s.epoch == 1}) == 1


def test_history_is_json_able_and_round_trips():
    ds = load_dataset("xor", n=40)
    trainer = Trainer.from_spec(mlp(ds, (4,)), ds, TrainConfig(epochs=2, batch_size=16))
    trainer.run()
    data = json.loads(json.dumps(trainer.history.to_dict()))
    again = TrainHistory.from_dict(data)
    assert again == trainer.history
    assert data["config"]["epochs"] == 2 and data["dataset"] == "xor"
    assert isinstance(again.steps[0], StepMetrics)


def test_a_trailing_batch_of_one_joins_the_previous_one():
    ds = load_dataset("xor", n=41, test_fraction=0.0)
    spec = ModelSpec(
        (2,),
        [L("Linear", out_features=4), L("BatchNorm1d"), L("ReLU"), L("Linear", out_features=2)],
    )
    trainer = Trainer.from_spec(spec, ds, TrainConfig(batch_size=20, epochs=2))
    assert trainer.steps_per_epoch == 2
    assert trainer.run() == "finished"


def test_advance_after_the_end_raises():
    ds = load_dataset("xor", n=20)
    trainer = Trainer.from_spec(mlp(ds, (4,)), ds, TrainConfig(epochs=1, batch_size=100))
    trainer.advance()
    assert trainer.state == "finished"
    with pytest.raises(RuntimeError, match="training has finished"):
        trainer.advance()


# ----- looking at the model -------------------------------------------------------------------


def test_decision_grid_agrees_with_predict():
    ds = load_dataset("blobs")
    trainer = Trainer.from_spec(mlp(ds, (8,)), ds, TrainConfig(epochs=3))
    trainer.run()
    xx, yy, probs = trainer.decision_grid(resolution=7, bounds=(-2, 2, -1, 3))
    assert xx.shape == yy.shape == (7, 7) and probs.shape == (7, 7, 3)
    assert xx[0, 0] == -2 and xx[0, -1] == 2 and yy[0, 0] == -1 and yy[-1, 0] == 3
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-5)
    logits = trainer.predict(np.stack([xx.ravel(), yy.ravel()], axis=1))
    np.testing.assert_array_equal(probs.reshape(-1, 3).argmax(axis=1), logits.argmax(axis=1))
    xx, yy, probs = trainer.decision_grid()  # default bounds: the data and a margin
    points = np.concatenate([ds.x_train, ds.x_test])
    assert xx.min() < points[:, 0].min() and xx.max() > points[:, 0].max()
    assert yy.min() < points[:, 1].min() and probs.shape == (100, 100, 3)
    assert trainer.model.training  # back in train mode


def test_decision_grid_only_for_2d_classification():
    ds = load_dataset("sine")
    trainer = Trainer.from_spec(mlp(ds), ds, TrainConfig(loss="mse"))
    with pytest.raises(ValueError, match="needs 2-D classification"):
        trainer.decision_grid()


def test_regression_predictions():
    ds = load_dataset("sine", n=50)
    trainer = Trainer.from_spec(mlp(ds, (4,)), ds, TrainConfig(loss="mse", epochs=1))
    x, y_true, y_pred = trainer.predictions()
    assert x is ds.x_test and y_true is ds.y_test and y_pred.shape == (10, 1)
    np.testing.assert_array_equal(y_pred, trainer.predict(torch.from_numpy(ds.x_test)))
    x, _, _ = trainer.predictions("train")
    assert x is ds.x_train
    with pytest.raises(ValueError, match="is for regression"):
        blobs = load_dataset("blobs")
        Trainer.from_spec(mlp(blobs), blobs).predictions()


# ----- models written in code -----------------------------------------------------------------


class TwoLayers(nn.Module):
    """The autograd tutorial's model."""

    def __init__(self):
        super().__init__()
        self.layer1 = nn.Linear(1000, 100)
        self.relu = nn.ReLU()
        self.layer2 = nn.Linear(100, 10)

    def forward(self, x):
        return self.layer2(self.relu(self.layer1(x)))


def test_for_module_trains_the_tutorial_model_on_namespace_tensors():
    torch.manual_seed(0)
    model = TwoLayers()
    x, y = torch.randn(16, 1000), torch.randn(16, 10)
    config = TrainConfig(
        loss="mse", optimizer="sgd", lr=0.01, momentum=0.0, epochs=30, batch_size=16
    )
    trainer = Trainer.for_module(model, x, y, config)
    assert trainer.dataset.task == "regression" and trainer.dataset.n_test == 0
    trainer.run()
    losses = [s.loss for s in trainer.history.steps]
    assert len(losses) == 30 and losses[-1] < 0.5 * losses[0]
    assert trainer.history.layers == ["layer1", "layer2"]
    assert trainer.model is model


def test_for_module_with_numpy_class_labels_and_root_parameters():
    class Affine(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(2, 2))
            self.b = nn.Parameter(torch.zeros(2))

        def forward(self, x):
            return x @ self.w + self.b

    ds = load_dataset("blobs", classes=2)
    trainer = Trainer.for_module(
        Affine(), ds.x_train, ds.y_train, x_test=ds.x_test, y_test=ds.y_test
    )
    assert trainer.dataset.task == "classification" and trainer.dataset.n_classes == 2
    assert trainer.config.loss == "cross_entropy"
    trainer = Trainer.for_module(
        Affine(), ds.x_train, ds.y_train, TrainConfig(epochs=3), x_test=ds.x_test, y_test=ds.y_test
    )
    trainer.run()
    assert trainer.history.layers == ["(root)"]
    assert trainer.history.epochs[-1].test_accuracy > 0.9


def test_for_module_refuses_mismatched_data():
    with pytest.raises(ValueError, match="x has 3 rows but y has 2"):
        Trainer.for_module(nn.Linear(2, 2), np.zeros((3, 2)), np.zeros(2, dtype=np.int64))


# ----- config ---------------------------------------------------------------------------------


def test_config_is_frozen():
    config = TrainConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.lr = 1.0
    assert dataclasses.replace(config, lr=1.0).lr == 1.0
    with pytest.raises(ValueError, match="lr must be > 0"):
        dataclasses.replace(config, lr=-1.0)


def test_config_round_trips_through_json():
    config = TrainConfig(
        loss="huber",
        optimizer="rmsprop",
        schedule="step",
        schedule_params={"step_size": 3},
        grad_clip=2.5,
        seed=4,
    )
    again = TrainConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config
    assert config.schedule_settings() == {"step_size": 3, "gamma": 0.5}
    assert TrainConfig(schedule="cosine", epochs=7).schedule_settings()["t_max"] == 7


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"loss": "hinge"}, "unknown loss 'hinge'; the losses are: 'cross_entropy', 'mse'"),
        ({"optimizer": "lbfgs"}, "unknown optimizer 'lbfgs'; the optimizers are: 'sgd'"),
        ({"schedule": "linear"}, "unknown schedule 'linear'; the schedules are: None, 'step'"),
        (
            {"schedule": "step", "schedule_params": {"T": 1}},
            "has no parameter 'T'; it takes step_size, gamma",
        ),
        (
            {"schedule_params": {"gamma": 1}},
            "schedule None has no parameter 'gamma'; it takes no parameters",
        ),
        ({"lr": 0}, "lr must be > 0, got 0"),
        ({"lr": float("nan")}, "lr must be > 0"),
        ({"momentum": 1.0}, r"momentum must be in \[0, 1\)"),
        ({"weight_decay": -1}, "weight_decay must be >= 0"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"epochs": 2.5}, "epochs must be a positive integer"),
        ({"grad_clip": 0}, "grad_clip must be > 0 or None"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"layer_metrics": 1}, "layer_metrics must be true or false"),
    ],
)
def test_config_validation(settings, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**settings)


def test_config_from_dict_refuses_unknown_settings():
    with pytest.raises(ValueError, match="unknown training setting\\(s\\) 'learning_rate'"):
        TrainConfig.from_dict({"learning_rate": 0.1})
