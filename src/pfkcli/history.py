"""The workspace history: recorded callbacks and weekly segment snapshots, in one SQLite file.

Callbacks are rows of the `callbacks` table. A snapshot (one classification, one as-of date) is one
row of `snapshot_tables` whose `data` is a Parquet file (zstd) of the `SNAPSHOT_COLUMNS` in a fixed
Arrow schema: 100,000 students are saved or loaded in about a tenth of a second, where a row per
student took seconds.

Written in transactions, in WAL mode with a busy timeout so that two `pfk record` runs at once both
land. `PRAGMA user_version` holds the schema version; `MIGRATIONS` brings an older file up to date.
Users see this data through exported workbooks (`pfk history`, `pfk report`), never the database.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import OutputError, UsageError
from .values import missing


# The columns of a snapshot as the first blob format (migration 4) stored them.
_V4_COLUMNS = (
    "student_id", "name", "teacher", "course", "p", "f", "k", "expected_f", "segment", "last_active",
    "satisfaction", "phone", "why", "last_callback", "next_followup", "course_end", "fast_forward",
)
# What the classification was called in those stored columns, and now.
_V4_RENAMED = {"p": "P", "f": "F", "k": "K"}


def _one_blob_per_snapshot(conn: sqlite3.Connection) -> None:
    """Migration 4: move every snapshot of the row-per-student table into one Parquet blob. Steps 2
    and 3 have run before it, so the old table has every stored column (blank where never filled)."""
    import pandas as pd

    conn.execute(
        "CREATE TABLE snapshot_tables (as_of TEXT PRIMARY KEY, students INTEGER NOT NULL, data BLOB NOT NULL, saved_at TEXT NOT NULL)"
    )
    now = dt.datetime.now().isoformat(timespec="seconds")
    days = [row[0] for row in conn.execute("SELECT DISTINCT as_of FROM snapshots ORDER BY as_of")]
    for day in days:
        rows = conn.execute(f"SELECT {', '.join(_V4_COLUMNS)} FROM snapshots WHERE as_of = ? ORDER BY rowid", (day,)).fetchall()
        frame = pd.DataFrame(rows, columns=list(_V4_COLUMNS), dtype=object)
        conn.execute("INSERT INTO snapshot_tables VALUES (?, ?, ?, ?)", (day, len(rows), encode_snapshot(_v4_as_now(frame)), now))
    conn.execute("DROP TABLE snapshots")


def _v4_as_now(frame):
    """A snapshot of the first blob format under today's column names. Its P and K were the scores
    in force; they stand in for the roster's own, which that format did not keep."""
    frame = frame.rename(columns=_V4_RENAMED)
    return frame.assign(p_score=frame["P"], k_score=frame["K"])


