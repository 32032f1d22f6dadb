"""The playbooks learn (seed 000's "online learning algorithm", SPEC §12): what followed each solution
proposed, who renews, and the holdout — each as a table the report writes and `pfk playbook show`
prints. What followed is always one of the platform's own outcomes (outcomes.py), never the P or K
typed at the call; one not yet knowable is left out and said so, with the day it will be known.

- **方案效果** (`solution_results`): a solution is measured by the call-sheet rows that *proposed* it
  (建议方案, proposals.py — Thompson sampling, so who gets which proposal is the draw's doing, not a
  teacher's judgement): its rows against the rows of the same segment that proposed another solution,
  on the days both were proposed (intention to treat). What the teachers recorded (使用方案) is shown
  beside — how often the proposal was followed, how often the solution was used at all — and never
  decides the comparison: teachers pick a solution for a student who looks worse, and "who got it"
  against "who did not" measures that pick. Ranked, within each segment, by that difference in the
  primary outcome (`outcomes.PRIMARY`: still learning 14 days on).
- **续费** (`renewal_table`): every student whose renewal window (a month before the course end)
  has begun, counted with the teacher who held them and the segment they had when it began — a
  student moved to 公海 or gone from the roster since stays in the denominator. A "no" is only known
  once the window has closed; until then the row says how many are still open.
- **留出对照** (`holdout_table`): the students drawn into a round, held out against kept on the
  plan (holdout.py), with the calls each arm actually received. When the arms were not kept apart the
  sheet says so and gives no verdict.

Every comparison says what it can tell (stats.py): its size, the smallest difference it could find
(80 % power, two-sided 5 %), how many more rows an answer needs and how many weeks that is at this
team's pace, and a note of how many comparisons read at once look clear by chance.

A **student-week** (`student_weeks`) is a student reached at least once between two snapshots (the
calls of a sheet dated D are the week of the newest snapshot on or before D), with its outcomes
measured from that week's snapshot.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from dataclasses import dataclass, field

from . import history
from .alert_rules import RENEWAL_STAGES, RULE_BY_CODE, AlertContext, renewal_stages
from .model import renewed
from .outcomes import OUTCOMES, PRIMARY, Snapshots, course_ends, measure
from .playbooks import OTHER_SOLUTION
from .segments import ALL_SEGMENTS, BY_CODE
from .stats import Comparison, chance_note, interval_text, more_needed, percent, stratified_difference, verdict, wilson

RENEWAL_WINDOW_DAYS = RENEWAL_STAGES["renewal_30d"][0]  # the renewal window opens with the first stage (a month before the end)
# The difference an answer is sought for. A solution worth preferring should move its outcome by ten
# points; a call by five (the best randomised outreach studies found +2 to +7 points).
SOLUTION_EFFECT = 0.10
CALL_EFFECT = 0.05

OUTCOME_LABELS = {outcome.key: outcome.label for outcome in OUTCOMES}
# What every comparison adds: what it can tell (the rows still needed, in the table's unit).
DETECTABLE, WEEKS_NEEDED = "能看出的最小差别（百分点）", "按目前进度约需（周）"
POWER_COLUMNS = (DETECTABLE, "还需（人次）", WEEKS_NEEDED)
HOLDOUT_POWER_COLUMNS = (DETECTABLE, "还需（人）", WEEKS_NEEDED)
# 方案效果 (report sheet): one row per solution and outcome, by what was proposed.
SOLUTION_COLUMNS = (
    "排名", "分层", "方案编号", "方案", "建议（人次）", "照建议用了（人次）", "使用次数",
    "结果", "建议这条（人次）", "建议这条：其中", "建议这条：占比（%）", "建议别的（人次）", "建议别的：其中", "建议别的：占比（%）",
    "差（百分点）", "95% 区间", *POWER_COLUMNS, "结论",
)
NEVER_PROPOSED = "回访表还没有建议过这条方案"
ALONE = "这个分层只有这一条带编号的方案，每次都建议它，没有可比的对照：再加一条办法（pfk playbook add）才比得出"
NOTE_LABEL = "（说明）"
# 续费 (report sheet): one row per group, with the group it is compared with where there is one.
RENEWAL_COLUMNS = (
    "维度", "分组", "学员数", "已续费", "续费率（%）", "95% 区间", "续费期未结束",
    "对比组", "对比组学员数", "对比组已续费", "对比组续费率（%）", "差（百分点）", "差的 95% 区间", "结论",
)
# 留出对照 (report sheet): per segment at the draw, kept on the plan against held out.
HOLDOUT_COLUMNS = (
    "起始分层", "结果", "照常安排（人）", "照常：其中", "照常：占比（%）", "留出（人）", "留出：其中", "留出：占比（%）",
    "差（百分点）", "95% 区间", *HOLDOUT_POWER_COLUMNS, "结论",
)
# The first row of each group: the calls reached in the round (其中: how many in all; 结论: per student).
HOLDOUT_CALLS = "留出期内接通电话（次）"
HOLDOUT_STUDENT_COLUMNS = ("学号", "姓名", "运营老师", "抽签时分层", "抽签日期", "留出到", "留出期内接通")
ALL_LABEL = "全部"
# The arms were kept apart when the held-out students received at most half the calls of the kept
# ones, and a quarter of a call fewer each at least.
APART_RATIO = 0.5
APART_CALLS = 0.25
NOT_APART = "这次对照两组接到的电话差不多，看不出回访的作用"


# ---------------------------------------------------------------------------------------------------
# What a comparison can tell
# ---------------------------------------------------------------------------------------------------


def compare(flags, group) -> Comparison:
    """`flags` (nullable booleans) in `group` against the rest; blank flags are left out."""
    told = flags.notna()
    yes = flags.fillna(False).astype(bool)
    return Comparison(int((yes & group).sum()), int((told & group).sum()), int((yes & ~group).sum()), int((told & ~group).sum()))


@dataclass
class Told:
    """One outcome of one comparison: the counts, when its blanks will be known, what more it needs."""

    comparison: Comparison
    waiting: int  # rows whose outcome is not known yet
    known_on: dt.date | None  # the day the last of them will be known (None: none waits, or no day known)
    more: int | None  # more rows until `effect` could be found (beyond those waiting)
    weeks: int | None  # how many weeks that is at the pace so far
    stratified: tuple[float, float, float] | None = None  # (difference, low, high) day by day, where it differs from the pooled

    @property
    def difference(self) -> tuple[float, float, float]:
        """(difference, low, high): day by day where the rows came on several days, else Newcombe's."""
        return self.stratified if self.stratified is not None else self.comparison.interval

    def said(self, higher: str, lower: str, unit: str) -> str:
        """The verdict: before anything is known, 还不能判断 and when it will be."""
        c = self.comparison
        if not (c.n1 and c.n0):
            if self.known_on:
                return f"还不能判断：要到 {self.known_on:%Y-%m-%d} 以后才知道"
            return "还不能判断：还没有可比的结果" + ("（课程结束日期不明，续费要等结课后才知道）" if self.waiting else "")
        _, low, high = self.difference
        text = verdict(c.n1, c.n0, low, high, higher, lower, unit, too_few="还不能判断")
        decided = c.enough and (low > 0 or high < 0)
        if not decided and self.known_on:
            text += f"；还有 {self.waiting} {unit}的结果 {self.known_on:%Y-%m-%d} 以后才知道"
        return text

    def power_cells(self, columns: tuple[str, str, str] = POWER_COLUMNS) -> dict:
        detectable = self.comparison.detectable
        return {
            # Past 100 points nothing at all could be told: shown as 100.
            columns[0]: percent(min(detectable, 1.0)) if detectable == detectable else math.nan,
            columns[1]: self.more,
            columns[2]: self.weeks,
        }


