"""A roster (one row per student): headers mapped to fields, values parsed, every problem found at once.

`StudentRow` declares what a valid row is. The checks run a column at a time over the whole roster
(a 100,000-row export must take well under a second), reading bounds and required fields from the
model, so the rules live in one place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field

from .columns import FIELD_BY_NAME, PROGRESS_FIELDS, REQUIRED_FIELDS, aliases_text, field_for_header, header_unit, is_weak_header
from .config import Config
from .model import course_totals
from .errors import InvalidInput, Problem
from .progress import step
from .reading import RawSheet, read_tables
from .texts import arrow
from .values import PARSERS, looks_like_dates, looks_numeric, tidy


class StudentRow(BaseModel):
    """One student as pfk understands a roster row. Bounds here drive the column checks in `load_roster`."""

    student_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    teacher: str = Field(min_length=1)
    phone: str | None = None
    course: str | None = None
    homework_done: float | None = Field(None, ge=0)
    hours_watched: float | None = Field(None, ge=0)
    completion: float | None = Field(None, ge=0, le=1)
    last_active: dt.date | None = None
    course_start: dt.date | None = None
    course_end: dt.date | None = None
    enrolled_on: dt.date | None = None
    renewal: str | None = None
    homework_score: float | None = Field(None, ge=0)
    status: str | None = None
    satisfaction: float | None = Field(None, ge=0, le=5)
    fast_forward: float | None = Field(None, ge=0, le=1)
    p_score: float | None = Field(None, ge=1, le=5)
    k_score: float | None = Field(None, ge=1, le=5)
    last_callback: dt.date | None = None
    next_followup: dt.date | None = None


def _bounds(name: str) -> tuple[float | None, float | None]:
    low = high = None
    for rule in StudentRow.model_fields[name].metadata:
        low = getattr(rule, "ge", low)
        high = getattr(rule, "le", high)
    return low, high


_TOTAL_MARKERS = ("合计", "总计", "小计", "总数", "total", "sum")
_EXPECTED = {
    "number": "数字",
    "hours": "时长（如 12.5、1:20:00、45分12秒、1小时20分）",
    "score": "1-5的分数",
    "share": "比例（如 0.3 或 30%）",
    "date": "日期（如 2026-11-03、2026/11/3、2026年11月3日）",
}


@dataclass
class Roster:
    """Parsed students. `frame` has one column per known field present, `extra_columns` (unknown
    headers, kept in their order) and `excel_row`."""

    file: str
    sheet: str | None  # the sheet read, or the sheets read joined with 、
    frame: object  # pandas.DataFrame
    columns: list[tuple[str, str]]  # (header as written, field name or "extra:<n>") in sheet order
    warnings: list[Problem] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)  # every sheet read, in workbook order
    # With `keep_cells`: each row's cells as read (text), columns named as `frame`'s, for an output
    # that gives the roster back as it came (pfk assign's 学员名单).
    cells: object = None

    @property
    def fields(self) -> set[str]:
        return {name for _, name in self.columns if not name.startswith("extra:")}

    @property
    def extra_columns(self) -> list[str]:
        return [name for _, name in self.columns if name.startswith("extra:")]


def load_roster(
    path: Path,
    config: Config | None = None,
    sheet: str | None = None,
    need_progress: bool = False,
    as_of: dt.date | None = None,
    *,
    teacher_optional: bool = False,
    keep_cells: bool = False,
) -> Roster:
    """Read and validate a roster. Raises `InvalidInput` listing every problem; returns warnings too.

    Every sheet with the same header is read (a roster exported one sheet per teacher or class), unless
    `sheet` names one. `as_of` (today by default) gives a year to dates typed without one (`11-20`).
    `teacher_optional` lets a blank 运营老师, or no such column, through: for pfk assign alone, whose
    work is to fill it in. `keep_cells` keeps each row's cells as read (`Roster.cells`).
    """
    config = config or Config()
    mapping = config.columns
    name = Path(path).name
    with step(f"读取 {name}"):
        tables = read_tables(path, sheet, matcher=lambda header: field_for_header(header, mapping))
        notes = _sheet_notes(name, tables)
        rosters, problems, warnings = [], [], []
        for raw in tables.sheets:
            try:
                rosters.append(validate_roster(raw, config, need_progress, as_of, teacher_optional=teacher_optional, keep_cells=keep_cells))
            except InvalidInput as exc:
                problems += exc.problems
                warnings += exc.warnings
                if any(p.code == "missing_column" for p in exc.problems):
                    break  # the other sheets have the same header: the same columns are missing there
        if problems:
            raise InvalidInput(problems, notes + warnings + [w for r in rosters for w in r.warnings])
        if len(rosters) == 1:
            roster = rosters[0]
            roster.warnings = notes + roster.warnings
            return roster
        return _joined(rosters, notes)


def _sheet_notes(file: str, tables) -> list[Problem]:
    notes = []
    if len(tables.sheets) > 1:
        names = "、".join(f"「{raw.sheet}」" for raw in tables.sheets)
        notes.append(Problem(file=file, code="sheets_read", message=f"读取了 {len(tables.sheets)} 个表头相同的工作表：{names}，合为一份名单"))
    if tables.skipped_sheets:
        names = "、".join(f"「{n}」" for n in tables.skipped_sheets)
        notes.append(Problem(file=file, code="sheet_skipped", message=f"工作表{names}里找不到表头，已跳过"))
    if tables.other_headers:
        names = "、".join(f"「{n}」" for n in tables.other_headers)
        first = tables.sheets[0].sheet
        notes.append(Problem(file=file, code="sheet_other_header",
                             message=f"工作表{names}的表头与「{first}」不同，未读取；需要时请用 --sheet 单独指定"))
    return notes


def _joined(rosters: list[Roster], notes: list[Problem]) -> Roster:
    """Sheets of one roster as one: rows in workbook order; an ID in two sheets is a problem as in one."""
    import numpy as np
    import pandas as pd

    frame = pd.concat([r.frame for r in rosters], ignore_index=True)
    sheet_of = np.repeat([r.sheet for r in rosters], [len(r.frame) for r in rosters])
    ids = frame["student_id"]
    duplicated = ids.duplicated(keep=False).to_numpy()
    problems = []
    if duplicated.any():
        id_header = next(header for header, name in rosters[0].columns if name == "student_id")
        seen: dict[str, tuple[str, int]] = {}
        for position in np.flatnonzero(duplicated):
            sid, sheet, row = ids.iat[position], sheet_of[position], int(frame["excel_row"].iat[position])
            if sid in seen and seen[sid][0] != sheet:
                first_sheet, first_row = seen[sid]
                problems.append(Problem(file=rosters[0].file, sheet=sheet, row=row, column=id_header, code="duplicate_id",
                                        message=f"学号 {sid} 重复（与工作表「{first_sheet}」第{first_row}行相同）"))
            seen.setdefault(sid, (sheet, row))
    warnings = notes + [w for r in rosters for w in r.warnings]
    if problems:
        raise InvalidInput(problems, warnings)
    names = [r.sheet for r in rosters]
    cells = pd.concat([r.cells for r in rosters], ignore_index=True) if rosters[0].cells is not None else None
    return Roster(rosters[0].file, "、".join(names), frame, rosters[0].columns, warnings, sheets=names, cells=cells)


def validate_roster(
    raw: RawSheet,
    config: Config,
    need_progress: bool = False,
    as_of: dt.date | None = None,
    *,
    teacher_optional: bool = False,
    keep_cells: bool = False,
) -> Roster:
    import pandas as pd

    problems: list[Problem] = []
    warnings: list[Problem] = []
    where = {"file": raw.file, "sheet": raw.sheet}

    def problem(code: str, message: str, row: int | None = None, column: str | None = None, warn: bool = False) -> None:
        (warnings if warn else problems).append(Problem(**where, row=row, column=column, code=code, message=message))

    # Headers → fields. The first column naming a field wins, a weak one (a nickname for the name) only
    # where no other column names that field; unknown columns are kept.
    columns: list[tuple[str, str]] = []
    field_position: dict[str, int] = {}
    seen_extra: dict[str, int] = {}
    named = {field_for_header(h, config.columns) for h in raw.headers if not is_weak_header(h, config.columns)}
    for position, header in enumerate(raw.headers):
        name = field_for_header(header, config.columns)
        label = header or f"（第{raw.letters[position]}列）"
        if name and is_weak_header(header, config.columns) and name in named:
            name = None  # kept as an ordinary column, without a warning: a platform exports both
        if name and name not in field_position:
            field_position[name] = position
            columns.append((header, name))
            continue
        if name:
            first = raw.headers[field_position[name]]
            problem("duplicate_header", f"与「{first}」都表示{FIELD_BY_NAME[name].label}，只用前一列，这一列按普通列保留", raw.header_row, label, warn=True)
        count = seen_extra.get(label, 0)
        seen_extra[label] = count + 1
        columns.append((label if count == 0 else f"{label}_{count + 1}", f"extra:{position}"))

    required = [name for name in REQUIRED_FIELDS if not (teacher_optional and name == "teacher")]
    required += list(PROGRESS_FIELDS) if need_progress else []
    missing = [name for name in required if name not in field_position and not (name == "hours_watched" and "completion" in field_position)]
    if missing:
        seen = "、".join(f"{FIELD_BY_NAME[name].label}（{raw.headers[pos]}）" for name, pos in field_position.items())
        seen_text = f"；表头里认出了：{seen}" if seen else "；表头里一个认得的列也没有"
    for name in missing:
        also = "，或学习进度/完课率" if name == "hours_watched" else ""
        problem("missing_column", f"缺少「{FIELD_BY_NAME[name].label}」列（认得的列名：{aliases_text(name)}{also}；也可在 pfk.toml 的 [columns] 里指定）{seen_text}", raw.header_row)
    if problems:
        raise InvalidInput(problems, warnings)

    data = raw.data
    blank = data.isna().all(axis=1)
    # A 合计/总计 row usually names itself in the first column, the ID column or the name column.
    is_total = blank & False
    marker = None
    for position in {0, field_position["student_id"], field_position["name"]}:
        cell = _without_spaces(data[data.columns[position]].astype("str")).str.lower()
        hit = cell.isin(_TOTAL_MARKERS)
        marker = cell.where(hit, marker) if marker is not None else cell.where(hit)
        is_total = is_total | hit
    blank_rows = [int(r) for r in data.index[blank]]
    if blank_rows:
        shown = "、".join(str(r) for r in blank_rows[:10]) + ("…" if len(blank_rows) > 10 else "")
        problem("blank_rows", f"跳过 {len(blank_rows)} 个空行（第{shown}行）", warn=True)
    for row in data.index[is_total & ~blank]:
        problem("total_row", f"「{marker[row]}」行是合计行，已跳过", int(row), warn=True)
    data = data[~blank & ~is_total]
    if data.empty:
        problem("no_students", "表头下面没有任何学员数据（只有空行或合计行）", raw.header_row)
        raise InvalidInput(problems, warnings)

    # Collected first and framed once: inserting columns one by one is quadratic on wide sheets.
    built = {"excel_row": data.index.astype("int64")}
    for header, name in columns:
        position = _position(name, field_position)
        source = data[data.columns[position]]
        if name.startswith("extra:"):
            built[name] = _typed_extra(source)
            continue
        kind = FIELD_BY_NAME[name].kind
        value, bad = PARSERS[kind](source, **_parse_options(kind, header, as_of))
        if kind in ("id", "text", "phone"):
            value = _without_control_characters(value, header, problem)
        if kind == "id":
            for row in value.index[bad]:
                problem("mangled_id", f'"{str(value[row])}" 是被 Excel 变成科学计数法的长数字，后面几位已经丢失、无法还原；'
                        "请在平台导出时把学号列设为文本（或导出 CSV 后用 Excel「数据 › 从文本」把这一列设为文本导入），再重新导出", int(row), header)
            bad = bad & False
        if name == "completion":
            value = _percent_guess(value, source, header, problem)
        for row in value.index[bad]:
            problem(f"bad_{kind}", f'"{str(source[row]).strip()}" 不是{_EXPECTED[kind]}', int(row), header)
        low, high = _bounds(name)
        if low is not None or high is not None:
            outside = (value < low if low is not None else value.isna() & False) | (value > high if high is not None else False)
            for row in value.index[outside]:
                typed = str(source[row]).strip()
                if low is not None and high is not None:
                    problem("out_of_range", f'"{typed}" 超出范围，应在{low:g}-{high:g}之间', int(row), header)
                else:
                    problem("out_of_range", f'"{typed}" 不能小于{low:g}', int(row), header)
        built[name] = value
    frame = pd.DataFrame(built, index=data.index)

    for name in REQUIRED_FIELDS:
        if name not in required:  # the teacher, for pfk assign
            continue
        header = raw.headers[field_position[name]]
        # A blank teacher is a new student waiting for one: the way on is pfk assign, said on the row.
        message = (
            f"运营老师是空的：新学员请先运行 pfk assign {raw.file} 分配老师，再对它写出的 {Path(raw.file).stem}.assign.xlsx 运行 pfk classify"
            if name == "teacher" else f"{FIELD_BY_NAME[name].label}不能为空"
        )
        for row in frame.index[frame[name].isna()]:
            problem("missing_value", message, int(row), header)

    ids = frame["student_id"]
    duplicated = ids.notna() & ids.duplicated(keep=False)
    if duplicated.any():
        id_header = raw.headers[field_position["student_id"]]
        for sid, rows in frame[duplicated].groupby("student_id", sort=False).groups.items():
            rows = [int(r) for r in rows]
            for row in rows[1:]:
                others = "、".join(f"第{r}行" for r in rows if r != row)
                problem("duplicate_id", f"学号 {sid} 重复（与{others}相同）", row, id_header)

    _hours_from_completion(frame, config, raw, field_position, problem)
    _clamp_progress(frame, config, raw, field_position, problem)
    _check_course_dates(frame, raw, field_position, problem)
    _check_past_dates(frame, raw, field_position, problem, as_of or dt.date.today())

    if problems:
        problems.sort(key=lambda p: (p.row or 0))
        raise InvalidInput(problems, warnings)
    frame = frame.reset_index(drop=True)
    cells = None
    if keep_cells:
        cells = pd.DataFrame({name: data[data.columns[_position(name, field_position)]] for _, name in columns}).reset_index(drop=True)
    return Roster(raw.file, raw.sheet, frame, columns, warnings, sheets=[raw.sheet] if raw.sheet else [], cells=cells)


def _position(name: str, field_position: dict[str, int]) -> int:
    """The sheet column of a roster column: `extra:<n>` names its own, a field the one it was read from."""
    return int(name.split(":")[1]) if name.startswith("extra:") else field_position[name]


def _parse_options(kind: str, header: str, as_of: dt.date | None) -> dict:
    """What a column's parser needs beyond its cells: the header's unit, the as-of date."""
    if kind == "hours":
        unit = header_unit(header)
        return {"unit": unit if unit in ("hours", "minutes", "seconds") else None}
    if kind == "share":
        return {"percent": header_unit(header) == "percent"}
    if kind == "date":
        return {"as_of": as_of}
    return {}


def _percent_guess(value, source, header: str, problem):
    """学习进度 written as 45 for 45%: when no value is above 100 and some are above 1, and none was
    typed as a share (`0.45`) or with `%`, the column is read as percentages, with a warning."""
    if header_unit(header) == "percent":
        return value
    filled = value.dropna()
    typed = tidy(source)
    if filled.empty or not (filled > 1).any() or (filled > 100).any():
        return value
    if typed.str.contains("%", regex=False, na=False).any() or ((filled > 0) & (filled < 1)).any():
        return value
    problem("percent_column", "这一列的数都在 0-100 之间，按百分数读（45 即 45%）", column=header, warn=True)
    return value / 100

_CONTROL = r"[\x00-\x1f\x7f-\x9f]"


def _without_control_characters(value, header: str, problem):
    """Invisible control characters (from broken exports or copy-paste) taken out of names and IDs, with a warning."""
    import pyarrow.compute as pc

    if pc.all(pc.utf8_is_printable(arrow(value))).as_py() is not False:  # the usual column: nothing to look for
        return value
    dirty = value.str.contains(_CONTROL, regex=True, na=False)
    if not dirty.any():
        return value
    for row in value.index[dirty]:
        problem("control_characters", "去掉了看不见的控制字符", int(row), header, warn=True)
    cleaned = value.str.replace(_CONTROL, "", regex=True).str.strip()
    return cleaned.mask(cleaned.eq(""))


# Letters, digits and Chinese characters: a cell made of these alone holds no space of any kind.
_NO_SPACES = "[0-9A-Za-z\u4e00-\u9fff]*"


def _without_spaces(text):
    """`text.str.replace(r"\\s", "")`, which pandas runs in Python cell by cell, on the cells that may need it."""
    maybe = ~text.str.fullmatch(_NO_SPACES, na=False).to_numpy(dtype=bool)
    if maybe.all():
        return text.str.replace(r"\s", "", regex=True)
    text = text.copy()
    if maybe.any():
        text.iloc[maybe.nonzero()[0]] = text[maybe].str.replace(r"\s", "", regex=True).to_numpy()
    return text


def _typed_extra(source):
    """Unknown columns are carried as they were: numbers as numbers, dates as dates, the rest as text."""
    import pandas as pd

    text = tidy(source)
    if looks_numeric(text):
        return pd.to_numeric(text, errors="coerce")
    if looks_like_dates(text):
        dates = pd.to_datetime(text, errors="coerce", format="ISO8601")
        if not (dates.isna() & text.notna()).any():  # else a `2026-13-45` would arrive blank: keep the text
            return dates
    text = source.astype("str").str.strip()
    return text.mask(text.eq(""))


_UNIT_WORDS = {"hours": "小时", "minutes": "分钟", "seconds": "秒"}


def _hours_from_completion(frame, config: Config, raw: RawSheet, field_position, problem) -> None:
    """Only a share of the course watched (学习进度 45%): F counts it as that share of the course's hours."""
    if "hours_watched" in frame or "completion" not in frame:
        return
    frame["hours_watched"] = frame["completion"] * course_totals(frame, config)["hours_total"]
    header = raw.headers[field_position["completion"]]
    problem("hours_from_completion", f"名单没有观看时长列，按「{header}」折算：学习进度 × 课程总课时", column=header, warn=True)