def _classified_names(conn: sqlite3.Connection) -> None:
    """Migration 6: one schema for the classified students, stored and in memory (P, F, K rather
    than p, f, k); alert texts are no longer kept with a snapshot (worked out when needed)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for statement in (
        *(f"DROP TRIGGER IF EXISTS callbacks_{event}" for event in ("insert", "update", "delete")),
        "DROP TABLE IF EXISTS revision",
        "ALTER TABLE snapshot_tables DROP COLUMN alerts",
        "ALTER TABLE snapshot_tables DROP COLUMN alerts_basis",
    ):
        conn.execute(statement)
    for day, data in conn.execute("SELECT as_of, data FROM snapshot_tables").fetchall():
        stored = pq.read_table(pa.BufferReader(data))
        if "P" in stored.column_names:  # written by migration 4 from this version on
            continue
        frame = _v4_as_now(stored.to_pandas())
        conn.execute("UPDATE snapshot_tables SET data = ? WHERE as_of = ?", (encode_snapshot(frame), day))


# Each step is an SQL script or a function of the connection; all pending steps run in one transaction.
MIGRATIONS: tuple[str | Callable[[sqlite3.Connection], None], ...] = (
    # 1: the first schema
    """
    CREATE TABLE snapshots (
        as_of TEXT NOT NULL,
        student_id TEXT NOT NULL,
        name TEXT,
        teacher TEXT,
        course TEXT,
        p REAL,
        f REAL,
        k REAL,
        expected_f REAL,
        segment TEXT NOT NULL,
        last_active TEXT,
        PRIMARY KEY (as_of, student_id)
    );
    CREATE TABLE callbacks (
        id INTEGER PRIMARY KEY,
        sheet_key TEXT NOT NULL,
        teacher TEXT,
        student_id TEXT NOT NULL,
        called_on TEXT NOT NULL,
        p REAL,
        k REAL,
        note TEXT,
        follow_up TEXT,
        source_file TEXT,
        recorded_at TEXT NOT NULL
    );
    CREATE INDEX callbacks_by_student ON callbacks (student_id, called_on);
    CREATE TABLE imports (
        sheet_key TEXT PRIMARY KEY,
        content_hash TEXT NOT NULL,
        source_file TEXT,
        rows INTEGER NOT NULL,
        imported_at TEXT NOT NULL
    );
    """,
    # 2: the course rating of each snapshot, for "below 3 stars twice in a row" (pfk alerts)
    """
    ALTER TABLE snapshots ADD COLUMN satisfaction REAL;
    """,
    # 3: what a call sheet and the alerts need when they work from a snapshot instead of a roster
    """
    ALTER TABLE snapshots ADD COLUMN phone TEXT;
    ALTER TABLE snapshots ADD COLUMN why TEXT;
    ALTER TABLE snapshots ADD COLUMN last_callback TEXT;
    ALTER TABLE snapshots ADD COLUMN next_followup TEXT;
    ALTER TABLE snapshots ADD COLUMN course_end TEXT;
    ALTER TABLE snapshots ADD COLUMN fast_forward REAL;
    """,
    # 4: one Parquet blob per snapshot instead of one row per student (snapshot_tables)
    _one_blob_per_snapshot,
    # 5: (since dropped by 6) each snapshot's alert texts, and a counter of changes to the callbacks
    """
    ALTER TABLE snapshot_tables ADD COLUMN alerts BLOB;
    ALTER TABLE snapshot_tables ADD COLUMN alerts_basis TEXT;
    CREATE TABLE revision (id INTEGER PRIMARY KEY CHECK (id = 1), callbacks INTEGER NOT NULL);
    INSERT INTO revision VALUES (1, 0);
    """,
    # 6: P, F, K stored as the classification names them; no stored alert texts
    _classified_names,
    # 7: every sheet pfk hands out has an id, kept with whom it was for; calls have an outcome (only
    # reached ones are callbacks), and may raise a problem that is resolved later
    """
    CREATE TABLE sheets (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        teacher TEXT NOT NULL,
        as_of TEXT NOT NULL,
        students TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    ALTER TABLE callbacks ADD COLUMN outcome TEXT;
    ALTER TABLE callbacks ADD COLUMN reached INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE callbacks ADD COLUMN problem_type TEXT;
    ALTER TABLE callbacks ADD COLUMN resolved INTEGER;
    ALTER TABLE imports ADD COLUMN saved_at TEXT;
    """,
    # 8: messages a teacher marked as sent on a messages sheet (pfk messages): touches, not callbacks;
    # one per sheet, student and scene, however often the sheet is recorded
    """
    CREATE TABLE touches (
        id INTEGER PRIMARY KEY,
        sheet_id TEXT NOT NULL,
        teacher TEXT,
        student_id TEXT NOT NULL,
        scene TEXT NOT NULL,
        touched_on TEXT NOT NULL,
        message TEXT,
        source_file TEXT,
        recorded_at TEXT NOT NULL,
        UNIQUE (sheet_id, student_id, scene)
    );
    CREATE INDEX touches_by_student ON touches (student_id, touched_on);
    """,
    # 9: who holds each student: moves made by pfk assign and pfk pool (see `owners`); a blank
    # teacher is the public pool (公海)
    """
    CREATE TABLE ownership (
        id INTEGER PRIMARY KEY,
        student_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        from_teacher TEXT,
        teacher TEXT,
        roster_teacher TEXT,
        on_day TEXT NOT NULL,
        reason TEXT,
        recorded_at TEXT NOT NULL
    );
    CREATE INDEX ownership_by_student ON ownership (student_id, on_day);
    """,
    # 10: which solution of the playbook a call used (an entry's id, or 其他), for learning.py
    """
    ALTER TABLE callbacks ADD COLUMN solution TEXT;
    """,
    # 11: the holdout (holdout.py): the students drawn, held out or kept, round by round; the
    # workspace's own seed for the draw
    """
    CREATE TABLE holdout_draws (
        student_id TEXT NOT NULL,
        drawn_on TEXT NOT NULL,
        until TEXT NOT NULL,
        held_out INTEGER NOT NULL,
        share REAL NOT NULL,
        teacher TEXT,
        segment TEXT,
        PRIMARY KEY (student_id, drawn_on)
    );
    CREATE INDEX holdout_draws_by_until ON holdout_draws (until);
    CREATE TABLE holdout_seed (id INTEGER PRIMARY KEY CHECK (id = 1), seed TEXT NOT NULL, created_at TEXT NOT NULL);
    """,
    # 12: the solution each call-sheet row proposed (建议方案, proposals.py), kept with its sheet: what
    # learning.py measures a solution by (intention to treat)
    """
    CREATE TABLE proposals (
        sheet_id TEXT NOT NULL,
        student_id TEXT NOT NULL,
        solution TEXT NOT NULL,
        segment TEXT NOT NULL,
        proposed_on TEXT NOT NULL,
        PRIMARY KEY (sheet_id, student_id)
    );
    CREATE INDEX proposals_by_day ON proposals (proposed_on);
    """,
    # 13: the workspace this store belongs to (its id is kept beside it too, in .pfk/workspace-id.txt):
    # another team's store copied in, or restored from their backup, is told apart (workspace.py)
    """
    CREATE TABLE workspace (id INTEGER PRIMARY KEY CHECK (id = 1), workspace_id TEXT NOT NULL, set_at TEXT NOT NULL);
    """,
)

# What a snapshot keeps of each classified student, by the frame's own column names, and their
# kinds: the roster's fields the later commands read, then the classification.
SNAPSHOT_COLUMNS: dict[str, str] = {
    "student_id": "text",
    "name": "text",
    "teacher": "text",  # who holds the student (`owners`); blank in the public pool
    "roster_teacher": "text",  # the roster's own 运营老师, which `owners` weighs the moves against
    "phone": "text",
    "course": "text",
    "enrolled_on": "date",
    "course_start": "date",
    "course_end": "date",
    "homework_done": "number",
    "hours_watched": "number",
    "last_active": "date",
    "activity_known": "flag",
    "satisfaction": "number",
    "fast_forward": "number",
    "p_score": "number",
    "k_score": "number",
    "last_callback": "date",
    "next_followup": "date",
    "renewal": "text",
    "status": "text",  # the roster's 学员状态 (outcomes.left_course)
    "P": "number",
    "F": "number",
    "K": "number",
    "expected_f": "number",
    "f_cut": "number",
    "score_share": "number",  # homework or test scores as a share of full marks (risk.py)
    "rhythm_days": "number",  # the days between what the student's course asks for (risk.rhythm_days)
    "segment": "text",
    "why": "text",
}
# What the weekly commands work from: all but the segment's why, a long text per student that only the
# result workbook and the report show (it is most of what reading a snapshot costs).
WORKING_COLUMNS = [name for name in SNAPSHOT_COLUMNS if name != "why"]
SCHEMA_VERSION = len(MIGRATIONS)
# How long a writer waits for another pfk to finish writing before giving up with a clear message.
BUSY_TIMEOUT_SECONDS = 30.0


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the history store."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return _open_when_free(path)
    except OSError as exc:  # the .pfk folder cannot be made: a file of that name, no permission
        reason = "已有同名的文件" if isinstance(exc, FileExistsError) else (exc.strerror or str(exc))
        raise OutputError(f"{path}: 历史库无法打开（{exc.filename or path.parent}：{reason}）") from exc
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):  # the workspace says which backup to restore (Workspace.open_history)
            raise
        hint = "可能另一个 pfk 正在写入，请稍后再试" if "locked" in str(exc) else "可用 pfk backup 的备份恢复"
        raise OutputError(f"{path}: 历史库无法打开（{exc}）；{hint}") from exc


# SQLite's own codes (and their extended forms) for a file whose pages are damaged, or that is no database.
_DAMAGE_CODES = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


def is_damage(exc: BaseException) -> bool:
    """Whether SQLite stopped because the file's pages are damaged ("database disk image is
    malformed") — not locked, not read-only, not a mistake in pfk's SQL."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    name = getattr(exc, "sqlite_errorname", None) or ""
    return name.startswith(_DAMAGE_CODES) or "malformed" in str(exc)


def _open_when_free(path: Path) -> sqlite3.Connection:
    """Connect, switch to WAL and migrate. SQLite answers "locked" at once, without waiting on the busy
    timeout, while another process is creating the file or switching its journal mode: such an
    answer is retried until the timeout has passed."""
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
            conn.execute("PRAGMA foreign_keys=ON")
            _migrate(conn)
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        except BaseException:
            conn.close()
            raise


def _migrate(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise UsageError(f"历史库由更新版本的 pfk 写入（版本 {version}），请升级 pfk")
    if version == SCHEMA_VERSION:
        return
    with transaction(conn):
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
            if callable(step):
                step(conn)
            else:
                for statement in step.split(";"):
                    if statement.strip():
                        conn.execute(statement)
            conn.execute(f"PRAGMA user_version={number}")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT: writers queue on the busy timeout instead of failing. SQLite's own
    failures (still locked after the timeout, disk full, a read-only file) become one clear OutputError."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise OutputError(
            f"{_file_of(conn)}: 历史库正被占用（{exc}），等了 {BUSY_TIMEOUT_SECONDS:g} 秒仍无法写入；可能另一个 pfk 正在运行，请稍后再试"
        ) from exc
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException as exc:
        if conn.in_transaction:  # SQLite rolls back by itself on some errors (disk full)
            conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.OperationalError):
            raise OutputError(f"{_file_of(conn)}: 历史库写入失败，什么都没有改动（{exc}）") from exc
        raise


