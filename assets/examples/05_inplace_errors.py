"""In-place operations and their errors
Autograd refuses two kinds of in-place change: modifying a leaf that requires grad, and
modifying a tensor that backward() still needs (the version counter catches it).
"""

# workbench: inspect a

import workbench.engine as torch  # on PyTorch: import torch

a = torch.ones(3, requires_grad=True)

# 1. A leaf that requires grad cannot be changed in place: its gradient would no longer be the
#    gradient of the tensor you made.
try:
    a.add_(1)
except RuntimeError as error:
    print("a.add_(1) failed:", error)

# 2. exp() saves its output for backward (d/dx eˣ = eˣ). Changing that output in place would
#    make backward use the wrong numbers, so every tensor carries a version counter that
#    in-place ops bump, and backward checks it.
b = a.exp()
print("b._version before:", b._version)
b.add_(1)
print("b._version after b.add_(1):", b._version)
try:
    b.sum().backward()
except RuntimeError as error:
    print("backward failed:", error)

# The fix: work out of place (b = b + 1), or clone before changing.
b = a.exp()
c = b.clone()
c.add_(1)
(b + c).sum().backward()
print("with clone(), backward works: a.grad =", a.grad)

# In-place ops on tensors that backward does not need are fine: mul's gradient uses its
# inputs, not its output, so changing the output in place is allowed.
a.grad = None
d = a * 3
d.add_(1)
d.sum().backward()
print("d = a * 3; d.add_(1) is allowed: a.grad =", a.grad)
