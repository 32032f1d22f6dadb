"""The playbooks learn (seed 000's "online learning algorithm", SPEC §12): what followed each solution,
whether students renew, and the holdout comparison — each as a table the report writes and
`pfk playbook show` prints.

The unit is a **student-week**: a student reached at least once between two snapshots (a week of the
loop: the calls of a sheet dated D are the week of the newest snapshot on or before D), in the segment
that snapshot gave them. What followed, for each student-week (blank where it cannot be told yet):

- 分层上升 / 分层下降: the segment's rank (segments.py) at the next snapshot, against this one's. A
  student pending (待回访) at the start is left out: a first call always gives a segment.
- 两周内再次接通: another reached call within 14 days after the week's last reached call (told once
  the newest snapshot is 14 days past it).
- 两周后仍在学习: at the first snapshot 14–21 days after that call, the last learning is less than
  `[alerts] inactive_days` old (never active: no).
- 已续费: renewed on the newest snapshot (`model.renewed`).

A solution's students are the student-weeks whose calls recorded it (使用方案); its comparison, the
student-weeks of the same segment and of the same weeks, reached, whose calls did not record it. The
difference of the two shares has Newcombe's 95 % interval; with fewer than `stats.MIN_GROUP` in either
group the table says there is too little to tell. Solutions are ranked by the lower end of that
interval for moving up (for 待回访's solutions, still learning): the difference they can claim at least.
This is still "who got it" against "who did not": teachers pick a solution for a reason. The holdout
(holdout.py) is the comparison free of that.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from dataclasses import dataclass

from . import history
from .alert_rules import RENEWAL_STAGES, RULE_BY_CODE, AlertContext, renewal_stages
from .frames import days_between
from .model import renewed
from .playbooks import OTHER_SOLUTION
from .segments import ALL_SEGMENTS, BY_CODE, PENDING_CODE
from .stats import Comparison, interval_text, percent, wilson

FOLLOW_DAYS = 14  # "two weeks later"
ACTIVE_WINDOW_DAYS = 7  # the snapshot that tells "still learning" is 14 to 21 days after the call
RENEWAL_WINDOW_DAYS = RENEWAL_STAGES["renewal_30d"][0]  # the renewal window opens with the first stage (a month before the end)

# What followed, in the order the tables show it: key, label.
OUTCOMES = (
    ("up", "分层上升"),
    ("down", "分层下降"),
    ("reached_again", "两周内再次接通"),
    ("active", "两周后仍在学习"),
    ("renewed", "已续费"),
)
OUTCOME_LABELS = dict(OUTCOMES)

# 方案效果 (report sheet): one row per solution and outcome.
SOLUTION_COLUMNS = (
    "排名", "分层", "方案编号", "方案", "使用次数", "结果",
    "用过（人次）", "用过：其中", "用过：占比（%）", "对照（人次）", "对照：其中", "对照：占比（%）",
    "差（百分点）", "95% 区间", "结论",
)
NEVER_USED = "还没有回访记录用过这条方案"
# 续费 (report sheet): one row per group, with the group it is compared with where there is one.
RENEWAL_COLUMNS = (
    "维度", "分组", "学员数", "已续费", "续费率（%）", "95% 区间",
    "对比组", "对比组学员数", "对比组已续费", "对比组续费率（%）", "差（百分点）", "差的 95% 区间", "结论",
)
# 留出对照 (report sheet): per segment at the draw, kept on the plan against held out.
HOLDOUT_OUTCOMES = (("reached", "留出期内接通"), ("up", "分层上升"), ("down", "分层下降"), ("active", "仍在学习"), ("renewed", "已续费"))
HOLDOUT_COLUMNS = (
    "起始分层", "结果", "照常安排（人）", "照常：其中", "照常：占比（%）", "留出（人）", "留出：其中", "留出：占比（%）",
    "差（百分点）", "95% 区间", "结论",
)
HOLDOUT_STUDENT_COLUMNS = ("学号", "姓名", "运营老师", "抽签时分层", "抽签日期", "留出到", "留出期内接通")
ALL_LABEL = "全部"


# ---------------------------------------------------------------------------------------------------
# What the history says: snapshots and student-weeks
# ---------------------------------------------------------------------------------------------------


class Snapshots:
    """The snapshots on or before `end`, each read once and only for the columns asked.

    `newest_frame`: the newest of them (`history.load_snapshot`, columns may be added), when the caller
    holds it already: its columns are taken from it rather than read again."""

    def __init__(self, conn: sqlite3.Connection, end: dt.date, newest_frame=None) -> None:
        self.conn = conn
        self.dates = [d for d in history.snapshot_dates(conn) if d <= end]
        self._newest = newest_frame if self.dates else None
        self._frames: dict[tuple, object] = {}

    def frame(self, day: dt.date, columns: tuple[str, ...]):
        key = (day, columns)
        if key not in self._frames:
            held = self._newest is not None and day == self.dates[-1] and set(columns) <= set(self._newest.columns)
            table = self._newest[list(columns)] if held else history.load_snapshot(self.conn, day, list(columns))
            self._frames[key] = table.drop_duplicates("student_id").set_index("student_id")
        return self._frames[key]

    def on_or_before(self, day) -> dt.date | None:
        earlier = [d for d in self.dates if d <= day]
        return earlier[-1] if earlier else None

    def after(self, day: dt.date) -> dt.date | None:
        later = [d for d in self.dates if d > day]
        return later[0] if later else None

    def between(self, first: dt.date, last: dt.date) -> dt.date | None:
        found = [d for d in self.dates if first <= d <= last]
        return found[0] if found else None


def _rank(codes):
    return codes.map({code: segment.rank for code, segment in BY_CODE.items()})


def _moves(snapshots: Snapshots, students, start_days, end_days):
    """(up, down) for each student between their start and end snapshot: nullable booleans, blank where
    either is missing or the student was pending at the start."""
    import pandas as pd

    start_segment = _lookup(snapshots, students, start_days, ("student_id", "segment"), "segment")
    end_segment = _lookup(snapshots, students, end_days, ("student_id", "segment"), "segment")
    judged = start_segment.notna() & end_segment.notna() & (start_segment != PENDING_CODE)
    change = _rank(end_segment) - _rank(start_segment)
    up = pd.Series(pd.array(change > 0, dtype="boolean")).where(judged.to_numpy(), pd.NA)
    down = pd.Series(pd.array(change < 0, dtype="boolean")).where(judged.to_numpy(), pd.NA)
    return start_segment, up.set_axis(students.index), down.set_axis(students.index)


def _lookup(snapshots: Snapshots, students, days, columns: tuple[str, ...], name: str):
    """Each student's `name` in the snapshot of their day (`days`: datetime64; blank where there is none)."""
    import pandas as pd

    values = pd.Series(None, index=students.index, dtype=object)
    for day in sorted({d for d in days.dropna().tolist()}):
        mine = days == day
        table = snapshots.frame(day.date(), columns)
        values[mine] = students[mine].map(table[name]).to_numpy()
    return values


