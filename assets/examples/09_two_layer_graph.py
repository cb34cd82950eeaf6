"""A two-layer model's graph
Two Linear layers and a ReLU give a mean-squared loss; the Graph panel shows every grad_fn node,
the parameters that feed them, and lets you step through backward node by node.
"""

# workbench: inspect loss

import workbench.engine as torch  # on PyTorch: import torch

torch.manual_seed(0)


class TinyModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = torch.nn.Linear(8, 16)
        self.relu = torch.nn.ReLU()
        self.layer2 = torch.nn.Linear(16, 2)

    def forward(self, x):
        return self.layer2(self.relu(self.layer1(x)))


model = TinyModel()
# x needs no gradient, so it has no node; the parameters' AccumulateGrad nodes feed their .grad
x = torch.randn(4, 8)
target = torch.randn(4, 2)
loss = ((model(x) - target) ** 2).mean()
print("loss =", loss)
# In the Graph panel: "Group by module" folds each Linear into one card; "Record backward",
# then ▶ steps through backward in the engine's own order, showing each gradient.
