"""Honest intervals for shares and their differences, and when a group is too small to tell: shared by
the report's 回访效果 and what learning.py and holdout.py compare.
"""

from __future__ import annotations

import math

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
