"""pfk report through the CLI, on a workspace built by the weekly loop itself.

The fixture: five students, two snapshots a week apart (2026-11-16, 2026-11-23), course dates in
pfk.toml so F is judged against pace (expected F 1.103 then 1.294; high from 0.882 then 1.035).
张老师 calls S001, S002 and S005 on 2026-11-18; 李老师 calls nobody.

| student | 11-16 | 11-23 | called | move |
| --- | --- | --- | --- | --- |
| S001 | 重要维持 (P3 F1.07 K4) | 重要价值 (P5 F1.39 K4) | yes | up |
| S002 | 一般督促 (P4 F0.31 K2) | 一般督促 (P4 F0.47 K2) | yes | same |
| S005 | 待回访 (F0.76) | 重点挽留 (P2 F0.76 K5) | yes | first scored |
| S003 | 重要价值 (P5 F0.98 K5) | 重点督促 (F below the risen pace) | no | down |
| S004 | 一般挽留 (P2 F0.16 K2) | 一般挽留 | no | same |
"""

from __future__ import annotations

import datetime as dt
import re

import openpyxl
import pytest

from pfkcli.outputs import SUMMARY_SHEET
from pfkcli.report import (
    ALERTS_SHEET,
    DESCRIPTIVE,
    COVERAGE_COLUMNS,
    COVERAGE_SHEET,
    EFFECT_COLUMNS,
    EFFECT_SHEET,
    MOVED_DOWN_COLUMNS,
    MOVED_DOWN_SHEET,
    MOVES_SHEET,
    OVERVIEW_SHEET,
    PROGRESS_COLUMNS,
    PROGRESS_SHEET,
    REPORT_SHEETS,
    SEGMENTS_SHEET,
)
from pfkcli.segments import ALL_SEGMENTS, BY_CODE

from ..conftest import AS_OF, fill_callsheet, read_sheet, write_xlsx

FIRST, CALLED, SECOND = "2026-11-16", "2026-11-18", "2026-11-23"
HEADER = ["学号", "姓名", "运营老师", "手机号", "作业完成次数", "观看课时", "P", "K", "最近回访日期"]
OLD_CALL = dt.datetime(2026, 10, 20)


def roster_rows(week: int) -> list[list]:
    """The roster as the platform exports it in week 1 and week 2 (P/K columns unchanged: calls go through pfk record)."""
    homework = {"S001": (6, 8), "S002": (2, 3), "S003": (5, 5), "S004": (1, 1), "S005": (4, 4)}
    hours = {"S001": (40, 50), "S002": (10, 15), "S003": (40, 40), "S004": (5, 5), "S005": (30, 30)}
    people = [
        ("S001", "张伟", "张老师", 13812345601, 3, 4, OLD_CALL),
        ("S002", "王芳", "张老师", 13812345602, 4, 2, OLD_CALL),
        ("S005", "赵敏", "张老师", 13812345605, None, None, None),
        ("S003", "李娜", "李老师", 13812345603, 5, 5, OLD_CALL),
        ("S004", "刘洋", "李老师", 13812345604, 2, 2, OLD_CALL),
    ]
    rows = [HEADER]
    for sid, name, teacher, phone, p, k, called in people:
        rows.append([sid, name, teacher, phone, homework[sid][week - 1], hours[sid][week - 1], p, k, called])
    return rows


def as_dicts(rows: list[tuple]) -> dict:
    header = rows[0]
    return {r[0]: dict(zip(header, r)) for r in rows[1:]}


@pytest.fixture
def first_week(invoke, tmp_path):
    """A workspace with course dates and the first snapshot (2026-11-16)."""
    assert invoke("init", ".").exit_code == 0
    toml = tmp_path / "pfk.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace("# start = 2026-10-08", "start = 2026-10-08").replace("# end = 2026-12-17", "end = 2026-12-17")
    toml.write_text(text, encoding="utf-8")
    write_xlsx(tmp_path / "week1.xlsx", roster_rows(1))
    result = invoke("classify", "week1.xlsx", "--as-of", FIRST)
    assert result.exit_code == 0, result.output
    return tmp_path


@pytest.fixture
def two_weeks(invoke, first_week):
    """张老师 calls three students on 11-18; the second roster is classified on 11-23."""
    tmp_path = first_week
    assert invoke("callsheet", "--teacher", "张老师", "--as-of", CALLED).exit_code == 0
    path = tmp_path / "callsheets" / f"张老师-{CALLED}.xlsx"
    fill_callsheet(
        path,
        {
            "S001": {"P（1-5）": 5, "K（1-5）": 4, "回访备注": "状态很好", "下次跟进日期": "2026-11-30"},
            "S002": {"P（1-5）": 4, "K（1-5）": 2, "回访备注": "作业太难", "下次跟进日期": "2026-11-20"},
            "S005": {"P（1-5）": 2, "K（1-5）": 5, "回访备注": "第一次回访"},
        },
    )
    recorded = invoke("record", path)
    assert recorded.exit_code == 0 and "已导入 3 条回访" in recorded.output, recorded.output
    write_xlsx(tmp_path / "week2.xlsx", roster_rows(2))
    result = invoke("classify", "week2.xlsx", "--as-of", SECOND)
    assert result.exit_code == 0, result.output
    return tmp_path


