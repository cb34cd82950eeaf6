"""A headless demo of the engine: the first example of PyTorch's autograd tutorial, unchanged
except for the import (`import workbench.engine as torch`)."""

from __future__ import annotations

import sys
from typing import TextIO


def _print_graph(root, stream: TextIO) -> None:
    """Print every node reachable from `root` through `next_functions`, one per line, indented
    by depth (iteratively, so deep graphs are fine)."""
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        print(f"{'  ' * depth}{node.name()}", file=stream)
        children = [fn for fn, _ in node.next_functions if fn is not None]
        stack.extend((fn, depth + 1) for fn in reversed(children))


def run_demo(stream: TextIO | None = None) -> None:
    """Run the tutorial example, printing to `stream` (sys.stdout when None).

    Raises RuntimeError if `a.grad` is not 2·cos(a).
    """
    import math

    import numpy as np

    import workbench.engine as torch

    out_stream = sys.stdout if stream is None else stream

    def say(*args) -> None:
        print(*args, file=out_stream)

    a = torch.linspace(0.0, 2.0 * math.pi, steps=25, requires_grad=True)
    say(">>> a = torch.linspace(0., 2. * math.pi, steps=25, requires_grad=True)")
    say(a)
    b = torch.sin(a)
    say(">>> b = torch.sin(a)")
    say(b)
    c = 2 * b
    say(">>> c = 2 * b")
    say(c)
    d = c + 1
    say(">>> d = c + 1")
    say(d)
    out = d.sum()
    say(">>> out = d.sum()")
    say(out)

    say(">>> d.grad_fn")
    say(d.grad_fn)
    say(">>> d.grad_fn.next_functions")
    say(d.grad_fn.next_functions)
    say(">>> a.grad_fn")
    say(a.grad_fn)
    say("# every node behind out, following next_functions back to the leaf:")
    _print_graph(out.grad_fn, out_stream)

    out.backward()
    say(">>> out.backward()")
    say(">>> a.grad")
    say(a.grad)

    expected = 2.0 * np.cos(a.detach().numpy())
    got = a.grad.numpy()
    if not np.allclose(got, expected, rtol=1e-5, atol=1e-5):
        raise RuntimeError(f"a.grad is not 2*cos(a):\n  got      {got}\n  expected {expected}")
    say("# a.grad == 2 * cos(a): OK")
