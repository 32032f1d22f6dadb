"""The PFK model: all eight segments and pending, the edge of each cut, pace and the mean fallback,
scores with their age, courses of their own, and numbers shown one way."""

from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd
import pytest

from pfkcli.config import Config
from pfkcli.frames import complete
from pfkcli.model import classify_frame, expected_follow_through, shown
from pfkcli.segments import BY_CODE

AS_OF = dt.date(2026, 11, 23)
SCORED_ON = pd.Timestamp("2026-11-20")


def frame(rows, **columns):
    """Students (id, P, homework, hours, K) of 张老师, scored on 11-20 unless `P_on`/`K_on` say otherwise."""
    data = pd.DataFrame(rows, columns=["student_id", "P", "homework_done", "hours_watched", "K"])
    data["teacher"] = "张老师"
    data["P_on"] = data["K_on"] = SCORED_ON
    for name, value in columns.items():
        data[name] = value
    return complete(data)


def config(**sections) -> Config:
    return Config.model_validate(sections)


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
    rows = [("S1", 1, 0, 0, 1), ("S2", 2, 0, 0, 2), ("S3", 5, 0, 0, 5)]
    result, cuts = classify_frame(frame(rows), config(thresholds={"p_rule": "mean", "k_rule": "median"}), AS_OF)
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
        (dt.date(2026, 11, 5), 5 / 11 + 0.5),  # half way through 70 days: 5 whole assignments of 11, half the hours
        (dt.date(2026, 12, 10), 2.0),  # last day
        (dt.date(2027, 1, 31), 2.0),  # after the end
    ],
)
def test_pace_released_by_date(as_of, expected):
    data = frame([("S1", 5, 0, 0, 5)], **course())
    assert expected_follow_through(data, Config(), as_of).iloc[0] == pytest.approx(expected)


def test_homework_is_released_in_whole_assignments():
    # Day 3 of a 70-day course: 3/70 of the hours, but not 0.47 of an assignment.
    data = frame([("S1", 5, 0, 0, 5)], **course())
    assert expected_follow_through(data, Config(), dt.date(2026, 10, 4)).iloc[0] == pytest.approx(3 / 70)


def test_a_one_day_course_has_released_everything_from_its_start():
    data = frame([("S1", 5, 0, 0, 5)], **course("2026-11-20", "2026-11-20"))
    assert expected_follow_through(data, Config(), dt.date(2026, 11, 19)).iloc[0] == 0.0
    assert expected_follow_through(data, Config(), dt.date(2026, 11, 20)).iloc[0] == 2.0


def test_pace_rule_at_start_middle_and_after_end():
    rows = [("S1", 5, 4, 30, 5)]  # F = 4/11 + 30/76 = 0.758
    data = frame(rows, **course(), P_on=pd.Timestamp("2026-09-30"), K_on=pd.Timestamp("2026-09-30"))
    at_start, _ = classify_frame(data, Config(), dt.date(2026, 10, 1))
    middle, _ = classify_frame(data, Config(), dt.date(2026, 11, 5))  # cut 0.8 × (5/11 + 0.5) = 0.76
    after, _ = classify_frame(data, Config(), dt.date(2027, 1, 1))  # cut 0.8 × 2 = 1.6
    assert [r.loc[0, "segment"] for r in (at_start, middle, after)] == ["P_L-F_L-K_L", "P_L-F_S-K_L", "P_L-F_S-K_L"]
    # F and the cut both read 0.76 at two places: four show which is the larger.
    assert middle.loc[0, "why"] == "P=5（≥4，36 天前）；F=0.7584，低于按进度应达的0.7636；K=5（≥4，36 天前）"


def test_f_exactly_on_the_pace_cut_is_high():
    # Homework 1, hours 45.6, course 11-03 → 12-17, as of 11-22: day 19 of 44. F = 1/11 + 0.6 = 0.690909…
    data = frame([("S1", 5, 1, 45.6, 5)], **course("2026-11-03", "2026-12-17"))
    on_the_cut = config(thresholds={"pace_share": 0.690909090909090909 / expected_follow_through(data, Config(), dt.date(2026, 11, 22)).iloc[0]})
    result, _ = classify_frame(data, on_the_cut, dt.date(2026, 11, 22))
    assert result.loc[0, "F"] == pytest.approx(result.loc[0, "f_cut"], abs=1e-12)
    assert result.loc[0, "segment"] == "P_L-F_L-K_L"
    # With the default rule the same student is well above the cut (4 of 11 assignments are out).
    result, _ = classify_frame(data, Config(), dt.date(2026, 11, 22))
    assert result.loc[0, "segment"] == "P_L-F_L-K_L"


