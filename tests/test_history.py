"""The snapshot store on real SQLite files: one Parquet blob per as-of date, round trips, replacing,
the upgrade of row-per-student files, one student's history and the earlier ratings."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from pfkcli import history

NOV_9, NOV_16, NOV_23 = dt.date(2026, 11, 9), dt.date(2026, 11, 16), dt.date(2026, 11, 23)
STORED = list(history.SNAPSHOT_COLUMNS)
DATES = [name for name, kind in history.SNAPSHOT_COLUMNS.items() if kind == "date"]


@pytest.fixture
def conn(tmp_path):
    conn = history.connect(tmp_path / ".pfk" / "history.sqlite")
    yield conn
    conn.close()


def classified(ids, segments, satisfaction=None, teacher="张老师") -> pd.DataFrame:
    """A frame shaped like a classification's: frame column names (P, F, K), only a few columns."""
    frame = pd.DataFrame({"student_id": ids, "teacher": teacher, "segment": segments, "P": 4.0, "F": 1.0, "K": 2.0})
    if satisfaction is not None:
        frame["satisfaction"] = satisfaction
    return frame


def test_a_snapshot_comes_back_with_its_text_numbers_blanks_and_dates(conn):
    frame = pd.DataFrame(
        {
            "student_id": ["S1", "S2", "S3"],
            "name": ["王一", None, "=1+2"],
            "teacher": ["张老师", "张老师", "李老师"],
            "P": [5.0, np.nan, 2.0],
            "F": [1.5103, 0.0, np.nan],
            "K": [3, 4, 5],  # integers are stored as numbers
            "segment": ["P_H-F_H-K_L", "待回访", "待回访"],
            "last_active": pd.to_datetime(["2026-11-22 18:30", None, "2026-11-01 00:00"]),
            "course_end": pd.to_datetime(["2026-12-17", "2026-12-17", "2026-12-17"]),
            "phone": [None, None, None],  # blank for everyone: still text
            "P_on": pd.to_datetime(["2026-11-20", None, None]),  # not a stored column
        }
    )
    history.save_snapshot(conn, NOV_23, frame)

    snapshot = history.load_snapshot(conn, NOV_23)
    assert list(snapshot.columns) == STORED
    assert snapshot["student_id"].tolist() == ["S1", "S2", "S3"]
    assert snapshot["name"].tolist()[0::2] == ["王一", "=1+2"] and pd.isna(snapshot.loc[1, "name"])
    np.testing.assert_array_equal(snapshot[["P", "F", "K"]].to_numpy(), [[5.0, 1.5103, 3.0], [np.nan, 0.0, 4.0], [2.0, np.nan, 5.0]])
    for name in DATES:
        assert snapshot[name].dtype == "datetime64[ns]"
    # Stored as dates: the time of day is dropped, a blank stays blank.
    assert snapshot["last_active"].tolist()[0::2] == [pd.Timestamp("2026-11-22"), pd.Timestamp("2026-11-01")]
    assert pd.isna(snapshot.loc[1, "last_active"])
    assert snapshot["next_followup"].isna().all()  # not in the frame
    for name in ("satisfaction", "fast_forward", "expected_f"):
        assert snapshot[name].dtype == "float64" and snapshot[name].isna().all()
    for name in ("phone", "why", "course"):
        assert pd.api.types.is_string_dtype(snapshot[name]) and snapshot[name].isna().all()


def test_numbers_in_a_text_column_are_stored_as_text(conn):
    frame = classified(["S1", "S2"], ["待回访", "待回访"])
    frame["phone"] = pd.Series([13800000001, None], dtype=object)
    history.save_snapshot(conn, NOV_23, frame)
    phones = history.load_snapshot(conn, NOV_23)["phone"]
    assert phones[0] == "13800000001" and pd.isna(phones[1])


def test_saving_the_same_date_again_replaces_that_snapshot(conn):
    history.save_snapshot(conn, NOV_16, classified(["S1"], ["待回访"]))
    history.save_snapshot(conn, NOV_23, classified(["S1", "S2", "S3"], ["待回访"] * 3))
    history.save_snapshot(conn, NOV_23, classified(["S4", "S5"], ["P_H-F_H-K_H"] * 2))

    assert history.snapshot_dates(conn) == [NOV_16, NOV_23]
    assert history.load_snapshot(conn, NOV_23)["student_id"].tolist() == ["S4", "S5"]
    assert conn.execute("SELECT as_of, students FROM snapshot_tables ORDER BY as_of").fetchall() == [
        ("2026-11-16", 1),
        ("2026-11-23", 2),
    ]