def _file_of(conn: sqlite3.Connection) -> str:
    return conn.execute("PRAGMA database_list").fetchone()[2] or "历史库"


@contextmanager
def opened(path: Path | None) -> Iterator[sqlite3.Connection | None]:
    if path is None:
        yield None
        return
    conn = connect(path)
    try:
        yield conn
    finally:
        conn.close()


def _iso(value) -> str | None:
    if missing(value):
        return None
    return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()


def snapshot_schema():
    """The Arrow schema of a stored snapshot (`SNAPSHOT_COLUMNS`): text, float64 numbers and date32
    dates, so that a column blank for every student keeps its type."""
    import pyarrow as pa

    kinds = {"text": pa.string(), "number": pa.float64(), "date": pa.date32(), "flag": pa.bool_()}
    return pa.schema([(name, kinds[kind]) for name, kind in SNAPSHOT_COLUMNS.items()])


def _arrow_column(series, kind):
    """One column in its declared type; other values are converted as SQLite's column affinity did."""
    import pandas as pd
    import pyarrow as pa

    if pa.types.is_date32(kind):
        if not pd.api.types.is_datetime64_any_dtype(series):  # ISO text (migration) or date objects
            series = pd.to_datetime(series, errors="coerce", format="mixed")
        if series.dtype != "datetime64[ns]":  # loaded as ns: a date beyond 2262 (a typo) would not load
            series = series.where(series.between(pd.Timestamp.min, pd.Timestamp.max))
        return pa.array(series.to_numpy("datetime64[D]"), type=kind, from_pandas=True)
    if pa.types.is_boolean(kind):
        return pa.array(series.astype("boolean"), type=kind, from_pandas=True)
    if pa.types.is_floating(kind):
        if series.dtype != "float64":
            series = pd.to_numeric(series, errors="coerce").astype("float64")
        return pa.array(series, type=kind, from_pandas=True)
    try:
        return pa.array(series, type=kind, from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # numbers in a text column: a phone read as a number
        return pa.array(series.astype("str"), type=kind, from_pandas=True)


def encode_snapshot(frame) -> bytes:
    """The classified students as stored: Parquet (zstd) of `SNAPSHOT_COLUMNS` taken from `frame`
    (a column it lacks is stored blank). Needs no connection."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = snapshot_schema()
    arrays = [
        _arrow_column(frame[field.name], field.type) if field.name in frame else pa.nulls(len(frame), field.type)
        for field in schema
    ]
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _read_blob(data: bytes, columns: list[str] | None = None, filters=None):
    """A stored snapshot as an Arrow table in `snapshot_schema()`: the schema fills the columns that an
    older snapshot lacks. `filters` (pfk history: one student) are applied while reading."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = snapshot_schema()
    wanted = columns or schema.names
    stored = pq.ParquetFile(pa.BufferReader(data))
    present = set(stored.schema_arrow.names)
    if filters is not None:
        table = pq.read_table(pa.BufferReader(data), columns=[n for n in wanted if n in present], filters=filters)
    else:
        table = stored.read(columns=[name for name in wanted if name in present])
    arrays = [
        table.column(name).cast(schema.field(name).type) if name in present else pa.nulls(table.num_rows, schema.field(name).type)
        for name in wanted
    ]
    return pa.Table.from_arrays(arrays, schema=pa.schema([schema.field(name) for name in wanted]))


def save_snapshot(conn: sqlite3.Connection, as_of: dt.date, frame) -> None:
    """Store one classification, replacing any earlier one of the same as-of date, in one transaction."""
    data = encode_snapshot(frame)  # before the transaction: the write lock is held briefly
    saved_at = dt.datetime.now().isoformat(timespec="seconds")
    with transaction(conn):
        conn.execute(
            "INSERT OR REPLACE INTO snapshot_tables (as_of, students, data, saved_at) VALUES (?, ?, ?, ?)",
            (as_of.isoformat(), len(frame), data, saved_at),
        )


def snapshot_dates(conn: sqlite3.Connection) -> list[dt.date]:
    rows = conn.execute("SELECT as_of FROM snapshot_tables ORDER BY as_of").fetchall()
    return [dt.date.fromisoformat(r[0]) for r in rows]


def load_snapshot(conn: sqlite3.Connection, as_of: dt.date, columns: list[str] | None = None):
    """The classified students of the snapshot of `as_of`, with the columns and types classify gave
    them (`SNAPSHOT_COLUMNS`, or only `columns` of them; dates as datetime64[ns]). No snapshot of that
    date: an empty frame."""
    import pyarrow as pa

    row = conn.execute("SELECT data FROM snapshot_tables WHERE as_of = ?", (as_of.isoformat(),)).fetchone()
    if row:
        table = _read_blob(row[0], columns)
    else:
        schema = snapshot_schema()
        table = (schema if columns is None else pa.schema([schema.field(name) for name in columns])).empty_table()
    frame = table.to_pandas(date_as_object=False)
    dates = [name for name, kind in SNAPSHOT_COLUMNS.items() if kind == "date" and name in frame]
    # An older snapshot does not say whether its blank 最近学习时间 meant "never": it is read as "not known".
    kinds = {**dict.fromkeys(dates, "datetime64[ns]"), **({"activity_known": "bool"} if "activity_known" in frame else {})}
    return frame.astype(kinds)


def first_seen(conn: sqlite3.Connection | None, frame, as_of: dt.date):
    """For a roster without an enrolment column: the day of the newest snapshot on or before `as_of` for
    the students of `frame` who are not in the snapshot before it (new since), or `as_of` for those in
    no snapshot when snapshots exist (classified today); NaT for the rest, and in a workspace's first week."""
    import pandas as pd

    out = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    dates = [d for d in snapshot_dates(conn) if d <= as_of] if conn is not None else []
    if not dates:
        return out
    newest, earlier = (dates[-1], dates[:-1]) if dates[-1] == as_of else (as_of, dates)
    if not earlier:
        return out
    data = conn.execute("SELECT data FROM snapshot_tables WHERE as_of = ?", (earlier[-1].isoformat(),)).fetchone()[0]
    before = _read_blob(data, columns=["student_id"]).column("student_id")
    import pyarrow.compute as pc

    new = ~pd.Series(pc.is_in(pa_array(frame["student_id"]), value_set=before).to_numpy(zero_copy_only=False), index=frame.index)
    out[new] = pd.Timestamp(newest)
    return out


def pa_array(values):
    import pyarrow as pa

    return pa.array(values, pa.string(), from_pandas=True)


def previous_snapshot(conn: sqlite3.Connection | None, before: dt.date, columns=("student_id", "F", "expected_f")):
    """The newest snapshot strictly before `before` (only `columns`), or None."""
    if conn is None:
        return None
    dates = [d for d in snapshot_dates(conn) if d < before]
    return load_snapshot(conn, dates[-1], list(columns)) if dates else None


def ratings_before(conn: sqlite3.Connection | None, as_of: dt.date):
    """Per student, the newest non-blank satisfaction stored in a snapshot strictly before `as_of`,
    with that snapshot's date: columns student_id, satisfaction, rated_on (datetime64)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = []
    seen = pa.chunked_array([], pa.string())
    rows = conn.execute("SELECT as_of, data FROM snapshot_tables WHERE as_of < ? ORDER BY as_of DESC", (as_of.isoformat(),)) if conn else []
    # Every snapshot is read: a student missing from a newer one keeps the rating of an older one.
    for day, data in rows:
        table = _read_blob(data, columns=["student_id", "satisfaction"])
        keep = pc.and_(pc.is_valid(table["satisfaction"]), pc.invert(pc.is_in(table["student_id"], value_set=seen)))
        table = table.filter(keep)
        if table.num_rows:
            found.append(table.append_column("rated_on", pa.array([dt.date.fromisoformat(day)] * table.num_rows, pa.date32())))
            seen = pa.chunked_array([*seen.chunks, *table["student_id"].chunks], pa.string())
    schema = pa.schema([("student_id", pa.string()), ("satisfaction", pa.float64()), ("rated_on", pa.date32())])
    frame = pa.concat_tables(found).to_pandas(date_as_object=False) if found else schema.empty_table().to_pandas(date_as_object=False)
    frame["rated_on"] = frame["rated_on"].astype("datetime64[ns]")
    return frame.drop_duplicates("student_id", ignore_index=True)


def newest_callbacks(conn: sqlite3.Connection | None, frame, as_of: dt.date):
    """What the history knows of each student of `frame` on `as_of`: the one place that decides which
    callback is the newest. A frame on `frame.index` with

    - `last_called`, `follow_up`, `last_note`: the newest callback on or before `as_of` — a reached
      call recorded with `pfk record`, or the roster's own 最近回访日期 (`last_callback`), whichever
      is later; on the same day the recorded one, which carries the teacher's note. Its follow-up
      date is the one that counts; a follow-up on or before the call it belongs to was settled by it.
    - `P`, `P_on`, `K`, `K_on`: the newest score of each axis, with its date: recorded, or the
      roster's column dated by its 最近回访日期 (undated roster scores count as older than recorded ones).
    - `failed_in_a_row`: calls not reached (未接通, 拒接 …) since the last reached one.
    - `complaint_on`: the day of the oldest complaint (问题类型 投诉) not yet resolved by that call or a later one.

    `frame` needs student_id, last_callback, next_followup, p_score, k_score (`frames.complete`).
    """
    import pandas as pd

    # What the history holds, each table by student_id, joined and laid on the frame's rows at once.
    known = pd.concat(
        {
            "call": _recorded_callbacks(conn, as_of),
            "tries": _attempts(conn, as_of),
            **{axis: _recorded_scores(conn, axis, as_of) for axis in ("P", "K")},
        },
        axis=1,
    ).reindex(frame["student_id"])
    known.index = frame.index
    recorded, attempts = known["call"], known["tries"]
    roster_on = frame["last_callback"]
    recorded_on = recorded["called_on"]
    use_recorded = recorded_on.notna() & (roster_on.isna() | (recorded_on >= roster_on))
    last_called = recorded_on.where(use_recorded, roster_on)
    follow_up = recorded["follow_up"].where(use_recorded, frame["next_followup"])
    facts = pd.DataFrame(
        {
            "last_called": last_called,
            "follow_up": follow_up.where(~(follow_up <= last_called)),
            "last_note": recorded["note"].where(use_recorded),
            "failed_in_a_row": attempts["failed_in_a_row"].fillna(0).astype("int64"),
            "complaint_on": attempts["complaint_on"],
        },
        index=frame.index,
    )
    for axis, roster_score in (("P", frame["p_score"]), ("K", frame["k_score"])):
        value, on = known[axis]["value"], known[axis]["called_on"]
        newer = value.notna() & (roster_score.isna() | roster_on.isna() | (on >= roster_on))
        facts[axis] = value.where(newer, roster_score).astype("float64")
        facts[f"{axis}_on"] = on.where(newer, roster_on.where(roster_score.notna()))
    return facts


def _recorded_callbacks(conn: sqlite3.Connection | None, as_of: dt.date):
    """Per student (the index), the newest reached call recorded on or before `as_of`: called_on, note, follow_up."""
    import pandas as pd

    rows = []
    if conn is not None:
        rows = conn.execute(
            """
            SELECT student_id, called_on, note, follow_up FROM (
                SELECT *, ROW_NUMBER() OVER (PARTITION BY student_id ORDER BY called_on DESC, id DESC) AS n
                FROM callbacks WHERE reached = 1 AND called_on <= ?
            ) WHERE n = 1
            """,
            (as_of.isoformat(),),
        ).fetchall()
    frame = pd.DataFrame(rows, columns=["student_id", "called_on", "note", "follow_up"])
    return _dated(frame, "called_on", "follow_up").astype({"note": "str"}).set_index("student_id")


def _recorded_scores(conn: sqlite3.Connection | None, axis: str, as_of: dt.date):
    """Per student (the index), the newest recorded score of `axis` (P or K) on or before `as_of`: value, called_on."""
    import pandas as pd

    rows = []
    if conn is not None:
        column = {"P": "p", "K": "k"}[axis]
        rows = conn.execute(
            f"""
            SELECT student_id, {column}, called_on FROM (
                SELECT *, ROW_NUMBER() OVER (PARTITION BY student_id ORDER BY called_on DESC, id DESC) AS n
                FROM callbacks WHERE {column} IS NOT NULL AND reached = 1 AND called_on <= ?
            ) WHERE n = 1
            """,
            (as_of.isoformat(),),
        ).fetchall()
    frame = pd.DataFrame(rows, columns=["student_id", "value", "called_on"]).astype({"value": "float64"})
    return _dated(frame, "called_on").set_index("student_id")


# The calls on or before :day (`calls`), each student's last reached one (`last_reached`) and the calls
# not reached since it (`not_reached`): the failed calls in a row, as `_attempts` counts them and
# `failed_calls` lists them. CTEs for a WITH clause.
_NOT_REACHED_SINCE_REACHED = """
    calls AS (SELECT * FROM callbacks WHERE called_on <= :day),
    last_reached AS (SELECT student_id, max(called_on) AS on_day FROM calls WHERE reached = 1 GROUP BY student_id),
    not_reached AS (
        SELECT c.* FROM calls c LEFT JOIN last_reached r USING (student_id)
        WHERE c.reached = 0 AND (r.on_day IS NULL OR c.called_on > r.on_day)
    )
"""


def _attempts(conn: sqlite3.Connection | None, as_of: dt.date):
    """Per student (the index): failed_in_a_row (calls not reached since the last reached one) and
    complaint_on (the oldest complaint not resolved since), from the calls on or before `as_of`."""
    import pandas as pd

    rows = []
    if conn is not None:
        day = as_of.isoformat()
        rows = conn.execute(
            "WITH" + _NOT_REACHED_SINCE_REACHED + """,
            failed AS (SELECT student_id, count(*) AS n FROM not_reached GROUP BY student_id),
            complaints AS (
                SELECT c.student_id, min(c.called_on) AS on_day FROM calls c
                WHERE c.problem_type = '投诉' AND NOT EXISTS (
                    SELECT 1 FROM calls later WHERE later.student_id = c.student_id AND later.resolved = 1
                    AND later.called_on >= c.called_on
                ) GROUP BY c.student_id
            )
            SELECT student_id, max(n), max(on_day) FROM (
                SELECT student_id, n, NULL AS on_day FROM failed UNION ALL SELECT student_id, 0, on_day FROM complaints
            ) GROUP BY student_id
            """,
            {"day": day},
        ).fetchall()
    frame = pd.DataFrame(rows, columns=["student_id", "failed_in_a_row", "complaint_on"]).astype({"failed_in_a_row": "int64"})
    return _dated(frame, "complaint_on").set_index("student_id")


def reached_calls(conn: sqlite3.Connection | None, end: dt.date):
    """Every reached call on or before `end`: student_id, teacher, called_on (datetime64), solution
    (a playbook entry's id, 其他, or blank), in date order."""
    import pandas as pd

    rows = []
    if conn is not None:
        rows = conn.execute(
            "SELECT student_id, teacher, called_on, solution FROM callbacks WHERE reached = 1 AND called_on <= ? ORDER BY called_on, id",
            (end.isoformat(),),
        ).fetchall()
    frame = pd.DataFrame(rows, columns=["student_id", "teacher", "called_on", "solution"], dtype=object)
    return _dated(frame, "called_on").astype({"student_id": "str"})


def register_sheets(conn: sqlite3.Connection, kind: str, as_of: dt.date, sheets: list[tuple[str, list[str]]]) -> list[str]:
    """Give each sheet pfk hands out (kind "callsheet" or "messages"; a teacher and the students on
    it) its id, kept with the date, so that what comes back is known for what it is. Returns the ids."""
    import json
    import secrets

    # Ten letters: short enough to read out on the phone, far too many to hit by chance.
    ids = [secrets.token_hex(5) for _ in sheets]
    created = dt.datetime.now().isoformat(timespec="seconds")
    with transaction(conn):
        conn.executemany(
            "INSERT INTO sheets VALUES (?, ?, ?, ?, ?, ?)",
            [
                (sheet_id, kind, teacher, as_of.isoformat(), json.dumps(students, ensure_ascii=False), created)
                for sheet_id, (teacher, students) in zip(ids, sheets)
            ],
        )
    return ids


@dataclass(frozen=True)
class IssuedSheet:
    id: str
    kind: str
    teacher: str
    as_of: dt.date
    students: tuple[str, ...]


def issued_sheet(conn: sqlite3.Connection, sheet_id: str) -> IssuedSheet | None:
    """The sheet of that id as pfk handed it out, or None."""
    import json

    row = conn.execute("SELECT id, kind, teacher, as_of, students FROM sheets WHERE id = ?", (sheet_id,)).fetchone()
    if row is None:
        return None
    return IssuedSheet(row[0], row[1], row[2], dt.date.fromisoformat(row[3]), tuple(json.loads(row[4])))


def check_issued(conn: sqlite3.Connection, name: str, sheet_id: str, kind: str, teacher: str | None, as_of: str | None) -> IssuedSheet:
    """The sheet pfk handed out under `sheet_id` (its 说明 page names the id, the teacher and the
    date): refused when no sheet of this `kind` has that id here, or when the teacher or the date on
    the page contradicts it (a sheet taken for another). `name`: the file, as messages name it."""
    from .errors import InputError

    what = {"callsheet": "回访表", "messages": "消息表"}[kind]
    sheet = issued_sheet(conn, sheet_id)
    if sheet is None or sheet.kind != kind:
        raise InputError(f"{name}: {what}编号 {sheet_id[:20]} 不是这个工作区发出的{what}（编号被改过，或表来自别的工作区）")
    if teacher and teacher != sheet.teacher:
        raise InputError(f"{name}: 说明页写的运营老师是「{teacher[:20]}」，但编号 {sheet_id} 是发给「{sheet.teacher}」的{what}；请核对是否拿错了表")
    if as_of and as_of[:10] != sheet.as_of.isoformat():
        raise InputError(f"{name}: 说明页写的日期是 {as_of[:20]}，但编号 {sheet_id} 的{what}是 {sheet.as_of} 生成的；请核对是否拿错了表")
    return sheet


def _dated(frame, *names: str):
    """ISO dates as stored → datetime64[ns] (blank → NaT)."""
    import pandas as pd

    return frame.assign(**{name: pd.to_datetime(frame[name]).astype("datetime64[ns]") for name in names})


def student_history(conn: sqlite3.Connection, student_id: str):
    """That student's calls (reached or not), snapshots and touches (messages sent), each newest first.
    A call: called_on, teacher, outcome, p, k, problem (type, and 已解决/未解决), note, follow_up, source_file."""
    callbacks = conn.execute(
        """
        SELECT called_on, teacher, coalesce(outcome, '已接通'), p, k,
               CASE WHEN problem_type IS NULL THEN NULL
                    ELSE problem_type || CASE resolved WHEN 1 THEN '（已解决）' WHEN 0 THEN '（未解决）' ELSE '' END END,
               note, follow_up, source_file
        FROM callbacks WHERE student_id = ? ORDER BY called_on DESC, id DESC
        """,
        (student_id,),
    ).fetchall()
    touches = conn.execute(
        "SELECT touched_on, teacher, scene, message, source_file FROM touches WHERE student_id = ? ORDER BY touched_on DESC, id DESC",
        (student_id,),
    ).fetchall()
    snapshots = []
    fields = ["teacher", "P", "F", "K", "segment"]
    for day, data in conn.execute("SELECT as_of, data FROM snapshot_tables ORDER BY as_of DESC"):
        table = _read_blob(data, columns=fields, filters=[("student_id", "=", student_id)])
        snapshots += [(day, *(row[name] for name in fields)) for row in table.to_pylist()]
    return callbacks, snapshots, touches


def workspace_id(conn: sqlite3.Connection) -> str | None:
    """The id of the workspace the store belongs to; None in a store that has none yet (or from a
    version before migration 13: a read-only open does not migrate)."""
    try:
        row = conn.execute("SELECT workspace_id FROM workspace WHERE id = 1").fetchone()
    except sqlite3.OperationalError:  # no such table
        return None
    return row[0] if row else None


def set_workspace_id(conn: sqlite3.Connection, value: str, replace: bool = False) -> str:
    """Give the store the workspace id `value` — only where it has none, unless `replace` — and return
    the id it holds then: two pfk runs opening a new store at once agree on the first one's."""
    on_conflict = "DO UPDATE SET workspace_id = excluded.workspace_id, set_at = excluded.set_at" if replace else "DO NOTHING"
    with transaction(conn):
        conn.execute(f"INSERT INTO workspace VALUES (1, ?, ?) ON CONFLICT (id) {on_conflict}", (value, dt.datetime.now().isoformat(timespec="seconds")))
        return conn.execute("SELECT workspace_id FROM workspace WHERE id = 1").fetchone()[0]


def backup_workspace_id(path: Path) -> str | None:
    """The workspace id a backup file holds (None: none, or a backup made before ids were kept)."""
    conn = read_only_connection(path)
    try:
        return workspace_id(conn)
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()


def backup(conn: sqlite3.Connection, target: Path) -> None:
    """SQLite's online backup: a consistent copy even while others write. Written to a temporary file
    and renamed; never over a file that is not an SQLite database (a roster typed by mistake)."""
    target = Path(target)
    if target.exists() and not _is_sqlite(target):
        raise OutputError(f"{target}: 这个文件已存在且不是 pfk 的备份，不会覆盖它；请换一个文件名")
    temp = target.with_name(f".{target.name[:40]}.{os.getpid()}.part")
    try:
        dest = sqlite3.connect(temp)
        try:
            conn.backup(dest)
        finally:
            dest.close()
        os.replace(temp, target)
    except (sqlite3.Error, OSError) as exc:
        raise OutputError(f"{target}: 无法写入备份（{exc}）") from exc
    finally:
        temp.unlink(missing_ok=True)


# Tables of which a store holding history has at least one (`snapshots`: the snapshots of older versions).
_HISTORY_TABLES = {"callbacks", "snapshot_tables", "snapshots"}


def holds_history(path: Path) -> bool:
    """Whether the file at `path` is a history store with something in it: not missing, not empty
    (0 bytes, or an SQLite file without pfk's tables), not overwritten by something else."""
    return bool((_tables(path) or set()) & _HISTORY_TABLES)


def _tables(path: Path) -> set[str] | None:
    """The tables of the SQLite file at `path`, read-only; None where it is missing, empty or not SQLite."""
    if not path.is_file() or path.stat().st_size == 0 or not _is_sqlite(path):
        return None
    try:
        conn = read_only_connection(path)
        try:
            return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None


def read_only_connection(path: Path) -> sqlite3.Connection:
    """The SQLite file at `path` opened for reading only. In WAL mode a reader makes the `-shm` file
    beside the store: where the folder or the store cannot be written (a read-only workspace), the file
    is opened as immutable instead — what a writer left in a journal there is then not seen, and no
    writer can be there."""
    from urllib.parse import quote

    uri = f"file:{quote(Path(path).resolve().as_posix())}"
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError:
            conn.close()
            if not read_only(path):
                raise
    except sqlite3.OperationalError:
        if not read_only(path):
            raise
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None)


def read_only(path: Path) -> Path | None:
    """What keeps pfk from writing the store at `path`: the store itself, or its folder (where SQLite
    keeps its journal); None when both can be written or the store is not there."""
    path = Path(path)
    if not path.exists():
        return None
    for what in (path, path.parent):
        if not os.access(what, os.W_OK):
            return what
    return None


def open_for_reading(path: Path) -> sqlite3.Connection:
    """The store opened read-only for a command that only reads (`pfk history`, `report`, `pool list`,
    `playbook show`): nothing migrated, nothing written; it runs in a read-only workspace."""
    conn = read_only_connection(path)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except BaseException:
        conn.close()
        raise
    if version > SCHEMA_VERSION:
        conn.close()
        raise UsageError(f"历史库由更新版本的 pfk 写入（版本 {version}），请升级 pfk")
    if version < SCHEMA_VERSION:
        # An older schema is brought up to date first, which writes: as every other command opens it.
        conn.close()
        return connect(path)
    return conn


def check_backup(path: Path) -> tuple[int, int]:
    """A backup fit to restore: an SQLite file pfk wrote (this version or older) whose pages are
    intact. Returns its (snapshots, calls); raises InputError saying what is wrong."""
    from .errors import InputError

    if not path.is_file():
        raise InputError(f"{path}: 文件不存在")
    tables = _tables(path) or set()
    if not tables & _HISTORY_TABLES:  # as `holds_history`, the tables kept for the count below
        raise InputError(f"{path}: 不是 pfk 的历史库备份（空文件、别的文件，或没有回访和快照）")
    conn = read_only_connection(path)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        snapshots = conn.execute(f"SELECT count(*) FROM {'snapshot_tables' if 'snapshot_tables' in tables else 'snapshots'}").fetchone()[0]
        calls = conn.execute("SELECT count(*) FROM callbacks").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path}: 备份已损坏，无法读取（{exc}）") from exc
    finally:
        conn.close()
    if ok != "ok":
        raise InputError(f"{path}: 备份已损坏（完整性检查没有通过），请换一份备份")
    if version > SCHEMA_VERSION:
        raise InputError(f"{path}: 这份备份由更新版本的 pfk 写入（版本 {version}），请先升级 pfk")
    return snapshots, calls