def test_nobody_is_behind_in_the_first_week():
    data = frame([("S1", 5, 0, 0, 5)], **course("2026-11-18", "2027-01-18"))
    first_week, _ = classify_frame(data, Config(), dt.date(2026, 11, 24))  # day 6
    second_week, _ = classify_frame(data, Config(), dt.date(2026, 11, 26))  # day 8
    assert first_week.loc[0, "segment"] == "P_L-F_L-K_L"
    assert second_week.loc[0, "segment"] == "P_L-F_S-K_L"


def test_numbers_are_rounded_once_half_up():
    assert shown(pd.Series([0.525, 0.524999, 1.005, 0.125])).tolist() == [0.53, 0.52, 1.01, 0.13]


def test_dates_from_config_when_the_roster_has_none():
    result, _ = classify_frame(frame([("S1", 5, 4, 30, 5)]), config(course={"start": "2026-10-01", "end": "2026-12-10"}), dt.date(2026, 11, 5))
    assert result.loc[0, "expected_f"] == pytest.approx(5 / 11 + 0.5)


def test_each_student_follows_their_own_course():
    settings = config(
        course={"homework_total": 11, "hours_total": 76},
        courses={"Python 入门": {"homework_total": 20, "hours_total": 40, "start": "2026-11-01", "end": "2026-12-01"}},
    )
    rows = [("S1", 5, 10, 20, 5), ("S2", 5, 10, 20, 5)]
    data = frame(rows, course=["Python 入门", "数据运营官"])
    result, _ = classify_frame(data, settings, AS_OF)
    assert result["F"].tolist() == pytest.approx([10 / 20 + 20 / 40, 10 / 11 + 20 / 76])
    assert result.loc[0, "expected_f"] == pytest.approx(14 / 20 + 22 / 30)  # its own dates, from pfk.toml
    assert pd.isna(result.loc[1, "expected_f"])  # the default course has no dates


def test_a_course_table_takes_what_it_leaves_out_from_course():
    settings = config(course={"homework_total": 12, "hours_total": 80}, courses={"进阶班": {"hours_total": 40}})
    assert (settings.course_for("进阶班").homework_total, settings.course_for("进阶班").hours_total) == (12, 40)
    assert settings.course_for("别的课").hours_total == 80


def test_release_schedule_refines_pace():
    settings = config(course={"releases": [
        {"date": "2026-10-08", "homework": 2, "hours": 14},
        {"date": "2026-11-01", "homework": 6, "hours": 38},
    ]})
    result, _ = classify_frame(frame([("S1", 5, 6, 38, 5)]), settings, AS_OF)
    assert result.loc[0, "expected_f"] == pytest.approx(6 / 11 + 38 / 76, abs=1e-4)
    assert result.loc[0, "segment"] == "P_L-F_L-K_L"


def test_cohort_mean_fallback_without_dates():
    rows = [("S1", 5, 11, 76, 5), ("S2", 5, 0, 0, 5), ("S3", 5, 5, 38, 5)]  # F: 2, 0, 0.95 → mean 0.98
    result, cuts = classify_frame(frame(rows), Config(), AS_OF)
    assert result["segment"].tolist() == ["P_L-F_L-K_L", "P_L-F_S-K_L", "P_L-F_S-K_L"]
    assert "没有课程日期，改与同课程平均 F 比较" in cuts[1].text
    assert result.loc[1, "why"] == "P=5（≥4，3 天前）；F=0，低于同课程平均0.98；K=5（≥4，3 天前）"


def test_every_score_says_how_old_it_is():
    data = frame([("S1", 2, 0, 0, 5), ("S2", 5, 0, 0, 5)])
    data["P_on"] = [pd.Timestamp("2026-08-30"), pd.NaT]
    data["K_on"] = [pd.Timestamp(AS_OF), pd.NaT]
    result, _ = classify_frame(data, Config(), AS_OF)
    assert result.loc[0, "why"].startswith("P=2（<4，85 天前）")
    assert result.loc[0, "why"].endswith("K=5（≥4，今天）")
    assert result.loc[1, "why"].startswith("P=5（≥4，日期不明）")
