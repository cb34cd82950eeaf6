"""The example sessions in assets/examples/ load, hold what they promise, and come from
scripts/make_example_sessions.py (regenerating them gives the same contents)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from workbench.assets import asset
from workbench.session.files import load_session

ROOT = Path(__file__).resolve().parent.parent


def _maker():
    spec = importlib.util.spec_from_file_location(
        "make_example_sessions", ROOT / "scripts" / "make_example_sessions.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKER = _maker()


def _structure(data):
    nodes = [(n["id"], n["kind"], n["name"], n["shape"], n["dtype"]) for n in data["nodes"]]
    return nodes, data["edges"], data["outputs"]


def _untimed(value):
    """A metric history without its wall-clock fields, which differ on every run."""
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if k not in ("time", "step_time")}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


@pytest.mark.parametrize("name", sorted(MAKER.SESSIONS))
def test_shipped_session_equals_a_fresh_one(name):
    shipped = load_session(asset("examples", name))
    fresh = MAKER.SESSIONS[name]()
    assert [(c.name, c.text) for c in shipped.code] == [(c.name, c.text) for c in fresh.code]
    assert shipped.tensors.keys() == fresh.tensors.keys()
    for key, value in fresh.tensors.items():
        np.testing.assert_array_equal(shipped.tensors[key], value)
    # sequence numbers count every op the process ever made: compare the graphs' structure
    assert [_structure(g.data) for g in shipped.graphs] == [
        _structure(g.data) for g in fresh.graphs
    ]
    assert [_untimed(r.history) for r in shipped.training_runs] == [
        _untimed(r.history) for r in fresh.training_runs
    ]
    for old, new in zip(shipped.training_runs, fresh.training_runs):
        for key in new.weights:
            np.testing.assert_array_equal(old.weights[key], new.weights[key])
    # profiles measure time: compare what ran, not how long it took
    assert [list(p.events.name) for p in shipped.profiles] == [
        list(p.events.name) for p in fresh.profiles
    ]


def test_the_three_sessions_hold_a_graph_a_training_run_and_a_profile():
    walk, spirals, loop = (load_session(asset("examples", n)) for n in sorted(MAKER.SESSIONS))
    assert len(walk.graphs) == 1 and walk.ui_state["selection"] == "b"
    run = spirals.training_runs[0]
    assert run.history["epochs"][-1]["train_accuracy"] >= 0.95
    assert len(loop.profiles[0].events.name) > 2000
