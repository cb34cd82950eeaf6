"""The shared switch-interval hold: overlapping holders end in either order and the original
interval comes back exactly once the last lets go."""

from __future__ import annotations

import sys

import pytest

from workbench.ui import switching


@pytest.fixture
def original():
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    yield 0.005
    sys.setswitchinterval(before)


@pytest.mark.parametrize("first_out", ["first", "second"])
def test_overlapping_holds_restore_the_original_in_either_order(original, first_out):
    a = switching.hold(0.001)
    assert sys.getswitchinterval() == pytest.approx(0.001)
    b = switching.hold(0.002)
    assert sys.getswitchinterval() == pytest.approx(0.001)  # the shortest asked for wins
    switching.release(a if first_out == "first" else b)
    left = 0.002 if first_out == "first" else 0.001
    assert sys.getswitchinterval() == pytest.approx(left)
    switching.release(b if first_out == "first" else a)
    assert sys.getswitchinterval() == pytest.approx(original)


def test_release_twice_or_none_changes_nothing(original):
    a = switching.hold(0.001)
    switching.release(a)
    switching.release(a)
    switching.release(None)
    assert sys.getswitchinterval() == pytest.approx(original)
    b = switching.hold(0.01)  # a hold never lengthens the interval
    assert sys.getswitchinterval() == pytest.approx(original)
    switching.release(b)
    assert sys.getswitchinterval() == pytest.approx(original)
