"""Honest intervals for shares and their differences, when a group is too small to tell, and what a
comparison of this size can tell at all (the smallest difference it finds, how many more it needs, how
many comparisons read at once look clear by chance): shared by the report's 回访效果 and what
learning.py compares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Below this many students in either group, a share says too little to compare.
MIN_GROUP = 5
# Two-sided 5 % and 80 % power: the normal quantiles of 0.975 and 0.8.
Z_ALPHA = 1.959963984540054
Z_POWER = 0.8416212335729143
# The share the power sums assume is held within this much of 0 and 1: at a share of 0 % (nobody has
# renewed yet) the variance would vanish and any difference would look detectable.
SHARE_FLOOR = 0.05
CHANCE = 0.05  # of comparisons with no true difference, the share that still look "significant"


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson's interval for a share (honest at small counts and at 0 % or 100 %)."""
    if total == 0:
        return (math.nan, math.nan)
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    # Clamped: at 0 or all, rounding would otherwise leave a bound a hair outside (shown as -0.0).
    return (max(0.0, centre - half), min(1.0, centre + half))


def share_difference(up1: int, n1: int, up0: int, n0: int) -> tuple[float, float, float]:
    """The difference of two shares (up1/n1 − up0/n0) and its 95 % interval (Newcombe's, from Wilson's)."""
    p1, p0 = up1 / n1, up0 / n0
    (l1, u1), (l0, u0) = wilson(up1, n1), wilson(up0, n0)
    d = p1 - p0
    return d, d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)


def verdict(n1: int, n0: int, low: float, high: float, higher: str, lower: str, unit: str = "人", too_few: str = "还看不出差别") -> str:
    """What an interval (low, high) of a difference between a group of n1 and one of n0 says: `higher`,
    `lower`, not clear, or — with fewer than `MIN_GROUP` in either group — too few (then `too_few`)."""
    if min(n1, n0) < MIN_GROUP:
        return f"人数太少（每组至少要 {MIN_GROUP} {unit}），{too_few}"
    if low > 0:
        return higher
    if high < 0:
        return lower
    return "还看不出差别（区间包含 0，不等于没有差别）"


@dataclass(frozen=True)
class Comparison:
    """k1 of n1 in the group against k0 of n0 in its comparison."""

    k1: int
    n1: int
    k0: int
    n0: int

    @property
    def share1(self) -> float:
        return self.k1 / self.n1 if self.n1 else math.nan

    @property
    def share0(self) -> float:
        return self.k0 / self.n0 if self.n0 else math.nan

    @property
    def interval(self) -> tuple[float, float, float]:
        """(difference, low, high) of share1 − share0, Newcombe's 95 %; NaN without both groups."""
        if not (self.n1 and self.n0):
            return (math.nan, math.nan, math.nan)
        return share_difference(self.k1, self.n1, self.k0, self.n0)

    @property
    def enough(self) -> bool:
        return min(self.n1, self.n0) >= MIN_GROUP

    @property
    def pooled(self) -> float:
        total = self.n1 + self.n0
        return (self.k1 + self.k0) / total if total else math.nan

    @property
    def detectable(self) -> float:
        """The smallest difference this comparison can find (80 % power, two-sided 5 %)."""
        return detectable_difference(self.n1, self.n0, self.pooled)

    @property
    def decided(self) -> bool:
        _, low, high = self.interval
        return self.enough and (low > 0 or high < 0)

    def verdict(self, higher: str, lower: str, unit: str = "人", too_few: str = "还看不出差别") -> str:
        _, low, high = self.interval
        return verdict(self.n1, self.n0, low, high, higher, lower, unit, too_few)


def stratified_difference(strata) -> tuple[float, float, float]:
    """The difference of two shares over strata (each (k1, n1, k0, n0): a day's rows of each group),
    weighted as Mantel and Haenszel weigh them (n1·n0 / (n1 + n0)), with a 95 % interval whose variance
    takes each stratum's shares with one success and one failure added (Agresti and Caffo's adjustment:
    a stratum at 0 % or 100 % still has a spread). Strata without both groups are left out; NaN when
    none has both. When the groups' sizes change from one stratum to the next (a sampling that learns),
    the pooled difference mixes in whatever differs between the strata; this one does not.

    >>> d, low, high = stratified_difference([(9, 10, 1, 10)])
    >>> round(d, 2), round(low, 3), round(high, 3)
    (0.8, 0.502, 1.0)
    """
    weight = weighted = variance = 0.0
    for k1, n1, k0, n0 in strata:
        if not (n1 and n0):
            continue
        w = n1 * n0 / (n1 + n0)
        a1, a0 = (k1 + 1) / (n1 + 2), (k0 + 1) / (n0 + 2)
        weight += w
        weighted += w * (k1 / n1 - k0 / n0)
        variance += w * w * (a1 * (1 - a1) / (n1 + 2) + a0 * (1 - a0) / (n0 + 2))
    if not weight:
        return (math.nan, math.nan, math.nan)
    d = weighted / weight
    half = Z_ALPHA * math.sqrt(variance) / weight
    return d, max(-1.0, d - half), min(1.0, d + half)


def _spread(share: float) -> float:
    p = min(max(share, SHARE_FLOOR), 1 - SHARE_FLOOR) if share == share else 0.5
    return p * (1 - p)


def detectable_difference(n1: int, n0: int, share: float) -> float:
    """The smallest difference of two shares that a comparison of n1 against n0 finds with 80 % power
    at two-sided 5 %, around `share` (normal approximation; NaN without both groups).

    >>> round(detectable_difference(1000, 1000, 0.5), 4)
    0.0626
    """
    if not (n1 and n0):
        return math.nan
    return (Z_ALPHA + Z_POWER) * math.sqrt(_spread(share) * (1 / n1 + 1 / n0))


def needed_total(share: float, effect: float, first_share: float = 0.5) -> float:
    """How many units in all a comparison needs to find `effect` with 80 % power at two-sided 5 %, when
    `first_share` of them are in the first group (a holdout of 20 %: 0.2).

    >>> round(needed_total(0.5, 0.1) / 2, 1)  # per group, the textbook 392
    392.4
    """
    first_share = min(max(first_share, 0.01), 0.99)
    return (Z_ALPHA + Z_POWER) ** 2 * _spread(share) * (1 / first_share + 1 / (1 - first_share)) / effect**2


def more_needed(n1: int, n0: int, share: float, effect: float) -> int:
    """How many more units (split as n1 : n0 now, half and half before any) until `effect` can be found."""
    total = n1 + n0
    first = n1 / total if n1 and n0 else 0.5
    return max(0, math.ceil(needed_total(share, effect, first) - total))


def chance_note(comparisons: int) -> str:
    """What reading `comparisons` differences at once means: how many look clear by chance alone."""
    expected = comparisons * CHANCE
    return (
        f"本表同时看了 {comparisons} 项比较：即使每项都没有真的差别，按 95% 区间也会有约 {expected:.1f} 项凭运气显得有差别；"
        "只有一两项「更高/更低」时别急着下结论，等人数多了再看是否还在"
    )


def percent(value: float) -> float:
    """A share as a percentage to one place (NaN stays NaN)."""
    return round(value * 100, 1) if value == value else math.nan


def interval_text(low: float, high: float) -> str | None:
    """An interval of shares as the report writes it, in percentage points: `-3.2 ～ 14.0` (None when unknown)."""
    return f"{low * 100:.1f} ～ {high * 100:.1f}" if low == low else None
