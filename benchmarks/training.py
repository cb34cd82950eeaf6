"""The headless trainer's speed (issue 7): steps/s on spirals, against a bare training loop.

`python -m benchmarks.training [--steps N] [--rounds R] [--hidden H]`

Workload: 2-D spirals (300 points, 240 for training), an MLP with two hidden layers of H units
(64 by default) and ReLU, batch 64, Adam. Four loops train it, interleaved in rounds so all see
the same load; each keeps its best round:

- bare: the hand-written loop (index the batch, zero_grad, forward, backward, step), nothing
  measured: the floor for any trainer on this engine;
- trainer, bare: `Trainer.run()` with `layer_metrics=False` and no evaluation until the end:
  the loop's own cost (batching, the RNG swap, the lock and the flags);
- trainer, no layer metrics: `Trainer.run()` with `layer_metrics=False`, evaluating train and
  test sets after every epoch (every 4 steps here);
- trainer: `Trainer.run()` with the defaults: per-layer grad/weight norms and update ratios
  every step, train/test loss and accuracy every epoch. Its steps/s is the headless figure
  the training panel is measured against (the panel must reach >= 90 % of it).

Many short rounds (200 steps x 40 by default) beat a few long ones on a busy machine: the best
round is the one least disturbed. Run with one BLAS thread (`make bench` sets
OPENBLAS_NUM_THREADS=1 and friends).
"""

from __future__ import annotations

import argparse
import gc
import time

import numpy as np

import workbench.engine as torch
from workbench.training import ModelSpec, TrainConfig, Trainer, build, load_dataset

BATCH = 64


def _spec(hidden):
    return ModelSpec.mlp((2,), hidden=(hidden, hidden), out_features=2)


def bare(dataset, hidden, steps):
    """Seconds for `steps` steps of the plain loop."""
    nn = torch.nn
    model = build(_spec(hidden), seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    x, y = dataset.x_train, dataset.y_train
    rng = np.random.default_rng(1)
    n = len(x)
    t0 = time.perf_counter()
    done = 0
    while done < steps:
        order = rng.permutation(n)
        for start in range(0, n, BATCH):
            idx = order[start : start + BATCH]
            xb, yb = torch.from_numpy(x[idx]), torch.from_numpy(y[idx])
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            loss.item()
            done += 1
            if done == steps:
                break
    return time.perf_counter() - t0


def trainer(dataset, hidden, steps, layer_metrics=True, evaluate=True):
    """Seconds for `Trainer.run()` over `steps` steps (whole epochs)."""
    per_epoch = -(-dataset.n_train // BATCH)
    epochs = max(1, steps // per_epoch)
    config = TrainConfig(
        optimizer="adam",
        lr=0.01,
        batch_size=BATCH,
        epochs=epochs,
        layer_metrics=layer_metrics,
        eval_every=1 if evaluate else epochs,
    )
    t = Trainer.from_spec(_spec(hidden), dataset, config)
    t0 = time.perf_counter()
    t.run()
    return time.perf_counter() - t0, t.step


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.training")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--hidden", type=int, default=64)
    args = parser.parse_args(argv)
    dataset = load_dataset("spirals")
    steps = args.steps - args.steps % -(-dataset.n_train // BATCH)  # whole epochs
    loops = {
        "trainer, bare": (False, False),
        "trainer, no layer metrics": (False, True),
        "trainer": (True, True),
    }
    best = dict.fromkeys(["bare", *loops], np.inf)
    for _ in range(args.rounds):
        best["bare"] = min(best["bare"], bare(dataset, args.hidden, steps) / steps)
        for name, (metrics, evaluate) in loops.items():
            seconds, done = trainer(dataset, args.hidden, steps, metrics, evaluate)
            best[name] = min(best[name], seconds / done)
        gc.collect()
    print(
        f"spirals, MLP 2-{args.hidden}-{args.hidden}-2, batch {BATCH}, Adam; "
        f"{steps} steps x {args.rounds} rounds, best round"
    )
    print(f"{'loop':<28}{'steps/s':>10}{'vs bare':>10}")
    for name, per_step in best.items():
        print(f"{name:<28}{1 / per_step:>10.0f}{best['bare'] / per_step:>10.2f}")
    print(f"headless trainer: {1 / best['trainer']:.0f} steps/s")


if __name__ == "__main__":
    main()
