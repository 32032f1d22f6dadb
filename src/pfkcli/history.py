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


def _one_blob_per_snapshot(conn: sqlite3.Connection) -> None:
    """Migration 4: move every snapshot of the row-per-student table into one Parquet blob. Steps 2
    and 3 have run before it, so the old table has every stored column (blank where never filled)."""
    import pandas as pd

    conn.execute(
        "CREATE TABLE snapshot_tables (as_of TEXT PRIMARY KEY, students INTEGER NOT NULL, data BLOB NOT NULL, saved_at TEXT NOT NULL)"
    )
    now = dt.datetime.now().isoformat(timespec="seconds")
    names = list(SNAPSHOT_COLUMNS)
    days = [row[0] for row in conn.execute("SELECT DISTINCT as_of FROM snapshots ORDER BY as_of")]
    for day in days:
        rows = conn.execute(f"SELECT {', '.join(names)} FROM snapshots WHERE as_of = ? ORDER BY rowid", (day,)).fetchall()
        columns = {name: pd.Series([row[i] for row in rows], dtype=object) for i, name in enumerate(names)}
        conn.execute("INSERT INTO snapshot_tables VALUES (?, ?, ?, ?)", (day, len(rows), _snapshot_blob(columns, len(rows)), now))
    conn.execute("DROP TABLE snapshots")


def _stored_alerts(conn: sqlite3.Connection) -> None:
    """Migration 5: a snapshot may carry its students' alert texts and what they were worked out from;
    a counter that every change to the recorded callbacks moves on tells when they are out of date."""
    for statement in (
        "ALTER TABLE snapshot_tables ADD COLUMN alerts BLOB",
        "ALTER TABLE snapshot_tables ADD COLUMN alerts_basis TEXT",
        "CREATE TABLE revision (id INTEGER PRIMARY KEY CHECK (id = 1), callbacks INTEGER NOT NULL)",
        "INSERT INTO revision VALUES (1, 0)",
        *(
            f"CREATE TRIGGER callbacks_{event.lower()} AFTER {event} ON callbacks"
            " BEGIN UPDATE revision SET callbacks = callbacks + 1; END"
            for event in ("INSERT", "UPDATE", "DELETE")
        ),
    ):
        conn.execute(statement)


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
    # 5: each snapshot's alert texts, worked out while classify writes its workbook (for the call sheets)
    _stored_alerts,
)

# stored column → classified frame column, in the stored order.
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
SNAPSHOT_NUMBERS = ("p", "f", "k", "expected_f", "satisfaction", "fast_forward")
SNAPSHOT_DATES = ("last_active", "last_callback", "next_followup", "course_end")  # stored as dates (date32)
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
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()