def restore(backup_path: Path, store: Path, aside: Path) -> None:
    """Put `backup_path` in place of `store` (checked first, copied with SQLite's backup, renamed in),
    the current store — and its journal — kept as `aside` rather than deleted."""
    temp = store.with_name(f".{store.name}.{os.getpid()}.restore")
    try:
        source = read_only_connection(backup_path)
        dest = sqlite3.connect(temp)
        try:
            source.backup(dest)
        finally:
            dest.close()
            source.close()
        store.parent.mkdir(parents=True, exist_ok=True)
        set_aside(store, aside)
        os.replace(temp, store)
    except (sqlite3.Error, OSError) as exc:
        raise OutputError(f"{store}: 无法恢复（{exc}）；原来的历史库没有改动") from exc
    finally:
        temp.unlink(missing_ok=True)


def set_aside(store: Path, aside: Path) -> None:
    """Move the store at `store` and its journal (`-wal`, `-shm`), those there are, to `aside` (the
    same suffixes): kept, never deleted."""
    for suffix in ("", "-wal", "-shm"):
        current = store.with_name(store.name + suffix)
        if current.exists():
            os.replace(current, aside.with_name(aside.name + suffix))


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def recorded_copy(conn: sqlite3.Connection, sheet_key: str) -> tuple[str, str | None, list[str]] | None:
    """What was recorded from a sheet before: (content hash, when that file was saved, the students
    it had filled in), or None."""
    row = conn.execute("SELECT content_hash, saved_at FROM imports WHERE sheet_key = ?", (sheet_key,)).fetchone()
    if row is None:
        return None
    students = [r[0] for r in conn.execute("SELECT DISTINCT student_id FROM callbacks WHERE sheet_key = ?", (sheet_key,))]
    return row[0], row[1], students


