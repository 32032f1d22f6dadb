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


def test_the_power_sums_use_the_normal_quantiles_of_two_sided_5_percent_and_80_percent_power():
    from statistics import NormalDist

    from pfkcli.stats import Z_ALPHA, Z_POWER

    assert Z_ALPHA == pytest.approx(NormalDist().inv_cdf(0.975), abs=1e-12)
    assert Z_POWER == pytest.approx(NormalDist().inv_cdf(0.8), abs=1e-12)


def test_the_smallest_detectable_difference_and_the_students_needed_match_the_textbook():
    from pfkcli.stats import detectable_difference, more_needed, needed_total

    # 1,000 against 1,000 around 50 %: 2.8016 × √(0.25 × 2/1000) = 6.26 points.
    assert detectable_difference(1000, 1000, 0.5) == pytest.approx(0.0626, abs=5e-5)
    # Ten points around 50 %, half and half: 392 per group (Fleiss's table, without continuity correction).
    assert needed_total(0.5, 0.10) == pytest.approx(2 * 392.4, abs=0.5)
    # The holdout: +5 points on a 40 % renewal rate with a fifth held out takes about 4,700 students.
    assert needed_total(0.4, 0.05, 0.2) == pytest.approx(4709, abs=1)
    # The detectable difference at the size `needed_total` names is the effect asked for.
    assert detectable_difference(942, 3767, 0.4) == pytest.approx(0.05, abs=5e-4)
    assert more_needed(900, 3600, 0.4, 0.05) == 210
    assert more_needed(5000, 5000, 0.4, 0.05) == 0
    # Nothing known yet varies the share at its floor, never at 0 (which would call any difference detectable).
    assert detectable_difference(20, 20, 0.0) == detectable_difference(20, 20, 0.05) > 0.19


def test_reading_many_comparisons_at_once_says_how_many_look_clear_by_chance():
    from pfkcli.stats import chance_note

    assert chance_note(45).startswith("本表同时看了 45 项比较：即使每项都没有真的差别，按 95% 区间也会有约 2.2 项凭运气显得有差别")


def test_a_difference_weighed_day_by_day_is_not_fooled_by_a_sampling_that_shifted():
    """Day 1 gives the new solution to 10 of 100 when 90 % keep learning; day 2 to 90 of 100 when 30 %
    do. Each day it makes no difference, yet pooled it looks 48 points worse (Simpson's paradox)."""
    from pfkcli.stats import Comparison, stratified_difference

    days = [(9, 10, 81, 90), (27, 90, 3, 10)]
    pooled = Comparison(36, 100, 84, 100)
    assert pooled.interval[0] == pytest.approx(-0.48) and pooled.interval[2] < 0
    d, low, high = stratified_difference(days)
    assert d == pytest.approx(0.0) and low < 0 < high
    # One day alone: the plain difference, its interval from Agresti and Caffo's adjusted shares.
    assert stratified_difference([(9, 10, 1, 10)]) == pytest.approx((0.8, 0.5018, 1.0), abs=5e-5)
    assert all(value != value for value in stratified_difference([(3, 4, 0, 0)]))  # no day with both groups
