"""`pfk callsheet`: one workbook per teacher — this week's calls (plan.py) laid out to be worked in:
whom to call, in what order, why now, what to say, and the columns to fill in during the call.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path

from . import history, proposals
from .alert_rules import AlertContext
from .calls import COMPLAINT, OUTCOMES, PROBLEM_TYPES, RESOLVED_CHOICES
from .errors import OutputError, Problem, UsageError
from .excel import RowValidation, SheetSpec, arrow_cells, fitted_heights, prepared, writable, write_workbooks
from .outputs import (
    CALLSHEET_COLUMNS,
    CALLSHEET_INFO_SHEET,
    CALLSHEET_PLAYBOOK_SHEET,
    CALLSHEET_SHEET,
    CALLSHEET_SOLUTIONS_SHEET,
    FILL_IN_COLUMNS,
    INFO_AS_OF,
    INFO_SHEET_ID,
    INFO_TEACHER,
    REFERENCE_COLUMNS,
)
from .paths import CALLSHEET, check_output_folder, check_outputs, inside, make_folder, safe_name
from .plan import CallPlan, TeacherLoad, build_plan
from .playbooks import OTHER_SOLUTION, load_playbooks
from .pool import placed_snapshot
from .progress import step
from .segments import ALL_SEGMENTS, BY_CODE
from .team import teachers_to_serve
from .values import column_letter
from .workspace import Workspace

QUESTIONS_ON_SHEET = 3


@dataclass
class WrittenSheet:
    """A call sheet written (`path`) and its teacher's week (`load`), whose numbers it shows as its own."""

    load: TeacherLoad
    path: Path
    teacher = property(attrgetter("load.teacher"))
    students = property(attrgetter("load.students"))  # the teacher's students
    due = property(attrgetter("load.due"))  # due this week
    on_sheet = property(attrgetter("load.on_sheet"))  # on the sheet
    held_out = property(attrgetter("load.held_out"))  # would have been on the sheet, held out for the comparison (holdout.py)
    waiting = property(attrgetter("load.waiting"))  # due but left for next week


@dataclass
class CallsheetResult:
    as_of: dt.date
    source: str
    snapshot_date: dt.date | None  # the snapshot the sheets were made from (None: from a roster)
    capacity: int
    sheets: list[WrittenSheet] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # Nobody to call because the course is over: why, and what to do instead (one line), else None.
    finished: str | None = None


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
    with workspace.open_history() as conn:
        frame, callbacks, source, snapshot_date, warnings = _students(workspace, conn, as_of, roster_path, progress_path)
        ctx = AlertContext(frame, config, as_of, callbacks, history.ratings_before(conn, as_of))
        return _write_sheets(workspace, conn, ctx, source, snapshot_date, warnings, playbooks, teacher, roster_path, progress_path, limit, folder)


def _write_sheets(workspace, conn, ctx, source, snapshot_date, warnings, playbooks, teacher, roster_path, progress_path, limit, folder):
    """The plan, laid out and written: one workbook per teacher, each with an id kept in the history."""
    frame, config, as_of = ctx.frame, ctx.config, ctx.as_of
    finished = finished_course(ctx)
    if finished and teacher is not None and not (frame["teacher"] == teacher).any():
        raise UsageError(f"{teacher}：{finished}")
    teachers = teachers_to_serve(frame["teacher"], teacher)
    capacity = limit or config.plan.calls_per_week
    with step("排定本周回访"):
        previous = history.previous_snapshot(conn, snapshot_date or as_of)
        plan = build_plan(ctx, capacity, teachers, conn=conn, previous=previous)
        plan.rows["proposal"] = proposals.propose(conn, plan.rows, playbooks, as_of, config)
    folder = folder or workspace.callsheets_dir
    make_folder(folder, "回访表")
    result = CallsheetResult(as_of, source, snapshot_date, capacity, warnings=warnings)
    if not any(load.on_sheet for load in plan.loads):
        result.finished = finished
    taken: set[str] = set()
    targets = [inside(folder, callsheet_name(load.teacher, as_of, taken)) for load in plan.loads]
    check_outputs(targets, inputs=[roster_path, progress_path], workspace_root=workspace.root)
    keep_filled(targets, CALLSHEET_SHEET, FILL_IN_COLUMNS, "回访表")  # a filled sheet is said as such, before its mark
    check_outputs(targets, inputs=[roster_path, progress_path], workspace_root=workspace.root, kind=CALLSHEET)
    playbook_sheet = _playbook_sheet(playbooks)
    solutions = solution_sheet(playbooks)
    result.warnings += unnumbered_solutions(playbooks)
    calls = call_sheets(plan, playbooks, config)
    students = [(load.teacher, calls[load.teacher].frame["学号"].tolist()) for load in plan.loads]
    # Outside a workspace nothing can be recorded: the sheets still carry an id, kept nowhere.
    ids = history.register_sheets(conn, "callsheet", as_of, students) if conn is not None else [secrets.token_hex(5) for _ in students]
    if conn is not None:
        rows = plan.rows.groupby("teacher", sort=False)
        proposals.store(conn, as_of, [(sheet_id, rows.get_group(load.teacher)) for load, sheet_id in zip(plan.loads, ids) if load.on_sheet])

    def sheets_of(load, sheet_id):
        # The calls, the playbooks, 说明, and (hidden) the lists of the 使用方案 drop-downs.
        return lambda: [calls[load.teacher], playbook_sheet, info_sheet(load, plan, config, sheet_id), solutions]

    books = [(target, sheets_of(load, sheet_id)) for load, target, sheet_id in zip(plan.loads, targets, ids)]
    written = write_workbooks("写出回访表", books, inputs=[roster_path, progress_path], kind=CALLSHEET)
    result.sheets = [WrittenSheet(load, path) for load, path in zip(plan.loads, written)]
    return result


