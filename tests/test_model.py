"""The PFK model: all eight segments and pending, the edge of each cut, pace and the mean fallback."""

from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd
import pytest

from pfkcli.config import Config
from pfkcli.model import classify_frame, expected_follow_through
from pfkcli.segments import BY_CODE, parse_segment

AS_OF = dt.date(2026, 11, 23)


def frame(rows, **columns):
    data = pd.DataFrame(rows, columns=["student_id", "P", "homework_done", "hours_watched", "K"])
    data["teacher"] = "张老师"
    for name, value in columns.items():
        data[name] = value
    return data


@pytest.mark.parametrize(("p", "f", "k"), list(itertools.product([True, False], repeat=3)))
def test_all_eight_segments(p, f, k):
    rows = [("S1", 5 if p else 1, 11 if f else 0, 76 if f else 0, 5 if k else 1), ("S2", 3, 5, 30, 3)]
    result, _ = classify_frame(frame(rows), Config(), AS_OF)
    code = f"P_{'L' if p else 'S'}-F_{'L' if f else 'S'}-K_{'L' if k else 'S'}"
    assert result.loc[0, "segment"] == code
    assert result.loc[0, "segment_name"] == BY_CODE[code].name


def test_never_called_is_pending_and_keeps_f():
    result, _ = classify_frame(frame([("S1", None, 11, 76, None), ("S2", 5, 0, 0, None)]), Config(), AS_OF)
    assert result["segment"].tolist() == ["待回访", "待回访"]
    assert result["F"].tolist() == [2.0, 0.0]
    assert result["P"].isna().tolist() == [True, False]
    assert result.loc[0, "why"].startswith("尚未回访（P/K 未知，不做猜测）；F=2")


def test_a_score_on_the_cut_is_high():
    result, cuts = classify_frame(frame([("S1", 4, 0, 0, 3.99), ("S2", 3.99, 0, 0, 4)]), Config(), AS_OF)
    assert result["segment"].str[:3].tolist() == ["P_L", "P_S"]
    assert result["segment"].str[-3:].tolist() == ["K_S", "K_L"]
    assert [c.text for c in cuts if c.axis != "F"] == ["固定分数线：P ≥ 4 为高", "固定分数线：K ≥ 4 为高"]


def test_mean_and_median_rules():
    config = Config.model_validate({"thresholds": {"p_rule": "mean", "k_rule": "median"}})
    rows = [("S1", 1, 0, 0, 1), ("S2", 2, 0, 0, 2), ("S3", 5, 0, 0, 5)]
    result, cuts = classify_frame(frame(rows), config, AS_OF)
    assert result["segment"].str[:3].tolist() == ["P_S", "P_S", "P_L"]  # mean 2.67
    assert result["segment"].str[-3:].tolist() == ["K_S", "K_L", "K_L"]  # median 2
    assert cuts[0].cut == pytest.approx(8 / 3)


def course(start="2026-10-01", end="2026-12-10"):
    return {"course_start": pd.Timestamp(start), "course_end": pd.Timestamp(end)}


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (dt.date(2026, 10, 1), 0.0),  # first day: nothing released, nobody can be behind
        (dt.date(2026, 9, 1), 0.0),  # before the start
        (dt.date(2026, 11, 5), 1.0),  # half way through 70 days
        (dt.date(2026, 12, 10), 2.0),  # last day
        (dt.date(2027, 1, 31), 2.0),  # after the end
    ],
)
def test_pace_released_by_date(as_of, expected):
    data = frame([("S1", 5, 0, 0, 5)], **course())
    assert expected_follow_through(data, Config(), as_of).iloc[0] == pytest.approx(expected)


def test_pace_rule_at_start_middle_and_after_end():
    rows = [("S1", 5, 4, 30, 5)]  # F = 4/11 + 30/76 = 0.758
    data = frame(rows, **course())
    at_start, _ = classify_frame(data, Config(), dt.date(2026, 10, 1))
    middle, _ = classify_frame(data, Config(), dt.date(2026, 11, 5))  # cut 0.8 × 1.0 = 0.8
    after, _ = classify_frame(data, Config(), dt.date(2027, 1, 1))  # cut 0.8 × 2 = 1.6
    assert [r.loc[0, "segment"] for r in (at_start, middle, after)] == ["P_L-F_L-K_L", "P_L-F_S-K_L", "P_L-F_S-K_L"]
    assert middle.loc[0, "why"] == "P=5（≥4）；F=0.76，低于按进度应达的0.8；K=5（≥4）"


def test_f_exactly_on_the_pace_cut_is_high():
    data = frame([("S1", 5, 0, 60.8, 5)], **course())  # F = 0.8 = 0.8 × 1.0
    result, _ = classify_frame(data, Config(), dt.date(2026, 11, 5))
    assert result.loc[0, "segment"] == "P_L-F_L-K_L"


def test_dates_from_config_when_the_roster_has_none():
    config = Config.model_validate({"course": {"start": "2026-10-01", "end": "2026-12-10"}})
    result, _ = classify_frame(frame([("S1", 5, 4, 30, 5)]), config, dt.date(2026, 11, 5))
    assert result.loc[0, "expected_f"] == pytest.approx(1.0)


def test_release_schedule_refines_pace():
    config = Config.model_validate({"course": {"releases": [
        {"date": "2026-10-08", "homework": 2, "hours": 14},
        {"date": "2026-11-01", "homework": 6, "hours": 38},
    ]}})
    result, _ = classify_frame(frame([("S1", 5, 6, 38, 5)]), config, AS_OF)
    assert result.loc[0, "expected_f"] == pytest.approx(6 / 11 + 38 / 76, abs=1e-4)
    assert result.loc[0, "segment"] == "P_L-F_L-K_L"


def test_cohort_mean_fallback_without_dates():
    rows = [("S1", 5, 11, 76, 5), ("S2", 5, 0, 0, 5), ("S3", 5, 5, 38, 5)]  # F: 2, 0, 0.95 → mean 0.98
    result, cuts = classify_frame(frame(rows), Config(), AS_OF)
    assert result["segment"].tolist() == ["P_L-F_L-K_L", "P_L-F_S-K_L", "P_L-F_S-K_L"]
    assert "没有课程日期，改与同课程平均 F 比较" in cuts[1].text
    assert result.loc[1, "why"] == "P=5（≥4）；F=0，低于同课程平均0.98；K=5（≥4）"


@pytest.mark.parametrize("spelling", ["P_S-F_S-K_L", "PSFSKL", "P_S F_S K_L", "p_s-f_s-k_l", "重点挽留学员", "重点挽留"])
def test_segment_spellings(spelling):
    assert parse_segment(spelling).code == "P_S-F_S-K_L"