def _active(snapshots: Snapshots, students, days, inactive_days: int):
    """Still learning at the snapshot of `days` (datetime64): last learning less than `inactive_days`
    before it (never active: no; not known, or not in that snapshot: blank)."""
    import pandas as pd

    result = pd.Series(pd.NA, index=students.index, dtype="boolean")
    columns = ("student_id", "last_active", "activity_known")
    for day in sorted({d for d in days.dropna().tolist()}):
        mine = days == day
        table = snapshots.frame(day.date(), columns)
        last = students[mine].map(table["last_active"])
        # A student not in the snapshot has neither a last learning nor a known activity: blank.
        known = students[mine].map(table["activity_known"]).fillna(False).astype(bool)
        waited = days_between(day.date(), pd.to_datetime(last))
        active = pd.Series(pd.array(waited < inactive_days, dtype="boolean"), index=last.index)
        active = active.where(last.notna() | known, pd.NA)
        result[mine] = active.to_numpy()
    return result


def renewed_now(snapshots: Snapshots, students):
    """Renewed on the newest snapshot (blank for a student not in it)."""
    import pandas as pd

    if not snapshots.dates:
        return pd.Series(pd.NA, index=students.index, dtype="boolean")
    table = snapshots.frame(snapshots.dates[-1], ("student_id", "renewal"))
    flags = renewed(table.reset_index()).set_axis(table.index)
    out = students.map(flags)
    return pd.Series(pd.array(out, dtype="boolean"), index=students.index)


