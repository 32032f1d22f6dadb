"""`pfk record`: import filled call sheets into the workspace history.

A row is a callback when it has a P, a K or a note. Each file is one unit: its rows are stored in one
transaction under the key (teacher, sheet date); the same content again changes nothing, a corrected
file replaces what that sheet recorded before. The call-sheet files are only read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import history
from .columns import normalise_header
from .errors import InputError, InvalidInput, Problem, UsageError
from .outputs import CALLSHEET_INFO_SHEET, CALLSHEET_SHEET, INFO_AS_OF, INFO_TEACHER
from .reading import read_table
from .values import parse_date, parse_id, parse_number, parse_text
from .workspace import Workspace

_HEADERS = {
    normalise_header("学号"): "student_id",
    normalise_header("P（1-5）"): "p",
    normalise_header("K（1-5）"): "k",
    normalise_header("回访备注"): "note",
    normalise_header("下次跟进日期"): "follow_up",
}
_FILE_NAME = re.compile(r"^(?P<teacher>.+)-(?P<date>\d{4}-\d{2}-\d{2})$")


@dataclass
class FileOutcome:
    path: Path
    teacher: str
    sheet_date: dt.date
    status: str  # new / replaced / same / empty / invalid
    callbacks: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Parsed:
    path: Path
    teacher: str
    sheet_date: dt.date
    rows: list[dict]
    problems: list[Problem]


def record_files(workspace: Workspace, paths: list[Path], called_on: dt.date | None = None, skip_invalid: bool = False) -> list[FileOutcome]:
    """Validate every file first; with any invalid row (and no `skip_invalid`) record nothing at all."""
    if workspace.history_path is None:
        raise UsageError("pfk record 需要工作区来保存回访记录：请先运行 pfk init，并在工作区里运行")
    parsed = [_parse(Path(p), called_on) for p in paths]
    problems = [problem for item in parsed for problem in item.problems]
    if problems and not skip_invalid:
        raise InvalidInput(problems)
    outcomes = []
    with history.opened(workspace.history_path) as conn:
        for item in parsed:
            if not item.rows:
                status = "invalid" if item.problems else "empty"
                outcomes.append(FileOutcome(item.path, item.teacher, item.sheet_date, status, 0, item.problems))
                continue
            digest = _digest(item.rows)
            key = f"{item.teacher}|{item.sheet_date.isoformat()}"
            status = history.import_callbacks(conn, key, digest, item.path.name, item.rows)
            outcomes.append(FileOutcome(item.path, item.teacher, item.sheet_date, status, len(item.rows), item.problems))
    return outcomes


def _parse(path: Path, called_on: dt.date | None) -> _Parsed:
    raw = read_table(path, CALLSHEET_SHEET, matcher=lambda h: _HEADERS.get(normalise_header(h)))
    teacher, sheet_date = _sheet_identity(path)
    day = called_on or sheet_date
    position = {}
    for index, header in enumerate(raw.headers):
        name = _HEADERS.get(normalise_header(header))
        if name and name not in position:
            position[name] = index
    missing = [h for h, n in (("学号", "student_id"), ("P（1-5）", "p"), ("K（1-5）", "k"), ("回访备注", "note")) if n not in position]
    if missing:
        raise InputError(f"{raw.file} › {raw.sheet}: 缺少列 {'、'.join(missing)}，这不是 pfk 生成的回访表吗？")
    data = raw.data

    def column(name: str):
        import pandas as pd

        if name not in position:
            return pd.Series([None] * len(data), index=data.index, dtype=object)
        return data[data.columns[position[name]]]

    problems: list[Problem] = []

    def problem(row: int, header: str, code: str, message: str) -> None:
        problems.append(Problem(file=raw.file, sheet=raw.sheet, row=row, column=header, code=code, message=message))

    sid, _ = parse_id(column("student_id"))
    note, _ = parse_text(column("note"))
    follow, bad_follow = parse_date(column("follow_up"))
    scores = {}
    for axis, header in (("p", "P（1-5）"), ("k", "K（1-5）")):
        value, bad = parse_number(column(axis))
        wrong = bad | (value.notna() & ((value < 1) | (value > 5)))
        for row in value.index[wrong]:
            problem(int(row), header, "bad_score", f'"{str(column(axis)[row]).strip()}" 不是 1-5 的分数')
        scores[axis] = value.where(~wrong)
    filled = scores["p"].notna() | scores["k"].notna() | note.notna()
    for row in follow.index[bad_follow & filled]:
        problem(int(row), "下次跟进日期", "bad_date", f'"{str(column("follow_up")[row]).strip()}" 不是日期（如 2026-11-30）')
    for row in sid.index[filled & sid.isna()]:
        problem(int(row), "学号", "missing_value", "填了回访结果，但学号是空的")
    bad_rows = {p.row for p in problems}
    rows = []
    for row in sid.index[filled]:
        if int(row) in bad_rows:
            continue
        rows.append(
            {
                "teacher": teacher,
                "student_id": sid[row],
                "called_on": day,
                "p": _float(scores["p"][row]),
                "k": _float(scores["k"][row]),
                "note": None if note.isna()[row] else str(note[row]),
                "follow_up": None if follow.isna()[row] else follow[row].date(),
            }
        )
    return _Parsed(path, teacher, day, rows, problems)


def _float(value) -> float | None:
    return None if value != value else float(value)


def _sheet_identity(path: Path) -> tuple[str, dt.date]:
    """Teacher and date from the 说明 sheet pfk wrote; the file name `<老师>-<日期>.xlsx` as a fallback."""
    teacher, sheet_date = None, None
    try:
        import fastexcel

        info = fastexcel.read_excel(str(path)).load_sheet(CALLSHEET_INFO_SHEET, header_row=None, dtypes="string").to_pandas()
        pairs = {str(a).strip(): str(b).strip() for a, b in info.iloc[:, :2].itertuples(index=False) if a is not None}
        teacher = pairs.get(INFO_TEACHER)
        sheet_date = dt.date.fromisoformat(pairs[INFO_AS_OF][:10]) if INFO_AS_OF in pairs else None
    except Exception:
        pass  # no info sheet (renamed or deleted by a user): fall back to the file name
    match = _FILE_NAME.match(path.stem)
    if match:
        teacher = teacher or match["teacher"]
        sheet_date = sheet_date or dt.date.fromisoformat(match["date"])
    if not teacher or not sheet_date:
        raise InputError(f"{path.name}: 认不出这是哪位老师哪天的回访表（缺「{CALLSHEET_INFO_SHEET}」工作表，文件名也不是 老师-日期.xlsx）")
    return teacher, sheet_date


def _digest(rows: list[dict]) -> str:
    canonical = sorted(json.dumps(r, sort_keys=True, default=str, ensure_ascii=False) for r in rows)
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()
