"""NaN/Inf provenance: the node that first produced a non-finite value or gradient."""

import workbench.engine as torch
from workbench.graph import capture, find_nonfinite, record_backward, record_forward


def test_planted_log_of_zero_is_found_in_the_forward_values():
    x = torch.tensor([1.0, 0.0, 2.0], requires_grad=True)
    y = (x.log() * 2).sum()
    g = capture(y, names={"x": x, "y": y})
    p = find_nonfinite(g)
    assert p is not None and p.where == "value"
    node = g.node(p.node_id)
    assert node.name == "LogBackward0"
    assert p.count == 1
    assert p.message.startswith(f"LogBackward0 (created at seq {node.seq}) produced 1 of 3")
    assert "-inf" in p.message and "log of 0" in p.message and "1 zero" in p.message


def test_the_first_in_creation_order_wins_with_a_forward_record():
    x = torch.tensor([1.0, 0.0, -1.0], requires_grad=True)
    with record_forward() as fw:
        a = x + 1  # fine
        b = (x - 1).sqrt()  # NaN: created first among the bad ones
        c = x.log()  # -inf and NaN, created later
        y = (a * 0 + b + c).sum()
    g = capture(y, forward=fw)
    p = find_nonfinite(g)
    assert g.node(p.node_id).name == "SqrtBackward0" and p.where == "value"
    assert "sqrt of a negative number" in p.message and "NaN" in p.message
    assert "not recorded" not in p.message


def test_missing_op_outputs_are_admitted():
    x = torch.tensor([1.0, 0.0], requires_grad=True)
    y = (x.log() + 1).sum()  # nothing keeps log's or add's output
    p = find_nonfinite(capture(y))
    assert p.where == "value"
    assert "record_forward()" in p.message and "2 op(s) before it" in p.message


def test_a_gradient_only_nan_is_found_in_the_recorded_backward():
    x = torch.tensor([4.0, 0.0, 1.0], requires_grad=True)
    y = x.sqrt().sum()  # finite forward; d sqrt/dx at 0 is inf
    g, _ = record_backward(y, names={"x": x})
    p = find_nonfinite(g)
    assert p is not None and p.where == "gradient"
    assert g.node(p.node_id).name == "SqrtBackward0" and p.input_nr == 0
    assert "+inf" in p.message and "(x)" in p.message and "infinite at 0" in p.message


def test_a_gradient_after_a_plain_backward_points_at_the_leaf():
    x = torch.tensor([4.0, 0.0], requires_grad=True)
    y = x.sqrt().sum()
    y.backward()
    p = find_nonfinite(capture(y, names={"x": x}))
    assert p.where == "gradient" and p.node_id == 0
    assert "record_backward()" in p.message


def test_all_finite_gives_none():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    g, _ = record_backward((x.log() * x).sum())
    assert find_nonfinite(g) is None