def student_weeks(conn: sqlite3.Connection, end: dt.date, inactive_days: int, snapshots: Snapshots | None = None, calls=None):
    """One row per student reached in a week (between two snapshots), up to `end`: student_id, week
    (that week's snapshot date), segment (in it), last_call, solutions (the ids and 其他 the week's
    calls recorded), and what followed (`OUTCOMES`: nullable booleans, blank where not told yet).
    `snapshots` (`Snapshots(conn, end)`) and `calls` (`history.reached_calls(conn, end)`): when the
    caller has them already."""
    import numpy as np
    import pandas as pd

    snapshots = snapshots if snapshots is not None else Snapshots(conn, end)
    calls = calls if calls is not None else history.reached_calls(conn, end)
    columns = ["student_id", "week", "segment", "last_call", "solutions", *(key for key, _ in OUTCOMES)]
    if calls.empty or not snapshots.dates:
        return pd.DataFrame(columns=columns), snapshots
    days = np.array(snapshots.dates, dtype="datetime64[D]").astype("datetime64[ns]")
    place = np.searchsorted(days, calls["called_on"].to_numpy(), side="right") - 1
    calls = calls[place >= 0].assign(week=days[place[place >= 0]])
    weeks = calls.groupby(["student_id", "week"], sort=True).agg(
        last_call=("called_on", "max"),
        solutions=("solution", lambda values: frozenset(v for v in values if isinstance(v, str) and v)),
    ).reset_index()
    students = weeks["student_id"]
    next_days = weeks["week"].map(lambda d: snapshots.after(d.date()))
    next_days = pd.to_datetime(next_days)
    segment, up, down = _moves(snapshots, students, weeks["week"], next_days)
    weeks["segment"] = segment
    weeks["up"], weeks["down"] = up, down
    # The next reached call after the week's last one.
    after = pd.merge_asof(
        weeks[["student_id", "last_call"]].astype({"student_id": "str"}).reset_index().sort_values("last_call"),
        calls[["student_id", "called_on"]].sort_values("called_on"),
        left_on="last_call", right_on="called_on", by="student_id", direction="forward", allow_exact_matches=False,
    ).set_index("index").sort_index()
    horizon = pd.Timestamp(snapshots.dates[-1])
    told = weeks["last_call"] + pd.Timedelta(days=FOLLOW_DAYS) <= horizon
    again = (after["called_on"] - weeks["last_call"]).dt.days <= FOLLOW_DAYS
    weeks["reached_again"] = pd.Series(pd.array(again, dtype="boolean")).where(told.to_numpy(), pd.NA)
    later = weeks["last_call"].map(
        lambda d: snapshots.between((d + pd.Timedelta(days=FOLLOW_DAYS)).date(), (d + pd.Timedelta(days=FOLLOW_DAYS + ACTIVE_WINDOW_DAYS)).date())
    )
    weeks["active"] = _active(snapshots, students, pd.to_datetime(later), inactive_days)
    weeks["renewed"] = renewed_now(snapshots, students)
    weeks = weeks[weeks["segment"].notna()].reset_index(drop=True)
    return weeks[columns], snapshots


# ---------------------------------------------------------------------------------------------------
# Comparing two groups (stats.Comparison)
# ---------------------------------------------------------------------------------------------------


def compare(flags, group) -> Comparison:
    """`flags` (nullable booleans) in `group` against the rest; blank flags are left out."""
    told = flags.notna()
    yes = flags.fillna(False).astype(bool)
    return Comparison(int((yes & group).sum()), int((told & group).sum()), int((yes & ~group).sum()), int((told & ~group).sum()))


# ---------------------------------------------------------------------------------------------------
# 方案效果: per solution
# ---------------------------------------------------------------------------------------------------


@dataclass
class SolutionResult:
    code: str  # the playbook's segment
    id: str
    title: str
    uses: int  # reached calls that recorded it
    results: dict[str, Comparison]  # outcome key → used against not used, same segment and weeks

    @property
    def primary(self) -> str:
        return "active" if self.code == PENDING_CODE else "up"

    @property
    def score(self) -> float | None:
        """The lower end of the primary outcome's interval, when there is enough to tell."""
        result = self.results.get(self.primary)
        return result.interval[1] if result is not None and result.enough else None


def solution_results(weeks, playbooks, uses: dict[str, int]) -> list[SolutionResult]:
    """Every solution with an id, with what followed (`OUTCOMES`), ranked: those with enough to tell by
    `score`, best first, then the others by use."""
    found = []
    for segment in ALL_SEGMENTS:
        book = playbooks.get(segment.code)
        if book is None:
            continue
        for entry in book.problems:
            if not entry.id:
                continue
            used = weeks["solutions"].map(lambda chosen, key=entry.id: key in chosen).astype(bool)
            same_weeks = weeks["week"].isin(set(weeks["week"][used]))
            pool = weeks[used | (same_weeks & (weeks["segment"] == segment.code))]
            group = used[pool.index]
            results = {key: compare(pool[key], group) for key, _ in OUTCOMES}
            found.append(SolutionResult(segment.code, entry.id, entry.short_title, uses.get(entry.id, 0), results))
    ranked = sorted((r for r in found if r.score is not None), key=lambda r: -r.score)
    rest = sorted((r for r in found if r.score is None), key=lambda r: -r.uses)
    return ranked + rest