def snapshot_schema():
    """The Arrow schema of a stored snapshot: text, float64 numbers and date32 dates, so that a
    column blank for every student keeps its type."""
    import pyarrow as pa

    def kind(name: str):
        if name in SNAPSHOT_DATES:
            return pa.date32()
        return pa.float64() if name in SNAPSHOT_NUMBERS else pa.string()

    return pa.schema([(name, kind(name)) for name in SNAPSHOT_COLUMNS])


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
    if pa.types.is_floating(kind):
        if series.dtype != "float64":
            series = pd.to_numeric(series, errors="coerce").astype("float64")
        return pa.array(series, type=kind, from_pandas=True)
    try:
        return pa.array(series, type=kind, from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # numbers in a text column: a phone read as a number
        return pa.array(series.astype("str"), type=kind, from_pandas=True)


def _snapshot_blob(columns: dict, rows: int) -> bytes:
    """Parquet (zstd) of `columns` (stored name → Series) in `snapshot_schema()`; missing ones blank."""
    import pyarrow as pa

    schema = snapshot_schema()
    arrays = [
        _arrow_column(columns[field.name], field.type) if field.name in columns else pa.nulls(rows, field.type)
        for field in schema
    ]
    return _parquet(pa.Table.from_arrays(arrays, schema=schema))


def _parquet(table) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _read_blob(data: bytes, columns: list[str] | None = None, filters=None):
    """A stored snapshot as an Arrow table; the declared schema fills columns an older blob lacks."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = snapshot_schema()
    if filters is not None:  # one student's rows (pfk history): the dataset reader filters as it reads
        return pq.read_table(pa.BufferReader(data), schema=schema, columns=columns, filters=filters)
    # The plain file reader: pq.read_table would first import pyarrow.dataset, a third of a second.
    stored = pq.ParquetFile(pa.BufferReader(data))
    present = set(stored.schema_arrow.names)
    wanted = columns or schema.names
    table = stored.read(columns=[name for name in wanted if name in present])
    rows = stored.metadata.num_rows
    arrays = [
        table.column(name).cast(schema.field(name).type) if name in present else pa.nulls(rows, schema.field(name).type)
        for name in wanted
    ]
    return pa.Table.from_arrays(arrays, schema=pa.schema([schema.field(name) for name in wanted]))


@dataclass(frozen=True)
class EncodedSnapshot:
    """One classification, encoded for storage (see `encode_snapshot`)."""

    data: bytes
    students: int
    alerts: bytes | None = None  # each student's alert text, in the snapshot's row order
    alerts_basis: str | None = None  # what they were worked out from (`alerts_basis`)


def encode_snapshot(frame, alerts=None, basis: str | None = None) -> EncodedSnapshot:
    """The classification as stored: `frame` has the classified column names (`P`, `F`, `K`, …); a
    missing column is stored blank. `alerts` (text per row of `frame`, blank for none) is kept with it
    when given, with the `basis` it was worked out from. Needs no connection, so it can run while the
    workbook is written."""
    columns = {name: frame[column] for name, column in SNAPSHOT_COLUMNS.items() if column in frame}
    stored_alerts = None
    if alerts is not None:
        import pyarrow as pa

        stored_alerts = _parquet(pa.table({"alerts": pa.array(alerts, pa.string(), from_pandas=True)}))
    return EncodedSnapshot(_snapshot_blob(columns, len(frame)), len(frame), stored_alerts, basis if alerts is not None else None)


def save_snapshot(conn: sqlite3.Connection, as_of: dt.date, snapshot, config=None) -> None:
    """Store one classification (a frame, or one already encoded), replacing any earlier one of the
    same as-of date, in one transaction. Its alert texts are kept only if nothing they depend on has
    changed since they were worked out (checked under the write lock, with `config`)."""
    if not isinstance(snapshot, EncodedSnapshot):
        snapshot = encode_snapshot(snapshot)  # encoded before the transaction: the lock is held briefly
    saved_at = dt.datetime.now().isoformat(timespec="seconds")
    with transaction(conn):
        current = snapshot.alerts is not None and config is not None and alerts_basis(conn, as_of, config) == snapshot.alerts_basis
        conn.execute(
            "INSERT OR REPLACE INTO snapshot_tables (as_of, students, data, saved_at, alerts, alerts_basis) VALUES (?, ?, ?, ?, ?, ?)",
            (as_of.isoformat(), snapshot.students, snapshot.data, saved_at,
             snapshot.alerts if current else None, snapshot.alerts_basis if current else None),
        )


def alerts_basis(conn: sqlite3.Connection, as_of: dt.date, config) -> str:
    """Everything a student's alerts on `as_of` depend on besides the snapshot itself: the settings,
    the recorded callbacks (by their change counter) and the earlier snapshots (their low ratings)."""
    import hashlib

    (revision,) = conn.execute("SELECT callbacks FROM revision").fetchone()
    earlier = conn.execute(
        "SELECT group_concat(as_of || '@' || saved_at || '#' || students, ',') FROM"
        " (SELECT as_of, saved_at, students FROM snapshot_tables WHERE as_of < ? ORDER BY as_of)",
        (as_of.isoformat(),),
    ).fetchone()[0]
    settings = hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:16]
    return f"{as_of.isoformat()}|callbacks {revision}|earlier {earlier or '-'}|settings {settings}"


def stored_alerts(conn: sqlite3.Connection, as_of: dt.date, config):
    """The alert texts stored with the snapshot of `as_of` (in its row order), or None when there are
    none or anything they depend on has changed since (then they must be worked out again)."""
    row = conn.execute("SELECT alerts, alerts_basis FROM snapshot_tables WHERE as_of = ?", (as_of.isoformat(),)).fetchone()
    if row is None or row[0] is None or row[1] != alerts_basis(conn, as_of, config):
        return None
    import pyarrow as pa
    import pyarrow.parquet as pq

    return pq.ParquetFile(pa.BufferReader(row[0])).read().column("alerts").to_pandas()


def snapshot_dates(conn: sqlite3.Connection) -> list[dt.date]:
    rows = conn.execute("SELECT as_of FROM snapshot_tables ORDER BY as_of").fetchall()
    return [dt.date.fromisoformat(r[0]) for r in rows]


def load_snapshot(conn: sqlite3.Connection, as_of: dt.date):
    """The snapshot of `as_of`: `as_of` (ISO text), then the stored columns, dates as datetime64[ns].
    No snapshot of that date: an empty frame with those columns."""
    row = conn.execute("SELECT data FROM snapshot_tables WHERE as_of = ?", (as_of.isoformat(),)).fetchone()
    table = _read_blob(row[0]) if row else snapshot_schema().empty_table()
    frame = table.to_pandas(date_as_object=False)
    for name in SNAPSHOT_DATES:
        frame[name] = frame[name].astype("datetime64[ns]")
    frame.insert(0, "as_of", as_of.isoformat())
    return frame


def ratings_before(conn: sqlite3.Connection, as_of: dt.date):
    """Per student, the newest non-blank satisfaction stored in a snapshot strictly before `as_of`,
    with that snapshot's date: columns student_id, satisfaction, as_of (ISO text)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = []
    seen = pa.chunked_array([], pa.string())
    rows = conn.execute("SELECT as_of, data FROM snapshot_tables WHERE as_of < ? ORDER BY as_of DESC", (as_of.isoformat(),))
    # Every snapshot is read: a student missing from a newer one keeps the rating of an older one.
    for day, data in rows:
        table = _read_blob(data, columns=["student_id", "satisfaction"])
        keep = pc.and_(pc.is_valid(table["satisfaction"]), pc.invert(pc.is_in(table["student_id"], value_set=seen)))
        table = table.filter(keep)
        if table.num_rows:
            found.append(table.append_column("as_of", pa.array([day] * table.num_rows, pa.string())))
            seen = pa.chunked_array([*seen.chunks, *table["student_id"].chunks], pa.string())
    schema = pa.schema([("student_id", pa.string()), ("satisfaction", pa.float64()), ("as_of", pa.string())])
    frame = pa.concat_tables(found).to_pandas() if found else schema.empty_table().to_pandas()
    return frame.drop_duplicates("student_id", ignore_index=True)


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
    snapshots = []
    fields = ["teacher", "p", "f", "k", "segment"]
    for day, data in conn.execute("SELECT as_of, data FROM snapshot_tables ORDER BY as_of DESC"):
        table = _read_blob(data, columns=fields, filters=[("student_id", "=", student_id)])
        snapshots += [(day, *(row[name] for name in fields)) for row in table.to_pylist()]
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
