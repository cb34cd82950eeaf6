"""SGD with momentum, dampening, Nesterov momentum, weight decay and maximize (PyTorch's rules)."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _bump_version
from .optimizer import Optimizer, _check_lr, _lr_operand, _no_differentiable, _scalar

__all__ = ["SGD"]


class SGD(Optimizer):
    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
        foreach=None,
        differentiable=False,
        fused=None,
    ):
        _check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _no_differentiable(differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    def step(self, closure=None):
        loss = None if closure is None else self._closure_loss(closure)
        for index, group in enumerate(self.param_groups):
            lr = _scalar(group["lr"])
            momentum = group["momentum"]
            weight_decay = group["weight_decay"]
            maximize = group["maximize"]
            if not (momentum or weight_decay or maximize):
                self._plain_step(index, group["params"], lr)
                continue
            dampening = group["dampening"]
            nesterov = group["nesterov"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                d = p._data
                grad = g._data
                if maximize:
                    grad = -grad
                if weight_decay != 0:
                    grad = grad + weight_decay * d
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        # the first step starts the buffer at the gradient itself, undamped
                        buf = state["momentum_buffer"] = Tensor._make(grad.copy())
                        b = buf._data
                    else:
                        b = buf._data
                        b *= momentum
                        if dampening == 0:
                            b += grad
                        else:
                            b += (1 - dampening) * grad
                    grad = grad + momentum * b if nesterov else b
                tmp = self._scratch(d)
                p._xp.multiply(grad, lr, out=tmp)
                d -= tmp
                _bump_version(p)
        return loss

    _plain_plans = None  # {group index: _PlainPlan}, made by the first plain step

    def _plain_step(self, index, params, lr):
        """p -= lr * grad for group `index`: the update without momentum, weight decay or
        maximize.

        On tiny models the interpreter's work around the two array operations per parameter
        costs more than the operations, so this loop does as little as it can: the NumPy ufuncs
        called directly with the learning rate as an array of the gradient's dtype (made once,
        not once per call), the version bump inline, and each parameter's scratch array
        remembered beside the array it was made for (the same object from step to step unless
        someone replaces the parameter's data).
        """
        plans = self._plain_plans
        if plans is None:
            plans = self._plain_plans = {}
        plan = plans.get(index)
        if plan is None:
            plan = plans[index] = _PlainPlan()
        entries = plan.entries
        if len(entries) != len(params):
            entries = plan.entries = [_NO_ENTRY] * len(params)
        for i, p in enumerate(params):
            g = p._grad
            if g is None:
                continue
            d = p._data
            grad = g._data
            entry = entries[i]
            if entry[0] is not d and d.__class__ is _ndarray:
                entry = entries[i] = (d, self._scratch(d))
            if entry[0] is d and grad.__class__ is _ndarray:
                tmp = entry[1]
                if grad.dtype is not plan.dtype or plan.lr is not lr:
                    plan.lr, plan.dtype = lr, grad.dtype
                    plan.lr_operand = _lr_operand(lr, grad.dtype)
                _multiply(grad, plan.lr_operand, tmp)
                _subtract(d, tmp, d)
            else:
                tmp = self._scratch(d)
                p._xp.multiply(grad, lr, out=tmp)
                d -= tmp
            vc = p._vc  # _bump_version(p), inline: it runs for every parameter
            if vc is None:
                p._vc = [1]
            else:
                vc[0] += 1


class _PlainPlan:
    """What SGD's plain update keeps for one parameter group between steps: (array, scratch)
    per parameter, and the learning rate last converted for the ufuncs."""

    __slots__ = ("entries", "lr", "dtype", "lr_operand")

    def __init__(self):
        self.entries = []
        self.lr = self.dtype = self.lr_operand = None


_ndarray = np.ndarray
_multiply = np.multiply
_subtract = np.subtract
_NO_ENTRY = (None, None)