def test_two_snapshots_moves_and_effect(invoke, two_weeks):
    result = invoke("report", "--as-of", SECOND)
    assert result.exit_code == 0, result.output
    path = two_weeks / "reports" / f"report-{SECOND}.xlsx"
    assert f"✓ 已写出 {path}" in result.stdout
    assert "团队看板（分层快照 2026-11-23，对比 2026-11-16）" in result.stdout
    assert "回访覆盖：60%（3/5 人在 14 天内回访过），从未回访 0，跟进逾期 1" in result.stdout
    assert "跟上进度：20%（1/5 名有课程日期的学员）" in result.stdout
    assert "分层变化：上升 1，不变 2，下降 1，首次打分 1（新学员 0，已不在名单 0）" in result.stdout
    assert "本期回访过 2 人：上升 1，不变 1，下降 0" in result.stdout
    assert "本期未回访 2 人：上升 0，不变 1，下降 1" in result.stdout

    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == list(REPORT_SHEETS)
    charts = sum(len(wb[name]._charts) for name in wb.sheetnames)
    assert charts >= 3
    assert len(wb[SEGMENTS_SHEET]._charts) == 1 and len(wb[EFFECT_SHEET]._charts) == 1

    # The from → to matrix: rows = 11-16's segment, columns = 11-23's.
    matrix = as_dicts(read_sheet(path, MOVES_SHEET))
    moves = {
        (row, column): value
        for row, values in matrix.items()
        for column, value in values.items()
        if column not in ("上次 → 本次", "合计") and row != "合计" and value
    }
    assert moves == {
        ("重要维持学员", "重要价值学员"): 1,  # S001, called, up
        ("一般督促学员", "一般督促学员"): 1,  # S002, called, same
        ("待回访学员", "重点挽留学员"): 1,  # S005, first scored
        ("重要价值学员", "重点督促学员"): 1,  # S003, not called, down
        ("一般挽留学员", "一般挽留学员"): 1,  # S004, not called, same
    }
    assert matrix["合计"]["合计"] == 5

    effect = read_sheet(path, EFFECT_SHEET)
    assert effect[0] == EFFECT_COLUMNS
    overall = [row[2:7] for row in effect[1:] if row[1] == "全部（按起始分层加权）"]
    assert overall == [("本期回访过", 2, 1, 1, 0), ("本期未回访", 2, 0, 1, 1)]
    assert [row[-1] for row in effect[1:] if row[1] == "全部（按起始分层加权）"][0] == DESCRIPTIVE + "人数太少（每组至少要 5 人），看不出什么"

    down = read_sheet(path, MOVED_DOWN_SHEET)
    assert down[0] == MOVED_DOWN_COLUMNS
    assert len(down) == 2
    row = dict(zip(down[0], down[1]))
    assert (row["运营老师"], row["学号"], row["姓名"], row["手机号"]) == ("李老师", "S003", "李娜", "13812345603")
    assert (row["上次分层"], row["本次分层"]) == ("重要价值学员", "重点督促学员")
    assert row["上次 P/F/K"] == row["本次 P/F/K"] == "5/0.98/5"
    assert row["变化"].startswith("分数未变")
    assert row["本期已回访"] == "否" and row["最近回访日期"] == OLD_CALL


def test_sheets_per_teacher(invoke, two_weeks):
    assert invoke("report", "--as-of", SECOND).exit_code == 0
    path = two_weeks / "reports" / f"report-{SECOND}.xlsx"

    coverage = read_sheet(path, COVERAGE_SHEET)
    assert coverage == [COVERAGE_COLUMNS, ("张老师", 3, 3, 100, 0, 0, 1), ("李老师", 2, 0, 0, 2, 0, 0)]

    progress = read_sheet(path, PROGRESS_SHEET)
    assert progress[0] == PROGRESS_COLUMNS
    zhang, li = (dict(zip(progress[0], r)) for r in progress[1:])
    assert [zhang[c] for c in ("F 0–0.5", "F 0.5–1", "F 1–1.5", "F 1.5–2")] == [1, 1, 1, 0]
    assert [li[c] for c in ("F 0–0.5", "F 0.5–1", "F 1–1.5", "F 1.5–2")] == [1, 1, 0, 0]
    assert (zhang["有进度要求"], zhang["跟上进度"], zhang["跟上进度占比（%）"]) == (3, 1, 33.3)
    assert (li["跟上进度"], li["未跟上进度"], li["跟上进度占比（%）"]) == (0, 2, 0)
    assert len(openpyxl.load_workbook(path)[PROGRESS_SHEET]._charts) == 2

    alerts = as_dicts(read_sheet(path, ALERTS_SHEET))
    # 24 days to 2026-12-17: the month-before stage began on 11-17; 张老师 reached all three on 11-18.
    assert alerts["张老师"]["续费沟通（结课前一个月）"] == 0
    assert alerts["李老师"]["续费沟通（结课前一个月）"] == 2
    assert alerts["张老师"]["进度严重落后"] == 1 and alerts["李老师"]["进度严重落后"] == 1  # S002, S004
    assert alerts["张老师"]["预警学员数"] == 1  # S002 behind pace
    assert alerts["张老师"]["合计"] == sum(v for k, v in alerts["张老师"].items() if k not in ("运营老师", "预警学员数", "合计"))

    header, *rows = read_sheet(path, OVERVIEW_SHEET)
    overview = {r[0]: dict(zip(header, r)) for r in rows if r[0]}
    assert overview["本次分层快照"]["说明"] == SECOND and overview["对比快照"]["说明"] == FIRST
    assert overview["学员数"]["本周"] == 5 and overview["分层下降"]["本周"] == 1 and overview["首次打分"]["本周"] == 1


