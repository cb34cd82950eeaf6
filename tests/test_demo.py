"""The headless engine demo that `workbench demo` prints: the tutorial's first example."""

import io

from workbench.demo import run_demo


def test_demo_runs_the_tutorial_example():
    stream = io.StringIO()
    run_demo(stream)  # raises if a.grad is not 2*cos(a)
    text = stream.getvalue()
    assert "requires_grad=True" in text
    for name in ("SinBackward0", "MulBackward0", "AddBackward0", "SumBackward0", "AccumulateGrad"):
        assert name in text
    assert "a.grad == 2 * cos(a): OK" in text