def told(measured, key: str, group, effect: float, weeks_so_far: float, strata=None) -> Told:
    """`key` of the rows `measured` (outcomes.measure), `group` against the rest: what it tells,
    and — at the pace `len(measured) / weeks_so_far` — how long until `effect` could be found.
    `strata` (a key per row, the day proposed): with rows of both groups on more than one day, the
    difference is weighed day by day (`stats.stratified_difference`)."""
    c = compare(measured[key], group)
    blank = measured[key].isna()
    dated = measured[f"{key}_on"].notna()
    # A renewal with no course end known still waits (for the end); other blanks without a day never come.
    waiting = int((blank & (dated | (key == "renewed"))).sum())
    known_on = measured[f"{key}_on"][blank & dated]
    more = max(0, more_needed(c.n1, c.n0, c.pooled, effect) - waiting)
    pace = len(measured) / max(weeks_so_far, 1.0)
    weeks = math.ceil(more / pace) if more and pace else (0 if not more else None)
    return Told(c, waiting, known_on.max().date() if len(known_on) else None, more, weeks, _by_stratum(measured[key], group, strata))


def _by_stratum(flags, group, strata) -> tuple[float, float, float] | None:
    """`stats.stratified_difference` of `flags` in `group` against the rest, stratum by stratum; None
    unless more than one stratum has both groups."""
    if strata is None:
        return None
    counts = []
    for _, rows in flags.groupby(strata.to_numpy()):
        c = compare(rows, group[rows.index])
        if c.n1 and c.n0:
            counts.append((c.k1, c.n1, c.k0, c.n0))
    return stratified_difference(counts) if len(counts) > 1 else None


