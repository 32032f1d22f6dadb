"""pfk check: every problem of every file, a summary per teacher and course."""

from __future__ import annotations

from ..conftest import HEADER, SAMPLES, student, write_xlsx


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
