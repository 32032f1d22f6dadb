"""Early warnings (seeds 002/003): who is slipping now, and whose renewal talk is due — pure rules.

Each rule is declared once in `RULES` with a stable code, a Chinese label, a suggested action and a
function that finds its students over the whole classified frame at once, returning a mask and
a "why" text with the numbers. Thresholds come from pfk.toml [alerts] and [plan]. Missing data never
raises an alert by itself: a blank cell is skipped.

From a course's end its students leave the regular watch: no inactive, behind-pace, fast-forward or
satisfaction alerts; only the renewal follow-up after the end and agreed follow-ups.

| code | fires when |
| --- | --- |
| complaint_open | a complaint (问题类型 投诉) still unresolved 2 days (48 h) after the call that raised it |
| inactive | days since last_active ≥ inactive_days (7); never active: days since course start or enrolment |
| behind_pace | F < behind_pace_share (0.5) × the F released by the as-of date, after pace_grace_days (7) |
| low_satisfaction | satisfaction < low_satisfaction_below (3), and the previous recorded rating too |
| fast_forward | fast-forwarded share > fast_forward_share (0.5) |
| renewal_30d / _7d / _3d | 8–30 / 4–7 / 0–3 days before the end, not yet reached in that stage, not renewed |
| renewal_after | 1–after_end_days (14) days after the end, not reached since the end, not renewed |
| followup_overdue | the newest callback's follow-up date has passed |
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from .calls import COMPLAINT_CLOSE_DAYS
from .config import Config
from .frames import days_between
from .model import renewed, shown, student_courses
from .texts import arrow, day_text, join, series, where

ALERT_FIELDS = ("student_id", "name", "teacher", "code", "label", "why", "action")


@dataclass
class AlertContext:
    """What every rule reads: the classified students, the settings, the day, and what the history
    knows of them — a pure input, so the rules are the same wherever they run."""

    frame: object  # pandas.DataFrame: the classified students (frames.complete + classify_frame)
    config: Config
    as_of: dt.date
    callbacks: object  # history.newest_callbacks of `frame`
    ratings: object  # history.ratings_before `as_of`: each student's earlier rating

    @cached_property
    def courses(self):
        """Each student's course settings and dates (model.student_courses)."""
        return student_courses(self.frame, self.config)

    @cached_property
    def started(self):
        """Since when each student has been on the course: the later of its start and the enrolment,
        either may be blank (NaT when both are). A student never called or never active counts from it."""
        import numpy as np
        import pandas as pd

        joined = self.frame["enrolled_on"]
        if "first_seen" in self.frame:  # no enrolment date: the first snapshot that held the student
            joined = joined.fillna(self.frame["first_seen"])
        return pd.Series(np.fmax(self.courses["start"].to_numpy(), joined.to_numpy()), index=self.frame.index)

    @cached_property
    def days_left(self):
        """Days from the as-of date to the course end (negative after it; NaN when unknown)."""
        return days_between(self.courses["end"], self.as_of)

    @cached_property
    def left(self):
        """Students marked as having left the course (学员状态 退课, 退费 …: outcomes.left_course)."""
        import pandas as pd

        from .outcomes import left_course

        return left_course(self.frame["status"]) if "status" in self.frame else pd.Series(False, index=self.frame.index)

    @cached_property
    def in_course(self):
        """Students still in their course (or with no end date known) and not marked as having left it:
        the regular watch applies."""
        return ~(self.days_left < 0) & ~self.left


@dataclass(frozen=True)
class AlertRule:
    code: str
    label: str
    action: str
    # → (bool mask on frame.index, why): `why(rows)` gives the text for the masked rows only, since a
    # rule fires for a fraction of a school and text is the costly part.
    find: Callable[[AlertContext], tuple[object, Callable[[object], object]]]


def _num(values):
    """`0.657` → `0.66`, `2.0` → `2`, a whole column at a time, rounded as every output rounds."""
    import pyarrow as pa

    return arrow(shown(values)).cast(pa.string())


def _int_text(values):
    """Whole numbers held as floats (day counts), as text: `12.0` → `12`."""
    import pyarrow as pa

    return arrow(values.astype("float64")).cast(pa.int64()).cast(pa.string())