def test_segment_counts_agree_with_classify(invoke, two_weeks):
    assert invoke("report", "--as-of", SECOND, "-o", "dash.xlsx").exit_code == 0
    summary = read_sheet(two_weeks / "week2.pfk.xlsx", SUMMARY_SHEET)
    header = summary[0]
    from_classify = {}
    for row in summary[1:]:
        if row[0] == "合计":
            break
        for teacher, count in zip(header[2:-1], row[2:-1]):
            from_classify[(teacher, row[0])] = count
    name_to_code = {s.name: s.code for s in ALL_SEGMENTS}
    from_report = {
        (teacher, name_to_code[name]): count
        for teacher, values in as_dicts(read_sheet(two_weeks / "dash.xlsx", SEGMENTS_SHEET)).items()
        for name, count in values.items()
        if name in name_to_code
    }
    assert from_report == from_classify
    assert sum(from_report.values()) == 5
    assert not (two_weeks / "reports").exists()  # -o wins over the default place


def test_since_picks_the_snapshot_at_or_before(invoke, two_weeks):
    result = invoke("report", "--as-of", "2026-11-25", "--since", "2026-11-17")
    assert result.exit_code == 0, result.output
    assert "团队看板（分层快照 2026-11-23，对比 2026-11-16）" in result.stdout
    assert (two_weeks / "reports" / "report-2026-11-25.xlsx").exists()
    too_late = invoke("report", "--as-of", SECOND, "--since", SECOND)
    assert too_late.exit_code == 2
    assert too_late.stderr.strip() == "错误：--since 2026-11-23 须早于本次分层快照 2026-11-23"
    too_early = invoke("report", "--as-of", SECOND, "--since", "2026-11-01")
    assert too_early.exit_code == 2
    assert "2026-11-01 及之前没有分层快照（最早一次是 2026-11-16）" in too_early.stderr


def test_mask_phone(invoke, two_weeks):
    assert invoke("report", "--as-of", SECOND, "--mask-phone").exit_code == 0
    down = read_sheet(two_weeks / "reports" / f"report-{SECOND}.xlsx", MOVED_DOWN_SHEET)
    assert dict(zip(down[0], down[1]))["手机号"] == "138****5603"


def test_one_snapshot_says_so(invoke, first_week):
    result = invoke("report", "--as-of", FIRST)
    assert result.exit_code == 0, result.output
    note = f"只有一次分层快照（{FIRST}），下周再运行 pfk report 即可看到变化"
    assert note in result.stdout
    assert "分层变化：" not in result.stdout
    assert "回访覆盖：0%（0/5 人在 14 天内回访过），从未回访 1，跟进逾期 0" in result.stdout
    path = first_week / "reports" / f"report-{FIRST}.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == list(REPORT_SHEETS)
    for name in (MOVES_SHEET, MOVED_DOWN_SHEET, EFFECT_SHEET):
        assert read_sheet(path, name) == [("说明",), (note,)]
    assert sum(len(wb[name]._charts) for name in wb.sheetnames) >= 3
    segments = as_dicts(read_sheet(path, SEGMENTS_SHEET))
    assert segments["张老师"][BY_CODE["待回访"].name] == 1 and segments["张老师"]["合计"] == 3
    assert segments["李老师"]["重要价值学员"] == 1 and segments["李老师"]["一般挽留学员"] == 1


def test_as_of_before_any_later_snapshot(invoke, two_weeks):
    result = invoke("report", "--as-of", "2026-11-20")
    assert result.exit_code == 0, result.output
    assert "2026-11-16 之前没有更早的分层快照，无法比较变化" in result.stdout


