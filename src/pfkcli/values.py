"""Values as people type them, parsed a whole column at a time.

Every parser takes a pandas Series of text (as the readers return it) and gives back the parsed
Series and a boolean mask of cells that were filled in but could not be read. Callers turn the mask
into row-referenced problems.
"""

from __future__ import annotations

import datetime as dt

# Full-width digits and signs as typed with a Chinese input method.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．－＋％／：　", "0123456789.-+%/: ")
_FULL_WIDTH_CLASS = "[０-９．－＋％／：\u3000]"
BLANK_MARKERS = ("", "-", "--", "—", "/", "无", "暂无", "nan", "NaN", "None", "null", "N/A", "n/a", "#N/A")
# What platforms write for a student who never studied or logged in: a blank date (never active) and
# a blank count or duration (which F counts as 0). Names and other text keep these words as typed.
NEVER_MARKERS = ("未学习", "从未学习", "暂未学习", "未登录", "从未登录", "未访问", "从未访问", "未观看", "从未观看",
                 "未开始", "未开始学习", "未上课", "无学习记录", "无记录")
# `11-20` or `11月20日` carries no year: it takes the year that puts it on or before the as-of date
# plus this many days (a follow-up date a few weeks ahead stays in this year).
YEARLESS_LOOKAHEAD_DAYS = 31
# Stamps with a time zone (`2026-11-20T19:00:00Z`, `…+00:00`) are read as the date in China (UTC+8).
LOCAL_UTC_OFFSET_HOURS = 8

NUMBER_PATTERN = r"^([+-]?\d+(?:\.\d+)?|[+-]?\.\d+)\s*(分|次|个|篇|份|小时|课时|节|h|H|星|颗星|%)?$"
_DATE_PATTERN = (
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|z|UTC|[+-]\d{2}:?\d{2})?$"
)
_YEARLESS_DATE = r"^(\d{1,2})\s*[-/月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
_COMPACT_DATE = r"^(\d{4})(\d{2})(\d{2})$"
# A date cell as the readers give it (`2026-11-03 00:00:00`), or an ISO date; years kept where pandas' clock reaches.
_DATE_CELL = r"(?:19|20|21)[0-9]{2}-[0-9]{2}-[0-9]{2}(?: [0-9]{2}:[0-9]{2}:[0-9]{2})?"
_EXCEL_EPOCH = dt.date(1899, 12, 30)
# Excel serial numbers a date column can hold: 1954-10-04 … 2119-01-08.
_SERIAL_MIN, _SERIAL_MAX = 20000, 80000


def tidy(series):
    """Trim, fold full-width characters, and turn blank markers into NA. Returns text (object/str) Series."""

    text = series.astype("str").str.strip()
    # Folding runs in Python per cell, so only on the few cells that hold a full-width character.
    wide = text.str.contains(_FULL_WIDTH_CLASS, regex=True, na=False).to_numpy(dtype=bool)
    if wide.any():
        text = text.copy()
        text.iloc[wide.nonzero()[0]] = text[wide].str.translate(_FULL_WIDTH).str.strip().to_numpy()
    return text.mask(text.isin(BLANK_MARKERS))


def parse_number(series):
    """`12`, `"12"`, `4分`, `８次`, `12.5小时`, `30%` (→ 0.3). Returns (float Series, bad mask)."""
    import pandas as pd

    text = tidy(series)
    value = pd.to_numeric(text, errors="coerce").astype("float64")
    unread = text.notna() & value.isna()
    if unread.any() and text[unread].isin(NEVER_MARKERS).any():
        text = text.mask(text.isin(NEVER_MARKERS))
        unread = text.notna() & value.isna()
    if unread.any():
        parts = text[unread].str.extract(NUMBER_PATTERN)
        extra = pd.to_numeric(parts[0], errors="coerce").astype("float64")
        extra = extra.where(parts[1] != "%", extra / 100)
        value = value.where(~unread, extra.reindex(value.index))
    return value, text.notna() & value.isna()


