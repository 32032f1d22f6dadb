"""score_roster reads the roster and the event log side by side; problems come out as if one after the other."""

from __future__ import annotations

import pytest

from pfkcli.classify import score_roster
from pfkcli.config import Config
from pfkcli.errors import InvalidInput

from .conftest import HEADER, student, today, write_xlsx

GOOD_LOG = "学号,时间,类型,时长（分钟）\nS001,2026-11-20 20:00,看课,30\nS001,2026-11-21 20:00,作业,\n"
BAD_LOG = "学号,时间,类型,时长（分钟）\nS001,前天,看课,30\n"


def bad_roster(tmp_path):
    return write_xlsx(tmp_path / "bad.xlsx", [HEADER, student("S001", "张伟", "张老师", "十", 76, 5, 5)])


def test_with_a_log_the_figures_come_from_the_log(roster, tmp_path):
    log = tmp_path / "events.csv"
    log.write_text(GOOD_LOG, encoding="utf-8")
    result = score_roster(roster, today(), Config(), None, log)
    first = result.frame.set_index("student_id").loc["S001"]
    assert (first["homework_done"], first["hours_watched"]) == (1.0, 0.5)
    assert any(w.code == "no_events" for w in result.warnings)


def test_a_bad_roster_is_reported_before_a_bad_log(tmp_path):
    log = tmp_path / "events.csv"
    log.write_text(BAD_LOG, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        score_roster(bad_roster(tmp_path), today(), Config(), None, log)
    assert [p.code for p in caught.value.problems] == ["bad_number"]
    assert caught.value.problems[0].file == "bad.xlsx"


def test_a_bad_log_with_a_good_roster(roster, tmp_path):
    log = tmp_path / "events.csv"
    log.write_text(BAD_LOG, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        score_roster(roster, today(), Config(), None, log)
    assert [(p.file, p.row, p.code) for p in caught.value.problems] == [("events.csv", 2, "bad_date")]