def _weeks_between(days) -> float:
    """Weeks from the first to the last of `days` (datetime64), counting the first week."""
    days = days.dropna()
    return ((days.max() - days.min()).days / 7 + 1) if len(days) else 1.0


def _power_types(table, columns) -> object:
    return table.astype({c: "Int64" for c in columns if c in (POWER_COLUMNS[1], HOLDOUT_POWER_COLUMNS[1], WEEKS_NEEDED)})


# ---------------------------------------------------------------------------------------------------
# Student-weeks: the calls reached, with what followed
# ---------------------------------------------------------------------------------------------------


def student_weeks(conn: sqlite3.Connection, end: dt.date, config, snapshots: Snapshots | None = None, calls=None, outcomes: bool = True):
    """One row per student reached in a week (between two snapshots), up to `end`: student_id, week
    (that week's snapshot date), segment (in it), last_call, solutions (the ids and 其他 the week's
    calls recorded), and what followed (`outcomes.measure` from the week's snapshot: a nullable
    boolean per outcome key and its `<key>_on`; not with `outcomes=False`). `snapshots`
    (`Snapshots(conn, end)`) and `calls` (`history.reached_calls(conn, end)`): when the caller has them already."""
    import numpy as np
    import pandas as pd

    snapshots = snapshots if snapshots is not None else Snapshots(conn, end)
    calls = calls if calls is not None else history.reached_calls(conn, end)
    keys = [outcome.key for outcome in OUTCOMES] if outcomes else []
    columns = ["student_id", "week", "segment", "last_call", "solutions", *keys, *(f"{key}_on" for key in keys)]
    if calls.empty or not snapshots.dates:
        return pd.DataFrame(columns=columns)
    days = np.array(snapshots.dates, dtype="datetime64[D]").astype("datetime64[ns]")
    place = np.searchsorted(days, calls["called_on"].to_numpy(), side="right") - 1
    calls = calls[place >= 0].assign(week=days[place[place >= 0]])
    weeks = calls.groupby(["student_id", "week"], sort=True).agg(
        last_call=("called_on", "max"),
        solutions=("solution", lambda values: frozenset(v for v in values if isinstance(v, str) and v)),
    ).reset_index()
    segment = pd.Series(None, index=weeks.index, dtype=object)
    for week in weeks["week"].unique():
        mine = weeks["week"] == week
        table = snapshots.frame(pd.Timestamp(week).date(), ("student_id", "segment"))
        segment[mine] = weeks["student_id"][mine].map(table["segment"]).to_numpy()
    weeks["segment"] = segment
    if outcomes:
        weeks = pd.concat([weeks, measure(snapshots, weeks["student_id"], weeks["week"], config)], axis=1)
    return weeks[weeks["segment"].notna()].reset_index(drop=True)[columns]


# ---------------------------------------------------------------------------------------------------
# 方案效果: per solution, by what was proposed
# ---------------------------------------------------------------------------------------------------


@dataclass
class SolutionResult:
    code: str  # the playbook's segment
    id: str
    title: str
    alone: bool  # the only solution of its segment with an id: every row proposes it, nothing to compare with
    proposed: int  # call-sheet rows that proposed it
    followed: int  # of those, calls from that sheet that recorded it (使用方案)
    uses: int  # reached calls that recorded it, proposed or not
    results: dict[str, Told] = field(default_factory=dict)  # outcome key → proposed it against another of the segment, same days

    @property
    def score(self) -> float | None:
        """What it is ranked by: the difference in the primary outcome against the segment's other
        proposals on the same days (day by day), once both sides have any known. Not the solution's own
        share: the sampling gives the best one most of the later rows, and a season's drift would move
        that share whatever the solution does."""
        told = self.results.get(PRIMARY)
        if self.alone or told is None or not (told.comparison.n1 and told.comparison.n0):
            return None
        return told.difference[0]