def import_callbacks(
    conn: sqlite3.Connection, sheet_key: str, content_hash: str, source_file: str, rows: list[dict], saved_at: str | None = None
) -> str:
    """Store the filled rows of one call sheet (calls reached or not) in one transaction.

    Returns "same" (this content was recorded before: nothing changes), "replaced" (a corrected
    file: its earlier rows are replaced) or "new".
    """
    now = dt.datetime.now().isoformat(timespec="seconds")
    with transaction(conn):
        before = conn.execute("SELECT content_hash FROM imports WHERE sheet_key = ?", (sheet_key,)).fetchone()
        if before and before[0] == content_hash:
            return "same"
        conn.execute("DELETE FROM callbacks WHERE sheet_key = ?", (sheet_key,))
        conn.executemany(
            "INSERT INTO callbacks (sheet_key, teacher, student_id, called_on, p, k, note, follow_up, source_file, recorded_at,"
            " outcome, reached, problem_type, resolved, solution) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    sheet_key, r["teacher"], r["student_id"], _iso(r["called_on"]), r["p"], r["k"], r["note"], _iso(r["follow_up"]),
                    source_file, now, r.get("outcome"), int(r.get("reached", True)), r.get("problem_type"), r.get("resolved"),
                    r.get("solution"),
                )
                for r in rows
            ],
        )
        conn.execute(
            "INSERT INTO imports (sheet_key, content_hash, source_file, rows, imported_at, saved_at) VALUES (?,?,?,?,?,?)"
            " ON CONFLICT(sheet_key) DO UPDATE SET content_hash = excluded.content_hash, source_file = excluded.source_file,"
            " rows = excluded.rows, imported_at = excluded.imported_at, saved_at = excluded.saved_at",
            (sheet_key, content_hash, source_file, len(rows), now, saved_at),
        )
    return "replaced" if before else "new"


