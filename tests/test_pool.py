"""Who holds whom and who is in the public pool, on a real history store: the moves, the calls not
reached, the learning gap, the course end."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pfkcli import history
from pfkcli.config import Config
from pfkcli.frames import complete
from pfkcli.pool import place_students, pool_why

NOV_23 = dt.date(2026, 11, 23)


@pytest.fixture
def conn(tmp_path):
    conn = history.connect(tmp_path / ".pfk" / "history.sqlite")
    yield conn
    conn.close()


def students(*rows: dict):
    """A classified-looking frame: every roster field, studying known, a segment."""
    frame = pd.DataFrame([{"name": r["student_id"], "teacher": "张老师", "segment": "待回访", **r} for r in rows])
    for column in ("last_active", "course_start", "course_end", "enrolled_on"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    return complete(frame).assign(activity_known="last_active" in frame)


def calls(conn, sheet: str, day: str, *rows: tuple[str, bool]):
    """Calls made on `day` from one sheet: (student ID, reached)."""
    history.import_callbacks(conn, sheet, sheet, f"{sheet}.xlsx", [
        {"teacher": "张老师", "student_id": sid, "called_on": dt.date.fromisoformat(day), "p": None, "k": None,
         "note": None, "follow_up": None, "outcome": "已接通" if reached else "未接通", "reached": reached}
        for sid, reached in rows
    ])


def move(conn, sid: str, kind: str, teacher: str | None, roster_teacher: str | None, day: str, reason: str = "") -> None:
    history.record_moves(conn, [{"student_id": sid, "kind": kind, "from_teacher": None, "teacher": teacher,
                                 "roster_teacher": roster_teacher, "on_day": dt.date.fromisoformat(day), "reason": reason}])


def placed(conn, frame, day=NOV_23, config=None):
    return place_students(conn, frame, config or Config(), day, history.newest_callbacks(conn, frame, day)).set_index("student_id")


def test_three_calls_not_reached_in_a_row_put_a_student_in_the_pool(conn):
    frame = students({"student_id": "S1"}, {"student_id": "S2"}, {"student_id": "S3"})
    calls(conn, "a", "2026-11-09", ("S1", False), ("S2", False), ("S3", False))
    calls(conn, "b", "2026-11-16", ("S1", False), ("S2", False), ("S3", True))
    calls(conn, "c", "2026-11-20", ("S1", False), ("S3", False))
    out = placed(conn, frame)
    assert out.loc["S1", "pool_on"] == pd.Timestamp("2026-11-20")  # the day of the third
    assert pd.isna(out.loc["S1", "teacher"]) and out.loc["S1", "owner"] == "张老师"
    assert pd.isna(out.loc["S2", "pool_on"]) and out.loc["S2", "teacher"] == "张老师"  # two only
    assert pd.isna(out.loc["S3", "pool_on"])  # reached in between: one since
    assert pool_why(out.loc[["S1"]].reset_index(), Config(), NOV_23) == ["连续 3 次没联系上（最近一次 2026-11-20）"]
    assert pd.isna(placed(conn, frame, dt.date(2026, 11, 19)).loc["S1", "pool_on"])  # not yet on the 19th


def test_a_claim_takes_a_student_out_and_only_later_calls_count_again(conn):
    frame = students({"student_id": "S1"})
    for sheet, day in (("a", "2026-11-02"), ("b", "2026-11-09"), ("c", "2026-11-16")):
        calls(conn, sheet, day, ("S1", False))
    move(conn, "S1", "claim", "李老师", "张老师", "2026-11-16")
    out = placed(conn, frame)
    assert out.loc["S1", "teacher"] == "李老师" and pd.isna(out.loc["S1", "pool_on"])
    for sheet, day in (("d", "2026-11-17"), ("e", "2026-11-20")):
        calls(conn, sheet, day, ("S1", False))
    assert placed(conn, frame).loc["S1", "teacher"] == "李老师"  # two since the claim
    calls(conn, "f", "2026-11-23", ("S1", False))
    again = placed(conn, frame)
    assert again.loc["S1", "pool_on"] == pd.Timestamp("2026-11-23") and pd.isna(again.loc["S1", "teacher"])


def test_a_student_in_the_course_never_enters_the_pool_for_not_learning(conn):
    """Issue 27: the pool is for students nobody can reach. A month or two without learning while the
    course runs (or never having started) makes a student the plan's most urgent call, never nobody's."""
    frame = students(
        {"student_id": "S1", "last_active": "2026-10-23", "course_end": "2026-12-17"},  # 31 days
        {"student_id": "S2", "last_active": "2026-09-01", "course_end": "2026-12-17"},  # 83 days
        {"student_id": "S3", "last_active": None, "course_start": "2026-10-20", "course_end": "2026-12-17"},  # never, 34 days
        {"student_id": "S4", "last_active": "2026-10-01", "course_end": "2026-11-20"},  # ended 3 days ago
    )
    calls(conn, "a", "2026-11-16", ("S1", True))
    assert placed(conn, frame)["pool_on"].isna().all()
    assert placed(conn, frame)["teacher"].tolist() == ["张老师"] * 4


def test_a_promise_keeps_a_student_out_of_the_pool(conn):
    """An agreed follow-up with a student not reached three times since, and a finished student's open
    complaint: promises, kept by the teacher who made them."""
    frame = students(
        {"student_id": "S1"},
        {"student_id": "S2", "course_end": "2026-10-01", "renewal": "否"},  # finished 53 days ago, not renewed
        {"student_id": "S3", "course_end": "2026-10-01", "renewal": "否"},
    )
    history.import_callbacks(conn, "x", "x", "x.xlsx", [
        {"teacher": "张老师", "student_id": "S1", "called_on": dt.date(2026, 11, 2), "p": 3.0, "k": 3.0, "note": "下周再聊",
         "follow_up": dt.date(2026, 11, 20), "outcome": "已接通", "reached": True},
        {"teacher": "张老师", "student_id": "S2", "called_on": dt.date(2026, 11, 20), "p": None, "k": None, "note": "要退费",
         "follow_up": None, "outcome": "已接通", "reached": True, "problem_type": "投诉", "resolved": 0},
    ])
    for sheet, day in (("a", "2026-11-09"), ("b", "2026-11-16"), ("c", "2026-11-21")):
        calls(conn, sheet, day, ("S1", False))
    out = placed(conn, frame)
    assert pd.isna(out.loc["S1", "pool_on"]) and out.loc["S1", "teacher"] == "张老师"  # unreachable, but promised
    assert pd.isna(out.loc["S2", "pool_on"]) and out.loc["S2", "teacher"] == "张老师"  # finished, complaint open
    assert out.loc["S3", "pool_on"] == pd.Timestamp("2026-10-16")  # finished, nothing promised


def test_a_roster_without_a_last_active_column_puts_no_one_in_for_learning():
    out = placed(None, students({"student_id": "S1"}))
    assert pd.isna(out.loc["S1", "pool_on"])


def test_finished_without_renewing_enters_after_the_follow_up_days():
    frame = students(
        {"student_id": "S1", "course_end": "2026-11-08", "renewal": "否"},  # 15 days
        {"student_id": "S2", "course_end": "2026-11-09"},  # 14 days: the renewal follow-up still runs
        {"student_id": "S3", "course_end": "2026-11-01", "renewal": "已续费"},
    )
    out = placed(None, frame)
    assert out.loc["S1", "pool_on"] == pd.Timestamp("2026-11-23")
    assert out[["pool_on"]].loc[["S2", "S3"]].isna().all().all()
    assert pool_why(out.loc[["S1"]].reset_index(), Config(), NOV_23) == ["2026-11-08 结课，已过 15 天，没有续费"]


def test_a_student_released_by_hand_stays_until_the_platform_moves_him(conn):
    frame = students({"student_id": "S1"})
    move(conn, "S1", "release", None, "张老师", "2026-11-20", "多次沟通无意向")
    out = placed(conn, frame)
    assert out.loc["S1", "pool_on"] == pd.Timestamp("2026-11-20") and pd.isna(out.loc["S1", "owner"])
    assert pool_why(out.loc[["S1"]].reset_index(), Config(), NOV_23) == ["手动放入：多次沟通无意向"]
    # The lead gives the student to 王老师 in the platform: the next roster says so, and wins.
    moved_on = placed(conn, frame.assign(teacher="王老师"))
    assert moved_on.loc["S1", "teacher"] == "王老师" and pd.isna(moved_on.loc["S1", "pool_on"])


def test_an_assignment_stands_until_a_roster_shows_a_third_teacher(conn):
    move(conn, "S1", "assign", "李老师", "王老师", "2026-11-20")
    for roster, holder in (("王老师", "李老师"), ("李老师", "李老师"), ("赵老师", "赵老师")):
        out = placed(conn, students({"student_id": "S1", "teacher": roster}))
        assert out.loc["S1", "teacher"] == holder, roster
    # Before the day of the move, the roster holds.
    assert placed(conn, students({"student_id": "S1", "teacher": "王老师"}), dt.date(2026, 11, 19)).loc["S1", "teacher"] == "王老师"


def test_a_stored_snapshot_is_placed_by_the_roster_teacher_it_kept(conn):
    frame = students({"student_id": "S1", "teacher": "张老师"})
    history.save_snapshot(conn, NOV_23, place_students(conn, frame, Config(), NOV_23, history.newest_callbacks(conn, frame, NOV_23)))
    move(conn, "S1", "release", None, "张老师", "2026-11-23", "转给销售")
    snapshot = history.load_snapshot(conn, NOV_23)
    assert snapshot.loc[0, "roster_teacher"] == "张老师"
    out = placed(conn, snapshot)
    assert pd.isna(out.loc["S1", "teacher"]) and out.loc["S1", "pool_on"] == pd.Timestamp("2026-11-23")
