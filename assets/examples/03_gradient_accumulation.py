"""Gradient accumulation and zero_grad
Every backward() adds into .grad instead of replacing it. That is a trap when you forget to clear
it, and a tool when you want one update from several small batches.
"""

# workbench: inspect w

import workbench.engine as torch  # on PyTorch: import torch

torch.manual_seed(0)

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)

# d/dx sum(x²) = 2x
(x**2).sum().backward()
print("after one backward: x.grad =", x.grad)

# A second backward (through a freshly built graph) adds another 2x on top of the first.
(x**2).sum().backward()
print("after two backwards: x.grad =", x.grad)

# The graph is freed by backward(); reusing it needs retain_graph=True.
y = (x**3).sum()
y.backward(retain_graph=True)
y.backward()
print("2x + 2x + 3x² + 3x² =", x.grad)

# Clear the gradient in place (what optimizer.zero_grad(set_to_none=False) does for each
# parameter); zero_grad() with its default sets .grad to None instead.
x.grad.zero_()
print("after x.grad.zero_(): x.grad =", x.grad)

# Accumulation on purpose: four micro-batches of 4 give the same gradient as one batch of 16,
# as long as each micro-batch's loss is scaled by its share of the batch.
inputs = torch.randn(16, 3)
targets = torch.randn(16)
w = torch.zeros(3, requires_grad=True)

loss = ((inputs @ w - targets) ** 2).mean()
loss.backward()
full_batch_grad = w.grad.clone()
w.grad = None  # forget the gradient, like optimizer.zero_grad()

for chunk in range(4):
    rows = slice(4 * chunk, 4 * chunk + 4)
    micro_loss = ((inputs[rows] @ w - targets[rows]) ** 2).mean() / 4
    micro_loss.backward()
    print(f"after micro-batch {chunk + 1}: w.grad =", w.grad)

print("one batch of 16:   ", full_batch_grad)
print("four batches of 4: ", w.grad)
print("the same:", torch.allclose(full_batch_grad, w.grad, atol=1e-6))
