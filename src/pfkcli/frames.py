"""The student frame every command works on, and the two small rules every module needs on it.

After `complete`, a frame holds every roster field (columns.FIELDS) in its declared type — blank
where the roster had no such column — so no rule ever asks whether a column exists. Whether the
roster *had* a column (to warn that a rule cannot run) is the roster's business (`Roster.fields`).

>>> days_between(pd.Series([pd.Timestamp("2026-11-23")]), pd.Timestamp("2026-11-20")).tolist()  # doctest: +SKIP
[3.0]
"""

from __future__ import annotations

import datetime as dt

from .columns import FIELDS

# A field's kind → the pandas dtype of its column.
_DTYPES = {
    "id": "str",
    "text": "str",
    "phone": "str",
    "number": "float64",
    "hours": "float64",
    "score": "float64",
    "share": "float64",
    "date": "datetime64[ns]",
}


def blank(index, kind: str):
    """A column of blanks of a field kind (`date`, `number`, `text` …) on `index`."""
    import pandas as pd

    dtype = _DTYPES[kind]
    return pd.Series(pd.NaT if dtype.startswith("datetime") else None, index=index, dtype=dtype)


def complete(frame):
    """`frame` with every roster field present: missing ones are blank columns of their kind; and
    `activity_known` (whether a blank 最近学习时间 means "never studied": classify sets it from what
    the roster or the log holds) False unless given."""
    import pandas as pd

    missing = {f.name: blank(frame.index, f.kind) for f in FIELDS if f.name not in frame}
    if "activity_known" not in frame:
        missing["activity_known"] = pd.Series(False, index=frame.index)
    return frame.assign(**missing) if missing else frame


def days_between(later, earlier):
    """Whole days from `earlier` to `later` (either may be a Series of dates or one date); NaN where
    either is blank. Times of day are ignored: a callback at 19:00 yesterday was one day ago."""
    return _day_numbers(later) - _day_numbers(earlier)


def _day_numbers(value):
    """The calendar day of each date as a number (days since 1970-01-01; NaN when blank): a Series on
    its own index, or one number. Worked out in whole days, so no time of day survives."""
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.Series):
        days = pd.to_datetime(value).to_numpy().astype("datetime64[D]")
        numbers = days.astype("int64").astype("float64")
        numbers[np.isnat(days)] = np.nan
        return pd.Series(numbers, index=value.index)
    if isinstance(value, (dt.date, pd.Timestamp)) and not pd.isna(value):
        return float(np.datetime64(pd.Timestamp(value), "D").astype("int64"))
    return np.nan


def isin(values, allowed):
    """`values.isin(allowed)` (`allowed`: a Series, an Index, a list or a set) through Arrow's hash set:
    for text columns pandas first turns every string into a Python object, a hundred times slower
    (0.46 s against 5 ms for 100,000 IDs)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    allowed = pd.Series(list(allowed) if isinstance(allowed, (set, frozenset)) else allowed)
    if values.isna().any() or allowed.isna().any():  # pandas' own rules for None against NaN
        return values.isin(allowed)
    try:
        found = pc.is_in(pa.array(values), value_set=pa.array(allowed))
    except (pa.ArrowException, TypeError):
        return values.isin(allowed)
    return pd.Series(found.to_numpy(zero_copy_only=False), index=values.index, dtype=bool)
