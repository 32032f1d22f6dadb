"""`pfk record`: import filled call sheets into the workspace history.

A sheet is known by the id pfk wrote on its 说明 sheet (回访表编号), kept in the history with the
teacher, the date and the students it was made for: a re-save in Excel, WPS or LibreOffice, or a name
changed by WeChat (`(1)`), records the same. A sheet without its id, or whose 说明 contradicts it, is
refused. Each file is one unit, stored in one transaction: the same content again changes nothing, a
corrected file replaces what that sheet recorded before, an older copy after a newer one is refused
unless `replace`. The call-sheet files are only read.

A filled row is a call: reached (已接通, 微信沟通 — or no outcome but scores or a note) or not (an
attempt). Rows about students the sheet was not made for, or a student twice, are set aside unless
`accept_unknown`.

A call's 使用方案 is the id of one of the solutions of the student's segment (the row's 分层代码, as the
drop-down offered them) or 其他, stored with the call for learning.py; anything else is a row problem.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from . import history, messages
from .calls import DEFAULT_OUTCOME, OUTCOME_BY_LABEL, PROBLEM_TYPES, RESOLVED_CHOICES
from .columns import normalise_header
from .errors import InputError, InvalidInput, Problem, UsageError
from .outputs import CALLSHEET_INFO_SHEET, CALLSHEET_SHEET, INFO_AS_OF, INFO_SHEET_ID, INFO_TEACHER
from .playbooks import OTHER_SOLUTION, load_playbooks
from .reading import error_cells, label_pairs, read_table
from .segments import BY_CODE
from .values import cell_text, parse_date, parse_id, parse_text
from .workspace import Workspace

_HEADERS = {
    normalise_header("学号"): "student_id",
    normalise_header("回访结果"): "outcome",
    normalise_header("P（1-5）"): "p",
    normalise_header("K（1-5）"): "k",
    normalise_header("问题类型"): "problem_type",
    normalise_header("是否解决"): "resolved",
    normalise_header("回访备注"): "note",
    normalise_header("下次跟进日期"): "follow_up",
    normalise_header("使用方案"): "solution",
    normalise_header("分层代码"): "segment",
}
_REQUIRED = (("学号", "student_id"), ("P（1-5）", "p"), ("K（1-5）", "k"), ("回访备注", "note"))
# `3`, `3 一般`, `3分`: the score is the number the cell starts with.
_SCORE = re.compile(r"^\s*([1-5])(?:\.0+)?(?:\s*分)?(?:\s+\S.*)?$")
# What Excel shows for a cell it could not work out: typed with a leading `=`, the note became a formula.
_EXCEL_ERRORS = ("#NAME?", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NULL!", "#N/A", "#SPILL!", "#CALC!")
# A follow-up further ahead than this is probably a slip of the year: said, and kept.
FAR_FOLLOW_UP_DAYS = 300


@dataclass
class FileOutcome:
    path: Path
    teacher: str
    sheet_date: dt.date
    status: str  # new / replaced / same / empty / invalid
    callbacks: int = 0  # reached calls
    attempts: int = 0  # calls not reached
    problems: list[Problem] = field(default_factory=list)  # rows set aside
    warnings: list[Problem] = field(default_factory=list)  # recorded, with something said


@dataclass
class RefusedFile:
    """A file of a batch not recorded while the others were: why (one Chinese line) and its rows' problems."""

    path: Path
    reason: str
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Parsed:
    path: Path
    sheet_key: str
    teacher: str
    sheet_date: dt.date
    saved_at: str | None
    rows: list[dict]
    problems: list[Problem]  # rows that cannot be recorded (the file is refused without skip_invalid)
    set_aside: list[Problem]  # rows about students the sheet was not for (recorded with accept_unknown)
    warnings: list[Problem]