def store_touches(conn: sqlite3.Connection, sheet_id: str, source_file: str, rows: list[dict]) -> int:
    """Store the messages marked sent on one messages sheet (rows: teacher, student_id, scene,
    touched_on, message) in one transaction. A touch already stored from this sheet (same student and
    scene) is kept once: only its text follows the newer file. Returns how many touches are new."""
    now = dt.datetime.now().isoformat(timespec="seconds")
    with transaction(conn):
        before = conn.execute("SELECT count(*) FROM touches WHERE sheet_id = ?", (sheet_id,)).fetchone()[0]
        conn.executemany(
            "INSERT INTO touches (sheet_id, teacher, student_id, scene, touched_on, message, source_file, recorded_at)"
            " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (sheet_id, student_id, scene) DO UPDATE SET message = excluded.message",
            [
                (sheet_id, r["teacher"], r["student_id"], r["scene"], _iso(r["touched_on"]), r["message"], source_file, now)
                for r in rows
            ],
        )
        after = conn.execute("SELECT count(*) FROM touches WHERE sheet_id = ?", (sheet_id,)).fetchone()[0]
    return after - before


def newest_touches(conn: sqlite3.Connection | None, as_of: dt.date):
    """Per student and scene, the newest touch on or before `as_of`: columns student_id, scene,
    touched_on (datetime64)."""
    import pandas as pd

    rows = []
    if conn is not None:
        rows = conn.execute(
            "SELECT student_id, scene, max(touched_on) FROM touches WHERE touched_on <= ? GROUP BY student_id, scene",
            (as_of.isoformat(),),
        ).fetchall()
    return _dated(pd.DataFrame(rows, columns=["student_id", "scene", "touched_on"]), "touched_on")