def test_no_workspace_or_no_snapshot_is_one_clear_line(invoke, tmp_path):
    outside = invoke("report")
    assert outside.exit_code == 2
    assert outside.stderr.strip() == "错误：这里不是 pfk 工作区（找不到 pfk.toml）：先运行 pfk init，再用 pfk classify 生成分层快照"
    assert invoke("init", ".").exit_code == 0
    empty = invoke("report")
    assert empty.exit_code == 2
    assert empty.stderr.strip() == "错误：工作区还没有分层快照：先运行 pfk classify 名单.xlsx"
    assert not (tmp_path / ".pfk").exists()  # asking for a report creates no history store
    write_xlsx(tmp_path / "r.xlsx", roster_rows(1))
    assert invoke("classify", "r.xlsx", "--as-of", FIRST).exit_code == 0
    before = invoke("report", "--as-of", "2026-11-01")
    assert before.exit_code == 2
    assert before.stderr.strip() == "错误：2026-11-01 及之前没有分层快照（最早一次是 2026-11-16），请改 --as-of"


def test_help_names_every_option(invoke):
    result = invoke("report", "--help")
    assert result.exit_code == 0
    for option in ("--output", "--as-of", "--since", "--mask-phone"):
        assert option in result.stdout


# --- what the playbooks learn: three recorded weeks (tests/weeks.py) -------------------------------


def learned_report(invoke, folder):
    result = invoke("report", "--as-of", "2026-11-23")
    assert result.exit_code == 0, result.output
    return folder / "reports" / "report-2026-11-23.xlsx"


def test_solution_effects_are_measured_by_what_was_proposed_and_say_what_they_can_tell(invoke, three_weeks):
    import sqlite3

    from pfkcli.learning import ALONE, NEVER_PROPOSED, SOLUTION_COLUMNS
    from pfkcli.report import SOLUTIONS_SHEET

    folder, ids = three_weeks
    rows = [dict(zip(SOLUTION_COLUMNS, row)) for row in read_sheet(learned_report(invoke, folder), SOLUTIONS_SHEET)[1:]]
    assert read_sheet(learned_report(invoke, folder), SOLUTIONS_SHEET)[0] == SOLUTION_COLUMNS
    with sqlite3.connect(folder / ".pfk" / "history.sqlite") as conn:
        proposed = dict(conn.execute("SELECT solution, count(*) FROM proposals GROUP BY solution").fetchall())
    new = [row for row in rows if row["方案编号"] == ids["new"]]
    assert [row["结果"] for row in new] == ["14 天后仍在学习", "28 天后仍在学习", "两周跟上进度", "四周跟上进度", "28 天内退课", "已续费"]
    # Every row counts the call-sheet rows that proposed it; 使用方案 (4 calls used it) is shown beside.
    assert {row["建议（人次）"] for row in new} == {proposed[ids["new"]]} and new[0]["使用次数"] == 4
    first = new[0]
    assert first["建议这条（人次）"] + first["建议别的（人次）"] == 10  # the first week's ten rows of 张老师's, told on 11-23
    assert first["能看出的最小差别（百分点）"] > 50 and first["还需（人次）"] > 500 and first["按目前进度约需（周）"] > 50
    assert (first["建议这条（人次）"], first["建议这条：其中"], first["建议别的（人次）"], first["建议别的：其中"]) == (4, 1, 6, 4)
    assert first["结论"] == "人数太少（每组至少要 5 人次），还不能判断"
    # Not knowable yet: said so, with the day — never "no difference".
    assert new[1]["结论"] == "还不能判断：要到 2026-12-07 以后才知道"
    assert new[5]["结论"] == "还不能判断：要到 2027-07-14 以后才知道"
    assert not any("没有差别" in (row["结论"] or "") and "不等于" not in row["结论"] for row in rows)
    # A segment with one numbered solution has nothing to compare with; one never proposed says so in one row.
    assert {row["结论"] for row in rows if row["分层"] == "重要价值学员"} == {ALONE}
    assert {row["结论"] for row in rows if row["建议（人次）"] == 0} == {NEVER_PROPOSED}
    assert rows[-1]["分层"] == "（说明）" and rows[-1]["结论"].startswith("本表同时看了 2 项比较")