def finished_course(ctx: AlertContext, nothing: str = "没有要打的回访") -> str | None:
    """When every student's course has ended: why there is nothing to call, and what to do instead —
    the renewal pool for sales, the public pool, the next cohort for those who never started (seed
    001) —, one line; None while a course runs (or its end is not known)."""
    from .model import renewed

    end = ctx.courses["end"]
    if not len(ctx.frame) or end.isna().any() or not (ctx.days_left < 0).all():
        return None
    frame = ctx.frame
    after = ctx.config.plan.after_end_days
    left = ~renewed(frame)
    in_pool = frame["teacher"].isna() & left
    in_window = frame["teacher"].notna() & left & (ctx.days_left >= -after)
    never = left & (frame["homework_done"].fillna(0) <= 0) & (frame["hours_watched"].fillna(0) <= 0)
    parts = [f"课程已于 {end.max():%Y-%m-%d} 结束，{nothing}"]
    if in_window.any():
        parts.append(f"结课 {after} 天内还没续费的 {int(in_window.sum())} 人请跟进续费（pfk pool list --renewal 列出还没联系上的，可交给销售）")
    if in_pool.any():
        parts.append(f"已进入公海的 {int(in_pool.sum())} 人用 pfk pool list 查看原因")
    if never.any():
        parts.append(f"从没开始学的 {int(never.sum())} 人建议转下期：和学员确认后放进下一期的名单")
    if len(parts) == 1:
        parts.append("学员都已续费，下一期开课后用新名单运行 pfk classify")
    return "；".join(parts)


def keep_filled(targets: list[Path], sheet: str, headers, what: str) -> None:
    """Refuse to make a sheet again over one a teacher has started filling in (re-running a command
    must never cost anyone their work): before anything is written, naming each such file."""
    from .reading import filled_rows

    filled = [(target, filled_rows(target, sheet, headers)) for target in targets]
    filled = [(target, rows) for target, rows in filled if rows]
    if filled:
        named = "、".join(f"{target.name}（{rows} 行）" for target, rows in filled)
        raise OutputError(
            f"{named} 已经填了内容，重新生成会把它覆盖：请先用 pfk record 导入后把它改名或移走，再重新生成这份{what}"
        )


def _students(workspace: Workspace, conn, as_of: dt.date, roster_path, progress_path):
    """The classified students: from the roster on the fly, or the newest snapshot on or before `as_of`.
    Returns (frame, its `history.newest_callbacks`, source, snapshot date or None, warnings)."""
    if roster_path is not None:
        from .classify import score_roster

        scored = score_roster(roster_path, as_of, workspace.config, conn, progress_path)
        return scored.frame, scored.callbacks, f"名单 {Path(roster_path).name}", None, scored.warnings
    frame, callbacks, snapshot_date = placed_snapshot(conn, workspace.config, as_of, "，或用 --roster 指定名单")
    return frame, callbacks, f"{snapshot_date} 的分层快照", snapshot_date, []


# Excel width units. The 14 working columns (顺序 … 下次跟进日期) take 156.5 (166 as stored, with Excel's
# padding): in view at once on a 1366 px screen at 100 % zoom (about 170 units), with names and phones
# frozen at the left. 为什么现在打 is one short line of plain words (about 20 characters: two lines of
# this width); what is longer — 上次回访备注, 风险依据 — is a reference column, whole in the formula bar
# when its cell is clicked. 使用方案 shows the id and the title's first words (its input message lists
# them whole).
CALLSHEET_WIDTHS = {
    "顺序": 5.0, "姓名": 8.0, "手机号": 12.5, "分层": 9.0, "为什么现在打": 26.0, "建议方案": 14.0,
    "回访结果": 9.0, "P（1-5）": 8.0, "K（1-5）": 8.0, "问题类型": 9.0, "是否解决": 8.0, "使用方案": 12.0,
    "回访备注": 16.0, "下次跟进日期": 12.0,
    "学号": 12.0, "上次回访日期": 12.0, "上次回访备注": 30.0, "分层代码": 13.0, "流失风险": 9.0, "风险依据": 40.0,
}
# Every row the same height, two lines of 10-point text (Excel's CJK fonts take about 13.5 points a
# line), never fitted to a long text: a 1366×768 screen at 100 % shows about 375 points of rows under
# Excel's ribbon — the header (two lines) and 12 students; printed landscape, about 18 a page.
CALLSHEET_FONT_SIZE = 10.0
CALLSHEET_ROW_POINTS = 28.0
FROZEN_COLUMNS = 3  # 顺序, 姓名, 手机号


def _list_rule(values: list[str], title: str, message: str, error: str = "stop") -> dict:
    return {
        "type": "list",
        "values": values,
        "input_title": title,
        "input_message": message,
        "error_title": title,
        "error_message": "请从下拉框里选一项" if error == "stop" else "请从下拉框里选；直接填 1-5 的数字也可以",
        "error_style": error,
    }


def validations(config) -> dict[str, dict]:
    """The drop-downs and checks of the fill-in columns, each cell saying what it wants when selected."""
    scale = config.scale
    return {
        "回访结果": _list_rule(
            [o.label for o in OUTCOMES], "回访结果",
            f"已接通、微信沟通算一次回访；其余算一次没联系上的尝试，连续 {config.plan.unreachable_after} 次会标为联系不上",
        ),
        "P（1-5）": _list_rule(scale.choices("p"), "P 学习积极性", "\n".join(scale.lines("p")), error="warning"),
        "K（1-5）": _list_rule(scale.choices("k"), "K 基础能力", "\n".join(scale.lines("k")), error="warning"),
        "问题类型": _list_rule(list(PROBLEM_TYPES), "问题类型", f"学员提出的问题；「{COMPLAINT}」要在 48 小时内解决，解决后把「是否解决」选「是」"),
        "是否解决": _list_rule(list(RESOLVED_CHOICES), "是否解决", "这次提出的问题，通话里解决了吗"),
        "下次跟进日期": {
            "type": "decimal",
            "criteria": "between",
            "min": 36526,  # 2000-01-01
            "max": 73050,  # 2099-12-31
            "input_title": "下次跟进日期",
            "input_message": "约好下次联系的日期，如 2026-12-01 或 12月1日",
            "error_title": "请填日期",
            "error_message": "下次跟进日期请填写日期，如 2026-11-30",
        },
    }


def solution_sheet(playbooks) -> SheetSpec:
    """方案选项 (hidden): each segment's 使用方案 drop-down in a column of its own, headed by its code —
    the solutions with an id (`s7k2mq 学员觉得课程太基础`), then 其他. The same for every teacher."""
    import pandas as pd

    lists = {segment.code: playbooks[segment.code].choices for segment in ALL_SEGMENTS}
    longest = max(len(choices) for choices in lists.values())
    table = pd.DataFrame({code: choices + [None] * (longest - len(choices)) for code, choices in lists.items()}, dtype=object)
    # Prepared once for every workbook of the run.
    return prepared(SheetSpec(
        CALLSHEET_SOLUTIONS_SHEET, table, widths=dict.fromkeys(lists, 30.0), freeze=False, autofilter=False, hidden=True,
    ))


def unnumbered_solutions(playbooks) -> list[Problem]:
    """A warning per playbook with solutions that have no id: the 使用方案 drop-down cannot offer them."""
    found = []
    for code, book in playbooks.items():
        missing = sum(1 for entry in book.problems if not entry.id)
        if missing:
            found.append(
                Problem(
                    file=f"playbooks/{code}.yaml", code="solution_without_id",
                    message=f"{missing} 条方案还没有编号，回访表的「使用方案」里列不出来：运行 pfk playbook ids 补上",
                )
            )
    return found


def solution_rules(playbooks) -> dict[str, dict]:
    """Each segment's 使用方案 drop-down by code, reading its list from its column of 方案选项 (the same
    for every teacher), its input message listing the solutions as far as Excel's 255 characters go."""
    rules = {}
    for number, segment in enumerate(ALL_SEGMENTS):
        letter = column_letter(number)
        choices = playbooks[segment.code].choices  # the solutions with an id, then 其他: the column under the code
        lines = choices[:-1]
        message = f"这次用了「{segment.name.removesuffix('学员')}」方案库里的哪一条？没用就留空，用了库外的办法选「{OTHER_SOLUTION}」。"
        while lines and len(message + "\n" + "\n".join(lines)) > 255:
            lines = lines[:-1]
        rules[segment.code] = {
            "type": "list",
            "source": f"'{CALLSHEET_SOLUTIONS_SHEET}'!${letter}$2:${letter}${len(choices) + 1}",
            "input_title": "使用方案",
            "input_message": "\n".join([message, *lines]),
            "error_title": "使用方案",
            "error_message": "请从下拉框里选：方案编号（见「话术与方案」），或「其他」",
        }
    return rules


def _solution_validations(segments, rules: dict[str, dict]) -> list[RowValidation]:
    """The 使用方案 drop-down of every row: one rule per segment over that segment's rows (the rows are
    in calling order, not grouped)."""
    codes = segments.to_numpy()
    found = [(rule, (codes == code).nonzero()[0]) for code, rule in rules.items()]
    return [RowValidation("使用方案", [int(row) for row in rows], rule) for rule, rows in found if len(rows)]


def call_sheets(plan: CallPlan, playbooks, config) -> dict[str, SheetSpec]:
    """Each teacher's 回访表 sheet (a teacher with no calls this week: an empty one). The calls of every
    teacher are laid out as one table, converted for the writer once, then cut at each teacher."""
    import numpy as np
    import pandas as pd

    rows = plan.rows.reset_index(drop=True)
    segments = rows["segment"]
    nothing = pd.Series(None, index=rows.index, dtype="str")
    table = pd.DataFrame(
        {
            "顺序": rows.groupby("teacher", sort=False).cumcount().add(1).astype("int64"),
            "姓名": rows["name"],
            "手机号": rows["phone"],
            "分层": segments.map({code: s.name.removesuffix("学员") for code, s in BY_CODE.items()}),
            "为什么现在打": rows["why_now"],
            "建议方案": rows["proposal"] if "proposal" in rows else nothing,
            **{column: nothing for column in FILL_IN_COLUMNS},
            "学号": rows["student_id"],
            "上次回访日期": pd.to_datetime(rows["last_called"]),
            "上次回访备注": rows["last_note"],
            "分层代码": segments,
            "流失风险": rows["risk"].astype("Int64"),
            "风险依据": rows["basis"],
        },
        columns=[*CALLSHEET_COLUMNS, *FILL_IN_COLUMNS, *REFERENCE_COLUMNS],
    )
    heights = np.full(len(table), CALLSHEET_ROW_POINTS)
    colours = segments.map({code: s.colour for code, s in BY_CODE.items()}).to_numpy(dtype=object)
    table = writable(table)
    cells = arrow_cells(table)
    drop_downs = validations(config)
    solutions = solution_rules(playbooks)
    # Each teacher's calls are together, in the order of plan.loads: a teacher's sheet is a slice.
    ends = np.cumsum([load.on_sheet for load in plan.loads])
    sheets = {}
    for load, end in zip(plan.loads, ends):
        at = slice(end - load.on_sheet, end)
        sheets[load.teacher] = SheetSpec(
            CALLSHEET_SHEET, table.iloc[at].reset_index(drop=True), cells=cells.slice(at.start, load.on_sheet), row_colours=colours[at].tolist(),
            validations=drop_downs, widths=CALLSHEET_WIDTHS, freeze_columns=FROZEN_COLUMNS, wrap=True,
            row_heights=heights[at].tolist(), page=_call_pages(load.teacher, load.on_sheet, plan.as_of),
            row_validations=_solution_validations(segments.iloc[at], solutions),
            boxed=FILL_IN_COLUMNS, font_size=CALLSHEET_FONT_SIZE,
        )
    return sheets


def _call_pages(teacher: str, rows: int, as_of: dt.date) -> dict:
    """Print setup of a 回访表: landscape, one page wide (names and phones on every page), the header
    row and the teacher and date on every page."""
    teacher = teacher.replace("&", "&&")  # `&` starts a code in Excel's page header
    return {
        "landscape": True,
        "paper_size": 9,  # A4, as schools print
        "fit_to_pages": (1, 0),  # one page wide, as many long as it takes
        "repeat_rows": 0,
        "print_area": (0, 0, rows, len(CALLSHEET_COLUMNS) + len(FILL_IN_COLUMNS) - 1),
        "header": f"&L回访表  运营老师：{teacher}&R{as_of:%Y-%m-%d}",
        "footer": "&C第 &P 页，共 &N 页",
        "margins": {"left": 0.4, "right": 0.4, "top": 0.6, "bottom": 0.6},
    }


def _paper() -> dict:
    """Print setup of a reference sheet: portrait, one page wide, the header row on every page."""
    return {"fit_to_pages": (1, 0), "repeat_rows": 0, "footer": "&C第 &P 页，共 &N 页"}


def _playbook_sheet(playbooks) -> SheetSpec:
    """话术与方案: every segment's playbook, the same for every teacher, each label beside its text."""
    table = playbook_table(list(playbooks), playbooks)
    widths = {"分层": 24.0, "项目": 16.0, "内容": 70.0}
    heights = fitted_heights(table, widths, ["内容"])
    # Prepared once for every workbook of the run.
    return prepared(SheetSpec(CALLSHEET_PLAYBOOK_SHEET, table, widths=widths, wrap=True, row_heights=heights, page=_paper()))


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
        rows += [(label, f"方案 {p.id}（{p.author} {p.date}）" if p.id else f"问题（{p.author} {p.date}）", f"{p.problem} → {p.solution}") for p in book.problems]
        rows += [(label, f"话术：{scene}", text.strip()) for scene, text in book.scripts.items()]
    return pd.DataFrame(rows, columns=["分层", "项目", "内容"])


def info_sheet(load, plan: CallPlan, config, sheet_id: str) -> SheetSpec:
    """说明: which sheet this is (teacher, date, its id), the week's numbers, and how to fill it in."""
    import pandas as pd

    scale = config.scale
    rows = [
        (INFO_TEACHER, load.teacher),
        (INFO_AS_OF, plan.as_of.isoformat()),
        (INFO_SHEET_ID, sheet_id),
        ("学员数", str(load.students)),
        ("本周该打", f"{load.due} 人；本表 {load.on_sheet} 人（其中答应过的 {load.promises} 人一个不落；其余按每周上限 {plan.capacity}），顺延到下周 {load.waiting} 人"
                    + (f"；另有 {load.held_out} 人抽签留作对照，本周不打（pfk.toml [plan] holdout_share）" if load.held_out else "")),
        ("排序", "先打答应过的（新学员首次联系、投诉、约好的跟进、新接手），再按「流失风险 × 接通机会 × 还来得及 × 分层权重」排；"
                "「流失风险」一列是退课或学不完的估计概率，「风险依据」是算它用到的数"),
        ("填写说明", "每通电话后填：回访结果、P、K（下拉选择）、问题类型与是否解决、使用方案、回访备注、下次跟进日期。"
                    "保存后交给主管运行 pfk record 导入；请勿改动表头、学号和本页的编号。"),
        ("使用方案", f"这次通话用了学员所在分层方案库里的哪条办法（编号见「{CALLSHEET_PLAYBOOK_SHEET}」）；用了库外的办法选「{OTHER_SOLUTION}」，"
                    "没用就留空。记下来，方案库才知道哪条办法真的管用。"),
        ("建议方案", "pfk 为这位学员建议先试的一条办法：多数时候是到目前效果最好的，有时是还没试够的新办法（这样才比得出哪条管用）。"
                    "合适就用它，不合适用别的也行，在「使用方案」里照实选。"),
        *[(f"P {line.split(' ', 1)[0]} 分", line.split(" ", 1)[1]) for line in scale.lines("p")],
        *[(f"K {line.split(' ', 1)[0]} 分", line.split(" ", 1)[1]) for line in scale.lines("k")],
        ("回访结果", "、".join(o.label for o in OUTCOMES if o.reached) + " 算一次回访；"
                    + "、".join(o.label for o in OUTCOMES if not o.reached)
                    + f" 记为没联系上，连续 {config.plan.unreachable_after} 次标为联系不上"),
        ("问题类型", f"{'、'.join(PROBLEM_TYPES)}；「{COMPLAINT}」须 48 小时内闭环"),
    ]
    table = pd.DataFrame(rows, columns=["项目", "内容"])
    widths = {"项目": 14.0, "内容": 80.0}
    heights = fitted_heights(table, widths, ["内容"])
    return SheetSpec(CALLSHEET_INFO_SHEET, table, autofilter=False, widths=widths, wrap=True, row_heights=heights, page=_paper())
