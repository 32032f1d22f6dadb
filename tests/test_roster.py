"""Roster validation: typed values, every problem at once, warnings that do not stop the run."""

from __future__ import annotations

import datetime as dt

import pytest

from pfkcli.config import Config
from pfkcli.errors import InvalidInput
from pfkcli.roster import load_roster

from .conftest import HEADER, student, write_xlsx


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
        "roster.xlsx › 学员名单 › 第5行 › 运营老师: 运营老师不能为空",
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
