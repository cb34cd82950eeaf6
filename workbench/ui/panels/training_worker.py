"""The training panel's runs: a trainer on a worker thread, and the record a run leaves.

`TrainingWorker` runs `Trainer.run(callback, should_stop)` on a plain `threading.Thread`. The
callback never touches Qt: it appends each metric to a deque (appending is atomic) and, at most
twice a second, appends a `HistogramSnapshot` of every layer's weights and gradients — the
worker owns the model between its steps, so that is the one place to read them whole, without
a lock. A QTimer on the GUI thread (~30 Hz) drains the deque and emits what it found as one
`progress` list per tick, so the plots repaint once per tick however fast the steps come.

`TrainingRun` is what the panel keeps of a run: the spec, settings, data, history and model,
and `stored()` — the run as a session file stores it.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from workbench.ui import switching

POLL_MS = 33
# The worker samples weights and gradients at most every HISTOGRAM_SECONDS, and less often when
# a snapshot is costly: its time stays under SAMPLE_BUDGET of the run's.
HISTOGRAM_SECONDS = 0.05
SAMPLE_BUDGET = 0.01
QUANTILES = 129  # what a snapshot keeps of a layer: its values at evenly spaced quantiles
SAMPLE_LIMIT = 20_000  # larger layers are subsampled (strided) before sorting
# The worker and the GUI thread share the GIL: each time the GUI thread lets go of it inside a
# Qt call it may wait a whole switch interval (5 ms by default) to get it back, so a tick of many
# Qt calls stalls behind a busy worker. A shorter interval while training keeps the window
# responsive (see benchmarks/training_panel.py for both figures).
TRAIN_SWITCH_INTERVAL = 0.001


@dataclass
class HistogramSnapshot:
    """Each layer's weights and gradients after `step`, as QUANTILES sorted values each."""

    step: int
    weights: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]


def _quantiles(arrays) -> np.ndarray:
    values = np.concatenate([np.asarray(a, dtype=np.float32).ravel() for a in arrays])
    if values.size > SAMPLE_LIMIT:
        values = values[:: math.ceil(values.size / SAMPLE_LIMIT)]
    values = np.sort(values[np.isfinite(values)])
    if values.size == 0:
        return np.zeros(QUANTILES, np.float32)
    index = np.linspace(0, values.size - 1, QUANTILES).round().astype(np.intp)
    return values[index]


class LayerSampler:
    """Quantiles of each layer's parameters and gradients, grouped by module path as the
    trainer's per-layer metrics are ("(root)" for a module's own parameters)."""

    def __init__(self, model) -> None:
        self.layers = []
        for name, module in model.named_modules():
            params = [p for p in module.parameters(recurse=False) if p.requires_grad]
            if params:
                self.layers.append((name or "(root)", params))

    def snapshot(self, step: int) -> HistogramSnapshot:
        weights, grads = {}, {}
        for name, params in self.layers:
            weights[name] = _quantiles(p.numpy(force=True) for p in params)
            grads[name] = _quantiles(
                np.zeros(p.shape, np.float32) if p.grad is None else p.grad.numpy(force=True)
                for p in params
            )
        return HistogramSnapshot(step, weights, grads)