@dataclass
class ProposalHistory:
    """The proposals up to a day, with what followed each and whether the teacher used it."""

    rows: object  # pandas.DataFrame: recorded_proposals + outcomes.measure + followed (bool)
    uses: dict[str, int]  # reached calls per 使用方案 (ids and 其他)


def proposal_history(conn: sqlite3.Connection, end: dt.date, config, snapshots: Snapshots | None = None, calls=None) -> ProposalHistory:
    """Every proposal on or before `end` with its outcomes and whether a reached call from its sheet
    recorded the solution proposed."""
    import pandas as pd

    from .proposals import recorded_proposals

    snapshots = snapshots if snapshots is not None else Snapshots(conn, end)
    calls = calls if calls is not None else history.reached_calls(conn, end)
    proposed = recorded_proposals(conn, end)
    measured = measure(snapshots, proposed["student_id"], proposed["proposed_on"], config)
    used = conn.execute(
        "SELECT DISTINCT sheet_key, student_id, solution FROM callbacks WHERE reached = 1 AND solution IS NOT NULL AND called_on <= ?",
        (end.isoformat(),),
    ).fetchall()
    followed = pd.Series(list(zip(proposed["sheet_id"], proposed["student_id"], proposed["solution"])), index=proposed.index, dtype=object).isin(set(used))
    rows = pd.concat([proposed, measured], axis=1).assign(followed=followed.astype(bool))
    return ProposalHistory(rows, solution_uses(conn, end, calls))


def solution_uses(conn: sqlite3.Connection, end: dt.date, calls=None) -> dict[str, int]:
    """Reached calls on or before `end` per 使用方案 (ids and 其他). `calls`: `history.reached_calls(conn, end)`
    when the caller has them already."""
    calls = calls if calls is not None else history.reached_calls(conn, end)
    return {solution: int(count) for solution, count in calls["solution"].value_counts().items()}


def solution_results(found: ProposalHistory, playbooks) -> list[SolutionResult]:
    """Every solution with an id, segment by segment (`ALL_SEGMENTS` order), each segment's ranked by
    `score` (best first, then the ones with nothing known yet by how often proposed)."""
    rows = found.rows
    ranked = []
    for segment in ALL_SEGMENTS:
        book = playbooks.get(segment.code)
        if book is None:
            continue
        mine = []
        alone = sum(1 for entry in book.problems if entry.id) == 1
        for entry in book.problems:
            if not entry.id:
                continue
            this = rows["solution"] == entry.id
            result = SolutionResult(
                segment.code, entry.id, entry.short_title, alone, int(this.sum()), int((this & rows["followed"]).sum()), found.uses.get(entry.id, 0),
            )
            if result.proposed and alone:
                result.results = {outcome.key: Told(compare(rows[outcome.key][this], this[this]), 0, None, None, None) for outcome in OUTCOMES}
            elif result.proposed:
                # Only the days on which both this solution and another were proposed: on a day the
                # sampling gave everyone the same one there is nothing to compare, and counting it on one
                # side alone would mix in whatever changed over the season.
                segment_rows = rows[rows["segment"] == segment.code]
                mine_days = set(segment_rows["proposed_on"][segment_rows["solution"] == entry.id])
                other_days = set(segment_rows["proposed_on"][segment_rows["solution"] != entry.id])
                pool = segment_rows[segment_rows["proposed_on"].isin(mine_days & other_days)]
                group = pool["solution"] == entry.id
                weeks = _weeks_between(pool["proposed_on"])
                result.results = {
                    outcome.key: told(pool, outcome.key, group, SOLUTION_EFFECT, weeks, strata=pool["proposed_on"]) for outcome in OUTCOMES
                }
            mine.append(result)
        scored = sorted((r for r in mine if r.score is not None and not r.alone), key=lambda r: -r.score)
        rest = sorted((r for r in mine if r.score is None or r.alone), key=lambda r: -r.proposed)
        ranked += scored + rest
    return ranked


