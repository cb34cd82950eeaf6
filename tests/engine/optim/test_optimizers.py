"""Optimizers: trajectories against PyTorch's for every option combination, one-step updates
derived by hand, state dicts, parameter groups, zero_grad, hooks, version counters, errors."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest

import workbench.engine as torch
from tests.engine.optim._expected_optim import EXPECTED
from workbench.engine.optim import optimizer as optimizer_module

P0 = ([[0.5, -1.25, 2.0], [0.75, 0.0, -0.625]], [0.25, -3.0])
STEPS = 5
OPTIMIZERS = {
    "SGD": torch.optim.SGD,
    "Adam": torch.optim.Adam,
    "AdamW": torch.optim.AdamW,
    "RMSprop": torch.optim.RMSprop,
    "Adagrad": torch.optim.Adagrad,
}


def grads(k):
    """The fixed gradients of step k (they do not depend on the parameters)."""
    g0 = [[math.sin(1.0 + k + 3 * i + j) for j in range(3)] for i in range(2)]
    g1 = [math.cos(0.5 * k + j) * (1 + j) for j in range(2)]
    return g0, g1


def make_params():
    return [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in P0]


def set_grads(params, k):
    for p, g in zip(params, grads(k)):
        p.grad = torch.tensor(g, dtype=torch.float64)


def run(opt, params, steps, start=0):
    for k in range(start, start + steps):
        set_grads(params, k)
        opt.step()


def flat(params):
    return np.concatenate([p.detach().numpy().reshape(-1) for p in params])


def _case_id(case):
    name, kw = case
    return name + "(" + ",".join(f"{k}={v}" for k, v in kw) + ")"


@pytest.mark.parametrize("case", list(EXPECTED), ids=_case_id)
def test_trajectory_matches_pytorch(case):
    name, kw = case
    params = make_params()
    opt = OPTIMIZERS[name](params, **dict(kw))
    run(opt, params, STEPS)
    np.testing.assert_allclose(flat(params), EXPECTED[case], rtol=0, atol=1e-10)


# ----- one step, by hand --------------------------------------------------------------------


def _one(cls, p0, g, **kw):
    p = torch.tensor(p0, dtype=torch.float64, requires_grad=True)
    opt = cls([p], **kw)
    p.grad = torch.tensor(g, dtype=torch.float64)
    opt.step()
    return p.detach().numpy()


P1 = np.array([1.0, -2.0, 0.5])
G1 = np.array([0.5, 0.25, -4.0])


def test_sgd_one_step_by_hand():
    np.testing.assert_allclose(_one(torch.optim.SGD, P1, G1, lr=0.1), P1 - 0.1 * G1)
    # the first momentum step uses the gradient itself, undamped
    np.testing.assert_allclose(
        _one(torch.optim.SGD, P1, G1, lr=0.1, momentum=0.9, dampening=0.5), P1 - 0.1 * G1
    )
    np.testing.assert_allclose(
        _one(torch.optim.SGD, P1, G1, lr=0.1, momentum=0.9, nesterov=True),
        P1 - 0.1 * (G1 + 0.9 * G1),
    )
    np.testing.assert_allclose(
        _one(torch.optim.SGD, P1, G1, lr=0.1, weight_decay=0.2), P1 - 0.1 * (G1 + 0.2 * P1)
    )
    np.testing.assert_allclose(_one(torch.optim.SGD, P1, G1, lr=0.1, maximize=True), P1 + 0.1 * G1)


def test_sgd_momentum_second_step_by_hand():
    p = torch.tensor(P1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.25)
    g2 = np.array([1.0, -1.0, 2.0])
    p.grad = torch.tensor(G1)
    opt.step()
    p.grad = torch.tensor(g2)
    opt.step()
    buf = 0.9 * G1 + 0.75 * g2
    np.testing.assert_allclose(p.detach().numpy(), P1 - 0.1 * G1 - 0.1 * buf)
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"].numpy(), buf)


def test_adam_one_step_by_hand():
    # bias correction makes the first step lr * g / (|g| + eps)
    lr, eps = 0.1, 1e-3
    np.testing.assert_allclose(
        _one(torch.optim.Adam, P1, G1, lr=lr, eps=eps),
        P1 - lr * G1 / (np.abs(G1) + eps),
        rtol=1e-12,
    )
    g = G1 + 0.1 * P1  # L2 penalty folded into the gradient
    np.testing.assert_allclose(
        _one(torch.optim.Adam, P1, G1, lr=lr, eps=eps, weight_decay=0.1),
        P1 - lr * g / (np.abs(g) + eps),
        rtol=1e-12,
    )
    # AdamW decays the parameter itself, before the Adam step
    np.testing.assert_allclose(
        _one(torch.optim.AdamW, P1, G1, lr=lr, eps=eps, weight_decay=0.1),
        P1 * (1 - lr * 0.1) - lr * G1 / (np.abs(G1) + eps),
        rtol=1e-12,
    )


def test_adam_state_after_one_step():
    p = torch.tensor(P1, requires_grad=True)
    opt = torch.optim.Adam([p], betas=(0.8, 0.9), amsgrad=True)
    p.grad = torch.tensor(G1)
    opt.step()
    st = opt.state[p]
    assert list(st) == ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    assert st["step"].dtype is torch.float32 and st["step"].shape == () and st["step"].item() == 1
    np.testing.assert_allclose(st["exp_avg"].numpy(), 0.2 * G1)
    np.testing.assert_allclose(st["exp_avg_sq"].numpy(), 0.1 * G1 * G1)
    np.testing.assert_allclose(st["max_exp_avg_sq"].numpy(), 0.1 * G1 * G1)
    assert st["exp_avg"].dtype is torch.float64


def test_rmsprop_one_step_by_hand():
    lr, alpha, eps = 0.01, 0.9, 1e-4
    sq = (1 - alpha) * G1 * G1
    np.testing.assert_allclose(
        _one(torch.optim.RMSprop, P1, G1, lr=lr, alpha=alpha, eps=eps),
        P1 - lr * G1 / (np.sqrt(sq) + eps),
        rtol=1e-12,
    )
    centered = sq - ((1 - alpha) * G1) ** 2
    np.testing.assert_allclose(
        _one(torch.optim.RMSprop, P1, G1, lr=lr, alpha=alpha, eps=eps, centered=True),
        P1 - lr * G1 / (np.sqrt(centered) + eps),
        rtol=1e-12,
    )


def test_adagrad_one_step_by_hand():
    lr, eps = 0.1, 1e-10
    np.testing.assert_allclose(
        _one(torch.optim.Adagrad, P1, G1, lr=lr, initial_accumulator_value=0.5),
        P1 - lr * G1 / (np.sqrt(0.5 + G1 * G1) + eps),
        rtol=1e-12,
    )


def test_adagrad_state_exists_before_the_first_step():
    p = torch.tensor(P1, requires_grad=True)
    opt = torch.optim.Adagrad([p], initial_accumulator_value=0.25)
    assert opt.state[p]["step"].item() == 0
    np.testing.assert_array_equal(opt.state[p]["sum"].numpy(), [0.25] * 3)


# ----- state dicts ---------------------------------------------------------------------------

STATEFUL = [
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("Adam", {"lr": 0.1, "amsgrad": True}),
    ("AdamW", {}),
    ("RMSprop", {"momentum": 0.9, "centered": True}),
    ("Adagrad", {"lr_decay": 0.1}),
]


@pytest.mark.parametrize("name, kw", STATEFUL, ids=[n for n, _ in STATEFUL])
def test_state_dict_round_trip_continues_the_trajectory(name, kw):
    cls = OPTIMIZERS[name]
    ref = make_params()
    ref_opt = cls(ref, **kw)
    run(ref_opt, ref, STEPS)

    params = make_params()
    opt = cls(params, **kw)
    run(opt, params, 2)
    saved = copy.deepcopy(opt.state_dict())
    fresh = [torch.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
    opt2 = cls(fresh, lr=123.0)  # the loaded groups replace these options
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == ref_opt.param_groups[0]["lr"]
    assert opt2.param_groups[0]["params"][0] is fresh[0]
    run(opt2, fresh, STEPS - 2, start=2)
    np.testing.assert_allclose(flat(fresh), flat(ref), rtol=0, atol=1e-12)


def test_state_dict_structure():
    a, b, c = (torch.zeros(2, requires_grad=True) for _ in range(3))
    opt = torch.optim.SGD([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1, momentum=0.9)
    a.grad = torch.ones(2)
    c.grad = torch.ones(2)
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert list(sd["state"]) == [0, 2]  # b had no gradient: no state
    assert sd["state"][0]["momentum_buffer"] is opt.state[a]["momentum_buffer"]
    assert sd["param_groups"] == [
        {
            "lr": 0.1,
            "momentum": 0.9,
            "dampening": 0,
            "weight_decay": 0,
            "nesterov": False,
            "maximize": False,
            "foreach": None,
            "differentiable": False,
            "fused": None,
            "params": [0, 1],
        },
        {
            "lr": 0.5,
            "momentum": 0.9,
            "dampening": 0,
            "weight_decay": 0,
            "nesterov": False,
            "maximize": False,
            "foreach": None,
            "differentiable": False,
            "fused": None,
            "params": [2],
        },
    ]
    assert list(opt.state_dict()["param_groups"][0]) == list(sd["param_groups"][0])


def test_adam_param_group_keys_match_pytorch():
    opt = torch.optim.AdamW([torch.zeros(1, requires_grad=True)])
    assert opt.state_dict()["param_groups"] == [
        {
            "lr": 0.001,
            "betas": (0.9, 0.999),
            "eps": 1e-08,
            "weight_decay": 0.01,
            "amsgrad": False,
            "maximize": False,
            "foreach": None,
            "capturable": False,
            "differentiable": False,
            "fused": None,
            "decoupled_weight_decay": True,
            "params": [0],
        }
    ]


def test_load_state_dict_checks_the_groups():
    a, b = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    sd = torch.optim.SGD([a, b]).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        torch.optim.SGD([{"params": [a]}, {"params": [b]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        torch.optim.SGD([a]).load_state_dict(sd)


def test_load_state_dict_turns_a_numeric_step_into_a_tensor():
    p = make_params()[1]
    opt = torch.optim.Adam([p])
    p.grad = torch.ones(2, dtype=torch.float64)
    opt.step()
    sd = copy.deepcopy(opt.state_dict())
    sd["state"][0]["step"] = 1
    opt.load_state_dict(sd)
    assert isinstance(opt.state[p]["step"], torch.Tensor)
    assert opt.state[p]["step"].item() == 1


# ----- parameter groups ----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_groups_with_their_own_lr_behave_like_separate_optimizers(name):
    cls = OPTIMIZERS[name]
    params = make_params()
    opt = cls([{"params": [params[0]], "lr": 0.1}, {"params": [params[1]]}], lr=0.01)
    run(opt, params, STEPS)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]

    alone = make_params()
    opts = [cls([alone[0]], lr=0.1), cls([alone[1]], lr=0.01)]
    for k in range(STEPS):
        set_grads(alone, k)
        for o in opts:
            o.step()
    np.testing.assert_allclose(flat(params), flat(alone), rtol=0, atol=1e-14)


def test_add_param_group_fills_in_defaults():
    a, b = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([a], lr=0.1, momentum=0.5)
    opt.add_param_group({"params": b, "lr": 0.2})
    assert opt.param_groups[1]["params"] == [b]
    assert opt.param_groups[1]["lr"] == 0.2 and opt.param_groups[1]["momentum"] == 0.5
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([a])
    with pytest.raises(TypeError, match="ordered collections"):
        opt.add_param_group({"params": {torch.zeros(1, requires_grad=True)}})


def test_named_parameters_are_accepted():
    a = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([("weight", a)], lr=0.1)
    assert opt.param_groups[0]["params"] == [a]
    assert opt.param_groups[0]["param_names"] == ["weight"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight"]


def test_adagrad_state_for_an_added_group():
    a, b = torch.ones(1, requires_grad=True), torch.ones(1, requires_grad=True)
    opt = torch.optim.Adagrad([a], initial_accumulator_value=0.5)
    opt.add_param_group({"params": [b]})
    b.grad = torch.ones(1)
    opt.step()
    assert opt.state[b]["sum"].item() == 1.5


# ----- maximize, skipping, zero_grad ---------------------------------------------------------


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_maximize_equals_minimizing_the_negated_gradient(name):
    cls = OPTIMIZERS[name]
    up = make_params()
    opt_up = cls(up, maximize=True)
    down = make_params()
    opt_down = cls(down)
    for k in range(STEPS):
        set_grads(up, k)
        for p, g in zip(down, grads(k)):
            p.grad = -torch.tensor(g, dtype=torch.float64)
        opt_up.step()
        opt_down.step()
    np.testing.assert_allclose(flat(up), flat(down), rtol=0, atol=1e-14)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_parameters_without_grad_are_skipped(name):
    a, b = make_params()
    opt = OPTIMIZERS[name]([a, b])
    a.grad = torch.ones_like(a)
    opt.step()
    np.testing.assert_array_equal(b.detach().numpy(), P0[1])
    assert b._version == 0
    assert (name == "Adagrad") == (b in opt.state)  # only Adagrad creates state up front
    assert not np.array_equal(a.detach().numpy(), P0[0])


def test_zero_grad_sets_to_none_by_default():
    params = make_params()
    opt = torch.optim.SGD(params, lr=0.1)
    set_grads(params, 0)
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_zero_grad_can_fill_with_zeros_in_place():
    params = make_params()
    opt = torch.optim.SGD(params, lr=0.1)
    set_grads(params, 0)
    g = params[0].grad
    v = g._version
    opt.zero_grad(set_to_none=False)
    assert params[0].grad is g
    np.testing.assert_array_equal(g.numpy(), np.zeros((2, 3)))
    assert g._version == v + 1
    opt.zero_grad(set_to_none=False)  # idempotent; parameters without grad stay without
    params[1].grad = None
    opt.zero_grad(set_to_none=False)
    assert params[1].grad is None


def test_zero_grad_detaches_a_grad_with_history():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the create_graph reference-cycle warning
        (x**3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    opt = torch.optim.SGD([x])
    opt.zero_grad(set_to_none=False)
    assert x.grad.grad_fn is None and not x.grad.requires_grad
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_training_loop_converges():
    # least squares through the engine: backward fills .grad, the optimizer steps
    rng = np.random.default_rng(0)
    X = torch.tensor(rng.standard_normal((32, 3)))
    w_true = torch.tensor([[1.5], [-2.0], [0.5]], dtype=torch.float64)
    y = X @ w_true
    w = torch.zeros(3, 1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([w], lr=0.1)
    for _ in range(300):
        opt.zero_grad()
        loss = ((X @ w - y) ** 2).mean()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(w.detach().numpy(), w_true.numpy(), atol=1e-3)


# ----- steps outside autograd ---------------------------------------------------------------


def test_step_records_nothing_and_bumps_the_version():
    p = torch.tensor([1.0, 2.0], requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    p.grad = torch.ones(2)
    opt.step()
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    assert p._version == 1
    opt.step()
    assert p._version == 2


def test_a_graph_that_saved_the_parameter_refuses_to_backward_after_a_step():
    p = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (p * p).sum()
    opt = torch.optim.SGD([p], lr=0.1)
    p.grad = torch.ones(2)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_closure_runs_with_grad_enabled_and_its_loss_is_returned():
    p = torch.tensor([3.0], requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with torch.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0
    assert p.item() == 3.0 - 0.25 * 6.0


def test_float32_parameters_stay_float32():
    p = torch.tensor([1.0, 2.0], requires_grad=True)
    for cls in OPTIMIZERS.values():
        opt = cls([p])
        p.grad = torch.ones(2)
        opt.step()
        assert p.dtype is torch.float32
        assert all(v.dtype is torch.float32 for k, v in opt.state[p].items() if k != "step")


def test_step_hooks():
    p = torch.tensor([1.0], requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o)))
    h2 = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o)))
    p.grad = torch.ones(1)
    opt.step()
    assert calls == [("pre", opt), ("post", opt)]
    h1.remove()
    h2.remove()
    opt.step()
    assert len(calls) == 2


def test_global_step_hooks():
    from workbench.engine.optim.optimizer import register_optimizer_step_post_hook

    seen = []
    h = register_optimizer_step_post_hook(lambda o, args, kwargs: seen.append(type(o).__name__))
    try:
        p = torch.tensor([1.0], requires_grad=True)
        p.grad = torch.ones(1)
        torch.optim.Adam([p]).step()
        torch.optim.SGD([p]).step()
    finally:
        h.remove()
    assert seen == ["Adam", "SGD"]


def test_lr_may_be_a_tensor():
    p = torch.tensor([1.0], requires_grad=True)
    opt = torch.optim.SGD([p], lr=torch.tensor(0.5))
    p.grad = torch.ones(1)
    opt.step()
    assert p.item() == 0.5


def test_repr_lists_the_group_options():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    assert repr(opt) == (
        "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n"
        "    foreach: None\n    fused: None\n    lr: 0.1\n    maximize: False\n"
        "    momentum: 0\n    nesterov: False\n    weight_decay: 0\n)"
    )


# ----- errors --------------------------------------------------------------------------------


def test_constructor_errors():
    p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    with pytest.raises(
        TypeError, match="should be an iterable of Tensors or dicts, but got torch.DoubleTensor"
    ):
        torch.optim.SGD(p)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        torch.optim.SGD([])
    with pytest.raises(
        TypeError, match="optimizer can only optimize Tensors, but one of the params is float"
    ):
        torch.optim.SGD([1.0])
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        torch.optim.SGD([p * 2])
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        torch.optim.SGD([{"params": [p]}, {"params": [p]}])
    with pytest.warns(UserWarning, match="duplicate parameters"):
        torch.optim.SGD([p, p])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: torch.optim.SGD([p], lr=-1), "Invalid learning rate: -1"),
        (lambda p: torch.optim.SGD([p], momentum=-0.5), "Invalid momentum value: -0.5"),
        (lambda p: torch.optim.SGD([p], weight_decay=-1), "Invalid weight_decay value: -1"),
        (
            lambda p: torch.optim.SGD([p], lr=0.1, nesterov=True),
            "Nesterov momentum requires a momentum and zero dampening",
        ),
        (
            lambda p: torch.optim.SGD([p], momentum=0.9, dampening=0.1, nesterov=True),
            "Nesterov momentum requires a momentum and zero dampening",
        ),
        (lambda p: torch.optim.Adam([p], lr=-0.1), "Invalid learning rate: -0.1"),
        (lambda p: torch.optim.Adam([p], eps=-1.0), "Invalid epsilon value: -1.0"),
        (lambda p: torch.optim.Adam([p], betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
        (lambda p: torch.optim.AdamW([p], betas=(0.9, 1.5)), "Invalid beta parameter at index 1"),
        (
            lambda p: torch.optim.Adam([p], betas=(0, 0.9)),
            "betas must be either both floats or both Tensors",
        ),
        (lambda p: torch.optim.RMSprop([p], alpha=-1), "Invalid alpha value: -1"),
        (lambda p: torch.optim.Adagrad([p], lr_decay=-1), "Invalid lr_decay value: -1"),
        (
            lambda p: torch.optim.Adagrad([p], initial_accumulator_value=-1),
            "Invalid initial_accumulator_value value: -1",
        ),
    ],
)
def test_hyperparameter_errors(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make(torch.zeros(1, requires_grad=True))


def test_base_step_is_abstract():
    opt = torch.optim.Optimizer([torch.zeros(1, requires_grad=True)], {"lr": 0.1})
    with pytest.raises(NotImplementedError):
        opt.step()


def test_required_option_must_be_given():
    from workbench.engine.optim.optimizer import required

    with pytest.raises(
        ValueError, match="didn't specify a value of required optimization parameter lr"
    ):
        torch.optim.Optimizer([torch.zeros(1, requires_grad=True)], {"lr": required})


def test_no_warning_on_a_plain_step():
    p = torch.tensor([1.0], requires_grad=True)
    opt = torch.optim.Adam([p])
    p.grad = torch.ones(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()


# ----- with nn modules (the tutorial's training loop) -----------------------------------------


def test_tutorial_tiny_model_step_and_zero_grad():
    torch.manual_seed(0)

    class TinyModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear1 = torch.nn.Linear(1000, 100)
            self.activation = torch.nn.ReLU()
            self.linear2 = torch.nn.Linear(100, 10)

        def forward(self, x):
            return self.linear2(self.activation(self.linear1(x)))

    model = TinyModel()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001)
    some_input = torch.randn(8, 1000)
    ideal_output = torch.randn(8, 10)
    before = model.linear2.weight.detach().numpy().copy()
    loss = (ideal_output - model(some_input)).pow(2).sum()
    loss.backward()
    grad = model.linear2.weight.grad.numpy().copy()
    optimizer.step()
    np.testing.assert_allclose(
        model.linear2.weight.detach().numpy(), before - 0.001 * grad, rtol=1e-6, atol=1e-7
    )
    optimizer.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(model.linear2.weight.grad[0][0:10].numpy(), np.zeros(10))
    optimizer.zero_grad()
    assert model.linear2.weight.grad is None


def test_mlp_trains_with_every_optimizer():
    rng = np.random.default_rng(1)
    X = torch.tensor(rng.standard_normal((64, 3)), dtype=torch.float32)
    y = X @ torch.tensor([[1.0], [-2.0], [0.5]])
    for cls, kw in [
        (torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
        (torch.optim.Adam, {"lr": 0.01}),
        (torch.optim.AdamW, {"lr": 0.01}),
        (torch.optim.RMSprop, {"lr": 0.005}),
        (torch.optim.Adagrad, {"lr": 0.1}),
    ]:
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
        opt = cls(model.parameters(), **kw)
        first = None
        for _ in range(150):
            opt.zero_grad()
            loss = ((model(X) - y) ** 2).mean()
            loss.backward()
            opt.step()
            first = loss.item() if first is None else first
        assert loss.item() < 0.1 * first, cls.__name__


def test_a_user_optimizer_subclass_gets_hooks_and_schedulers():
    class SignSGD(torch.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        with torch.no_grad():
                            p -= group["lr"] * p.grad.sign()
            return None

    p = torch.tensor([1.0, -1.0], requires_grad=True)
    opt = SignSGD([p])
    calls = []
    opt.register_step_post_hook(lambda o, a, k: calls.append(1))
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    p.grad = torch.tensor([3.0, -0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # stepped in the right order: no warning
        opt.step()
        sched.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.9, -0.9])
    assert calls == [1] and opt.param_groups[0]["lr"] == 0.05


# ----- piecewise updates of large parameters (Optimizer._pieces) ----------------------------

ADAM_CASES = [c for c in EXPECTED if c[0] in ("Adam", "AdamW")]


@pytest.mark.parametrize("piece_bytes", [8, 24])
@pytest.mark.parametrize("case", ADAM_CASES, ids=_case_id)
def test_adam_in_pieces_matches_pytorch(case, piece_bytes, monkeypatch):
    # pieces of 1 and 3 float64 elements: the (2, 3) and (2,) parameters are cut unevenly
    monkeypatch.setattr(optimizer_module, "_PIECE_BYTES", piece_bytes)
    name, kw = case
    params = make_params()
    opt = OPTIMIZERS[name](params, **dict(kw))
    run(opt, params, STEPS)
    np.testing.assert_allclose(flat(params), EXPECTED[case], rtol=0, atol=1e-10)


def _adam_reference(p, grads, lr, betas, eps, weight_decay, amsgrad):
    """PyTorch's Adam update written out in NumPy, step by step."""
    m, v, vmax = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for step, g in enumerate(grads, 1):
        g = g + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        vmax = np.maximum(vmax, v)
        denom = np.sqrt(vmax if amsgrad else v) / math.sqrt(1 - betas[1] ** step) + eps
        p = p - lr / (1 - betas[0] ** step) * m / denom
    return p


