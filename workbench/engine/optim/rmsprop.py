"""RMSprop, plain or centered, with momentum, weight decay and maximize (PyTorch's rules)."""

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

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        _no_differentiable(differentiable)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
        _steps_to_tensors(self)

    def step(self, closure=None):
        loss = None if closure is None else self._closure_loss(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])
            alpha = group["alpha"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            momentum = group["momentum"]
            centered = group["centered"]
            maximize = group["maximize"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                d = p._data
                xp = p._xp
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = Tensor._make(xp.zeros_like(d))
                    if momentum > 0:
                        state["momentum_buffer"] = Tensor._make(xp.zeros_like(d))
                    if centered:
                        state["grad_avg"] = Tensor._make(xp.zeros_like(d))
                grad = g._data
                if maximize:
                    grad = -grad
                _increment(state["step"])
                if weight_decay != 0:
                    grad = grad + weight_decay * d
                square_avg = state["square_avg"]._data
                tmp = self._scratch(d)
                square_avg *= alpha
                xp.multiply(grad, 1 - alpha, out=tmp)
                tmp *= grad
                square_avg += tmp
                if centered:
                    grad_avg = state["grad_avg"]._data
                    _lerp_(xp, grad_avg, grad, 1 - alpha, tmp)
                    xp.multiply(grad_avg, grad_avg, out=tmp)
                    xp.subtract(square_avg, tmp, out=tmp)
                    xp.sqrt(tmp, out=tmp)
                else:
                    xp.sqrt(square_avg, out=tmp)
                tmp += eps  # tmp is the denominator now
                xp.divide(grad, tmp, out=tmp)
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    buf += tmp
                    xp.multiply(buf, lr, out=tmp)
                else:
                    tmp *= lr
                d -= tmp
                _bump_version(p)
        return loss