def solution_uses(conn: sqlite3.Connection, end: dt.date, calls=None) -> dict[str, int]:
    """Reached calls on or before `end` per 使用方案 (ids and 其他). `calls`: `history.reached_calls(conn, end)`
    when the caller has them already."""
    calls = calls if calls is not None else history.reached_calls(conn, end)
    return {solution: int(count) for solution, count in calls["solution"].value_counts().items()}


def solution_table(results: list[SolutionResult]):
    """方案效果: per solution (ranked) and outcome, used against not used."""
    import pandas as pd

    rows = []
    rank = 0
    for result in results:
        ranked = result.score is not None
        rank += ranked
        head = {
            "排名": rank if ranked else None, "分层": BY_CODE[result.code].name, "方案编号": result.id, "方案": result.title,
            "使用次数": result.uses,
        }
        if not result.uses:
            rows.append({**head, "结果": "—", "结论": NEVER_USED})
            continue
        for key, label in OUTCOMES:
            c = result.results[key]
            d, low, high = c.interval
            rows.append(
                {
                    **head, "结果": label,
                    "用过（人次）": c.n1, "用过：其中": c.k1, "用过：占比（%）": percent(c.share1),
                    "对照（人次）": c.n0, "对照：其中": c.k0, "对照：占比（%）": percent(c.share0),
                    "差（百分点）": percent(d), "95% 区间": interval_text(low, high),
                    "结论": c.verdict("用过的更高", "用过的更低", "人次"),
                }
            )
    table = pd.DataFrame(rows, columns=list(SOLUTION_COLUMNS))
    return table.astype({"排名": "Int64", "使用次数": "int64", **{c: "Int64" for c in SOLUTION_COLUMNS if c.endswith(("（人次）", "其中"))}})


def solution_report(conn: sqlite3.Connection, playbooks, config, end: dt.date, snapshots: Snapshots | None = None, calls=None) -> list[SolutionResult]:
    """Every solution's results up to `end` (the newest snapshot). `snapshots` and `calls`: as for
    `student_weeks`."""
    calls = calls if calls is not None else history.reached_calls(conn, end)
    weeks, _ = student_weeks(conn, end, config.alerts.inactive_days, snapshots, calls)
    return solution_results(weeks, playbooks, solution_uses(conn, end, calls))


# ---------------------------------------------------------------------------------------------------
# 续费: who renews
# ---------------------------------------------------------------------------------------------------


