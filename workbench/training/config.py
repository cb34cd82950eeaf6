"""`TrainConfig`: a run's settings as plain, validated, JSON-able data, and what they build
(the loss module, the optimiser, the learning-rate schedule)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

import workbench.engine as torch

__all__ = ["TrainConfig", "LOSSES", "OPTIMIZERS", "SCHEDULES", "SCHEDULE_PARAMS"]

LOSSES = ("cross_entropy", "mse", "l1", "huber", "bce_with_logits")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULES = (None, "step", "cosine", "exponential")
# schedule -> {parameter: default}; the schedule steps once per epoch. cosine's t_max defaults
# to the run's epochs.
SCHEDULE_PARAMS = {
    "step": {"step_size": 10, "gamma": 0.5},
    "cosine": {"t_max": None, "eta_min": 0.0},
    "exponential": {"gamma": 0.95},
}


def _choices(values):
    return ", ".join(repr(v) for v in values)


@dataclass(frozen=True)
class TrainConfig:
    """How to train. `momentum` applies to "sgd" and "rmsprop"; `grad_clip` is a max total
    gradient norm (None: no clipping); `seed` fixes the batch order, dropout and (for
    `Trainer.from_spec`) the initial weights. `eval_every` is how many epochs pass between
    evaluations over the whole train and test sets; `layer_metrics` turns the per-layer
    norms and update ratios of every step on or off. Frozen: a trainer's settings cannot
    drift from what it built; `dataclasses.replace` makes a changed copy."""

    loss: str = "cross_entropy"
    optimizer: str = "adam"
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str | None = None
    schedule_params: dict = field(default_factory=dict)
    batch_size: int = 32
    epochs: int = 100
    grad_clip: float | None = None
    seed: int = 0
    eval_every: int = 1
    layer_metrics: bool = True

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; the losses are: {_choices(LOSSES)}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"unknown optimizer {self.optimizer!r}; the optimizers are: {_choices(OPTIMIZERS)}"
            )
        if self.schedule not in SCHEDULES:
            raise ValueError(
                f"unknown schedule {self.schedule!r}; the schedules are: {_choices(SCHEDULES)}"
            )
        object.__setattr__(self, "schedule_params", dict(self.schedule_params))
        allowed = SCHEDULE_PARAMS.get(self.schedule, {})
        unknown = sorted(set(self.schedule_params) - set(allowed))
        if unknown:
            takes = ", ".join(allowed) if allowed else "no parameters"
            raise ValueError(
                f"schedule {self.schedule!r} has no parameter {', '.join(map(repr, unknown))}; "
                f"it takes {takes}"
            )
        _check(self.lr > 0, "lr must be > 0", self.lr)
        _check(0 <= self.momentum < 1, "momentum must be in [0, 1)", self.momentum)
        _check(self.weight_decay >= 0, "weight_decay must be >= 0", self.weight_decay)
        _check_int(self.batch_size, "batch_size")
        _check_int(self.epochs, "epochs")
        _check_int(self.eval_every, "eval_every")
        _check(
            isinstance(self.seed, int) and not isinstance(self.seed, bool) and self.seed >= 0,
            "seed must be a non-negative integer",
            self.seed,
        )
        if self.grad_clip is not None:
            _check(self.grad_clip > 0, "grad_clip must be > 0 or None", self.grad_clip)
        if not isinstance(self.layer_metrics, bool):
            raise ValueError(f"layer_metrics must be true or false, got {self.layer_metrics!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ValueError(
                f"unknown training setting(s) {', '.join(map(repr, unknown))}; "
                f"the settings are: {', '.join(names)}"
            )
        return cls(**data)

    def schedule_settings(self) -> dict:
        """The schedule's parameters with defaults filled in."""
        settings = {**SCHEDULE_PARAMS.get(self.schedule, {}), **self.schedule_params}
        if self.schedule == "cosine" and settings["t_max"] is None:
            settings["t_max"] = self.epochs
        return settings


def _check(ok, message, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not ok:
        raise ValueError(f"{message}, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{message}, got {value!r}")


def _check_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def make_loss(config: TrainConfig):
    nn = torch.nn
    return {
        "cross_entropy": nn.CrossEntropyLoss,
        "mse": nn.MSELoss,
        "l1": nn.L1Loss,
        "huber": nn.HuberLoss,
        "bce_with_logits": nn.BCEWithLogitsLoss,
    }[config.loss]()


def make_optimizer(config: TrainConfig, params):
    optim = torch.optim
    c = config
    if c.optimizer == "sgd":
        return optim.SGD(params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)
    if c.optimizer == "rmsprop":
        return optim.RMSprop(params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)
    cls = optim.Adam if c.optimizer == "adam" else optim.AdamW
    return cls(params, lr=c.lr, weight_decay=c.weight_decay)


def make_scheduler(config: TrainConfig, optimizer):
    s = config.schedule_settings()
    sched = torch.optim.lr_scheduler
    if config.schedule == "step":
        return sched.StepLR(optimizer, step_size=s["step_size"], gamma=s["gamma"])
    if config.schedule == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=s["t_max"], eta_min=s["eta_min"])
    if config.schedule == "exponential":
        return sched.ExponentialLR(optimizer, gamma=s["gamma"])
    return None
