"""`torch.autograd.functional`: jacobian, hessian, vjp, jvp, vhp and hvp, with PyTorch's API.

The engine is reverse-mode only, so jvp and hvp use the double-backward trick (a vjp is linear
in its vector; differentiating it with respect to that vector gives the transposed product).

A Jacobian has one row per output element. PyTorch computes them with one backward pass per
row, or with `vectorize=True` in one vmapped pass. Here the rows go through the graph together:
each gradient carries a leading batch dimension, laid out as (B, 1, 1, *shape) so that a
backward formula's broadcasting against saved tensors lines up with the real dims and never with
the batch. Elementwise formulas, matmul and anything else written with broadcasting ops take
such a batch unchanged; views that only regroup elements have a rule of their own. A formula
that cannot (a reshape to the input's shape, a reduction over a positive dim) either fails or
gives a result of the wrong shape, and that node alone falls back to one call per row. The
first time a kind of node (its class and shapes) runs batched, two of its rows are checked
against separate calls; a mismatch sends that kind to the per-row path for good. So the rows
are those of PyTorch's loop. Without `vectorize` each output gets its own passes (PyTorch's
strict checks are per output); with it all outputs share them. Rows per pass are capped
(`_BATCH_ELEMENTS`) to bound memory. Graphs with hooks, or runs under the profiler or anomaly
mode, go through `autograd.grad` row by row instead, so those see every call exactly as
PyTorch's loop makes it.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from . import engine as _engine
from . import function as _fn
from .engine import grad as _grad
from .function import AccumulateGrad
from .grad_mode import enable_grad, set_grad_enabled
from .grad_mode import state as _grad_state

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# ----- PyTorch's argument handling ------------------------------------------------------------


def _as_tuple_nocheck(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _as_tuple(inp, arg_name=None, fn_name=None):
    if arg_name is None and fn_name is None:
        return _as_tuple_nocheck(inp)
    is_inp_tuple = True
    if not isinstance(inp, tuple):
        inp = (inp,)
        is_inp_tuple = False
    for i, el in enumerate(inp):
        if not isinstance(el, _fn.Tensor):
            if is_inp_tuple:
                raise TypeError(
                    f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                    f"tuple of Tensors but the value at index {i} has type "
                    f"{type(el)}."
                )
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                f"tuple of Tensors but the given {arg_name} has type {type(el)}."
            )
    return is_inp_tuple, inp


def _tuple_postprocess(res, to_unpack):
    """Unwrap the one-element tuples the user did not pass (to_unpack: was-it-a-tuple flags)."""
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs, create_graph, need_graph):
    """Fresh leaves (or, under create_graph, views that keep the user's graph) to differentiate."""
    res = []
    for inp in inputs:
        if create_graph and inp.requires_grad:
            res.append(inp.view_as(inp))
        else:
            res.append(inp.detach().requires_grad_(need_graph))
    return tuple(res)


def _grad_postprocess(inputs, create_graph):
    if isinstance(inputs[0], _fn.Tensor):
        return inputs if create_graph else tuple(inp.detach() for inp in inputs)
    return tuple(_grad_postprocess(inp, create_graph) for inp in inputs)


def _validate_v(v, other, is_other_tuple):
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.size() != el_other.size():
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(
                f"{prepend}v has invalid size: should be {el_other.size()} but got {el_v.size()}."
            )


def _check_requires_grad(inputs, input_type, strict):
    if not strict:
        return
    for i, inp in enumerate(inputs):
        if inp is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of "
                f"input {i}. This is not allowed in strict mode."
            )
        if inp.requires_grad:
            continue
        if input_type == "hessian":
            raise RuntimeError(
                f"The hessian of the user-provided function with respect to input {i} is "
                "independent of the input. This is not allowed in strict mode. You should ensure "
                "that your function is thrice differentiable and that the hessian depends on the "
                "inputs."
            )
        if input_type == "jacobian":
            raise RuntimeError(
                "While computing the hessian, found that the jacobian of the user-provided "
                f"function with respect to input {i} is independent of the input. This is not "
                "allowed in strict mode. You should ensure that your function is twice "
                "differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example)."
            )
        if input_type == "grad_inputs":
            raise RuntimeError(
                f"The gradient with respect to input {i} is independent of the inputs of the "
                "user-provided function. This is not allowed in strict mode."
            )
        raise RuntimeError(
            f"Output {i} of the user-provided function does not require gradients. The outputs "
            "must be computed in a differentiable manner from the input when running in strict "
            "mode."
        )


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad over the outputs that require grad; all None when none does."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    new_outputs, new_grad_outputs = [], []
    for out, grad_out in zip(outputs, grad_outputs):
        if out is not None and out.requires_grad:
            new_outputs.append(out)
            new_grad_outputs.append(grad_out)
    if not new_outputs:
        return (None,) * len(inputs)
    return _grad(
        tuple(new_outputs),
        inputs,
        tuple(new_grad_outputs),
        allow_unused=True,
        create_graph=create_graph,
        retain_graph=retain_graph,
    )