def record_files(
    workspace: Workspace,
    paths: list[Path],
    called_on: dt.date | None = None,
    skip_invalid: bool = False,
    accept_unknown: bool = False,
    replace: bool = False,
    today: dt.date | None = None,
) -> list[FileOutcome | messages.TouchOutcome]:
    """Validate every file first, then record each good one. A file that cannot be read or has an
    invalid row (without `skip_invalid`) is not recorded: a `RefusedFile` at the end of the list; when
    no file is left to record, the problems are raised (InvalidInput, or InputError one line a file)."""
    if workspace.history_path is None:
        raise UsageError("pfk record 需要工作区来保存回访记录：请先运行 pfk init，并在工作区里运行")
    today = today or dt.date.today()
    if called_on is not None and called_on > today:
        raise UsageError(f"--called-on {called_on} 还没到：回访日期不能晚于今天（{today}）")
    with workspace.open_history() as conn:
        refused: list[RefusedFile] = []
        touched, parsed = [], []
        solutions = _SolutionChoices(workspace.playbooks_dir)
        # Each file on its own: one that cannot be read (not there, a roster, an unknown sheet) or that
        # has a bad row is listed, and the good files of the batch are recorded all the same.
        for path in map(Path, paths):
            try:
                if not path.is_file():
                    raise InputError(f"{path.name}: 找不到这个文件（{path}），请检查文件名和所在的文件夹")
                # A messages sheet (pfk messages) brings back what was sent: touches, not calls (messages.py).
                # Each file's 说明 read once (call sheets and messages sheets both name it so: outputs.py):
                # it tells a messages sheet from a call sheet, and names the call sheet.
                pairs = label_pairs(path, CALLSHEET_INFO_SHEET)
                sent = messages.issued_messages_sheet(conn, path, pairs)
                if sent is not None:
                    touched.append(messages.read_touches(path, sent, called_on, today))
                else:
                    parsed.append(_parse(conn, path, pairs, called_on, today, accept_unknown, solutions))
            except InputError as exc:
                refused.append(RefusedFile(path, exc.message))
        if not skip_invalid:
            bad = [item for item in [*touched, *parsed] if item.problems]
            refused += [RefusedFile(item.path, f"{item.path.name}: {len(item.problems)} 处问题，这份没有导入", item.problems) for item in bad]
            touched = [item for item in touched if not item.problems]
            parsed = [item for item in parsed if not item.problems]
        if refused and not touched and not parsed:
            problems = [problem for item in refused for problem in item.problems]
            if problems:
                unread = [Problem(file=item.path.name, code="not_recorded", message=item.reason) for item in refused if not item.problems]
                raise InvalidInput(problems + unread, [w for item in parsed for w in item.warnings + item.set_aside])
            raise InputError("\n".join(item.reason for item in refused))
        older = [_older_copy(conn, item) for item in parsed] if not replace else []
        lines = [line for line in older if line]
        if lines:
            raise InputError("\n".join(lines))
        outcomes = [messages.record_touches(conn, item) for item in touched]
        for item in parsed:
            reached = sum(1 for row in item.rows if row["reached"])
            skipped = item.problems + item.set_aside
            if not item.rows:
                status = "invalid" if skipped else "empty"
                outcomes.append(FileOutcome(item.path, item.teacher, item.sheet_date, status, 0, 0, skipped, item.warnings))
                continue
            status = history.import_callbacks(conn, item.sheet_key, _digest(item.rows), item.path.name, item.rows, item.saved_at)
            outcomes.append(FileOutcome(item.path, item.teacher, item.sheet_date, status, reached, len(item.rows) - reached, skipped, item.warnings))
    return [*outcomes, *refused]