def learning_gap(ctx: AlertContext):
    """Since when each student has not studied: the last learning day, or for a student who never
    studied (where the roster or the log says what was learnt) the course start or enrolment, the
    later; NaT where it is not known. Returns (that day, whether the student never studied). The
    inactive alert and the public pool (pool.py) both count from it."""
    frame = ctx.frame
    last = frame["last_active"]
    # Never active: no learning record at all, where the roster or the log says what was learnt.
    never = last.isna() & frame["activity_known"].fillna(False).astype(bool)
    return last.fillna(ctx.started.where(never)), never


def rhythm_of(ctx: AlertContext):
    """Each student's rhythm in days (risk.rhythm_days, stored with the snapshot); a snapshot of an
    older pfk has none: [alerts] inactive_days."""
    days = float(ctx.config.alerts.inactive_days)
    if "rhythm_days" not in ctx.frame:
        import pandas as pd

        return pd.Series(days, index=ctx.frame.index)
    return ctx.frame["rhythm_days"].fillna(days).clip(lower=days)


def _inactive(ctx: AlertContext):
    last = ctx.frame["last_active"]
    seen, never = learning_gap(ctx)
    days = days_between(ctx.as_of, seen)
    mask = ctx.in_course & (days >= rhythm_of(ctx))

    def why(rows):
        seen = join("已连续 ", _int_text(days[rows]), " 天没有学习记录（最近一次 ", day_text(last[rows]), "）")
        unseen = join("从未学习（开课或报名已 ", _int_text(days[rows]), " 天）")
        return where(never[rows], unseen, seen)

    return mask, why


def _behind_pace(ctx: AlertContext):
    frame = ctx.frame
    share = ctx.config.alerts.behind_pace_share
    expected = frame["expected_f"]
    settled = days_between(ctx.as_of, ctx.courses["start"]) >= ctx.config.thresholds.pace_grace_days
    mask = ctx.in_course & settled & (expected > 0) & (frame["F"] < share * expected)

    def why(rows):
        return join(
            "F=", _num(frame["F"][rows]), "，按进度到今天应达 ", _num(expected[rows]),
            f"，不到其 {share:.0%}（", _num(share * expected[rows]), "）",
        )

    return mask, why


def _low_satisfaction(ctx: AlertContext):
    import pyarrow.compute as pc

    frame = ctx.frame
    below = ctx.config.alerts.low_satisfaction_below
    rating = frame["satisfaction"]
    earlier = ctx.ratings.set_index("student_id").reindex(frame["student_id"])
    before = earlier["satisfaction"].set_axis(frame.index)
    before_on = earlier["rated_on"].set_axis(frame.index)
    # "Twice in a row" where a history of ratings exists; with none, one low rating is enough.
    mask = ctx.in_course & (rating < below) & (before.isna() | (before < below))

    def why(rows):
        now, earlier = rating[rows], before[rows]
        once = join("满意度 ", _num(now), f" 星，低于 {below:g} 星")
        if earlier.isna().all():
            return once
        twice = join(
            f"满意度连续两次低于 {below:g} 星（本次 ", _num(now), " 星，",
            pc.fill_null(day_text(before_on[rows], month_day=True), ""), " 为 ", _num(earlier.fillna(0)), " 星）",
        )
        return where(earlier.isna(), once, twice)

    return mask, why


def _fast_forward(ctx: AlertContext):
    share = ctx.config.alerts.fast_forward_share
    value = ctx.frame["fast_forward"]
    mask = ctx.in_course & (value > share)

    def why(rows):
        return join("视频快进比例 ", _int_text((value[rows] * 100).round()), f"%，超过 {share:.0%}")

    return mask, why


# Renewal stages (seed 003): days left to the course end (first, last), both included; negative is after the end.
RENEWAL_STAGES = {"renewal_30d": (30, 8), "renewal_7d": (7, 4), "renewal_3d": (3, 0)}


def renewal_stages(config: Config) -> dict[str, tuple[int, int]]:
    """Every renewal stage in order, code → (first, last) days left: those before the end, then
    renewal_after (1 to [plan] after_end_days days after it)."""
    return {**RENEWAL_STAGES, "renewal_after": (-1, -config.plan.after_end_days)}


