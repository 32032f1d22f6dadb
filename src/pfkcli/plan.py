"""This week's calls (SPEC §2, issue 27): promises first, then the students a call can still help, by what
is at stake — within what a teacher can do.

1. **Promises**, in this order, and never taken off a sheet by capacity, the holdout or the pool: a new
   student's first contact, an open complaint, an agreed follow-up, a handover (`PROMISES`). A promise
   to a student nobody can reach stays on, with 联系不上 said.
2. **The rest of the week's places** (`[plan] calls_per_week` less the promises) go to the students due
   for any other reason, by what a call can change (`risk.call_value`: risk × the chance a call reaches
   them × how much is still open × the segment's weight): the students at risk (`[risk] at_risk`, 25 %),
   the renewal stages, the students without P/K (待回访), the routine calls (cadence, stale scores).
   A renewal call's stake is the renewal: it counts as `RENEWAL_STAKE` of risk, and renewal calls take
   at most `[plan] renewal_share` of the places — except in the last stage (three days before the end
   and after it). A student without P/K counts at least `PENDING_STAKE`, a routine call `ROUTINE_STAKE`:
   a pending student who learns well waits behind one who is slipping; a student doing well, recently
   scored, waits longest. The rest wait (顺延).
3. With `[plan] holdout_share` set, a random share of the students the plan would call for a reason that
   is not a promise is left off for the round, and their places go to the next in line (holdout.py).

A student reached in the last `QUIET_DAYS` days is not called again for anything but a promise. From a
course's end its students leave the regular plan: only the promises and the renewal follow-up after
the end bring them back. A student in a renewal stage who never started is called about the next
cohort (转下期, seed 001) instead of a renewal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .alert_rules import RENEWAL_RULES, AlertContext, alert_masks, learning_gap
from .frames import days_between
from .history import MOVE_KINDS
from .segments import PENDING_CODE

# A student reached in the last few days is not called again but for a promise: the next sheet would
# otherwise repeat this week's calls.
QUIET_DAYS = 7
# What a call counts for when it is not about the risk (README › This week's plan): a renewal talk as a
# student at this risk; a student without P/K (a first real talk) at least this; a routine call this.
RENEWAL_STAKE = 0.3
PENDING_STAKE = 0.25
ROUTINE_STAKE = 0.05
# A new student not yet reached stays a first contact (a promise) for this many days after enrolling.
FIRST_CONTACT_WINDOW = 7


@dataclass(frozen=True)
class Priority:
    code: str
    label: str  # Chinese, as the README table and the sheet's 说明 show it
    rule: str  # when it applies, one line


PRIORITIES: tuple[Priority, ...] = (
    Priority("first_contact", "新学员首次联系", "报名不超过 first_contact_days 天（默认 1）且从未回访；没有报名日期时，按第一次出现在名单上的日子算"),
    # An open complaint is a promise already late (48 h): it goes before everything the teacher agreed later.
    Priority("complaint", "投诉未闭环", "回访里记下的投诉 48 小时后还没解决"),
    Priority("follow_up", "约定跟进", "最近一次回访约定的跟进日期已到"),
    # A student just handed over (pfk assign, pool claim) does not know the new teacher yet.
    Priority("handover", "新接手首次联系", "用 pfk assign 分配或从公海认领给这位老师后，还没联系上过"),
    Priority("at_risk", "流失风险", "流失风险 ≥ [risk] at_risk（默认 25%）：按「风险 × 接通机会 × 还来得及 × 分层权重」排"),
    Priority("renewal", "续费阶段", "结课前 30/7/3 天、结课后 after_end_days 天内，本阶段还没谈过、未续费；最多占每周名额的 renewal_share（最后阶段除外）"),
    Priority("pending", "待回访", "还没有 P 或 K 分（近 7 天打过电话的除外）"),
    Priority("routine", "例行回访", "距上次回访满 cadence_days 天、P/K 超过 rescore_after_days 天未更新（近 7 天打过电话的除外）"),
)
RANK = {p.code: number for number, p in enumerate(PRIORITIES)}
PROMISES = ("first_contact", "complaint", "follow_up", "handover")
# The last renewal stages, which no share limits: three days before the end, and after it.
LAST_STAGES = ("renewal_3d", "renewal_after")


@dataclass
class TeacherLoad:
    teacher: str
    students: int  # the teacher's students
    due: int  # due this week
    on_sheet: int  # on this week's sheet (the promises, and at most the capacity in all)
    held_out: int = 0  # would have been on the sheet, held out for the comparison (not in `due`)
    promises: int = 0  # of `on_sheet`, the promises

    @property
    def waiting(self) -> int:
        """Due but left for next week (顺延)."""
        return max(0, self.due - self.on_sheet)


@dataclass
class CallPlan:
    as_of: dt.date
    capacity: int
    # The students on the sheets, each teacher's together (`on_sheet` rows, in the order of `loads`),
    # in calling order: student_id name teacher phone segment priority why_now last_called last_note
    # waited risk basis
    rows: object
    loads: list[TeacherLoad] = field(default_factory=list)


@dataclass
class Standing:
    """Where every student stands, due or not (pandas objects on the frame's index)."""

    reasons: dict  # priority code → bool Series (`due_reasons`)
    due: object  # any reason holds
    rank: object  # the first priority that holds, len(PRIORITIES) for none
    value: object  # what a call can change (risk.call_value, with the stakes above); promises: their rank decides
    estimate: object  # risk.Estimate
    capped: object  # a renewal call the share limits


def build_plan(ctx: AlertContext, capacity: int, teachers: list[str] | None = None, conn=None, previous=None, texts: bool = True) -> CallPlan:
    """This week's calls for `teachers` (default: every teacher): each teacher's promises, then at most
    `capacity` calls in all. `conn`: the history, where the holdout draws are kept (None: no holdout).
    `previous`: the previous snapshot's student_id, F, expected_f (risk.estimate). `texts` False: the
    rows hold student_id and teacher alone, in calling order (pfk messages wants the order, not the words).

    >>> plan = build_plan(ctx, 40)                       # doctest: +SKIP
    >>> plan.rows.loc[0, ["student_id", "priority"]].tolist()   # doctest: +SKIP
    ['DS2026031', 'first_contact']
    """
    import numpy as np
    import pandas as pd

    frame, config = ctx.frame, ctx.config
    standing = stand(ctx, previous)
    chosen = sorted(frame["teacher"].dropna().unique().tolist()) if teachers is None else teachers
    codes, names = pd.factorize(frame["teacher"])
    teacher_code = np.append(pd.Index(chosen).get_indexer(names), -1)[codes]
    due = standing.due.to_numpy() & (teacher_code >= 0)
    order = _calling_order(frame, standing, teacher_code, due)
    promise = standing.rank.to_numpy()[order] < len(PROMISES)
    teacher_of = teacher_code[order]
    # The renewal share: each teacher's capped renewal calls beyond it wait.
    capped = standing.capped.to_numpy()[order]
    limit = int(np.floor(config.plan.renewal_share * capacity))
    place_capped = pd.Series(capped.astype(int)).groupby(teacher_of).cumsum().to_numpy()
    allowed = ~(capped & (place_capped > limit))
    promises = pd.Series(promise).groupby(teacher_of).sum()
    slots = {chosen[t]: max(0, capacity - int(promises.get(t, 0))) for t in range(len(chosen))}
    candidates = order[~promise & allowed]
    held = set()
    if conn is not None and config.plan.holdout_share > 0 and len(candidates):
        from .holdout import held_out_at_margin

        ranked = pd.DataFrame({"student_id": frame["student_id"].to_numpy()[candidates], "teacher": np.asarray(chosen, dtype=object)[teacher_code[candidates]],
                               "segment": frame["segment"].to_numpy()[candidates]})
        held = held_out_at_margin(conn, ranked, slots, ctx.as_of, config)
    left_off = np.zeros(len(frame), dtype=bool)
    if held:
        left_off = frame["student_id"].isin(held).to_numpy() & ~(standing.rank.to_numpy() < len(PROMISES))
    keep_order = order[~left_off[order]]
    promise = standing.rank.to_numpy()[keep_order] < len(PROMISES)
    teacher_of = teacher_code[keep_order]
    capped = standing.capped.to_numpy()[keep_order]
    place_capped = pd.Series(capped.astype(int)).groupby(teacher_of).cumsum().to_numpy()
    allowed = ~(capped & (place_capped > limit))
    other_place = pd.Series((~promise & allowed).astype(int)).groupby(teacher_of).cumsum().to_numpy()
    slot_of = np.array([slots[chosen[t]] for t in teacher_of], dtype=int) if len(teacher_of) else np.zeros(0, int)
    on_sheet_mask = promise | (allowed & (other_place <= slot_of))
    on_sheet = keep_order[on_sheet_mask]
    # Each teacher's rows together, promises first, in the calling order.
    on_sheet = on_sheet[np.argsort(teacher_code[on_sheet], kind="stable")]

    teacher = frame["teacher"]
    counts = teacher.value_counts()
    due_mask = pd.Series(due & ~left_off, index=frame.index)
    due_counts = teacher[due_mask].value_counts()
    sheet_counts = teacher.iloc[on_sheet].value_counts()
    held_counts = teacher[pd.Series(left_off, index=frame.index)].value_counts()
    promise_counts = teacher.iloc[on_sheet][standing.rank.iloc[on_sheet] < len(PROMISES)].value_counts()
    loads = [
        TeacherLoad(t, int(counts.get(t, 0)), int(due_counts.get(t, 0)), int(sheet_counts.get(t, 0)), int(held_counts.get(t, 0)),
                    int(promise_counts.get(t, 0)))
        for t in chosen
    ]
    rows = _rows(ctx, standing, on_sheet) if texts else frame[["student_id", "teacher"]].iloc[on_sheet].reset_index(drop=True)
    return CallPlan(ctx.as_of, capacity, rows, loads)


def _calling_order(frame, standing: Standing, teacher_code, due):
    """Row positions of the due students of the chosen teachers: by teacher, promises in their order,
    then the rest by what a call can change, then student ID."""
    import numpy as np
    import pandas as pd

    positions = np.flatnonzero(due)
    rank = standing.rank.to_numpy()[positions]
    promise_rank = np.where(rank < len(PROMISES), rank, len(PROMISES))
    value = np.where(rank < len(PROMISES), 0.0, standing.value.to_numpy()[positions])
    id_rank = pd.factorize(frame["student_id"].iloc[positions], sort=True)[0]
    return positions[np.lexsort((id_rank, -value, promise_rank, teacher_code[positions]))]


def stand(ctx: AlertContext, previous=None) -> Standing:
    """Where every student stands in the calling order, due or not."""
    import numpy as np
    import pandas as pd

    from .risk import call_value, estimate

    found = estimate(ctx, previous)
    masks = alert_masks(ctx)
    reasons = due_reasons(ctx, found, masks)
    due = pd.concat(reasons.values(), axis=1).any(axis=1)
    rank = pd.Series(len(PRIORITIES), index=ctx.frame.index)
    for code in reversed(list(reasons)):
        rank = rank.where(~reasons[code], RANK[code])
    reach_open = found.reach * found.open
    from .risk import segment_weight

    weight = segment_weight(ctx.frame["segment"])
    value = call_value(ctx, found)
    value = value.where(~reasons["renewal"], np.maximum(value, RENEWAL_STAKE * reach_open * weight))
    # A first real talk (no P/K yet) and a routine call add their stake to the risk's, so that among
    # them the student at risk still goes first; waiting raises the stake, up to twice (nobody is left
    # unreached, and a whole roster without P/K is still ordered by risk).
    waited = _waited(ctx) / ctx.config.callbacks.cadence_days
    value = value + reasons["pending"] * PENDING_STAKE * (1 + waited / 2).clip(upper=2) * reach_open * weight
    value = value + reasons["routine"] * (ROUTINE_STAKE * waited).clip(upper=2 * ROUTINE_STAKE) * found.reach * weight
    # A student reached recently is called again for the same risk only as the cadence comes round: the
    # call has been made, and the numbers have not had time to show what it changed.
    since = days_between(ctx.as_of, ctx.callbacks["last_called"]) / ctx.config.callbacks.cadence_days
    value = value * since.clip(lower=0.25, upper=1).fillna(1.0)
    # The share limits a renewal call that nothing else brings: neither risk nor a last stage.
    last = pd.concat([masks[code] for code in LAST_STAGES], axis=1).any(axis=1)
    capped = reasons["renewal"] & (rank == RANK["renewal"]) & ~last
    return Standing(reasons, due, rank, value, found, capped)


def calling_order(ctx: AlertContext):
    """Every student's row position, best first, in the order one teacher's sheet lists them (the
    promises, then by what a call can change, due or not, then student ID): whom to take first (pfk pool claim)."""
    import numpy as np
    import pandas as pd

    standing = stand(ctx)
    rank = standing.rank.to_numpy()
    promise_rank = np.where(rank < len(PROMISES), rank, len(PROMISES))
    value = np.where(rank < len(PROMISES), 0.0, standing.value.to_numpy())
    id_rank = pd.factorize(ctx.frame["student_id"], sort=True)[0]
    return np.lexsort((id_rank, -value, promise_rank))


def due_reasons(ctx: AlertContext, found=None, masks=None) -> dict[str, object]:
    """Priority code → who it holds for (a bool Series on the frame's index), in `PRIORITIES` order.
    `found` (the risk estimate, `risk.estimate(ctx)`) and `masks` (`alert_masks(ctx)`): when the caller has them."""
    import pandas as pd

    from .risk import estimate

    frame, facts, config, as_of = ctx.frame, ctx.callbacks, ctx.config, ctx.as_of
    plan = config.plan
    found = found if found is not None else estimate(ctx)
    masks = masks if masks is not None else alert_masks(ctx)
    regular = ctx.in_course
    waited = days_between(as_of, facts["last_called"])
    quiet = waited < QUIET_DAYS
    never_called = facts["last_called"].isna()
    enrolled = days_between(as_of, frame["enrolled_on"])
    # No enrolment date: new on the roster since the snapshot before (within that week).
    new_since = days_between(as_of, frame["first_seen"]) if "first_seen" in frame else enrolled * float("nan")
    window = max(plan.first_contact_days, FIRST_CONTACT_WINDOW)
    joined_now = ((enrolled >= 0) & (enrolled <= window)) | (frame["enrolled_on"].isna() & (new_since >= 0) & (new_since <= window))
    pending = frame["segment"] == PENDING_CODE
    renewal = pd.concat([masks[c] for c in RENEWAL_RULES], axis=1).any(axis=1)
    stale = (waited >= config.callbacks.cadence_days) | (never_called & ~pending)
    rescore = _score_age(ctx) > plan.rescore_after_days
    return {
        "first_contact": regular & never_called & joined_now,
        "complaint": masks["complaint_open"],
        "follow_up": days_between(as_of, facts["follow_up"]) >= 0,
        "handover": handed_over(ctx),
        "at_risk": regular & ~quiet & (found.risk >= config.risk.at_risk),
        "renewal": _spread_renewal(ctx, renewal & ~quiet),
        "pending": regular & pending & ~quiet,
        "routine": regular & ~quiet & (stale | rescore),
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

    from .segments import segment_values

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


def _rows(ctx: AlertContext, standing: Standing, positions):
    """The sheet rows at `positions` (in calling order), with 为什么现在打 in a teacher's words: the reason
    that put the student there and the one or two signals that weigh most."""
    import numpy as np

    from .risk import basis_texts, reason_texts

    frame, facts, config, as_of = ctx.frame, ctx.callbacks, ctx.config, ctx.as_of
    picked = frame.iloc[positions]
    found = standing.estimate
    signals = reason_texts(found, positions)
    basis = basis_texts(found, positions)
    waited = days_between(as_of, facts["last_called"]).to_numpy()[positions]
    follow = facts["follow_up"].iloc[positions]
    failed = facts["failed_in_a_row"].to_numpy()[positions]
    never = facts["last_called"].isna().to_numpy()[positions]
    _, never_studied = learning_gap(ctx)
    never_studied = never_studied.to_numpy()[positions]
    days_left = ctx.days_left.to_numpy()[positions]
    complaint_on = facts["complaint_on"].iloc[positions]
    moved_on = picked["moved_on"] if "moved_on" in picked else None
    move = picked["move"] if "move" in picked else None
    rank = standing.rank.to_numpy()[positions]
    joined = days_between(as_of, frame["enrolled_on"])
    if "first_seen" in frame:
        joined = joined.fillna(days_between(as_of, frame["first_seen"]))
    joined = joined.fillna(0).to_numpy()[positions]
    score_age = _score_age(ctx).to_numpy()[positions]
    rescore = score_age > config.plan.rescore_after_days
    unreachable_after = config.plan.unreachable_after
    first_days = config.plan.first_contact_days
    texts = []
    for i in range(len(positions)):
        code = PRIORITIES[rank[i]].code if rank[i] < len(PRIORITIES) else "routine"
        if code == "first_contact":
            if joined[i] > max(first_days, 1):
                head = f"新学员：报名 {int(joined[i])} 天了还没联系上"
            else:
                head = "新学员：24 小时内首次联系" if first_days <= 1 else f"新学员：报名 {first_days} 天内首次联系"
        elif code == "complaint":
            head = f"投诉 {int(days_between(as_of, complaint_on.iloc[i]))} 天还没解决"
        elif code == "follow_up":
            day = follow.iloc[i]
            late = int(days_between(as_of, day))
            head = "约好今天跟进" if late == 0 else f"约好 {day.month}月{day.day}日跟进，已过 {late} 天"
        elif code == "handover":
            verb = MOVE_KINDS.get(move.iloc[i], "交") if move is not None else "交"
            on = moved_on.iloc[i] if moved_on is not None else None
            head = f"新接手（{on.month}月{on.day}日{verb}给你），还没联系过" if on is not None and on == on else "新接手，还没联系过"
        elif code == "renewal":
            left = days_left[i]
            if never_studied[i]:
                head = "一直没开始学：谈转下期"
            elif left < 0:
                head = f"结课 {int(-left)} 天了：问续费打算"
            elif left <= 3:
                head = f"还有 {int(left)} 天结课：最后一次谈续费" if left > 0 else "今天结课：最后一次谈续费"
            else:
                head = f"还有 {int(left)} 天结课：谈续费"
        elif code == "pending":
            head = "还没打过分" if never[i] else "P/K 还不完整"
        elif code == "routine":
            if rescore[i]:
                head = f"P/K {int(score_age[i])} 天没更新了：重新打分"
            elif never[i]:
                head = "有 P/K 分但没有回访日期：按周期回访"
            else:
                head = f"{int(waited[i])} 天没回访了"
        else:  # at_risk
            head = ""
        parts = [p for p in (head, signals[i] if code in ("at_risk", "pending", "routine") else "") if p]
        text = "，".join(parts) if parts else "流失风险偏高"
        if failed[i] >= unreachable_after:
            text = f"联系不上（连续 {int(failed[i])} 次没接通），先发微信约时间；" + text
        elif failed[i] == unreachable_after - 1 and code not in PROMISES:
            text += "；再打不通就进公海"
        texts.append(text)
    rows = picked[["student_id", "name", "teacher", "phone", "segment"]].reset_index(drop=True)
    rows["priority"] = [PRIORITIES[r].code if r < len(PRIORITIES) else "routine" for r in rank.tolist()]
    rows["why_now"] = texts
    rows["last_called"] = facts["last_called"].to_numpy()[positions]
    rows["last_note"] = facts["last_note"].to_numpy()[positions]
    rows["waited"] = _waited(ctx).to_numpy()[positions]
    rows["risk"] = np.round(found.risk.to_numpy()[positions] * 100)
    rows["basis"] = basis
    return rows
