"""The training loop: one optimisation step at a time, reporting metrics, under control.

Three ways to drive a `Trainer`:

- `advance()` does one step on the calling thread and returns its metrics (a `StepMetrics`,
  plus an `EpochMetrics` when the step ends an evaluated epoch). No flags are involved.
- `steps()` is a generator of those metrics until the run finishes. It is cooperative: before
  each step it honours the control flags, and while paused it *blocks*, waiting for `resume()`,
  `step_once()` or `stop()` from another thread. So iterate it on a worker thread if anything
  is to pause it; nothing is locked while it yields, so the consumer may call the controls.
- `run(callback, should_stop)` iterates `steps()` and hands every metric to `callback`; it
  returns when the run finishes or stops. This is what the app's worker thread calls.

The controls (`pause`, `resume`, `step_once`, `stop`) are thread-safe and take effect between
steps. `step_once()` pauses and lets exactly one more step run (called before a loop starts,
the loop does one step and waits). After `stop()` (state "stopped"), iterating `steps()` again
continues where the run stopped.

Determinism: everything random in a run lives in the trainer. The batch order comes from the
trainer's own NumPy generator, and dropout (or any draw from the engine's global generator
inside the model) from another one that stands in for the global generator during the step.
So a run paused, stopped and resumed at any points, mid-epoch included, computes bit for bit
what an uninterrupted run with the same seed computes, whatever else draws random numbers in
between.
"""

from __future__ import annotations

import math
import threading
import time

import numpy as np

import workbench.engine as torch

from ._rng import drawing_from, engine_generator
from .config import TrainConfig, make_loss, make_optimizer, make_scheduler
from .datasets import Dataset
from .metrics import EpochMetrics, StepMetrics, TrainHistory
from .spec import ModelSpec, SpecError, build, infer_shapes

__all__ = ["Trainer", "STATES", "check_fit"]

STATES = ("idle", "running", "paused", "stopped", "finished")
_EVAL_CHUNK = 4096  # rows per forward pass when evaluating a whole split


def _host(t):
    """A tensor's values as a NumPy array (shared with the tensor on the CPU)."""
    return t.numpy(force=True)


def _as_array(v):
    """A copy, so that changing the namespace's tensor later leaves the dataset alone."""
    return np.array(_host(v) if isinstance(v, torch.Tensor) else v)