def test_renewal_per_segment_teacher_stage_and_window(invoke, three_weeks):
    from pfkcli.learning import RENEWAL_COLUMNS
    from pfkcli.report import RENEWAL_SHEET

    folder, _ = three_weeks
    rows = read_sheet(learned_report(invoke, folder), RENEWAL_SHEET)
    assert rows[0] == RENEWAL_COLUMNS
    still = "还有 7 人续费期未结束（最晚到 2026-12-24），续费率还会变"
    not_yet = "到 2026-11-23 还没有学员到这个阶段"
    unknown = "描述，不是回访的效果：还不能判断：要到 2026-12-24 以后才知道"
    # 李老师's ten students are in the window (the course ends 12-10); 张老师's course ends in 2027.
    # Whether the others renew is known when the window closes (12-10 + 14 days): no stage verdict before.
    assert rows[1:] == [
        ("合计", "续费期已开始的学员", 10, 3, 30, "10.8 ～ 60.3", 7, None, None, None, None, None, None, still),
        ("分层（续费期开始时）", "重要价值学员", 10, 3, 30, "10.8 ～ 60.3", 7, None, None, None, None, None, None, still),
        ("运营老师（续费期开始时）", "李老师", 10, 3, 30, "10.8 ～ 60.3", 7, None, None, None, None, None, None, still),
        ("续费阶段", "续费沟通（结课前一个月）：阶段内接通", 0, 0, None, None, 10, "阶段内没接通", 0, 0, None, None, None, unknown),
        ("续费阶段", "续费提醒（结课前一周）：阶段内接通", 0, 0, None, None, 0, "阶段内没接通", 0, 0, None, None, None, not_yet),
        ("续费阶段", "续费最后提醒（结课前三天）：阶段内接通", 0, 0, None, None, 0, "阶段内没接通", 0, 0, None, None, None, not_yet),
        ("续费阶段", "结课后续费跟进：阶段内接通", 0, 0, None, None, 0, "阶段内没接通", 0, 0, None, None, None, not_yet),
        ("续费期内回访", "续费期内接通过", 0, 0, None, None, 10, "续费期内没接通", 0, 0, None, None, None, unknown),
    ]


RENEWAL_HEADER = ["学号", "姓名", "运营老师", "手机号", "作业完成次数", "观看课时", "P", "K", "最近学习时间", "课程结束日期", "是否续费"]


def test_renewal_per_teacher_is_the_true_rate_when_the_non_renewers_went_to_the_pool(invoke, tmp_path):
    """Twenty students whose course ends 11-20: 张老师's renew 4 of 10, 李老师's 3 of 10. By 12-07 every
    non-renewer is in 公海 — by the rule (结课未续费), two released by hand, one gone from the roster."""
    from pfkcli.report import RENEWAL_SHEET

    assert invoke("init", ".").exit_code == 0
    people = [(f"Z{i}", "张老师", i < 4) for i in range(10)] + [(f"L{i}", "李老师", i < 3) for i in range(10)]

    def roster(day: str, renewals: bool, without: set[str] = frozenset()) -> str:
        rows = [
            [sid, sid, teacher, 13900000000 + n, 5, 30, 4, 4, min(dt.datetime(2026, 11, 1), dt.datetime.fromisoformat(day)), dt.datetime(2026, 11, 20),
             "是" if renewals and renews else "否"]
            for n, (sid, teacher, renews) in enumerate(people) if sid not in without
        ]
        write_xlsx(tmp_path / f"{day}.xlsx", [RENEWAL_HEADER, *rows])
        return f"{day}.xlsx"

    for day, renewals, without in (("2026-10-19", False, set()), ("2026-11-23", True, set()), ("2026-12-07", True, {"L9"})):
        if day == "2026-11-23":
            released = invoke("pool", "release", "Z8", "Z9", "--reason", "多次沟通无意向", "--as-of", day)
            assert released.exit_code == 0, released.output
        result = invoke("classify", roster(day, renewals, without), "--as-of", day)
        assert result.exit_code == 0, result.output
    report = invoke("report", "--as-of", "2026-12-07")
    assert report.exit_code == 0, report.output
    rows = read_sheet(tmp_path / "reports" / "report-2026-12-07.xlsx", RENEWAL_SHEET)
    teachers = {row[1]: row[2:7] for row in rows[1:] if row[0] == "运营老师（续费期开始时）"}
    assert teachers == {"张老师": (10, 4, 40, "16.8 ～ 68.7", 0), "李老师": (10, 3, 30, "10.8 ～ 60.3", 0)}
    assert rows[1][2:5] == (20, 7, 35)


def test_the_holdout_shows_the_calls_each_arm_received_and_gives_no_verdict_when_they_were_not_kept_apart(invoke, held_out_weeks):
    from pfkcli.learning import HOLDOUT_COLUMNS, HOLDOUT_STUDENT_COLUMNS, NOT_APART
    from pfkcli.report import HOLDOUT_SHEET, HOLDOUT_STUDENTS_SHEET

    folder, found = held_out_weeks
    path = learned_report(invoke, folder)
    students = read_sheet(path, HOLDOUT_STUDENTS_SHEET)
    assert students[0] == HOLDOUT_STUDENT_COLUMNS
    # Exactly the students missing from the first week's sheet; none reached in the round (a 1-star rating is no promise).
    assert [row[0] for row in students[1:]] == found["held"] == ["H02", "H15", "H25", "H29", "H30"]
    assert {row[0]: row[-1] for row in students[1:]} == {"H02": "否", "H15": "否", "H25": "否", "H29": "否", "H30": "否"}
    assert {(row[4], row[5]) for row in students[1:]} == {(dt.datetime(2026, 11, 9), dt.datetime(2026, 12, 7))}
    rows = read_sheet(path, HOLDOUT_SHEET)
    assert rows[0] == HOLDOUT_COLUMNS
    running = "留出期还没结束（到 2026-12-07）："
    overall = [dict(zip(HOLDOUT_COLUMNS, row)) for row in rows[1:] if row[0] == "全部"]
    # The calls each arm received in the round: 25 kept, reached 25 + 3 times (11-09, 11-23); the 5
    # held out none. Far apart: a verdict may follow.
    calls = overall[0]
    assert (calls["结果"], calls["照常安排（人）"], calls["照常：其中"], calls["留出（人）"], calls["留出：其中"]) == ("留出期内接通电话（次）", 25, 28, 5, 0)
    assert calls["结论"] == running + "两组分开了：照常安排的每人接通 1.12 次，留出的 0.00 次"
    active = overall[1]
    assert (active["结果"], active["照常安排（人）"], active["照常：其中"], active["留出（人）"], active["留出：其中"]) == ("14 天后仍在学习", 25, 25, 5, 5)
    assert active["结论"] == running + "还看不出差别（区间包含 0，不等于没有差别）"
    assert (active["能看出的最小差别（百分点）"], active["还需（人）"], active["按目前进度约需（周）"]) == (29.9, 1044, 35)
    assert overall[2]["结论"] == running + "还不能判断：要到 2026-12-07 以后才知道"
    assert [row[0] for row in rows[1:] if row[0] != "（说明）"] == ["重点挽留学员"] * 7 + ["全部"] * 7
    assert NOT_APART == "这次对照两组接到的电话差不多，看不出回访的作用"


