"""A learning-event log (one row per lesson watched or homework handed in), aggregated per student.

The log replaces a roster's aggregate columns: homework done = homework rows, hours watched = lesson
minutes / 60, last active = the date of the newest event on or before the as-of date. A platform
export can hold a million rows, so every column is parsed once per distinct value (`pd.factorize`)
and the sums are `np.bincount` over integer student codes: no Python loop runs per row.

>>> frame, warnings = aggregate_events(Path("samples/events.csv"), Config(), dt.date(2026, 11, 23))  # doctest: +SKIP
>>> frame.columns.tolist()                                                                       # doctest: +SKIP
['student_id', 'homework_done', 'hours_watched', 'last_active', 'weekly_activity']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .columns import FIELD_BY_NAME, field_for_header, header_unit, normalise_header
from .config import Config
from .frames import isin
from .model import course_totals
from .errors import InvalidInput, Problem
from .progress import step
from .reading import RawSheet, read_table
from .values import MANGLED_ID, parse_date, parse_duration, parse_id, tidy


@dataclass(frozen=True)
class EventField:
    name: str
    label: str  # how pfk names the column in messages
    aliases: tuple[str, ...]


EVENT_FIELDS: tuple[EventField, ...] = (
    EventField("student_id", "学号", FIELD_BY_NAME["student_id"].aliases),
    EventField(
        "occurred_at",
        "时间",
        ("时间", "日期", "学习时间", "学习日期", "发生时间", "记录时间", "事件时间", "行为时间", "提交时间",
         "观看时间", "时间戳", "date", "time", "datetime", "timestamp", "occurred_at"),
    ),
    EventField(
        "kind",
        "类型",
        ("类型", "事件类型", "行为", "行为类型", "学习类型", "记录类型", "学习行为", "事件", "动作",
         "type", "kind", "event", "event_type", "action"),
    ),
    EventField(
        "minutes",
        "时长（分钟）",
        ("时长", "分钟", "分钟数", "学习时长", "观看时长", "观看分钟", "时长分钟", "学习分钟",
         "duration", "minutes", "mins"),
    ),
)
EVENT_FIELD_BY_NAME = {f.name: f for f in EVENT_FIELDS}

LESSON, HOMEWORK = "lesson", "homework"
KIND_ALIASES: dict[str, tuple[str, ...]] = {
    LESSON: ("看课", "观看", "视频", "直播", "听课", "上课", "回放", "看视频", "观看视频", "观看直播", "课程学习",
             "lesson", "watch", "video", "live"),
    HOMEWORK: ("作业", "交作业", "提交作业", "作业提交", "完成作业", "homework", "assignment"),
}
_KIND_INDEX = {normalise_header(alias): kind for kind, aliases in KIND_ALIASES.items() for alias in aliases}


# Enough rows per kind of problem for a person to see the pattern; the rest are counted.
MAX_LISTED = 50
WEEK_DAYS = 7
_TOTAL_MARKERS = ("合计", "总计", "小计", "total", "sum")
_REQUIRED = ("student_id", "occurred_at", "kind", "minutes")


def event_field_for_header(header: object, config: Config | None = None) -> str | None:
    """The event-log field a header stands for (`时长（分钟）` → minutes), or None.

    A `student_id` mapping in pfk.toml's [columns] applies here too, since the log and the roster
    come from the same platform.
    """
    key = normalise_header(header)
    if not key:
        return None
    if config is not None and "student_id" in config.columns:
        if field_for_header(header, {"student_id": config.columns["student_id"]}) == "student_id":
            return "student_id"
    return _EVENT_ALIAS_INDEX.get(key)


_EVENT_ALIAS_INDEX = {normalise_header(alias): f.name for f in EVENT_FIELDS for alias in f.aliases}


def kinds_text() -> str:
    return "；".join(f"{'看课' if kind == LESSON else '作业'}：{'、'.join(aliases[:6])}" for kind, aliases in KIND_ALIASES.items())


@dataclass
class EventLog:
    """Parsed events: one entry per usable row, as parallel arrays (numpy) to keep a million rows cheap."""

    file: str
    sheet: str | None
    student_ids: object  # pandas.Index of distinct IDs
    student_code: object  # numpy int array: position in student_ids per event
    day: object  # numpy datetime64[ns] at midnight per event
    is_homework: object  # numpy bool per event
    minutes: object  # numpy float per event (0 for homework)


def read_events(
    path: Path, config: Config | None = None, sheet: str | None = None, as_of: dt.date | None = None
) -> tuple[EventLog, list[Problem]]:
    """Read and validate an event log. Raises `InvalidInput` listing every bad cell by Excel row.
    `as_of` (today by default) gives a year to time stamps typed without one (`11-20 19:00`)."""
    config = config or Config()
    # Read beside the roster (see score_students): Arrow's parser on this thread alone leaves the other
    # core to calamine, which is then done sooner; over both cores it would slow the roster for little gain.
    raw = read_table(Path(path), sheet, matcher=lambda header: event_field_for_header(header, config), threads=False)
    return _parse_events(raw, config, as_of)


def _parse_events(raw: RawSheet, config: Config, as_of: dt.date | None = None):
    import numpy as np
    import pandas as pd

    problems: list[Problem] = []
    warnings: list[Problem] = []
    where = {"file": raw.file, "sheet": raw.sheet}

    position: dict[str, int] = {}
    for index, header in enumerate(raw.headers):
        name = event_field_for_header(header, config)
        if name and name not in position:
            position[name] = index
    for name in _REQUIRED:
        if name not in position:
            aliases = "、".join(EVENT_FIELD_BY_NAME[name].aliases[:6])
            problems.append(Problem(**where, row=raw.header_row, code="missing_column",
                                    message=f"学习记录缺少「{EVENT_FIELD_BY_NAME[name].label}」列（认得的列名：{aliases}）"))
    if problems:
        raise InvalidInput(problems, warnings)

    data = raw.data
    rows = data.index.to_numpy()
    cells = {name: data[data.columns[position[name]]] for name in _REQUIRED}
    # Each column is numbered by distinct cell once (`pd.factorize`); everything after works on those
    # numbers, and on the whole log: skipped rows are masked, never cut out of a million-row frame.
    id_codes_raw, id_distinct = pd.factorize(cells["student_id"], use_na_sentinel=True)
    blank = data.isna().all(axis=1).to_numpy()
    marker = pd.Series(id_distinct, dtype="str").str.strip().str.lower().isin(_TOTAL_MARKERS).to_numpy()
    is_total = np.append(marker, False)[id_codes_raw] & ~blank
    if blank.any():
        warnings.append(Problem(**where, code="blank_rows", message=f"跳过 {int(blank.sum())} 个空行"))
    for row in rows[is_total][:MAX_LISTED]:
        warnings.append(Problem(**where, row=int(row), code="total_row", message="合计行，已跳过"))
    counted = ~(blank | is_total)

    def header(name: str) -> str:
        return raw.headers[position[name]]

    def report(mask, code: str, name: str, message) -> None:
        """One problem per flagged row (up to MAX_LISTED), then a count of the rest."""
        flagged = np.flatnonzero(mask & counted)
        if not len(flagged):
            return
        shown = cells[name].iloc[flagged[:MAX_LISTED]].tolist()
        for i, cell in zip(flagged[:MAX_LISTED], shown):
            problems.append(Problem(**where, row=int(rows[i]), column=header(name), code=code, message=message(str(cell).strip())))
        if len(flagged) > MAX_LISTED:
            problems.append(Problem(**where, column=header(name), code=code, message=f"另有 {len(flagged) - MAX_LISTED} 行同样的问题"))

    ids, id_codes, _ = _by_distinct((id_codes_raw, id_distinct), lambda u: parse_id(u)[0])
    mangled = ids.str.fullmatch(MANGLED_ID, na=False).to_numpy()
    report(np.append(mangled, False)[id_codes] & (id_codes >= 0), "mangled_id", "student_id",
           lambda text: f'"{text}" 是被 Excel 变成科学计数法的长数字，后面几位已经丢失；请把学号列按文本导出后再试')
    # `1002` and `1002.0` are one student: number the parsed IDs again.
    id_again, ids = pd.factorize(ids)
    id_codes = np.where(id_codes >= 0, np.append(id_again, -1)[id_codes], -1)
    report(id_codes < 0, "missing_value", "student_id", lambda _: "学号不能为空")

    days, day_codes, _ = _by_distinct(cells["occurred_at"], lambda text: _parse_days(text, as_of))
    day_values = np.append(days.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))[day_codes]
    report(day_codes < 0, "missing_value", "occurred_at", lambda _: "时间不能为空")
    report((day_codes >= 0) & np.isnat(day_values), "bad_date", "occurred_at",
           lambda text: f'"{text}" 不是日期时间（如 2026-11-03 20:15、2026/11/3、2026年11月3日）')

    kind_names, kind_codes, _ = _by_distinct(cells["kind"], _parse_kinds)
    kind_of = np.append(kind_names.to_numpy(dtype=object), None)
    report(kind_codes < 0, "missing_value", "kind", lambda _: f"类型不能为空（{kinds_text()}）")
    is_homework = (kind_of == HOMEWORK)[kind_codes]
    is_lesson = (kind_of == LESSON)[kind_codes]
    unknown = (kind_codes >= 0) & ~is_homework & ~is_lesson & counted
    if unknown.any():
        counts = cells["kind"][unknown].str.strip().value_counts()
        listed = "、".join(f"「{k}」{n} 条" for k, n in counts.head(8).items())
        warnings.append(Problem(**where, column=header("kind"), code="unknown_kind",
                                message=f"{int(unknown.sum())} 条记录的类型不认识（{listed}），未计入；认得的类型：{kinds_text()}"))

    # The header's unit (时长（小时）, 时长/秒) decides a plain number; a column without one is in minutes.
    unit = header_unit(header("minutes"))
    unit = unit if unit in ("hours", "minutes", "seconds") else None
    minute_values, minute_codes, minute_bad = _by_distinct(cells["minutes"], lambda text: _minutes(text, unit))
    minutes = np.append(minute_values.to_numpy(dtype="float64"), np.nan)[minute_codes]
    bad_minutes = np.append(minute_bad.to_numpy(dtype=bool), False)[minute_codes] & is_lesson
    unit_name = {"hours": "小时数", "seconds": "秒数"}.get(unit, "分钟数")
    report(bad_minutes, "bad_number", "minutes", lambda text: f'"{text}" 不是{unit_name}（也可写成 1:20:00、45分12秒）')
    report(is_lesson & (minutes < 0), "out_of_range", "minutes", lambda text: f'"{text}" 不能是负数')
    no_duration = is_lesson & (minute_codes < 0) & counted
    if no_duration.any():
        shown = "、".join(str(int(r)) for r in rows[no_duration][:10]) + ("…" if no_duration.sum() > 10 else "")
        warnings.append(Problem(**where, column=header("minutes"), code="missing_duration",
                                message=f"{int(no_duration.sum())} 条看课记录没有时长，按 0 分钟计（第{shown}行）"))

    if problems:
        problems.sort(key=lambda p: (p.row is None, p.row or 0))
        raise InvalidInput(problems, warnings)

    usable = (is_homework | is_lesson) & counted
    log = EventLog(
        file=raw.file,
        sheet=raw.sheet,
        student_ids=ids,
        student_code=id_codes[usable],
        day=day_values[usable],
        is_homework=is_homework[usable],
        minutes=np.where(is_lesson, np.nan_to_num(minutes, nan=0.0), 0.0)[usable],
    )
    return log, warnings


def _by_distinct(cells, parse):
    """Parse each distinct cell once. `cells` is a Series, or its `pd.factorize` already made.
    Returns (parsed value per distinct cell, code per row — -1 for a blank cell —, bad mask per
    distinct cell). Callers append a blank value so that -1 finds it."""
    import numpy as np
    import pandas as pd

    raw_codes, raw_distinct = cells if isinstance(cells, tuple) else pd.factorize(cells, use_na_sentinel=True)
    # Tidy each distinct cell once, then merge cells that differ only in spaces or full-width digits.
    tidy_codes, uniques = pd.factorize(tidy(pd.Series(raw_distinct, dtype="str")), use_na_sentinel=True)
    codes = np.append(tidy_codes, -1)[raw_codes]
    distinct = pd.Series(uniques, dtype="str")
    parsed = parse(distinct).reset_index(drop=True)
    return parsed, codes, (parsed.isna() & distinct.notna()).reset_index(drop=True)


# Only whole ISO dates take the fast path: pandas' ISO parser would read `2026` as 2026-01-01.
_ISO_DAY = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"


def _parse_days(text, as_of: dt.date | None = None):
    """The date (at midnight) of each time stamp: ISO stamps the fast way, then every other way people write dates."""
    import pandas as pd

    iso = text.str.match(_ISO_DAY, na=False)
    value = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if iso.any():
        value[iso] = pd.to_datetime(text[iso], format="ISO8601", errors="coerce").astype("datetime64[ns]")
    rest = value.isna() & text.notna()
    if rest.any():
        slow, _ = parse_date(text[rest], as_of)
        value[rest] = slow
    return value.dt.normalize()


def _parse_kinds(text):
    import pandas as pd

    return pd.Series([_KIND_INDEX.get(normalise_header(v)) for v in text.tolist()], index=text.index, dtype=object)


def _minutes(text, unit):
    """Minutes of each duration; 未学习 and the like are 0, not unreadable."""
    value, bad = parse_duration(text, unit=unit, default="minutes", to="minutes")
    return value.where(bad | value.notna(), 0.0)


def aggregate_events(path: Path, config: Config, as_of: dt.date, sheet: str | None = None):
    """Per student: homework_done, hours_watched, last_active (datetime64) and weekly_activity
    (days with any learning in the 7 days ending on `as_of`). Events after `as_of` are left out.

    Returns (DataFrame, warnings). Raises `InvalidInput` when cells are unreadable.
    """
    with step(f"读取并汇总 {Path(path).name}"):
        log, warnings = read_events(path, config, sheet, as_of)
        return _aggregate(log, as_of, warnings)


def _aggregate(log: EventLog, as_of: dt.date, warnings: list[Problem]):
    import numpy as np
    import pandas as pd

    cutoff = np.datetime64(pd.Timestamp(as_of).to_datetime64(), "ns")
    later = log.day > cutoff
    if later.any():
        warnings.append(Problem(file=log.file, sheet=log.sheet, code="after_as_of",
                                message=f"{int(later.sum())} 条记录晚于计算日期 {as_of:%Y-%m-%d}，未计入"))
    keep = ~later
    codes = log.student_code[keep]
    days = log.day[keep]
    n = len(log.student_ids)

    homework = np.bincount(codes, weights=log.is_homework[keep].astype("float64"), minlength=n)
    minutes = np.bincount(codes, weights=log.minutes[keep], minlength=n)
    day_numbers = days.astype("datetime64[D]").astype("int64")
    last = np.full(n, np.iinfo("int64").min)
    np.maximum.at(last, codes, day_numbers)
    has_event = np.bincount(codes, minlength=n) > 0

    week_start = (np.datetime64(as_of, "D") - np.timedelta64(WEEK_DAYS - 1, "D")).astype("int64")
    in_week = day_numbers >= week_start
    # Distinct (student, day) pairs in the week, packed into one integer each.
    active_days = np.unique(codes[in_week].astype("int64") * (1 << 32) + (day_numbers[in_week] - week_start))
    weekly = np.bincount(active_days >> 32, minlength=n)

    frame = pd.DataFrame(
        {
            "student_id": pd.Series(log.student_ids[has_event], dtype="str"),
            "homework_done": homework[has_event],
            "hours_watched": minutes[has_event] / 60,
            "last_active": last[has_event].astype("datetime64[D]").astype("datetime64[ns]"),
            "weekly_activity": weekly[has_event].astype("int64"),
        }
    )
    return frame, warnings


def merge_progress(frame, path: Path, config: Config, as_of: dt.date, sheet: str | None = None):
    """Replace a roster's homework_done, hours_watched and last_active with the event log's figures.

    Students without any event get 0, 0 and no date (a warning says how many); IDs in the log that
    the roster lacks are ignored with a warning. Returns (frame, warnings).
    """
    totals, warnings = aggregate_events(path, config, as_of, sheet)
    return merge_totals(frame, totals, warnings, path, config)


def merge_totals(frame, totals, warnings: list[Problem], path: Path, config: Config):
    """`merge_progress` for a log already aggregated (`aggregate_events`): returns (frame, warnings)."""
    where = {"file": Path(path).name}
    frame = frame.copy(deep=False)  # copy-on-write: the caller's frame is left as it was
    merged = frame[["student_id"]].merge(totals, on="student_id", how="left")
    merged.index = frame.index
    no_events = merged["homework_done"].isna()

    frame["homework_done"] = merged["homework_done"].fillna(0.0)
    frame["hours_watched"] = merged["hours_watched"].fillna(0.0)
    frame["last_active"] = merged["last_active"].astype("datetime64[ns]")
    frame["weekly_activity"] = merged["weekly_activity"].fillna(0).astype("int64")

    limits = course_totals(frame, config)
    for name, total in (("homework_done", limits["homework_total"]), ("hours_watched", limits["hours_total"])):
        over = frame[name] > total
        if over.any():
            label = FIELD_BY_NAME[name].label
            shown = "、".join(f"{t:g}" for t in sorted(total[over].unique()))
            warnings.append(Problem(**where, code="clamped",
                                    message=f"{int(over.sum())} 名学员的{label}超过课程总数 {shown}（{_ids(frame.loc[over, 'student_id'])}），按 {shown} 计算"))
            frame.loc[over, name] = total[over]

    if no_events.any():
        warnings.append(Problem(**where, code="no_events",
                                message=f"{int(no_events.sum())} 名学员在学习记录里没有任何记录（{_ids(frame.loc[no_events, 'student_id'])}），作业、课时按 0 计，最近学习时间留空"))
    unknown = ~isin(totals["student_id"], frame["student_id"])
    if unknown.any():
        warnings.append(Problem(**where, code="unknown_student",
                                message=f"学习记录里有 {int(unknown.sum())} 个学号不在名单里（{_ids(totals.loc[unknown, 'student_id'])}），已忽略"))
    return frame, warnings


def _ids(series, shown: int = 8) -> str:
    values = [str(v) for v in series.head(shown + 1).tolist()]
    return "、".join(values[:shown]) + ("…" if len(values) > shown else "")