def _parse(conn, path: Path, info: dict[str, str], called_on: dt.date | None, today: dt.date, accept_unknown: bool, solutions: _SolutionChoices) -> _Parsed:
    sheet = _identity(conn, path, info)
    day = called_on or sheet.as_of
    where = {"file": path.name, "sheet": CALLSHEET_SHEET}
    if day > today:
        raise InputError(f"{path.name}: 回访表日期 {day} 还没到，不能导入还没打的电话；如果日期写错了，请用 --called-on 指定回访日期")
    raw = read_table(path, CALLSHEET_SHEET, matcher=lambda h: _HEADERS.get(normalise_header(h)))
    position = {}
    for index, header in enumerate(raw.headers):
        name = _HEADERS.get(normalise_header(header))
        if name and name not in position:
            position[name] = index
    missing = [h for h, n in _REQUIRED if n not in position]
    if missing:
        raise InputError(f"{raw.file} › {raw.sheet}: 缺少列 {'、'.join(missing)}，表头被改动过吗？请用 pfk callsheet 重新生成")
    data = raw.data
    header_of = {name: raw.headers[index] for name, index in position.items()}

    def column(name: str):
        import pandas as pd

        if name not in position:
            return pd.Series([None] * len(data), index=data.index, dtype=object)
        return data[data.columns[position[name]]]

    import pandas as pd

    problems: list[Problem] = []
    set_aside: list[Problem] = []
    warnings: list[Problem] = []

    def note_row(into: list, row, name: str, code: str, message: str) -> None:
        into.append(Problem(**where, row=int(row), column=header_of.get(name, name), code=code, message=message))

    # A note typed with a leading `=` became a formula Excel could not work out (#NAME?): the readers
    # give such a cell back blank, so it is found in the sheet itself.
    note_letter = raw.letters[position["note"]]
    lost_notes = {row for row, letter in error_cells(path, CALLSHEET_SHEET) if letter == note_letter}
    sid, _ = parse_id(column("student_id"))
    note, _ = parse_text(column("note"))
    follow, bad_follow = parse_date(column("follow_up"), day, ahead=True)
    cells = {name: column(name) for name in ("outcome", "p", "k", "problem_type", "resolved", "solution")}
    # Python objects, so that a blank stays None (pandas would turn it back into NaN in a text column).
    texts = {name: pd.Series([cell_text(v) for v in values], index=values.index, dtype=object) for name, values in cells.items()}
    filled = note.notna() | follow.notna() | bad_follow | note.index.isin(list(lost_notes))
    for values in texts.values():
        filled |= values.notna()
    segment_codes = column("segment")
    # Looked up row by row below: plain dicts, and each blank mask made once (a Series lookup, or a
    # mask made again for every row, is most of a sheet's cost).
    texts_of = {name: values.to_dict() for name, values in texts.items()}
    note_blank, follow_blank = note.isna().to_dict(), follow.isna().to_dict()

    rows = []
    seen: dict[str, list[int]] = {}
    for row in sid.index[filled]:
        row_problems = len(problems)
        student = sid[row]
        if student is None or student != student:
            note_row(problems, row, "student_id", "missing_value", "填了回访结果，但学号是空的")
            continue
        outcome_text = texts_of["outcome"][row]
        outcome = OUTCOME_BY_LABEL.get(outcome_text) if outcome_text else DEFAULT_OUTCOME
        if outcome is None:
            note_row(problems, row, "outcome", "bad_choice", f'"{outcome_text[:20]}" 不是回访结果（可选：{"、".join(OUTCOME_BY_LABEL)}）')
        scores = {}
        for axis in ("p", "k"):
            text = texts_of[axis][row]
            match = _SCORE.match(text) if text else None
            if text and not match:
                note_row(problems, row, axis, "bad_score", f'"{text[:20]}" 不是 1-5 的分数')
            scores[axis] = float(match.group(1)) if match else None
        problem_type = texts_of["problem_type"][row]
        if problem_type and problem_type not in PROBLEM_TYPES:
            note_row(problems, row, "problem_type", "bad_choice", f'"{problem_type[:20]}" 不是问题类型（可选：{"、".join(PROBLEM_TYPES)}）')
        resolved_text = texts_of["resolved"][row]
        if resolved_text and resolved_text not in RESOLVED_CHOICES:
            note_row(problems, row, "resolved", "bad_choice", f'"{resolved_text[:20]}" 请填「是」或「否」')
        solution_text = texts_of["solution"][row]
        solution = None
        if solution_text:
            solution, why = solutions.read(solution_text, cell_text(segment_codes[row]))
            if solution is None:
                note_row(problems, row, "solution", "bad_solution", why)
        if len(problems) > row_problems:
            continue
        text_note = None if note_blank[row] else str(note[row])
        if int(row) in lost_notes or (text_note is not None and text_note.strip() in _EXCEL_ERRORS):
            note_row(warnings, row, "note", "lost_note", "回访备注成了 Excel 的错误值（如 #NAME?，多半是开头打了「=」被当成公式），备注没有导入，请重新填写")
            text_note = None
        follow_up = None if follow_blank[row] else follow[row].date()
        if bad_follow[row]:
            typed = cell_text(column("follow_up")[row]) or ""
            note_row(warnings, row, "follow_up", "bad_date", f'"{typed[:20]}" 不是日期（如 2026-11-30 或 12月1日），下次跟进日期没有导入，其余照常')
        elif follow_up is not None and (follow_up - day).days > FAR_FOLLOW_UP_DAYS:
            note_row(warnings, row, "follow_up", "far_date", f"下次跟进日期是 {follow_up}，一年左右以后：年份写对了吗？")
        if not outcome.reached and (scores["p"] or scores["k"]):
            note_row(warnings, row, "outcome", "scores_not_reached", f"回访结果是「{outcome.label}」，没通上话：P、K 没有导入")
            scores = {"p": None, "k": None}
        if not outcome.reached and solution:
            note_row(warnings, row, "solution", "solution_not_reached", f"回访结果是「{outcome.label}」，没通上话：使用方案没有导入")
            solution = None
        seen.setdefault(student, []).append(int(row))
        # Only when chosen: a sheet recorded before 使用方案 existed keeps its content digest.
        chosen = {"solution": solution} if solution else {}
        rows.append(
            {
                "excel_row": int(row),
                "teacher": sheet.teacher,
                "student_id": student,
                "called_on": day,
                "outcome": outcome.label,
                "reached": outcome.reached,
                "p": scores["p"],
                "k": scores["k"],
                "problem_type": problem_type,
                "resolved": None if not resolved_text else int(RESOLVED_CHOICES[resolved_text]),
                "note": text_note,
                "follow_up": follow_up,
                **chosen,
            }
        )
    rows = _keep_known(conn, sheet, rows, seen, accept_unknown, set_aside, note_row)
    for row in rows:
        row.pop("excel_row")
    return _Parsed(path, sheet.id, sheet.teacher, day, _saved_at(path), rows, problems, set_aside, warnings)


