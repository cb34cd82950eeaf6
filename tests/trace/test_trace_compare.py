"""workbench.trace.compare: the per-op delta table of two profiles, checked by hand."""

import numpy as np
import pytest

from workbench.trace import TraceEvents
from workbench.trace.averages import key_averages
from workbench.trace.compare import compare


def events(spans):
    """TraceEvents on one thread from (name, start, dur) spans."""
    return TraceEvents(
        name=[s[0] for s in spans],
        cat=["cpu_op"] * len(spans),
        start_us=[s[1] for s in spans],
        dur_us=[s[2] for s in spans],
        pid=[1] * len(spans),
        tid=[1] * len(spans),
    )


# A: a block of 10 µs holding mul (3) and div (2), then mul (1) alone; an op only A has.
A = events([("block", 0, 10), ("mul", 1, 3), ("div", 5, 2), ("mul", 12, 1), ("gone", 20, 4)])
# B: the same block made 6 µs, mul twice as slow, div unchanged, one new op.
B = events([("block", 0, 6), ("mul", 0.5, 4), ("div", 4.5, 1.5), ("mul", 8, 2), ("new", 11, 0.5)])


def test_delta_arithmetic():
    d = compare(A, B)
    row = {name: i for i, name in enumerate(d.name)}
    # block: self A = 10 - 3 - 2 = 5, B = 6 - 4 - 1.5 = 0.5
    b = row["block"]
    assert (d.count_a[b], d.count_b[b]) == (1, 1)
    assert (d.self_a[b], d.self_b[b]) == (5.0, 0.5)
    assert (d.total_a[b], d.total_b[b]) == (10.0, 6.0)
    assert d.delta_self[b] == -4.5 and d.delta_total[b] == -4.0
    assert d.ratio[b] == pytest.approx(0.1)
    m = row["mul"]
    assert (d.count_a[m], d.count_b[m]) == (2, 2)
    assert (d.self_a[m], d.self_b[m]) == (4.0, 6.0)
    assert d.delta_self[m] == 2.0 and d.ratio[m] == 1.5
    v = row["div"]
    assert (d.self_a[v], d.self_b[v], d.delta_self[v]) == (2.0, 1.5, -0.5)


def test_ops_in_only_one_profile():
    d = compare(A, B)
    gone, new = d.row("gone"), d.row("new")
    assert d.in_a[gone] and not d.in_b[gone]
    assert (d.count_b[gone], d.self_b[gone], d.ratio[gone]) == (0, 0.0, 0.0)
    assert d.in_b[new] and not d.in_a[new]
    assert d.count_a[new] == 0 and d.self_b[new] == 0.5 and np.isinf(d.ratio[new])
    assert d.row("missing") == -1


def test_sorted_by_the_size_of_the_self_time_change():
    d = compare(A, B)
    assert d.name == ["block", "gone", "mul", "div", "new"]  # |Δ| 4.5, 4, 2, 0.5, 0.5
    assert np.all(np.diff(np.abs(d.delta_self)) <= 0)


def test_shape_groups_are_added_up_and_averages_accepted():
    a = key_averages(A, group_by_input_shape=True)
    d = compare(a, key_averages(B))
    assert d.name.count("mul") == 1
    assert d.count_a[d.row("mul")] == 2


def test_a_profile_against_itself_changes_nothing():
    d = compare(A, A)
    assert np.all(d.delta_self == 0) and np.all(d.delta_total == 0)
    assert np.all(d.ratio == 1.0)
