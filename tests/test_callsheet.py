"""Call sheets as the core lays them out: the id kept with the students on each sheet, the fill-in
columns' checks, and a started sheet never made again over."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from pfkcli import history
from pfkcli.callsheet import callsheet_name, make_callsheets, validations
from pfkcli.config import Config
from pfkcli.errors import OutputError

from .conftest import callsheet_ids, fill_callsheet

DAY = dt.date(2026, 11, 23)


@pytest.fixture
def workspace(classified):
    return classified


def test_each_sheet_is_kept_in_the_history_with_its_students(workspace):
    result = make_callsheets(workspace, DAY)
    assert sorted(s.teacher for s in result.sheets) == sorted(["张老师", "李老师", "王老师", "赵老师"])
    with workspace.open_history() as conn:
        for written in result.sheets:
            wb = openpyxl.load_workbook(written.path)
            info = {row[0]: row[1] for row in wb["说明"].iter_rows(values_only=True)}
            on_sheet = callsheet_ids(written.path)
            issued = history.issued_sheet(conn, info["回访表编号"])
            assert (issued.kind, issued.teacher, issued.as_of, list(issued.students)) == ("callsheet", written.teacher, DAY, on_sheet)
            assert written.on_sheet == len(on_sheet) <= 40


def test_the_drop_downs_follow_the_teams_scale():
    config = Config.model_validate({"scale": {"k": ["零：没学过相关内容", "弱：知道些概念", "中：能听懂", "好：能独立完成", "强：能举一反三"]}})
    rules = validations(config)
    assert rules["K（1-5）"]["values"] == ["1 零", "2 弱", "3 中", "4 好", "5 强"]
    assert rules["K（1-5）"]["input_message"].splitlines()[4] == "5 强：能举一反三"
    assert rules["K（1-5）"]["error_style"] == "warning"  # a bare 4 typed in is fine
    assert rules["回访结果"]["values"][:2] == ["已接通", "微信沟通"]
    assert all(len(",".join(rule["values"])) <= 255 for rule in rules.values() if rule["type"] == "list")


def test_a_started_sheet_is_refused_before_anything_is_written(workspace):
    make_callsheets(workspace, DAY)
    started = fill_callsheet(workspace.callsheets_dir / callsheet_name("王老师", DAY), {}, info={})
    rows = list(openpyxl.load_workbook(started)["回访表"].iter_rows(values_only=True))
    fill_callsheet(started, {rows[1][rows[0].index("学号")]: {"回访备注": "打过了"}})
    others = {p: p.stat().st_mtime_ns for p in workspace.callsheets_dir.iterdir()}
    with pytest.raises(OutputError, match="王老师-2026-11-23.xlsx（1 行） 已经填了内容"):
        make_callsheets(workspace, DAY)
    assert {p: p.stat().st_mtime_ns for p in workspace.callsheets_dir.iterdir()} == others


def test_names_are_one_file_each_even_when_they_clean_alike():
    taken: set[str] = set()
    assert [callsheet_name(t, DAY, taken) for t in ("x", "../../x", "X")] == ["x-2026-11-23.xlsx", "x_2-2026-11-23.xlsx", "X_3-2026-11-23.xlsx"]
