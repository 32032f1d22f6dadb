"""The public pool (公海, SPEC §10; seed 001): students no teacher can spend her calls on for now, until
one claims them — so that each teacher holds a steady number she can look after (有舍才有得).

The pool is for students nobody can reach, and for finished students who did not renew; never for
a paying student in a running course who stopped learning — that student is the plan's most urgent
call after the promises (plan.py) — and never for a student with a promise (an open complaint, an
agreed follow-up). A student enters by these rules, worked out on the as-of day from the newest
snapshot and the history (`place_students`):

| code | enters when | on the day |
| --- | --- | --- |
| unreachable | `[plan] unreachable_after` (3) calls in a row not reached (未接通, 拒接, 号码错误, 关机停机); the sheet warns after the one before | of the call that made it 3 |
| finished | the course ended more than `[plan] after_end_days` (14) days ago, not renewed | the day after those 14 |
| released | released by hand, `pfk pool release ID… --reason …` (a move in the history) | of the release |

A move made after a student entered — `pfk pool claim`, `pfk assign` — takes the student out, and a
rule counts again only from the move: calls dated after its day, a course end that comes after it. In
the pool a student belongs to nobody (`teacher` is blank) and is on nobody's call sheet, but stays
counted under the teacher who held them (`owner`) in the reports; `pfk pool claim` gives the best of
them, in the calling order of the plan (`plan.calling_order`), to a teacher within her capacity.

The renewal pool (续费公海) is a list for the sales team, not a move: students in a renewal stage
(30/7/3 days before the end, or just after it) whom nobody has reached in that stage and who have not
renewed — the renewal alert rules (alert_rules.py) decide who —, whoever holds them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from . import history
from .config import Config
from .errors import UsageError
from .frames import isin

# What the classification, the summaries and the result workbook call the pool in the 运营老师 column.
POOL_NAME = "公海"


@dataclass(frozen=True)
class PoolRule:
    code: str  # the frame's `pool_<code>` column holds the day the rule took each student in
    label: str  # Chinese, as `pfk pool list` counts them


POOL_RULES: tuple[PoolRule, ...] = (
    PoolRule("released", "手动放入"),
    PoolRule("unreachable", "联系不上"),
    PoolRule("finished", "结课未续费"),
)


def rules_text(config: Config) -> list[str]:
    """The rules in force with their thresholds, one short line each (`POOL_RULES` order), printed with the list."""
    return [
        "pfk pool release 手动放入",
        f"连续 {config.plan.unreachable_after} 次没联系上（有投诉没解决、约了跟进的不进公海）",
        f"结课超过 {config.plan.after_end_days} 天没有续费（同上）",
    ]


def place_students(conn, frame, config: Config, as_of: dt.date, callbacks):
    """`frame` (a classified frame, or a stored snapshot) with who holds each student on `as_of` and
    who is in the pool: `roster_teacher` (the roster's own 运营老师), `owner` (`history.owners`),
    `teacher` (the owner, blank in the pool), `moved_on`, `move`, `move_reason`, `pool_on` (the day
    the student entered the pool; NaT: not in it), `pool_<rule>` (the day each rule took the student
    in) and `failed_count`, `failed_last` (the calls not reached that count). `callbacks`:
    `history.newest_callbacks(conn, frame, as_of)`, which the caller needs too."""
    import numpy as np
    import pandas as pd

    held = history.owners(conn, frame, as_of)
    entries = _entries(conn, frame, config, as_of, held, callbacks)
    # The earliest rule that took the student in (NaT: none did).
    pool_on = pd.Series(np.fmin.reduce([entries[f"pool_{rule.code}"].to_numpy() for rule in POOL_RULES]), index=frame.index)
    return frame.assign(
        roster_teacher=held["roster_teacher"],
        owner=held["teacher"],
        teacher=held["teacher"].where(pool_on.isna()),
        moved_on=held["moved_on"],
        move=held["move"],
        move_reason=held["move_reason"],
        moved_from=held["moved_from"],
        pool_on=pool_on,
        **{name: entries[name] for name in entries.columns},
    )


def _entries(conn, frame, config: Config, as_of: dt.date, held, callbacks):
    """The day each rule took each student into the pool (NaT: it does not), on `frame.index`."""
    import pandas as pd

    from .alert_rules import AlertContext
    from .model import renewed

    day = pd.Timestamp(as_of)
    since = held["moved_on"]  # the move that stands: a rule counts only from it
    ctx = AlertContext(frame, config, as_of, None, None)
    end = ctx.courses["end"]
    failed = _failed_after(conn, frame, config.plan.unreachable_after, as_of, since)
    # A promise keeps a student with the teacher who made it, whatever else holds (issue 27).
    promised = callbacks["complaint_on"].notna() | callbacks["follow_up"].notna()
    finished = end + pd.Timedelta(days=config.plan.after_end_days + 1)
    entered = {
        "pool_released": since.where(held["move"].eq("release")),
        "pool_unreachable": failed["entered"].where(~promised),
        "pool_finished": finished.where((finished <= day) & ~renewed(frame) & ~(finished <= since) & ~promised),
    }
    return pd.DataFrame(
        {**{name: dates.astype("datetime64[ns]") for name, dates in entered.items()}, "failed_count": failed["count"], "failed_last": failed["last"]},
        index=frame.index,
    )


def _failed_after(conn, frame, needed: int, as_of: dt.date, since):
    """Per student: the calls not reached in a row that count (dated after the move that stands), how
    many, the last one's day, and the day of the `needed`-th (NaT: not that many)."""
    import numpy as np
    import pandas as pd

    calls = history.failed_calls(conn, as_of)
    if calls.empty:  # no call missed: no lookup per student
        never = np.full(len(frame), np.datetime64("NaT"), "datetime64[ns]")
        return pd.DataFrame({"count": np.zeros(len(frame), "int64"), "last": never, "entered": never}, index=frame.index)
    since_of = pd.Series(since.to_numpy(), index=frame["student_id"].to_numpy())
    calls = calls[isin(calls["student_id"], since_of.index)]
    after = calls["student_id"].map(since_of)
    calls = calls[after.isna() | (calls["called_on"] > after)]
    group = calls.groupby("student_id")
    per_student = pd.DataFrame(
        {
            "count": group.size(),
            "last": group["called_on"].max(),
            "entered": calls[group.cumcount() == needed - 1].set_index("student_id")["called_on"],
        }
    )
    per_student = per_student.reindex(frame["student_id"])
    per_student.index = frame.index
    return per_student.assign(count=per_student["count"].fillna(0).astype("int64"))


def pool_why(frame, config: Config, as_of: dt.date) -> list[str]:
    """Why each student of `frame` (placed, all in the pool) is there: one line, each rule that holds."""
    import pandas as pd

    day = pd.Timestamp(as_of)
    after_end = pd.Timedelta(days=config.plan.after_end_days + 1)
    lines = []
    columns = (
        frame["pool_released"], frame["move_reason"], frame["pool_unreachable"], frame["failed_count"], frame["failed_last"],
        frame["pool_finished"],
    )
    for released, reason, unreachable, failed, last_failed, finished in zip(*(c.tolist() for c in columns)):
        parts = []
        if pd.notna(released):
            parts.append(f"手动放入：{reason}" if isinstance(reason, str) and reason else "手动放入")
        if pd.notna(unreachable):
            parts.append(f"连续 {failed} 次没联系上（最近一次 {last_failed:%Y-%m-%d}）")
        if pd.notna(finished):
            end = finished - after_end
            parts.append(f"{end:%Y-%m-%d} 结课，已过 {(day - end).days} 天，没有续费")
        lines.append("；".join(parts))
    return lines


# --- the commands -----------------------------------------------------------------------------------


def _open_history(workspace, read_only: bool = False):
    """The workspace's history store, opened (`Workspace.open_history`); refused with one line outside
    a workspace or before any classify."""
    workspace.history_store("pfk pool 需要工作区：请先运行 pfk init，并在工作区里运行", "工作区还没有分层结果：请先运行 pfk classify")
    return workspace.open_history(read_only)


def placed_snapshot(conn, config: Config, as_of: dt.date, other_way: str = ""):
    """The newest snapshot on or before `as_of` (its `history.WORKING_COLUMNS`), each student with
    whoever holds them on `as_of` (moves and calls recorded since the snapshot count): (frame, its
    `history.newest_callbacks` on `as_of`, the snapshot's date). `other_way` ends the message when
    there is none (`，或用 --roster 指定名单`)."""
    if conn is None:
        raise UsageError(f"还没有分层结果：请先在工作区里运行 pfk classify{other_way}")
    dates = [d for d in history.snapshot_dates(conn) if d <= as_of]
    if not dates:
        raise UsageError(f"{as_of} 及以前没有分层快照：请先运行 pfk classify{other_way}")
    frame = history.load_snapshot(conn, dates[-1], history.WORKING_COLUMNS)
    frame = frame.assign(first_seen=history.first_seen(conn, frame, dates[-1]))
    callbacks = history.newest_callbacks(conn, frame, as_of)
    return place_students(conn, frame, config, as_of, callbacks), callbacks, dates[-1]


def _was_held_by(frame):
    """Who held each student before the pool: the owner on record, else the teacher a release took
    them from, else the roster's."""
    return frame["owner"].fillna(frame["moved_from"]).fillna(frame["roster_teacher"])


@dataclass
class PoolList:
    as_of: dt.date
    snapshot_date: dt.date
    renewal: bool
    # 公海: student_id name phone was_held segment pool_on why — oldest entry first.
    # 续费公海: student_id name phone teacher course course_end stage why — the earliest end first.
    rows: object
    counts: dict[str, int] = field(default_factory=dict)  # rule or stage label → students
    output: Path | None = None


def list_pool(workspace, as_of: dt.date, renewal: bool = False, output: Path | None = None) -> PoolList:
    """Who is in the pool on `as_of` and why (or, with `renewal`, the renewal pool for sales); with
    `output`, the whole list written there as a workbook too (the path checked before anything is read)."""
    from .excel import write_workbook
    from .paths import POOL, check_output

    if output is not None:
        check_output(Path(output), workspace_root=workspace.root, kind=POOL)
    with _open_history(workspace, read_only=True) as conn:
        frame, callbacks, snapshot = placed_snapshot(conn, workspace.config, as_of)
        listed = _renewal_pool(conn, frame, callbacks, workspace.config, as_of, snapshot) if renewal else _pool(frame, workspace.config, as_of, snapshot)
    if output is not None:
        listed.output = write_workbook(Path(output), [pool_sheet(listed)], kind=POOL)
    return listed


def _pool(frame, config: Config, as_of: dt.date, snapshot: dt.date) -> PoolList:
    import pandas as pd

    pool = frame[frame["pool_on"].notna()].sort_values(["pool_on", "student_id"])
    rows = pd.DataFrame(
        {
            "student_id": pool["student_id"],
            "name": pool["name"],
            "phone": pool["phone"],
            "was_held": _was_held_by(pool),
            "segment": pool["segment"],
            "pool_on": pool["pool_on"],
            "why": pool_why(pool, config, as_of),
        }
    ).reset_index(drop=True)
    counts = {rule.label: int(pool[f"pool_{rule.code}"].notna().sum()) for rule in POOL_RULES}
    return PoolList(as_of, snapshot, False, rows, {label: n for label, n in counts.items() if n})


def _renewal_pool(conn, frame, callbacks, config: Config, as_of: dt.date, snapshot: dt.date) -> PoolList:
    import pandas as pd

    from .alert_rules import RENEWAL_RULES, RULE_BY_CODE, AlertContext, alert_masks, alert_texts

    ctx = AlertContext(frame, config, as_of, callbacks, history.ratings_before(conn, as_of))
    masks = alert_masks(ctx)
    stage = pd.Series(None, index=frame.index, dtype="str")
    for code in reversed(RENEWAL_RULES):  # one stage at a time: the first that holds
        stage = stage.mask(masks[code], RULE_BY_CODE[code].label)
    due = stage.notna()
    why = alert_texts(ctx, RENEWAL_RULES)
    rows = pd.DataFrame(
        {
            "student_id": frame["student_id"],
            "name": frame["name"],
            "phone": frame["phone"],
            "teacher": frame["teacher"].fillna(POOL_NAME),
            "course": frame["course"],
            "course_end": ctx.courses["end"],
            "stage": stage,
            "why": why,
        }
    )[due].sort_values(["course_end", "student_id"]).reset_index(drop=True)
    counts = rows["stage"].value_counts()
    ordered = {RULE_BY_CODE[code].label: int(counts.get(RULE_BY_CODE[code].label, 0)) for code in RENEWAL_RULES}
    return PoolList(as_of, snapshot, True, rows, {label: n for label, n in ordered.items() if n})


def pool_sheet(pool: PoolList):
    """The list as a workbook sheet (pfk pool list -o)."""
    import pandas as pd

    from .excel import SheetSpec
    from .outputs import POOL_COLUMNS, POOL_SHEET, RENEWAL_POOL_COLUMNS, RENEWAL_POOL_SHEET
    from .segments import BY_CODE

    rows = pool.rows
    if pool.renewal:
        names = ("student_id", "name", "phone", "teacher", "course", "course_end", "stage", "why")
        return SheetSpec(RENEWAL_POOL_SHEET, pd.DataFrame(dict(zip(RENEWAL_POOL_COLUMNS, (rows[n] for n in names)))), widths={"原因": 40.0})
    names = ("student_id", "name", "phone", "was_held", "segment", "pool_on", "why")
    table = pd.DataFrame(dict(zip(POOL_COLUMNS, (rows[n] for n in names))))
    table["分层"] = rows["segment"].map({code: s.name for code, s in BY_CODE.items()})
    colours = rows["segment"].map({code: s.colour for code, s in BY_CODE.items()}).tolist()
    return SheetSpec(POOL_SHEET, table, row_colours=colours, widths={"原因": 50.0})


@dataclass
class ReleaseResult:
    as_of: dt.date
    released: list[tuple[str, str]]  # (student ID, the teacher who held the student)
    already: list[str]  # in the pool before: nothing changed for them


def release_students(workspace, ids: list[str], reason: str, as_of: dt.date) -> ReleaseResult:
    """Put students in the pool by hand, with why; a move each in the history."""
    reason = (reason or "").strip()
    if not reason:
        raise UsageError("请用 --reason 写明放入公海的原因，如 --reason \"多次沟通无意向\"")
    import pandas as pd

    with _open_history(workspace) as conn:
        frame, _, snapshot = placed_snapshot(conn, workspace.config, as_of)
        by_id = frame.set_index("student_id")
        unknown = [sid for sid in dict.fromkeys(ids) if sid not in by_id.index]
        if unknown:
            raise UsageError(f"{snapshot} 的分层快照里没有这些学号：{'、'.join(unknown)}；未放入任何学员")
        released, already, moves = [], [], []
        for sid in dict.fromkeys(ids):
            row = by_id.loc[sid]
            if pd.notna(row["pool_on"]):
                already.append(sid)
                continue
            owner = row["owner"] if isinstance(row["owner"], str) else None
            released.append((sid, owner or ""))
            moves.append({"student_id": sid, "kind": "release", "from_teacher": owner, "teacher": None,
                          "roster_teacher": row["roster_teacher"], "on_day": as_of, "reason": reason})
        if moves:
            history.record_moves(conn, moves)
    return ReleaseResult(as_of, released, already)


@dataclass
class ClaimResult:
    as_of: dt.date
    teacher: str
    asked: int
    claimed: object  # pandas.DataFrame: student_id name segment why, in the order taken
    loads: list  # team.TeacherLoad of every teacher, before and after
    pool_before: int
    pool_after: int
    # The claim had been made already (a second run, after a kill say): `claimed` is what that run
    # took, nothing was claimed now.
    already: bool = False


def claim_students(workspace, teacher: str, count: int, as_of: dt.date, more: bool = False) -> ClaimResult:
    """Give `teacher` the best `count` students of the pool (the plan's calling order), within her
    capacity: asked for more than her room, nothing is claimed and the room left is said.

    Run again for the same teacher and day, it claims nothing and says what was claimed then (the
    first run's effect landed, even if it was killed before it said so) — unless `more`."""
    import pandas as pd

    from .alert_rules import AlertContext
    from .plan import calling_order
    from .team import names_shown, team_loads, team_names

    config = workspace.config
    with _open_history(workspace) as conn:
        frame, callbacks, _ = placed_snapshot(conn, config, as_of)
        names = team_names(config, frame["owner"], frame["roster_teacher"])
        if teacher not in names:
            raise UsageError(f"没有「{teacher}」这位老师：现有的老师是 {names_shown(names)}；新老师请先写进 pfk.toml 的 [teachers]")
        own = config.teacher(teacher)
        if not own.active:
            raise UsageError(f"{teacher} 在 pfk.toml 里是停用的（active = false），不能认领学员")
        in_pool = frame["pool_on"].notna()
        earlier = [sid for sid, _ in history.claims_on(conn, teacher, as_of)]
        held = frame[frame["student_id"].isin(earlier) & (frame["teacher"] == teacher)]
        if len(held) and not more:
            shown = pd.DataFrame({
                "student_id": held["student_id"], "name": held["name"], "segment": held["segment"],
                "why": held["move_reason"],
            }).reset_index(drop=True)
            waiting = int(in_pool.sum())
            return ClaimResult(as_of, teacher, count, shown, team_loads(config, frame["teacher"], frame["teacher"], names), waiting, waiting, already=True)
        if not in_pool.any():
            raise UsageError(f"{as_of} 公海里没有学员，没有可认领的")
        load = int((frame["teacher"] == teacher).sum())
        room = int(own.capacity) - load
        if count > room:
            left = f"最多还能认领 {room} 人" if room > 0 else "已经满了，不能再认领"
            raise UsageError(f"{teacher} 的容量是 {own.capacity} 人，现有 {load} 人，{left}（要认领 {count} 人）；未认领任何学员")
        pool = frame[in_pool].assign(teacher=teacher).reset_index(drop=True)
        ctx = AlertContext(pool, config, as_of, callbacks[in_pool].reset_index(drop=True), history.ratings_before(conn, as_of))
        chosen = pool.iloc[calling_order(ctx)[:count]]
        why = pool_why(chosen, config, as_of)
        history.record_moves(conn, [
            {
                "student_id": sid, "kind": "claim", "from_teacher": was if isinstance(was, str) else None, "teacher": teacher,
                "roster_teacher": roster, "on_day": as_of, "reason": f"从公海认领（{text}）",
            }
            for sid, was, roster, text in zip(chosen["student_id"], _was_held_by(chosen), chosen["roster_teacher"], why)
        ])
    after = frame["teacher"].where(~frame["student_id"].isin(chosen["student_id"]), teacher)
    claimed = pd.DataFrame({"student_id": chosen["student_id"], "name": chosen["name"], "segment": chosen["segment"], "why": why}).reset_index(drop=True)
    return ClaimResult(
        as_of, teacher, count, claimed, team_loads(config, frame["teacher"], after, names), int(in_pool.sum()), int(in_pool.sum()) - len(chosen)
    )
