"""The holdout: a comparison free of "we called the ones at risk" (SPEC §12).

Comparing called students with students not called says little about the calls: teachers call the
students who worry them, and those differ from the rest before anyone picks up the phone (the question
Course Signals' retention claims never answered). A team that wants a fair answer sets
`[plan] holdout_share` (0.2: a fifth) and pfk leaves a random share of the students at the sheet's
margin off the sheets for `[plan] holdout_weeks` (4). The report then compares them with the students
drawn at the same time and kept on the plan, segment by segment (learning.py).

- At the sheet's margin (`held_out_at_margin`, the plan's draw): among the students this week's plan
  would call for a reason that is not a promise, in calling order, each teacher's list walked until
  her sheet is full; a held-out student's place goes to the next in line. Promises (a first contact,
  an open complaint, an agreed follow-up, a handover) are never held out. The report then shows the
  calls each arm actually received in its round: when the held-out students were called about as
  often as the kept ones, the comparison says so and draws no conclusion (learning.py).
- A round: a student is drawn once, on the date of the first call sheet made for them after their
  previous round ended, and stays in the arm drawn (held out or kept) until `drawn_on + holdout_weeks`
  weeks. Both arms are recorded in the history (`holdout_draws`), so the comparison is between the
  students drawn together.
- The draw: held out when sha256(seed | student | date) read as a fraction falls below the share; each
  student's draw is their own (the same whichever teacher's sheet is made first) and can be redone
  from the seed: `[plan] holdout_seed`, else one drawn at random the first time and kept in the history.
- Off: `holdout_share = 0`. Nobody is drawn or left off; the draws made before stay for the report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3

from . import history
from .segments import PENDING_CODE


def workspace_seed(conn: sqlite3.Connection, configured: str) -> str:
    """The seed of the draw: the configured one, else the workspace's own (made once, then kept)."""
    if configured:
        return configured
    row = conn.execute("SELECT seed FROM holdout_seed WHERE id = 1").fetchone()
    if row:
        return row[0]
    import secrets

    with history.transaction(conn):
        conn.execute(
            "INSERT OR IGNORE INTO holdout_seed VALUES (1, ?, ?)",
            (secrets.token_hex(8), dt.datetime.now().isoformat(timespec="seconds")),
        )
    return conn.execute("SELECT seed FROM holdout_seed WHERE id = 1").fetchone()[0]


def draw_value(seed: str, student_id: str, day: dt.date) -> float:
    """The student's draw on `day`, a fraction in [0, 1): held out when below the share.

    >>> 0 <= draw_value("seed", "S001", dt.date(2026, 11, 23)) < 1
    True
    """
    digest = hashlib.sha256(f"{seed}|{student_id}|{day.isoformat()}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def held_out_at_margin(conn: sqlite3.Connection | None, ranked, slots: dict[str, int], as_of: dt.date, config) -> set[str]:
    """Who is left off this week's sheets for the comparison, drawn at the sheet's margin.

    `ranked`: the plan's candidates for a reason that is not a promise, in calling order (best
    first; columns student_id, teacher, segment; every teacher's together or not). `slots`: per
    teacher, how many places her sheet has for them this week. Each teacher's list is walked in
    order until her places are filled: a student in no round yet is drawn on the way (held out when
    `draw_value` < `[plan] holdout_share`), a held-out one gives the place to the next in line — who
    is then drawn too, so that every student the sheet reaches is in one arm or the other. Both arms
    are recorded (`holdout_draws`, a round of `holdout_weeks` weeks). Returns the students held out:
    those drawn now and those still held out from a running round, wherever they stand in `ranked`.
    Empty when the holdout is off or there is no history to record it in; a pending student (待回访)
    is never drawn (a first score is not a routine call)."""
    plan = config.plan
    if conn is None or plan.holdout_share <= 0 or not len(ranked):
        return set()
    day = as_of.isoformat()
    rounds = conn.execute("SELECT student_id, held_out FROM holdout_draws WHERE until > ? AND drawn_on <= ?", (day, day)).fetchall()
    in_round = {student: bool(held) for student, held in rounds}
    held = {student for student in ranked["student_id"] if in_round.get(student)}
    seed = workspace_seed(conn, plan.holdout_seed)
    until = (as_of + dt.timedelta(weeks=plan.holdout_weeks)).isoformat()
    rows = []
    places = dict(slots)
    for student, teacher, segment in ranked[["student_id", "teacher", "segment"]].itertuples(index=False):
        if places.get(teacher, 0) <= 0:
            continue
        if student in in_round or segment == PENDING_CODE:
            places[teacher] -= not in_round.get(student, False)
            continue
        out = draw_value(seed, student, as_of) < plan.holdout_share
        in_round[student] = out
        rows.append((student, day, until, int(out), plan.holdout_share, teacher, segment))
        if out:
            held.add(student)
        else:
            places[teacher] -= 1
    if rows:
        with history.transaction(conn):
            conn.executemany("INSERT OR IGNORE INTO holdout_draws VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return held


def recorded_draws(conn: sqlite3.Connection, end: dt.date):
    """Every draw made on or before `end`: student_id, drawn_on, until (datetime64), held_out (bool),
    share, teacher, segment (the segment when drawn)."""
    import pandas as pd

    rows = conn.execute(
        "SELECT student_id, drawn_on, until, held_out, share, teacher, segment FROM holdout_draws WHERE drawn_on <= ?"
        " ORDER BY drawn_on, student_id",
        (end.isoformat(),),
    ).fetchall()
    frame = pd.DataFrame(rows, columns=["student_id", "drawn_on", "until", "held_out", "share", "teacher", "segment"])
    return frame.assign(
        drawn_on=pd.to_datetime(frame["drawn_on"]).astype("datetime64[ns]"),
        until=pd.to_datetime(frame["until"]).astype("datetime64[ns]"),
        held_out=frame["held_out"].astype(bool),
    )

