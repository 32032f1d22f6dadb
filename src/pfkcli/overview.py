"""The report's first page (概览): how the team is doing, at a glance (issue 29).

A lead opens the report to answer one question. The page answers it in three parts, top to bottom:

1. **The handful of numbers that matter this week**, each against last week (the seven days before):
   students at risk, promises kept, first contacts on time, calls reached, renewals so far (with
   Wilson's interval). "This week" is the seven days up to the newest snapshot; "last week" the seven
   before, and the comparison snapshot's students for the counts that are measured on a snapshot.
2. **What needs the lead now**: a teacher far behind (her coverage 20 points or more under the
   team's), complaints still open, students about to enter the public pool (within a week of a pool
   rule) — each one line naming who.
3. **One chart** in the segment colours: each teacher's students at risk, by segment.

At risk: the plan's risk estimate (risk.py) of 50 % or more — more likely lost than not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .alert_rules import AlertContext
from .model import renewed
from .segments import ALL_SEGMENTS
from .stats import wilson

OVERVIEW_COLUMNS = ("项目", "本周", "上周", "变化", "说明")
CHART_TEACHER = "运营老师"
RISK_CUT = 0.5
WEEK = 7
# A teacher this many percentage points under the team's coverage is far behind.
FAR_BEHIND_POINTS = 20
# Students within this many days of a pool rule are about to enter the pool.
POOL_SOON_DAYS = 7
RENEWAL_WINDOW_DAYS = 30
NAMES_SHOWN = 5


@dataclass
class Headline:
    label: str
    this_week: float | None
    last_week: float | None
    note: str
    points: bool = False  # a percentage: the change is in percentage points


def at_risk(ctx: AlertContext, alerts):
    """Who is at risk (a bool Series on the frame's index), and how that is judged (one line): the
    risk estimate the plan uses (risk.py), 50 % or more — more likely lost than not."""
    from .risk import estimate

    return estimate(ctx).risk >= RISK_CUT, f"流失风险 ≥ {RISK_CUT:.0%}（估计的退课或学不完的概率，见回访表的「流失风险」）"


def _calls(conn):
    """Every recorded call: student_id, called_on, follow_up (datetime64), reached (bool)."""
    import pandas as pd

    rows = conn.execute("SELECT student_id, called_on, follow_up, reached FROM callbacks").fetchall() if conn is not None else []
    calls = pd.DataFrame(rows, columns=["student_id", "called_on", "follow_up", "reached"], dtype=object)
    calls["student_id"] = calls["student_id"].astype(str)
    for column in ("called_on", "follow_up"):
        calls[column] = pd.to_datetime(calls[column], errors="coerce").dt.normalize()
    calls["reached"] = calls["reached"].fillna(0).astype(int).astype(bool)
    return calls


def _window(end: dt.date, weeks_back: int):
    import pandas as pd

    last = pd.Timestamp(end) - pd.Timedelta(days=WEEK * weeks_back)
    return last - pd.Timedelta(days=WEEK - 1), last


def _promises(calls, end: dt.date, weeks_back: int) -> tuple[int, int]:
    """(kept, due): the follow-ups agreed on a reached call whose date fell in the week (up to the day
    before its end: a promise of today is not late yet), and of them those followed by a reached call
    by the day after the agreed date."""
    import pandas as pd

    first, last = _window(end, weeks_back)
    reached = calls[calls["reached"]]
    due = reached[reached["follow_up"].between(first - pd.Timedelta(days=1), last - pd.Timedelta(days=1))]
    due = due[["student_id", "called_on", "follow_up"]]
    if due.empty:
        return 0, 0
    later = due.merge(reached[["student_id", "called_on"]].rename(columns={"called_on": "next"}), on="student_id")
    kept = later[(later["next"] > later["called_on"]) & (later["next"] <= later["follow_up"] + pd.Timedelta(days=1))]
    kept = kept.drop_duplicates(["student_id", "called_on", "follow_up"])
    return len(kept), len(due)


def _first_contacts(frame, calls, end: dt.date, weeks_back: int, days: int) -> tuple[int, int] | None:
    """(on time, due) among the students enrolled in the week whose deadline (enrolment + `days`) has
    passed by its end; None when the roster has no enrolment dates."""
    import pandas as pd

    enrolled = pd.to_datetime(frame["enrolled_on"]).dt.normalize()
    if enrolled.isna().all():
        return None
    first, last = _window(end, weeks_back)
    deadline = enrolled + pd.Timedelta(days=days)
    due = enrolled.between(first, last) & (deadline <= pd.Timestamp(end))
    reached = calls[calls["reached"]].groupby("student_id")["called_on"].min()
    first_call = frame["student_id"].astype(str).map(reached)
    on_time = due & first_call.notna() & (first_call <= deadline)
    return int(on_time.sum()), int(due.sum())


def _reached_in(calls, end: dt.date, weeks_back: int) -> tuple[int, int]:
    """(reached, not reached) calls dated in the week."""
    first, last = _window(end, weeks_back)
    week = calls[calls["called_on"].between(first, last)]
    return int(week["reached"].sum()), int((~week["reached"]).sum())


def _renewals(ctx: AlertContext | None) -> tuple[int, int]:
    """(renewed, in the window): students whose renewal window (30 days before the end) has begun."""
    if ctx is None:
        return 0, 0
    window = (ctx.days_left <= RENEWAL_WINDOW_DAYS).fillna(False)
    return int((renewed(ctx.frame) & window).sum()), int(window.sum())


def _share(part: int, whole: int) -> float | None:
    return round(part / whole * 100, 1) if whole else None


def headlines(conn, config, ctx: AlertContext, alerts, before: AlertContext | None, alerts_before) -> list[Headline]:
    """The week's numbers, each with last week's."""
    calls = _calls(conn)
    end = ctx.as_of
    risky, rule = at_risk(ctx, alerts)
    risky_before = int(at_risk(before, alerts_before)[0].sum()) if before is not None else None
    kept, due = _promises(calls, end, 0)
    kept_before, due_before = _promises(calls, end, 1)
    days = config.plan.first_contact_days
    first, first_before = _first_contacts(ctx.frame, calls, end, 0, days), _first_contacts(ctx.frame, calls, end, 1, days)
    reached, missed = _reached_in(calls, end, 0)
    reached_before, _ = _reached_in(calls, end, 1)
    renewed_now, window_now = _renewals(ctx)
    renewed_before, window_before = _renewals(before)
    low, high = wilson(renewed_now, window_now)
    rows = [
        Headline("风险学员（人）", int(risky.sum()), risky_before, rule),
        Headline("约定跟进按时（%）", _share(kept, due), _share(kept_before, due_before),
                 f"本周到期的 {due} 个约定跟进，{kept} 个在约定日期（最晚次日）前接通" if due else "本周没有到期的约定跟进", points=True),
    ]
    if first is None:
        rows.append(Headline("新学员首次联系按时（%）", None, None, "名单里没有报名日期，算不出", points=True))
    else:
        rows.append(Headline(
            "新学员首次联系按时（%）", _share(*first), _share(*first_before),
            f"本周到期的 {first[1]} 名新学员，{first[0]} 名在报名后 {days} 天内接通" if first[1] else "本周没有到期的新学员首次联系", points=True,
        ))
    rows.append(Headline("接通的回访（次）", reached, reached_before, f"已接通、微信沟通；另有 {missed} 次没联系上"))
    rows.append(Headline(
        "续费率（%）", _share(renewed_now, window_now), _share(renewed_before, window_before),
        f"已续费 {renewed_now} / {window_now} 名进入续费期（结课前 {RENEWAL_WINDOW_DAYS} 天起）的学员，95% 区间 {low * 100:.0f}%–{high * 100:.0f}%"
        if window_now else "还没有学员进入续费期", points=True,
    ))
    return rows


def needs_now(ctx: AlertContext, alerts, coverage_table) -> list[tuple[str, str]]:
    """What needs the lead now: (label, one line naming who), at most a few lines; one line saying so when nothing."""
    found = []
    students = coverage_table["学员数"].sum()
    team = coverage_table["周期内已回访"].sum() / students * 100 if students else 0
    behind = coverage_table[(coverage_table["学员数"] > 0) & (coverage_table["回访覆盖率（%）"] <= team - FAR_BEHIND_POINTS)]
    for row in behind.to_dict("records"):
        found.append(("老师落后", f"{row['运营老师']}：回访覆盖 {row['回访覆盖率（%）']:g}%（全组 {team:.0f}%），超期未回访 {row['超期未回访']} 人、从未回访 {row['从未回访']} 人"))
    complaints = alerts[alerts["code"] == "complaint_open"] if len(alerts) else alerts
    if len(complaints):
        named = "、".join(f"{r['name']}（{r['teacher']}）" for r in complaints.head(NAMES_SHOWN).to_dict("records"))
        more = f" 等 {len(complaints)} 人" if len(complaints) > NAMES_SHOWN else ""
        found.append(("投诉未解决", f"{named}{more}：超过 48 小时还没解决，今天就回电"))
    soon = _pool_soon(ctx)
    if soon.any():
        teachers = ctx.frame.loc[soon, "teacher"].value_counts()
        per_teacher = "、".join(f"{name} {count} 人" for name, count in teachers.items())
        found.append(("快进入公海", f"{int(soon.sum())} 名学员 {POOL_SOON_DAYS} 天内会进入公海（再一次没接通，或结课后的续费跟进快过了）：{per_teacher}"))
    if not found:
        found.append(("需要处理", "本周没有需要您马上处理的事"))
    return found


def _pool_soon(ctx: AlertContext):
    """Held students not in the pool whom a pool rule takes within POOL_SOON_DAYS (pool.py's rules:
    one more call not reached, or the renewal follow-up about to end unrenewed) — never a student with
    a promise, whom no rule takes."""
    frame, config = ctx.frame, ctx.config
    held = frame["teacher"].notna()
    promised = ctx.callbacks["complaint_on"].notna() | ctx.callbacks["follow_up"].notna()
    failed = frame["failed_count"] if "failed_count" in frame else ctx.callbacks["failed_in_a_row"]
    unreachable = failed.fillna(0).eq(config.plan.unreachable_after - 1)
    after = config.plan.after_end_days
    ended = -ctx.days_left
    finishing = ended.between(after + 1 - POOL_SOON_DAYS, after) & ~renewed(frame)
    return (held & ~promised & (unreachable | finishing.fillna(False))).astype(bool)


def risk_by_segment(ctx: AlertContext, risky, teachers: list[str]):
    """The chart's table: each teacher's students at risk, one column per segment (name)."""
    import pandas as pd

    frame = ctx.frame[risky.to_numpy()]
    table = pd.crosstab(frame["teacher"], frame["segment"]).reindex(index=teachers, columns=[s.code for s in ALL_SEGMENTS], fill_value=0)
    table.columns = [s.name for s in ALL_SEGMENTS]
    return table.reset_index(names=CHART_TEACHER)


def overview_frame(rows: list[Headline], needs: list[tuple[str, str]], details: list[tuple[str, float | None, str]], chart_table, chart_rows: int):
    """概览 as one table: the numbers, a blank line, what needs the lead, `chart_rows` blank lines
    (the chart stands there, on the first page), the details; the chart's table to the right
    (columns after 说明, its rows from the top). Returns (table, the row the chart stands on)."""
    import pandas as pd

    def change(row: Headline) -> str | None:
        if row.this_week is None or row.last_week is None:
            return None
        delta = row.this_week - row.last_week
        text = f"{delta:+.1f} 个百分点" if row.points else f"{delta:+g}"
        return text.replace("+0.0 个百分点", "持平").replace("+0", "持平") if delta == 0 else text

    lines = [(r.label, r.this_week, r.last_week, change(r), r.note) for r in rows]
    lines.append((None, None, None, None, None))
    lines += [(f"⚠ {label}", None, None, None, text) for label, text in needs]
    lines.append((None, None, None, None, None))
    chart_at = len(lines) + 1  # the sheet's row under the header
    lines += [(None, None, None, None, None)] * chart_rows
    lines += [(label, value, None, None, note) for label, value, note in details]
    table = pd.DataFrame(lines, columns=list(OVERVIEW_COLUMNS))
    for column in ("本周", "上周"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("float64")
    for column in ("项目", "变化", "说明"):
        table[column] = table[column].astype(object).where(table[column].notna(), None)
    height = max(len(table), len(chart_table))
    table = table.reindex(range(height))
    chart = chart_table.reindex(range(height))
    for column in chart.columns[1:]:
        chart[column] = chart[column].astype("float64")
    out = pd.concat([table, chart], axis=1)
    out[CHART_TEACHER] = out[CHART_TEACHER].astype(object).where(out[CHART_TEACHER].notna(), None)
    return out, chart_at