_BACK_MESSAGES = {
    "back": "The output of the user-provided function is independent of input {i}. This is not "
    "allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
    "grad_outputs when using the double backward trick to compute forward mode "
    "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
    "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} "
    "in the grad_jacobian. This is not allowed in strict mode as it "
    "prevents from using the double backward trick to replace forward mode "
    "AD.",
}


def _fill_in_zeros(grads, refs, strict, create_graph, stage):
    res = []
    for i, grads_i in enumerate(grads):
        if grads_i is None:
            if strict:
                raise RuntimeError(_BACK_MESSAGES[stage].format(i=i))
            grads_i = _zeros_like(refs[i])
        elif strict and create_graph and not grads_i.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of "
                f"input {i}. This is not allowed in strict mode when "
                "create_graph=True."
            )
        res.append(grads_i)
    return tuple(res)


def _zeros_like(t, requires_grad=False):
    return _fn.Tensor._make(t._xp.zeros_like(t._data), requires_grad)


# ----- the vector products ----------------------------------------------------------------------


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product at `inputs`."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "vjp"
        )
        _check_requires_grad(outputs, "outputs", strict=strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
            _validate_v(v, outputs, is_outputs_tuple)
        elif len(outputs) != 1 or outputs[0].nelement() != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function "
                "returns a single Tensor with a single element."
            )
    with set_grad_enabled(True if create_graph else _grad_state.enabled):
        grad_res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(grad_res, inputs, strict, create_graph, "back")
    outputs = _grad_postprocess(outputs, create_graph)
    res = _grad_postprocess(res, create_graph)
    return (_tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(res, is_inputs_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product, by the double-backward trick."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
            _validate_v(v, inputs, is_inputs_tuple)
        elif len(inputs) != 1 or inputs[0].nelement() != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided "
                "function is a single Tensor with a single element."
            )
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "jvp"
        )
        _check_requires_grad(outputs, "outputs", strict=strict)
        # u -> J^T u is linear in u; its derivative with respect to u, applied to v, is J v
        grad_outputs = tuple(_zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, grad_outputs, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict=strict)
    with set_grad_enabled(True if create_graph else _grad_state.enabled):
        grad_res = _autograd_grad(grad_inputs, grad_outputs, v, create_graph=create_graph)
        res = _fill_in_zeros(grad_res, outputs, strict, create_graph, "back_trick")
    outputs = _grad_postprocess(outputs, create_graph)
    res = _grad_postprocess(res, create_graph)
    return (
        _tuple_postprocess(outputs, is_outputs_tuple),
        _tuple_postprocess(res, is_outputs_tuple),
    )


