"""The intervals the report and `pfk playbook show` print, against Newcombe's published worked examples
(Statistics in Medicine 1998; 17: 857–872 and 873–890)."""

from __future__ import annotations

import pytest

from pfkcli.stats import share_difference, wilson


def test_wilson_matches_the_published_example():
    assert wilson(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-5)


def test_wilson_stays_inside_0_and_1_at_none_and_all():
    """0 of 5 and 5 of 5: a bound exactly 0 or 1, never -0.0 % on a report."""
    assert wilson(0, 5) == (0.0, pytest.approx(0.4345, abs=5e-5))
    assert wilson(5, 5) == (pytest.approx(0.5655, abs=5e-5), 1.0)


def test_the_difference_of_two_shares_matches_newcombes_method_10():
    difference, low, high = share_difference(56, 70, 48, 80)
    assert (difference, low, high) == pytest.approx((0.2, 0.0524, 0.3339), abs=5e-5)
