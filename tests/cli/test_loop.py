"""The weekly loop through the CLI: classify → callsheet → fill in → record → classify → history."""

from __future__ import annotations

import openpyxl
import pytest

from pfkcli.outputs import CALLSHEET_COLUMNS, FILL_IN_COLUMNS, REFERENCE_COLUMNS, RESULT_SHEET

from ..conftest import AS_OF, HEADER, callsheet_rows, fill_callsheet, student, write_xlsx


@pytest.fixture
def workspace(invoke, roster, tmp_path):
    assert invoke("init", ".").exit_code == 0
    assert invoke("classify", roster, "--as-of", AS_OF).exit_code == 0
    return tmp_path


def segment_of(path, sid):
    ws = openpyxl.load_workbook(path)[RESULT_SHEET]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2, values_only=True):
        if row[0] == sid:
            return row[header.index("分层代码")]
    raise AssertionError(sid)


def test_callsheet_for_one_teacher(invoke, workspace):
    result = invoke("callsheet", "--teacher", "李老师", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    path = workspace / "callsheets" / f"李老师-{AS_OF}.xlsx"
    header, rows = callsheet_rows(path)
    assert header == list(CALLSHEET_COLUMNS) + list(FILL_IN_COLUMNS) + list(REFERENCE_COLUMNS)
    assert [r["学号"] for r in rows][0] == "S004"  # the never-called student comes first
    assert {r["学号"] for r in rows} <= {"S003", "S004"}  # 李老师's students alone
    assert rows[0]["为什么现在打"].startswith("还没打过分")
    assert rows[0]["手机号"] == "13800000004"
    assert rows[0]["分层"] == "待回访"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["回访表", "话术与方案", "说明", "方案选项"]
    assert book["方案选项"].sheet_state == "hidden"  # the 使用方案 lists, out of sight


def test_whole_loop(invoke, workspace, roster):
    assert invoke("callsheet", "--all", "--as-of", AS_OF).exit_code == 0
    path = workspace / "callsheets" / f"李老师-{AS_OF}.xlsx"
    fill_callsheet(path, {"S004": {"P（1-5）": 5, "K（1-5）": 5, "回访备注": "工作忙，周末补课", "下次跟进日期": "2026-11-30"}})
    first = invoke("record", path)
    assert first.exit_code == 0, first.output
    assert "已导入 1 条回访" in first.output
    again = invoke("record", path)
    assert again.exit_code == 0 and "之前已经导入过，内容没有变化" in again.output

    after = invoke("classify", roster, "--as-of", "2026-11-24")
    assert after.exit_code == 0, after.output
    code = segment_of(workspace / "roster.pfk.xlsx", "S004")
    assert code.startswith("P_L-") and code.endswith("-K_L")

    history = invoke("history", "S004")
    assert history.exit_code == 0
    assert "回访记录（1 次回访）" in history.output and "工作忙，周末补课" in history.output
    assert "历次分层（2 次）" in history.output


def test_corrected_file_replaces_and_invalid_rows_record_nothing(invoke, workspace):
    invoke("callsheet", "--teacher", "李老师", "--as-of", AS_OF)
    path = workspace / "callsheets" / f"李老师-{AS_OF}.xlsx"
    fill_callsheet(path, {"S004": {"P（1-5）": 7, "K（1-5）": "很好"}})
    bad = invoke("record", path)
    assert bad.exit_code == 2
    assert f'李老师-{AS_OF}.xlsx › 回访表 › 第2行 › P（1-5）: "7" 不是 1-5 的分数' in bad.output
    assert "回访记录（0 次回访）" in invoke("history", "S004").output  # nothing was recorded
    fill_callsheet(path, {"S004": {"P（1-5）": 2, "K（1-5）": 3}})
    assert "已导入 1 条" in invoke("record", path).output
    fill_callsheet(path, {"S004": {"P（1-5）": 4}})
    corrected = invoke("record", path)
    assert "已更新" in corrected.output
    shown = invoke("history", "S004").output
    assert "回访记录（1 次回访）" in shown and "│ 4 │ 3 │" in shown


def test_skip_invalid_records_the_good_rows(invoke, tmp_path):
    rows = [HEADER] + [student(f"S00{i}", f"学员{i}", "张老师", 1, 1, None, None) for i in range(1, 4)]
    write_xlsx(tmp_path / "r.xlsx", rows)
    invoke("init", ".")
    invoke("classify", "r.xlsx", "--as-of", AS_OF)
    invoke("callsheet", "--teacher", "张老师", "--as-of", AS_OF)
    path = tmp_path / "callsheets" / f"张老师-{AS_OF}.xlsx"
    fill_callsheet(path, {"S001": {"P（1-5）": 4, "K（1-5）": 4}, "S002": {"P（1-5）": "x"}, "S003": {"回访备注": "没接"}})
    result = invoke("record", path, "--skip-invalid")
    assert result.exit_code == 0
    assert "已导入 2 条回访" in result.output and "第3行 › P（1-5）" in result.output


def test_teacher_name_cannot_climb_out(invoke, tmp_path):
    rows = [HEADER, student("S001", "张伟", "../../x", 1, 1, 5, 5), student("S002", "王芳", "a/..\\b:c\t", 1, 1, None, None)]
    write_xlsx(tmp_path / "r.xlsx", rows)
    invoke("init", ".")
    result = invoke("callsheet", "--all", "--roster", "r.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "callsheets").iterdir())
    assert written == [f"a___b_c-{AS_OF}.xlsx", f"x-{AS_OF}.xlsx"]
    assert not (tmp_path.parent / "x").exists() and not list(tmp_path.parent.parent.glob(f"x-{AS_OF}*"))


def test_callsheet_needs_a_snapshot_or_a_roster(invoke):
    result = invoke("callsheet", "--all")
    assert result.exit_code == 2
    assert "还没有分层结果" in result.output


def test_record_needs_a_workspace(invoke, tmp_path):
    result = invoke("record", tmp_path / "x.xlsx")
    assert result.exit_code == 2 and "需要工作区" in result.output