def renewal_table(
    conn: sqlite3.Connection, frame, config, newest: dt.date, ctx: AlertContext | None = None, snapshots: Snapshots | None = None, calls=None
):
    """续费: renewal on the newest snapshot of the students whose renewal window (a month before the
    course end) has begun by then — per segment (as the window began), per teacher, per renewal stage
    reached or not (a reached call within the stage), and reached anywhere in the window or not.
    `ctx` (an AlertContext of `frame`, `config` and `newest`), `snapshots` (`Snapshots(conn, newest)`)
    and `calls` (`history.reached_calls(conn, newest)`): when the caller has them already."""
    import pandas as pd

    ctx = ctx if ctx is not None else AlertContext(frame, config, newest, None, None)
    end = ctx.courses["end"]
    days_left = ctx.days_left
    in_window = days_left.le(RENEWAL_WINDOW_DAYS).fillna(False)
    people = frame[in_window].reset_index(drop=True)
    ends = pd.to_datetime(end[in_window]).reset_index(drop=True)
    left = days_left[in_window].reset_index(drop=True)
    done = renewed(people).reset_index(drop=True)
    snapshots = snapshots if snapshots is not None else Snapshots(conn, newest)
    starts = ends - pd.Timedelta(days=RENEWAL_WINDOW_DAYS)
    start_days = starts.map(lambda d: snapshots.on_or_before(d.date()) or (snapshots.dates[0] if snapshots.dates else None))
    start_segment = _lookup(snapshots, people["student_id"], pd.to_datetime(start_days), ("student_id", "segment"), "segment")
    start_segment = start_segment.fillna(people["segment"])
    calls = calls if calls is not None else history.reached_calls(conn, newest)

    def reached_between(first_offset: int, last_offset: int):
        """Reached on a day from end − first_offset to end − last_offset (and not after the newest snapshot)."""
        first = ends - pd.Timedelta(days=first_offset)
        last = (ends - pd.Timedelta(days=last_offset)).clip(upper=pd.Timestamp(newest))
        merged = calls[["student_id", "called_on"]].merge(pd.DataFrame({"student_id": people["student_id"], "first": first, "last": last}), on="student_id")
        hit = merged[(merged["called_on"] >= merged["first"]) & (merged["called_on"] <= merged["last"])]["student_id"]
        return people["student_id"].isin(set(hit))

    rows = []

    def share_row(dimension: str, group: str, mask) -> None:
        n, k = int(mask.sum()), int((done & mask).sum())
        low, high = wilson(k, n)
        rows.append({"维度": dimension, "分组": group, "学员数": n, "已续费": k, "续费率（%）": percent(k / n if n else math.nan), "95% 区间": interval_text(low, high)})

    def compare_row(dimension: str, group: str, other: str, mask, among) -> None:
        c = compare(pd.Series(pd.array(done, dtype="boolean")).where(among.to_numpy(), pd.NA), mask & among)
        low1, high1 = wilson(c.k1, c.n1)
        d, low, high = c.interval
        rows.append(
            {
                "维度": dimension, "分组": group, "学员数": c.n1, "已续费": c.k1, "续费率（%）": percent(c.share1),
                "95% 区间": interval_text(low1, high1), "对比组": other, "对比组学员数": c.n0, "对比组已续费": c.k0,
                "对比组续费率（%）": percent(c.share0), "差（百分点）": percent(d), "差的 95% 区间": interval_text(low, high),
                "结论": c.verdict("接通过的续费率更高", "接通过的续费率更低"),
            }
        )

    everyone = pd.Series(True, index=people.index)
    share_row("合计", "续费期已开始的学员", everyone)
    for segment in ALL_SEGMENTS:
        mine = start_segment == segment.code
        if mine.any():
            share_row("分层（续费期开始时）", segment.name, mine)
    teachers = people["teacher"].fillna("（未分配）").replace("", "（未分配）")
    for teacher in sorted(teachers.unique()):
        share_row("运营老师", teacher, teachers == teacher)
    stages = renewal_stages(config)
    for code, (first, last) in stages.items():
        begun = left <= first
        label = RULE_BY_CODE[code].label
        compare_row("续费阶段", f"{label}：阶段内接通", "阶段内没接通", reached_between(first, last), begun)
        if not begun.any():
            rows[-1]["结论"] = f"到 {newest:%Y-%m-%d} 还没有学员到这个阶段"
    window = reached_between(RENEWAL_WINDOW_DAYS, stages["renewal_after"][1])
    compare_row("续费期内回访", "续费期内接通过", "续费期内没接通", window, everyone)
    table = pd.DataFrame(rows, columns=list(RENEWAL_COLUMNS))
    return table.astype({c: "Int64" for c in ("学员数", "已续费", "对比组学员数", "对比组已续费")})


# ---------------------------------------------------------------------------------------------------
# 留出对照: the holdout
# ---------------------------------------------------------------------------------------------------


@dataclass
class HoldoutResult:
    draws: object  # pandas.DataFrame: holdout.recorded_draws, with the outcomes of `HOLDOUT_OUTCOMES`
    running_until: dt.date | None  # the latest round not yet over on the newest snapshot (None: all over)


