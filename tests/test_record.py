"""Recording filled call sheets, as the core does it: what is stored, what is set aside, what is said."""

from __future__ import annotations

import datetime as dt

import pytest

from pfkcli.callsheet import make_callsheets
from pfkcli.errors import InvalidInput
from pfkcli.record import record_files

from .conftest import callsheet_ids, fill_callsheet

DAY = dt.date(2026, 11, 23)


@pytest.fixture
def sheet(classified):
    """张老师's sheet of the sample week, and the workspace it came from."""
    workspace = classified
    path = next(s.path for s in make_callsheets(workspace, DAY, "张老师").sheets)
    return workspace, path, callsheet_ids(path)


def test_reached_calls_and_attempts_are_counted_apart(sheet):
    workspace, path, ids = sheet
    fill_callsheet(path, {ids[0]: {"回访结果": "已接通", "P（1-5）": "4 积极", "K（1-5）": 3}, ids[1]: {"回访结果": "拒接"}})
    (outcome,) = record_files(workspace, [path], today=DAY)
    assert (outcome.status, outcome.callbacks, outcome.attempts, outcome.teacher, outcome.sheet_date) == ("new", 1, 1, "张老师", DAY)
    (again,) = record_files(workspace, [path], today=DAY)
    assert again.status == "same"


def test_bad_cells_are_problems_by_file_sheet_row_column_and_code(sheet):
    workspace, path, ids = sheet
    fill_callsheet(path, {ids[0]: {"P（1-5）": 7}, ids[1]: {"回访结果": "聊了"}, ids[2]: {"问题类型": "价格", "K（1-5）": 4}})
    with pytest.raises(InvalidInput) as caught:
        record_files(workspace, [path], today=DAY)
    found = [(p.file, p.sheet, p.row, p.column, p.code) for p in caught.value.problems]
    assert found == [
        (path.name, "回访表", 2, "P（1-5）", "bad_score"),
        (path.name, "回访表", 3, "回访结果", "bad_choice"),
        (path.name, "回访表", 4, "问题类型", "bad_choice"),
    ]
    with workspace.open_history() as conn:
        assert conn.execute("SELECT count(*) FROM callbacks").fetchone() == (0,)


def test_skip_invalid_keeps_the_good_rows(sheet):
    workspace, path, ids = sheet
    fill_callsheet(path, {ids[0]: {"P（1-5）": 7}, ids[1]: {"P（1-5）": 4, "K（1-5）": 4}})
    (outcome,) = record_files(workspace, [path], skip_invalid=True, today=DAY)
    assert (outcome.callbacks, [(p.row, p.code) for p in outcome.problems]) == (1, [(2, "bad_score")])
