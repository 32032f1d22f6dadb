"""pfk alerts beyond a few alerts: the terminal gets counts per teacher and rule with totals, the
workbook every alert."""

from __future__ import annotations

import shutil

from pfkcli.cli import alerts as alerts_command
from pfkcli.outputs import ALERTS_SHEET

from ..conftest import AS_OF, SAMPLES, read_sheet


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
