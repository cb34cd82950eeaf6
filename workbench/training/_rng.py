"""Pointing the engine's global generator at a generator the trainer owns.

Initialisation (`nn.init`) and dropout draw from the engine's `default_generator`, as they do
from PyTorch's. A training run owns its random stream instead, so that pausing, stopping and
resuming, or some other code drawing random numbers in between, never changes the numbers the
run sees: the run's generator stands in for the global one only while the run's own code runs.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

import workbench.engine as torch


def engine_generator(seed: int) -> np.random.Generator:
    """The stream `torch.manual_seed(seed)` starts (so a generated script can reproduce it)."""
    return np.random.Generator(np.random.PCG64(int(seed)))


@contextmanager
def drawing_from(rng: np.random.Generator):
    """Make the engine's global generator draw from `rng` inside the block.

    Swapping the NumPy generator behind `default_generator` costs nothing, where
    get_rng_state/set_rng_state serialise the state on every call. Another thread drawing
    from the global generator inside the block would draw from `rng`, as it would share the
    global generator anyway.
    """
    gen = torch.default_generator
    saved = gen._rng
    gen._rng = rng
    try:
        yield
    finally:
        gen._rng = saved
