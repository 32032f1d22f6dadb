"""What every command shares at the console: the user's own text printed as written, listings that
fit a screen, click's own messages and help pages in Chinese."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.main import get_command

from pfkcli.cli import app

from ..conftest import AS_OF, SAMPLES, fill_callsheet, write_xlsx
from .test_install import installed_pfk

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
    fill_callsheet(path, {"S002": {"P（1-5）": 4, "K（1-5）": 4, "回访备注": f"{BOLD} 说周末补课 {LINK}"}})
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
    assert any(line.startswith("    观看课时  [bad_hours]  200 处") for line in lines)
    assert lines[-1] == "  完整清单：pfk check bad.xlsx --problems 问题清单.xlsx"
    assert len(lines) < 40


def test_a_writing_command_says_it_wrote_nothing(invoke, bad_roster):
    result = invoke("classify", bad_roster)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == "发现 400 处问题，未写出任何文件："
    assert len(result.stderr.splitlines()) < 40


# --- click's own messages, in Chinese ---------------------------------------------------------------

# Every English word a run over bad input may print is one of these: pfk's command and option names,
# file types, and what the test itself typed.
ALLOWED_WORDS = {
    "pfk", "init", "check", "classify", "callsheet", "messages", "record", "history", "alerts", "report", "backup",
    "playbook", "list", "show", "add", "help", "version", "debug", "progress", "output", "sheet", "mask",
    "phone", "teacher", "all", "roster", "limit", "called", "skip", "invalid", "since", "problem",
    "solution", "author", "yes", "true", "false", "xlsx", "xls", "ods", "csv", "nope", "clasify", "bad",
    "abc", "teache", "maybe", "shwo", "restore", "fresh", "accept", "unknown", "replace", "assign", "pool", "risk", "fit", "messages",
    "rebalance", "release", "claim", "reason", "count", "renewal",
}


def english_words(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"[A-Za-z]{3,}", text)} - ALLOWED_WORDS


@pytest.mark.parametrize(
    ("args", "first_line"),
    [
        (["nope"], "错误：没有「nope」这个命令。可用的命令：init、check、classify、callsheet、messages、record、history、alerts、report、assign、backup、restore、playbook、pool、risk"),
        (["clasify"], "错误：没有「clasify」这个命令，是不是 classify？"),
        (["playbook", "shwo"], "错误：没有「shwo」这个命令，是不是 show？"),
        (["classify"], "错误：缺少参数「名单」：学员名单（.xlsx/.xls/.ods/.csv）"),
        (["history"], "错误：缺少参数「学号」"),
        (["classify", "r.xlsx", "--bad"], "错误：没有 --bad 这个选项"),
        (["callsheet", "--teache", "x"], "错误：没有 --teache 这个选项，是不是想用 --teacher？"),
        (["classify", "r.xlsx", "--as-of"], "错误：--as-of 后面要跟一个值"),
        (["report", "--mask-phone=maybe"], "错误：--mask-phone 是开关，后面不能跟值"),
        (["callsheet", "--all", "--limit", "abc"], "错误：选项 --limit 的值不对：「abc」不是整数"),
        (["callsheet", "--all", "--limit", "0"], "错误：选项 --limit 的值不对：不能小于 1（写的是 0）"),
        (["classify", "a.xlsx", "b.xlsx", "c.xlsx"], "错误：多出了参数：b.xlsx c.xlsx"),
        (["classify", "r.xlsx", "--as-of", "2026-13-45"], '错误：--as-of 的值 "2026-13-45" 不是日期，请写成 2026-11-23'),
        (["--debug"], "错误：缺少命令"),
    ],
)
def test_usage_errors_are_in_chinese(invoke, args, first_line):
    result = invoke(*args)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == first_line
    assert not english_words(result.output), result.output


def test_a_usage_error_shows_the_usage_line_and_where_to_read_more(invoke):
    result = invoke("callsheet", "--all", "--limit", "abc")
    assert result.stderr.splitlines()[1:] == ["用法：pfk callsheet [选项]", "详细说明：pfk callsheet --help"]


# What click and typer write on a help page of their own.
CLICK_HELP_WORDS = ("Usage", "Options", "Arguments", "Commands", "Show this message", "required", "default", "<path>", "<str>", "<int")


def test_no_arguments_shows_the_help_in_chinese(invoke):
    for args in ([], ["playbook"]):
        result = invoke(*args)
        assert result.exit_code == 2
        assert result.output.startswith(f"用法：pfk {' '.join(args)}".rstrip() + " [选项] 命令 [参数]...")
        assert "命令：" in result.output
        assert not [word for word in CLICK_HELP_WORDS if word in result.output]


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield (*prefix, name)
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name)


HELP_PAGES = [(), *_commands(get_command(app))]


@pytest.mark.parametrize("path", HELP_PAGES, ids=lambda path: " ".join(path) or "pfk")
def test_help_is_chinese_and_fits_80_columns(invoke, monkeypatch, path):
    monkeypatch.setenv("COLUMNS", "80")
    result = invoke(*path, "--help")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"用法：pfk {' '.join(path)}".rstrip() + " [选项]")
    assert "  --help" in result.stdout and "显示这份说明，然后退出。" in result.stdout
    assert all(cell_len(line) <= 80 for line in lines), "\n".join(line for line in lines if cell_len(line) > 80)
    assert not [word for word in CLICK_HELP_WORDS if word in result.stdout]


def test_installed_pfk_wraps_chinese_help_at_80_columns():
    env = {**os.environ, "COLUMNS": "80"}
    result = subprocess.run([installed_pfk(), "classify", "--help"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0
    assert result.stdout.splitlines()[:3] == ["用法：pfk classify [选项] 名单", "", "  按 PFK 模型给每位学员打分分层，写出结果表，并打印分层 × 老师的统计。"]
    assert "  --progress 学习记录  学习记录明细（每行一次看课或交作业），代替名单里的作" in result.stdout
    assert "                       业、课时列。" in result.stdout
    assert max(cell_len(line) for line in result.stdout.splitlines()) <= 80


# --- streams that cannot write Chinese ------------------------------------------------------------


def _run_with(env_changes: dict, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONIOENCODING", "PYTHONUTF8", "LC_ALL", "LANG")}
    env.update(env_changes)
    return subprocess.run([installed_pfk(), *args], capture_output=True, env=env, timeout=120)


@pytest.mark.parametrize("env", [{"PYTHONIOENCODING": "ascii"}, {"LC_ALL": "C", "PYTHONUTF8": "0"}, {"PYTHONIOENCODING": "cp1252"}], ids=["ascii", "C-locale", "cp1252"])
def test_a_stream_that_cannot_write_chinese_gets_utf8(env):
    result = _run_with(env, "check", str(SAMPLES / "roster.xlsx"))
    assert result.returncode == 0, result.stderr
    assert "✓ roster.xlsx › 学员名单：48 名学员" in result.stdout.decode("utf-8")
    assert "roster.xlsx › 学员名单 › 第52行: 「合计」行是合计行，已跳过" in result.stderr.decode("utf-8")
    usage = _run_with(env, "nope")
    assert usage.returncode == 2
    assert usage.stderr.decode("utf-8").startswith("错误：没有「nope」这个命令")


def test_a_gbk_stream_keeps_gbk_and_writes_the_nearest_signs():
    """A Chinese Windows writing to a pipe or a file: GBK, which has no ✓ or ›."""
    result = _run_with({"PYTHONIOENCODING": "gbk"}, "check", str(SAMPLES / "roster.xlsx"))
    assert result.returncode == 0, result.stderr
    assert "√ roster.xlsx > 学员名单：48 名学员" in result.stdout.decode("gbk")
    assert "roster.xlsx > 学员名单 > 第52行: 「合计」行是合计行，已跳过" in result.stderr.decode("gbk")


def _library_speaks() -> str:
    """What calamine and pandas do inside a command: calamine's Rust `log` records arrive on Python's
    logging under `calamine.<module>` (pyo3-log), pandas and pyarrow warn through `warnings`."""
    import logging
    import warnings

    logging.getLogger("calamine.xlsx").warning("Unrecognized sheet type: chartsheet")
    warnings.warn("Could not infer format, so each element will be parsed individually", UserWarning, stacklevel=1)
    return "done"


@pytest.mark.parametrize("debug", [False, True])
def test_a_librarys_words_stay_behind_debug(capfd, monkeypatch, debug):
    from pfkcli.cli import common

    monkeypatch.setitem(common.debug_mode, "on", debug)
    assert common.run(_library_speaks) == "done"
    said = capfd.readouterr()
    english = ("Unrecognized sheet type" in said.err, "Could not infer format" in said.err)
    assert english == ((True, True) if debug else (False, False)), said.err


def test_calamine_stays_quiet_reading_a_workbook_it_logs_about(invoke, tmp_path, capfd):
    """A real run: the roster of the ptgexp fixture with its PtgExp token made whole, which calamine
    logs about (`ignoring PtgExp array/shared formula`, at its debug level in 0.36: a level it may
    raise); nothing of it reaches the screen."""
    import struct

    import olefile

    source = Path(__file__).parent.parent / "fixtures" / "ptgexp-truncated-operand.xls"
    path = tmp_path / "shared.xls"
    path.write_bytes(source.read_bytes())
    ole = olefile.OleFileIO(str(path), write_mode=True)
    data = bytearray(ole.openstream("Workbook").read())
    at = 0
    while at < len(data):  # the FORMULA record: give its PtgExp token its four bytes of operand
        kind, size = struct.unpack_from("<HH", data, at)
        if kind == 0x0006:
            struct.pack_into("<H", data, at + 4 + 20, 5)
        at += 4 + size
    ole.write_stream("Workbook", bytes(data))
    ole.close()
    result = invoke("check", path)
    assert result.exit_code == 0, result.output
    assert "PtgExp" not in result.output + capfd.readouterr().err


RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: what follows it prints backwards on a terminal


def test_a_right_to_left_override_in_a_name_is_never_printed_raw(invoke, tmp_path):
    header = ["学号", "姓名", "运营老师", "手机号", "作业完成次数", "观看课时", "P", "K"]
    rows = [
        header,
        ["S001", f"张{RLO}伟", f"张{RLO}老师", 13800000001, 3, 20, 5, 5],
        ["S002", "王芳", "李老师", 13800000002, f"1{RLO}2", 0, 1, 1],
    ]
    write_xlsx(tmp_path / f"roster{RLO}xslx.xlsx", rows)
    checked = invoke("check", f"roster{RLO}xslx.xlsx")
    assert checked.exit_code == 2
    for said in (checked.stdout, checked.stderr):
        assert RLO not in said and "\u2066" not in said
    assert "<U+202E>" in checked.stderr
    rows[2][4] = 3
    write_xlsx(tmp_path / "roster.xlsx", rows)
    classified = invoke("classify", "roster.xlsx", "--as-of", AS_OF)
    assert classified.exit_code == 0, classified.output
    assert RLO not in classified.stdout + classified.stderr
    assert "张<U+202E>老师" in classified.stdout


def test_safe_name_drops_bidirectional_controls():
    from pfkcli.paths import safe_name

    assert safe_name(f"张老师{RLO}xslx.exe") == "张老师xslx.exe"
    assert all(ch not in safe_name(f"a\u2066b\u200fc\u061cd") for ch in "\u2066\u200f\u061c")