def test_a_date_without_a_snapshot_loads_as_an_empty_frame(conn):
    snapshot = history.load_snapshot(conn, NOV_23)
    assert list(snapshot.columns) == STORED and len(snapshot) == 0
    assert snapshot["last_active"].dtype == "datetime64[ns]" and snapshot["P"].dtype == "float64"


V3_COLUMNS = [
    "as_of", "student_id", "name", "teacher", "course", "p", "f", "k", "expected_f", "segment", "last_active",
    "satisfaction", "phone", "why", "last_callback", "next_followup", "course_end", "fast_forward",
]
# What each version-3 column is called now.
NOW = {"p": "P", "f": "F", "k": "K"}
V3_ROWS = [
    # as_of, student_id, name, teacher, course, p, f, k, expected_f, segment, last_active, satisfaction,
    # phone, why, last_callback, next_followup, course_end, fast_forward
    ("2026-11-16", "S1", "王一", "张老师", "数据运营官", 5.0, 1.2, 2.0, 1.0, "P_H-F_H-K_L", "2026-11-15", 2.0,
     "13800000001", "P=5（≥4）", "2026-11-10", None, "2026-12-17", 0.25),
    ("2026-11-16", "S2", None, "李老师", None, None, 0.4, None, 1.0, "待回访", None, None,
     None, None, None, "2026-11-20", None, None),
    ("2026-11-23", "S1", "王一", "张老师", "数据运营官", 4.0, 1.5, 3.0, 1.3, "P_H-F_H-K_L", "2026-11-22", 4.0,
     "13800000001", "P=4（≥4）", "2026-11-20", None, "2026-12-17", None),
]


def v3_history(path):
    """A file as pfk wrote it at schema version 3: one row per student in `snapshots`."""
    old = sqlite3.connect(path)
    for script in history.MIGRATIONS[:3]:
        old.executescript(script)
    old.execute("PRAGMA user_version = 3")
    old.executemany(f"INSERT INTO snapshots ({', '.join(V3_COLUMNS)}) VALUES ({', '.join('?' * len(V3_COLUMNS))})", V3_ROWS)
    old.commit()
    old.close()
    return path


def test_a_version_3_history_is_upgraded_with_its_snapshots_intact(tmp_path):
    path = v3_history(tmp_path / "history.sqlite")
    conn = history.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION == 13
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "snapshots" not in tables and "snapshot_tables" in tables
        assert {"holdout_draws", "holdout_seed"} <= tables  # 9: the holdout
        assert "solution" in [row[1] for row in conn.execute("PRAGMA table_info(callbacks)")]
        assert history.snapshot_dates(conn) == [NOV_16, NOV_23]
        assert conn.execute("SELECT students FROM snapshot_tables ORDER BY as_of").fetchall() == [(2,), (1,)]
        for day in (NOV_16, NOV_23):
            snapshot = history.load_snapshot(conn, day)
            assert list(snapshot.columns) == STORED
            stored = [row for row in V3_ROWS if row[0] == day.isoformat()]
            for old in V3_COLUMNS[1:]:
                name = NOW.get(old, old)
                values = [row[V3_COLUMNS.index(old)] for row in stored]
                if name in DATES:
                    values = [pd.Timestamp(v) if v else pd.NaT for v in values]
                got = snapshot[name].tolist()
                assert [None if pd.isna(v) else v for v in got] == [None if v is None or pd.isna(v) else v for v in values], name
        assert history.student_history(conn, "S2")[1] == [("2026-11-16", "李老师", None, 0.4, None, "待回访")]
    finally:
        conn.close()


def test_student_history_lists_that_students_snapshots_newest_first(conn):
    # Saved out of order; S2 is missing from the middle one.
    history.save_snapshot(conn, NOV_23, classified(["S1", "S2"], ["P_H-F_H-K_H", "待回访"], teacher="李老师"))
    history.save_snapshot(conn, NOV_9, classified(["S2", "S1"], ["待回访", "待回访"]))
    history.save_snapshot(conn, NOV_16, classified(["S1"], ["P_L-F_H-K_L"]))

    callbacks, snapshots, touches = history.student_history(conn, "S2")
    assert callbacks == [] and touches == []
    assert snapshots == [
        ("2026-11-23", "李老师", 4.0, 1.0, 2.0, "待回访"),
        ("2026-11-09", "张老师", 4.0, 1.0, 2.0, "待回访"),
    ]
    assert [row[0] for row in history.student_history(conn, "S1")[1]] == ["2026-11-23", "2026-11-16", "2026-11-09"]
    assert history.student_history(conn, "S9") == ([], [], [])


