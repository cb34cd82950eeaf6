"""Adagrad with learning-rate decay, weight decay and maximize (PyTorch's rules)."""

from __future__ import annotations

from ..tensor import Tensor, _bump_version
from .optimizer import (
    Optimizer,
    _check_lr,
    _increment,
    _no_differentiable,
    _scalar,
    _step_tensor,
    _steps_to_tensors,
)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        fused=None,
    ):
        _check_lr(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}"
            )
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _no_differentiable(differentiable)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        # unlike the others, Adagrad creates its state up front
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p):
        state = self.state[p]
        state["step"] = _step_tensor()
        value = self.defaults["initial_accumulator_value"]
        state["sum"] = Tensor._make(p._xp.full_like(p._data, value))

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)
        _steps_to_tensors(self)

    def step(self, closure=None):
        loss = None if closure is None else self._closure_loss(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])
            lr_decay = group["lr_decay"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            maximize = group["maximize"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                state = self.state[p]
                if len(state) == 0:  # a parameter added by add_param_group
                    self._init_state(p)
                d = p._data
                xp = p._xp
                step = _increment(state["step"])
                grad = g._data
                if maximize:
                    grad = -grad
                if weight_decay != 0:
                    grad = grad + weight_decay * d
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = state["sum"]._data
                tmp = self._scratch(d)
                xp.multiply(grad, grad, out=tmp)
                state_sum += tmp
                xp.sqrt(state_sum, out=tmp)
                tmp += eps
                xp.divide(grad, tmp, out=tmp)
                tmp *= clr
                d -= tmp
                _bump_version(p)
        return loss
