"""`gradcheck` / `gradgradcheck`: analytical gradients against central finite differences.

Same signatures and failure type as PyTorch's. Inputs should be float64: finite differences in
float32 are too coarse to tell a wrong derivative from rounding.
"""

from __future__ import annotations

import numpy as np

from . import function as _f
from .engine import grad as _grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def _diff_inputs(inputs):
    return [i for i, t in enumerate(inputs) if isinstance(t, _f.Tensor) and t.requires_grad]


def _outputs(func, inputs):
    out = _as_tuple(func(*inputs))
    return [o for o in out if isinstance(o, _f.Tensor) and o.dtype.is_floating_point]


def _numerical_jacobian(func, inputs, idx, eps):
    """J[k][j, i] = d out_k[i] / d input_j, by central differences on each element."""
    # not under no_grad: func may itself differentiate (gradgradcheck's does)
    base = [o.detach().numpy().copy() for o in _outputs(func, inputs)]
    jac = []
    for j in idx:
        x = inputs[j]
        data = x._data  # perturbed in place and restored
        flat = data.reshape(-1)
        cols = [np.zeros((data.size, b.size)) for b in base]
        for i in range(data.size):
            orig = flat[i].item()
            flat[i] = orig + eps
            plus = [o.detach().numpy().reshape(-1).copy() for o in _outputs(func, inputs)]
            flat[i] = orig - eps
            minus = [o.detach().numpy().reshape(-1).copy() for o in _outputs(func, inputs)]
            flat[i] = orig
            for k in range(len(base)):
                cols[k][i] = (plus[k] - minus[k]) / (2 * eps)
        jac.append(cols)
    return jac, base


def _analytical_jacobian(func, inputs, idx):
    outs = _outputs(func, inputs)
    jac = [[np.zeros((inputs[j].numel(), o.numel())) for o in outs] for j in idx]
    for k, o in enumerate(outs):
        for i in range(o.numel()):
            g = np.zeros(o.numel(), dtype=o._data.dtype)
            g[i] = 1
            gt = _f.Tensor._make(g.reshape(o._data.shape))
            grads = _grad([o], [inputs[j] for j in idx], [gt], retain_graph=True,
                          allow_unused=True)
            for n, gr in enumerate(grads):
                if gr is not None:
                    jac[n][k][:, i] = gr.detach().numpy().reshape(-1)
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False, masked=None):
    inputs = _as_tuple(inputs)
    idx = _diff_inputs(inputs)
    if not idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of the them have requires_grad=True.")
    for j in idx:
        if inputs[j].dtype.name != "float64":
            import warnings

            warnings.warn(f"Input #{j} requires gradient and is not a double precision floating "
                          "point. This check will likely fail if all the inputs are not of "
                          "double precision floating point. ", UserWarning, stacklevel=2)
    numerical, _ = _numerical_jacobian(func, inputs, idx, eps)
    analytical = _analytical_jacobian(func, inputs, idx)
    for n, j in enumerate(idx):
        for k, (num, ana) in enumerate(zip(numerical[n], analytical[n])):
            if not np.allclose(ana, num, rtol=rtol, atol=atol):
                msg = (f"Jacobian mismatch for output {k} with respect to input {j},\n"
                       f"numerical:{_fmt(num)}\nanalytical:{_fmt(ana)}\n")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def _fmt(a):
    from ..creation import tensor

    return repr(tensor(a, dtype=_f.Tensor._make(a).dtype))


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True,
                  fast_mode=False, masked=False):
    """Checks the gradient of the gradient: gradcheck on (inputs, grad_outputs) -> grads."""
    inputs = _as_tuple(inputs)
    idx = _diff_inputs(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            _f.Tensor._make(rng.standard_normal(o._data.shape)).requires_grad_(True)
            for o in outs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_grads(*args):
        ins, gos = args[:n_in], args[n_in:]
        out = _outputs(func, ins)
        diff = [ins[j] for j in idx]
        gs = _grad(out, diff, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grads, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