def _scalar_function_grad(func, inputs, v, create_graph, strict, name):
    """What vhp and hvp share: checked inputs and v, the output, and its gradient (a graph)."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", name)
    inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
    if v is not None:
        _, v = _as_tuple(v, "v", name)
        v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
        _validate_v(v, inputs, is_inputs_tuple)
    elif len(inputs) != 1 or inputs[0].nelement() != 1:
        raise RuntimeError(
            "The vector v can only be None if the input to the user-provided "
            "function is a single Tensor with a single element."
        )
    outputs = func(*inputs)
    is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", name)
    _check_requires_grad(outputs, "outputs", strict=strict)
    if is_outputs_tuple or not isinstance(outputs[0], _fn.Tensor):
        raise RuntimeError(f"The function given to {name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {name} should contain a single element"
        )
    jac = _autograd_grad(outputs, inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict=strict)
    return is_inputs_tuple, inputs, v, outputs, is_outputs_tuple, jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) for a scalar function."""
    with enable_grad():
        is_inputs_tuple, inputs, v, outputs, is_outputs_tuple, jac = _scalar_function_grad(
            func, inputs, v, create_graph, strict, "vhp"
        )
    with set_grad_enabled(True if create_graph else _grad_state.enabled):
        grad_res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back")
    outputs = _grad_postprocess(outputs, create_graph)
    res = _grad_postprocess(res, create_graph)
    return (_tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(res, is_inputs_tuple))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a scalar function, by the double-backward trick."""
    with enable_grad():
        is_inputs_tuple, inputs, v, outputs, is_outputs_tuple, jac = _scalar_function_grad(
            func, inputs, v, create_graph, strict, "hvp"
        )
        grad_jac = tuple(_zeros_like(inp, requires_grad=True) for inp in inputs)
        double_back = _autograd_grad(jac, inputs, grad_jac, create_graph=True)
        _check_requires_grad(jac, "hessian", strict=strict)
    with set_grad_enabled(True if create_graph else _grad_state.enabled):
        grad_res = _autograd_grad(double_back, grad_jac, v, create_graph=create_graph)
        res = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back_trick")
    outputs = _grad_postprocess(outputs, create_graph)
    res = _grad_postprocess(res, create_graph)
    return (_tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(res, is_inputs_tuple))


# ----- jacobian and hessian ---------------------------------------------------------------------


def jacobian(
    func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"
):
    """The Jacobian of `func` at `inputs`: out.shape + in.shape per (output, input) pair.

    strategy="forward-mode" (with vectorize=True) is accepted and computes the same Jacobian by
    the batched reverse pass, since the engine has no forward-mode AD.
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`create_graph=False` or `strategy="reverse-mode"`.'
            )
        if strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`strict=False` or `strategy="reverse-mode"`.'
            )
        if not vectorize:
            raise NotImplementedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                "only implemented for `vectorize=True`."
            )
    return _jacobian(func, inputs, create_graph, strict, vectorize)