def solution_report(conn: sqlite3.Connection, playbooks, config, end: dt.date, snapshots: Snapshots | None = None, calls=None) -> list[SolutionResult]:
    """Every solution's results up to `end` (the newest snapshot)."""
    return solution_results(proposal_history(conn, end, config, snapshots, calls), playbooks)


def solution_table(results: list[SolutionResult]):
    """方案效果: per solution (ranked within its segment) and outcome, proposed it against proposed
    another; a last row says how many comparisons the sheet reads at once."""
    import pandas as pd

    rows = []
    rank: dict[str, int] = {}
    compared = 0
    for result in results:
        ranked = result.score is not None and not result.alone
        if ranked:
            rank[result.code] = rank.get(result.code, 0) + 1
        head = {
            "排名": rank[result.code] if ranked else None, "分层": BY_CODE[result.code].name, "方案编号": result.id, "方案": result.title,
            "建议（人次）": result.proposed, "照建议用了（人次）": result.followed, "使用次数": result.uses,
        }
        if not result.proposed:
            rows.append({**head, "结果": "—", "结论": NEVER_PROPOSED})
            continue
        for outcome in OUTCOMES:
            t = result.results[outcome.key]
            c = t.comparison
            d, low, high = t.difference
            compared += bool(c.n1 and c.n0)
            said = ALONE if result.alone else t.said("建议这条的更高", "建议这条的更低", "人次")
            rows.append(
                {
                    **head, "结果": outcome.label,
                    "建议这条（人次）": c.n1, "建议这条：其中": c.k1, "建议这条：占比（%）": percent(c.share1),
                    "建议别的（人次）": c.n0, "建议别的：其中": c.k0, "建议别的：占比（%）": percent(c.share0),
                    "差（百分点）": percent(d), "95% 区间": interval_text(low, high), **t.power_cells(),
                    "结论": said,
                }
            )
    if compared:
        rows.append({"分层": NOTE_LABEL, "结论": chance_note(compared)})
    table = pd.DataFrame(rows, columns=list(SOLUTION_COLUMNS))
    counts = [c for c in SOLUTION_COLUMNS if c.endswith(("（人次）", "其中")) or c in ("排名", "使用次数")]
    return _power_types(table.astype({c: "Int64" for c in counts}), SOLUTION_COLUMNS)


# ---------------------------------------------------------------------------------------------------
# 续费: who renews, by who held the student when the window began
# ---------------------------------------------------------------------------------------------------


def _held_then(conn, cohort, frame, config, day) -> set[str]:
    """Lay on `cohort` who held each student of `frame` (a snapshot's rows) on `day`, and the segment
    then; returns the students placed."""
    from .pool import place_students

    if not len(frame):
        return set()
    placed = place_students(conn, frame, config, day, history.newest_callbacks(conn, frame, day)).drop_duplicates("student_id").set_index("student_id")
    cohort.loc[placed.index, "teacher"] = placed["teacher"]
    cohort.loc[placed.index, "segment"] = placed["segment"]
    return set(placed.index)