def _renewal(code: str) -> Callable[[AlertContext], tuple[object, object]]:
    """In the stage, not renewed, and not reached since the stage began: one talk per stage."""

    def find(ctx: AlertContext):
        first, last = renewal_stages(ctx.config)[code]
        days, end = ctx.days_left, ctx.courses["end"]
        stage_began = days_between(ctx.callbacks["last_called"], end) >= -first  # reached on or after end − first
        mask = (days <= first) & (days >= last) & ~stage_began & ~renewed(ctx.frame) & ~ctx.left

        def why(rows):
            left, ends = days[rows], day_text(end[rows])
            if code not in RENEWAL_STAGES:
                return join("已结课 ", _int_text(-left), " 天（", ends, " 结课），还没有续费")
            text = join("距课程结束还有 ", _int_text(left), " 天（", ends, " 结课）")
            return where(left != 0, text, join("今天课程结束（", ends, "）"))

        return mask, why

    return find


def _complaint_open(ctx: AlertContext):
    """A complaint (问题类型 投诉) not resolved within COMPLAINT_CLOSE_DAYS of the call that raised it —
    after the course's end too: a promise made is kept."""
    opened = ctx.callbacks["complaint_on"]
    days = days_between(ctx.as_of, opened)
    mask = days >= COMPLAINT_CLOSE_DAYS

    def why(rows):
        return join(day_text(opened[rows]), " 提出的投诉已过 ", _int_text(days[rows]), " 天还没解决（要求 48 小时闭环）")

    return mask, why


def _followup_overdue(ctx: AlertContext):
    import pyarrow.compute as pc

    follow, called = ctx.callbacks["follow_up"], ctx.callbacks["last_called"]
    days = days_between(ctx.as_of, follow)
    mask = days > 0

    def why(rows):
        text = join("约定 ", day_text(follow[rows]), " 跟进，已过 ", _int_text(days[rows]), " 天")
        on = called[rows]
        return where(on.isna(), text, join(text, "（", pc.fill_null(day_text(on, month_day=True), ""), " 回访时约定）"))

    return mask, why


RULES: tuple[AlertRule, ...] = (
    AlertRule("complaint_open", "投诉未闭环", "今天就回电：说明处理进展和解决方案，解决后在回访表里把「是否解决」选「是」", _complaint_open),
    AlertRule("inactive", "连续未学习", "先发关怀消息，再电话回访：了解是遇到学习困难还是外部干扰，约一个本周能完成的小目标", _inactive),
    AlertRule("behind_pace", "进度严重落后", "了解卡在哪一步，和学员约定补进度的计划，优先补作业", _behind_pace),
    AlertRule("low_satisfaction", "满意度低", "请服务主管介入，了解不满意的原因；必要时协调更换老师或给出补偿方案", _low_satisfaction),
    AlertRule("fast_forward", "快进过多", "课程可能偏简单或枯燥：推送进阶学习资料，并收集他对课程内容的反馈", _fast_forward),
    AlertRule("renewal_30d", "续费沟通（结课前一个月）", "开始续费沟通：总结这段时间的学习成果和提升空间，说明后续课程能解决什么问题", _renewal("renewal_30d")),
    AlertRule("renewal_7d", "续费提醒（结课前一周）", "再次沟通续费：回应他的顾虑，说明续费福利和后续安排", _renewal("renewal_7d")),
    AlertRule("renewal_3d", "续费最后提醒（结课前三天）", "最后一次续费提醒：确认意向，不续也问清原因，并介绍老带新活动", _renewal("renewal_3d")),
    AlertRule("renewal_after", "结课后续费跟进", "课程已结束：问问收获和后续打算，没续费的问清原因，留好后续联系", _renewal("renewal_after")),
    AlertRule("followup_overdue", "跟进逾期", "约好的跟进已过期：今天补打这个电话，并重新约定下次跟进日期", _followup_overdue),
)
RULE_BY_CODE = {rule.code: rule for rule in RULES}
RENEWAL_RULES = (*RENEWAL_STAGES, "renewal_after")


def rules_text(config: Config) -> list[str]:
    """The thresholds in force, one line per rule, printed with every run."""
    a = config.alerts
    return [
        "投诉未闭环：回访里记下的投诉，48 小时后还没标为已解决",
        f"连续未学习：最近学习时间距今 ≥ {a.inactive_days} 天，或课程节奏更慢时（只记作业的平台）≥ 两次作业的间隔（从未学习的，从开课或报名算起）",
        f"进度严重落后：F < {a.behind_pace_share:g} × 按进度应达的 F（开课 {config.thresholds.pace_grace_days} 天后）",
        f"满意度低：满意度 < {a.low_satisfaction_below:g} 星（有历史评分时须连续两次）",
        f"快进过多：快进比例 > {a.fast_forward_share:.0%}",
        f"续费：结课前 8–30 天、4–7 天、0–3 天各谈一次，结课后 {config.plan.after_end_days} 天内再跟进一次（已续费的不再提醒）",
        "跟进逾期：最近一次回访约定的跟进日期已过，且之后没有新的回访",
        "已结课的学员不再提示连续未学习、进度落后、快进和满意度",
    ]


