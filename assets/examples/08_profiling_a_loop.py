"""Profiling a loop
The autograd profiler records every operation in a block of code, forward and backward.
key_averages() groups the events by name and table() prints where the time went.
"""

# workbench: inspect model.0.weight

import workbench.engine as torch  # on PyTorch: import torch

torch.manual_seed(0)

# Profile on the GPU too when one is available.
run_on_gpu = torch.cuda.is_available()
device = torch.device("cuda" if run_on_gpu else "cpu")

# The tutorial's loop: three small tensors and many tiny operations.
x = torch.randn(2, 3, requires_grad=True, device=device)
y = torch.rand(2, 3, requires_grad=True, device=device)
z = torch.ones(2, 3, requires_grad=True, device=device)

# Each iteration records one division and one multiplication.
with torch.autograd.profiler.profile(use_cuda=run_on_gpu) as prf:
    for _ in range(100):
        z = (z / x) * y

print(prf.key_averages().table(sort_by="self_cpu_time_total"))

# The profiler sees the backward pass too: each graph node shows up under its grad_fn name
# (AddmmBackward0, …), and record_function labels a block of your own code.
model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
data = torch.randn(32, 8)

with torch.autograd.profiler.profile() as training_prf:
    for _ in range(20):
        with torch.autograd.profiler.record_function("forward"):
            loss = model(data).pow(2).mean()
        model.zero_grad()
        loss.backward()

print(training_prf.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))