def parse_date(series, as_of: dt.date | None = None, ahead: bool = False):
    """Real dates (read as `2026-11-03 00:00:00`), Excel serials, `2026/11/3`, `2026年11月3日`, `20261103`,
    ISO stamps with a zone (`2026-11-20T19:00:00Z`: the date in China), `11-20` / `11月20日` (the year
    from `as_of`, today by default: see YEARLESS_LOOKAHEAD_DAYS; with `ahead`, a date still to come —
    the next such date on or after `as_of`, as a follow-up date is meant), and 未学习/从未登录 as blank.

    Returns (datetime64 Series at midnight, bad mask).
    """
    import pandas as pd

    text = tidy(series)
    text = text.mask(text.isin(NEVER_MARKERS))
    if not len(text):
        value = pd.Series([], dtype="datetime64[ns]")
    else:
        value = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
        # Real date cells as the readers write them take the fast path; the rest the patterns below.
        cell = text.str.fullmatch(_DATE_CELL, na=False).to_numpy(dtype=bool)
        if cell.any():
            day = pd.to_datetime(text[cell].str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
            value.iloc[cell.nonzero()[0]] = day.astype("datetime64[ns]").to_numpy()
        typed = text.notna().to_numpy(dtype=bool) & ~cell
        if typed.any():
            value.iloc[typed.nonzero()[0]] = _typed_dates(text[typed], as_of, ahead).to_numpy()
    unread = text.notna() & value.isna()
    if unread.any():
        serial = pd.to_numeric(text[unread], errors="coerce").astype("float64")
        serial = serial.where((serial >= _SERIAL_MIN) & (serial <= _SERIAL_MAX))
        from_serial = pd.Timestamp(_EXCEL_EPOCH) + pd.to_timedelta(serial.floordiv(1), unit="D")
        value = value.where(~unread, from_serial.reindex(value.index))
    return value, text.notna() & value.isna()


def _typed_dates(text, as_of: dt.date | None = None, ahead: bool = False):
    import pandas as pd

    parts = text.str.extract(_DATE_PATTERN)
    zone = parts[6]
    compact = text.str.extract(_COMPACT_DATE)
    ymd = parts[[0, 1, 2]].fillna(compact).astype("float64")
    ymd.columns = ["year", "month", "day"]
    yearless = ymd["year"].isna()
    if yearless.any():
        ymd.loc[yearless] = _with_year(text[yearless], as_of, ahead).to_numpy()
    # `0001/1/1` or `9999-12-31` is a typo, not a date: pandas' nanosecond clock cannot even hold it.
    ymd.loc[~ymd["year"].between(1900, 2199)] = float("nan")
    value = pd.to_datetime(ymd, errors="coerce").astype("datetime64[ns]")
    zoned = zone.notna() & value.notna()
    if zoned.any():
        value[zoned] = _china_dates(value[zoned], parts.loc[zoned, [3, 4, 5]], zone[zoned])
    return value


def _with_year(text, as_of: dt.date | None, ahead: bool = False):
    """Year, month and day of `11-20` / `11/20` / `11月20日`: the latest such date not after
    as_of + YEARLESS_LOOKAHEAD_DAYS — or, `ahead`, the first on or after as_of."""
    import pandas as pd

    as_of = as_of or dt.date.today()
    md = text.str.extract(_YEARLESS_DATE).astype("float64")
    month, day = md[0], md[1]
    this_year = pd.to_datetime(pd.DataFrame({"year": float(as_of.year), "month": month, "day": day}), errors="coerce")
    year = pd.Series(float(as_of.year), index=text.index)
    if ahead:
        year = year.where(~(this_year < pd.Timestamp(as_of)), float(as_of.year + 1))
    else:
        limit = pd.Timestamp(as_of) + pd.Timedelta(days=YEARLESS_LOOKAHEAD_DAYS)
        year = year.where(~(this_year > limit), float(as_of.year - 1))
    return pd.DataFrame({"year": year.where(month.notna()), "month": month, "day": day}, index=text.index)


def _china_dates(day, clock, zone):
    """The date in China (UTC+8) of stamps written with a zone: `2026-11-20T19:00:00Z` is 11-21 there."""
    import pandas as pd

    seconds = clock.astype("float64").fillna(0)
    stamp = day + pd.to_timedelta(seconds[3] * 3600 + seconds[4] * 60 + seconds[5], unit="s")
    sign = zone.str.slice(0, 1).map({"+": 1.0, "-": -1.0})  # Z and UTC: no sign, no offset
    digits = zone.str.replace(":", "", regex=False).str.slice(1)
    hours = pd.to_numeric(digits.str.slice(0, 2), errors="coerce")
    minutes = pd.to_numeric(digits.str.slice(2, 4), errors="coerce")
    offset = (sign * (hours * 60 + minutes)).fillna(0.0)
    local = stamp - pd.to_timedelta(offset, unit="m") + pd.Timedelta(hours=LOCAL_UTC_OFFSET_HOURS)
    return local.dt.normalize().to_numpy()


def parse_phone(series):
    """Phone numbers as text with all their digits: 13812345678 read from a number cell, `138-1234-5678`,
    `+86 138 1234 5678`. Anything else is kept as typed. Returns (text Series, bad mask — always empty)."""
    text = tidy(series)
    if (text.str.fullmatch("1[0-9]{10}") | text.isna()).all():  # the usual column: mobile numbers as typed, nothing to do
        return text, text.isna() & False
    plain = text.str.fullmatch(r"\d+(\.0+)?")
    # Most phones are plain digits (number cells): only the others can hold separators to drop.
    typed = text.notna().to_numpy(dtype=bool) & ~plain.fillna(False).to_numpy(dtype=bool)
    digits = text
    if typed.any():
        digits = text.copy()
        digits.iloc[typed.nonzero()[0]] = text[typed].str.replace(r"[\s\-()（）]", "", regex=True).to_numpy()
    digits = digits.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    digits = digits.str.replace(r"^\+?86(1\d{10})$", r"\1", regex=True)
    is_number = digits.str.fullmatch(r"1\d{10}") | plain
    phone = text.where(~is_number, digits)
    return phone, phone.isna() & False


# `1.23457E+17`: how Excel shows (and saves to CSV) a long number; the digits past the sixth are gone.
MANGLED_ID = r"[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+"


def parse_id(series):
    """Student IDs as text: `1002` read from a number cell stays `1002`, not `1002.0`.

    Returns (text Series, mask of IDs Excel has mangled into `1.23457E+17`: their digits are lost).
    """
    text = tidy(series)
    ids = text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    return ids, ids.str.fullmatch(MANGLED_ID, na=False)


def excel_number_text(value: float) -> str:
    """A number as Excel's General format shows one too long for its column: 123456789012345678 → `1.23457E+17`."""
    mantissa, exponent = f"{value:.5E}".split("E")
    return f"{mantissa.rstrip('0').rstrip('.')}E{int(exponent):+03d}"


DurationUnit = str  # "hours", "minutes" or "seconds"
_SECONDS_IN = {"hours": 3600.0, "minutes": 60.0, "seconds": 1.0}
_CLOCK = r"^([0-9]+):([0-5]?[0-9])(?::([0-5]?[0-9](?:\.[0-9]+)?))?$"
_HOUR_WORDS = r"(?:个?小时|时|hours?|hrs?|h)"
_MINUTE_WORDS = r"(?:分钟|分|minutes?|mins?|m)"
_SECOND_WORDS = r"(?:秒钟|秒|seconds?|secs?|s)"
_NUM = r"([0-9]+(?:\.[0-9]+)?)"
_SPELLED = rf"^(?:{_NUM}\s*{_HOUR_WORDS})?\s*(?:{_NUM}\s*{_MINUTE_WORDS})?\s*(?:{_NUM}\s*{_SECOND_WORDS})?$"
# PT1H20M0S: an ODS or API duration.
_ISO_DURATION = rf"^pt?(?:{_NUM}h)?(?:{_NUM}m)?(?:{_NUM}s)?$"
# A duration cell (Excel's [h]:mm:ss) as the readers give it: a time on Excel's day 0 (1899-12-31),
# or a few days later for 24 hours and more.
_DURATION_CELL = r"^(1899-12-3[01]|1900-0[1-2]-[0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})$"


def parse_duration(series, unit: DurationUnit | None = None, default: DurationUnit = "hours", to: DurationUnit = "hours"):
    """Durations as platforms and people write them, in `to` units.

    A plain number is in the column's `unit` (from its header, see columns.header_unit) or `default`.
    `1:20:00` / `00:45:12` are h:mm:ss; a two-part `45:12` is read in the column's unit and the next
    smaller one: h:mm in an hours column, mm:ss in a minutes or seconds column. `1小时20分`, `45分12秒`,
    `2.5小时`, `90分钟`, `1.5h`, `PT1H20M` and [h]:mm:ss cells carry their own units. 未学习 is blank.

    >>> parse_duration(pd.Series(["1:20:00", "45分12秒", "90"]), unit="minutes")[0].round(4).tolist()  # doctest: +SKIP
    [1.3333, 0.7533, 1.5]

    Returns (float Series, bad mask).
    """
    import pandas as pd

    unit = unit or default
    text = tidy(series)
    text = text.mask(text.isin(NEVER_MARKERS))
    value = pd.to_numeric(text, errors="coerce").astype("float64") * (_SECONDS_IN[unit] / _SECONDS_IN[to])
    unread = text.notna() & value.isna()
    if unread.any():
        seconds = _duration_seconds(text[unread], unit)
        value = value.where(~unread, (seconds / _SECONDS_IN[to]).reindex(value.index))
    return value, text.notna() & value.isna()


def _duration_seconds(typed, unit: DurationUnit):
    import pandas as pd

    seconds = pd.Series(float("nan"), index=typed.index)
    text = typed.str.lower().str.replace(r"\s+", "", regex=True)

    def fill(found, computed) -> None:
        nonlocal seconds
        seconds = seconds.where(~found | seconds.notna(), computed)

    clock = text.str.extract(_CLOCK).astype("float64")
    three = clock[2].notna()
    # Two parts: h:mm in an hours column; mm:ss in a minutes or seconds one (a sheet's "45:12" of video).
    small = 60.0 if unit == "hours" else 1.0
    fill(three, clock[0] * 3600 + clock[1] * 60 + clock[2])
    fill(clock[0].notna() & ~three, clock[0] * small * 60 + clock[1] * small)
    for pattern in (_SPELLED, _ISO_DURATION):
        parts = text.str.extract(pattern).astype("float64")
        found = parts.notna().any(axis=1)
        fill(found, parts[0].fillna(0) * 3600 + parts[1].fillna(0) * 60 + parts[2].fillna(0))
    cell = typed.str.extract(_DURATION_CELL)
    days = (pd.to_datetime(cell[0], errors="coerce") - pd.Timestamp("1899-12-31")).dt.days.clip(lower=0)
    fill(cell[0].notna(), days * 86400 + cell[[1, 2, 3]].astype("float64") @ [3600.0, 60.0, 1.0])
    # Anything else a number column takes (`12课时`, `3节`), in the column's unit.
    rest = seconds.isna()
    if rest.any():
        number, _ = parse_number(text[rest])
        fill(rest, (number * _SECONDS_IN[unit]).reindex(seconds.index))
    return seconds


def parse_share(series, percent: bool = False):
    """A share of a whole: `0.45`, `45%`, and — in a column headed `(%)` (`percent`) — `45`.

    Returns (float Series, bad mask)."""
    value, bad = parse_number(series)
    if percent:
        typed_percent = tidy(series).str.endswith("%", na=False)
        value = value.where(typed_percent, value / 100)
    return value, bad


def parse_text(series):
    text = series.astype("str").str.strip()
    return text.mask(text.eq("")), text.isna() & False


def missing(value) -> bool:
    """None, NaN, NaT or pandas' NA: no value at all."""
    if value is None or (isinstance(value, float) and value != value):
        return True
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an array is a value
        return False


def cell_text(value) -> str | None:
    """One cell as text, trimmed; None for a blank cell (None, NaN, "", spaces) — never "nan" or "None"."""
    if missing(value):
        return None
    text = str(value).strip()
    return text or None


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def parse_date_text(value: str) -> dt.date | None:
    """One date typed on the command line or in a cell."""
    import pandas as pd

    parsed, bad = parse_date(pd.Series([value]))
    if bad.iloc[0] or pd.isna(parsed.iloc[0]):
        return None
    return parsed.iloc[0].date()


def looks_numeric(series) -> bool:
    """True when every filled cell of an unknown column is a plain number (not an ID with a leading 0
    or a long digit string such as a phone or an ID card number)."""
    text = series.dropna().astype("str")
    if text.empty:
        return False
    # [0-9], not \d: Python's \d takes any script's digits, which to_numeric cannot read; and pandas
    # runs a \d pattern cell by cell in Python where Arrow runs [0-9] at once.
    plain = text.str.fullmatch(r"-?(0|[1-9][0-9]{0,9})(\.[0-9]+)?")
    return bool(plain.all())


def looks_like_dates(series) -> bool:
    """True when every filled cell of an unknown column is a date as the readers write real date cells."""
    text = series.dropna().astype("str")
    if text.empty:
        return False
    return bool(text.str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}( 00:00:00)?").all())


def once_per_distinct(parse):
    """`parse` run once per distinct cell and spread back: a roster's dates, scores and teachers repeat
    across 100,000 rows. Every parser works cell by cell, so the result is the same, only sooner."""

    def parse_distinct(series, **options):
        import numpy as np
        import pandas as pd

        codes, distinct = pd.factorize(series, use_na_sentinel=True)
        if len(distinct) > len(series) // 2:
            return parse(series, **options)
        # The distinct cells, then one blank for code -1 to find.
        cells = pd.Series(np.append(np.asarray(distinct, dtype=object), None), dtype=series.dtype)
        value, bad = parse(cells, **options)
        return (
            pd.Series(value.to_numpy()[codes], index=series.index, dtype=value.dtype),
            pd.Series(bad.to_numpy(dtype=bool)[codes], index=series.index),
        )

    return parse_distinct


PARSERS = {
    "id": parse_id,
    "text": once_per_distinct(parse_text),
    "phone": parse_phone,
    "number": once_per_distinct(parse_number),
    "score": once_per_distinct(parse_number),
    "share": once_per_distinct(parse_share),
    "hours": once_per_distinct(parse_duration),
    "date": once_per_distinct(parse_date),
}

