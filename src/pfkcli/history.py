"""The workspace history: recorded callbacks and weekly segment snapshots, in one SQLite file.

Written in transactions, in WAL mode with a busy timeout so that two `pfk record` runs at once both
land. `PRAGMA user_version` holds the schema version; `MIGRATIONS` brings an older file up to date.
Users see this data through exported workbooks (`pfk history`, `pfk report`), never the database.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputError, UsageError

MIGRATIONS: tuple[str, ...] = (
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
)

# snapshots column → classified frame column; dates are stored as ISO text.
SNAPSHOT_COLUMNS = {
    "student_id": "student_id",
    "name": "name",
    "teacher": "teacher",
    "course": "course",
    "p": "P",
    "f": "F",
    "k": "K",
    "expected_f": "expected_f",
    "segment": "segment",
    "last_active": "last_active",
    "satisfaction": "satisfaction",
    "phone": "phone",
    "why": "why",
    "last_callback": "last_callback",
    "next_followup": "next_followup",
    "course_end": "course_end",
    "fast_forward": "fast_forward",
}
SNAPSHOT_DATES = ("last_active", "last_callback", "next_followup", "course_end")
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
        hint = "可能另一个 pfk 正在写入，请稍后再试" if "locked" in str(exc) else "可用 pfk backup 的备份恢复"
        raise OutputError(f"{path}: 历史库无法打开（{exc}）；{hint}") from exc


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
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in script.split(";"):
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
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()


def save_snapshot(conn: sqlite3.Connection, as_of: dt.date, frame) -> None:
    """Store one classification (replacing any earlier one of the same as-of date), in one transaction."""
    import pandas as pd

    values = []
    for db_column, frame_column in SNAPSHOT_COLUMNS.items():
        series = frame[frame_column] if frame_column in frame else pd.Series([None] * len(frame), index=frame.index)
        if db_column in SNAPSHOT_DATES and pd.api.types.is_datetime64_any_dtype(series):
            series = series.dt.strftime("%Y-%m-%d")
        values.append(series.astype(object).where(series.notna(), None))
    rows = zip([as_of.isoformat()] * len(frame), *values)
    names = ", ".join(["as_of", *SNAPSHOT_COLUMNS])
    marks = ",".join("?" * (len(SNAPSHOT_COLUMNS) + 1))
    with transaction(conn):
        conn.execute("DELETE FROM snapshots WHERE as_of = ?", (as_of.isoformat(),))
        conn.executemany(f"INSERT INTO snapshots ({names}) VALUES ({marks})", rows)


def snapshot_dates(conn: sqlite3.Connection) -> list[dt.date]:
    rows = conn.execute("SELECT DISTINCT as_of FROM snapshots ORDER BY as_of").fetchall()
    return [dt.date.fromisoformat(r[0]) for r in rows]


def load_snapshot(conn: sqlite3.Connection, as_of: dt.date):
    import pandas as pd

    frame = pd.read_sql_query("SELECT * FROM snapshots WHERE as_of = ?", conn, params=(as_of.isoformat(),))
    for name in SNAPSHOT_DATES:
        frame[name] = pd.to_datetime(frame[name])
    return frame


def latest_callbacks(conn: sqlite3.Connection | None, as_of: dt.date | None = None):
    """Per student, the newest recorded callback on or before `as_of`: date, P, K, note, follow-up."""
    import pandas as pd

    columns = ["student_id", "called_on", "p", "k", "note", "follow_up"]
    if conn is None:
        return pd.DataFrame(columns=columns)
    limit = (as_of or dt.date.max).isoformat()
    frame = pd.read_sql_query(
        """
        SELECT student_id, called_on, p, k, note, follow_up FROM (
            SELECT *, ROW_NUMBER() OVER (PARTITION BY student_id ORDER BY called_on DESC, id DESC) AS n
            FROM callbacks WHERE called_on <= ?
        ) WHERE n = 1
        """,
        conn,
        params=(limit,),
    )
    for name in ("called_on", "follow_up"):
        frame[name] = pd.to_datetime(frame[name])
    return frame


def latest_scores(conn: sqlite3.Connection | None, as_of: dt.date | None = None):
    """Per student, the newest recorded P and the newest recorded K (each with its date)."""
    import pandas as pd

    if conn is None:
        return pd.DataFrame(columns=["student_id", "p", "p_on", "k", "k_on"])
    limit = (as_of or dt.date.max).isoformat()
    query = """
        SELECT student_id, {col} AS value, called_on FROM (
            SELECT *, ROW_NUMBER() OVER (PARTITION BY student_id ORDER BY called_on DESC, id DESC) AS n
            FROM callbacks WHERE {col} IS NOT NULL AND called_on <= ?
        ) WHERE n = 1
    """
    p = pd.read_sql_query(query.format(col="p"), conn, params=(limit,)).rename(columns={"value": "p", "called_on": "p_on"})
    k = pd.read_sql_query(query.format(col="k"), conn, params=(limit,)).rename(columns={"value": "k", "called_on": "k_on"})
    merged = p.merge(k, on="student_id", how="outer")
    for name in ("p_on", "k_on"):
        merged[name] = pd.to_datetime(merged[name])
    return merged


def student_history(conn: sqlite3.Connection, student_id: str):
    """That student's callbacks and snapshots, newest first."""
    callbacks = conn.execute(
        "SELECT called_on, teacher, p, k, note, follow_up, source_file FROM callbacks WHERE student_id = ? ORDER BY called_on DESC, id DESC",
        (student_id,),
    ).fetchall()
    snapshots = conn.execute(
        "SELECT as_of, teacher, p, f, k, segment FROM snapshots WHERE student_id = ? ORDER BY as_of DESC",
        (student_id,),
    ).fetchall()
    return callbacks, snapshots


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


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def import_callbacks(conn: sqlite3.Connection, sheet_key: str, content_hash: str, source_file: str, rows: list[dict]) -> str:
    """Store the filled rows of one call sheet in one transaction.

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
            "INSERT INTO callbacks (sheet_key, teacher, student_id, called_on, p, k, note, follow_up, source_file, recorded_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            [
                (sheet_key, r["teacher"], r["student_id"], _iso(r["called_on"]), r["p"], r["k"], r["note"], _iso(r["follow_up"]), source_file, now)
                for r in rows
            ],
        )
        conn.execute(
            "INSERT INTO imports VALUES (?,?,?,?,?) ON CONFLICT(sheet_key) DO UPDATE SET"
            " content_hash = excluded.content_hash, source_file = excluded.source_file, rows = excluded.rows, imported_at = excluded.imported_at",
            (sheet_key, content_hash, source_file, len(rows), now),
        )
    return "replaced" if before else "new"