def test_a_holdout_whose_arms_got_the_same_calls_says_so_and_concludes_nothing():
    import pandas as pd

    from pfkcli.learning import NOT_APART, HoldoutResult, holdout_table
    from pfkcli.outcomes import OUTCOMES

    # Held-out students called 0.66 times each in their round, kept ones 0.68 (the season).
    draws = pd.DataFrame(
        {
            "student_id": [f"S{i:03d}" for i in range(100)], "held_out": [i < 50 for i in range(100)], "segment": "P_S-F_S-K_L",
            "drawn_on": pd.Timestamp("2026-11-09"), "calls": [1 if i % 50 < 33 else 0 for i in range(100)],
        }
    )
    draws.loc[draws.index[50:84], "calls"] = 1
    for outcome in OUTCOMES:
        draws[outcome.key] = pd.array([i % 3 == 0 or i < 40 for i in range(100)], dtype="boolean")
        draws[f"{outcome.key}_on"] = pd.NaT
    table = holdout_table(HoldoutResult(draws, None))
    overall = table[table["起始分层"] == "全部"]
    assert overall.iloc[0]["结论"] == f"{NOT_APART}（照常 0.68 次、留出 0.66 次）"
    assert set(overall.iloc[1:]["结论"]) == {f"不下结论：{NOT_APART}"}
    assert "（说明）" not in set(table["起始分层"])  # no comparison read: no many-comparisons note


def test_without_a_holdout_the_sheets_say_how_to_turn_it_on(invoke, three_weeks):
    from pfkcli.report import HOLDOUT_SHEET, HOLDOUT_STUDENTS_SHEET

    folder, _ = three_weeks
    path = learned_report(invoke, folder)
    note = "没有留出对照的记录：要比较回访与不回访，在 pfk.toml [plan] 里设 holdout_share（如 0.2），见 README"
    assert read_sheet(path, HOLDOUT_SHEET) == read_sheet(path, HOLDOUT_STUDENTS_SHEET) == [("说明",), (note,)]