class _SolutionChoices:
    """What a 使用方案 cell may hold: an id of the student's segment's solutions (as the drop-down
    lists them, `s7k2mq 学员觉得课程太基础`, or the id alone, any letter case), or 其他.

    The playbooks are read on the first 使用方案 read, once for all the files: a broken playbook file
    stops nothing when no 使用方案 is filled in."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    @cached_property
    def books(self) -> dict:
        return load_playbooks(self.folder)

    def read(self, text: str, segment: str | None) -> tuple[str | None, str]:
        """(the id as the playbook writes it, or 其他; None and why it cannot be read)."""
        if text == OTHER_SOLUTION:
            return OTHER_SOLUTION, ""
        token = text.split()[0]
        book = self.books.get(segment or "")
        if book is None:  # 分层代码 blanked on the sheet: any segment's solution
            entry = next((found for b in self.books.values() if (found := b.solution(token))), None)
            return (entry.id, "") if entry else (None, f'"{text[:20]}" 不是方案库里的方案编号（或「{OTHER_SOLUTION}」）')
        entry = book.solution(token)
        if entry is not None:
            return entry.id, ""
        ids = "、".join(e.id for e in book.problems if e.id)
        offered = f"可选：{ids}、{OTHER_SOLUTION}" if ids else f"这个分层的方案还没有编号，只能选「{OTHER_SOLUTION}」"
        return None, f'"{text[:20]}" 不是「{BY_CODE[book.code].name}」方案库里的方案（{offered}）'


def _keep_known(conn, sheet: history.IssuedSheet, rows: list[dict], seen: dict, accept_unknown: bool, set_aside: list, note_row) -> list[dict]:
    """Rows about students the sheet was made for, once each; the others listed by row (and kept with `accept_unknown`)."""
    on_sheet = set(sheet.students)
    others = _teachers_of(conn, {row["student_id"] for row in rows} - on_sheet)
    kept = []
    for row in rows:
        student, number = row["student_id"], row["excel_row"]
        if student not in on_sheet:
            owner = others.get(student)
            why = f"是{owner}的学员" if owner and owner != sheet.teacher else "历史里没有这个学号"
            note_row(set_aside, number, "student_id", "not_on_sheet", f"学号 {student} 不在这份回访表上（{why}）")
            if not accept_unknown:
                continue
        elif len(seen[student]) > 1:
            rows_text = "、".join(f"第{r}行" for r in seen[student] if r != number)
            note_row(set_aside, number, "student_id", "same_student", f"学号 {student} 在表里出现了不止一次（还有{rows_text}）")
            if not accept_unknown:
                continue
        kept.append(row)
    return kept


def _teachers_of(conn, students: set[str]) -> dict[str, str]:
    """Each of `students`' teacher in the newest snapshot (only looked up for rows off the sheet)."""
    if not students:
        return {}
    dates = history.snapshot_dates(conn)
    if not dates:
        return {}
    newest = history.load_snapshot(conn, dates[-1])
    known = newest[newest["student_id"].isin(list(students))]
    return dict(zip(known["student_id"], known["teacher"]))