def holdout_result(conn: sqlite3.Connection, config, newest: dt.date, snapshots: Snapshots | None = None, calls=None) -> HoldoutResult:
    """Every draw up to `newest`, with what followed it: reached in the round, the segment's move and
    still learning at the first snapshot on or after the round's end (the newest snapshot while the
    round runs), renewed on the newest snapshot. `snapshots` (`Snapshots(conn, newest)`) and `calls`
    (`history.reached_calls(conn, newest)`): when the caller has them already."""
    import pandas as pd

    from .holdout import recorded_draws

    draws = recorded_draws(conn, newest)
    if draws.empty:
        return HoldoutResult(draws.assign(**{key: pd.Series(dtype="boolean") for key, _ in HOLDOUT_OUTCOMES}), None)
    snapshots = snapshots if snapshots is not None else Snapshots(conn, newest)
    students = draws["student_id"]
    start = draws["drawn_on"].map(lambda d: snapshots.on_or_before(d.date()))
    measured = draws["until"].map(lambda d: next((s for s in snapshots.dates if s >= d.date()), snapshots.dates[-1]))
    _, draws["up"], draws["down"] = _moves(snapshots, students, pd.to_datetime(start), pd.to_datetime(measured))
    draws["active"] = _active(snapshots, students, pd.to_datetime(measured), config.alerts.inactive_days)
    draws["renewed"] = renewed_now(snapshots, students)
    calls = calls if calls is not None else history.reached_calls(conn, newest)
    merged = calls[["student_id", "called_on"]].merge(draws[["student_id", "drawn_on", "until"]].reset_index(), on="student_id")
    hit = merged[(merged["called_on"] >= merged["drawn_on"]) & (merged["called_on"] < merged["until"])]["index"]
    draws["reached"] = pd.array(draws.index.isin(set(hit)), dtype="boolean")
    running = draws["until"] > pd.Timestamp(newest)
    return HoldoutResult(draws, draws["until"][running].max().date() if running.any() else None)


def holdout_table(result: HoldoutResult):
    """留出对照: per segment at the draw (then all together), kept on the plan against held out."""
    import pandas as pd

    draws = result.draws
    rows = []
    running = f"留出期还没结束（到 {result.running_until:%Y-%m-%d}），按最新快照计：" if result.running_until else ""

    def add(label: str, part) -> None:
        for key, name in HOLDOUT_OUTCOMES:
            c = compare(part[key], ~part["held_out"])
            d, low, high = c.interval
            rows.append(
                {
                    "起始分层": label, "结果": name,
                    "照常安排（人）": c.n1, "照常：其中": c.k1, "照常：占比（%）": percent(c.share1),
                    "留出（人）": c.n0, "留出：其中": c.k0, "留出：占比（%）": percent(c.share0),
                    "差（百分点）": percent(d), "95% 区间": interval_text(low, high),
                    "结论": running + c.verdict("照常回访的更高", "照常回访的更低"),
                }
            )

    for segment in ALL_SEGMENTS:
        part = draws[draws["segment"] == segment.code]
        if len(part):
            add(segment.name, part)
    add(ALL_LABEL, draws)
    table = pd.DataFrame(rows, columns=list(HOLDOUT_COLUMNS))
    return table.astype({c: "Int64" for c in ("照常安排（人）", "照常：其中", "留出（人）", "留出：其中")})


def holdout_students(result: HoldoutResult, names):
    """留出学员: every student held out, newest draw first: who, from when, until when."""
    import pandas as pd

    held = result.draws[result.draws["held_out"]].sort_values(["drawn_on", "teacher", "student_id"], ascending=[False, True, True])
    return pd.DataFrame(
        {
            "学号": held["student_id"].to_numpy(),
            "姓名": held["student_id"].map(names).to_numpy(),
            "运营老师": held["teacher"].to_numpy(),
            "抽签时分层": held["segment"].map({code: s.name for code, s in BY_CODE.items()}).to_numpy(),
            "抽签日期": held["drawn_on"].to_numpy(),
            "留出到": held["until"].to_numpy(),
            "留出期内接通": held["reached"].map({True: "是", False: "否"}).to_numpy(),
        },
        columns=list(HOLDOUT_STUDENT_COLUMNS),
    )


@dataclass
class PlaybookUsage:
    """What `pfk playbook show` says under each solution of one playbook."""

    newest: dt.date  # the snapshot the results reach
    results: dict[str, SolutionResult]  # by solution id
    others: int  # student-weeks of this segment whose calls used a solution from outside the playbook


def playbook_usage(workspace, playbook) -> PlaybookUsage | None:
    """What followed each solution of `playbook`, from the workspace's history up to its newest
    snapshot; None outside a workspace or before any snapshot (no history is created to say so)."""
    path = workspace.history_path
    if path is None or not path.exists():
        return None
    with workspace.open_history(read_only=True) as conn:
        dates = history.snapshot_dates(conn)
        if not dates:
            return None
        calls = history.reached_calls(conn, dates[-1])
        weeks, _ = student_weeks(conn, dates[-1], workspace.config.alerts.inactive_days, calls=calls)
        uses = solution_uses(conn, dates[-1], calls)
    results = solution_results(weeks, {playbook.code: playbook}, uses)
    others = int(((weeks["segment"] == playbook.code) & weeks["solutions"].map(lambda chosen: OTHER_SOLUTION in chosen)).sum())
    return PlaybookUsage(dates[-1], {result.id: result for result in results}, others)