# Who holds each student. The roster's 运营老师 says it until pfk moves a student (pfk assign, pfk
# pool claim / release); each move is a row of `ownership`, dated by the as-of day it was made for.
MOVE_KINDS = {"assign": "分配", "claim": "认领", "release": "放入公海"}


def claims_on(conn: sqlite3.Connection, teacher: str, on_day: dt.date) -> list[tuple[str, str | None]]:
    """The students `teacher` claimed from the pool for `on_day` (pfk pool claim), with why, in the
    order claimed: what a second run of the same claim finds already done."""
    return conn.execute(
        "SELECT student_id, reason FROM ownership WHERE kind = 'claim' AND teacher = ? AND on_day = ? ORDER BY id",
        (teacher, _iso(on_day)),
    ).fetchall()


def owners(conn: sqlite3.Connection | None, frame, as_of: dt.date):
    """Who holds each student of `frame` on `as_of`: the one place that decides it.

    The roster's 运营老师 holds the student (`roster_teacher` where the frame has it — a stored
    snapshot keeps the roster's own there — else `teacher`), unless the student's newest move on or
    before `as_of` still stands. A move stands while the roster shows the student with the teacher it
    showed when the move was made (the platform has not been told yet) or with the move's own teacher
    (it has been); a roster showing anyone else was changed in the platform after the move, and the
    platform wins. An older move never comes back: the newest one alone is weighed.

    Returns a frame on `frame.index`: `roster_teacher` (the roster's 运营老师 weighed here, as the
    frame has it), `teacher` (blank: nobody — released to the pool, or never given a teacher),
    `moved_on` (the day of the move that stands; NaT where the roster holds), `move` (its kind,
    `MOVE_KINDS`), `move_reason`, `moved_from`.
    """
    import pandas as pd

    roster = frame["roster_teacher"].fillna(frame["teacher"]) if "roster_teacher" in frame else frame["teacher"]
    rows = []
    if conn is not None:
        rows = conn.execute(
            """
            SELECT student_id, kind, from_teacher, teacher, roster_teacher, on_day, reason FROM (
                SELECT *, ROW_NUMBER() OVER (PARTITION BY student_id ORDER BY on_day DESC, id DESC) AS n
                FROM ownership WHERE on_day <= ?
            ) WHERE n = 1
            """,
            (as_of.isoformat(),),
        ).fetchall()
    columns = ["student_id", "kind", "from_teacher", "teacher", "roster_teacher", "on_day", "reason"]
    moves = pd.DataFrame(rows, columns=columns, dtype="str").set_index("student_id")
    listed, roster = roster, roster.astype("str")
    held = pd.DataFrame(
        {
            "roster_teacher": listed,
            "teacher": roster.where(roster.str.strip() != ""),
            "moved_on": pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]"),
            **{name: pd.Series(None, index=frame.index, dtype="str") for name in ("move", "move_reason", "moved_from")},
        }
    )
    if moves.empty:  # the usual roster: nobody moved, no lookup per student
        return held
    at = pd.Index(moves.index).get_indexer(frame["student_id"])
    rows_moved = at >= 0
    moves = moves.iloc[at[rows_moved]].set_axis(frame.index[rows_moved])
    seen = roster[rows_moved].fillna("")
    stands = moves.index[(seen == moves["roster_teacher"].fillna("")) | (seen == moves["teacher"].fillna(""))]
    moves = moves.loc[stands]
    held.loc[stands, "teacher"] = moves["teacher"].where(moves["teacher"].str.strip() != "")
    held.loc[stands, "moved_on"] = pd.to_datetime(moves["on_day"]).astype("datetime64[ns]")
    held.loc[stands, "move"] = moves["kind"]
    held.loc[stands, "move_reason"] = moves["reason"]
    held.loc[stands, "moved_from"] = moves["from_teacher"]
    return held


