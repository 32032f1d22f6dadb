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

NUMBER_PATTERN = r"^([+-]?\d+(?:\.\d+)?|[+-]?\.\d+)\s*(分|次|个|篇|份|小时|课时|节|h|H|星|颗星|%)?$"
_DATE_PATTERN = (
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
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
    if unread.any():
        parts = text[unread].str.extract(NUMBER_PATTERN)
        extra = pd.to_numeric(parts[0], errors="coerce").astype("float64")
        extra = extra.where(parts[1] != "%", extra / 100)
        value = value.where(~unread, extra.reindex(value.index))
    return value, text.notna() & value.isna()


def parse_date(series):
    """Real dates (read as `2026-11-03 00:00:00`), Excel serials, `2026/11/3`, `2026年11月3日`, `20261103`.

    Returns (datetime64 Series at midnight, bad mask).
    """
    import pandas as pd

    text = tidy(series)
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
            value.iloc[typed.nonzero()[0]] = _typed_dates(text[typed]).to_numpy()
    unread = text.notna() & value.isna()
    if unread.any():
        serial = pd.to_numeric(text[unread], errors="coerce").astype("float64")
        serial = serial.where((serial >= _SERIAL_MIN) & (serial <= _SERIAL_MAX))
        from_serial = pd.Timestamp(_EXCEL_EPOCH) + pd.to_timedelta(serial.floordiv(1), unit="D")
        value = value.where(~unread, from_serial.reindex(value.index))
    return value, text.notna() & value.isna()


def _typed_dates(text):
    import pandas as pd

    parts = text.str.extract(_DATE_PATTERN)
    compact = text.str.extract(_COMPACT_DATE)
    parts = parts.fillna(compact)
    ymd = parts.astype("float64").rename(columns={0: "year", 1: "month", 2: "day"})
    # `0001/1/1` or `9999-12-31` is a typo, not a date: pandas' nanosecond clock cannot even hold it.
    ymd.loc[~ymd["year"].between(1900, 2199)] = float("nan")
    return pd.to_datetime(ymd, errors="coerce").astype("datetime64[ns]")


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


def parse_id(series):
    """Student IDs as text: `1002` read from a number cell stays `1002`, not `1002.0`."""
    text = tidy(series)
    return text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True), text.isna() & False


def parse_text(series):
    text = series.astype("str").str.strip()
    return text.mask(text.eq("")), text.isna() & False


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

    def parse_distinct(series):
        import numpy as np
        import pandas as pd

        codes, distinct = pd.factorize(series, use_na_sentinel=True)
        if len(distinct) > len(series) // 2:
            return parse(series)
        # The distinct cells, then one blank for code -1 to find.
        cells = pd.Series(np.append(np.asarray(distinct, dtype=object), None), dtype=series.dtype)
        value, bad = parse(cells)
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
    "share": once_per_distinct(parse_number),
    "date": once_per_distinct(parse_date),
}

