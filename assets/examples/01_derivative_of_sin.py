"""The derivative of sin
PyTorch's autograd tutorial in a few lines: build b = sin(a) from 25 points in [0, 2π], follow
the graph that autograd records, call backward() and check that a.grad is 2·cos(a).
"""

# workbench: inspect b against a
# workbench: inspect a

import math

import workbench.engine as torch  # on PyTorch: import torch

# A leaf tensor that asks autograd to track every operation done with it.
a = torch.linspace(0.0, 2.0 * math.pi, steps=25, requires_grad=True)
print("a =", a)

# Each operation on a tracked tensor returns a tensor that remembers how it was made: its
# grad_fn is the node of the graph that will compute the gradient on the way back.
b = torch.sin(a)
print("b = sin(a) =", b)

c = 2 * b
print("c = 2 * b, made by", c.grad_fn)

d = c + 1
print("d = c + 1, made by", d.grad_fn)

# backward() needs a single number to differentiate: sum the elements.
out = d.sum()
print("out = d.sum() =", out)

# next_functions walks the graph backwards, towards the leaf `a`.
print("d.grad_fn.next_functions =", d.grad_fn.next_functions)
print("a is a leaf, so a.grad_fn is", a.grad_fn)

# Backpropagation: autograd applies the chain rule from `out` back to every leaf.
# d(out)/da = d/da sum(2 sin(a) + 1) = 2 cos(a), one number per element of a.
out.backward()
print("a.grad =", a.grad)

expected = 2 * torch.cos(a.detach())
print("a.grad == 2 * cos(a):", torch.allclose(a.grad, expected))