def _identity(conn, path: Path, pairs: dict[str, str]) -> history.IssuedSheet:
    """The sheet as pfk handed it out, from the id on its 说明 sheet (`pairs`, as `label_pairs` reads
    it); refused when missing or contradicted."""
    sheet_id = pairs.get(INFO_SHEET_ID)
    if not sheet_id and CALLSHEET_SHEET not in _sheet_names(path):
        raise InputError(
            f"{path.name}: 这不是回访表（里面没有「{CALLSHEET_SHEET}」工作表）。名单请用 pfk classify 读入；"
            "pfk record 只导入 pfk callsheet 生成、老师填好的回访表（callsheets/ 里）和 pfk messages 的消息表"
        )
    if not sheet_id:
        raise InputError(
            f"{path.name}: 认不出这份回访表：「{CALLSHEET_INFO_SHEET}」工作表上没有「{INFO_SHEET_ID}」。"
            "它不是 pfk 生成的回访表，或说明页被删改过；请用 pfk callsheet 重新生成后再填写"
        )
    return history.check_issued(conn, path.name, sheet_id, "callsheet", pairs.get(INFO_TEACHER), pairs.get(INFO_AS_OF))


def _sheet_names(path: Path) -> list[str]:
    """The sheets of a workbook; none for a file that is not one (a CSV, a document)."""
    try:
        import fastexcel

        return list(fastexcel.read_excel(str(path)).sheet_names)
    except Exception:  # noqa: BLE001 — not a workbook: it has no 回访表 either
        return []


def _saved_at(path: Path) -> str | None:
    """When the file was last saved, as its own properties say (Excel, WPS and LibreOffice write it)."""
    try:
        with zipfile.ZipFile(path) as archive:
            core = archive.read("docProps/core.xml").decode("utf-8", errors="replace")
    except (KeyError, OSError, zipfile.BadZipFile):
        return None
    found = re.search(r"<dcterms:modified[^>]*>([^<]+)</dcterms:modified>", core)
    return found.group(1).strip() if found else None


def _older_copy(conn, item: _Parsed) -> str | None:
    """A refusal when this file is an older copy of a sheet already recorded from a newer one."""
    before = history.recorded_copy(conn, item.sheet_key)
    if before is None or before[0] == _digest(item.rows):
        return None
    _, saved_before, students_before = before
    if item.saved_at and saved_before and item.saved_at != saved_before:
        older = item.saved_at < saved_before
    else:  # no save times to tell them apart: older when it holds less than what was recorded
        older = {row["student_id"] for row in item.rows} < set(students_before)
    if not older:
        return None
    return (
        f"{item.path.name}: 这是这份回访表较早保存的一份（之前已导入过更新的一份），导入它会丢掉后来填的内容；"
        "确认要用它替换，请加 --replace"
    )


def _digest(rows: list[dict]) -> str:
    canonical = sorted(json.dumps(r, sort_keys=True, default=str, ensure_ascii=False) for r in rows)
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()