def renewal_cohort(conn: sqlite3.Connection, config, newest: dt.date, snapshots: Snapshots | None = None):
    """Every student whose renewal window has begun by `newest`, as they stood when it began: one row
    each — student_id, end (the course end, from the student's last snapshot), start (the window's
    first day), teacher (who held the student then: pool.place_students on the snapshot on or before
    the start, else the first after it; blank: 公海), segment (then), renewed (on any snapshot up to
    `newest`), closed (the window closed: the course end + after_end_days), open (not renewed, not closed)."""
    import pandas as pd

    snapshots = snapshots if snapshots is not None else Snapshots(conn, newest)
    columns = ("student_id", "renewal", "course", "course_start", "course_end")
    seen = []
    for day in snapshots.dates:
        table = snapshots.frame(day, columns)
        seen.append(pd.DataFrame({"student_id": table.index, "end": course_ends(table, config).to_numpy(), "renewed": renewed(table.reset_index()).to_numpy()}))
    if not seen:
        return pd.DataFrame(columns=["student_id", "end", "start", "teacher", "segment", "renewed", "closed", "open"])
    everyone = pd.concat(seen, ignore_index=True)
    last_end = everyone.dropna(subset=["end"]).groupby("student_id")["end"].last()
    ever = everyone.groupby("student_id")["renewed"].any()
    cohort = pd.DataFrame({"end": last_end}).assign(start=lambda f: f["end"] - pd.Timedelta(days=RENEWAL_WINDOW_DAYS))
    cohort = cohort[cohort["start"] <= pd.Timestamp(newest)].copy()
    cohort["renewed"] = ever.reindex(cohort.index).fillna(False).astype(bool)
    cohort["teacher"], cohort["segment"] = None, None
    # Each student placed on the snapshot on or before the window's start, all the students of one
    # snapshot at once (a snapshot read and placed once, however many course ends share it).
    first = snapshots.dates[0]
    day_of = {start: snapshots.on_or_before(start.date()) or first for start in set(cohort["start"])}
    days = cohort["start"].map(day_of)
    for day in sorted(set(days)):
        mine = set(cohort.index[days == day])
        frame = history.load_snapshot(conn, day, history.WORKING_COLUMNS)
        frame = frame[frame["student_id"].isin(mine)].reset_index(drop=True)
        missing = mine - _held_then(conn, cohort, frame, config, day)
        # Not yet in that snapshot (enrolled later): as the first snapshot that has them.
        for later in snapshots.dates:
            if not missing or later <= day:
                continue
            found = history.load_snapshot(conn, later, history.WORKING_COLUMNS)
            found = found[found["student_id"].isin(missing)].reset_index(drop=True)
            missing -= _held_then(conn, cohort, found, config, later)
    closes = cohort["end"] + pd.Timedelta(days=config.plan.after_end_days)
    cohort["closed"] = closes <= pd.Timestamp(newest)
    cohort["open"] = ~cohort["renewed"] & ~cohort["closed"]
    return cohort.rename_axis("student_id").reset_index()


UNHELD = "公海（续费期开始时无运营老师）"


def renewal_table(
    conn: sqlite3.Connection, frame, config, newest: dt.date, ctx: AlertContext | None = None, snapshots: Snapshots | None = None, calls=None
):
    """续费: renewal up to the newest snapshot of every student whose renewal window (a month before
    the course end) has begun — per segment and per teacher as the window began (`renewal_cohort`:
    no one drops out of the denominator by moving to 公海 or leaving the roster), per renewal stage
    reached or not (a reached call within the stage), and reached anywhere in the window or not.
    `frame` and `ctx`: the newest snapshot (kept for the callers; the cohort is read from the history)."""
    import pandas as pd

    snapshots = snapshots if snapshots is not None else Snapshots(conn, newest)
    people = renewal_cohort(conn, config, newest, snapshots)
    done = people["renewed"]
    still_open = people["open"]
    ends = pd.to_datetime(people["end"])
    left = (ends - pd.Timestamp(newest)).dt.days
    calls = calls if calls is not None else history.reached_calls(conn, newest)

    def reached_between(first_offset: int, last_offset: int):
        """Reached on a day from end − first_offset to end − last_offset (and not after the newest snapshot)."""
        first = ends - pd.Timedelta(days=first_offset)
        last = (ends - pd.Timedelta(days=last_offset)).clip(upper=pd.Timestamp(newest))
        merged = calls[["student_id", "called_on"]].merge(pd.DataFrame({"student_id": people["student_id"], "first": first, "last": last}), on="student_id")
        hit = merged[(merged["called_on"] >= merged["first"]) & (merged["called_on"] <= merged["last"])]["student_id"]
        return people["student_id"].isin(set(hit))

    rows = []
    latest_close = (ends[still_open] + pd.Timedelta(days=config.plan.after_end_days)).max() if still_open.any() else None
    latest_open = (ends[~people["closed"]] + pd.Timedelta(days=config.plan.after_end_days)).max() if (~people["closed"]).any() else None

    def share_row(dimension: str, group: str, mask) -> None:
        n, k, waiting = int(mask.sum()), int((done & mask).sum()), int((still_open & mask).sum())
        # Nobody renewed and everyone's window still open: no rate yet (a 0 % would read as a result).
        low, high = wilson(k, n) if k or waiting < n else (math.nan, math.nan)
        said = None
        if waiting:
            said = f"还有 {waiting} 人续费期未结束（最晚到 {latest_close:%Y-%m-%d}），续费率还会变" if k or waiting < n else (
                f"还不能判断：续费期未结束，最晚到 {latest_close:%Y-%m-%d} 才知道"
            )
        rows.append(
            {
                "维度": dimension, "分组": group, "学员数": n, "已续费": k, "续费率（%）": percent(k / n if n and (k or waiting < n) else math.nan),
                "95% 区间": interval_text(low, high), "续费期未结束": waiting, "结论": said,
            }
        )

    def compare_row(dimension: str, group: str, other: str, mask, among) -> None:
        # Compared once the window has closed, for yes and no alike: an early yes alone would show
        # only the renewers (as outcomes.renewal_outcome).
        known = among & people["closed"]
        flags = pd.Series(pd.array(done, dtype="boolean")).where(known.to_numpy(), pd.NA)
        c = compare(flags, mask & among)
        low1, high1 = wilson(c.k1, c.n1)
        d, low, high = c.interval
        waiting = int((among & ~people["closed"]).sum())
        t = Told(c, waiting, latest_open.date() if waiting and latest_open is not None else None, None, None)
        rows.append(
            {
                "维度": dimension, "分组": group, "学员数": c.n1, "已续费": c.k1, "续费率（%）": percent(c.share1),
                "95% 区间": interval_text(low1, high1), "续费期未结束": waiting, "对比组": other, "对比组学员数": c.n0, "对比组已续费": c.k0,
                "对比组续费率（%）": percent(c.share0), "差（百分点）": percent(d), "差的 95% 区间": interval_text(low, high),
                "结论": "描述，不是回访的效果：" + t.said("接通过的续费率更高", "接通过的续费率更低", "人"),
            }
        )

    everyone = pd.Series(True, index=people.index)
    share_row("合计", "续费期已开始的学员", everyone)
    for segment in ALL_SEGMENTS:
        mine = people["segment"] == segment.code
        if mine.any():
            share_row("分层（续费期开始时）", segment.name, mine)
    teachers = people["teacher"].where(people["teacher"].notna() & (people["teacher"].astype("str").str.strip() != ""), UNHELD)
    for teacher in sorted(teachers.unique()):
        share_row("运营老师（续费期开始时）", teacher, teachers == teacher)
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
    return table.astype({c: "Int64" for c in ("学员数", "已续费", "续费期未结束", "对比组学员数", "对比组已续费")})


