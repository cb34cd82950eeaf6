"""Write the example sessions shipped in assets/examples/ (Help → Example Sessions).

    python scripts/make_example_sessions.py [OUT_DIR]

Everything is seeded, so running it again gives the same contents (only the files' timestamps
differ). Three sessions:

- 10_autograd_walkthrough.wbsession — the tutorial's first example: its code, the tensors `a`
  and `b`, and the graph of `out` with the gradients of its backward pass;
- 11_spirals_training.wbsession — an MLP trained on the two-arm spirals: the spec, settings,
  metric history and final weights, and the same training as a script;
- 12_profiled_loop.wbsession — the tutorial's profiler loop and its profile.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

import workbench.engine as torch
from workbench.assets import asset
from workbench.engine.autograd import profiler
from workbench.graph import record_backward
from workbench.session.files import (
    CodeBuffer,
    SessionDocument,
    StoredGraph,
    StoredProfile,
    StoredRun,
    save_session,
)
from workbench.training import (
    ModelSpec,
    TrainConfig,
    Trainer,
    dataset_params,
    load_dataset,
    script_for,
)


def walkthrough() -> SessionDocument:
    code = asset("examples", "01_derivative_of_sin.py").read_text(encoding="utf-8")
    a = torch.linspace(0.0, 2.0 * math.pi, steps=25, requires_grad=True)
    b = torch.sin(a)
    out = (2 * b + 1).sum()
    graph, _steps = record_backward(out, names={"a": a, "b": b, "out": out})
    return SessionDocument(
        code=[CodeBuffer("01_derivative_of_sin.py", code)],
        tensors={"a": a.detach().numpy(), "b": b.detach().numpy()},
        requires_grad={"a"},
        graphs=[StoredGraph("out", graph.to_dict(), graph.arrays())],
        ui_state={"selection": "b"},
    )


def spirals() -> SessionDocument:
    params = dataset_params("spirals")
    dataset = load_dataset("spirals", **params)
    spec = ModelSpec.mlp((2,), hidden=(64, 64), out_features=2, activation="ReLU")
    config = TrainConfig(optimizer="adam", lr=0.01, batch_size=32, epochs=375, seed=0)
    trainer = Trainer.from_spec(spec, dataset, config)
    while not trainer.finished:
        trainer.advance()
    weights = {k: v.detach().numpy().copy() for k, v in trainer.model.state_dict().items()}
    script = script_for(spec, "spirals", params, config)
    run = StoredRun(
        "spirals · MLP 2-64-64-2 · adam lr 0.01",
        spec.to_dict(),
        config.to_dict(),
        trainer.history.to_dict(),
        weights,
    )
    return SessionDocument(
        code=[CodeBuffer("train_spirals.py", script)], training_runs=[run], ui_state={}
    )


def profiled_loop() -> SessionDocument:
    code = asset("examples", "08_profiling_a_loop.py").read_text(encoding="utf-8")
    torch.manual_seed(0)
    x = torch.randn((2, 3), requires_grad=True)
    y = torch.randn((2, 3), requires_grad=True)
    with profiler.profile(record_shapes=True) as prof:
        for _ in range(3):
            z = torch.ones((2, 3), requires_grad=True)
            for _ in range(200):
                z = (z / x) * y
            z.sum().backward()
    return SessionDocument(
        code=[CodeBuffer("08_profiling_a_loop.py", code)],
        tensors={"x": x.detach().numpy(), "y": y.detach().numpy()},
        requires_grad={"x", "y"},
        profiles=[StoredProfile("the tutorial's loop, 3 × 200", prof.trace_events())],
    )


SESSIONS = {
    "10_autograd_walkthrough.wbsession": walkthrough,
    "11_spirals_training.wbsession": spirals,
    "12_profiled_loop.wbsession": profiled_loop,
}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else asset("examples")
    out.mkdir(parents=True, exist_ok=True)
    for name, make in SESSIONS.items():
        doc = make()
        path = save_session(doc, out / name)
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} kB)")
    np.random.seed(0)  # leave nothing half-seeded for a caller importing this
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
