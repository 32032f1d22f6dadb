"""The student frame: every roster field present in its type, and days between dates one way."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pfkcli.columns import FIELDS
from pfkcli.frames import complete, days_between


def test_complete_adds_every_missing_field_blank_in_its_type():
    frame = complete(pd.DataFrame({"student_id": ["S1"], "homework_done": [3.0]}))
    assert {f.name for f in FIELDS} <= set(frame.columns)
    assert frame["homework_done"].tolist() == [3.0]  # given columns are kept as they were
    assert frame["last_active"].dtype == "datetime64[ns]" and frame["last_active"].isna().all()
    assert frame["p_score"].dtype == "float64" and pd.api.types.is_string_dtype(frame["teacher"])
    assert frame["activity_known"].tolist() == [False]


def test_days_between_ignores_the_time_of_day_and_keeps_blanks_blank():
    stamps = pd.Series(pd.to_datetime(["2026-11-22 23:30", None, "2026-11-23 00:10"]))
    assert days_between(dt.date(2026, 11, 23), stamps).fillna(-1).tolist() == [1.0, -1.0, 0.0]
    assert days_between(stamps, pd.Timestamp("2026-11-20")).fillna(-1).tolist() == [2.0, -1.0, 3.0]


def test_days_between_before_1970_and_two_series():
    """Day numbers are floored, not truncated: a date before 1970 counts whole days too."""
    old = pd.Series(pd.to_datetime(["1969-12-31 18:00", "2026-11-01 00:00"]))
    new = pd.Series(pd.to_datetime(["1970-01-02 01:00", None]), index=old.index)
    assert days_between(new, old).fillna(-1).tolist() == [2.0, -1.0]
    assert days_between(dt.date(2026, 11, 23), None) != days_between(dt.date(2026, 11, 23), None)  # NaN