# ---------------------------------------------------------------------------------------------------
# 留出对照: the holdout
# ---------------------------------------------------------------------------------------------------


@dataclass
class HoldoutResult:
    draws: object  # pandas.DataFrame: holdout.recorded_draws, with outcomes.measure from the draw and `calls` (reached in the round)
    running_until: dt.date | None  # the latest round not yet over on the newest snapshot (None: all over)


def holdout_result(conn: sqlite3.Connection, config, newest: dt.date, snapshots: Snapshots | None = None, calls=None) -> HoldoutResult:
    """Every draw up to `newest`, with what followed it (outcomes.measure from the day drawn) and the
    reached calls each student received in the round (drawn_on ≤ called_on < until, up to `newest`)."""
    import pandas as pd

    from .holdout import recorded_draws

    draws = recorded_draws(conn, newest)
    snapshots = snapshots if snapshots is not None else Snapshots(conn, newest)
    measured = measure(snapshots, draws["student_id"], draws["drawn_on"], config)
    draws = pd.concat([draws, measured], axis=1)
    calls = calls if calls is not None else history.reached_calls(conn, newest)
    merged = calls[["student_id", "called_on"]].merge(draws[["student_id", "drawn_on", "until"]].reset_index(), on="student_id")
    hit = merged[(merged["called_on"] >= merged["drawn_on"]) & (merged["called_on"] < merged["until"])]["index"]
    draws["calls"] = hit.value_counts().reindex(draws.index, fill_value=0).astype("int64")
    draws["reached"] = draws["calls"] > 0
    running = draws["until"] > pd.Timestamp(newest)
    return HoldoutResult(draws, draws["until"][running].max().date() if running.any() else None)