def _batch_bounds(n, batch_size):
    """(start, end) of each batch; a trailing batch of one row joins the one before it, since
    BatchNorm cannot train on a single row."""
    bounds = [(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


class Trainer:
    """Trains `model` on `dataset` as `config` says. See the module docstring for how to drive
    it; `state` is one of STATES, `history` the metrics so far. `rng` is the NumPy Generator
    that dropout draws from (`from_spec` passes the one that initialised the model, as a
    script's `torch.manual_seed` would); by default the stream `manual_seed(config.seed)`
    starts."""

    def __init__(self, model, dataset: Dataset, config: TrainConfig | None = None, *, rng=None):
        self.model = model
        self.dataset = dataset
        self.config = config = config if config is not None else TrainConfig()
        self.spec: ModelSpec | None = None
        _check_loss(config.loss, dataset)
        if dataset.n_train < 1:
            raise ValueError(f"dataset {dataset.name!r} has no training rows")
        params = [p for p in model.parameters() if p.requires_grad]
        if not params:
            raise ValueError("the model has no trainable parameters")
        self.device = params[0].device
        self.loss_fn = make_loss(config)
        self.optimizer = make_optimizer(config, params)
        self.scheduler = make_scheduler(config, self.optimizer)
        # dropout's stream; the batch order's (the seed + 1 stream, as generated scripts do)
        self._rng = rng if rng is not None else engine_generator(config.seed)
        self._order_rng = np.random.default_rng(config.seed + 1)
        self._norms = _LayerNorms(model)
        self._bounds = _batch_bounds(dataset.n_train, config.batch_size)
        self.history = TrainHistory(
            config=config.to_dict(), dataset=dataset.name, layers=self._norms.names
        )
        self.step = 0  # steps done
        self.epoch = 0  # epochs done
        self._batch = 0  # the next batch within the current epoch
        self._order = None
        self._epoch_time = 0.0
        # guards the model and optimiser: a step, an evaluation or a prediction at a time
        self._lock = threading.RLock()
        # the control flags, and the loop's presence
        self._cond = threading.Condition()
        self._active = False
        self._paused = False
        self._grants = 0
        self._stop_requested = False
        self._stopped = False

    # ----- construction ---------------------------------------------------------------------

    @classmethod
    def from_spec(cls, spec: ModelSpec, dataset: Dataset, config: TrainConfig | None = None):
        """Build `spec` (initialised from the config's seed) and train it on `dataset`. The
        spec's input and output shapes are checked against the dataset first."""
        config = config if config is not None else TrainConfig()
        check_fit(spec, dataset, config.loss)
        rng = engine_generator(config.seed)
        trainer = cls(build(spec, rng=rng), dataset, config, rng=rng)
        trainer.spec = spec
        return trainer

    @classmethod
    def for_module(cls, model, x, y, config=None, *, x_test=None, y_test=None, task=None):
        """Train a model written in code on data from the namespace: engine Tensors or NumPy
        arrays. Integer targets mean classification (class indices), floating ones regression
        (kept in their shape, which must match the model's output). No test set unless
        `x_test`/`y_test` are given."""
        x, y = _as_array(x), _as_array(y)
        if len(x) != len(y):
            raise ValueError(f"x has {len(x)} rows but y has {len(y)}")
        if task is None:
            task = "classification" if y.dtype.kind in "iub" else "regression"
        if task not in ("classification", "regression"):
            raise ValueError(f"task must be 'classification' or 'regression', got {task!r}")
        if x_test is None:
            x_test, y_test = x[:0], y[:0]
        x_test, y_test = _as_array(x_test), _as_array(y_test)
        if task == "classification":
            y, y_test = y.astype(np.int64), y_test.astype(np.int64)
            n_classes = int(max(y.max(), y_test.max(initial=0))) + 1
        else:
            y, y_test = y.astype(np.float32), y_test.astype(np.float32)
            n_classes = None
        cast = (lambda a: a.astype(np.float32)) if x.dtype.kind == "f" else (lambda a: a)
        dataset = Dataset(
            name="namespace",
            task=task,
            x_train=cast(x),
            y_train=y,
            x_test=cast(x_test),
            y_test=y_test,
            n_classes=n_classes,
            input_shape=tuple(x.shape[1:]),
            feature_names=[],
            description=f"{len(x)} rows from code",
        )
        if config is None:
            config = TrainConfig(loss="cross_entropy" if task == "classification" else "mse")
        return cls(model, dataset, config)

    # ----- progress -------------------------------------------------------------------------

    @property
    def steps_per_epoch(self) -> int:
        return len(self._bounds)

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * self.config.epochs

    @property
    def finished(self) -> bool:
        return self.epoch >= self.config.epochs

    @property
    def state(self) -> str:
        if self.finished:
            return "finished"
        if self._stopped:
            return "stopped"
        if self._paused:
            return "paused"
        return "running" if self._active else "idle"

    # ----- controls -------------------------------------------------------------------------

    def pause(self):
        with self._cond:
            self._paused = True
            self._grants = 0
            self._cond.notify_all()

    def resume(self):
        with self._cond:
            self._paused = False
            self._grants = 0
            self._cond.notify_all()

    def step_once(self):
        """Pause, then let one more step run."""
        with self._cond:
            self._paused = True
            self._grants += 1
            self._cond.notify_all()

    def stop(self):
        """End the loop before its next step (at once if no loop is running). A later loop
        runs on unpaused."""
        with self._cond:
            self._paused = False
            self._grants = 0
            if self._active:
                self._stop_requested = True
            elif not self.finished:
                self._stopped = True
            self._cond.notify_all()

    # ----- the loop -------------------------------------------------------------------------

    def steps(self):
        """Yield metrics step by step until the run finishes or stops (see the module doc)."""
        with self._cond:
            if self._active:
                raise RuntimeError("this trainer's loop is already running")
            self._active = True
            self._stop_requested = False
            self._stopped = False
        try:
            while not self.finished:
                with self._cond:
                    while self._paused and not self._grants and not self._stop_requested:
                        self._cond.wait()
                    if self._stop_requested:
                        break
                    if self._paused:
                        self._grants -= 1
                yield from self.advance()
        finally:
            with self._cond:
                self._active = False
                self._stopped = not self.finished
                self._stop_requested = False
                self._cond.notify_all()

    def run(self, callback=None, should_stop=None) -> str:
        """Iterate `steps()`, passing each metric to `callback`; `should_stop()` is asked after
        each one (a cancellation hook). Returns the final state."""
        for metric in self.steps():
            if callback is not None:
                callback(metric)
            if should_stop is not None and should_stop():
                self.stop()
        return self.state

    def advance(self) -> list:
        """One optimisation step on the calling thread; its metrics (with the epoch's, when it
        ends an evaluated epoch)."""
        with self._lock:
            if self.finished:
                raise RuntimeError(f"training has finished ({self.config.epochs} epochs)")
            if self._batch == 0:
                self._order = self._order_rng.permutation(self.dataset.n_train)
                self._epoch_time = 0.0
            start, end = self._bounds[self._batch]
            idx = self._order[start:end]
            xb = self._tensor(self.dataset.x_train[idx])
            yb = self._targets(self.dataset.y_train[idx])
            lr = float(self.optimizer.param_groups[0]["lr"])

            t0 = time.perf_counter()
            if not self.model.training:  # someone's eval(); a walk per step would cost ~50 µs
                self.model.train()
            with drawing_from(self._rng):
                self.optimizer.zero_grad()
                loss = self._loss(self.model(xb), yb)
                loss.backward()
            t1 = time.perf_counter()
            metrics = self.config.layer_metrics
            if metrics:
                self._norms.before_step()
            t2 = time.perf_counter()
            if self.config.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(
                    self.optimizer.param_groups[0]["params"], self.config.grad_clip
                )
            self.optimizer.step()
            t3 = time.perf_counter()
            step_time = (t1 - t0) + (t3 - t2)
            step = StepMetrics(
                step=self.step + 1,
                epoch=self.epoch,
                batch=self._batch,
                loss=float(loss.item()),
                lr=lr,
                time=step_time,
            )
            if metrics:
                self._norms.after_step(step)
            self.step += 1
            self._epoch_time += step_time
            self._batch += 1
            self.history.steps.append(step)
            out = [step]
            if self._batch == len(self._bounds):
                self._batch = 0
                self.epoch += 1
                if self.scheduler is not None:
                    self.scheduler.step()
                if self.epoch % self.config.eval_every == 0 or self.finished:
                    out.append(self._epoch_metrics(lr))
            return out

    def _epoch_metrics(self, lr):
        ds = self.dataset
        test_loss = test_acc = None
        with self._lock, _eval_mode(self.model), torch.no_grad():
            train_loss, train_acc = self._evaluate(ds.x_train, ds.y_train)
            if ds.n_test:
                test_loss, test_acc = self._evaluate(ds.x_test, ds.y_test)
        metrics = EpochMetrics(
            epoch=self.epoch - 1,
            step=self.step,
            train_loss=train_loss,
            train_accuracy=train_acc,
            test_loss=test_loss,
            test_accuracy=test_acc,
            lr=lr,
            time=self._epoch_time,
        )
        self.history.epochs.append(metrics)
        return metrics

    # ----- losses and evaluation ------------------------------------------------------------

    def _tensor(self, array):
        t = torch.from_numpy(np.ascontiguousarray(array))
        return t if self.device == t.device else t.to(self.device)

    def _targets(self, y):
        if self.config.loss == "bce_with_logits" and self.dataset.task == "classification":
            y = y.astype(np.float32).reshape(-1, 1)
        return self._tensor(y)

    def _loss(self, out, y):
        if self.config.loss != "cross_entropy" and tuple(out.shape) != tuple(y.shape):
            raise ValueError(
                f"the model's output {tuple(out.shape)} and the targets {tuple(y.shape)} differ "
                f"in shape; {self.config.loss} would broadcast them"
            )
        return self.loss_fn(out, y)

    def _evaluate(self, x, y):
        """(mean loss, accuracy or None) over a whole split; the caller sets eval mode."""
        losses, correct = [], 0
        for s in range(0, len(x), _EVAL_CHUNK):
            xb, yb = x[s : s + _EVAL_CHUNK], y[s : s + _EVAL_CHUNK]
            out = self.model(self._tensor(xb))
            losses.append((float(self._loss(out, self._targets(yb)).item()), len(xb)))
            if self.dataset.task == "classification":
                correct += int((self._classes(out) == yb).sum())
        accuracy = correct / len(x) if self.dataset.task == "classification" else None
        if len(losses) == 1:  # the loss itself, as a script evaluating in one pass prints it
            return losses[0][0], accuracy
        return sum(l * k for l, k in losses) / len(x), accuracy

    def _classes(self, out):
        logits = _host(out)
        if self.config.loss == "bce_with_logits":
            return (logits.reshape(-1) > 0).astype(np.int64)
        return logits.argmax(axis=1)

    def _probabilities(self, out):
        logits = _host(out).astype(np.float64)
        if self.config.loss == "bce_with_logits":
            p = 1.0 / (1.0 + np.exp(-logits.reshape(-1, 1)))
            return np.concatenate([1.0 - p, p], axis=1)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    # ----- looking at the model -------------------------------------------------------------

    def predict(self, x) -> np.ndarray:
        """The model's outputs (logits for classification) for inputs `x`, in eval mode."""
        x = _as_array(x)
        if x.dtype.kind == "f":
            x = x.astype(np.float32, copy=False)
        outs = []
        with self._lock, _eval_mode(self.model), torch.no_grad():
            for s in range(0, len(x), _EVAL_CHUNK):
                outs.append(_host(self.model(self._tensor(x[s : s + _EVAL_CHUNK]))).copy())
        return np.concatenate(outs) if outs else np.empty((0,), np.float32)

    def decision_grid(self, resolution: int = 100, bounds=None):
        """For 2-D classification: `(xx, yy, probs)` on a resolution×resolution grid over
        `bounds` = (x_min, x_max, y_min, y_max) (default: the data with a 10 % margin), where
        `probs[i, j]` are the class probabilities at (xx[i, j], yy[i, j]); argmax over the
        last axis gives the class."""
        ds = self.dataset
        if ds.task != "classification" or tuple(ds.input_shape) != (2,):
            raise ValueError(
                f"a decision grid needs 2-D classification; {ds.name!r} is {ds.task} with "
                f"inputs of shape {tuple(ds.input_shape)}"
            )
        if bounds is None:
            pts = np.concatenate([ds.x_train, ds.x_test])
            lo, hi = pts.min(axis=0), pts.max(axis=0)
            pad = 0.1 * np.maximum(hi - lo, 1e-6)
            bounds = (lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1])
        x0, x1, y0, y1 = (float(b) for b in bounds)
        xx, yy = np.meshgrid(
            np.linspace(x0, x1, resolution, dtype=np.float32),
            np.linspace(y0, y1, resolution, dtype=np.float32),
        )
        grid = np.stack([xx.ravel(), yy.ravel()], axis=1)
        with self._lock, _eval_mode(self.model), torch.no_grad():
            probs = self._probabilities(self.model(self._tensor(grid)))
        return xx, yy, probs.reshape(resolution, resolution, -1).astype(np.float32)

    def predictions(self, split: str = "test"):
        """For regression: `(x, y_true, y_pred)` on the test set ("train" for the train set;
        the test set falls back to the train set when there is none)."""
        ds = self.dataset
        if ds.task != "regression":
            raise ValueError(f"predictions() is for regression; {ds.name!r} is {ds.task}")
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        x, y = (ds.x_test, ds.y_test) if split == "test" and ds.n_test else (ds.x_train, ds.y_train)
        return x, y, self.predict(x)


class _LayerNorms:
    """Per-layer gradient norms, weight norms and update ratios, from flat float64 copies of
    all parameters: a dozen NumPy calls per step however many layers there are."""

    def __init__(self, model):
        layers = [
            (name or "(root)", [p for p in module.parameters(recurse=False) if p.requires_grad])
            for name, module in model.named_modules()
        ]
        layers = [(name, ps) for name, ps in layers if ps]
        self.names = [name for name, _ in layers]
        self.params = [p for _, ps in layers for p in ps]
        sizes = [p.numel() for p in self.params]
        starts, offset = [], 0
        for _, ps in layers:
            starts.append(offset)
            offset += sum(p.numel() for p in ps)
        self.starts = np.array(starts, dtype=np.intp)
        self.zeros = [np.zeros(n, np.float32) for n in sizes]  # a missing gradient
        self.before = np.empty(offset)
        self.after = np.empty(offset)
        self.grads = np.empty(offset)
        self.squares = np.empty(offset)
        self.grad_norms = None

    def _flat(self, arrays, out):
        if len(arrays) == 1:
            out[...] = arrays[0].ravel()
        else:
            np.concatenate([a.ravel() for a in arrays], out=out)
        return out

    def _norms(self, flat):
        sq = np.multiply(flat, flat, out=self.squares)
        return np.sqrt(np.add.reduceat(sq, self.starts))

    def before_step(self):
        grads = [
            self.zeros[i] if p.grad is None else _host(p.grad) for i, p in enumerate(self.params)
        ]
        self.grad_norms = self._norms(self._flat(grads, self.grads))
        self._flat([_host(p) for p in self.params], self.before)

    def after_step(self, step):
        after = self._flat([_host(p) for p in self.params], self.after)
        w = self._norms(after)
        b = self._norms(self.before)
        np.subtract(after, self.before, out=self.before)
        d = self._norms(self.before)
        for i, name in enumerate(self.names):
            step.grad_norm[name] = float(self.grad_norms[i])
            step.weight_norm[name] = float(w[i])
            if b[i] > 0:
                step.update_ratio[name] = float(d[i] / b[i])
            else:
                step.update_ratio[name] = 0.0 if d[i] == 0 else math.inf


class _eval_mode:
    """Eval mode for a block, then train mode again if the model was training."""

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        self.was_training = self.model.training
        if self.was_training:
            self.model.eval()

    def __exit__(self, *exc):
        if self.was_training:
            self.model.train()


def _check_loss(loss, dataset):
    task = dataset.task
    if loss == "cross_entropy" and task != "classification":
        raise ValueError(
            f"cross_entropy needs a classification dataset; {dataset.name!r} is {task} "
            "— use mse, l1 or huber"
        )
    if loss in ("mse", "l1", "huber") and task != "regression":
        raise ValueError(
            f"{loss} needs a regression dataset; {dataset.name!r} is {task} — use cross_entropy"
        )
    if loss == "bce_with_logits" and task == "classification" and dataset.n_classes != 2:
        raise ValueError(
            f"bce_with_logits needs 2 classes; {dataset.name!r} has {dataset.n_classes} "
            "— use cross_entropy"
        )


def check_fit(spec: ModelSpec, dataset: Dataset, loss: str) -> None:
    """SpecError unless `spec` takes the dataset's inputs and gives what `loss` needs."""
    if tuple(spec.input_shape) != tuple(dataset.input_shape):
        raise SpecError(
            f"the model takes input {tuple(spec.input_shape)} but dataset {dataset.name!r} "
            f"has inputs of shape {tuple(dataset.input_shape)}"
        )
    shapes = infer_shapes(spec)
    out = shapes[-1] if shapes else tuple(spec.input_shape)
    want = _wanted_output(loss, dataset)
    if out != want:
        last = len(spec.layers) - 1
        raise SpecError(
            f"the model outputs {out} but {loss} on dataset {dataset.name!r} needs "
            f"{want} — set the last Linear's out_features to {math.prod(want)}",
            index=last if last >= 0 else None,
            kind=spec.layers[last].kind if last >= 0 else None,
        )


def _wanted_output(loss, dataset):
    if loss == "bce_with_logits" and dataset.task == "classification":
        return (1,)
    return dataset.output_shape
