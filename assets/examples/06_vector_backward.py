"""backward() with a vector
backward() without an argument works only for a single number. For a vector output, pass a
vector v: autograd then computes vᵀ·J, the vector–Jacobian product, without forming J.
"""

# workbench: inspect y against x
# workbench: inspect x

import workbench.engine as torch  # on PyTorch: import torch

torch.manual_seed(0)

x = torch.randn(3, requires_grad=True)

# Double x until it is large; y = 2ⁿ · x for some n that depends on the data.
y = x * 2
doublings = 1
while y.detach().norm() < 1000:
    y = y * 2
    doublings += 1
print(f"y = x * 2**{doublings} =", y)

# y has three elements: there is no single "derivative of y" to compute.
try:
    y.backward()
except RuntimeError as error:
    print("y.backward() failed:", error)

# The Jacobian of y with respect to x is 2ⁿ · I. backward(v) gives vᵀ·J = 2ⁿ · v.
v = torch.tensor([0.1, 1.0, 0.0001])
y.backward(v)
print("x.grad =", x.grad)
print("equals v * 2**n:", torch.allclose(x.grad, v * 2**doublings))

# The same product from autograd.grad, which returns the gradient instead of storing it.
x2 = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y2 = x2**2  # J = diag(2x)
(vjp,) = torch.autograd.grad(y2, x2, grad_outputs=torch.ones(3))
print("vᵀ·J for y = x², v = ones:", vjp)
