"""Checking exports, as the core does it: every problem of every file, as short lists."""

from __future__ import annotations

import pytest

from pfkcli.check import check_files
from pfkcli.errors import InvalidInput
from pfkcli.workspace import Workspace

from .conftest import HEADER, SAMPLES, student, write_xlsx


def test_every_file_is_checked_and_every_problem_listed(tmp_path):
    bad = write_xlsx(tmp_path / "bad.xlsx", [HEADER, student("S1", "张伟", "张老师", "十", 1, 5, 5), student("S2", "王芳", None, 1, 1, 9, 5)])
    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(InvalidInput) as caught:
        check_files(Workspace(None), [bad, tmp_path / "broken.xlsx"])
    assert [(p.file, p.row, p.column, p.code) for p in caught.value.problems] == [
        ("bad.xlsx", 2, "作业完成次数", "bad_number"),
        ("bad.xlsx", 3, "P", "out_of_range"),
        ("bad.xlsx", 3, "运营老师", "missing_value"),
        ("broken.xlsx", None, None, "unreadable"),
    ]


def test_the_samples_pass_with_their_counts(tmp_path):
    report = check_files(Workspace(None), [SAMPLES / "roster.xlsx", SAMPLES / "roster_gbk.csv"])
    assert [len(roster.frame) for roster in report.rosters] == [48, 48]
    assert report.per_teacher().loc["张老师"].iloc[-1] == 24  # twelve in each file


def test_a_roster_f_cannot_be_scored_from_is_said(tmp_path):
    path = write_xlsx(tmp_path / "names.xlsx", [["学号", "姓名", "运营老师"], ["S1", "张伟", "张老师"]])
    report = check_files(Workspace(None), [path])
    assert [w.code for w in report.warnings] == ["no_progress"]
