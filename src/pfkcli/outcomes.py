"""What followed a call, a proposal or a holdout draw, as the platform measures it — defined once
(SPEC §12). learning.py (方案效果, 续费, 留出对照), proposals.py (the solution each row proposes) and
`pfk playbook show` all read their outcomes from here.

A unit is a student and an anchor day: a student-week (a student reached between two snapshots: the
week's snapshot date), a proposal (the call sheet's date) or a holdout draw (the day drawn). What
followed it, each a yes / no that only the platform's own export decides — never the P or K a
teacher typed during the call, which moves with the call itself before anything could act:

| key | label | yes when | told by |
| --- | --- | --- | --- |
| progress_2w | 两周跟上进度 | F gained from the anchor's snapshot to the one 14 days on is at least `pace_share` of the F the course released in those days | the first snapshot 14–21 days on |
| progress_4w | 四周跟上进度 | the same over 28 days | the first snapshot 28–35 days on |
| active_14 | 14 天后仍在学习 | the last learning is less than `[alerts] inactive_days` old on the first snapshot 14–21 days on | that snapshot |
| active_28 | 28 天后仍在学习 | the same 28–35 days on | that snapshot |
| left_28 | 28 天内退课 | the roster's status says the student left (`LEFT_WORDS`), or the student is gone from the roster while the course still runs, on the first snapshot 28–35 days on | that snapshot |
| renewed | 已续费 | renewed on any snapshot up to the newest (`model.renewed`) | once the renewal window has closed (the course end + `[plan] after_end_days`), yes and no alike: an early yes alone would show only the renewers |

An outcome not yet knowable is blank, never "no", and `measure` gives the day it will be known
(`<key>_on`). One whose snapshot never came (no snapshot in the window) stays blank for good. A
course that released nothing in the window (ended, not started) says nothing of keeping up: blank.
A student gone from the roster has no learning to show: not still learning.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

from . import history

WINDOW_DAYS = 7  # the snapshot that tells an outcome of H days is H to H + 7 days after the anchor


@dataclass(frozen=True)
class Outcome:
    key: str
    label: str  # Chinese, as the sheets and `pfk playbook show` name it
    days: int | None  # how long after the anchor it is told (None: renewal, told by the course's own dates)
    good: bool  # whether yes is the better result (for the verdict's words)


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("active_14", "14 天后仍在学习", 14, True),
    Outcome("active_28", "28 天后仍在学习", 28, True),
    Outcome("progress_2w", "两周跟上进度", 14, True),
    Outcome("progress_4w", "四周跟上进度", 28, True),
    Outcome("left_28", "28 天内退课", 28, False),
    Outcome("renewed", "已续费", None, True),
)
BY_KEY = {outcome.key: outcome for outcome in OUTCOMES}
# The outcome the proposals learn on and the solutions are ranked by: binary, told two weeks on, and
# what a call can move (a student who stops learning is the one who neither keeps up nor renews).
PRIMARY = "active_14"

# The roster's 学员状态 (columns.py `status`) words that mean the student left the course.
LEFT_WORDS = ("退课", "已退课", "退费", "已退费", "退款", "已退款", "已退", "退学", "休学", "流失", "已流失", "注销", "停课")


def left_course(status):
    """Whether each status text says the student left: any of `LEFT_WORDS` in it (未退费 does not).

    >>> import pandas as pd
    >>> left_course(pd.Series(["已退费", "在读", None, "未退费", "休学中"])).tolist()
    [True, False, False, False, True]
    """
    text = status.astype("str").str.strip()
    said = text.str.contains("|".join(LEFT_WORDS), regex=True, na=False)
    denied = text.str.contains(r"未|没有|不", regex=True, na=False)
    return (said & ~denied & status.notna()).astype(bool)


class Snapshots:
    """The snapshots on or before `end`, each read once and only for the columns asked.

    `newest_frame`: the newest of them (`history.load_snapshot`, columns may be added), when the caller
    holds it already: its columns are taken from it rather than read again."""

    def __init__(self, conn: sqlite3.Connection, end: dt.date, newest_frame=None) -> None:
        self.conn = conn
        self.dates = [d for d in history.snapshot_dates(conn) if d <= end]
        self._newest = newest_frame if self.dates else None
        self._frames: dict[tuple, object] = {}

    @property
    def newest(self) -> dt.date | None:
        return self.dates[-1] if self.dates else None

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


# The snapshot columns each kind of outcome reads (only those are loaded).
_COLUMNS = {
    "active": ("student_id", "last_active", "activity_known"),
    "progress": ("student_id", "F", "expected_f"),
    "left": ("student_id", "status", "course", "course_start", "course_end"),
}


def course_ends(table, config):
    """The course end of each student of a snapshot table indexed by student_id (the roster's own
    date, else the course's in pfk.toml: `model.student_courses`), datetime64 on the same index."""
    from .model import student_courses

    return student_courses(table.reset_index(), config)["end"].set_axis(table.index)


def measure(snapshots: Snapshots, students, anchors, config, keys: tuple[str, ...] | None = None):
    """What followed each unit (`students`: ids, `anchors`: datetime64 days, one per unit, same index):
    a frame on that index with a nullable boolean column per outcome key (`OUTCOMES`, or only `keys`)
    and, for each, `<key>_on` — the day a blank one will be known (NaT: known, or never to be known)."""
    import pandas as pd

    index = students.index
    result = pd.DataFrame(index=index)
    wanted = [outcome for outcome in OUTCOMES if keys is None or outcome.key in keys]
    for outcome in wanted:
        result[outcome.key] = pd.Series(pd.NA, index=index, dtype="boolean")
        result[f"{outcome.key}_on"] = pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    if not snapshots.dates or not len(index):
        return result
    newest = snapshots.dates[-1]
    anchors = pd.to_datetime(anchors)
    for anchor in sorted(set(anchors.dropna().tolist())):
        mine = anchors == anchor
        ids = students[mine]
        day = anchor.date()
        base_day = snapshots.on_or_before(day)
        for outcome in wanted:
            if outcome.days is None:
                continue
            columns = _COLUMNS[outcome.key.split("_")[0]]
            first = day + dt.timedelta(days=outcome.days)
            told_on = snapshots.between(first, first + dt.timedelta(days=WINDOW_DAYS))
            if told_on is None:
                if newest < first + dt.timedelta(days=WINDOW_DAYS):  # its snapshot may still come
                    result.loc[mine, f"{outcome.key}_on"] = pd.Timestamp(first)
                continue
            base = snapshots.frame(base_day, columns) if base_day else None
            later = snapshots.frame(told_on, columns)
            values = _told(outcome.key, ids, base, later, told_on, config)
            result.loc[mine, outcome.key] = values.to_numpy()
    if "renewed" in result:
        renewed, renewed_on = renewal_outcome(snapshots, students, config)
        result["renewed"], result["renewed_on"] = renewed, renewed_on
    return result


def _told(key: str, ids, base, later, told_on: dt.date, config):
    """One outcome of the students `ids`, from their anchor's snapshot `base` and the snapshot `later` of `told_on`."""
    import pandas as pd

    from .frames import days_between, isin
    from .model import TOLERANCE

    present = isin(ids, later.index)
    pace_share, inactive_days = config.thresholds.pace_share, config.alerts.inactive_days
    if key.startswith("active"):
        last = pd.to_datetime(ids.map(later["last_active"]))
        known = ids.map(later["activity_known"]).fillna(False).astype(bool)
        waited = days_between(told_on, last)
        active = pd.Series(pd.array(waited < inactive_days, dtype="boolean"), index=ids.index)
        # Gone from the roster: no learning to show. Not known whether the student ever learned: blank.
        return active.where(last.notna() | known | ~present, pd.NA).where(present, False)
    if key.startswith("progress"):
        if base is None:
            return pd.Series(pd.NA, index=ids.index, dtype="boolean")
        gained = ids.map(later["F"]) - ids.map(base["F"])
        released = ids.map(later["expected_f"]) - ids.map(base["expected_f"])
        kept_up = pd.Series(pd.array(gained >= pace_share * released - TOLERANCE, dtype="boolean"), index=ids.index)
        return kept_up.where(gained.notna() & (released > TOLERANCE), pd.NA)
    # left_28: said so by the roster's status, or gone while the course runs.
    said = left_course(ids.map(later["status"]))
    end = pd.to_datetime(ids.map(course_ends(base, config)) if base is not None else pd.Series(pd.NaT, index=ids.index))
    running = end > pd.Timestamp(told_on)
    left = pd.Series(pd.array(said | (~present & running), dtype="boolean"), index=ids.index)
    return left.where(present | end.notna(), pd.NA)


def renewal_outcome(snapshots: Snapshots, students, config):
    """(renewed, renewed_on) for each student of `students`: once the newest snapshot is past the
    course end + `[plan] after_end_days` (the end as the student's last snapshot gives it), whether any
    snapshot up to the newest says renewed; blank before, with the day it will be known (NaT where the
    course end is not known)."""
    import pandas as pd

    index = students.index
    ids = pd.Index(students.unique())
    yes = pd.Series(False, index=ids)
    end = pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]")
    from .model import renewed

    for day in snapshots.dates:
        table = snapshots.frame(day, ("student_id", "renewal", "course", "course_start", "course_end"))
        here = ids[ids.isin(table.index)]
        if not len(here):
            continue
        rows = table.loc[here]
        yes.loc[here] |= renewed(rows.reset_index()).to_numpy()
        ends = pd.to_datetime(course_ends(rows, config))
        end.loc[here] = ends.where(ends.notna(), end.loc[here]).to_numpy()
    closes = end + pd.Timedelta(days=config.plan.after_end_days)
    newest = pd.Timestamp(snapshots.dates[-1]) if snapshots.dates else pd.NaT
    # Known for everyone at once, when the window closes: an early "yes" alone would show only the
    # renewers and read as a high rate.
    closed = closes <= newest
    flags = pd.Series(pd.NA, index=ids, dtype="boolean")
    flags[closed] = yes[closed]
    waiting = closes.where(flags.isna())
    return (
        pd.Series(flags.reindex(students).to_numpy(), index=index, dtype="boolean"),
        pd.Series(waiting.reindex(students).to_numpy(), index=index, dtype="datetime64[ns]"),
    )


def pending_until(measured, key: str):
    """The latest day a blank `key` of `measured` will be known (None: nothing waits, or no day known)."""
    days = measured[f"{key}_on"].dropna()
    return days.max().date() if len(days) else None