def test_a_planted_solution_effect_is_learnt_proposed_more_and_ranked_first(invoke, tmp_path):
    """Six weekly sheets for thirty students of one segment, two solutions. Planted: a student whose row
    proposed the new solution is still learning two weeks later, one proposed the old one is not —
    whatever the teacher typed. Thompson sampling proposes the new one more once outcomes are known,
    and 方案效果 ranks it first with a verdict."""
    import sqlite3

    from pfkcli.learning import SOLUTION_COLUMNS
    from pfkcli.playbooks import load_playbooks
    from pfkcli.report import SOLUTIONS_SHEET

    from ..conftest import callsheet_rows
    from ..weeks import HEADER, NEW_SOLUTION, set_fixed_f

    assert invoke("init", ".").exit_code == 0
    set_fixed_f(tmp_path)
    added = invoke("playbook", "add", "P_S-F_S-K_L", "--author", "张老师", *(f"--{key}={value}" for key, value in NEW_SOLUTION.items()))
    assert added.exit_code == 0, added.output
    new_id = load_playbooks(tmp_path / "playbooks")["P_S-F_S-K_L"].problems[-1].id
    students = [f"W{i:02d}" for i in range(30)]
    days = [dt.date(2026, 10, 5) + dt.timedelta(weeks=w) for w in range(6)]
    proposed: dict[dt.date, dict[str, str]] = {}
    for day in days:
        earlier = proposed.get(day - dt.timedelta(days=14), {})
        rows = []
        for n, sid in enumerate(students):
            # Learning yesterday if two weeks ago the sheet proposed the new solution (or the week is too early to say).
            learning = earlier.get(sid, new_id) == new_id
            last = day - dt.timedelta(days=1 if learning else 20)
            rows.append([sid, f"王{n}", "王老师", 13700000000 + n, 2, 10, 2, 4, dt.datetime.combine(last, dt.time()), None, None, None])
        write_xlsx(tmp_path / f"{day}.xlsx", [HEADER, *rows])
        assert invoke("classify", f"{day}.xlsx", "--as-of", day.isoformat()).exit_code == 0
        assert invoke("callsheet", "--all", "--as-of", day.isoformat()).exit_code == 0
        _, sheet_rows = callsheet_rows(tmp_path / "callsheets" / f"王老师-{day}.xlsx")
        proposed[day] = {row["学号"]: row["建议方案"].split(" ")[0] for row in sheet_rows}
    share_new = [sum(s == new_id for s in week.values()) / len(week) for week in proposed.values()]
    assert share_new[-1] > 0.8 > share_new[0]  # learnt: mostly the one that works, once its outcomes are known
    report = invoke("report", "--as-of", days[-1].isoformat())
    assert report.exit_code == 0, report.output
    rows = [dict(zip(SOLUTION_COLUMNS, row)) for row in read_sheet(tmp_path / "reports" / f"report-{days[-1]}.xlsx", SOLUTIONS_SHEET)[1:]]
    mine = [row for row in rows if row["分层"] == "重点挽留学员" and row["结果"] == "14 天后仍在学习"]
    assert [(row["排名"], row["方案编号"]) for row in mine][0] == (1, new_id)
    assert mine[0]["结论"] == "建议这条的更高" and mine[1]["结论"] == "建议这条的更低"
    assert mine[0]["建议这条：占比（%）"] == 100 and mine[1]["建议这条：占比（%）"] == 0
    with sqlite3.connect(tmp_path / ".pfk" / "history.sqlite") as conn:
        assert conn.execute("SELECT count(DISTINCT proposed_on) FROM proposals").fetchone()[0] == 6


def test_mid_season_renewal_says_it_cannot_tell_yet_rather_than_zero(invoke, classified):
    """The sample roster: 48 students whose renewal window has begun, none renewed, every window open."""
    from pfkcli.report import RENEWAL_SHEET

    assert invoke("report", "--as-of", AS_OF).exit_code == 0
    rows = read_sheet(classified.root / "reports" / f"report-{AS_OF}.xlsx", RENEWAL_SHEET)
    assert rows[1] == ("合计", "续费期已开始的学员", 48, 0, None, None, 48, None, None, None, None, None, None, "还不能判断：续费期未结束，最晚到 2026-12-31 才知道")