def record_moves(conn: sqlite3.Connection, moves: list[dict]) -> None:
    """Store moves of students between teachers and the pool, in one transaction. Each: student_id,
    kind (`MOVE_KINDS`), from_teacher, teacher (blank: the pool), roster_teacher (the roster's 运营老师
    when the move was made), on_day (a date), reason."""
    now = dt.datetime.now().isoformat(timespec="seconds")
    with transaction(conn):
        conn.executemany(
            "INSERT INTO ownership (student_id, kind, from_teacher, teacher, roster_teacher, on_day, reason, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    m["student_id"], m["kind"], _name(m.get("from_teacher")), _name(m.get("teacher")),
                    _name(m.get("roster_teacher")), _iso(m["on_day"]), m.get("reason"), now,
                )
                for m in moves
            ],
        )


def _name(value) -> str | None:
    """A teacher's name as stored: blank (None, NaN, "") is NULL, nobody."""
    return value if isinstance(value, str) and value.strip() else None


def student_moves(conn: sqlite3.Connection, student_id: str) -> list[tuple]:
    """That student's moves, newest first: (on_day, kind, from_teacher, teacher, reason)."""
    return conn.execute(
        "SELECT on_day, kind, from_teacher, teacher, reason FROM ownership WHERE student_id = ? ORDER BY on_day DESC, id DESC",
        (student_id,),
    ).fetchall()


def failed_calls(conn: sqlite3.Connection | None, as_of: dt.date):
    """The calls not reached since each student's last reached one, on or before `as_of` — the calls
    `newest_callbacks` counts as `failed_in_a_row` — one row each, oldest first: student_id, called_on."""
    import pandas as pd

    rows = []
    if conn is not None:
        rows = conn.execute(
            "WITH" + _NOT_REACHED_SINCE_REACHED + "SELECT student_id, called_on FROM not_reached ORDER BY student_id, called_on, id",
            {"day": as_of.isoformat()},
        ).fetchall()
    return _dated(pd.DataFrame(rows, columns=["student_id", "called_on"]), "called_on")
