"""The tutorial's profiler loop, for the README's picture of the Profiler panel
(`make screenshots` runs it with the panel's Profile toggle on)."""

import workbench.engine as torch

torch.manual_seed(0)
x = torch.randn((2, 3), requires_grad=True)
y = torch.randn((2, 3), requires_grad=True)
for _ in range(5):
    z = torch.ones((2, 3), requires_grad=True)
    for _ in range(200):
        z = (z / x) * y
    z.sum().backward()