def test_the_first_page_answers_how_the_team_is_doing(invoke, three_weeks):
    """概览 on the playbook workspace (tests/weeks.py) with a complaint 李老师 recorded on 11-20 and
    never resolved: the week's numbers each against last week, what needs the lead now, then the
    details; one chart of students at risk, by segment, in the segment colours."""
    import sqlite3

    folder, _ = three_weeks
    with sqlite3.connect(folder / ".pfk" / "history.sqlite") as conn:
        conn.execute(
            "INSERT INTO callbacks (sheet_key, teacher, student_id, called_on, p, k, note, follow_up, source_file, recorded_at,"
            " outcome, reached, problem_type, resolved) VALUES ('extra', '李老师', 'L04', '2026-11-20', NULL, NULL, '嫌课程太难，要投诉',"
            " NULL, 'extra.xlsx', '2026-11-20T10:00:00', '已接通', 1, '投诉', '否')"
        )
        # Two promises due this week: L09's (agreed 11-17 for 11-19, kept by the call of 11-20), Z08's
        # (agreed 11-17 for 11-21, no call since); one due last week, L10's, kept on the day.
        # And 李老师 reached L01, L05, L06 on 11-18: all her students within 14 days, 张老师 4 of 10.
        for student, called, follow in (("L09", "2026-11-17", "2026-11-19"), ("L09", "2026-11-20", None), ("Z08", "2026-11-17", "2026-11-21"),
                                        ("L10", "2026-11-10", "2026-11-14"), ("L10", "2026-11-14", None),
                                        ("L01", "2026-11-18", None), ("L05", "2026-11-18", None), ("L06", "2026-11-18", None)):
            conn.execute(
                "INSERT INTO callbacks (sheet_key, teacher, student_id, called_on, follow_up, source_file, recorded_at, outcome, reached)"
                " VALUES ('extra', '李老师', ?, ?, ?, 'extra.xlsx', '2026-11-20T10:00:00', '已接通', 1)",
                (student, called, follow),
            )
        # Z09 not answering twice since 11-09: one more and the pool takes Z09 (unreachable_after = 3).
        for called in ("2026-11-17", "2026-11-19"):
            conn.execute(
                "INSERT INTO callbacks (sheet_key, teacher, student_id, called_on, source_file, recorded_at, outcome, reached)"
                " VALUES ('extra', '张老师', 'Z09', ?, 'extra.xlsx', '2026-11-20T10:00:00', '未接通', 0)",
                (called,),
            )
    result = invoke("report", "--as-of", "2026-11-23", "-o", "dash.xlsx")
    assert result.exit_code == 0, result.output
    # The terminal says the same first.
    assert "本周接通的回访（次）：12（上周 4）" in result.stdout
    assert "⚠ 投诉未解决：" in result.stdout and "⚠ 老师落后：张老师：回访覆盖 40%" in result.stdout
    header, *rows = read_sheet(folder / "dash.xlsx", OVERVIEW_SHEET)
    assert header[:5] == ("项目", "本周", "上周", "变化", "说明")
    labels = [row[0] for row in rows]
    assert labels[:5] == ["风险学员（人）", "约定跟进按时（%）", "新学员首次联系按时（%）", "接通的回访（次）", "续费率（%）"]
    numbers = {row[0]: dict(zip(header, row)) for row in rows if row[0]}
    # Recorded: 李老师 reached L07, L08 on 11-16 (last week), L02, L03 on 11-23; 张老师 Z01, Z02, Z05 on 11-23.
    assert numbers["接通的回访（次）"]["本周"] == 12 and numbers["接通的回访（次）"]["上周"] == 4  # with the calls put in above
    assert numbers["接通的回访（次）"]["变化"] == "+8"
    assert numbers["新学员首次联系按时（%）"]["说明"] == "名单里没有报名日期，算不出"
    promises = numbers["约定跟进按时（%）"]
    assert (promises["本周"], promises["上周"], promises["变化"]) == (50.0, 100.0, "-50.0 个百分点")
    assert promises["说明"] == "本周到期的 2 个约定跟进，1 个在约定日期（最晚次日）前接通"
    renewal = numbers["续费率（%）"]
    assert renewal["本周"] == 30.0 and "已续费 3 / 10 名" in renewal["说明"] and "95% 区间" in renewal["说明"]
    assert numbers["风险学员（人）"]["说明"] == "流失风险 ≥ 50%（估计的退课或学不完的概率，见回访表的「流失风险」）"
    needs = [row for row in rows if row[0] and row[0].startswith("⚠")]
    assert any(row[0] == "⚠ 投诉未解决" and "L04" not in row[4] and "（李老师）" in row[4] for row in needs), needs
    assert labels.index("⚠ 投诉未解决") < labels.index("本次分层快照")
    soon = next(row[4] for row in needs if row[0] == "⚠ 快进入公海")
    assert soon.startswith("1 名学员 7 天内会进入公海") and soon.endswith("：张老师 1 人")
    behind = next(row[4] for row in needs if row[0] == "⚠ 老师落后")
    assert behind.startswith("张老师：回访覆盖 40%（全组 70%），超期未回访 6 人")
    # No literal nan, None or NaT anywhere in the workbook.
    book = openpyxl.load_workbook(folder / "dash.xlsx")
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and re.search(r"\bnan\b|None|NaT", v) for v in row), (sheet.title, row)


def test_every_chart_is_in_the_segment_colours_and_every_sheet_prints_readably(invoke, three_weeks):
    """Each chart series is filled with a colour of the call sheets' segments (segments.py); each
    sheet prints one page wide, or split side by side when one page would shrink it below ~75 %."""
    import zipfile

    from pfkcli.excel import READABLE_LANDSCAPE_WIDTH

    folder, _ = three_weeks
    assert invoke("report", "--as-of", "2026-11-23", "-o", "dash.xlsx").exit_code == 0
    palette = {s.colour.lstrip("#").upper() for s in ALL_SEGMENTS}
    with zipfile.ZipFile(folder / "dash.xlsx") as book:
        charts = [name for name in book.namelist() if name.startswith("xl/charts/chart")]
        assert len(charts) >= 7
        for name in charts:
            xml = book.read(name).decode("utf-8")
            series = xml.count("<c:ser>")
            fills = re.findall(r'<c:spPr><a:solidFill><a:srgbClr val="([0-9A-F]{6})"/>', xml)
            assert series and len(fills) == series and set(fills) <= palette, (name, fills)
        first = book.read("xl/charts/chart1.xml").decode("utf-8")
    assert "各老师的风险学员（按分层）" in first
    assert "概览!$A$2:$A$3" in first.replace("'", "") or "$F$2:$F$3" in first  # the two teachers' rows only
    workbook = openpyxl.load_workbook(folder / "dash.xlsx")
    for sheet in workbook.worksheets:
        setup = sheet.page_setup
        wide = setup.fitToWidth or 1
        if sheet.print_area:
            continue  # 概览 and the call sheets' kind: their own print area, checked above
        width = sum((d.max - d.min + 1) * d.width for d in sheet.column_dimensions.values() if d.width)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and setup.paperSize == 9, sheet.title
        assert width / wide <= READABLE_LANDSCAPE_WIDTH + 20, (sheet.title, width, wide)
