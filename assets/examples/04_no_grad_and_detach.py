"""no_grad and detach
torch.no_grad() stops recording for a block of code (evaluation, weight updates by hand);
detach() gives a tensor that shares the data but is cut off from the graph.
"""

# workbench: inspect a
# workbench: inspect c

import workbench.engine as torch  # on PyTorch: import torch

a = torch.ones(2, 3, requires_grad=True)

b = a * 2
print("b = a * 2 records the op:", b.requires_grad, b.grad_fn)

# Inside no_grad, results do not require grad and have no grad_fn: nothing is recorded.
with torch.no_grad():
    c = a * 2
print("c = a * 2 under no_grad:", c.requires_grad, c.grad_fn)


# no_grad works as a decorator too, for functions that should never build a graph.
@torch.no_grad()
def scaled(t, factor):
    return t * factor


print("scaled(a, 3).requires_grad:", scaled(a, 3).requires_grad)

# A hand-written SGD step is the classic use: the update itself must not become part of the
# graph, and an in-place change of a leaf that requires grad is only allowed under no_grad.
w = torch.tensor([0.5, -1.0], requires_grad=True)
loss = (w**2).sum()
loss.backward()
with torch.no_grad():
    w -= 0.1 * w.grad
w.grad.zero_()
print("w after one manual step:", w)

# detach() returns a tensor with the same data and no history.
d = a.detach()
print("d = a.detach():", d.requires_grad, d.grad_fn)

# It shares memory with a: changing one changes the other.
d[0, 0] = 10.0
print("after d[0, 0] = 10, a =", a)

# A typical use: take a value out of the graph, for logging or as a fixed target.
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = x**2
target = y.detach()  # a constant: no gradient flows through it
loss = ((y - target) ** 2 + y).sum()
loss.backward()
print("x.grad with the detached target = 2x:", x.grad)
