"""This week's calls (SPEC §2): who is due, why now, and in what order, within what a teacher can do.

A student is due for one or more reasons; the first reason in `PRIORITIES` that holds decides where the
student stands, and the call sheet's 为什么现在打 names every reason that holds. Within a priority (and
for the routine calls that make up the rest) the order is the urgency: days waited since the last call
(since enrolment or the course start for a student never called) plus the segment's value in days
(segments.py). Each teacher's sheet holds at most `[plan] calls_per_week` students; the rest wait (顺延),
keep accumulating days and rise the next week.

From a course's end its students leave the regular plan: only agreed follow-ups, an open complaint and
the renewal follow-up after the end bring them back.

With `[plan] holdout_share` set, students drawn into the holdout (holdout.py) are left off while their
only reason is routine (`holdout_eligible`); any other reason brings them back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .alert_rules import RENEWAL_RULES, RULES, AlertContext, alert_masks, alert_texts
from .frames import days_between
from .history import MOVE_KINDS
from .segments import PENDING_CODE, segment_values
from .texts import day_text, join, series, where

# A student reached in the last few days is not called again for an alert, a missing score or a stale
# score: the next sheet would otherwise repeat this week's calls.
QUIET_DAYS = 7


@dataclass(frozen=True)
class Priority:
    code: str
    label: str  # Chinese, as the README table and the sheet's 说明 show it
    rule: str  # when it applies, one line


PRIORITIES: tuple[Priority, ...] = (
    Priority("first_contact", "新学员首次联系", "报名不超过 first_contact_days 天（默认 1）且从未回访"),
    # An open complaint is a promise already late (48 h): it goes before everything the teacher agreed later.
    Priority("complaint", "投诉未闭环", "回访里记下的投诉 48 小时后还没解决"),
    Priority("follow_up", "约定跟进", "最近一次回访约定的跟进日期已到"),
    # A student just handed over (pfk assign, pool claim) does not know the new teacher yet.
    Priority("handover", "新接手首次联系", "用 pfk assign 分配或从公海认领给这位老师后，还没联系上过"),
    Priority("pending", "待回访", "还没有 P 或 K 分（近 7 天打过电话的除外）"),
    Priority("serious", "严重预警", "满意度低等严重预警（alert_rules.py 里标为严重的规则）"),
    Priority("renewal", "续费阶段", "结课前 30/7/3 天、结课后 after_end_days 天内，本阶段还没谈过、未续费；一个月阶段按价值分到各周"),
    Priority("routine", "例行回访", "距上次回访满 cadence_days 天、P/K 超过 rescore_after_days 天未更新、其他预警（近 7 天打过电话的除外）"),
)
RANK = {p.code: number for number, p in enumerate(PRIORITIES)}
# Alerts with a priority of their own (complaint, follow_up, renewal); the others are serious or routine.
OWN_PRIORITY_RULES = {"complaint_open", "followup_overdue", *RENEWAL_RULES}
SERIOUS_RULES = tuple(r.code for r in RULES if r.serious and r.code not in OWN_PRIORITY_RULES)
ROUTINE_RULES = tuple(r.code for r in RULES if not r.serious and r.code not in OWN_PRIORITY_RULES)


@dataclass
class TeacherLoad:
    teacher: str
    students: int  # the teacher's students
    due: int  # due this week
    on_sheet: int  # on this week's sheet (at most the capacity)
    held_out: int = 0  # due for a routine call alone, but held out for the comparison (not in `due`)

    @property
    def waiting(self) -> int:
        """Due but left for next week (顺延)."""
        return self.due - self.on_sheet


@dataclass
class CallPlan:
    as_of: dt.date
    capacity: int
    # The students on the sheets, each teacher's together (`on_sheet` rows, in the order of `loads`),
    # in calling order: student_id name teacher phone segment priority why_now last_called last_note waited
    rows: object
    loads: list[TeacherLoad] = field(default_factory=list)


def build_plan(
    ctx: AlertContext, capacity: int, teachers: list[str] | None = None, reasons: dict | None = None, held_out=None
) -> CallPlan:
    """This week's calls for `teachers` (default: every teacher), at most `capacity` each.

    `reasons`: `due_reasons(ctx)` when the caller has them already. `held_out`: who is in the holdout
    now (a bool Series on the frame's index, holdout.py); they are left off while only routine holds.

    >>> plan = build_plan(ctx, 40)                       # doctest: +SKIP
    >>> plan.rows.loc[0, ["student_id", "priority"]].tolist()   # doctest: +SKIP
    ['DS2026031', 'first_contact']
    """
    import numpy as np
    import pandas as pd

    frame, as_of = ctx.frame, ctx.as_of
    reasons, due, rank, urgency = standing(ctx, reasons)
    left_off = pd.Series(False, index=frame.index)
    if held_out is not None:
        left_off = held_out.reindex(frame.index, fill_value=False).astype(bool) & holdout_eligible(reasons)
        due &= ~left_off

    chosen = sorted(frame["teacher"].dropna().unique().tolist()) if teachers is None else teachers
    # Each row's teacher as a place in `chosen` (-1: another teacher, or nobody): the few names
    # looked up once, not once per student.
    codes, names = pd.factorize(frame["teacher"])
    teacher_code = np.append(pd.Index(chosen).get_indexer(names), -1)[codes]
    keep = due & (teacher_code >= 0)
    positions = np.flatnonzero(keep.to_numpy())
    id_rank = pd.factorize(frame["student_id"].iloc[positions], sort=True)[0]
    order = np.lexsort((id_rank, -urgency.to_numpy()[positions], rank.to_numpy()[positions], teacher_code[positions]))
    positions = positions[order]
    # Each teacher's first `capacity` of the calling order.
    place = pd.Series(teacher_code[positions]).groupby(teacher_code[positions]).cumcount().to_numpy()
    on_sheet = positions[place < capacity]

    counts = frame["teacher"].value_counts()
    due_counts = frame["teacher"][keep].value_counts()
    sheet_counts = frame["teacher"].iloc[on_sheet].value_counts()
    held_counts = frame["teacher"][left_off].value_counts()
    loads = [
        TeacherLoad(t, int(counts.get(t, 0)), int(due_counts.get(t, 0)), int(sheet_counts.get(t, 0)), int(held_counts.get(t, 0)))
        for t in chosen
    ]
    rows = _rows(ctx, reasons, rank, on_sheet)
    return CallPlan(as_of, capacity, rows, loads)


def standing(ctx: AlertContext, reasons: dict | None = None):
    """Where every student stands in the calling order, due or not: (reasons — `due_reasons`, given
    or worked out, due — a bool Series, rank — the first priority that holds, len(PRIORITIES) when
    none does, urgency — days waited + the segment's value), each on the frame's index."""
    import pandas as pd

    reasons = reasons if reasons is not None else due_reasons(ctx)
    due = pd.concat(reasons.values(), axis=1).any(axis=1)
    rank = pd.Series(len(PRIORITIES), index=ctx.frame.index)
    for code in reversed(list(reasons)):
        rank = rank.where(~reasons[code], RANK[code])
    # Nobody answers: trying first every week would crowd out those who do. They wait with the
    # routine calls (and go to the public pool, pool.py), unless a promise is at stake.
    unreachable = _unreachable(ctx)
    rank = rank.where(~(unreachable & rank.isin([RANK["first_contact"], RANK["pending"], RANK["serious"]])), RANK["routine"])
    urgency = _waited(ctx) + segment_values(ctx.frame["segment"])
    return reasons, due, rank, urgency


def calling_order(ctx: AlertContext):
    """Every student's row position, best first, in the order one teacher's sheet lists them (the due
    ones by priority, then the rest; then urgency, then student ID): whom to take first (pfk pool claim)."""
    import numpy as np
    import pandas as pd

    _, _, rank, urgency = standing(ctx)
    id_rank = pd.factorize(ctx.frame["student_id"], sort=True)[0]
    return np.lexsort((id_rank, -urgency.to_numpy(), rank.to_numpy()))


def due_reasons(ctx: AlertContext) -> dict[str, object]:
    """Priority code → who it holds for (a bool Series on the frame's index), in `PRIORITIES` order."""
    import pandas as pd

    frame, facts, config, as_of = ctx.frame, ctx.callbacks, ctx.config, ctx.as_of
    plan = config.plan
    masks = alert_masks(ctx)
    regular = ctx.in_course
    waited = days_between(as_of, facts["last_called"])
    quiet = waited < QUIET_DAYS
    never_called = facts["last_called"].isna()
    enrolled = days_between(as_of, frame["enrolled_on"])
    pending = frame["segment"] == PENDING_CODE

    def any_of(codes):
        return pd.concat([masks[c] for c in codes], axis=1).any(axis=1) if codes else pd.Series(False, index=frame.index)

    stale = (waited >= config.callbacks.cadence_days) | (never_called & ~pending)
    rescore = _score_age(ctx) > plan.rescore_after_days
    return {
        "first_contact": regular & never_called & (enrolled >= 0) & (enrolled <= plan.first_contact_days),
        "complaint": masks["complaint_open"],
        "follow_up": days_between(as_of, facts["follow_up"]) >= 0,
        "handover": handed_over(ctx),
        "pending": regular & pending & ~quiet,
        "serious": any_of(SERIOUS_RULES),
        "renewal": _spread_renewal(ctx, any_of(RENEWAL_RULES)),
        "routine": regular & (stale | (~quiet & (rescore | any_of(ROUTINE_RULES)))),
    }


def handed_over(ctx: AlertContext):
    """Given to the teacher who holds them now by a move that stands (pfk assign, pool claim: `moved_on`,
    `move` from pool.place_students) and not reached since: a bool Series on the frame's index."""
    import pandas as pd

    frame = ctx.frame
    if "move" not in frame:
        return pd.Series(False, index=frame.index)
    last_called = ctx.callbacks["last_called"]
    not_since = last_called.isna() | (last_called.dt.normalize() < frame["moved_on"])
    return ctx.in_course & frame["move"].isin(("assign", "claim")).fillna(False) & frame["teacher"].notna() & not_since


def holdout_eligible(reasons: dict):
    """Who may be held out for the comparison: due for a routine call and for nothing else — never a
    new student, an open complaint, an agreed follow-up, a missing score (待回访), a serious alert or a
    renewal stage. A bool Series on the frame's index."""
    import pandas as pd

    others = pd.concat([mask for code, mask in reasons.items() if code != "routine"], axis=1).any(axis=1)
    return reasons["routine"] & ~others


def _score_age(ctx: AlertContext):
    """Days since the older of the student's P and K were scored (NaN when not both are dated)."""
    import numpy as np
    import pandas as pd

    scored = ctx.callbacks
    return days_between(ctx.as_of, pd.Series(np.minimum(scored["P_on"].to_numpy(), scored["K_on"].to_numpy()), index=scored.index))


def _unreachable(ctx: AlertContext):
    """Whether each student has not answered unreachable_after calls in a row (a bool Series)."""
    return ctx.callbacks["failed_in_a_row"] >= ctx.config.plan.unreachable_after


def _waited(ctx: AlertContext):
    """Days since the last call; never called: since enrolment or the course start (the later);
    neither known: one cadence."""
    as_of = ctx.as_of
    waited = days_between(as_of, ctx.callbacks["last_called"])
    waited = waited.fillna(days_between(as_of, ctx.started).clip(lower=0))
    return waited.fillna(ctx.config.callbacks.cadence_days)


def _spread_renewal(ctx: AlertContext, renewal):
    """The month-before stage is spread over its weeks, most valuable first: each week a teacher takes
    the share of the stage's students not yet reached that its remaining weeks call for. The later
    stages (a week, three days, after the end) are short: all of them at once."""
    import numpy as np
    import pandas as pd

    month = renewal & (ctx.days_left >= 8)
    if not month.any():
        return renewal
    frame = ctx.frame
    weeks = np.ceil((ctx.days_left[month] - 7) / 7).clip(lower=1)
    value = segment_values(frame["segment"])
    candidates = pd.DataFrame(
        {
            "teacher": frame["teacher"][month],
            "end": ctx.courses["end"][month],
            "weeks": weeks,
            "urgency": (value + _waited(ctx))[month],
            "student_id": frame["student_id"][month],
        }
    ).sort_values(["urgency", "student_id"], ascending=[False, True])
    group = candidates.groupby(["teacher", "end"], dropna=False, sort=False)
    place = group.cumcount()
    quota = np.ceil(group["student_id"].transform("size") / candidates["weeks"])
    later = candidates.index[place >= quota]
    return renewal & ~renewal.index.isin(later)


def _rows(ctx: AlertContext, reasons: dict, rank, positions):
    """The sheet rows at `positions` (in calling order), with the "why now" text of every reason."""
    import pyarrow as pa
    import pyarrow.compute as pc

    frame, facts, config, as_of = ctx.frame, ctx.callbacks, ctx.config, ctx.as_of
    picked = frame.iloc[positions]
    sub = AlertContext(picked, config, as_of, facts.iloc[positions], ctx.ratings)
    held = {code: mask.iloc[positions].to_numpy() for code, mask in reasons.items()}
    waited = days_between(as_of, sub.callbacks["last_called"])
    score_age = _score_age(sub)
    nothing = pa.scalar(None, pa.string())

    def part(mask, text):
        return where(mask, text, nothing)

    def texts(codes):
        """The alert texts of these rules (missing where none fired)."""
        return pa.array(alert_texts(sub, codes), pa.string(), from_pandas=True)

    first_days = config.plan.first_contact_days
    first_text = "新学员：24 小时内首次联系" if first_days <= 1 else f"新学员：报名 {first_days} 天内首次联系"
    follow = sub.callbacks["follow_up"]
    follow_text = where(
        days_between(as_of, follow) == 0,
        join("约定今天（", pc.fill_null(day_text(follow, month_day=True), ""), "）跟进"),
        join("约定 ", pc.fill_null(day_text(follow, month_day=True), ""), " 跟进，已过 ",
             pc.fill_null(pa.array(days_between(as_of, follow).fillna(0).astype("int64")).cast(pa.string()), ""), " 天"),
    )
    never = sub.callbacks["last_called"].isna().to_numpy()
    undated = never & (picked["segment"] != PENDING_CODE).to_numpy()
    stale = waited.to_numpy() >= config.callbacks.cadence_days
    rescore = (score_age > config.plan.rescore_after_days).to_numpy()
    whole = pa.array(waited.fillna(0).astype("int64")).cast(pa.string())
    age = pa.array(score_age.fillna(0).astype("int64")).cast(pa.string())
    unreachable = _unreachable(sub).to_numpy()
    failed = pa.array(sub.callbacks["failed_in_a_row"].astype("int64")).cast(pa.string())
    why = pc.binary_join_element_wise(
        part(unreachable, join("联系不上：已连续 ", failed, " 次没接通，先发微信约个时间")),
        part(held["first_contact"], first_text),
        part(held["complaint"], texts(("complaint_open",))),
        part(held["follow_up"], follow_text),
        part(held["handover"], join("新接手：", pc.fill_null(day_text(picked["moved_on"], month_day=True), ""), " ",
                                    pa.array(picked["move"].map(MOVE_KINDS), pa.string(), from_pandas=True),
                                    "给你，还没联系过：先介绍自己、了解情况")) if "move" in picked else nothing,
        part(held["pending"] & never, "从未回访：先了解情况，打 P、K 分"),
        part(held["pending"] & ~never, "P/K 还不完整：补打分"),
        part(held["serious"], texts(SERIOUS_RULES)),
        part(held["renewal"], texts(RENEWAL_RULES)),
        part(held["routine"] & stale & ~never, join("距上次回访 ", whole, f" 天（≥{config.callbacks.cadence_days} 天）")),
        part(held["routine"] & undated, "有 P/K 分但没有回访日期：按周期回访"),
        part(held["routine"] & rescore, join("P/K 已 ", age, f" 天未更新（>{config.plan.rescore_after_days} 天）：重新打分")),
        part(held["routine"], texts(ROUTINE_RULES)),
        "；",
        null_handling="skip",
    )
    rows = picked[["student_id", "name", "teacher", "phone", "segment"]].reset_index(drop=True)
    rows["priority"] = [PRIORITIES[r].code for r in rank.iloc[positions].tolist()]
    rows["why_now"] = series(why, rows.index)
    rows["last_called"] = sub.callbacks["last_called"].to_numpy()
    rows["last_note"] = sub.callbacks["last_note"].to_numpy()
    rows["waited"] = _waited(sub).to_numpy()
    return rows
