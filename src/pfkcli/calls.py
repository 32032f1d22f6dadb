"""What a teacher records about a call, declared once: its outcome, a problem raised, and the 1–5
scales P and K are scored on (the scales' texts are the team's, in pfk.toml [scale]).

Only a reached outcome makes a callback (it counts for coverage, the cadence and the effect of
calls); the others are attempts, kept in the history and shown by `pfk history`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    label: str  # as the drop-down shows it and the teacher picks it
    reached: bool  # a conversation took place


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("已接通", True),
    Outcome("微信沟通", True),
    Outcome("未接通", False),
    Outcome("拒接", False),
    Outcome("号码错误", False),
    Outcome("关机停机", False),
)
OUTCOME_BY_LABEL = {outcome.label: outcome for outcome in OUTCOMES}
# A row filled without an outcome (scores or a note only) was a conversation: the sheets before
# outcomes existed, and a teacher who skips the column.
DEFAULT_OUTCOME = OUTCOMES[0]

PROBLEM_TYPES: tuple[str, ...] = ("课程内容", "学习时间", "技术问题", "投诉", "退费", "其他")
COMPLAINT = "投诉"
# A complaint is closed within this many days of the call that raised it (seed 002: 48 小时闭环).
COMPLAINT_CLOSE_DAYS = 2
RESOLVED_CHOICES = {"是": True, "否": False}
