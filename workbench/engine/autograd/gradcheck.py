"""`gradcheck` / `gradgradcheck`: analytical gradients against central finite differences.

Same signatures, checks, messages and failure type as PyTorch's (slow mode; `fast_mode` runs the
same full check). Inputs should be float64: finite differences in float32 are too coarse to tell
a wrong derivative from rounding.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import function as _f
from .engine import grad as _grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck and gradgradcheck when a check fails."""


def _as_tuple(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _is_tensor(x):
    return isinstance(x, _f.Tensor)


def _diff_inputs(inputs):
    """Positions of the inputs that require grad; the Jacobians are indexed by these."""
    return [i for i, t in enumerate(inputs) if _is_tensor(t) and t.requires_grad]


def _check_inputs(inputs):
    idx = _diff_inputs(inputs)
    for i in idx:
        if inputs[i].dtype.name != "float64":
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point or "
                "complex. This check will likely fail if all the inputs are not of double "
                "precision floating point or complex. ",
                stacklevel=3,
            )
    if not idx:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but "
            "none of them have requires_grad=True."
        )
    return idx


def _host(t):
    # a copy: an output may share memory with the input being perturbed (a passed-through grad)
    return np.array(t.detach().cpu().numpy(), dtype=np.float64)


def _numerical_jacobian(func, inputs, idx, out_pos, eps):
    """jac[j][k][e, i] = d out_k[i] / d (input idx[j])[e], by central differences.

    Not under no_grad: `func` may itself differentiate (gradgradcheck's does).
    """
    jac = []
    for j in idx:
        data = inputs[j]._data  # perturbed in place, element by element, and restored
        cols = None
        for e, pos in enumerate(np.ndindex(data.shape)):
            orig = data[pos].item()
            data[pos] = orig - eps
            minus = [_host(o) for o in _pick(func(*inputs), out_pos)]
            data[pos] = orig + eps
            plus = [_host(o) for o in _pick(func(*inputs), out_pos)]
            data[pos] = orig
            if cols is None:
                cols = [np.zeros((data.size, p.size)) for p in plus]
            for k, (p, m) in enumerate(zip(plus, minus)):
                cols[k][e] = ((p - m) / (2 * eps)).reshape(-1)
        jac.append(cols)
    return jac


def _pick(out, positions):
    out = _as_tuple(out)
    return [out[p] for p in positions]


def _analytical_jacobian(outputs, inputs, idx):
    """jac[j][k] like the numerical one, one vector-Jacobian product per output element."""
    diff = [inputs[j] for j in idx]
    jac = [[np.zeros((inputs[j].numel(), o.numel())) for o in outputs] for j in idx]
    for k, o in enumerate(outputs):
        for i in range(o.numel()):
            seed = o._xp.zeros(o._data.size, dtype=o._data.dtype)
            seed[i] = 1
            grads = _grad(
                [o],
                diff,
                [_f.Tensor._make(seed.reshape(o._data.shape))],
                retain_graph=True,
                allow_unused=True,
            )
            for n, (g, x) in enumerate(zip(grads, diff)):
                if g is None:
                    continue
                if g.dtype != x.dtype:
                    raise GradcheckError("grad is incorrect type")
                if g.shape != x.shape:
                    raise GradcheckError("grad is incorrect size")
                jac[n][k][:, i] = _host(g).reshape(-1)
    return jac


def _check_mul_by_grad_output(outputs, inputs, idx):
    """With zero grad_outputs every input gradient must be zero."""
    zeros = [_f.Tensor._make(o._xp.zeros_like(o._data)) for o in outputs]
    grads = _grad(outputs, [inputs[j] for j in idx], zeros, allow_unused=True)
    for g in grads:
        if g is not None and _host(g).any():
            raise GradcheckError("backward not multiplied by grad_output")


def _fmt(a):
    from ..creation import tensor

    return repr(tensor(a, dtype=_f.Tensor._make(a).dtype))


def _gradcheck(func, inputs, eps, atol, rtol):
    idx = _check_inputs(inputs)
    func_out = _as_tuple(func(*inputs))
    out_pos = [p for p, o in enumerate(func_out) if _is_tensor(o) and o.requires_grad]
    if not out_pos:
        # nothing is differentiable: the function must not depend on its inputs at all
        for cols in _numerical_jacobian(func, inputs, idx, range(len(func_out)), eps):
            if any(c.any() for c in cols):
                raise GradcheckError("Numerical gradient for function expected to be zero")
        return True
    outputs = [func_out[p] for p in out_pos]
    numerical = _numerical_jacobian(func, inputs, idx, out_pos, eps)
    analytical = _analytical_jacobian(outputs, inputs, idx)
    for k in range(len(outputs)):
        for j in range(len(idx)):
            num, ana = numerical[j][k], analytical[j][k]
            if not np.allclose(ana, num, rtol=rtol, atol=atol):
                raise GradcheckError(
                    f"Jacobian mismatch for output {k} with respect to input {j},\n"
                    f"numerical:{_fmt(num)}\nanalytical:{_fmt(ana)}\n"
                )
    _check_mul_by_grad_output(outputs, inputs, idx)
    return True


def gradcheck(
    func,
    inputs,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    raise_exception=True,
    nondet_tol=0.0,
    check_undefined_grad=True,
    check_grad_dtypes=False,
    check_batched_grad=False,
    check_batched_forward_grad=False,
    check_forward_ad=False,
    check_backward_ad=True,
    fast_mode=False,
    masked=None,
):
    """Checks `func`'s backward against finite differences at `inputs` (a tensor or tuple)."""
    try:
        return _gradcheck(func, _as_tuple(inputs), eps, atol, rtol)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    gen_non_contig_grad_outputs=False,
    raise_exception=True,
    nondet_tol=0.0,
    check_undefined_grad=True,
    check_grad_dtypes=False,
    check_batched_grad=False,
    check_fwd_over_rev=False,
    check_rev_over_rev=True,
    fast_mode=False,
    masked=False,
):
    """gradcheck of (inputs, grad_outputs) -> input gradients, built with create_graph=True."""
    inputs = _as_tuple(inputs)
    idx = _diff_inputs(inputs)
    if grad_outputs is None:
        # random grad_outputs in [-1, 1), as PyTorch's make_tensor draws them
        rng = np.random.default_rng(0)
        outs = [o for o in _as_tuple(func(*inputs)) if _is_tensor(o) and o.requires_grad]
        grad_outputs = tuple(
            _f.Tensor._make(
                o._xp.asarray(rng.uniform(-1, 1, o._data.shape)).astype(o._data.dtype)
            ).requires_grad_(True)
            for o in outs
        )
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_grads(*args):
        ins, gos = args[:n_in], args[n_in:]
        outs = [o for o in _as_tuple(func(*ins)) if _is_tensor(o) and o.requires_grad]
        gs = _grad(outs, [ins[j] for j in idx], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(
        first_grads,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )
