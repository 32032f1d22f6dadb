"""`pfk callsheet`: one workbook per teacher — this week's calls (plan.py) laid out to be worked in:
whom to call, in what order, why now, what to say, and the columns to fill in during the call.
"""

from __future__ import annotations

import datetime as dt
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import history
from .alert_rules import AlertContext
from .errors import OutputError, Problem, UsageError
from .excel import SheetSpec, fitted_widths, write_workbook
from .outputs import (
    CALLSHEET_COLUMNS,
    CALLSHEET_INFO_SHEET,
    CALLSHEET_PLAYBOOK_SHEET,
    CALLSHEET_SHEET,
    FILL_IN_COLUMNS,
    INFO_AS_OF,
    INFO_TEACHER,
)
from .paths import check_output_folder, check_outputs, inside, safe_name
from .plan import CallPlan, build_plan
from .playbooks import load_playbooks
from .progress import step
from .segments import BY_CODE
from .workspace import Workspace

QUESTIONS_ON_SHEET = 3
# Call sheets written at once, one per core (up to 4): the writer works without the GIL, so one
# workbook is written while the next is laid out (benchmarks/).
WRITERS = max(1, min(4, os.cpu_count() or 1))
SCORE_CHOICES = ["1", "2", "3", "4", "5"]


@dataclass
class WrittenSheet:
    teacher: str
    path: Path
    students: int  # the teacher's students
    due: int  # due this week
    on_sheet: int  # on the sheet

    @property
    def waiting(self) -> int:
        return self.due - self.on_sheet


@dataclass
class CallsheetResult:
    as_of: dt.date
    source: str
    snapshot_date: dt.date | None  # the snapshot the sheets were made from (None: from a roster)
    capacity: int
    sheets: list[WrittenSheet] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def callsheet_name(teacher: str, as_of: dt.date, taken: set[str] | None = None) -> str:
    """`<teacher>-<as-of>.xlsx`; with `taken`, two teachers whose names clean to the same never share a file."""
    return f"{safe_name(teacher, taken=taken)}-{as_of.isoformat()}.xlsx"


def make_callsheets(
    workspace: Workspace,
    as_of: dt.date,
    teacher: str | None = None,
    roster_path: Path | None = None,
    progress_path: Path | None = None,
    limit: int | None = None,
    folder: Path | None = None,
) -> CallsheetResult:
    """Write `callsheets/<teacher>-<as-of>.xlsx` for one teacher (or every teacher when `teacher` is None)."""
    config = workspace.config
    check_output_folder(folder or workspace.callsheets_dir, workspace.root)
    playbooks = load_playbooks(workspace.playbooks_dir)
    with history.opened(workspace.history_path) as conn:
        frame, source, snapshot_date, warnings = _students(workspace, conn, as_of, roster_path, progress_path)
        ctx = AlertContext(frame, config, as_of, history.newest_callbacks(conn, frame, as_of), history.ratings_before(conn, as_of))
    teachers = sorted(frame["teacher"].dropna().unique().tolist())
    if teacher is not None:
        if teacher not in teachers:
            shown = "、".join(teachers[:20]) + ("…" if len(teachers) > 20 else "")
            raise UsageError(f"没有「{teacher}」的学员；名单里的老师有：{shown}")
        teachers = [teacher]
    capacity = limit or config.plan.calls_per_week
    with step("排定本周回访"):
        plan = build_plan(ctx, capacity, teachers)
    folder = folder or workspace.callsheets_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file named callsheets, no permission
        reason = "已有同名的文件" if isinstance(exc, FileExistsError) else exc.strerror
        raise OutputError(f"{folder}: 无法建立回访表文件夹（{reason}）") from exc
    result = CallsheetResult(as_of, source, snapshot_date, capacity, warnings=warnings)
    taken: set[str] = set()
    targets = [inside(folder, callsheet_name(load.teacher, as_of, taken)) for load in plan.loads]
    check_outputs(targets, inputs=[roster_path, progress_path], workspace_root=workspace.root)
    playbook_sheet = _playbook_sheet(playbooks)

    def write(load, target: Path) -> None:
        sheets = callsheet_sheets(plan, load, playbooks, playbook_sheet)
        write_workbook(target, sheets, inputs=[roster_path, progress_path])

    # The writer lets go of the GIL: one workbook is written while the next is laid out.
    with (
        ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="pfk-callsheet") as pool,
        step("写出回访表", total=len(plan.loads)) as bar,
    ):
        written = [pool.submit(write, load, target) for load, target in zip(plan.loads, targets)]
        try:
            for load, target, done in zip(plan.loads, targets, written):
                done.result()
                result.sheets.append(WrittenSheet(load.teacher, target, load.students, load.due, load.on_sheet))
                bar.advance()
        except BaseException:
            for pending in written:
                pending.cancel()
            raise
    return result


def _students(workspace: Workspace, conn, as_of: dt.date, roster_path, progress_path):
    """The classified students: from the roster on the fly, or the newest snapshot on or before `as_of`.
    Returns (frame, source, snapshot date or None, warnings)."""
    if roster_path is not None:
        from .classify import score_roster

        scored = score_roster(roster_path, as_of, workspace.config, conn, progress_path)
        return scored.frame, f"名单 {Path(roster_path).name}", None, scored.warnings
    if conn is None or not workspace.history_path.exists():
        raise UsageError("还没有分层结果：请先在工作区里运行 pfk classify，或用 --roster 指定名单")
    dates = [d for d in history.snapshot_dates(conn) if d <= as_of]
    if not dates:
        raise UsageError(f"{as_of} 及以前没有分层快照：请先运行 pfk classify，或用 --roster 指定名单")
    return history.load_snapshot(conn, dates[-1]), f"{dates[-1]} 的分层快照", dates[-1], []


CALLSHEET_WIDTHS = {"为什么现在打": 36.0, "策略": 36.0, "建议提问": 50.0, "上次回访备注": 24.0, "回访备注": 30.0, "下次跟进日期": 14.0}
_DATE_RULE = {
    "type": "decimal",
    "criteria": "between",
    "min": 36526,  # 2000-01-01
    "max": 73050,  # 2099-12-31
    "error_title": "请填日期",
    "error_message": "下次跟进日期请填写日期，如 2026-11-30",
}
_SCORE_RULE = {
    "type": "list",
    "values": SCORE_CHOICES,
    "error_title": "请填 1-5",
    "error_message": "请从下拉框选择 1-5 分",
}


def callsheet_sheets(plan: CallPlan, load, playbooks, playbook_sheet: SheetSpec) -> list[SheetSpec]:
    """The three sheets of one teacher's workbook: the calls, the playbooks, and 说明."""
    import pandas as pd

    rows = plan.teacher_rows(load.teacher)
    segments = rows["segment"]
    nothing = pd.Series(None, index=rows.index, dtype="str")
    table = pd.DataFrame(
        {
            "顺序": pd.Series(range(1, len(rows) + 1), index=rows.index, dtype="Int64"),
            "学号": rows["student_id"],
            "姓名": rows["name"],
            "手机号": rows["phone"],
            "分层代码": segments,
            "分层名称": segments.map({code: s.name for code, s in BY_CODE.items()}),
            "为什么现在打": rows["why_now"],
            "策略": segments.map({code: book.headline for code, book in playbooks.items()}),
            "建议提问": segments.map({code: _questions(book) for code, book in playbooks.items()}),
            "上次回访日期": pd.to_datetime(rows["last_called"]),
            "上次回访备注": rows["last_note"],
            **{column: nothing for column in FILL_IN_COLUMNS},
        },
        columns=[*CALLSHEET_COLUMNS, *FILL_IN_COLUMNS],
    )
    colours = segments.map({code: s.colour for code, s in BY_CODE.items()}).tolist()
    validations = {"P（1-5）": _SCORE_RULE, "K（1-5）": dict(_SCORE_RULE), "下次跟进日期": _DATE_RULE}
    return [
        SheetSpec(CALLSHEET_SHEET, table, row_colours=colours, validations=validations, widths=CALLSHEET_WIDTHS, print_landscape=True),
        playbook_sheet,
        SheetSpec(CALLSHEET_INFO_SHEET, info_table(load, plan), autofilter=False, widths={"项目": 12.0, "内容": 70.0}),
    ]


def _playbook_sheet(playbooks) -> SheetSpec:
    """话术与方案: every segment's playbook, the same for every teacher."""
    from .excel import writable

    table = writable(playbook_table(list(playbooks), playbooks))
    widths = {**fitted_widths(table, skip={"内容"}), "内容": 80.0}
    return SheetSpec(CALLSHEET_PLAYBOOK_SHEET, table, widths=widths, prepared=True)


def _questions(book) -> str:
    return "；".join(f"{i}. {q}" for i, q in enumerate(book.questions[:QUESTIONS_ON_SHEET], 1))


def playbook_table(codes: list[str], playbooks):
    """The whole playbook of every segment listed, one line per item."""
    import pandas as pd

    rows = []
    for code in codes:
        book = playbooks[code]
        label = f"{BY_CODE[code].name} {code}"
        rows.append((label, "画像", book.portrait.strip()))
        rows.append((label, "策略", book.strategy.strip()))
        rows += [(label, f"提问 {i}", q) for i, q in enumerate(book.questions, 1)]
        rows += [(label, f"问题（{p.author} {p.date}）", f"{p.problem} → {p.solution}") for p in book.problems]
        rows += [(label, f"话术：{scene}", text.strip()) for scene, text in book.scripts.items()]
    return pd.DataFrame(rows, columns=["分层", "项目", "内容"])


def info_table(load, plan: CallPlan):
    import pandas as pd

    return pd.DataFrame(
        [
            (INFO_TEACHER, load.teacher),
            (INFO_AS_OF, plan.as_of.isoformat()),
            ("学员数", str(load.students)),
            ("本周该打", f"{load.due} 人；本表 {load.on_sheet} 人（每周上限 {plan.capacity}），顺延到下周 {load.waiting} 人"),
            ("填写说明", "通话后填写 P（1-5）、K（1-5）、回访备注、下次跟进日期；保存后交给主管运行 pfk record 导入。请勿改动表头和学号。"),
        ],
        columns=["项目", "内容"],
    )
