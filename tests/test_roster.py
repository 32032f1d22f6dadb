"""Roster validation: typed values, every problem at once, warnings that do not stop the run."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pfkcli.classify import score_roster
from pfkcli.config import Config
from pfkcli.errors import InvalidInput
from pfkcli.roster import load_roster

from .conftest import HEADER, student, write_xlsx
from .platform_exports import PLATFORM_F, platform_roster


def lines(exc: InvalidInput) -> list[str]:
    return [p.line() for p in exc.problems]


def test_typing_habits_are_read(tmp_path):
    rows = [
        ["学号", "学员姓名", "班主任", "联系电话", "作业完成次数", "已学课时", "最近学习时间", "积极性", "基础能力", "备注", "来源渠道"],
        ["S001", "张伟", "张老师", 13812345678, "８", "30.5", dt.datetime(2026, 11, 3), "4分", 5, "很积极", "抖音"],
        [1002, "王芳", "张老师", "13912345678", 5, 12, "2026年11月3日", 2, "1", None, "公众号"],
        ["S003", "李娜", "李老师", 13712345678.0, "7", 40, 46329, None, None, None, "抖音"],
        [None] * 11,
        ["合计", None, None, None, 20, 82.5],
    ]
    roster = load_roster(write_xlsx(tmp_path / "r.xlsx", rows))
    frame = roster.frame
    assert frame["student_id"].tolist() == ["S001", "1002", "S003"]
    assert frame["phone"].tolist() == ["13812345678", "13912345678", "13712345678"]
    assert frame["homework_done"].tolist() == [8, 5, 7]
    assert frame["p_score"].tolist()[:2] == [4, 2]
    assert [d.date() for d in frame["last_active"]] == [dt.date(2026, 11, 3), dt.date(2026, 11, 3), dt.date(2026, 11, 3)]
    assert roster.extra_columns == ["extra:9", "extra:10"]
    assert frame["extra:10"].tolist() == ["抖音", "公众号", "抖音"]
    assert [w.code for w in roster.warnings] == ["blank_rows", "total_row"]
    assert roster.warnings[0].message == "跳过 1 个空行（第5行）"


def test_every_problem_in_one_run(tmp_path):
    rows = [
        ["2026秋 学员名单"],
        HEADER,
        student("S001", "张伟", "张老师", 3, 10, 5, 5),
        student("S002", "王芳", "张老师", "十", 10, 6, 1),
        student("S001", "李娜", "", 3, -2, 2, "很好"),
    ]
    with pytest.raises(InvalidInput) as caught:
        load_roster(write_xlsx(tmp_path / "roster.xlsx", rows))
    assert lines(caught.value) == [
        'roster.xlsx › 学员名单 › 第4行 › 作业完成次数: "十" 不是数字',
        'roster.xlsx › 学员名单 › 第4行 › P: "6" 超出范围，应在1-5之间',
        'roster.xlsx › 学员名单 › 第5行 › 观看课时: "-2" 不能小于0',
        'roster.xlsx › 学员名单 › 第5行 › K: "很好" 不是1-5的分数',
        "roster.xlsx › 学员名单 › 第5行 › 运营老师: 运营老师是空的：新学员请先运行 pfk assign roster.xlsx 分配老师，再对它写出的 roster.assign.xlsx 运行 pfk classify",
        "roster.xlsx › 学员名单 › 第5行 › 学号: 学号 S001 重复（与第3行相同）",
    ]


def test_missing_required_column_names_the_aliases(tmp_path):
    rows = [["学号", "姓名", "作业完成次数", "观看课时"], ["S001", "张伟", 1, 2]]
    with pytest.raises(InvalidInput) as caught:
        load_roster(write_xlsx(tmp_path / "r.xlsx", rows))
    (problem,) = caught.value.problems
    assert problem.code == "missing_column"
    assert "缺少「运营老师」列" in problem.message and "班主任" in problem.message


def test_column_mapping_in_config_wins(tmp_path):
    rows = [["学员编码", "姓名", "服务老师", "作业完成次数", "观看课时"], ["S001", "张伟", "张老师", 1, 2]]
    config = Config.model_validate({"columns": {"student_id": "学员编码", "teacher": "服务老师"}})
    roster = load_roster(write_xlsx(tmp_path / "r.xlsx", rows), config)
    assert roster.frame[["student_id", "teacher"]].iloc[0].tolist() == ["S001", "张老师"]


def test_progress_over_the_course_total_is_clamped_with_a_warning(tmp_path):
    rows = [HEADER, student("S001", "张伟", "张老师", 13, 80, 5, 5)]
    roster = load_roster(write_xlsx(tmp_path / "r.xlsx", rows))
    assert roster.frame[["homework_done", "hours_watched"]].iloc[0].tolist() == [11, 76]
    assert [w.line() for w in roster.warnings] == [
        "r.xlsx › 学员名单 › 第2行 › 作业完成次数: 13 超过课程总数 11，按 11 计算",
        'r.xlsx › 学员名单 › 第2行 › 观看课时: "80" 按小时读，超过课程总时长 76 小时，按 76 小时计算',
    ]


# --- exports as platforms write them -------------------------------------------------------------


def test_a_platform_export_over_several_sheets_reads_as_one_roster(tmp_path):
    roster = load_roster(platform_roster(tmp_path), as_of=dt.date(2026, 11, 23))
    frame = roster.frame.set_index("student_id")
    assert roster.sheets == ["张老师", "李老师"]
    assert frame["name"].tolist() == ["张伟", "王芳", "李娜", "刘洋"]  # the real name, not the nickname
    assert ("用户昵称", "extra:1") in roster.columns
    assert frame["teacher"].tolist() == ["张老师", "张老师", "李老师", "李老师"]
    assert [round(h, 4) for h in frame["hours_watched"]] == [1.3333, 0.7533, 76.0, 1.3333]
    assert [None if pd.isna(d) else d.date() for d in frame["last_active"]] == [
        dt.date(2026, 11, 21), None, dt.date(2026, 11, 22), dt.date(2026, 11, 21)
    ]
    assert [d.date() for d in frame["enrolled_on"]] == [dt.date(2026, 9, d) for d in (1, 2, 3, 4)]
    assert frame["renewal"].tolist()[:2] == ["是", "否"] and pd.isna(frame["renewal"].iloc[2])
    assert frame["excel_row"].tolist() == [3, 4, 3, 4]
    assert [(w.code, w.message) for w in roster.warnings] == [
        ("sheets_read", "读取了 2 个表头相同的工作表：「张老师」、「李老师」，合为一份名单"),
        ("sheet_skipped", "工作表「说明」里找不到表头，已跳过"),
    ]


def test_f_is_what_the_platform_numbers_say(tmp_path):
    result = score_roster(platform_roster(tmp_path), dt.date(2026, 11, 23), Config(), None)
    got = dict(zip(result.frame["student_id"], result.frame["F"]))
    assert got == pytest.approx(PLATFORM_F, abs=1e-4)  # F is kept to four decimals


def test_one_sheet_named_reads_that_sheet_alone(tmp_path):
    roster = load_roster(platform_roster(tmp_path), sheet="李老师")
    assert (roster.sheet, roster.frame["student_id"].tolist()) == ("李老师", ["U1003", "U1004"])


def test_an_id_in_two_sheets_is_a_duplicate(tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", [HEADER, student("S001", "张伟", "张老师", 1, 2, 3, 3)], sheet="张老师",
                      extra_sheets={"李老师": [HEADER, student("S002", "王芳", "李老师", 1, 2, 3, 3), student("S001", "李娜", "李老师", 1, 2, 3, 3)]})
    with pytest.raises(InvalidInput) as caught:
        load_roster(path)
    assert [(p.sheet, p.row, p.column, p.code) for p in caught.value.problems] == [("李老师", 3, "学号", "duplicate_id")]
    assert caught.value.problems[0].message == "学号 S001 重复（与工作表「张老师」第2行相同）"


def test_a_sheet_with_another_header_is_named_not_read(tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", [HEADER, student("S001", "张伟", "张老师", 1, 2, 3, 3)], sheet="名单",
                      extra_sheets={"回访记录": [["学号", "姓名", "回访日期"], ["S001", "张伟", "2026-11-20"]]})
    roster = load_roster(path)
    assert roster.sheets == ["名单"]
    assert [(w.code, w.message) for w in roster.warnings] == [
        ("sheet_other_header", "工作表「回访记录」的表头与「名单」不同，未读取；需要时请用 --sheet 单独指定")
    ]


def test_a_nickname_is_the_name_when_there_is_no_other(tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", [["用户ID", "微信昵称", "跟进人"], ["U1", "阿伟", "张老师"]])
    assert load_roster(path).frame["name"].tolist() == ["阿伟"]


def test_only_a_share_of_the_course_counts_as_that_share_of_its_hours(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("学员ID,姓名,班主任,作业提交次数,学习进度\nS1,张伟,张老师,2,45%\nS2,王芳,张老师,0,0.5\nS3,李娜,张老师,0,\n", encoding="utf-8")
    roster = load_roster(path, need_progress=True)
    assert roster.frame["hours_watched"].tolist()[:2] == pytest.approx([0.45 * 76, 0.5 * 76])
    assert pd.isna(roster.frame["hours_watched"].iloc[2])
    assert [(w.column, w.code) for w in roster.warnings] == [("学习进度", "hours_from_completion")]
    result = score_roster(path, dt.date(2026, 11, 23), Config(), None)
    assert result.frame["F"].tolist() == pytest.approx([2 / 11 + 0.45, 0.5, 0.0], abs=1e-4)


def test_a_completion_column_of_plain_percentages(tmp_path):
    rows = [["学号", "姓名", "班主任", "完课率"], ["S1", "张伟", "张老师", 45], ["S2", "王芳", "张老师", 100], ["S3", "李娜", "张老师", 0]]
    roster = load_roster(write_xlsx(tmp_path / "r.xlsx", rows))
    assert roster.frame["completion"].tolist() == [0.45, 1.0, 0.0]
    assert "percent_column" in [w.code for w in roster.warnings]


def test_the_clamp_warning_says_the_unit_it_read(tmp_path):
    rows = [["学号", "姓名", "运营老师", "观看时长（分钟）", "学习时长"], ["S1", "张伟", "张老师", "80:00:00", 1], ["S2", "王芳", "张老师", 5000, 2]]
    roster = load_roster(write_xlsx(tmp_path / "r.xlsx", rows))
    assert roster.frame["hours_watched"].tolist() == [76.0, 76.0]
    assert [w.message for w in roster.warnings if w.code == "clamped"] == [
        '"80:00:00" 按分钟读是 80 小时，超过课程总时长 76 小时，按 76 小时计算',
        '"5000" 按分钟读是 83.33 小时，超过课程总时长 76 小时，按 76 小时计算',
    ]


def test_minutes_in_a_column_without_a_unit_get_a_hint(tmp_path):
    rows = [["学号", "姓名", "运营老师", "观看时长"]] + [[f"S{i}", "张伟", "张老师", 300 + i] for i in range(4)]
    roster = load_roster(write_xlsx(tmp_path / "r.xlsx", rows))
    hint = [w for w in roster.warnings if w.code == "unit_hint"]
    assert [(w.column, w.message) for w in hint] == [
        ("观看时长", "过半学员的观看时长超过课程总时长 76 小时：这一列也许是分钟数；若是，请把列名改成「观看时长（分钟）」再试")
    ]


def test_ids_excel_mangled_are_problems_that_say_how_to_export(tmp_path):
    rows = [["学号", "姓名", "运营老师"], [123456789012345678, "张伟", "张老师"], ["123456789012345678", "王芳", "张老师"], [1002, "李娜", "张老师"]]
    with pytest.raises(InvalidInput) as caught:
        load_roster(write_xlsx(tmp_path / "r.xlsx", rows))
    (problem,) = caught.value.problems  # the number cell; the text cell keeps its 18 digits
    assert (problem.row, problem.column, problem.code) == (2, "学号", "mangled_id")
    assert problem.message.startswith('"1.23457E+17" 是被 Excel 变成科学计数法的长数字，后面几位已经丢失')
    assert "设为文本" in problem.message
    csv = tmp_path / "r.csv"
    csv.write_text("学号,姓名,运营老师\n1.23457E+17,张伟,张老师\nS2,王芳,张老师\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_roster(csv)
    assert [(p.row, p.code) for p in caught.value.problems] == [(2, "mangled_id")]


def test_a_partial_header_says_what_it_saw_and_what_is_missing(tmp_path):
    rows = [["用户编号", "真实姓名", "作业提交数"], ["U1", "张伟", 1]]
    with pytest.raises(InvalidInput) as caught:
        load_roster(write_xlsx(tmp_path / "r.xlsx", rows))
    (problem,) = caught.value.problems
    assert problem.code == "missing_column"
    assert problem.message.startswith("缺少「运营老师」列（认得的列名：运营老师、班主任")
    assert problem.message.endswith("表头里认出了：学号（用户编号）、姓名（真实姓名）、作业完成次数（作业提交数）")


def test_traditional_headers_are_read(tmp_path):
    rows = [["學號", "學員姓名", "運營老師", "作業完成次數", "觀看時長（分鐘）"], ["S1", "張偉", "張老師", 2, 90]]
    frame = load_roster(write_xlsx(tmp_path / "r.xlsx", rows)).frame
    assert frame[["student_id", "teacher", "homework_done", "hours_watched"]].iloc[0].tolist() == ["S1", "張老師", 2, 1.5]


def test_dates_of_the_past_after_the_as_of_day_or_before_2000_are_problems_with_the_row(tmp_path):
    header = ["学号", "姓名", "运营老师", "作业完成次数", "观看课时", "最近学习时间", "最近回访日期", "报名日期", "下次跟进日期", "课程结束日期"]
    rows = [
        header,
        ["S001", "张伟", "张老师", 3, 10, "2026-11-20", "2100-01-01", "2026-09-01", "2026-12-20", "2027-01-10"],
        ["S002", "王芳", "张老师", 3, 10, "1990-05-01", "2026-11-10", "2026-11-30", None, None],
        ["S003", "李娜", "李老师", 3, 10, "2026-11-23", "2026-11-23", "2026-09-01", "2027-03-01", "2027-01-10"],
    ]
    with pytest.raises(InvalidInput) as caught:
        load_roster(write_xlsx(tmp_path / "r.xlsx", rows), as_of=dt.date(2026, 11, 23))
    assert [(p.row, p.column, p.code) for p in caught.value.problems] == [
        (2, "最近回访日期", "future_date"),
        (3, "最近学习时间", "implausible_date"),
        (3, "报名日期", "future_date"),
    ]
    assert lines(caught.value)[0] == "r.xlsx › 学员名单 › 第2行 › 最近回访日期: 2100-01-01 晚于今天（2026-11-23）：最近回访日期只能是已经过去的日期，多半是填错了"