def find_alerts(ctx: AlertContext):
    """Every alert for every student: one row per (student, rule), with columns
    student_id, name, teacher, code, label, why, action — grouped by teacher (in roster order),
    then by student, then in the order of `RULES`.

    >>> find_alerts(ctx).loc[0, ["code", "why"]].tolist()  # doctest: +SKIP
    ['inactive', '已连续 12 天没有学习记录（最近一次 2026-11-11）']
    """
    import pandas as pd

    frame = ctx.frame
    position, rule, why = _alert_rows(ctx)
    if not len(position):
        return pd.DataFrame({name: pd.Series(dtype="str") for name in ALERT_FIELDS})
    who = frame[["student_id", "name", "teacher"]].iloc[position].reset_index(drop=True)
    return pd.DataFrame(
        {
            **{name: who[name] for name in who.columns},
            "code": _per_rule(rule, lambda r: r.code),
            "label": _per_rule(rule, lambda r: r.label),
            "why": why.to_pandas(),
            "action": _per_rule(rule, lambda r: r.action),
        },
        columns=list(ALERT_FIELDS),
    )


def alert_masks(ctx: AlertContext) -> dict[str, object]:
    """Rule code → who it fires for (a bool Series on the frame's index), for every rule."""
    return {rule.code: rule.find(ctx)[0].fillna(False).astype(bool) for rule in RULES}


def alert_texts(ctx: AlertContext, codes=None):
    """Each student's alerts (of the rules `codes`, default all) as one text
    (`连续未学习：已连续 12 天…；跟进逾期：…`), a text Series on the frame's index, missing for a student without any."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    frame = ctx.frame
    position, rule, why = _alert_rows(ctx, codes)
    texts = pa.nulls(len(frame), pa.string())
    if len(position):
        lines = pc.binary_join_element_wise(_per_rule(rule, lambda r: f"{r.label}：", as_arrow=True), why, "")
        # The rows come grouped by student: one list of lines per student, joined by Arrow in one call.
        starts = np.flatnonzero(np.r_[True, position[1:] != position[:-1]])
        per_student = pa.ListArray.from_arrays(pa.array(np.r_[starts, len(position)], pa.int32()), lines)
        # Each row takes its student's text; a row without alerts takes nothing (a null index).
        which = np.full(len(frame), -1)
        which[position[starts]] = np.arange(len(starts))
        texts = pc.binary_join(per_student, "；").take(pa.array(which, mask=which < 0))
    return series(texts, frame.index)


def _alert_rows(ctx: AlertContext, codes=None):
    """Every alert as (row position in the frame, rule number, why — an Arrow string array), ordered by
    teacher (in roster order), then student, then rule. Only the alerted rows are ever taken."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    positions, rules, whys = [], [], []
    for number, rule in enumerate(RULES):
        if codes is not None and rule.code not in codes:
            continue
        mask, why = rule.find(ctx)
        mask = mask.fillna(False).astype(bool)  # a blank value never raises an alert
        if not mask.any():
            continue
        positions.append(np.flatnonzero(mask.to_numpy()))
        rules.append(np.full(len(positions[-1]), number))
        whys.append(why(mask).cast(pa.string()))
    if not positions:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64), pa.array([], pa.string())
    position, rule = np.concatenate(positions), np.concatenate(rules)
    teacher_rank = pd.factorize(ctx.frame["teacher"])[0]
    order = np.lexsort((rule, position, teacher_rank[position]))
    return position[order], rule[order], pa.concat_arrays(whys).take(pa.array(order))


def _per_rule(rule, text, as_arrow: bool = False):
    """`text(RULES[n])` for each rule number `n`, as text."""
    import pyarrow as pa

    values = pa.array([text(r) for r in RULES], pa.string()).take(pa.array(rule))
    return values if as_arrow else values.to_pandas()
