"""Jacobian and Hessian
torch.autograd.functional computes whole derivative matrices of a Python function: the Jacobian
of a vector function, the Hessian of a scalar one, and their products with a vector.
"""

# workbench: inspect jac
# workbench: inspect hess

import workbench.engine as torch  # on PyTorch: import torch
from workbench.engine.autograd.functional import hessian, hvp, jacobian, vjp

torch.manual_seed(0)


# The tutorial's function of two inputs.
def exp_adder(x, y):
    return 2 * x.exp() + 3 * y


inputs = (torch.rand(1), torch.rand(1))
print("inputs:", inputs)
# One Jacobian per input: d/dx = 2eˣ, d/dy = 3.
print("jacobian(exp_adder):", jacobian(exp_adder, inputs))


# A vector function R³ → R³: each output depends on neighbouring inputs.
def f(x):
    return torch.stack([x[0] * x[1], x[1] * x[2], x[0] ** 2])


x = torch.tensor([1.0, 2.0, 3.0])
jac = jacobian(f, x)
print("J of f at", x, "=\n", jac)

# vjp: vᵀ·J without building J; the same as a row combination of the matrix above.
v = torch.tensor([1.0, 0.0, 1.0])
_, vjp_result = vjp(f, x, v)
print("vᵀ·J =", vjp_result, "  (v @ J =", v @ jac, ")")


# The Hessian of a scalar function: the Jacobian of its gradient.
def energy(x):
    return (x**3).sum() + x[0] * x[1]


hess = hessian(energy, x)
print("Hessian of energy at", x, "=\n", hess)

# hvp: H·v without the matrix, by differentiating the gradient a second time.
_, hv = hvp(energy, x, v)
print("H·v =", hv, "  (H @ v =", hess @ v, ")")
