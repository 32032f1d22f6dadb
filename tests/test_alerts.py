"""`pfk alerts`' pipeline: the 预警 workbook contract, and never over an input."""

from __future__ import annotations

import datetime as dt

import pytest

from pfkcli.alerts import run_alerts
from pfkcli.errors import OutputError
from pfkcli.outputs import ALERT_COLUMNS, ALERTS_SHEET
from pfkcli.workspace import Workspace

from .conftest import read_sheet, today
from .test_alert_rules import alerts_for, roster_with


def test_workbook_has_one_row_per_alert_in_the_contract_columns(tmp_path):
    rows = [[dt.datetime(2026, 11, 1)], [dt.datetime(2026, 11, 22)]]
    path = roster_with(tmp_path, ["最近学习时间"], rows)
    result = alerts_for(tmp_path, path)
    sheet = read_sheet(tmp_path / "r.alerts.xlsx", ALERTS_SHEET)
    assert sheet[0] == ALERT_COLUMNS
    assert sheet[1][:6] == ("S1", "学员1", "张老师", "连续未学习", "inactive", "已连续 22 天没有学习记录（最近一次 2026-11-01）")
    assert sheet[1][6].startswith("先发关怀消息")
    assert len(sheet) == 2
    assert result.output == tmp_path / "r.alerts.xlsx"


def test_an_empty_result_still_writes_the_header(tmp_path):
    path = roster_with(tmp_path, ["最近学习时间"], [[dt.datetime(2026, 11, 22)]])
    alerts_for(tmp_path, path)
    assert read_sheet(tmp_path / "r.alerts.xlsx", ALERTS_SHEET) == [ALERT_COLUMNS]


def test_never_writes_over_an_input(tmp_path):
    path = roster_with(tmp_path, ["最近学习时间"], [[dt.datetime(2026, 11, 1)]])
    before = path.read_bytes()
    with pytest.raises(OutputError):
        run_alerts(Workspace(None), path, today(), output=path)
    assert path.read_bytes() == before