def kept_apart(draws) -> tuple[bool, float, float]:
    """Whether the held-out arm received clearly fewer calls in its round than the kept arm:
    (apart, mean calls per kept student, mean per held-out student)."""
    kept = draws.loc[~draws["held_out"], "calls"]
    held = draws.loc[draws["held_out"], "calls"]
    if not (len(kept) and len(held)):
        return False, math.nan, math.nan
    k, h = float(kept.mean()), float(held.mean())
    return (h <= APART_RATIO * k and k - h >= APART_CALLS), k, h


def holdout_table(result: HoldoutResult):
    """留出对照: per segment at the draw (then all together): first the calls each arm received in the
    round, then each outcome, kept on the plan against held out — with no verdict when the arms were
    not kept apart. A last row says how many comparisons the sheet reads at once."""
    import pandas as pd

    draws = result.draws
    rows = []
    running = f"留出期还没结束（到 {result.running_until:%Y-%m-%d}）：" if result.running_until else ""
    compared = 0

    def add(label: str, part) -> None:
        nonlocal compared
        apart, k, h = kept_apart(part)
        kept, held = part[~part["held_out"]], part[part["held_out"]]
        calls_said = (
            f"两组分开了：照常安排的每人接通 {k:.2f} 次，留出的 {h:.2f} 次" if apart else f"{NOT_APART}（照常 {k:.2f} 次、留出 {h:.2f} 次）"
        ) if len(kept) and len(held) else "两组都要有人才能比较"
        rows.append(
            {
                "起始分层": label, "结果": HOLDOUT_CALLS, "照常安排（人）": len(kept), "照常：其中": int(kept["calls"].sum()),
                "留出（人）": len(held), "留出：其中": int(held["calls"].sum()), "结论": running + calls_said,
            }
        )
        weeks = _weeks_between(part["drawn_on"])
        for outcome in OUTCOMES:
            t = told(part, outcome.key, ~part["held_out"], CALL_EFFECT, weeks)
            c = t.comparison
            d, low, high = c.interval
            said = t.said("照常回访的更高", "照常回访的更低", "人") if apart else f"不下结论：{NOT_APART}"
            compared += bool(apart and c.n1 and c.n0)
            rows.append(
                {
                    "起始分层": label, "结果": outcome.label,
                    "照常安排（人）": c.n1, "照常：其中": c.k1, "照常：占比（%）": percent(c.share1),
                    "留出（人）": c.n0, "留出：其中": c.k0, "留出：占比（%）": percent(c.share0),
                    "差（百分点）": percent(d), "95% 区间": interval_text(low, high), **t.power_cells(HOLDOUT_POWER_COLUMNS),
                    "结论": running + said,
                }
            )

    for segment in ALL_SEGMENTS:
        part = draws[draws["segment"] == segment.code]
        if len(part):
            add(segment.name, part)
    add(ALL_LABEL, draws)
    if compared:
        rows.append({"起始分层": NOTE_LABEL, "结论": chance_note(compared)})
    table = pd.DataFrame(rows, columns=list(HOLDOUT_COLUMNS))
    return _power_types(table.astype({c: "Int64" for c in ("照常安排（人）", "照常：其中", "留出（人）", "留出：其中")}), HOLDOUT_COLUMNS)


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


# ---------------------------------------------------------------------------------------------------
# pfk playbook show
# ---------------------------------------------------------------------------------------------------


@dataclass
class PlaybookUsage:
    """What `pfk playbook show` says under each solution of one playbook."""

    newest: dt.date  # the snapshot the results reach
    results: dict[str, SolutionResult]  # by solution id
    others: int  # reached calls of this segment's students that used a solution from outside the playbook


def playbook_usage(workspace, playbook) -> PlaybookUsage | None:
    """What followed each solution of `playbook` proposed, from the workspace's history up to its
    newest snapshot; None outside a workspace or before any snapshot (no history is created to say so)."""
    path = workspace.history_path
    if path is None or not path.exists():
        return None
    with workspace.open_history(read_only=True) as conn:
        dates = history.snapshot_dates(conn)
        if not dates:
            return None
        found = proposal_history(conn, dates[-1], workspace.config)
        weeks = student_weeks(conn, dates[-1], workspace.config, outcomes=False)
    results = solution_results(found, {playbook.code: playbook})
    others = int(((weeks["segment"] == playbook.code) & weeks["solutions"].map(lambda chosen: OTHER_SOLUTION in chosen)).sum()) if len(weeks) else 0
    return PlaybookUsage(dates[-1], {result.id: result for result in results}, others)