def _clamp_progress(frame, config: Config, raw: RawSheet, field_position, problem) -> None:
    """Homework and hours above the student's own course totals count as the totals, with a warning."""
    totals = course_totals(frame, config).rename(columns={"homework_total": "homework_done", "hours_total": "hours_watched"})
    for name in totals.columns:
        if name not in frame or name not in field_position:
            continue
        limit = totals[name]
        over = frame[name] > limit
        header = raw.headers[field_position[name]]
        if name == "homework_done":
            for row in frame.index[over]:
                total = limit[row]
                problem("clamped", f"{frame.at[row, name]:g} 超过课程总数 {total:g}，按 {total:g} 计算", int(row), header, warn=True)
        else:
            unit = header_unit(header)
            unit = unit if unit in _UNIT_WORDS else "hours"
            source = raw.data[raw.data.columns[field_position[name]]]
            for row in frame.index[over]:
                typed, total = str(source[row]).strip(), limit[row]
                read = f"按{_UNIT_WORDS[unit]}读，" if unit == "hours" else f"按{_UNIT_WORDS[unit]}读是 {frame.at[row, name]:.4g} 小时，"
                problem("clamped", f'"{typed}" {read}超过课程总时长 {total:g} 小时，按 {total:g} 小时计算', int(row), header, warn=True)
            if unit == "hours" and header_unit(header) is None and over.sum() > max(1, len(frame) // 2):
                shown = "、".join(f"{t:g}" for t in sorted(limit.unique()))
                problem("unit_hint", f"过半学员的观看时长超过课程总时长 {shown} 小时：这一列也许是分钟数；"
                        f"若是，请把列名改成「{header}（分钟）」再试", column=header, warn=True)
        frame.loc[over, name] = limit[over]


# Dates of what has already happened: one after the as-of day (2100-01-01 for 最近回访日期 would
# outrank every recorded call) or before 2000 (before any online course: `1900-01-00`, a year slip)
# is a mistake in the export, named with its row. Course dates and 下次跟进日期 may lie ahead.
PAST_DATE_FIELDS = ("last_active", "last_callback", "enrolled_on")
EARLIEST_DATE = dt.date(2000, 1, 1)


def _check_past_dates(frame, raw: RawSheet, field_position, problem, as_of: dt.date) -> None:
    import pandas as pd

    for name in PAST_DATE_FIELDS:
        if name not in frame or name not in field_position:
            continue
        header = raw.headers[field_position[name]]
        day = frame[name]
        later = day > pd.Timestamp(as_of)
        earlier = day < pd.Timestamp(EARLIEST_DATE)
        label = FIELD_BY_NAME[name].label
        for row in frame.index[later]:
            problem("future_date", f"{day[row]:%Y-%m-%d} 晚于今天（{as_of}）：{label}只能是已经过去的日期，多半是填错了", int(row), header)
        for row in frame.index[earlier]:
            problem("implausible_date", f"{day[row]:%Y-%m-%d} 早于 2000 年，{label}多半是填错了", int(row), header)


def _check_course_dates(frame, raw: RawSheet, field_position, problem) -> None:
    if "course_start" not in frame or "course_end" not in frame:
        return
    backwards = frame["course_end"] < frame["course_start"]
    header = raw.headers[field_position["course_end"]]
    for row in frame.index[backwards]:
        problem("bad_course_dates", "课程结束日期早于开始日期", int(row), header)
