"""What a training run reports: a `StepMetrics` per optimisation step, an `EpochMetrics` after
each evaluated epoch, both collected in a `TrainHistory`. All plain data (`to_dict` is
JSON-able; a diverged run's NaN losses come out as JSON's non-standard `NaN`, as `json.dumps`
writes them by default)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

__all__ = ["StepMetrics", "EpochMetrics", "TrainHistory"]


@dataclass
class StepMetrics:
    """One optimisation step.

    `step` counts steps from 1; `epoch` is the 0-based epoch the step belongs to and `batch`
    its 0-based batch within it. `loss` is the batch's training loss. The per-layer dicts are
    keyed by module path ("0", "2", "layer1"; "(root)" for a module's own parameters), one
    entry per module that holds trainable parameters, each over all its parameters together:
    `grad_norm` before clipping, `weight_norm` after the step, `update_ratio` = ‖Δw‖/‖w‖ of
    this step (w before it). `lr` is the rate the step used, `time` its seconds (forward,
    backward, clipping and update; not the metrics).
    """

    step: int
    epoch: int
    batch: int
    loss: float
    lr: float
    time: float
    grad_norm: dict[str, float] = field(default_factory=dict)
    weight_norm: dict[str, float] = field(default_factory=dict)
    update_ratio: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> StepMetrics:
        return cls(**data)


@dataclass
class EpochMetrics:
    """Losses and accuracies over the whole train and test sets after the 0-based `epoch`
    ended (at `step`), measured in eval mode. Accuracies are None for regression; test
    figures are None without a test set. `time` sums the epoch's step times."""

    epoch: int
    step: int
    train_loss: float
    train_accuracy: float | None
    test_loss: float | None
    test_accuracy: float | None
    lr: float
    time: float

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> EpochMetrics:
        return cls(**data)


@dataclass
class TrainHistory:
    """A run's metrics in order, plus what it ran with (`config`, `dataset`, `layers`).

    The trainer appends from its worker thread; a reader on another thread takes `len()` of a
    list first and reads up to it (appending never moves what is already there)."""

    steps: list[StepMetrics] = field(default_factory=list)
    epochs: list[EpochMetrics] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    dataset: str = ""
    layers: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "config": dict(self.config),
            "dataset": self.dataset,
            "layers": list(self.layers),
            "steps": [s.to_dict() for s in self.steps],
            "epochs": [e.to_dict() for e in self.epochs],
        }

    @classmethod
    def from_dict(cls, data: dict) -> TrainHistory:
        return cls(
            steps=[StepMetrics.from_dict(s) for s in data.get("steps", [])],
            epochs=[EpochMetrics.from_dict(e) for e in data.get("epochs", [])],
            config=dict(data.get("config", {})),
            dataset=data.get("dataset", ""),
            layers=list(data.get("layers", [])),
        )
