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
from pfkcli.config import Config

NOV_9, NOV_16, NOV_23 = dt.date(2026, 11, 9), dt.date(2026, 11, 16), dt.date(2026, 11, 23)
STORED = ["as_of", *history.SNAPSHOT_COLUMNS]


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
            "P_source": ["（11-20回访）", "", ""],  # not a stored column
        }
    )
    history.save_snapshot(conn, NOV_23, frame)

    snapshot = history.load_snapshot(conn, NOV_23)
    assert list(snapshot.columns) == STORED
    assert snapshot["as_of"].tolist() == ["2026-11-23"] * 3
    assert snapshot["student_id"].tolist() == ["S1", "S2", "S3"]
    assert snapshot["name"].tolist()[0::2] == ["王一", "=1+2"] and pd.isna(snapshot.loc[1, "name"])
    np.testing.assert_array_equal(snapshot[["p", "f", "k"]].to_numpy(), [[5.0, 1.5103, 3.0], [np.nan, 0.0, 4.0], [2.0, np.nan, 5.0]])
    for name in history.SNAPSHOT_DATES:
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
    assert snapshot["last_active"].dtype == "datetime64[ns]" and snapshot["p"].dtype == "float64"


V3_COLUMNS = ["as_of", *history.SNAPSHOT_COLUMNS]
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
        assert conn.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION == 5
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "snapshots" not in tables and "snapshot_tables" in tables
        assert history.snapshot_dates(conn) == [NOV_16, NOV_23]
        assert conn.execute("SELECT students FROM snapshot_tables ORDER BY as_of").fetchall() == [(2,), (1,)]
        for day in (NOV_16, NOV_23):
            snapshot = history.load_snapshot(conn, day)
            assert list(snapshot.columns) == STORED
            stored = [row for row in V3_ROWS if row[0] == day.isoformat()]
            for name in STORED:
                values = [row[V3_COLUMNS.index(name)] for row in stored]
                if name in history.SNAPSHOT_DATES:
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

    callbacks, snapshots = history.student_history(conn, "S2")
    assert callbacks == []
    assert snapshots == [
        ("2026-11-23", "李老师", 4.0, 1.0, 2.0, "待回访"),
        ("2026-11-09", "张老师", 4.0, 1.0, 2.0, "待回访"),
    ]
    assert [row[0] for row in history.student_history(conn, "S1")[1]] == ["2026-11-23", "2026-11-16", "2026-11-09"]
    assert history.student_history(conn, "S9") == ([], [])


def test_ratings_before_take_each_students_newest_earlier_rating(conn):
    history.save_snapshot(conn, NOV_9, classified(["S1", "S2", "S3"], ["待回访"] * 3, [2.0, 1.0, 5.0]))
    history.save_snapshot(conn, NOV_16, classified(["S1", "S2"], ["待回访"] * 2, [np.nan, 4.0]))  # S3 left
    history.save_snapshot(conn, NOV_23, classified(["S1", "S2", "S3"], ["待回访"] * 3, [1.0, 1.0, 1.0]))

    ratings = history.ratings_before(conn, NOV_23).sort_values("student_id")
    assert list(ratings.columns) == ["student_id", "satisfaction", "as_of"]
    assert ratings.values.tolist() == [["S1", 2.0, "2026-11-09"], ["S2", 4.0, "2026-11-16"], ["S3", 5.0, "2026-11-09"]]
    assert history.ratings_before(conn, NOV_9).empty  # strictly before


def test_importing_the_store_does_not_import_pandas_or_pyarrow():
    code = "import sys, pfkcli.history; print(sorted(m for m in ('pandas', 'pyarrow') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_classify_stores_the_alerts_the_call_sheets_would_work_out_and_drops_them_once_out_of_date(tmp_path):
    """The alert texts kept with a snapshot are exactly what the call sheet would work out from the
    snapshot; a recorded callback or a changed setting makes them out of date, and they are not used."""
    import shutil

    from pfkcli.alerts import alert_texts
    from pfkcli.callsheet import _students, due_students
    from pfkcli.classify import classify
    from pfkcli.workspace import find_workspace, init_workspace

    from .conftest import SAMPLES

    init_workspace(tmp_path)
    roster = shutil.copy(SAMPLES / "roster.xlsx", tmp_path / "roster.xlsx")
    workspace = find_workspace(tmp_path)
    classify(workspace, roster, NOV_23)

    frame, _, _, _, stored, _ = _students(workspace, NOV_23, None, None)
    with history.opened(workspace.history_path) as conn:
        fresh = alert_texts(frame, workspace.config, NOV_23, conn)
    assert stored is not None and stored.notna().sum() > 0
    assert stored.fillna("").tolist() == fresh.fillna("").tolist()
    assert due_students(frame, workspace, NOV_23, stored)["why_now"].tolist() == due_students(frame, workspace, NOV_23)["why_now"].tolist()
    # A later day's sheet works its alerts out again (days left to the course end have moved on).
    assert _students(workspace, dt.date(2026, 11, 24), None, None)[4] is None

    with history.opened(workspace.history_path) as conn:
        assert history.stored_alerts(conn, NOV_23, Config(**{"alerts": {"inactive_days": 3}})) is None
        sid = frame["student_id"].iloc[0]
        history.import_callbacks(conn, "sheet", "hash", "张老师-2026-11-23.xlsx", [
            {"teacher": "张老师", "student_id": sid, "called_on": NOV_16, "p": 4, "k": 4, "note": "", "follow_up": dt.date(2026, 11, 20)},
        ])
        assert history.stored_alerts(conn, NOV_23, workspace.config) is None
    due = due_students(frame, workspace, NOV_23)  # worked out again: the follow-up now shows
    assert "跟进逾期：约定 2026-11-20 跟进，已过 3 天" in due.set_index("student_id").at[sid, "why_now"]


def test_a_version_4_history_gains_the_alert_columns(tmp_path):
    path = v3_history(tmp_path / "history.sqlite")
    conn = history.connect(path)
    try:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(snapshot_tables)")]
        assert columns[-2:] == ["alerts", "alerts_basis"]
        assert conn.execute("SELECT count(*) FROM snapshot_tables WHERE alerts IS NULL").fetchone()[0] == 2
        assert history.stored_alerts(conn, NOV_23, Config()) is None
    finally:
        conn.close()
