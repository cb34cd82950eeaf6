"""Adam and AdamW (decoupled weight decay), with amsgrad and maximize (PyTorch's rules).

The update mirrors PyTorch's single-tensor algorithm: the moments move by lerp and addcmul, the
bias corrections use the step count kept as a 0-d tensor in state['step'], and the parameter
takes `-lr / bc1 * exp_avg / (sqrt(v) / sqrt(bc2) + eps)`. The passes run piece by piece over
large parameters (Optimizer._pieces), through scratch arrays the optimizer keeps, so a step
allocates nothing and each piece stays in cache for all its passes.
"""

from __future__ import annotations

from ..tensor import Tensor, _bump_version
from .optimizer import (
    Optimizer,
    _check_lr,
    _increment,
    _lerp_,
    _no_differentiable,
    _scalar,
    _step_tensor,
    _steps_to_tensors,
)

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
        fused=None,
        decoupled_weight_decay=False,
    ):
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not (
            (isinstance(betas[0], float) and isinstance(betas[1], float))
            or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))
        ):
            raise ValueError("betas must be either both floats or both Tensors")
        _no_differentiable(differentiable)
        defaults = {
            "lr": lr,
            "betas": tuple(_scalar(b) for b in betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            group.setdefault("fused", None)
        _steps_to_tensors(self)

    def step(self, closure=None):
        loss = None if closure is None else self._closure_loss(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                d = p._data
                xp = p._xp
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = Tensor._make(xp.zeros_like(d))
                    state["exp_avg_sq"] = Tensor._make(xp.zeros_like(d))
                    if amsgrad:
                        state["max_exp_avg_sq"] = Tensor._make(xp.zeros_like(d))
                step = _increment(state["step"])
                bias_correction1 = 1 - beta1**step
                s = (1 - beta2**step) ** 0.5  # sqrt of the second bias correction
                # lr / bc1 * m / (sqrt(v) / s + eps) as (lr / bc1 * s) * m / (sqrt(v) + eps * s):
                # one pass fewer, the same up to rounding
                update = _AdamUpdate(beta1, beta2, eps * s, lr / bias_correction1 * s, amsgrad)
                update.maximize = maximize
                if weight_decay != 0:
                    if decoupled:
                        update.decay = 1 - lr * weight_decay
                    else:
                        update.l2 = weight_decay
                arrays = [d, g._data, state["exp_avg"]._data, state["exp_avg_sq"]._data]
                if amsgrad:
                    arrays.append(state["max_exp_avg_sq"]._data)
                for piece in self._pieces(*arrays):
                    update(xp, *piece)
                _bump_version(p)
        return loss


class _AdamUpdate:
    """One Adam step on (pieces of) the arrays: PyTorch's single-tensor algorithm, pass by pass
    through scratch arrays, allocating nothing."""

    __slots__ = ("beta1", "beta2", "eps", "step_size", "amsgrad", "maximize", "l2", "decay")

    def __init__(self, beta1, beta2, eps, step_size, amsgrad):
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.step_size, self.amsgrad = step_size, amsgrad
        self.maximize = False
        self.l2 = 0  # Adam's weight decay: added to the gradient
        self.decay = 1  # AdamW's: the parameter's factor before the step

    def __call__(self, xp, d, grad, exp_avg, exp_avg_sq, *rest):
        # rest: (max_exp_avg_sq, tmp, tmp2) with amsgrad, else (tmp, tmp2); tmp2 may be None
        max_sq, tmp, tmp2 = rest if self.amsgrad else (None, *rest)
        if self.decay != 1:
            d *= self.decay
        if self.maximize or self.l2:
            if tmp2 is None:
                tmp2 = xp.empty_like(d)
            if self.maximize:
                xp.negative(grad, out=tmp2)
                grad = tmp2
            if self.l2:
                xp.multiply(d, self.l2, out=tmp)
                xp.add(grad, tmp, out=tmp2)
                grad = tmp2
        _lerp_(xp, exp_avg, grad, 1 - self.beta1, tmp)
        exp_avg_sq *= self.beta2
        xp.multiply(grad, 1 - self.beta2, out=tmp)
        tmp *= grad
        exp_avg_sq += tmp
        if max_sq is not None:
            xp.maximum(max_sq, exp_avg_sq, out=max_sq)
            xp.sqrt(max_sq, out=tmp)
        else:
            xp.sqrt(exp_avg_sq, out=tmp)
        tmp += self.eps
        xp.divide(exp_avg, tmp, out=tmp)
        tmp *= self.step_size
        d -= tmp


class AdamW(Adam):
    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
        foreach=None,
        capturable=False,
        differentiable=False,
        fused=None,
    ):
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
