"""A tiny model's training step
A two-layer network (1000 → 100 → ReLU → 10) takes one step of stochastic gradient descent:
the loss's backward() fills every parameter's .grad, step() moves the weights, zero_grad()
clears the gradients for the next batch.
"""

# workbench: inspect model.layer2.weight
# workbench: inspect prediction

import workbench.engine as torch  # on PyTorch: import torch

torch.manual_seed(0)  # the same random weights and data on every run

BATCH_SIZE = 16
DIM_IN = 1000
HIDDEN_SIZE = 100
DIM_OUT = 10


class TinyModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = torch.nn.Linear(DIM_IN, HIDDEN_SIZE)
        self.relu = torch.nn.ReLU()
        self.layer2 = torch.nn.Linear(HIDDEN_SIZE, DIM_OUT)

    def forward(self, x):
        x = self.layer1(x)
        x = self.relu(x)
        x = self.layer2(x)
        return x


# Inputs and targets are data, not parameters: they need no gradient.
some_input = torch.randn(BATCH_SIZE, DIM_IN, requires_grad=False)
ideal_output = torch.randn(BATCH_SIZE, DIM_OUT, requires_grad=False)

model = TinyModel()

# A module's parameters are leaves with requires_grad=True; nothing has a gradient yet.
print("layer2.weight[0][0:10] before:", model.layer2.weight[0][0:10])
print("layer2.weight.grad before backward:", model.layer2.weight.grad)

optimizer = torch.optim.SGD(model.parameters(), lr=0.001)

prediction = model(some_input)
loss = (ideal_output - prediction).pow(2).sum()
print("loss =", loss)

# backward() computes d(loss)/d(parameter) for every parameter; the weights do not move yet.
loss.backward()
print("layer2.weight[0][0:10] after backward:", model.layer2.weight[0][0:10])
print("layer2.weight.grad[0][0:10]:", model.layer2.weight.grad[0][0:10])

# The optimiser moves each weight against its gradient: w ← w − lr · grad.
optimizer.step()
print("layer2.weight[0][0:10] after step:", model.layer2.weight[0][0:10])

# Gradients accumulate across backward() calls, so clear them before the next batch.
optimizer.zero_grad(set_to_none=False)
print("layer2.weight.grad[0][0:10] after zero_grad:", model.layer2.weight.grad[0][0:10])

# The loss on the same batch after one step: a little lower.
with torch.no_grad():
    new_loss = (ideal_output - model(some_input)).pow(2).sum()
print(f"loss before the step {loss.item():.2f}, after {new_loss.item():.2f}")
