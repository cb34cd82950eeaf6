"""Pause, resume, step once and stop; and that an interrupted run computes bit for bit what an
uninterrupted one does. Threads are synchronised with queues and events, never with sleeps."""

import itertools
import queue
import threading

import numpy as np
import pytest

import workbench.engine as torch
from workbench.training import EpochMetrics, LayerSpec, ModelSpec, StepMetrics, TrainConfig, Trainer
from workbench.training import load_dataset as _load

TIMEOUT = 60  # seconds: only reached when something hangs

DATASET = _load("spirals", n=120)  # 96 training rows: 6 batches of 16 per epoch
SPEC = ModelSpec(
    (2,),
    [
        LayerSpec("Linear", {"out_features": 16}),
        LayerSpec("BatchNorm1d"),
        LayerSpec("ReLU"),
        LayerSpec("Dropout", {"p": 0.3}),
        LayerSpec("Linear", {"out_features": 2}),
    ],
)
CONFIG = TrainConfig(
    optimizer="sgd",
    lr=0.1,
    batch_size=16,
    epochs=3,
    grad_clip=1.0,
    schedule="step",
    schedule_params={"step_size": 1},
    seed=11,
)


def make(config=CONFIG):
    return Trainer.from_spec(SPEC, DATASET, config)


def fingerprint(trainer):
    """Everything a run computed, without wall times."""
    history = trainer.history.to_dict()
    for entry in history["steps"] + history["epochs"]:
        entry.pop("time")
    weights = {k: v.numpy().tobytes() for k, v in trainer.model.state_dict().items()}
    return history, weights


@pytest.fixture(scope="module")
def reference():
    trainer = make()
    assert trainer.run() == "finished"
    assert trainer.step == 18
    return fingerprint(trainer)


def disturb(trainer):
    """What other code might do while a run is paused: draw from the global generator, use
    dropout, look at the model."""
    torch.manual_seed(1234)
    torch.randn(7)
    torch.nn.functional.dropout(torch.ones(50), p=0.5)
    trainer.predict(DATASET.x_test)
    trainer.decision_grid(resolution=4)


def test_the_reference_depends_on_the_seed(reference):
    other = Trainer.from_spec(SPEC, DATASET, TrainConfig(**{**CONFIG.to_dict(), "seed": 12}))
    other.run()
    assert fingerprint(other)[0] != reference[0]
    again = make()
    for _ in range(18):
        again.advance()
    assert fingerprint(again) == reference  # advance() by hand is the same run


@pytest.mark.parametrize("stops", [(1,), (4,), (6,), (5, 6, 7, 13, 17)], ids=str)
def test_stopping_and_continuing_anywhere_changes_nothing(reference, stops):
    trainer = make()

    def callback(metric):
        if isinstance(metric, StepMetrics) and metric.step in stops:
            trainer.stop()

    for stop in stops:
        assert trainer.run(callback) == "stopped"
        assert trainer.step == stop and trainer.state == "stopped"
        disturb(trainer)
    assert trainer.run(callback) == "finished"
    assert fingerprint(trainer) == reference


def test_pause_step_once_resume_from_another_thread_changes_nothing(reference):
    trainer = make()
    seen = queue.Queue()

    def callback(metric):
        if isinstance(metric, StepMetrics):
            if metric.step == 4:  # mid-epoch
                trainer.pause()
            seen.put(metric.step)

    worker = threading.Thread(target=trainer.run, args=(callback,))
    worker.start()
    for expected in range(1, 5):
        assert seen.get(timeout=TIMEOUT) == expected
    assert trainer.state == "paused"
    disturb(trainer)  # safe: the worker is waiting between steps
    for expected in (5, 6, 7):  # 6 ends the first epoch
        trainer.step_once()
        assert seen.get(timeout=TIMEOUT) == expected
        assert trainer.state == "paused"
    disturb(trainer)
    trainer.resume()
    worker.join(TIMEOUT)
    assert not worker.is_alive()
    assert trainer.state == "finished"
    assert [seen.get_nowait() for _ in range(11)] == list(range(8, 19))
    assert fingerprint(trainer) == reference


def test_step_once_before_the_loop_runs_one_step_then_waits(reference):
    trainer = make()
    seen = queue.Queue()
    trainer.step_once()
    assert trainer.state == "paused"
    worker = threading.Thread(target=trainer.run, args=(seen.put,))
    worker.start()
    first = seen.get(timeout=TIMEOUT)
    assert isinstance(first, StepMetrics) and first.step == 1
    trainer.step_once()
    assert seen.get(timeout=TIMEOUT).step == 2
    trainer.stop()
    worker.join(TIMEOUT)
    assert not worker.is_alive() and trainer.state == "stopped" and trainer.step == 2
    assert trainer.run() == "finished"  # a stopped run continues, unpaused
    assert fingerprint(trainer) == reference


def test_stop_ends_a_running_loop_from_another_thread():
    trainer = make(TrainConfig(**{**CONFIG.to_dict(), "epochs": 10_000}))
    seen = queue.Queue()
    worker = threading.Thread(target=trainer.run, args=(seen.put,))
    worker.start()
    seen.get(timeout=TIMEOUT)
    assert trainer.state == "running"
    trainer.stop()
    worker.join(TIMEOUT)
    assert not worker.is_alive()
    assert trainer.state == "stopped" and 0 < trainer.step < trainer.total_steps


def test_stop_ends_a_paused_loop():
    trainer = make()
    trainer.pause()
    started = threading.Event()
    result = []

    def work():
        started.set()
        result.append(trainer.run())

    worker = threading.Thread(target=work)
    worker.start()
    started.wait(TIMEOUT)
    trainer.stop()
    worker.join(TIMEOUT)
    assert not worker.is_alive() and result == ["stopped"] and trainer.step == 0


def test_should_stop_is_a_cancellation_hook():
    trainer = make()
    assert trainer.run(should_stop=lambda: trainer.step >= 4) == "stopped"
    assert trainer.step == 4


def test_states_along_a_run():
    trainer = make()
    assert trainer.state == "idle"
    states = []
    trainer.run(lambda m: states.append(trainer.state))
    assert set(states) == {"running", "finished"} and states[-1] == "finished"
    assert trainer.state == "finished"
    stopped = make()
    stopped.stop()
    assert stopped.state == "stopped"


def test_one_loop_at_a_time_and_leaving_a_loop_stops_it(reference):
    trainer = make()
    first = trainer.steps()
    next(first)
    with pytest.raises(RuntimeError, match="already running"):
        next(trainer.steps())
    first.close()
    assert trainer.state == "stopped" and trainer.step == 1
    # leaving a loop part way (islice) and starting a new one is the same run too; step 6
    # yields its StepMetrics and the first epoch's EpochMetrics
    for _ in range(3):
        list(itertools.islice(trainer.steps(), 4))
    assert trainer.step == 12
    rest = list(trainer.steps())
    assert [m.step for m in rest if isinstance(m, StepMetrics)] == list(range(13, 19))
    assert [m.epoch for m in rest if isinstance(m, EpochMetrics)] == [2]
    assert fingerprint(trainer) == reference


def test_predict_between_steps_keeps_the_training_mode():
    trainer = make()
    trainer.advance()
    assert trainer.model.training
    out = trainer.predict(DATASET.x_train[:5])
    assert out.shape == (5, 2) and trainer.model.training
    np.testing.assert_array_equal(out, trainer.predict(DATASET.x_train[:5]))  # eval: no dropout
