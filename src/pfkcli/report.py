"""`pfk report`: the team dashboard workbook (SPEC §2 step 7, seeds 002/003's dashboard metrics).

Built from the workspace history alone: the newest segment snapshot on or before the as-of date,
compared with the one before it (or the one at or just before `--since`). Every figure is measured
on the day of the newest snapshot, so a report is the same whenever it is run again.

Sheets, in order (names and headers are the contract, declared below):

| sheet | what | chart |
| --- | --- | --- |
| 概览 | the week's numbers against last week, what needs the lead now, the details (overview.py); also printed in the terminal | students at risk per teacher by segment |
| 分层分布 | students per teacher × segment | stacked bar |
| 学习进度 | F distribution per teacher, share on pace | stacked column, 100 % stacked column |
| 回访覆盖 | called within the cadence / called earlier / never called, overdue follow-ups | 100 % stacked column |
| 预警 | alerts per teacher × rule (`alert_rules.find_alerts` on the snapshot) | stacked bar |
| 分层变化 | from → to matrix of segments between the two snapshots | |
| 下降学员 | the students whose segment `rank` went down, by teacher | |
| 回访效果 | moved up / stayed / down: students called between the snapshots against the others — a description of whom the teachers called, not an effect (its verdicts say so) | 100 % stacked column |
| 问题处理 | problems raised by type, resolved or not, how fast | |
| 方案效果 | each playbook solution by the call-sheet rows that proposed it (建议方案), against the rows that proposed another, on the platform's outcomes (learning.py, outcomes.py) | |
| 续费 | renewal per segment and teacher as the renewal window began, renewal stage reached, reached in the window or not (learning.py) | |
| 留出对照 | the holdout: the calls each arm received, then kept on the plan against held out, per segment (holdout.py, learning.py) | |
| 留出学员 | the students held out, from when, until when | |

Definitions (the team's questions, answered in one way each):
- called within the cadence: the newest recorded callback is less than `cadence_days` old (as `pfk
  callsheet` judges it); never called: pending (no P/K) and no callback recorded; overdue follow-up:
  the newest callback's follow-up date has passed.
- on pace: F ≥ pace_share × the F the course had released (`expected_f`), for students whose course
  dates are known; the others are left out of the share.
- moved up / down: the segment's `rank` (segments.py) rose / fell between the two snapshots; pending
  before and scored now is "first scored", not a move up.
- effect: students in both snapshots, grouped by whether a callback was recorded with
  previous < called_on ≤ newest. A student pending in the previous snapshot is left out of the
  comparison (a first call always gives a segment, which says nothing about the call's effect) and
  counted in its own column.

Phone numbers appear in one place, 下降学员 (the students a teacher should call back first); with
`--mask-phone` they read `138****5678` (`mask_phone`), for a report that is passed around.

Count charts of shares (coverage, on pace, effect) are 100 % stacked: Excel and LibreOffice start a
stacked axis far above zero when every bar's first block is large, which would misdraw a 90 % coverage.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from . import history, overview
from .alert_rules import RULES, AlertContext, find_alerts
from .config import Config
from .errors import UsageError
from .excel import SheetSpec, fitted_heights, write_workbook
from .frames import days_between
from .paths import REPORT, check_output
from .pool import place_students
from .model import TOLERANCE
from .segments import ALL_SEGMENTS, BY_CODE, PENDING_CODE
from .stats import interval_text, percent, share_difference, verdict
from .workspace import Workspace

# The contract: sheet names and fixed headers.
OVERVIEW_SHEET = "概览"
SEGMENTS_SHEET = "分层分布"
PROGRESS_SHEET = "学习进度"
COVERAGE_SHEET = "回访覆盖"
ALERTS_SHEET = "预警"
MOVES_SHEET = "分层变化"
MOVED_DOWN_SHEET = "下降学员"
EFFECT_SHEET = "回访效果"
PROBLEMS_SHEET = "问题处理"
SOLUTIONS_SHEET = "方案效果"
RENEWAL_SHEET = "续费"
HOLDOUT_SHEET = "留出对照"
HOLDOUT_STUDENTS_SHEET = "留出学员"
REPORT_SHEETS = (
    OVERVIEW_SHEET,
    SEGMENTS_SHEET,
    PROGRESS_SHEET,
    COVERAGE_SHEET,
    ALERTS_SHEET,
    MOVES_SHEET,
    MOVED_DOWN_SHEET,
    EFFECT_SHEET,
    PROBLEMS_SHEET,
    SOLUTIONS_SHEET,
    RENEWAL_SHEET,
    HOLDOUT_SHEET,
    HOLDOUT_STUDENTS_SHEET,
)

TEACHER = "运营老师"
TOTAL = "合计"
UNASSIGNED = "公海（无运营老师）"
OVERVIEW_COLUMNS = overview.OVERVIEW_COLUMNS
# 分层分布: TEACHER, one column per segment name (ALL_SEGMENTS order), TOTAL
F_BINS = ((0.0, 0.5), (0.5, 1.0), (1.0, 1.5), (1.5, 2.0))
F_BIN_COLUMNS = tuple(f"F {low:g}–{high:g}" for low, high in F_BINS)
PROGRESS_COLUMNS = (TEACHER, "学员数", *F_BIN_COLUMNS, "平均F", "有进度要求", "跟上进度", "未跟上进度", "跟上进度占比（%）")
COVERAGE_COLUMNS = (TEACHER, "学员数", "周期内已回访", "回访覆盖率（%）", "超期未回访", "从未回访", "跟进逾期")
# 预警: TEACHER, one column per alert rule label (alerts.RULES order), "预警学员数", TOTAL
MOVES_CORNER = "上次 → 本次"
NEW_STUDENTS = "新学员（上次不在）"
LEFT_STUDENTS = "已不在名单"
MOVED_DOWN_COLUMNS = (
    TEACHER, "学号", "姓名", "手机号", "上次分层", "本次分层", "上次 P/F/K", "本次 P/F/K", "变化", "本次分层原因",
    "本期已回访", "最近回访日期",
)
EFFECT_COLUMNS = (
    "分组", "起始分层", "组别", "学员数", "上升", "不变", "下降", "上升占比（%）", "下降占比（%）",
    "上升占比之差（百分点）", "95% 区间", "结论",
)
CALLED_GROUP = "本期回访过"
NOT_CALLED_GROUP = "本期未回访"
ALL_SEGMENTS_LABEL = "全部（按起始分层加权）"
PROBLEM_COLUMNS = ("问题类型", "提出", "已解决", "未解决", "平均解决天数", "48 小时内解决", "48 小时内解决占比（%）")
NOTE_COLUMN = "说明"

CHART_WIDTH = 400  # fits the printable width of a portrait A4 page (LibreOffice, Excel)
CHART_HEIGHT = 320
ROW_PIXELS = 20  # Excel's default row height


@dataclass
class ReportFigures:
    """The headline figures: what the terminal prints and 概览 lists."""

    students: int
    segment_counts: dict[str, int]  # segment code → students, ALL_SEGMENTS order
    cadence_days: int
    called_within: int
    never_called: int
    overdue_follow_ups: int
    alerts: int
    alerted_students: int
    on_pace: int
    pace_known: int
    moved_up: int | None = None  # None with no earlier snapshot
    stayed: int | None = None
    moved_down: int | None = None
    first_scored: int | None = None  # pending before, scored now
    new_students: int | None = None
    left_students: int | None = None
    effect: object = None  # pandas.DataFrame (EFFECT_COLUMNS) or None

    @property
    def coverage_share(self) -> float | None:
        return self.called_within / self.students if self.students else None

    @property
    def on_pace_share(self) -> float | None:
        return self.on_pace / self.pace_known if self.pace_known else None


@dataclass
class ReportResult:
    as_of: dt.date
    newest: dt.date
    previous: dt.date | None
    figures: ReportFigures
    output: Path
    sheets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # printed under the figures
    week: list = field(default_factory=list)  # overview.Headline: the week's numbers against last week (概览)
    needs: list[tuple[str, str]] = field(default_factory=list)  # what needs the lead now (概览's ⚠ lines)


_PHONE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")


def mask_phone(text) -> str | None:
    """Hide the middle four digits of every mainland mobile number in `text`.

    >>> mask_phone("13812345678")
    '138****5678'
    >>> mask_phone("电话 13812345678 / 13900001111")
    '电话 138****5678 / 139****1111'
    """
    if text is None:
        return None
    value = str(text)
    if value.endswith(".0") and value[:-2].isdigit():  # a phone number stored as a number
        value = value[:-2]
    return _PHONE.sub(r"\1****\2", value)


# ---------------------------------------------------------------------------
# Choosing the snapshots
# ---------------------------------------------------------------------------


def choose_snapshots(dates: list[dt.date], as_of: dt.date, since: dt.date | None) -> tuple[dt.date, dt.date | None]:
    """The newest snapshot on or before `as_of`, and the one to compare it with (or None).

    >>> d = [dt.date(2026, 11, 9), dt.date(2026, 11, 16), dt.date(2026, 11, 23)]
    >>> choose_snapshots(d, dt.date(2026, 11, 25), None)
    (datetime.date(2026, 11, 23), datetime.date(2026, 11, 16))
    >>> choose_snapshots(d, dt.date(2026, 11, 25), dt.date(2026, 11, 10))
    (datetime.date(2026, 11, 23), datetime.date(2026, 11, 9))
    """
    if not dates:
        raise UsageError("工作区还没有分层快照：先运行 pfk classify 名单.xlsx")
    upto = [d for d in dates if d <= as_of]
    if not upto:
        raise UsageError(f"{as_of:%Y-%m-%d} 及之前没有分层快照（最早一次是 {dates[0]:%Y-%m-%d}），请改 --as-of")
    newest = upto[-1]
    if since is None:
        return newest, (upto[-2] if len(upto) > 1 else None)
    if since >= newest:
        raise UsageError(f"--since {since:%Y-%m-%d} 须早于本次分层快照 {newest:%Y-%m-%d}")
    before = [d for d in upto if d <= since]
    if not before:
        raise UsageError(f"{since:%Y-%m-%d} 及之前没有分层快照（最早一次是 {dates[0]:%Y-%m-%d}），请改 --since")
    return newest, before[-1]


def called_between(conn: sqlite3.Connection, start: dt.date, end: dt.date) -> set[str]:
    """Students reached by a call on start ≤ called_on < end: the week that follows a snapshot is the
    week of the call sheets made from it (a sheet dated D records its calls on D by default)."""
    rows = conn.execute(
        "SELECT DISTINCT student_id FROM callbacks WHERE reached = 1 AND called_on >= ? AND called_on < ?",
        (start.isoformat(), end.isoformat()),
    ).fetchall()
    return {r[0] for r in rows}


def problems_raised(conn: sqlite3.Connection, end: dt.date):
    """Every problem raised on a call before `end`, with the day it was raised and the day a call
    (that one or a later one) marked it resolved: columns student_id, problem_type, raised_on, resolved_on."""
    import pandas as pd

    rows = conn.execute(
        """
        SELECT c.student_id, c.problem_type, c.called_on,
               (SELECT min(later.called_on) FROM callbacks later
                WHERE later.student_id = c.student_id AND later.resolved = 1 AND later.called_on >= c.called_on AND later.called_on < :end)
        FROM callbacks c WHERE c.problem_type IS NOT NULL AND c.called_on < :end
        """,
        {"end": end.isoformat()},
    ).fetchall()
    frame = pd.DataFrame(rows, columns=["student_id", "problem_type", "raised_on", "resolved_on"])
    return frame.assign(raised_on=pd.to_datetime(frame["raised_on"]), resolved_on=pd.to_datetime(frame["resolved_on"]))


# ---------------------------------------------------------------------------
# The tables (each a pure function of DataFrames, tested directly)
# ---------------------------------------------------------------------------


def _teachers(frame):
    return frame["teacher"].fillna(UNASSIGNED).replace("", UNASSIGNED)


def teacher_order(frame) -> list[str]:
    return sorted(_teachers(frame).unique())


def segment_table(frame):
    """分层分布: one row per teacher, a column per segment name, then 合计."""
    import pandas as pd

    teachers = teacher_order(frame)
    counts = pd.crosstab(_teachers(frame), frame["segment"])
    codes = [s.code for s in ALL_SEGMENTS]
    counts = counts.reindex(index=teachers, columns=codes, fill_value=0)
    table = pd.DataFrame({TEACHER: teachers})
    for segment in ALL_SEGMENTS:
        table[segment.name] = counts[segment.code].to_numpy().astype("int64")
    table[TOTAL] = table[[s.name for s in ALL_SEGMENTS]].sum(axis=1)
    return table


def on_pace_mask(frame, config: Config):
    """(known, on_pace): whose expected F is known, and who is at or above pace_share of it."""
    expected = frame["expected_f"]
    known = expected.notna()
    on_pace = known & (frame["F"] >= config.thresholds.pace_share * expected - TOLERANCE)
    return known, on_pace


def progress_table(frame, config: Config):
    """学习进度: F in four bins per teacher, the mean F, and the share on pace where it can be judged."""
    import numpy as np
    import pandas as pd

    f = frame["F"].fillna(0).clip(lower=0)
    edges = [low for low, _ in F_BINS] + [np.inf]
    bins = pd.cut(f, edges, right=False, labels=list(F_BIN_COLUMNS))
    teachers = _teachers(frame)
    order = teacher_order(frame)
    known, on_pace = on_pace_mask(frame, config)
    counts = pd.crosstab(teachers, bins).reindex(index=order, columns=list(F_BIN_COLUMNS), fill_value=0)
    grouped = pd.DataFrame({"t": teachers, "f": f, "known": known, "on": on_pace}).groupby("t")
    table = pd.DataFrame({TEACHER: order})
    table["学员数"] = grouped.size().reindex(order).to_numpy().astype("int64")
    for column in F_BIN_COLUMNS:
        table[column] = counts[column].to_numpy().astype("int64")
    table["平均F"] = grouped["f"].mean().reindex(order).round(2).to_numpy()
    judged = grouped["known"].sum().reindex(order).to_numpy().astype("int64")
    on = grouped["on"].sum().reindex(order).to_numpy().astype("int64")
    table["有进度要求"] = judged
    table["跟上进度"] = pd.Series(on, dtype="Int64").where(judged > 0, pd.NA)
    table["未跟上进度"] = pd.Series(judged - on, dtype="Int64").where(judged > 0, pd.NA)
    share = np.where(judged > 0, on / np.maximum(judged, 1) * 100, np.nan)
    table["跟上进度占比（%）"] = np.round(share, 1)
    return table[list(PROGRESS_COLUMNS)]


def coverage_frame(frame, callbacks, day: dt.date, cadence_days: int):
    """Per student: within (called less than `cadence_days` ago), never (pending, never called),
    overdue follow-up — from the newest callback as the history decides it (`history.newest_callbacks`)."""
    import pandas as pd

    waited = days_between(day, callbacks["last_called"])
    return pd.DataFrame(
        {
            "within": waited < cadence_days,
            "never": callbacks["last_called"].isna() & (frame["segment"] == PENDING_CODE),
            "overdue": days_between(day, callbacks["follow_up"]) > 0,
            "called_on": callbacks["last_called"],
        },
        index=frame.index,
    )


def coverage_table(frame, coverage):
    """回访覆盖: students, called within the cadence (and its share), called earlier, never called, overdue follow-ups."""
    import numpy as np
    import pandas as pd

    order = teacher_order(frame)
    grouped = pd.DataFrame(
        {"t": _teachers(frame), "within": coverage["within"], "never": coverage["never"], "overdue": coverage["overdue"]}
    ).groupby("t")
    students = grouped.size().reindex(order).to_numpy().astype("int64")
    within = grouped["within"].sum().reindex(order).to_numpy().astype("int64")
    never = grouped["never"].sum().reindex(order).to_numpy().astype("int64")
    table = pd.DataFrame({TEACHER: order})
    table["学员数"] = students
    table["周期内已回访"] = within
    table["回访覆盖率（%）"] = np.round(within / np.maximum(students, 1) * 100, 1)
    table["超期未回访"] = students - within - never
    table["从未回访"] = never
    table["跟进逾期"] = grouped["overdue"].sum().reindex(order).to_numpy().astype("int64")
    return table[list(COVERAGE_COLUMNS)]


def alert_table(frame, alerts):
    """预警: alerts per teacher × rule (every rule a column, in rule order), alerted students, total alerts."""
    import pandas as pd

    order = teacher_order(frame)
    teachers = alerts["teacher"].fillna(UNASSIGNED).replace("", UNASSIGNED) if len(alerts) else pd.Series(dtype="str")
    codes = [rule.code for rule in RULES]
    counts = pd.crosstab(teachers, alerts["code"]).reindex(index=order, columns=codes, fill_value=0) if len(alerts) else None
    table = pd.DataFrame({TEACHER: order})
    for rule in RULES:
        table[rule.label] = counts[rule.code].to_numpy().astype("int64") if counts is not None else 0
    alerted = alerts.groupby(teachers)["student_id"].nunique() if len(alerts) else pd.Series(dtype="int64")
    table["预警学员数"] = alerted.reindex(order, fill_value=0).to_numpy().astype("int64")
    table[TOTAL] = table[[rule.label for rule in RULES]].sum(axis=1).astype("int64")
    return table


def compare_snapshots(previous, newest):
    """One row per student in either snapshot: from/to segment, rank change and direction.

    `direction`: "up" / "same" / "down" (the segment's rank rose, held, fell), "scored" (pending
    before, scored now: a first callback, not a move), "new" (only in the newest), "left" (only in
    the previous).
    """
    import numpy as np
    import pandas as pd

    keep = ["student_id", "name", "teacher", "P", "F", "K", "segment"]
    merged = previous[keep].merge(
        newest[[*keep, "phone", "why"]], on="student_id", how="outer", suffixes=("_from", "_to"), indicator=True
    )
    rank = {code: segment.rank for code, segment in BY_CODE.items()}
    rank_from = merged["segment_from"].map(rank)
    rank_to = merged["segment_to"].map(rank)
    both = merged["_merge"] == "both"
    scored = both & (merged["segment_from"] == PENDING_CODE) & (merged["segment_to"] != PENDING_CODE)
    direction = np.select(
        [
            merged["_merge"] == "right_only",
            merged["_merge"] == "left_only",
            scored,
            both & (rank_to > rank_from),
            both & (rank_to < rank_from),
        ],
        ["new", "left", "scored", "up", "down"],
        default="same",
    )
    merged["direction"] = pd.Series(direction, index=merged.index)
    merged["rank_change"] = rank_to - rank_from
    merged["teacher"] = merged["teacher_to"].fillna(merged["teacher_from"]).fillna(UNASSIGNED).replace("", UNASSIGNED)
    merged["name"] = merged["name_to"].fillna(merged["name_from"])
    return merged.drop(columns=["_merge"])


def moves_matrix(moves):
    """分层变化: rows = previous segment (and new students), columns = newest segment (and left), with totals."""
    import pandas as pd

    names = [s.name for s in ALL_SEGMENTS]
    by_name = {s.code: s.name for s in ALL_SEGMENTS}
    start = moves["segment_from"].map(by_name).fillna(NEW_STUDENTS)
    end = moves["segment_to"].map(by_name).fillna(LEFT_STUDENTS)
    rows = [*names, NEW_STUDENTS]
    columns = [*names, LEFT_STUDENTS]
    counts = pd.crosstab(start, end).reindex(index=rows, columns=columns, fill_value=0)
    table = counts.astype("int64").reset_index(drop=True)
    table.insert(0, MOVES_CORNER, rows)
    table[TOTAL] = table[columns].sum(axis=1)
    total = {MOVES_CORNER: TOTAL, **{c: int(table[c].sum()) for c in [*columns, TOTAL]}}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _score(value, digits: int) -> str:
    return "—" if _blank(value) else f"{value:.{digits}f}"


def _scores_text(p, f, k) -> str:
    """`4/1.07/5`: P, F, K as a teacher reads them."""
    return f"{_score(p, 0)}/{_score(f, 2)}/{_score(k, 0)}"


SCORE_COLUMNS = ["P_from", "P_to", "F_from", "F_to", "K_from", "K_to"]


def change_text(row: dict) -> str:
    """What changed between the two snapshots: `P 5→3；F 1.10→0.60`."""
    parts = []
    for axis, digits in (("P", 0), ("F", 2), ("K", 0)):
        before, after = _score(row[f"{axis}_from"], digits), _score(row[f"{axis}_to"], digits)
        if before != after:
            parts.append(f"{axis} {before}→{after}")
    # Same scores, lower segment: the F needed to keep up rose as the course went on (or a cut changed).
    return "；".join(parts) or "分数未变，高低线提高了（F 按进度的要求随课程推进而提高）"


def moved_down_table(moves, called: set[str], last_called, mask: bool = False):
    """下降学员: who moved down, by teacher, the biggest fall first, with what changed. Returns (table, row colours)."""
    import pandas as pd

    down = moves[moves["direction"] == "down"].sort_values(["teacher", "rank_change", "student_id"], kind="stable")
    by_name = {s.code: s.name for s in ALL_SEGMENTS}

    def phone(value):
        if _blank(value):
            return None
        return mask_phone(value) if mask else str(value)

    columns = {
        TEACHER: down["teacher"],
        "学号": down["student_id"],
        "姓名": down["name"],
        "手机号": down["phone"].map(phone),
        "上次分层": down["segment_from"].map(by_name),
        "本次分层": down["segment_to"].map(by_name),
        "上次 P/F/K": pd.Series([_scores_text(*v) for v in down[["P_from", "F_from", "K_from"]].itertuples(index=False)], index=down.index),
        "本次 P/F/K": pd.Series([_scores_text(*v) for v in down[["P_to", "F_to", "K_to"]].itertuples(index=False)], index=down.index),
        "变化": pd.Series([change_text(row) for row in down[SCORE_COLUMNS].to_dict("records")], index=down.index, dtype=object),
        "本次分层原因": down["why"],
        "本期已回访": down["student_id"].isin(called).map({True: "是", False: "否"}),
        "最近回访日期": pd.to_datetime(down["student_id"].map(last_called)),
    }
    table = pd.DataFrame({name: values.to_numpy() for name, values in columns.items()}, columns=list(MOVED_DOWN_COLUMNS))
    table["最近回访日期"] = pd.to_datetime(table["最近回访日期"])
    colours = down["segment_to"].map({s.code: s.colour for s in ALL_SEGMENTS}).tolist()
    return table, colours


# 回访效果 compares whom the teachers chose to call with the rest: it describes them, and its first
# verdict says so — a student not called cannot change P or K, and teachers call the ones who worry them.
DESCRIPTIVE = "只是描述，不是回访的效果（没回访的学员 P、K 不会变；回访有没有用看「留出对照」）："


def _verdict(n1: int, n0: int, low: float, high: float) -> str:
    return DESCRIPTIVE + verdict(n1, n0, low, high, "回访过的学员上升更多", "回访过的学员上升更少", too_few="看不出什么")


def effect_table(moves, called: set[str]):
    """回访效果: students who started the period in the same segment, called against not called:
    moved up / stayed / down, the difference of the shares that moved up and its 95 % interval, and
    what that says — plainly "too few to tell" when a group is small. Then all segments together,
    each segment weighted by how much it can tell (n₁n₀/(n₁+n₀)).

    Students scored for the first time are counted apart (overview): a first call always gives a segment.
    """
    import pandas as pd

    judged = moves[moves["direction"].isin(["up", "same", "down"])]
    judged = judged.assign(called=judged["student_id"].isin(called))
    rows, weights, weighted, variance = [], 0.0, 0.0, 0.0
    totals = {True: [0, 0, 0], False: [0, 0, 0]}

    def group_row(label, group, counts, difference=None):
        up, same, down = counts
        total = up + same + down
        row = {
            "分组": f"{label} · {group}", "起始分层": label, "组别": group, "学员数": total, "上升": up, "不变": same, "下降": down,
            "上升占比（%）": percent(up / total if total else math.nan),
            "下降占比（%）": percent(down / total if total else math.nan),
            "上升占比之差（百分点）": math.nan, "95% 区间": None, "结论": None,
        }
        if difference is not None:
            d, low, high, said = difference
            if d == d:
                row["上升占比之差（百分点）"] = percent(d)
                row["95% 区间"] = interval_text(low, high)
            row["结论"] = said
        rows.append(row)

    for segment in ALL_SEGMENTS:
        part = judged[judged["segment_from"] == segment.code]
        if part.empty:
            continue
        counts = {}
        for flag in (True, False):
            mine = part[part["called"] == flag]["direction"]
            counts[flag] = [int((mine == d).sum()) for d in ("up", "same", "down")]
            totals[flag] = [a + b for a, b in zip(totals[flag], counts[flag])]
        n1, n0 = sum(counts[True]), sum(counts[False])
        difference = (math.nan, math.nan, math.nan, _verdict(n1, n0, 0, 0))
        if n1 and n0:
            d, low, high = share_difference(counts[True][0], n1, counts[False][0], n0)
            difference = (d, low, high, _verdict(n1, n0, low, high))
            w = n1 * n0 / (n1 + n0)
            p1, p0 = counts[True][0] / n1, counts[False][0] / n0
            weights += w
            weighted += w * d
            variance += w * w * (p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
        group_row(segment.name, CALLED_GROUP, counts[True], difference)
        group_row(segment.name, NOT_CALLED_GROUP, counts[False])
    n1, n0 = sum(totals[True]), sum(totals[False])
    overall = (math.nan, math.nan, math.nan, _verdict(n1, n0, 0, 0))
    if weights:
        d = weighted / weights
        half = 1.96 * math.sqrt(variance) / weights
        overall = (d, d - half, d + half, _verdict(n1, n0, d - half, d + half))
    group_row(ALL_SEGMENTS_LABEL, CALLED_GROUP, totals[True], overall)
    group_row(ALL_SEGMENTS_LABEL, NOT_CALLED_GROUP, totals[False])
    return pd.DataFrame(rows, columns=list(EFFECT_COLUMNS))


def problem_table(problems):
    """问题处理: problems raised by type — how many, resolved or not, how fast they closed."""
    import pandas as pd

    from .calls import COMPLAINT_CLOSE_DAYS, PROBLEM_TYPES

    rows = []
    for kind in PROBLEM_TYPES:
        mine = problems[problems["problem_type"] == kind]
        closed = mine[mine["resolved_on"].notna()]
        days = (closed["resolved_on"] - closed["raised_on"]).dt.days
        fast = int((days <= COMPLAINT_CLOSE_DAYS).sum())
        rows.append(
            {
                "问题类型": kind, "提出": len(mine), "已解决": len(closed), "未解决": len(mine) - len(closed),
                "平均解决天数": round(float(days.mean()), 1) if len(closed) else math.nan,
                "48 小时内解决": fast,
                "48 小时内解决占比（%）": round(fast / len(mine) * 100, 1) if len(mine) else math.nan,
            }
        )
    return pd.DataFrame(rows, columns=list(PROBLEM_COLUMNS))


def one_snapshot_note(newest: dt.date, later: bool) -> str:
    """What the moves and effect sheets say when there is nothing to compare with."""
    if later:
        return f"{newest:%Y-%m-%d} 之前没有更早的分层快照，无法比较变化"
    return f"只有一次分层快照（{newest:%Y-%m-%d}），下周再运行 pfk report 即可看到变化"


# ---------------------------------------------------------------------------
# Charts: native Excel charts (Excel, WPS and LibreOffice draw them), under their table
# ---------------------------------------------------------------------------


def _chart(kind: str, table, series: list[str], title: str, axis: str, below: dict | None = None, colours: list[str] | None = None) -> dict:
    """A chart under its table, from the first column, so it is on screen and prints on the table's first page.

    `below`: another chart of the same sheet to stack this one under. `colours`: each series' fill,
    from the call sheets' segment colours (excel.py cycles them where none are given).
    """
    rows = len(table)
    if kind.startswith("bar"):  # one bar per teacher: grows with the team
        width, height = CHART_WIDTH, max(CHART_HEIGHT, 28 * rows + 140)
    else:
        width, height = max(CHART_WIDTH, min(1600, 50 * rows + 200)), CHART_HEIGHT
    row = rows + 2 if below is None else below["row"] + math.ceil(below["height"] / ROW_PIXELS) + 2
    return {
        "type": kind,
        # An explicit name: the legend then reads the same in every program, whatever its cache rules.
        "series": [{"values": name, "name": name} for name in series],
        "categories": str(table.columns[0]),
        "title": title,
        "y_axis" if kind.startswith("column") else "x_axis": axis,
        "row": row,
        "col": 0,
        "width": width,
        "height": height,
        "legend": True,
        "colours": colours,
    }


# Series colours, all from segments.py: good news in 价值's green, a warning in 督促's yellow, bad news in
# 挽留's orange, nothing yet in 待回访's grey — the colours a teacher knows from her call sheet.
GOOD, WARNING, BAD, NOTHING = BY_CODE["P_L-F_L-K_L"].colour, BY_CODE["P_L-F_S-K_L"].colour, BY_CODE["P_S-F_S-K_L"].colour, BY_CODE[PENDING_CODE].colour
F_COLOURS = [BY_CODE["P_S-F_S-K_L"].colour, BY_CODE["P_L-F_S-K_L"].colour, BY_CODE["P_S-F_L-K_L"].colour, BY_CODE["P_L-F_L-K_L"].colour]


# ---------------------------------------------------------------------------
# The whole report
# ---------------------------------------------------------------------------


def default_output(workspace: Workspace, as_of: dt.date) -> Path:
    return workspace.root / "reports" / f"report-{as_of:%Y-%m-%d}.xlsx"


def _history_path(workspace: Workspace) -> Path:
    return workspace.history_store(
        "这里不是 pfk 工作区（找不到 pfk.toml）：先运行 pfk init，再用 pfk classify 生成分层快照", "工作区还没有分层快照：先运行 pfk classify 名单.xlsx"
    )


def build_report(
    workspace: Workspace,
    as_of: dt.date,
    since: dt.date | None = None,
    output: Path | None = None,
    mask: bool = False,
) -> ReportResult:
    """Read the history, build every sheet, write the workbook. Raises UsageError with one clear line.

    >>> result = build_report(find_workspace(), dt.date(2026, 11, 23))  # doctest: +SKIP
    >>> result.figures.moved_down                                       # doctest: +SKIP
    3
    """
    import pandas as pd

    config = workspace.config
    path = _history_path(workspace)
    check_output(Path(output) if output else default_output(workspace, as_of), inputs=[path], workspace_root=workspace.root, folder_made_later=output is None, kind=REPORT)
    with workspace.open_history(read_only=True) as conn:
        dates = history.snapshot_dates(conn)
        newest, previous = choose_snapshots(dates, as_of, since)
        # Who held whom on that day: moves made with pfk assign and pfk pool count, the pool has nobody.
        frame = history.load_snapshot(conn, newest)
        callbacks = history.newest_callbacks(conn, frame, newest)
        frame = place_students(conn, frame, config, newest, callbacks)
        earlier = history.load_snapshot(conn, previous) if previous else None
        called = called_between(conn, previous, newest) if previous else set()
        problems = problems_raised(conn, newest)
        ctx = AlertContext(frame, config, newest, callbacks, history.ratings_before(conn, newest))
        alerts = find_alerts(ctx)
        before, alerts_before = None, None
        if earlier is not None:
            callbacks_before = history.newest_callbacks(conn, earlier, previous)
            placed = place_students(conn, earlier, config, previous, callbacks_before)
            before = AlertContext(placed, config, previous, callbacks_before, history.ratings_before(conn, previous))
            alerts_before = find_alerts(before)
        numbers = overview.headlines(conn, config, ctx, alerts, before, alerts_before)
        learned = _learning_sheets(conn, workspace, ctx)

    coverage = coverage_frame(frame, callbacks, newest, config.callbacks.cadence_days)
    segments = segment_table(frame)
    progress = progress_table(frame, config)
    covered = coverage_table(frame, coverage)
    alerted = alert_table(frame, alerts)
    known, on_pace = on_pace_mask(frame, config)
    counts = frame["segment"].value_counts()
    figures = ReportFigures(
        students=len(frame),
        segment_counts={s.code: int(counts.get(s.code, 0)) for s in ALL_SEGMENTS},
        cadence_days=config.callbacks.cadence_days,
        called_within=int(coverage["within"].sum()),
        never_called=int(coverage["never"].sum()),
        overdue_follow_ups=int(coverage["overdue"].sum()),
        alerts=len(alerts),
        alerted_students=int(alerts["student_id"].nunique()) if len(alerts) else 0,
        on_pace=int(on_pace.sum()),
        pace_known=int(known.sum()),
    )
    notes = []
    if figures.pace_known == 0:
        notes.append("没有课程日期，无法判断是否跟上进度：在 pfk.toml [course] 里填 start / end，或名单带课程开始/结束日期")

    f_chart = _chart("column_stacked", progress, list(F_BIN_COLUMNS), "课程跟随进度 F 分布", "人数", colours=F_COLOURS)
    sheets = [
        SheetSpec(SEGMENTS_SHEET, segments, charts=[_chart("bar_stacked", segments, [s.name for s in ALL_SEGMENTS], "各老师学员分层", "人数", colours=[s.colour for s in ALL_SEGMENTS])], autofilter=False),
        SheetSpec(
            PROGRESS_SHEET,
            progress,
            charts=[f_chart, _chart("column_percent_stacked", progress, ["跟上进度", "未跟上进度"], "跟上进度的学员占比", "占比", below=f_chart, colours=[GOOD, BAD])],
            autofilter=False,
        ),
        SheetSpec(
            COVERAGE_SHEET,
            covered,
            charts=[_chart("column_percent_stacked", covered, ["周期内已回访", "超期未回访", "从未回访"], f"回访覆盖率（周期 {figures.cadence_days} 天）", "占比", colours=[GOOD, WARNING, NOTHING])],
            autofilter=False,
        ),
    ]
    alert_labels = [c for c in alerted.columns[1:-2] if alerted[c].sum() > 0]
    alert_charts = [_chart("bar_stacked", alerted, alert_labels, "各老师预警", "条数")] if alert_labels else []
    sheets.append(SheetSpec(ALERTS_SHEET, alerted, charts=alert_charts, autofilter=False))

    if earlier is None:
        note = one_snapshot_note(newest, later=len(dates) > 1)
        notes.append(note)
        for name in (MOVES_SHEET, MOVED_DOWN_SHEET, EFFECT_SHEET):
            sheets.append(_note_sheet(name, note))
    else:
        moves = compare_snapshots(earlier, frame)
        last_called = pd.Series(coverage["called_on"].to_numpy(), index=frame["student_id"].to_numpy())
        matrix = moves_matrix(moves)
        matrix_colours = [s.colour for s in ALL_SEGMENTS] + [None, None]
        down, down_colours = moved_down_table(moves, called, last_called, mask)
        effect = effect_table(moves, called)
        direction = moves["direction"].value_counts()
        figures.moved_up = int(direction.get("up", 0))
        figures.stayed = int(direction.get("same", 0))
        figures.moved_down = int(direction.get("down", 0))
        figures.first_scored = int(direction.get("scored", 0))
        figures.new_students = int(direction.get("new", 0))
        figures.left_students = int(direction.get("left", 0))
        figures.effect = effect
        sheets.append(SheetSpec(MOVES_SHEET, matrix, row_colours=matrix_colours, autofilter=False))
        if len(down):
            sheets.append(SheetSpec(MOVED_DOWN_SHEET, down, row_colours=down_colours, widths={"变化": 36.0}))
        else:
            sheets.append(_note_sheet(MOVED_DOWN_SHEET, f"{previous:%Y-%m-%d} → {newest:%Y-%m-%d} 没有学员分层下降"))
        # Up and down side by side at the foot of each bar: green and orange.
        effect_charts = [_chart("column_percent_stacked", effect, ["上升", "下降", "不变"], "同一起始分层：回访过与未回访学员的分层变化（描述，不是效果）", "占比", colours=[GOOD, BAD, NOTHING])]
        sheets.append(SheetSpec(EFFECT_SHEET, effect, charts=effect_charts, autofilter=False, widths={"分组": 30.0, "结论": 60.0}))
    sheets.append(SheetSpec(PROBLEMS_SHEET, problem_table(problems), autofilter=False))
    sheets += learned

    needs = overview.needs_now(ctx, alerts, covered)
    sheets.insert(0, _overview_sheet(figures, newest, previous, as_of, ctx, alerts, numbers, needs))
    target = Path(output) if output else default_output(workspace, as_of)
    if output is None:
        target.parent.mkdir(parents=True, exist_ok=True)
    write_workbook(target, sheets, inputs=[path], kind=REPORT)
    return ReportResult(as_of, newest, previous, figures, target, [s.name for s in sheets], notes, numbers, needs)


def _learning_sheets(conn, workspace: Workspace, ctx: AlertContext) -> list[SheetSpec]:
    """方案效果, 续费, 留出对照 and 留出学员 (learning.py), from the history up to the newest snapshot
    (`ctx`: the report's AlertContext of it). The snapshots and the reached calls are read once for all four."""
    from . import learning
    from .errors import ConfigError
    from .playbooks import RepeatedIds, load_playbooks

    frame, config, newest = ctx.frame, ctx.config, ctx.as_of
    snapshots = learning.Snapshots(conn, newest, newest_frame=frame)
    calls = history.reached_calls(conn, newest)
    sheets = []
    try:
        playbooks = load_playbooks(workspace.playbooks_dir)
    except RepeatedIds:
        raise
    except ConfigError:
        sheets.append(_note_sheet(SOLUTIONS_SHEET, "话术文件有问题，列不出方案：先运行 pfk playbook check 修好它们"))
    else:
        results = learning.solution_report(conn, playbooks, config, newest, snapshots, calls)
        if results:
            table = learning.solution_table(results)
            widths = {"方案": 26.0, "结论": 60.0, "95% 区间": 16.0}
            sheets.append(SheetSpec(SOLUTIONS_SHEET, table, widths=widths, row_colours=_segment_colours(table["分层"])))
        else:
            sheets.append(_note_sheet(SOLUTIONS_SHEET, "方案库里还没有带编号的方案：运行 pfk playbook ids 补上编号"))
    renewal = learning.renewal_table(conn, frame, config, newest, ctx, snapshots, calls)
    if renewal["学员数"].iloc[0]:
        sheets.append(SheetSpec(RENEWAL_SHEET, renewal, widths={"分组": 34.0, "结论": 50.0}))
    else:
        sheets.append(_note_sheet(RENEWAL_SHEET, f"到 {newest:%Y-%m-%d} 还没有学员进入续费期（结课前 30 天起）；名单或 pfk.toml 里要有课程结束日期"))
    held = learning.holdout_result(conn, config, newest, snapshots, calls)
    if len(held.draws):
        sheets.append(SheetSpec(HOLDOUT_SHEET, learning.holdout_table(held), widths={"结论": 60.0}, autofilter=False))
        names = frame.drop_duplicates("student_id").set_index("student_id")["name"]
        sheets.append(SheetSpec(HOLDOUT_STUDENTS_SHEET, learning.holdout_students(held, names)))
    else:
        note = "没有留出对照的记录：要比较回访与不回访，在 pfk.toml [plan] 里设 holdout_share（如 0.2），见 README"
        sheets += [_note_sheet(HOLDOUT_SHEET, note), _note_sheet(HOLDOUT_STUDENTS_SHEET, note)]
    return sheets


def _segment_colours(names) -> list[str | None]:
    by_name = {segment.name: segment.colour for segment in ALL_SEGMENTS}
    return [by_name.get(name) for name in names]


def _note_sheet(name: str, note: str) -> SheetSpec:
    import pandas as pd

    return SheetSpec(name, pd.DataFrame({NOTE_COLUMN: [note]}), autofilter=False, widths={NOTE_COLUMN: 80.0})


def _overview_sheet(figures: ReportFigures, newest: dt.date, previous: dt.date | None, as_of: dt.date, ctx, alerts, numbers, needs) -> SheetSpec:
    """概览 (overview.py): the week's numbers against last week, what needs the lead now, the details,
    and one chart in the segment colours — each teacher's students at risk by segment — beside them.
    Printed: the table and the chart, one page wide (the chart's own table, to the right, is left off)."""
    risky, rule = overview.at_risk(ctx, alerts)
    teachers = [name for name in teacher_order(ctx.frame) if name != UNASSIGNED]
    chart_table = overview.risk_by_segment(ctx, risky, teachers)
    width, height = 640, max(CHART_HEIGHT, 28 * len(chart_table) + 160)
    blank_rows = math.ceil(height / ROW_PIXELS) + 1
    table, chart_at = overview.overview_frame(numbers, needs, overview_table(figures, newest, previous, as_of), chart_table, blank_rows)
    chart = {
        "type": "bar_stacked",
        "series": [{"values": name, "name": name} for name in chart_table.columns[1:]],
        "categories": overview.CHART_TEACHER,
        "title": "各老师的风险学员（按分层）",
        "x_axis": "人数",
        "row": chart_at,
        "col": 0,
        "width": width,
        "height": height,
        "legend": True,
        "colours": [s.colour for s in ALL_SEGMENTS],
        "rows": max(1, len(chart_table)),
    }
    columns = len(overview.OVERVIEW_COLUMNS)
    page = {
        "fit_to_pages": (1, 0),
        "repeat_rows": 0,
        "landscape": False,
        "print_area": (0, 0, len(table), columns - 1),
        "footer": "&C第 &P 页，共 &N 页",
    }
    widths = {"项目": 22.0, "本周": 9.0, "上周": 9.0, "变化": 13.0, "说明": 48.0, **dict.fromkeys(chart_table.columns, 12.0)}
    heights = fitted_heights(table, widths, ["项目", "说明"])
    # The chart's rows at Excel's default height, so that it covers them exactly (ROW_PIXELS each).
    heights[chart_at - 1 : chart_at - 1 + blank_rows] = [ROW_PIXELS * 0.75] * blank_rows
    return SheetSpec(OVERVIEW_SHEET, table, autofilter=False, widths=widths, wrap=True, row_heights=heights, charts=[chart], page=page)


def overview_table(figures: ReportFigures, newest: dt.date, previous: dt.date | None, as_of: dt.date):
    """概览's details under the week's numbers: (项目, 数值, 说明) each — the snapshots, coverage,
    pace, alerts and the moves between the snapshots."""
    rows: list[tuple[str, float | None, str]] = [
        ("本次分层快照", None, f"{newest:%Y-%m-%d}" + ("" if newest == as_of else f"（{as_of:%Y-%m-%d} 及之前最近的一次）")),
        ("对比快照", None, f"{previous:%Y-%m-%d}" if previous else "无（只有一次分层快照）"),
        ("学员数", figures.students, "各分层人数见「分层分布」"),
    ]
    share = figures.coverage_share
    rows += [
        ("回访覆盖率（%）", round(share * 100, 1) if share is not None else None, f"{figures.called_within} 人在 {figures.cadence_days} 天内回访过"),
        ("从未回访", figures.never_called, "待回访且历史里没有回访记录"),
        ("跟进逾期", figures.overdue_follow_ups, "最近一次回访约定的跟进日期已过"),
        ("跟上进度占比（%）", round(figures.on_pace_share * 100, 1) if figures.on_pace_share is not None else None,
         f"{figures.on_pace} / {figures.pace_known} 名有课程日期的学员"),
        ("预警（条）", figures.alerts, f"涉及 {figures.alerted_students} 名学员"),
    ]
    if figures.moved_up is not None:
        rows += [
            ("分层上升", figures.moved_up, f"{previous:%Y-%m-%d} → {newest:%Y-%m-%d}"),
            ("分层不变", figures.stayed, ""),
            ("分层下降", figures.moved_down, "名单见「下降学员」"),
            ("首次打分", figures.first_scored, "上次是待回访学员，这次有了分层（不算上升）"),
            ("新学员", figures.new_students, "上次快照里没有"),
            ("已不在名单", figures.left_students, "本次快照里没有"),
        ]
        overall = figures.effect[figures.effect["起始分层"] == ALL_SEGMENTS_LABEL]
        for row in overall.to_dict("records"):
            text = f"{row['学员数']} 人：上升 {row['上升']}、不变 {row['不变']}、下降 {row['下降']}"
            if isinstance(row["结论"], str) and row["结论"]:  # a missing verdict is NaN, never written out
                text += f"；{row['结论']}"
            value = row["上升占比（%）"] if row["学员数"] else None
            rows.append((f"{row['组别']}：上升占比（%）", None if value is None or value != value else value, text))
    return rows