def _jacobian(func, inputs, create_graph, strict, vectorize, preprocess=True):
    """jacobian after its strategy checks; hessian's inner call skips the preprocessing (the
    outer call already gave it fresh tensors to differentiate)."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        if preprocess:
            inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "jacobian"
        )
        _check_requires_grad(outputs, "outputs", strict=strict)
        if vectorize:
            if strict:
                raise RuntimeError(
                    "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` "
                    "are not supported together. Please either set `strict=False` or "
                    "`vectorize=False`."
                )
            jac = _jacobian_batched(outputs, inputs, create_graph)
        else:
            jac = _jacobian_rows(outputs, inputs, create_graph, strict)
        jac = _grad_postprocess(jac, create_graph)
        return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def hessian(
    func,
    inputs,
    create_graph=False,
    strict=False,
    vectorize=False,
    outer_jacobian_strategy="reverse-mode",
):
    """The Hessian of a scalar function: in.shape + in.shape per pair of inputs."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def ensure_single_output_function(*inp):
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict=strict)
        if is_out_tuple or not isinstance(out, _fn.Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.nelement() != 1:
            raise RuntimeError(
                "The Tensor returned by the function given to hessian should "
                "contain a single element"
            )
        return out if out.ndim == 0 else out.squeeze()

    def jac_func(*inp):
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = _jacobian(ensure_single_output_function, inp, True, False, False, preprocess=False)
        _check_requires_grad(jac, "jacobian", strict=strict)
        return jac

    res = jacobian(
        jac_func,
        inputs,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


def _jacobian_rows(outputs, inputs, create_graph, strict):
    """Without vectorize: each output's rows, with PyTorch's strict checks per output."""
    walker = _Walker.prepare(outputs, inputs)
    if walker is None:
        return _jacobian_loop(outputs, inputs, create_graph, strict)
    jac = []
    for i, out in enumerate(outputs):
        rows = _rows(walker, outputs, inputs, [i], create_graph)
        blocks = []
        for k, (r, inp) in enumerate(zip(rows, inputs)):
            if r is None:
                if strict:
                    raise RuntimeError(
                        f"Output {i} of the user-provided function is independent of input "
                        f"{k}. This is not allowed in strict mode."
                    )
                blocks.append(_zeros(tuple(out.shape) + tuple(inp.shape), inp))
                continue
            if strict and create_graph and not r.requires_grad:
                raise RuntimeError(
                    "The jacobian of the user-provided function is independent of input "
                    f"{i}. This is not allowed in strict mode when create_graph=True."
                )
            blocks.append(_block(r, 0, out, inp))
        jac.append(tuple(blocks))
    return tuple(jac)


def _jacobian_batched(outputs, inputs, create_graph):
    """With vectorize: the rows of all outputs together."""
    walker = _Walker.prepare(outputs, inputs)
    if walker is None:
        return _jacobian_loop(outputs, inputs, create_graph, strict=False)
    rows = _rows(walker, outputs, inputs, range(len(outputs)), create_graph)
    jac = []
    start = 0
    for out in outputs:
        jac.append(
            tuple(
                _zeros(tuple(out.shape) + tuple(inp.shape), inp)
                if r is None
                else _block(r, start, out, inp)
                for r, inp in zip(rows, inputs)
            )
        )
        start += out.numel()
    return tuple(jac)


def _zeros(shape, like):
    return _fn.Tensor._make(like._xp.zeros(shape, like._data.dtype))


def _block(rows, start, out, inp):
    """The (output, input) block of stacked rows: out.shape + in.shape."""
    n = out.numel()
    shape = tuple(out.shape) + tuple(inp.shape)
    if n == 0:
        return _zeros(shape, inp)
    if n == 1 and tuple(rows.shape) == tuple(inp.shape) and start == 0:
        return rows if tuple(rows.shape) == shape else rows.reshape(shape)  # a single row
    if isinstance(rows, _fn.Tensor) and rows.requires_grad:
        if start or n != rows.shape[0]:
            rows = rows.narrow(0, start, n)
        return rows.reshape(shape) if tuple(rows.shape) != shape else rows
    return _fn.Tensor._make(rows._data[start : start + n].reshape(shape))


_BATCH_ELEMENTS = 1 << 22  # rows per batched pass are limited so no gradient exceeds this


def _rows(walker, outputs, inputs, select, create_graph):
    """d outputs[select] / d inputs as stacked rows: per input (rows, *in.shape), or None.

    One backward pass per chunk of rows; a chunk of one row runs unbatched.
    """
    numels = [outputs[i].numel() for i in select]
    total = sum(numels)
    chunk = 1 if total <= 1 else max(1, min(total, _BATCH_ELEMENTS // walker.max_numel))
    pieces = [[] for _ in inputs]
    for r0 in range(0, total, chunk):
        r1 = min(total, r0 + chunk)
        c = r1 - r0
        seeds = [None] * len(outputs)
        off = 0
        for i, n in zip(select, numels):
            lo, hi = max(r0, off), min(r1, off + n)
            if lo < hi:
                out = outputs[i]
                xp = out._xp
                if c == 1:
                    e = xp.zeros(n, out._data.dtype)
                    e[lo - off] = 1
                    e = e.reshape(out._data.shape)
                else:
                    e = xp.zeros((c, n), out._data.dtype)
                    e[xp.arange(lo - r0, hi - r0), xp.arange(lo - off, hi - off)] = 1
                    e = e.reshape((c,) + _PAD + out._data.shape)
                seeds[i] = _fn.Tensor._make(e) if create_graph else e
            off += n
        res = walker.run(seeds, create_graph, batch=None if c == 1 else c)
        if total == 1:
            return _unshared(res, create_graph)  # one row: the gradients, in.shape each
        for k, (r, inp) in enumerate(zip(res, inputs)):
            shape = (c,) + tuple(inp.shape)
            if r is None:
                pieces[k].append(shape)  # no gradient reached the input: zeros, if any did
            elif create_graph:
                pieces[k].append(r.reshape(shape))
            else:
                pieces[k].append(_fn.Tensor._make(r._data.reshape(shape)))
    rows = []
    for parts, inp in zip(pieces, inputs):
        if all(p.__class__ is tuple for p in parts):
            rows.append(None)
            continue
        parts = [_zeros(p, inp) if p.__class__ is tuple else p for p in parts]
        if len(parts) == 1:
            rows.append(parts[0])
        elif create_graph:
            from ..ops.shape import cat

            rows.append(cat(parts, 0))
        else:
            rows.append(_fn.Tensor._make(inp._xp.concatenate([p._data for p in parts])))
    return _unshared(rows, create_graph)


def _unshared(rows, create_graph):
    """A backward formula may hand one array to several inputs (add does): copy, so that no two
    inputs' Jacobians share memory, as with PyTorch's loop."""
    if create_graph or len(rows) < 2:
        return rows
    rows = list(rows)
    for k in range(1, len(rows)):
        r = rows[k]
        if r is not None and any(
            q is not None and r._xp.may_share_memory(r._data, q._data) for q in rows[:k]
        ):
            rows[k] = _fn.Tensor._make(r._data.copy())
    return rows


def _jacobian_loop(outputs, inputs, create_graph, strict):
    """PyTorch's loop, one autograd.grad per output element: for graphs with hooks, or when
    the profiler or anomaly mode watches (they then see each call as PyTorch makes it)."""
    jac = []
    for i, out in enumerate(outputs):
        rows = tuple([] for _ in inputs)
        n = out.numel()
        xp = out._xp
        for j in range(n):
            e = xp.zeros(n, out._data.dtype)
            e[j] = 1
            vj = _autograd_grad(
                (out,),
                inputs,
                (_fn.Tensor._make(e.reshape(out._data.shape)),),
                retain_graph=True,
                create_graph=create_graph,
            )
            for k, (rows_k, vj_k, inp) in enumerate(zip(rows, vj, inputs)):
                if vj_k is not None:
                    if strict and create_graph and not vj_k.requires_grad:
                        raise RuntimeError(
                            "The jacobian of the user-provided function is independent of "
                            f"input {i}. This is not allowed in strict mode when "
                            "create_graph=True."
                        )
                    rows_k.append(vj_k)
                else:
                    if strict:
                        raise RuntimeError(
                            f"Output {i} of the user-provided function is independent of input "
                            f"{k}. This is not allowed in strict mode."
                        )
                    rows_k.append(_zeros_like(inp))
        jac.append(
            tuple(_stack_rows(rows_k, out, inp, create_graph) for rows_k, inp in zip(rows, inputs))
        )
    return tuple(jac)


def _stack_rows(rows, out, inp, create_graph):
    shape = tuple(out.shape) + tuple(inp.shape)
    if not rows:
        return _zeros(shape, inp)
    if create_graph:
        from ..ops.shape import stack

        return stack(rows, 0).reshape(shape)
    return _fn.Tensor._make(inp._xp.stack([r._data for r in rows]).reshape(shape))


# ----- the graph walker -------------------------------------------------------------------------

_by_seq = operator.attrgetter("_seq")
_PAD = (1, 1)  # batched gradients are (B, *_PAD, *shape); see the module docstring
_LEAD = 1 + len(_PAD)
_TRUST: dict = {}  # (node class, output shapes, input shapes) -> takes a batch correctly?
_TRUST_LIMIT = 4096


class _NotBatchable(Exception):
    """A backward formula's result does not have the batched shape it should."""


class _Walker:
    """The part of a graph between some outputs and some inputs, walked once per backward pass.

    The nodes that lead to an input are found and ordered (newest first, so each node has all
    its gradients before it runs) once; `run` then needs no graph search. Without create_graph
    gradients travel as raw arrays and ops with an operator-only backward (`array_backward`)
    run it on arrays, as the engine's first-order pass does.
    """

    @classmethod
    def prepare(cls, outputs, inputs):
        """A walker, or None where `autograd.grad` must run instead (hooks, profiler, anomaly)."""
        if _engine.observers or _fn._anomaly[0]:
            return None
        w = cls(outputs, inputs)
        return w if w.plain_graph else None

    def __init__(self, outputs, inputs):
        self.n_inputs = len(inputs)
        captures = {}  # (node, output_nr) -> input indices, for inputs with a history
        leaves = {}  # id(leaf) -> input indices
        for k, t in enumerate(inputs):
            if t._grad_fn is not None:
                captures.setdefault((t._grad_fn, t._output_nr), []).append(k)
            elif t._requires_grad:
                leaves.setdefault(id(t), []).append(k)
        self.leaves = leaves
        self.roots = []
        root_nodes = []
        for out in outputs:
            if out is None or not out._requires_grad:
                self.roots.append(None)
            elif out._grad_fn is not None:
                self.roots.append((out._grad_fn, out._output_nr))
                root_nodes.append(out._grad_fn)
            else:  # a leaf returned as an output: its rows land on that input directly
                self.roots.append((None, leaves.get(id(out), ())))
        targets = {n for n, _ in captures}
        needed = _reaching(
            root_nodes,
            lambda n: n in targets or (n.__class__ is AccumulateGrad and id(n.variable) in leaves),
        )
        self.needed = needed
        self.captures = {}
        for (node, nr), ks in captures.items():
            if node in needed:
                self.captures.setdefault(node, []).append((nr, ks))
        # a non-leaf input with nothing needed below it: capture its gradient, run nothing
        self.stop = {
            n
            for n in self.captures
            if not any(x in needed for x, _ in n.next_functions if x is not None)
        }
        order = []
        plain = True
        for n in needed:
            if n._tensor_hooks or n._pre_hooks or n._post_hooks or n._retains:
                plain = False
            if n.__class__ is AccumulateGrad:
                if n.variable._hooks:
                    plain = False
            else:
                order.append(n)
        order.sort(key=_by_seq, reverse=True)
        self.order = order
        self.plain_graph = plain

    @property
    def max_numel(self):
        """The most elements any gradient of one row has: what limits the rows per pass."""
        return max([1] + [math.prod(m[0]) for n in self.order for m in n._out_meta])

    def run(self, seeds, create_graph, batch=None):
        """The gradients reaching each input (Tensors, or None) for one gradient per output.

        `seeds` are arrays, or Tensors under create_graph; with `batch` they are batched.
        """
        arrays = not create_graph
        results = [None] * self.n_inputs
        buffers = {}
        for root, g in zip(self.roots, seeds):
            if root is None or g is None:
                continue
            node, nr = root
            if node is None:
                for k in nr:
                    results[k] = _add(results[k], g)
            elif node in self.needed:
                buf = buffers.get(node)
                if buf is None:
                    buf = buffers[node] = [None] * len(node._out_meta)
                buf[nr] = _add(buf[nr], g)
        needed, captures, stop, leaves = self.needed, self.captures, self.stop, self.leaves
        prev = _grad_state.enabled
        _grad_state.enabled = create_graph
        try:
            for node in self.order:
                buf = buffers.pop(node, None)
                if buf is None:
                    continue
                if node in captures:
                    for nr, ks in captures[node]:
                        if buf[nr] is not None:
                            for k in ks:
                                results[k] = _add(results[k], buf[nr])
                    if node in stop:
                        continue
                if batch is None:
                    grads = _call_plain(node, buf, arrays)
                else:
                    grads = _call_batched(node, buf, arrays, batch)
                for (nxt, nr), g in zip(node.next_functions, grads):
                    if g is None or nxt is None or nxt not in needed:
                        continue
                    if nxt.__class__ is AccumulateGrad:
                        for k in leaves[id(nxt.variable)]:
                            results[k] = _add(results[k], g)
                        continue
                    cur = buffers.get(nxt)
                    if cur is None:
                        cur = buffers[nxt] = [None] * len(nxt._out_meta)
                        cur[nr] = g
                    else:
                        cur[nr] = g if cur[nr] is None else _add(cur[nr], g)
        finally:
            _grad_state.enabled = prev
        if arrays:
            results = [None if r is None else _fn.Tensor._make(r) for r in results]
        return results


def _reaching(roots, is_target):
    """The nodes from which some target can be reached (targets included), found iteratively."""
    memo = {}
    for root in roots:
        if root in memo:
            continue
        memo[root] = is_target(root)
        stack = [(root, iter(root.next_functions))]
        while stack:
            node, it = stack[-1]
            for nxt, _ in it:
                if nxt is None:
                    continue
                if nxt not in memo:
                    memo[nxt] = is_target(nxt)
                    stack.append((nxt, iter(nxt.next_functions)))
                    break
                if memo[nxt]:
                    memo[node] = True
            else:
                stack.pop()
                if stack and memo[node]:
                    memo[stack[-1][0]] = True
    return {n for n, v in memo.items() if v}


def _add(a, b):
    if a is None:
        return b
    s = a + b  # out of place: either may be shared with another input
    return np.asarray(s) if isinstance(s, np.generic) else s


def _xp_of(a):
    return np if a.__class__ is np.ndarray else _fn.Tensor._make(a)._xp


def _backward(node, grads, arrays):
    """node's backward on `grads`, one result per next_functions entry (arrays when `arrays`)."""
    fn = node._fn
    if arrays and fn.array_backward:
        node._as_arrays = True
        try:
            out = fn.backward(node, *grads)
        finally:
            node._as_arrays = False
        if out.__class__ is not tuple:
            out = (out,)
        out = tuple(
            g
            if g is None or g.__class__ is np.ndarray or hasattr(g, "__cuda_array_interface__")
            else np.asarray(g)
            for g in out
        )
    else:
        if arrays:
            grads = [None if g is None else _fn.Tensor._make(g) for g in grads]
        out = fn.backward(node, *grads)
        if out.__class__ is not tuple:
            out = (out,)
        if arrays:
            out = tuple(g._data if isinstance(g, _fn.Tensor) else g for g in out)
    if node._input_map is not None:  # a user Function: keep the grads of tensor inputs
        if len(out) != len(node.needs_input_grad):
            _wrong_count(node, len(node.needs_input_grad), len(out))
        out = tuple(out[i] for i in node._input_map)
    elif len(out) != len(node.next_functions):
        _wrong_count(node, len(node.next_functions), len(out))
    return out


def _in_metas(node):
    """(shape, dtype) of each input a gradient goes to, None where there is no edge.

    The engine records None for inputs that were not broadcast (same size and dtype as the
    output); their shape is then the producing node's output shape.
    """
    metas = node._in_meta
    out = []
    for i, (nxt, nr) in enumerate(node.next_functions):
        if nxt is None:
            out.append(None)
            continue
        m = None if metas is None else metas[i]
        if m is None:
            if nxt.__class__ is _fn.AccumulateGrad:
                d = nxt.variable._data
                m = (d.shape, d.dtype)
            else:
                m = nxt._out_meta[nr]
        out.append(m)
    return out


def _wrong_count(node, expected, got):
    raise RuntimeError(
        f"function {node.name()} returned an incorrect number of gradients "
        f"(expected {expected}, got {got})"
    )


def _materialize(node, grads, arrays, batch):
    if (len(grads) > 1 or grads[0] is None) and node.materialize_grads:
        like = next((g for g in grads if g is not None), None)
        grads = list(grads)
        for i, g in enumerate(grads):
            if g is None:
                shape, dt = node._out_meta[i]
                if batch is not None:
                    shape = (batch,) + _PAD + tuple(shape)
                xp = np if like is None else (_xp_of(like) if arrays else like._xp)
                z = xp.zeros(shape, dt)
                grads[i] = z if arrays else _fn.Tensor._make(z)
    return grads


def _call_plain(node, grads, arrays):
    """One node, unbatched, with the engine's conventions: sum_to the input's shape, its dtype."""
    out = _backward(node, _materialize(node, grads, arrays, None), arrays)
    fixed = []
    for g, meta in zip(out, _in_metas(node)):
        if g is None or meta is None:
            fixed.append(None)
            continue
        shape, dt = meta
        if arrays:
            if g.shape != shape:
                g = _sum_to_array(g, shape, node)
            if g.dtype != dt:
                g = g.astype(dt)
        else:
            if not isinstance(g, _fn.Tensor):
                raise TypeError(f"function {node.name()} returned a gradient that is not a Tensor")
            if tuple(g.shape) != tuple(shape):
                try:
                    g = g.sum_to_size(shape)
                except (RuntimeError, ValueError):
                    _invalid_gradient(node, g.shape, shape)
            if g._data.dtype != dt:
                from ..dtypes import from_numpy_dtype

                g = g.to(from_numpy_dtype(dt))
        fixed.append(g)
    return fixed


def _sum_to_array(g, shape, node):
    lead = g.ndim - len(shape)
    if lead < 0 or any(s != 1 and g.shape[lead + i] != s for i, s in enumerate(shape)):
        _invalid_gradient(node, g.shape, shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and g.shape[lead + i] != 1
    )
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _invalid_gradient(node, got, shape):
    raise RuntimeError(
        f"Function {node.name()} returned an invalid gradient at index 0 - got "
        f"{list(got)} but expected shape compatible with {list(shape)}"
    )


def _call_batched(node, grads, arrays, batch):
    """One node on a batch of gradients; per row where the formula cannot take the batch."""
    metas = _in_metas(node)
    fn = node._fn
    rule = _RULE_CACHE.get(fn, _UNKNOWN)
    if rule is _UNKNOWN:
        rule = _RULE_CACHE[fn] = _rule(fn)
    if rule is not None:
        return rule(grads, metas, batch, arrays)
    key = (node.__class__, tuple(node._out_meta), tuple(metas))
    trusted = _TRUST.get(key)
    if trusted is not False:
        try:
            if len(grads) > 1 or grads[0] is None:
                grads = _materialize(node, grads, arrays, batch)
            out = _backward(node, grads, arrays)
            fixed = [
                None if g is None or meta is None else _fit(g, batch, meta, arrays)
                for g, meta in zip(out, metas)
            ]
        except Exception:  # noqa: BLE001 - any failure means: not batchable; rows re-raise
            fixed = None
        if fixed is not None:
            if trusted:
                return fixed
            checked = _check_rows(node, grads, fixed, arrays, batch)
            if len(_TRUST) > _TRUST_LIMIT:
                _TRUST.clear()
            _TRUST[key] = checked
            if checked:
                return fixed
        else:
            _TRUST[key] = False
    return _call_rows(node, grads, arrays, batch)


def _reshape_rule(grads, metas, batch, arrays):
    """Views that only regroup elements (view, reshape, squeeze, unsqueeze): regroup back."""
    g, meta = grads[0], metas[0]
    if g is None or meta is None:
        return [None]
    target = (batch,) + _PAD + tuple(meta[0])
    return [g.reshape(target)]


def _expand_rule(grads, metas, batch, arrays):
    """expand: its backward sums over the expanded dims, which is what _fit does anyway."""
    g, meta = grads[0], metas[0]
    return [None if g is None or meta is None else _fit(g, batch, meta, arrays)]


_RULES = None
_RULE_CACHE: dict = {}
_UNKNOWN = object()


def _rule(fn):
    """The batched backward of ops whose formula reshapes to the input's shape (so cannot take
    a batch as it is) but whose meaning is plain: found by class, from the shape ops."""
    global _RULES
    if _RULES is None:
        from ..ops import shape

        def classes(*names):
            return tuple(c for c in (getattr(shape, n, None) for n in names) if isinstance(c, type))

        _RULES = (
            (classes("View", "Reshape", "Squeeze", "Unsqueeze"), _reshape_rule),
            (classes("Expand"), _expand_rule),
        )
    for classes, rule in _RULES:
        if classes and issubclass(fn, classes):
            return rule
    return None


def _fit(g, batch, meta, arrays):
    """A batched result as (batch, *_PAD, *shape): broadcast dims summed, dtype cast."""
    shape, dt = meta
    d = g if arrays else g._data
    got = d.shape
    if got[_LEAD:] == shape and got[:_LEAD] == (batch,) + _PAD and d.dtype == dt:
        return g  # the usual case: already in shape
    n = len(shape)
    lead = len(got) - n
    if lead < 1 or got[0] != batch:
        raise _NotBatchable
    axes = [a for a in range(1, lead) if got[a] != 1]
    for i, s in enumerate(shape):
        if got[lead + i] != s:
            if s != 1:
                raise _NotBatchable
            axes.append(lead + i)
    target = (batch,) + _PAD + tuple(shape)
    if arrays:
        if axes:
            d = d.sum(axis=tuple(axes), keepdims=True)
        if d.shape != target:
            d = d.reshape(target)
        return d if d.dtype == dt else d.astype(dt)
    if axes:
        g = g.sum(tuple(axes), keepdim=True)
    if g._data.shape != target:
        g = g.reshape(target)
    if g._data.dtype != dt:
        from ..dtypes import from_numpy_dtype

        g = g.to(from_numpy_dtype(dt))
    return g


def _row(g, b, shape):
    return None if g is None else g[b].reshape(shape)  # an array or (create_graph) a Tensor


def _row_args(node, grads, b):
    return [_row(g, b, m[0]) for g, m in zip(grads, node._out_meta)]


def _check_rows(node, grads, fixed, arrays, batch):
    """Do the first and last rows of a batched result equal separate calls on those rows?"""
    for b in (0, batch - 1):
        plain = _call_plain(node, _row_args(node, grads, b), arrays)
        for p, f in zip(plain, fixed):
            if (p is None) != (f is None):
                return False
            if p is None:
                continue
            pd = p if arrays else p._data
            fd = (f if arrays else f._data)[b].reshape(pd.shape)
            xp = _xp_of(pd)
            scale = max(float(xp.abs(pd).max()), float(xp.abs(fd).max())) if pd.size else 0.0
            if not xp.allclose(pd, fd, rtol=1e-5, atol=1e-6 * scale, equal_nan=True):
                return False
    return True


def _call_rows(node, grads, arrays, batch):
    """The fallback: one call per row, the results stacked back into a batch."""
    per_row = [_call_plain(node, _row_args(node, grads, b), arrays) for b in range(batch)]
    out = []
    for i, meta in enumerate(_in_metas(node)):
        rows = [r[i] for r in per_row]
        if all(r is None for r in rows):
            out.append(None)
            continue
        shape, dt = meta
        target = (batch,) + _PAD + tuple(shape)
        if arrays:
            xp = _xp_of(next(r for r in rows if r is not None))
            rows = [xp.zeros(shape, dt) if r is None else r for r in rows]
            out.append(xp.stack(rows).reshape(target))
        else:
            from ..ops.shape import stack

            rows = [
                _fn.Tensor._make(next(r for r in rows if r is not None)._xp.zeros(shape, dt))
                if r is None
                else r
                for r in rows
            ]
            out.append(stack(rows, 0).reshape(target))
    return out
