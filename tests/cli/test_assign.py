"""pfk assign through the CLI, on real workbooks in a real workspace."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import openpyxl
import pytest
from rich.cells import cell_len

from pfkcli.outputs import ASSIGN_CHANGES_COLUMNS, ASSIGN_CHANGES_SHEET, ASSIGN_ROSTER_SHEET

from ..conftest import AS_OF, read_sheet, write_xlsx

HEADER = ["学号", "姓名", "运营老师", "手机号", "作业完成次数", "观看时长（分钟）", "P", "K", "备注"]
CAPACITIES = {"张老师": 40, "李老师": 20, "赵老师": 20}
TEAM = """
[teachers."张老师"]
capacity = 40
[teachers."李老师"]
capacity = 20
[teachers."赵老师"]
capacity = 20
[teachers."王老师"]
capacity = 30
active = false
"""


def held_back_rows(header=HEADER):
    """张老师 10, 李老师 3, 赵老师 5, 王老师 (inactive) 6, nobody 12: 36 students."""
    holders = ["张老师"] * 10 + ["李老师"] * 3 + ["赵老师"] * 5 + ["王老师"] * 6 + [None] * 12
    rows = [header]
    for n, teacher in enumerate(holders):
        p, k = (None, None) if n % 4 == 0 else (1 + n % 5, 1 + n * 3 % 5)
        rows.append([f"S{n + 1:03d}", f"学员{n + 1}", teacher, 13800000000 + n, n % 12, n * 97 % 4560, p, k, f"备注{n}"])
    return rows


@pytest.fixture
def team(invoke, tmp_path):
    assert invoke("init", ".").exit_code == 0
    with open(tmp_path / "pfk.toml", "a", encoding="utf-8") as config:
        config.write(TEAM)
    write_xlsx(tmp_path / "roster.xlsx", held_back_rows())
    return tmp_path


def sheet_dicts(path, sheet):
    header, *rows = read_sheet(path, sheet)
    return [dict(zip(header, row)) for row in rows]


def test_every_student_gets_an_active_teacher_and_the_roster_goes_back_whole(invoke, team):
    result = invoke("assign", "roster.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "分配了 18 名学员（2026-11-23）：没有运营老师 12 人，原老师已停用 6 人" in result.stdout

    path = team / "roster.assign.xlsx"
    assert openpyxl.load_workbook(path).sheetnames == [ASSIGN_ROSTER_SHEET, ASSIGN_CHANGES_SHEET]
    rows = sheet_dicts(path, ASSIGN_ROSTER_SHEET)
    assert list(rows[0]) == HEADER  # every column, in order, under its own header
    before = {row[0]: row[2] for row in held_back_rows()[1:]}
    after = {row["学号"]: row["运营老师"] for row in rows}
    assert len(after) == 36 and set(after.values()) == set(CAPACITIES)  # 王老师 holds no one
    loads = Counter(after.values())
    for name, capacity in CAPACITIES.items():
        assert abs(loads[name] - Fraction(36 * capacity, 80)) < 1
    assert all(after[sid] == teacher for sid, teacher in before.items() if teacher in CAPACITIES)
    first = rows[0]
    assert (first["手机号"], first["观看时长（分钟）"], first["备注"]) == ("13800000000", 0, "备注0")
    assert rows[5]["观看时长（分钟）"] == 485  # minutes as typed, not turned into hours

    changes = sheet_dicts(path, ASSIGN_CHANGES_SHEET)
    assert list(changes[0]) == list(ASSIGN_CHANGES_COLUMNS)
    assert len(changes) == 18
    assert {(c["学号"], c["原运营老师"], c["原因"]) for c in changes if c["学号"] == "S019"} == {("S019", "王老师", "原运营老师 王老师 已停用")}
    assert {c["原因"] for c in changes if c["原运营老师"] is None} == {"名单里没有运营老师"}

    check = invoke("check", path, "--sheet", ASSIGN_ROSTER_SHEET)
    assert check.exit_code == 0, check.output
    assert "✓ roster.assign.xlsx › 学员名单：36 名学员" in check.stdout


def test_the_summary_shows_each_load_against_capacity(invoke, team):
    result = invoke("assign", "roster.xlsx", "--as-of", AS_OF)
    lines = result.stdout.splitlines()
    start = lines.index("各老师带的学员（分配前 → 分配后）")
    table = {line.split()[0]: line.split()[1:] for line in lines[start + 1 :] if line.split() and line.split()[0] in {*CAPACITIES, "王老师", "未分配", "合计"}}
    assert table["张老师"] == ["40", "10", "18", "22"]
    assert table["李老师"] == ["20", "3", "9", "11"]
    assert table["王老师"] == ["6", "0", "停用"]
    assert table["未分配"] == ["12", "0"]
    assert table["合计"] == ["80", "36", "36"]


def test_moves_are_in_the_history_and_a_second_run_moves_no_one(invoke, team):
    assert invoke("assign", "roster.xlsx", "--as-of", AS_OF).exit_code == 0
    first = read_sheet(team / "roster.assign.xlsx", ASSIGN_ROSTER_SHEET)
    shown = invoke("history", "S019")
    assert shown.exit_code == 0, shown.output
    assert "S019 的运营老师变动（1 次）" in shown.stdout and "原运营老师 王老师 已停用" in shown.stdout

    again = invoke("assign", "roster.xlsx", "--as-of", AS_OF)
    assert again.exit_code == 0, again.output
    assert "分配了 0 名学员（2026-11-23）" in again.stdout
    assert "注意：没有需要分配的学员：每位学员都有在职的运营老师" in again.stdout
    assert read_sheet(team / "roster.assign.xlsx", ASSIGN_ROSTER_SHEET) == first
    assert len(read_sheet(team / "roster.assign.xlsx", ASSIGN_CHANGES_SHEET)) == 19  # the 18 still differ from the platform


def test_the_assigned_roster_classifies_and_the_teachers_follow(invoke, team):
    assert invoke("assign", "roster.xlsx", "--as-of", AS_OF).exit_code == 0
    # The platform was not told yet: the old roster, blank teachers and 王老师 still in it, is what comes back.
    # classify refuses blanks; the assigned roster (imported back) classifies, each student with the new teacher.
    assert invoke("classify", "roster.xlsx", "--as-of", AS_OF).exit_code == 2
    result = invoke("classify", "roster.assign.xlsx", "--as-of", AS_OF, "-o", "out.xlsx")
    assert result.exit_code == 0, result.output
    body = {line.split()[0]: line.split()[-1] for line in result.stdout.splitlines() if line.split() and line.split()[0] in CAPACITIES}
    assert body == {"张老师": "18", "李老师": "9", "赵老师": "9"}


def test_classify_and_check_still_refuse_a_blank_teacher(invoke, team):
    for command in ("classify", "check"):
        result = invoke(command, "roster.xlsx", "--as-of", AS_OF)
        assert result.exit_code == 2
        # The way on is said on the row: pfk assign, then classify the roster it writes.
        assert (
            "roster.xlsx › 学员名单 › 第26行 › 运营老师: 运营老师是空的：新学员请先运行 pfk assign roster.xlsx 分配老师，"
            "再对它写出的 roster.assign.xlsx 运行 pfk classify"
        ) in result.output


def test_a_roster_without_a_teacher_column_gets_one(invoke, team):
    rows = [[cell for position, cell in enumerate(row) if position != 2] for row in held_back_rows()]
    write_xlsx(team / "new.xlsx", rows)
    result = invoke("assign", "new.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "分配了 36 名学员（2026-11-23）：没有运营老师 36 人" in result.stdout
    header, *body = read_sheet(team / "new.assign.xlsx", ASSIGN_ROSTER_SHEET)
    assert list(header) == [h for h in HEADER if h != "运营老师"] + ["运营老师"]
    assert Counter(row[-1] for row in body) == {"张老师": 18, "李老师": 9, "赵老师": 9}
    assert invoke("check", team / "new.assign.xlsx", "--sheet", ASSIGN_ROSTER_SHEET).exit_code == 0


def test_rebalance_moves_the_fewest(invoke, team):
    rows = [HEADER] + [[f"S{n:03d}", f"学员{n}", "张老师" if n < 30 else "李老师", None, 1, 1, 3, 3, ""] for n in range(40)]
    write_xlsx(team / "uneven.xlsx", rows)
    kept = invoke("assign", "uneven.xlsx", "--as-of", AS_OF)
    assert "分配了 0 名学员（2026-11-23）" in kept.stdout
    assert "注意：张老师 已有 30 人，超过按容量应带的 20.0 人；加 --rebalance 可把多出的学员分给其他老师" in kept.stdout
    assert "李老师 已有" not in kept.stdout  # 10 of a share of 10
    result = invoke("assign", "uneven.xlsx", "--as-of", AS_OF, "--rebalance")
    assert result.exit_code == 0, result.output
    # 40 students over 40 : 20 : 20 → 20, 10, 10: 张老师 gives up 10, 李老师 keeps hers and takes none.
    assert "分配了 10 名学员（2026-11-23）：均衡负载 10 人" in result.stdout
    body = read_sheet(team / "uneven.assign.xlsx", ASSIGN_ROSTER_SHEET)[1:]
    assert Counter(row[2] for row in body) == {"张老师": 20, "李老师": 10, "赵老师": 10}
    assert all(row[2] == "李老师" for row in body if row[0] >= "S030")


def test_more_students_than_capacity_is_said_plainly(invoke, tmp_path):
    assert invoke("init", ".").exit_code == 0
    with open(tmp_path / "pfk.toml", "a", encoding="utf-8") as config:
        config.write('[teachers."张老师"]\ncapacity = 2\n[teachers."李老师"]\ncapacity = 1\n')
    write_xlsx(tmp_path / "r.xlsx", [HEADER] + [[f"S{n}", f"学员{n}", None, None, 1, 1, 3, 3, ""] for n in range(6)])
    result = invoke("assign", "r.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert ("注意：学员 6 人，在职老师的容量共 3 人，多出 3 人：仍全部按容量比例分给在职老师（每人都会超出容量）；"
            "请在 pfk.toml 的 [teachers] 里调高 capacity 或增加老师") in result.stdout
    assert Counter(row[2] for row in read_sheet(tmp_path / "r.assign.xlsx", ASSIGN_ROSTER_SHEET)[1:]) == {"张老师": 4, "李老师": 2}


def test_bad_input_and_bad_outputs_write_nothing(invoke, team):
    write_xlsx(team / "bad.xlsx", [HEADER, ["S1", "学员1", None, None, "十", 1, 3, 3, ""]])
    bad = invoke("assign", "bad.xlsx", "--as-of", AS_OF)
    assert bad.exit_code == 2
    assert 'bad.xlsx › 学员名单 › 第2行 › 作业完成次数: "十" 不是数字' in bad.output
    over_input = invoke("assign", "roster.xlsx", "-o", "roster.xlsx", "--as-of", AS_OF)
    assert over_input.exit_code == 2 and "这是输入文件" in over_input.output
    assert not list(team.glob("*.assign.xlsx"))
    assert "历史里没有学号 S019 的记录" in invoke("history", "S019").output


def test_no_active_teacher_is_one_clear_line(invoke, tmp_path):
    assert invoke("init", ".").exit_code == 0
    with open(tmp_path / "pfk.toml", "a", encoding="utf-8") as config:
        config.write('[teachers."王老师"]\nactive = false\n')
    write_xlsx(tmp_path / "r.xlsx", [HEADER, ["S1", "学员1", "王老师", None, 1, 1, 3, 3, ""]])
    result = invoke("assign", "r.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 2
    assert result.stderr.startswith("错误：没有可以分配学员的在职老师")
    assert not (tmp_path / "r.assign.xlsx").exists()


def test_ten_teachers_fit_80_columns_with_every_name_whole(invoke, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    names = [f"欧阳老师（{n}组）" if n % 3 == 0 else f"老师{n}" for n in range(10)]
    rows = [HEADER] + [[f"S{n:03d}", f"学员{n}", names[n % 10] if n < 60 else None, None, 1, 1, 3, 3, ""] for n in range(90)]
    write_xlsx(tmp_path / "r.xlsx", rows)
    result = invoke("assign", "r.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    start = lines.index("各老师带的学员（分配前 → 分配后）")
    table = lines[start : next(n for n, line in enumerate(lines) if line.startswith("合计")) + 1]
    assert max(cell_len(line) for line in table) <= 80
    assert {line.split()[0] for line in table if line.split()} >= set(names)


def test_new_students_of_a_course_begun_long_ago_reach_assign_not_the_pool(invoke, tmp_path):
    """New students, the teacher blank and no enrolment column, on a course that began in September
    and with no learning yet: they wait for a teacher — pfk assign gives them one — rather than
    counting as 30 days without study (the pool), which left assign saying everyone had a teacher
    while its table showed 公海 2, and pool list showing none."""
    import datetime as dt

    assert invoke("init", ".").exit_code == 0
    header = [*HEADER, "最近学习时间", "开课日期", "课程结束日期"]
    course = [dt.datetime(2026, 9, 1), dt.datetime(2027, 1, 20)]
    rows = [header]
    rows += [[f"S00{n}", f"学员{n}", "张老师", 13800000000 + n, 3, 20, 4, 4, "", dt.datetime(2026, 11, 20), *course] for n in range(1, 5)]
    rows += [[f"S01{n}", f"新学员{n}", None, 13900000000 + n, 0, 0, None, None, "", None, *course] for n in range(2)]
    write_xlsx(tmp_path / "roster.xlsx", rows)
    result = invoke("classify", "roster.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 2 and "新学员请先运行 pfk assign roster.xlsx 分配老师" in result.output
    result = invoke("assign", "roster.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"分配了 2 名学员（{AS_OF}）：没有运营老师 2 人")
    assert "公海" not in result.output and "每位学员都有在职的运营老师" not in result.output
    assert [row["运营老师"] for row in sheet_dicts(tmp_path / "roster.assign.xlsx", "分配结果")] == ["张老师", "张老师"]
    result = invoke("classify", "roster.assign.xlsx", "--as-of", AS_OF, "-o", "out.xlsx")
    assert result.exit_code == 0, result.output
    result = invoke("pool", "list", "--as-of", AS_OF)
    assert result.exit_code == 0 and "共 0 人" in result.stdout
