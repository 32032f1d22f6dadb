"""What every command shares at the console: the user's own text printed as written."""

from __future__ import annotations

import pytest

from ..conftest import AS_OF, write_xlsx
from .test_loop import fill

# Rich markup, a link and an emoji code: each must reach the screen as the characters typed.
BOLD = "[/bold]"
LINK = "[link=http://x]张老师[/link]"
EMOJI = ":smile:"


@pytest.fixture
def odd_names(invoke, tmp_path):
    """A workspace whose teachers and students are named like rich markup; classified, call sheets out."""
    assert invoke("init", ".").exit_code == 0
    header = ["学号", "姓名", "运营老师", "手机号", "作业完成次数", "观看课时", "P", "K", "课程结束日期", "最近学习时间"]
    rows = [
        header,
        ["S001", BOLD, BOLD, 13800000001, 3, 20, 5, 5, "2026-12-01", "2026-11-01"],
        ["S002", LINK, LINK, 13800000002, 0, 0, 1, 1, "2026-12-01", "2026-11-01"],
        ["S003", EMOJI, BOLD, 13800000003, 11, 76, None, None, "2026-12-01", "2026-11-20"],
    ]
    write_xlsx(tmp_path / "roster.xlsx", rows)
    return tmp_path


def test_classify_prints_names_as_written(invoke, odd_names):
    result = invoke("classify", "roster.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert BOLD in result.stdout and LINK in result.stdout


def test_check_prints_names_as_written(invoke, odd_names):
    result = invoke("check", "roster.xlsx")
    assert result.exit_code == 0, result.output
    assert BOLD in result.stdout and LINK in result.stdout


def test_callsheet_and_record_print_names_as_written(invoke, odd_names):
    assert invoke("classify", "roster.xlsx", "--as-of", AS_OF).exit_code == 0
    sheets = invoke("callsheet", "--all", "--as-of", AS_OF)
    assert sheets.exit_code == 0, sheets.output
    assert BOLD in sheets.stdout and LINK in sheets.stdout

    (path,) = [p for p in (odd_names / "callsheets").iterdir() if "张老师" in p.name]
    fill(path, {"S002": {"P（1-5）": 4, "K（1-5）": 4, "回访备注": f"{BOLD} 说周末补课 {LINK}"}})
    recorded = invoke("record", path)
    assert recorded.exit_code == 0, recorded.output
    assert f"（{LINK}，{AS_OF}）：已导入 1 条回访" in recorded.stdout

    history = invoke("history", "S002")
    assert history.exit_code == 0, history.output
    assert LINK in history.stdout and f"{BOLD} 说周末补课" in history.stdout


def test_alerts_prints_names_as_written(invoke, odd_names):
    result = invoke("alerts", "roster.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert BOLD in result.stdout and LINK in result.stdout and EMOJI in result.stdout


def test_history_of_an_odd_id_prints_it_as_written(invoke, odd_names):
    assert invoke("classify", "roster.xlsx", "--as-of", AS_OF).exit_code == 0
    result = invoke("history", LINK)
    assert result.exit_code == 2
    assert result.stderr == f"错误：历史里没有学号 {LINK} 的记录\n"


def test_playbook_show_and_list_print_entries_as_written(invoke, odd_names):
    added = invoke("playbook", "add", "待回访", "--problem", f"{BOLD}问题", "--solution", LINK, "--author", EMOJI)
    assert added.exit_code == 0, added.output
    shown = invoke("playbook", "show", "待回访")
    assert shown.exit_code == 0, shown.output
    assert f"问题：{BOLD}问题" in shown.stdout
    assert f"办法：{LINK}" in shown.stdout
    assert f"—— {EMOJI} · " in shown.stdout
    listed = invoke("playbook", "list")
    assert listed.exit_code == 0, listed.output
    assert "待回访" in listed.stdout


@pytest.fixture
def bad_roster(tmp_path):
    """200 rows, each with a word where a number belongs in two columns: 400 problems."""
    header = ["学号", "姓名", "运营老师", "作业完成次数", "观看课时", "P", "K"]
    rows = [header] + [[f"S{n:04d}", f"学员{n}", "张老师", "十", "很多", 5, 5] for n in range(200)]
    return write_xlsx(tmp_path / "bad.xlsx", rows)


def test_a_long_listing_stops_after_a_screenful_with_counts(invoke, bad_roster):
    result = invoke("check", bad_roster)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "发现 400 处问题："  # check writes nothing, so it does not say it wrote nothing
    assert lines[1] == 'bad.xlsx › 学员名单 › 第2行 › 作业完成次数: "十" 不是数字  [bad_number]'.join(["  ", ""])
    assert "  …… 以上是前 30 处，共 400 处。按列统计：" in lines
    assert '    作业完成次数  [bad_number]  200 处，如："十" 不是数字' in lines
    assert any(line.startswith("    观看课时  [bad_number]  200 处") for line in lines)
    assert lines[-1] == "  完整清单：pfk check bad.xlsx --problems 问题清单.xlsx"
    assert len(lines) < 40


def test_a_writing_command_says_it_wrote_nothing(invoke, bad_roster):
    result = invoke("classify", bad_roster)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == "发现 400 处问题，未写出任何文件："
    assert len(result.stderr.splitlines()) < 40