def test_adam_on_a_parameter_of_several_pieces_matches_the_formula():
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal((317, 331))  # 104927 float64: four pieces, the last one short
    grads = [rng.standard_normal(p0.shape) for _ in range(3)]
    kw = {"lr": 0.01, "betas": (0.8, 0.95), "eps": 1e-6, "weight_decay": 0.1, "amsgrad": True}
    p = torch.tensor(p0, requires_grad=True)
    opt = torch.optim.Adam([p], **kw)
    for g in grads:
        p.grad = torch.tensor(g)
        opt.step()
    want = _adam_reference(p0, grads, **kw)
    np.testing.assert_allclose(p.detach().numpy(), want, rtol=1e-12, atol=1e-14)


def test_adam_on_a_strided_parameter_matches_a_contiguous_one():
    rng = np.random.default_rng(1)
    base = rng.standard_normal((300, 400))
    strided = torch.tensor(base).t().detach().requires_grad_()  # a transposed leaf
    plain = torch.tensor(base.T.copy(), requires_grad=True)
    assert not strided._data.flags.c_contiguous  # so the update runs on the whole array
    opts = [torch.optim.Adam([q], lr=0.05) for q in (strided, plain)]
    for _ in range(3):
        g = rng.standard_normal((400, 300))
        for q, opt in zip((strided, plain), opts):
            q.grad = torch.tensor(g)
            opt.step()
    np.testing.assert_array_equal(strided.detach().numpy(), plain.detach().numpy())


def test_piece_scratch_is_aligned_and_kept_across_steps():
    for n, dtype in [(1, np.float32), (100, np.float64), (70001, np.float32)]:
        a = optimizer_module._aligned_empty(n, np.dtype(dtype))
        assert a.shape == (n,) and a.dtype == dtype and a.ctypes.data % 64 == 0
    p = torch.randn(400, 300, requires_grad=True)
    opt = torch.optim.Adam([p])
    p.grad = torch.ones_like(p)
    opt.step()
    buffers = [b for pair in opt._piece_buffers.values() for b in pair]
    opt.step()
    assert [b for pair in opt._piece_buffers.values() for b in pair] == buffers
    assert all(b.ctypes.data % 64 == 0 for b in buffers)
