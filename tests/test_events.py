"""Learning-event logs: aliases, values as typed, row-referenced problems, and per-student aggregates
that match the aggregate roster they were exported with."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pfkcli.classify import score_roster
from pfkcli.config import Config
from pfkcli.errors import InvalidInput
from pfkcli.events import aggregate_events, merge_progress
from pfkcli.roster import load_roster

from .conftest import AS_OF, SAMPLES, today, write_xlsx


def write_csv(path, lines: list[str], encoding: str = "utf-8-sig"):
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def flatten(problems):
    return [(p.row, p.column, p.code) for p in problems]


def test_sample_log_gives_the_roster_figures_per_student():
    events, warnings = aggregate_events(SAMPLES / "events.csv", Config(), today())
    roster = load_roster(SAMPLES / "roster.xlsx").frame

    assert warnings == []
    assert sorted(events["student_id"]) == sorted(roster["student_id"])
    assert len(events) == 48
    joined = roster.merge(events, on="student_id", suffixes=("_roster", "_log"))
    for _, row in joined.iterrows():
        sid = row["student_id"]
        assert row["homework_done_log"] == row["homework_done_roster"], sid
        assert row["hours_watched_log"] == pytest.approx(row["hours_watched_roster"], abs=1e-9), sid
        assert row["last_active_log"] == row["last_active_roster"], sid
    # spot values, read off the files
    first = events.set_index("student_id").loc["DS2026047"]
    assert (first["homework_done"], first["hours_watched"], first["last_active"]) == (1, 14.0, pd.Timestamp("2026-11-21"))


def test_aliases_title_line_and_values_as_typed(tmp_path):
    path = write_xlsx(
        tmp_path / "log.xlsx",
        [
            ["平台导出：学习行为明细"],
            ["学员ID", "学习时间", "行为", "学习时长", "设备"],
            ["S1", dt.datetime(2026, 11, 20, 21, 5), "观看", 30, "手机"],
            ["S1", "2026/11/21 8:05", "直播", "45分钟", "电脑"],
            ["S1", "2026年11月22日", "交作业", None, None],
            [" S2 ", "2026-11-10", "homework", None, None],
            ["S2", "2026-11-12 20:00", "Watch", "６０", None],
            ["S2", "2026-11-12 21:00", "登录", None, None],
            [None, None, None, None, None],
            ["S3", "2026-11-24 09:00", "看课", 90, None],
        ],
        sheet="明细",
    )
    events, warnings = aggregate_events(path, Config(), today())
    got = events.set_index("student_id")

    assert got.loc["S1"].to_dict() == {
        "homework_done": 1.0,
        "hours_watched": 75 / 60,
        "last_active": pd.Timestamp("2026-11-22"),
        "weekly_activity": 3,
    }
    assert got.loc["S2"].to_dict() == {
        "homework_done": 1.0,
        "hours_watched": 1.0,
        "last_active": pd.Timestamp("2026-11-12"),
        "weekly_activity": 0,
    }
    assert "S3" not in got.index  # its only event is after the as-of date
    codes = {w.code: w for w in warnings}
    assert set(codes) == {"blank_rows", "unknown_kind", "after_as_of"}
    assert "「登录」1 条" in codes["unknown_kind"].message
    assert codes["after_as_of"].message == "1 条记录晚于计算日期 2026-11-23，未计入"


def test_duration_header_in_hours_or_seconds(tmp_path):
    hours = write_csv(tmp_path / "h.csv", ["学号,日期,类型,时长（小时）", "S1,2026-11-20,看课,1.5"])
    seconds = write_csv(tmp_path / "s.csv", ["学号,日期,类型,时长（秒）", "S1,2026-11-20,看课,5400"])
    assert aggregate_events(hours, Config(), today())[0].loc[0, "hours_watched"] == 1.5
    assert aggregate_events(seconds, Config(), today())[0].loc[0, "hours_watched"] == 1.5


def test_numeric_ids_from_number_cells_are_one_student(tmp_path):
    path = write_csv(tmp_path / "e.csv", ["学号,时间,类型,时长", "1002,2026-11-20,作业,", "1002.0,2026-11-21,作业,"])
    events, _ = aggregate_events(path, Config(), today())
    assert events[["student_id", "homework_done"]].values.tolist() == [["1002", 2.0]]


def test_bad_cells_are_reported_by_excel_row_all_at_once(tmp_path):
    path = write_csv(
        tmp_path / "e.csv",
        [
            "学号,时间,类型,时长（分钟）",
            "S1,2026-11-20 20:00,看课,30",
            ",2026-11-20 20:00,看课,30",
            "S1,昨天,看课,30",
            "S1,2026-11-20,看课,很久",
            "S1,2026-11-20,看课,-5",
            "S1,2026-11-20,,30",
            "S1,,作业,",
        ],
    )
    with pytest.raises(InvalidInput) as caught:
        aggregate_events(path, Config(), today())
    assert flatten(caught.value.problems) == [
        (3, "学号", "missing_value"),
        (4, "时间", "bad_date"),
        (5, "时长（分钟）", "bad_number"),
        (6, "时长（分钟）", "out_of_range"),
        (7, "类型", "missing_value"),
        (8, "时间", "missing_value"),
    ]
    lines = [p.line() for p in caught.value.problems]
    assert lines[1] == 'e.csv › 第4行 › 时间: "昨天" 不是日期时间（如 2026-11-03 20:15、2026/11/3、2026年11月3日）'
    assert lines[2] == 'e.csv › 第5行 › 时长（分钟）: "很久" 不是分钟数（也可写成 1:20:00、45分12秒）'


def test_many_bad_rows_are_listed_then_counted(tmp_path):
    path = write_csv(tmp_path / "e.csv", ["学号,时间,类型,时长"] + ["S1,?,看课,1"] * 60)
    with pytest.raises(InvalidInput) as caught:
        aggregate_events(path, Config(), today())
    problems = caught.value.problems
    assert len(problems) == 51
    assert problems[0].row == 2 and problems[49].row == 51
    assert problems[-1].row is None and problems[-1].message == "另有 10 行同样的问题"


def test_missing_column_is_a_problem(tmp_path):
    path = write_csv(tmp_path / "e.csv", ["学号,时间,类型", "S1,2026-11-20,作业"])
    with pytest.raises(InvalidInput) as caught:
        aggregate_events(path, Config(), today())
    assert [(p.row, p.code) for p in caught.value.problems] == [(1, "missing_column")]
    assert "「时长（分钟）」" in caught.value.problems[0].message


def test_lesson_without_duration_counts_zero_with_a_warning(tmp_path):
    path = write_csv(tmp_path / "e.csv", ["学号,时间,类型,时长", "S1,2026-11-20,看课,", "S1,2026-11-21,看课,20"])
    events, warnings = aggregate_events(path, Config(), today())
    assert events.loc[0, "hours_watched"] == pytest.approx(20 / 60)
    assert [(w.code, w.message) for w in warnings] == [("missing_duration", "1 条看课记录没有时长，按 0 分钟计（第2行）")]


def test_merge_replaces_the_roster_columns(tmp_path):
    roster_path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["学号", "姓名", "运营老师", "作业完成次数", "观看课时", "最近学习时间"],
            ["S1", "张伟", "张老师", 5, 40, dt.datetime(2026, 10, 1)],
            ["S2", "王芳", "张老师", 3, 20, dt.datetime(2026, 11, 22)],
        ],
    )
    log = write_csv(
        tmp_path / "e.csv",
        ["学号,时间,类型,时长", "S1,2026-11-20,看课,90", "S1,2026-11-21,作业,", "S9,2026-11-21,作业,"] + ["S1,2026-11-22,作业,"] * 12,
    )
    frame = load_roster(roster_path).frame
    merged, warnings = merge_progress(frame, log, Config(), today())

    assert merged["homework_done"].tolist() == [11.0, 0.0]  # 13 hand-ins, clamped to the course's 11
    assert merged["hours_watched"].tolist() == [1.5, 0.0]
    assert merged["last_active"].tolist()[0] == pd.Timestamp("2026-11-22")
    assert pd.isna(merged["last_active"].tolist()[1])
    assert merged["weekly_activity"].tolist() == [3, 0]
    assert [(w.code, w.message) for w in warnings] == [
        ("clamped", "1 名学员的作业完成次数超过课程总数 11（S1），按 11 计算"),
        ("no_events", "1 名学员在学习记录里没有任何记录（S2），作业、课时按 0 计，最近学习时间留空"),
        ("unknown_student", "学习记录里有 1 个学号不在名单里（S9），已忽略"),
    ]


def test_classify_with_the_sample_log_matches_the_roster(tmp_path):
    plain = score_roster(SAMPLES / "roster.xlsx", today(), Config(), None)
    with_log = score_roster(SAMPLES / "roster.xlsx", today(), Config(), None, SAMPLES / "events.csv")
    assert with_log.frame["segment"].tolist() == plain.frame["segment"].tolist()
    assert np.allclose(with_log.frame["F"], plain.frame["F"])
    assert with_log.frame["weekly_activity"].between(0, 7).all()


def test_classify_command_takes_the_log(invoke, tmp_path):
    import shutil

    roster = shutil.copy(SAMPLES / "roster.xlsx", tmp_path / "roster.xlsx")
    result = invoke("classify", roster, "--progress", SAMPLES / "events.csv", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "roster.pfk.xlsx").exists()


def test_classify_command_with_a_bad_log_exits_2_and_writes_nothing(invoke, tmp_path):
    import shutil

    roster = shutil.copy(SAMPLES / "roster.xlsx", tmp_path / "roster.xlsx")
    log = write_csv(tmp_path / "e.csv", ["学号,时间,类型,时长", "DS2026001,2026-13-45,看课,30"])
    result = invoke("classify", roster, "--progress", log, "--as-of", AS_OF)
    assert result.exit_code == 2
    assert 'e.csv › 第2行 › 时间: "2026-13-45" 不是日期时间' in result.stderr
    assert not (tmp_path / "roster.pfk.xlsx").exists()


def test_durations_and_stamps_as_platforms_write_them(tmp_path):
    path = write_csv(
        tmp_path / "e.csv",
        [
            "用户编号,行为时间,行为,观看时长（秒）",
            "S1,2026-11-20T19:00:00Z,观看直播,01:20:00",
            "S1,11-22 20:00,看课,45:12",
            "S1,2026-11-22T08:00:00+08:00,看课,1200",
            "S2,2026-11-21,看课,1小时20分",
        ],
    )
    events, _ = aggregate_events(path, Config(), today())
    got = events.set_index("student_id")
    assert got.loc["S1", "hours_watched"] == pytest.approx((4800 + 2712 + 1200) / 3600)
    assert got.loc["S1", "last_active"] == pd.Timestamp("2026-11-22")
    assert got.loc["S1", "weekly_activity"] == 2  # 11-21 in China (19:00 UTC on the 20th) and 11-22
    assert got.loc["S2", "hours_watched"] == pytest.approx(80 / 60)


def test_a_duration_column_without_a_unit_is_minutes_also_as_clock_time(tmp_path):
    path = write_csv(tmp_path / "e.csv", ["学号,时间,类型,时长", "S1,2026-11-20,看课,45:30", "S1,2026-11-20,看课,1:00:00", "S1,2026-11-21,看课,未学习"])
    events, _ = aggregate_events(path, Config(), today())
    assert events.loc[0, "hours_watched"] == pytest.approx((45.5 + 60) / 60)


def test_a_mangled_id_in_the_log_is_a_problem(tmp_path):
    path = write_csv(tmp_path / "e.csv", ["学号,时间,类型,时长", "1.23457E+17,2026-11-20,看课,30", "S1,2026-11-20,看课,30"])
    with pytest.raises(InvalidInput) as caught:
        aggregate_events(path, Config(), today())
    assert flatten(caught.value.problems) == [(2, "学号", "mangled_id")]