def test_ratings_before_take_each_students_newest_earlier_rating(conn):
    history.save_snapshot(conn, NOV_9, classified(["S1", "S2", "S3"], ["待回访"] * 3, [2.0, 1.0, 5.0]))
    history.save_snapshot(conn, NOV_16, classified(["S1", "S2"], ["待回访"] * 2, [np.nan, 4.0]))  # S3 left
    history.save_snapshot(conn, NOV_23, classified(["S1", "S2", "S3"], ["待回访"] * 3, [1.0, 1.0, 1.0]))

    ratings = history.ratings_before(conn, NOV_23).sort_values("student_id")
    assert list(ratings.columns) == ["student_id", "satisfaction", "rated_on"]
    nov = [pd.Timestamp(day) for day in (NOV_9, NOV_16, NOV_9)]
    assert ratings.values.tolist() == [["S1", 2.0, nov[0]], ["S2", 4.0, nov[1]], ["S3", 5.0, nov[2]]]
    assert history.ratings_before(conn, NOV_9).empty  # strictly before


def test_importing_the_store_does_not_import_pandas_or_pyarrow():
    code = "import sys, pfkcli.history; print(sorted(m for m in ('pandas', 'pyarrow') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def v5_history(path):
    """A file as the previous pfk left it (schema 5): blobs with p, f, k, alert texts kept beside
    them, a change counter and its triggers."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    old = sqlite3.connect(path)
    for script in history.MIGRATIONS[:3]:
        old.executescript(script)
    old.executescript(
        "DROP TABLE snapshots;"
        "CREATE TABLE snapshot_tables (as_of TEXT PRIMARY KEY, students INTEGER NOT NULL, data BLOB NOT NULL, saved_at TEXT NOT NULL);"
        "ALTER TABLE snapshot_tables ADD COLUMN alerts BLOB; ALTER TABLE snapshot_tables ADD COLUMN alerts_basis TEXT;"
        "CREATE TABLE revision (id INTEGER PRIMARY KEY CHECK (id = 1), callbacks INTEGER NOT NULL); INSERT INTO revision VALUES (1, 0);"
        "CREATE TRIGGER callbacks_insert AFTER INSERT ON callbacks BEGIN UPDATE revision SET callbacks = callbacks + 1; END;"
    )
    sink = pa.BufferOutputStream()
    table = pa.table({"student_id": ["S1", "S2"], "p": [5.0, None], "f": [1.2, 0.4], "k": [2.0, None], "segment": ["P_L-F_L-K_S", "待回访"]})
    pq.write_table(table, sink)
    old.execute("INSERT INTO snapshot_tables VALUES ('2026-11-16', 2, ?, '2026-11-16T10:00:00', x'00', 'basis')", (sink.getvalue().to_pybytes(),))
    old.execute("PRAGMA user_version = 5")
    old.commit()
    old.close()
    return path


def test_a_version_5_history_drops_its_stored_alerts_and_names_the_scores_as_classify_does(tmp_path):
    conn = history.connect(v5_history(tmp_path / "history.sqlite"))
    try:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(snapshot_tables)")]
        assert columns == ["as_of", "students", "data", "saved_at"]
        assert conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' OR name = 'revision'").fetchall() == []
        snapshot = history.load_snapshot(conn, NOV_16)
        assert snapshot[["student_id", "P", "F", "K", "segment"]].fillna(-1).values.tolist() == [
            ["S1", 5.0, 1.2, 2.0, "P_L-F_L-K_S"], ["S2", -1, 0.4, -1, "待回访"],
        ]
        # The scores in force then stand in for the roster's own, which that version did not keep.
        assert snapshot["p_score"].fillna(-1).tolist() == [5.0, -1]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()


def test_a_first_version_history_keeps_its_snapshot_with_a_blank_rating(tmp_path):
    db = tmp_path / "old.sqlite"
    old = sqlite3.connect(db)
    old.executescript(history.MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    old.execute("INSERT INTO snapshots (as_of, student_id, segment) VALUES ('2026-11-16', 'S1', '待回访')")
    old.commit()
    old.close()

    conn = history.connect(db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION
        assert history.snapshot_dates(conn) == [dt.date(2026, 11, 16)]
        snapshot = history.load_snapshot(conn, dt.date(2026, 11, 16))
        assert snapshot[["student_id", "segment"]].values.tolist() == [["S1", "待回访"]]
        assert snapshot["satisfaction"].isna().all() and snapshot["satisfaction"].dtype == "float64"
    finally:
        conn.close()




def roster_frame(**columns):
    from pfkcli.frames import complete

    return complete(pd.DataFrame({"student_id": ["S1"], **{k: [v] for k, v in columns.items()}}))


def record(conn, *calls):
    """Store calls as `pfk record` would: (called_on, follow_up, p, k, outcome)."""
    rows = [
        {"teacher": "张老师", "student_id": "S1", "called_on": on, "p": p, "k": k, "note": "记", "follow_up": follow,
         "outcome": outcome, "reached": outcome in ("已接通", "微信沟通")}
        for on, follow, p, k, outcome in calls
    ]
    history.import_callbacks(conn, f"sheet-{rows[0]['called_on']}", str(rows), "x.xlsx", rows)


def test_the_newest_callback_decides_the_follow_up_recorded_or_roster(conn):
    # Recorded on 10-20 agreeing 10-25; then the roster's own callback on 11-01 agreeing 11-30.
    record(conn, (dt.date(2026, 10, 20), dt.date(2026, 10, 25), 4, 4, "已接通"))
    frame = roster_frame(last_callback=pd.Timestamp("2026-11-01"), next_followup=pd.Timestamp("2026-11-30"))
    facts = history.newest_callbacks(conn, frame, NOV_23).iloc[0]
    assert (facts["last_called"], facts["follow_up"]) == (pd.Timestamp("2026-11-01"), pd.Timestamp("2026-11-30"))


def test_a_follow_up_before_the_call_it_belongs_to_was_settled_by_it(conn):
    # The roster: last callback 11-15, next follow-up 11-10 (a stale column): nothing is overdue.
    frame = roster_frame(last_callback=pd.Timestamp("2026-11-15"), next_followup=pd.Timestamp("2026-11-10"))
    assert pd.isna(history.newest_callbacks(conn, frame, NOV_23).iloc[0]["follow_up"])


def test_scores_come_with_their_date_and_unreached_calls_do_not_count(conn):
    record(conn, (dt.date(2026, 11, 10), None, 2, 3, "已接通"))
    record(conn, (dt.date(2026, 11, 18), None, None, None, "未接通"))
    record(conn, (dt.date(2026, 11, 20), None, None, None, "拒接"))
    frame = roster_frame(p_score=5.0, k_score=5.0, last_callback=pd.Timestamp("2026-10-01"))
    facts = history.newest_callbacks(conn, frame, NOV_23).iloc[0]
    assert (facts["P"], facts["P_on"], facts["K"], facts["K_on"]) == (2.0, pd.Timestamp("2026-11-10"), 3.0, pd.Timestamp("2026-11-10"))
    assert facts["last_called"] == pd.Timestamp("2026-11-10")  # the newest reached call
    assert facts["failed_in_a_row"] == 2
    # An undated roster score counts as older than a recorded one; a dated newer one wins.
    newer = roster_frame(p_score=5.0, k_score=5.0, last_callback=pd.Timestamp("2026-11-21"))
    assert history.newest_callbacks(conn, newer, NOV_23).iloc[0]["P"] == 5.0


def test_a_snapshot_is_read_for_the_columns_asked(tmp_path):
    conn = history.connect(v3_history(tmp_path / "history.sqlite"))
    try:
        frame = history.load_snapshot(conn, NOV_16, ["student_id", "segment", "last_active"])
        assert list(frame.columns) == ["student_id", "segment", "last_active"]
        assert frame["segment"].tolist() == ["P_H-F_H-K_L", "待回访"] and str(frame["last_active"].dtype) == "datetime64[ns]"
        assert list(history.load_snapshot(conn, dt.date(2020, 1, 1), ["student_id"]).columns) == ["student_id"]
    finally:
        conn.close()
