"""Honest intervals for shares and their differences, and when a group is too small to tell: shared by
the report's 回访效果 and what learning.py and holdout.py compare.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Below this many students in either group, a share says too little to compare.
MIN_GROUP = 5


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
    return "差别不明显（区间包含 0）"


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

    def verdict(self, higher: str, lower: str, unit: str = "人", too_few: str = "还看不出差别") -> str:
        _, low, high = self.interval
        return verdict(self.n1, self.n0, low, high, higher, lower, unit, too_few)


def percent(value: float) -> float:
    """A share as a percentage to one place (NaN stays NaN)."""
    return round(value * 100, 1) if value == value else math.nan


def interval_text(low: float, high: float) -> str | None:
    """An interval of shares as the report writes it, in percentage points: `-3.2 ～ 14.0` (None when unknown)."""
    return f"{low * 100:.1f} ～ {high * 100:.1f}" if low == low else None
