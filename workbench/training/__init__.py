"""Datasets, layer-stack model specs and the training loop that yields metrics. No Qt.

- `datasets`: built-in datasets (`load_dataset`, `DATASETS`) returning a `Dataset`;
- `csv_import`: `load_csv`, a CSV file as a `Dataset`;
- `spec`: `ModelSpec`/`LayerSpec`, shape inference, parameter counts, `build`;
- `config`, `trainer`, `metrics`: `TrainConfig`, `Trainer` and what it reports;
- `export`: metrics as CSV, weights as safetensors; `script`: "Show as code".
"""

from .config import LOSSES, OPTIMIZERS, SCHEDULE_PARAMS, SCHEDULES, TrainConfig
from .csv_import import CSVImportError, load_csv
from .datasets import DATASETS, Dataset, available_datasets, dataset_params, load_dataset
from .export import load_safetensors, metrics_csv, save_safetensors
from .metrics import EpochMetrics, StepMetrics, TrainHistory
from .script import script_for
from .spec import (
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
from .trainer import STATES, Trainer

__all__ = [
    "ACTIVATIONS",
    "CSVImportError",
    "DATASETS",
    "Dataset",
    "EpochMetrics",
    "LAYER_KINDS",
    "LOSSES",
    "LayerSpec",
    "ModelSpec",
    "OPTIMIZERS",
    "SCHEDULES",
    "SCHEDULE_PARAMS",
    "STATES",
    "SpecError",
    "StepMetrics",
    "TrainConfig",
    "TrainHistory",
    "Trainer",
    "available_datasets",
    "build",
    "dataset_params",
    "infer_shapes",
    "load_csv",
    "load_dataset",
    "load_safetensors",
    "metrics_csv",
    "parameter_counts",
    "save_safetensors",
    "script_for",
    "summary",
    "total_parameters",
]