class TrainingWorker(QObject):
    """One trainer's loop on a worker thread, reported to the GUI thread at ~30 Hz.

    `progress` carries, in order, the StepMetrics, EpochMetrics and HistogramSnapshots that
    arrived since the last tick. `finished` says how the loop ended: "finished", "stopped" or
    "error" (then `error` holds the exception). The controls are the trainer's, thread-safe.
    """

    progress = Signal(list)
    finished = Signal(str)
    profiled = Signal(object, str)  # a finished engine profile of some steps, its title

    def __init__(
        self,
        trainer,
        parent: QObject | None = None,
        *,
        histograms: bool = True,
        switch_interval: float | None = TRAIN_SWITCH_INTERVAL,
    ) -> None:
        super().__init__(parent)
        self.trainer = trainer
        self.error: BaseException | None = None
        self.seconds = 0.0  # how long the loop's thread ran (paused time included)
        self._items: deque = deque()
        self._sampler = LayerSampler(trainer.model) if histograms else None
        self._last_sample = -math.inf
        self._sample_every = HISTOGRAM_SECONDS
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._switch_interval = switch_interval
        self._switching: int | None = None  # the switch-interval hold while the loop runs
        # "profile the next N steps": asked for on the GUI thread, done on the worker's (the
        # engine's profiler records the thread it is entered on)
        self._profile_request = 0
        self._profiler = None
        self._profile_left = 0
        self._profile_first = 0
        self._profiles: deque = deque()
        self._timer = QTimer(self)
        self._timer.setObjectName("training-poll")
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def active(self) -> bool:
        """Whether the loop's thread is alive (running or paused)."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, step_only: bool = False) -> None:
        """Start the loop on a fresh thread; `step_only` does one step and waits paused."""
        if self.active:
            raise RuntimeError("this worker's loop is already running")
        self._stop.clear()
        self.error = None
        if step_only:
            self.trainer.step_once()
        else:
            self.trainer.resume()
        if self._switch_interval is not None and self._switching is None:
            self._switching = switching.hold(self._switch_interval)
        self._thread = threading.Thread(target=self._run, name="workbench-training", daemon=True)
        self._thread.start()
        self._timer.start()

    def profile_steps(self, n: int) -> None:
        """Record the next `n` optimisation steps with the engine's profiler (shapes on)."""
        self._profile_request = max(int(n), 0)

    def pause(self) -> None:
        self.trainer.pause()

    def resume(self) -> None:
        self.trainer.resume()

    def step_once(self) -> None:
        self.trainer.step_once()

    def stop(self) -> None:
        """Ask the loop to end before its next step; `finished` follows within a tick."""
        self._stop.set()
        self.trainer.stop()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop and join the thread, without signals (the panel is closing)."""
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout)
        self._timer.stop()
        self._items.clear()
        self._restore_interval()

    def drain(self) -> list:
        """What arrived since the last drain, oldest first."""
        items = []
        pop = self._items.popleft
        try:
            while True:
                items.append(pop())
        except IndexError:
            return items

    # ----- the worker thread -------------------------------------------------------------------

    def _run(self) -> None:
        start = time.perf_counter()
        try:
            self.trainer.run(self._collect, self._stop.is_set)
        except BaseException as exc:  # reported on the GUI thread; the thread just ends
            self.error = exc
        self.seconds += time.perf_counter() - start
        if self._profiler is not None:  # stopped or finished inside the profiled steps
            self._close_profile(self.trainer.step)
        if self._sampler is not None and self.trainer.step > 0 and self.error is None:
            self._items.append(self._sampler.snapshot(self.trainer.step))

    def _profile_tick(self, metric) -> None:
        """On the worker thread, after each step: open, count down and close the profile."""
        if self._profiler is None and self._profile_request:
            from workbench.engine.autograd.profiler import profile

            n, self._profile_request = self._profile_request, 0
            try:
                prof = profile(record_shapes=True)
                prof.__enter__()
            except RuntimeError as exc:  # another profiler is running (a profiled code run)
                self._profiles.append((None, f"cannot profile the training: {exc}"))
                return
            self._profiler, self._profile_left = prof, n
            self._profile_first = getattr(metric, "step", 0) + 1
            return
        if self._profiler is not None and hasattr(metric, "grad_norm"):
            self._profile_left -= 1
            if self._profile_left <= 0:
                self._close_profile(getattr(metric, "step", 0))

    def _close_profile(self, last_step: int) -> None:
        prof, self._profiler = self._profiler, None
        prof.__exit__(None, None, None)
        first = self._profile_first
        title = (
            f"Training steps {first}–{last_step}" if last_step > first else f"Training step {first}"
        )
        self._profiles.append((prof, title))

    def _collect(self, metric) -> None:
        self._profile_tick(metric)
        self._items.append(metric)
        if self._sampler is None or not hasattr(metric, "grad_norm"):
            return
        now = time.perf_counter()
        if now - self._last_sample >= self._sample_every:
            cpu = time.thread_time()  # CPU, not wall: waiting for the GIL is not the cost
            self._items.append(self._sampler.snapshot(metric.step))
            cost = time.thread_time() - cpu
            self._sample_every = min(max(HISTOGRAM_SECONDS, cost / SAMPLE_BUDGET), 2.0)
            self._last_sample = now

    # ----- the GUI thread ----------------------------------------------------------------------

    def _poll(self) -> None:
        done = not self.active  # before draining, so nothing appended at the end is missed
        items = self.drain()
        if items:
            self.progress.emit(items)
        while self._profiles:
            prof, title = self._profiles.popleft()
            self.profiled.emit(prof, title)
        if done:
            self._timer.stop()
            if self._thread is not None:
                self._thread.join()
                self._thread = None
            self._restore_interval()
            if self.error is not None:
                state = "error"
            else:
                state = "finished" if self.trainer.finished else "stopped"
            self.finished.emit(state)

    def _restore_interval(self) -> None:
        switching.release(self._switching)
        self._switching = None


# ----- what the panel keeps of a run ---------------------------------------------------------


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass(eq=False)
class TrainingRun:
    """A run of the panel: what it trained, on what, how, and what came of it.

    `source` says where the data came from, as JSON-able data: {"name": "spirals", "params":
    {...}} for a built-in dataset, {"name": "csv", "params": {...load_csv's arguments}} for an
    imported file, {"name": "namespace", "model": ..., "x": ..., "y": ...} for a model from
    code. `dataset`, `model` and `trainer` may be None for a run loaded from a session whose
    data or weights cannot be remade. `state`: "running", "paused", "stopped", "finished",
    "error" or "loaded".
    """

    number: int
    spec: object | None  # ModelSpec
    config: object  # TrainConfig
    source: dict
    history: object  # TrainHistory
    dataset: object | None = None
    model: object | None = None
    trainer: object | None = None
    state: str = "idle"
    name: str = ""
    series: object | None = None  # the plots' RunSeries
    seconds: float = 0.0  # the training thread's running time (paused time included)
    snapshots: list = field(default_factory=list)  # HistogramSnapshots, thinned as they grow

    def __post_init__(self) -> None:
        if not self.name:
            self.name = f"run {self.number}"

    @property
    def task(self) -> str:
        if self.dataset is not None:
            return self.dataset.task
        return (
            "classification"
            if self.config.loss in ("cross_entropy", "bce_with_logits")
            else ("regression")
        )

    @property
    def data_name(self) -> str:
        """The data in a word: the dataset, the CSV file's name, or "model on x, y"."""
        name = str(self.source.get("name", ""))
        if name == "csv":
            path = str(self.source.get("params", {}).get("path", "csv"))
            return os.path.splitext(os.path.basename(path))[0]
        if name == "namespace":
            s = self.source
            return f"{s.get('model')} on {s.get('x')}, {s.get('y')}"
        return name

    def label(self) -> str:
        """'#2 adam · lr 0.01 · batch 32 · spirals': what tells overlaid runs apart."""
        c = self.config
        text = f"#{self.number} {c.optimizer} · lr {c.lr:g} · batch {c.batch_size}"
        return f"{text} · {self.data_name}" if self.data_name else text

    @property
    def steps_done(self) -> int:
        return len(self.history.steps)

    def settings(self) -> dict:
        """JSON-able: {"config": TrainConfig.to_dict(), "dataset": source}."""
        return {"config": _jsonable(self.config.to_dict()), "dataset": _jsonable(self.source)}

    def weights(self) -> dict[str, np.ndarray]:
        """The model's state dict as NumPy copies (taken between two steps of a live run)."""
        if self.model is None:
            return {}
        lock = getattr(self.trainer, "_lock", None) if self.trainer is not None else None
        if lock is None:
            return _state_arrays(self.model)
        with lock:
            return _state_arrays(self.model)

    def stored(self) -> dict:
        """The run as `workbench.session.files.StoredRun(**run.stored())` takes it."""
        return {
            "name": self.name,
            "spec": None if self.spec is None else self.spec.to_dict(),
            "settings": self.settings(),
            "history": self.history.to_dict(),
            "weights": self.weights(),
        }


def _state_arrays(model) -> dict[str, np.ndarray]:
    return {k: np.array(v.numpy(force=True)) for k, v in model.state_dict().items()}
