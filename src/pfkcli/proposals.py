"""Solutions tried fairly (SPEC §12, seed 000's online learning): every call-sheet row proposes one
solution of the student's segment (建议方案), and the history keeps what each row proposed.

The choice is Thompson sampling. Each solution with an id has a Beta(1 + yes, 1 + no) posterior on
the primary outcome (`outcomes.PRIMARY`: still learning 14 days on) of the rows that proposed it
before — what was proposed, not what the teacher used (intention to treat: whom she gives a solution
to cannot bias it). For each row one value is drawn from every posterior of the segment's solutions
and the highest wins: mostly the best so far, sometimes another while the evidence is thin, and a new
solution — with no rows yet, drawn from the flat prior — early and often, until its own rows speak.

The draws are the student's own and can be redone: a generator (Python's `random.Random`) seeded with sha256(seed | 建议方案 |
student | date), the seed the holdout's (`holdout.workspace_seed`: `[plan] holdout_seed`, else the
workspace's own). The same sheet made twice on a day proposes the same; the history moving on (new
outcomes known) may change next week's proposal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import sqlite3

from . import history
from .outcomes import PRIMARY, Snapshots, measure


def recorded_proposals(conn: sqlite3.Connection, end: dt.date):
    """Every proposal made on or before `end`, one per student and day (a sheet made again the same day
    counts once, the newest): sheet_id, student_id, solution, segment, proposed_on (datetime64)."""
    import pandas as pd

    rows = conn.execute(
        "SELECT sheet_id, student_id, solution, segment, proposed_on FROM proposals WHERE proposed_on <= ? ORDER BY proposed_on, rowid",
        (end.isoformat(),),
    ).fetchall()
    frame = pd.DataFrame(rows, columns=["sheet_id", "student_id", "solution", "segment", "proposed_on"], dtype=object)
    frame = frame.drop_duplicates(["student_id", "proposed_on"], keep="last").reset_index(drop=True)
    return frame.assign(proposed_on=pd.to_datetime(frame["proposed_on"]).astype("datetime64[ns]"), student_id=frame["student_id"].astype("str"))


def tallies(conn: sqlite3.Connection | None, as_of: dt.date, config) -> dict[str, tuple[int, int]]:
    """Per solution id, (yes, no) of the primary outcome over the proposals made before `as_of` whose
    outcome is known by the newest snapshot on or before `as_of`."""
    if conn is None:
        return {}
    proposed = recorded_proposals(conn, as_of - dt.timedelta(days=1))
    if proposed.empty:
        return {}
    snapshots = Snapshots(conn, as_of)
    told = measure(snapshots, proposed["student_id"], proposed["proposed_on"], config, keys=(PRIMARY,))[PRIMARY]
    known = proposed.assign(yes=told).dropna(subset=["yes"])
    grouped = known.groupby("solution")["yes"]
    return {solution: (int(values.sum()), int(len(values) - values.sum())) for solution, values in grouped}


def _generator(seed: str, student_id: str, day: dt.date) -> random.Random:
    # The standard library's generator: seeded from an int in microseconds (numpy's takes ~80 µs a
    # row, a tenth of a second on 40 teachers' sheets).
    digest = hashlib.sha256(f"{seed}|建议方案|{student_id}|{day.isoformat()}".encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def choose(seed: str, student_id: str, day: dt.date, solutions: list[str], counts: dict[str, tuple[int, int]]) -> str | None:
    """The solution (of `solutions`, ids) Thompson sampling proposes for this student on `day`.

    >>> choose("种子", "S001", dt.date(2026, 11, 9), ["a", "b"], {"a": (0, 50), "b": (50, 0)})
    'b'
    """
    if len(solutions) < 2:  # nothing to choose between
        return solutions[0] if solutions else None
    rng = _generator(seed, student_id, day)
    draws = [rng.betavariate(1 + counts.get(s, (0, 0))[0], 1 + counts.get(s, (0, 0))[1]) for s in solutions]
    return solutions[max(range(len(solutions)), key=draws.__getitem__)]


def propose(conn: sqlite3.Connection | None, frame_rows, playbooks, as_of: dt.date, config):
    """The 建议方案 of each row of `frame_rows` (the plan's rows: student_id, segment, …): the choice
    text of the proposed solution (`s2ha34 约定补课计划`), blank for a segment whose playbook has no
    solution with an id. A pandas Series on `frame_rows.index`."""
    import pandas as pd

    from .holdout import workspace_seed

    counts = tallies(conn, as_of, config) if len(frame_rows) else {}
    seed = workspace_seed(conn, config.plan.holdout_seed) if conn is not None and len(frame_rows) else config.plan.holdout_seed
    texts = []
    for student, segment in frame_rows[["student_id", "segment"]].itertuples(index=False):
        book = playbooks.get(segment)
        entries = [entry for entry in book.problems if entry.id] if book is not None else []
        chosen = choose(seed, str(student), as_of, [entry.id for entry in entries], counts)
        texts.append(next((entry.choice for entry in entries if entry.id == chosen), None))
    return pd.Series(texts, index=frame_rows.index, dtype=object)


def store(conn: sqlite3.Connection, as_of: dt.date, sheets: list[tuple[str, object]]) -> None:
    """Keep what each sheet proposed: `sheets` pairs a sheet's id with its rows (student_id, segment,
    proposal — the choice text, its id first). Rows without a proposal are not kept."""
    rows = []
    for sheet_id, table in sheets:
        for student, segment, text in table[["student_id", "segment", "proposal"]].itertuples(index=False):
            if isinstance(text, str) and text:
                rows.append((sheet_id, str(student), text.split(" ", 1)[0], segment, as_of.isoformat()))
    if rows:
        with history.transaction(conn):
            conn.executemany("INSERT OR REPLACE INTO proposals VALUES (?, ?, ?, ?, ?)", rows)
