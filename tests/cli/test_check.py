"""pfk check: every problem of every file, a summary per teacher and course."""

from __future__ import annotations

import re
from pathlib import Path

from ..conftest import HEADER, SAMPLES, read_sheet, student, write_xlsx
from ..platform_exports import platform_roster

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_check_summarises_the_samples(invoke):
    result = invoke("check", SAMPLES / "roster.xlsx", SAMPLES / "roster_gbk.csv")
    assert result.exit_code == 0, result.output
    assert "✓ roster.xlsx › 学员名单：48 名学员" in result.output
    assert "✓ roster_gbk.csv：48 名学员" in result.output
    assert "roster.xlsx › 学员名单 › 第52行: 「合计」行是合计行，已跳过" in result.output
    assert "│ 张老师   │         12 │" in result.output


def test_problems_of_all_files_at_once(invoke, tmp_path):
    bad = write_xlsx(tmp_path / "bad.xlsx", [HEADER, student("S1", "张伟", "张老师", "十", 1, 5, 5)])
    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    result = invoke("check", bad, tmp_path / "broken.xlsx", tmp_path / "missing.csv")
    assert result.exit_code == 2
    lines = [line.strip() for line in result.output.splitlines()]
    assert 'bad.xlsx › 学员名单 › 第2行 › 作业完成次数: "十" 不是数字  [bad_number]' in lines
    assert any(line.startswith("broken.xlsx: 不是有效的 Excel/WPS 表格文件") for line in lines)
    assert any(line.startswith("missing.csv: ") and "文件不存在" in line for line in lines)
    assert "Traceback" not in result.output


def test_a_platform_export_passes(invoke, tmp_path):
    result = invoke("check", platform_roster(tmp_path), "--as-of", "2026-11-23")
    assert result.exit_code == 0, result.output
    assert "✓ platform.xlsx › 张老师、李老师：4 名学员" in result.output
    assert "platform.xlsx: 读取了 2 个表头相同的工作表：「张老师」、「李老师」，合为一份名单  [sheets_read]" in result.output


def test_problems_written_as_a_workbook(invoke, tmp_path):
    bad = write_xlsx(tmp_path / "bad.xlsx", [HEADER] + [student(f"S{i}", "张伟", "张老师", "十", 1, 5, 5) for i in range(1, 4)])
    (tmp_path / "broken.xls").write_bytes((FIXTURES / "ptgexp-truncated-operand.xls").read_bytes())
    result = invoke("check", bad, tmp_path / "broken.xls", "--problems", tmp_path / "problems.xlsx")
    assert result.exit_code == 2
    assert f"全部问题已写入 {tmp_path / 'problems.xlsx'}" in result.stderr
    rows = read_sheet(tmp_path / "problems.xlsx", "问题")
    assert rows[0] == ("文件", "工作表", "行", "列", "代码", "说明")
    assert [row[:5] for row in rows[1:]] == [
        ("bad.xlsx", "学员名单", 2, "作业完成次数", "bad_number"),
        ("bad.xlsx", "学员名单", 3, "作业完成次数", "bad_number"),
        ("bad.xlsx", "学员名单", 4, "作业完成次数", "bad_number"),
        ("broken.xls", None, None, None, "unreadable"),
    ]
    assert rows[1][5] == '"十" 不是数字'
    assert read_sheet(tmp_path / "problems.xlsx", "提示") == [("文件", "工作表", "行", "列", "代码", "说明")]


def test_a_problem_list_must_be_an_xlsx_and_is_refused_before_reading(invoke, tmp_path):
    result = invoke("check", tmp_path / "missing.xlsx", "--problems", tmp_path / "problems.csv")
    assert result.exit_code == 2
    assert "问题清单要写成 .xlsx 文件" in result.stderr and "文件不存在" not in result.output


def test_check_warns_when_f_cannot_be_scored(invoke, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", [["学号", "姓名", "运营老师", "作业完成次数"], ["S1", "张伟", "张老师", 3]])
    result = invoke("check", path)
    assert result.exit_code == 0, result.output
    assert "名单里没有「观看课时」（观看课时、已学课时" in result.output and "[no_progress]" in result.output
    log = tmp_path / "e.csv"
    log.write_text("学号,时间,类型,时长\nS1,2026-11-20,看课,30\n", encoding="utf-8")
    assert "[no_progress]" not in invoke("check", path, "--progress", log).output


def test_bad_log_given_to_check_is_checked_too(invoke, tmp_path):
    log = tmp_path / "e.csv"
    log.write_text("学号,时间,类型,时长\nS1,昨天,看课,30\n", encoding="utf-8")
    result = invoke("check", SAMPLES / "roster.xlsx", "--progress", log)
    assert result.exit_code == 2
    assert 'e.csv › 第2行 › 时间: "昨天" 不是日期时间' in result.stderr


def test_unreadable_workbooks_are_said_in_chinese_alone(invoke, tmp_path):
    result = invoke("check", FIXTURES / "ptgexp-truncated-operand.xls", FIXTURES / "password.ods", FIXTURES / "password.xls")
    assert result.exit_code == 2
    assert "ptgexp-truncated-operand.xls: 这个文件无法读取（" in result.stderr
    assert "password.ods: 文件设置了打开密码（已加密）" in result.stderr
    messages = [line.split(": ", 1)[1].rsplit("  [", 1)[0] for line in result.stderr.splitlines() if ": " in line]
    assert len(messages) == 3
    assert not any(re.search(r"[A-Za-z]{3,}", m.replace(".xlsx", "").replace("Excel", "").replace("WPS", "")) for m in messages), messages
