"""Text columns built in Arrow: dates read as people write them."""

from __future__ import annotations

import pandas as pd

from pfkcli.texts import day_text


def test_dates_in_alert_texts_read_as_the_calendar_day():
    """Dates in a "why" text are a column cast, not strftime: a time of day, an early year and a
    blank must still read as people write them."""


    stamps = pd.Series(pd.to_datetime(["2026-11-03 20:15", None, "1905-01-02"], format="mixed")).astype("datetime64[ns]")
    assert day_text(stamps).to_pylist() == ["2026-11-03", None, "1905-01-02"]
    assert day_text(stamps, month_day=True).to_pylist() == ["11-03", None, "01-02"]
