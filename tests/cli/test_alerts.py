"""pfk alerts through the CLI: the terminal table, the 预警 workbook, and the exit codes."""

from __future__ import annotations

import datetime as dt
import shutil

from pfkcli.cli import alerts as alerts_command
from pfkcli.outputs import ALERT_COLUMNS, ALERTS_SHEET

from ..conftest import AS_OF, SAMPLES, read_sheet, write_xlsx

SAMPLE_INACTIVE = ["DS2026017", "DS2026024", "DS2026026", "DS2026029", "DS2026030", "DS2026035"]


def sample_roster(tmp_path):
    return shutil.copy(SAMPLES / "roster.xlsx", tmp_path / "roster.xlsx")


def test_sample_alerts_table_and_workbook(invoke, tmp_path, monkeypatch):
    monkeypatch.setattr(alerts_command, "TABLE_ROWS", 100)  # one row per alert, as for a few alerts
    roster = sample_roster(tmp_path)
    result = invoke("alerts", roster, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output

    assert "预警（2026-11-23，43 名学员共 64 条）" in result.stdout
    for teacher in ("王老师（", "李老师（", "赵老师（", "张老师（"):
        assert teacher in result.stdout
    assert "已连续 31 天没有学习记录（最近一次 2026-10-23）" in result.stdout
    assert "按预警：连续未学习 6、进度严重落后 25、续费沟通（结课前一个月） 33" in result.stdout
    assert "连续未学习：最近学习时间距今 ≥ 7 天" in result.stdout
    assert f"✓ 已写出 {tmp_path / 'roster.alerts.xlsx'}" in result.stdout

    rows = read_sheet(tmp_path / "roster.alerts.xlsx", ALERTS_SHEET)
    assert rows[0] == ALERT_COLUMNS
    inactive = [row for row in rows[1:] if row[4] == "inactive"]
    assert sorted(row[0] for row in inactive) == SAMPLE_INACTIVE
    assert all(row[3] == "连续未学习" and "天没有学习记录" in row[5] for row in inactive)
    assert len(rows) == 1 + 64


def test_with_the_event_log_and_an_output_name(invoke, tmp_path):
    roster = sample_roster(tmp_path)
    target = tmp_path / "本周预警.xlsx"
    result = invoke("alerts", roster, "--progress", SAMPLES / "events.csv", "--as-of", AS_OF, "-o", target, "--mask-phone")
    assert result.exit_code == 0, result.output
    rows = read_sheet(target, ALERTS_SHEET)
    assert sorted(row[0] for row in rows[1:] if row[4] == "inactive") == SAMPLE_INACTIVE
    assert not (tmp_path / "roster.alerts.xlsx").exists()


def test_no_roster_is_a_usage_error(invoke):
    result = invoke("alerts")
    assert result.exit_code == 2
    assert result.stderr.strip() == "错误：需要学员名单：pfk alerts 名单.xlsx [--progress 学习记录.csv]"


def test_bad_event_log_exits_2_with_rows_and_writes_nothing(invoke, tmp_path):
    roster = sample_roster(tmp_path)
    log = tmp_path / "events.csv"
    log.write_text("学号,时间,类型,时长（分钟）\nDS2026001,2026-11-20 20:00,看课,30\nDS2026001,前天,看课,30\n,2026-11-21,作业,\n", encoding="utf-8")
    result = invoke("alerts", roster, "--progress", log, "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "发现 2 处问题，未写出任何文件" in result.stderr
    assert 'events.csv › 第3行 › 时间: "前天" 不是日期时间' in result.stderr
    assert "events.csv › 第4行 › 学号: 学号不能为空  [missing_value]" in result.stderr
    assert not (tmp_path / "roster.alerts.xlsx").exists()


def test_missing_last_active_column_is_a_warning(invoke, tmp_path):
    roster = write_xlsx(
        tmp_path / "r.xlsx",
        [["学号", "姓名", "运营老师", "作业完成次数", "观看课时", "课程结束日期"], ["S1", "张伟", "张老师", 11, 76, dt.datetime(2026, 11, 25)]],
    )
    result = invoke("alerts", roster, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "r.xlsx › 学员名单: 名单里没有「最近学习时间」列，不检查连续未学习" in result.stderr
    assert read_sheet(tmp_path / "r.alerts.xlsx", ALERTS_SHEET)[1][:5] == ("S1", "张伟", "张老师", "续费最后提醒（结课前三天）", "renewal_3d")


def test_no_alerts_says_so(invoke, tmp_path):
    roster = write_xlsx(
        tmp_path / "r.xlsx",
        [["学号", "姓名", "运营老师", "作业完成次数", "观看课时", "最近学习时间"], ["S1", "张伟", "张老师", 11, 76, dt.datetime(2026, 11, 22)]],
    )
    result = invoke("alerts", roster, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "预警（2026-11-23，0 名学员共 0 条）：没有需要预警的学员" in result.stdout
    assert read_sheet(tmp_path / "r.alerts.xlsx", ALERTS_SHEET) == [ALERT_COLUMNS]


def test_help_names_every_option(invoke):
    result = invoke("alerts", "--help")
    assert result.exit_code == 0
    for option in ("--progress", "--as-of", "--output", "--sheet", "--mask-phone"):
        assert option in result.stdout


def test_beyond_the_table_limit_counts_per_teacher(invoke, tmp_path):
    assert alerts_command.TABLE_ROWS < 79
    roster = shutil.copy(SAMPLES / "roster.xlsx", tmp_path / "roster.xlsx")
    result = invoke("alerts", roster, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output

    out = result.stdout
    assert "预警（2026-11-23，43 名学员共 64 条）" in out
    assert f"逐条明细见 {tmp_path / 'roster.alerts.xlsx'}" in out
    # One row per teacher with its students and alerts per rule, not one row per alert.
    assert "已连续 31 天没有学习记录" not in out
    for teacher in ("王老师", "李老师", "赵老师", "张老师"):
        assert teacher in out
    assert "连续未学习" in out and "进度严重落后" in out
    assert "按预警：连续未学习 6、进度严重落后 25、续费沟通（结课前一个月） 33" in out
    rows = read_sheet(tmp_path / "roster.alerts.xlsx", ALERTS_SHEET)
    assert len(rows) == 1 + 64
    # Each teacher's line agrees with the workbook: students alerted, then alerts per rule.
    header, body = rows[0], rows[1:]
    teacher_at, id_at, label_at = header.index("运营老师"), header.index("学号"), header.index("预警")
    for teacher in ("王老师", "李老师", "赵老师", "张老师"):
        mine = [row for row in body if row[teacher_at] == teacher]
        expected = [len({row[id_at] for row in mine})]
        expected += [sum(row[label_at] == label for row in mine) for label in ("连续未学习", "进度严重落后", "续费沟通（结课前一个月）")]
        line = next(line for line in out.splitlines() if line.startswith(f"{teacher} "))
        assert [int(cell) for cell in line.split()[1:]] == expected
    assert out.splitlines()[1:3] == [
        "          预警    连续  进度  续费",
        "运营老师  学员  未学习  落后  30天",
    ]
    totals = next(line for line in out.splitlines() if line.startswith("合计 "))
    assert totals.split() == ["合计", "43", "6", "25", "33"]
