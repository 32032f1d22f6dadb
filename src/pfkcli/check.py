"""`pfk check`: validate rosters (and a learning-event log) and summarise them, writing nothing but,
when asked, the full list of problems as a workbook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .columns import FIELD_BY_NAME, aliases_text
from .errors import InputError, InvalidInput, OutputError, Problem
from .paths import PROBLEMS, check_output
from .roster import Roster, load_roster
from .workspace import Workspace

# The problem list workbook: one sheet of problems, one of warnings, these columns in this order.
PROBLEM_SHEET = "问题"
WARNING_SHEET = "提示"
PROBLEM_COLUMNS = ("文件", "工作表", "行", "列", "代码", "说明")


@dataclass
class CheckReport:
    rosters: list[Roster]
    warnings: list[Problem] = field(default_factory=list)

    def per_teacher(self):
        """Students per teacher (rows) and course (columns), over every file checked."""
        import pandas as pd

        frames = [r.frame.assign(course=r.frame["course"] if "course" in r.frame else "") for r in self.rosters]
        frame = pd.concat(frames, ignore_index=True)
        frame["course"] = frame["course"].fillna("").replace("", "（未填课程）")
        table = pd.crosstab(frame["teacher"], frame["course"], margins=True, margins_name="合计")
        return table


def check_files(
    workspace: Workspace,
    paths: list[Path],
    sheet: str | None = None,
    progress: Path | None = None,
    as_of: dt.date | None = None,
) -> CheckReport:
    """Validate every file (and the event log `progress`, if given); raise one InvalidInput with all
    problems of all files. A roster that `classify` could not score F from (no homework or hours
    column, and no log) gets a warning."""
    from .events import read_events

    rosters, problems, warnings = [], [], []
    details: list[str] = []  # what the libraries said of unreadable files, for --debug

    def unreadable(path: Path, exc: InputError) -> None:
        problems.append(Problem(file=Path(path).name, code="unreadable", message=exc.message.split(": ", 1)[-1]))
        if exc.detail:
            details.append(f"{Path(path).name}: {exc.detail}")

    for path in paths:
        try:
            roster = load_roster(path, workspace.config, sheet, as_of=as_of)
        except InvalidInput as exc:
            problems += exc.problems
            warnings += exc.warnings
            continue
        except InputError as exc:  # one unreadable file does not hide the problems of the others
            unreadable(path, exc)
            continue
        rosters.append(roster)
        warnings += roster.warnings
        if progress is None:
            warnings += _progress_warnings(roster)
    if progress is not None:
        try:
            _, log_warnings = read_events(progress, workspace.config, as_of=as_of)
            warnings += log_warnings
        except InvalidInput as exc:
            problems += exc.problems
            warnings += exc.warnings
        except InputError as exc:
            unreadable(progress, exc)
    if problems:
        error = InvalidInput(problems, warnings)
        for detail in details:
            error.add_note(detail)
        raise error
    return CheckReport(rosters, warnings)


def _progress_warnings(roster: Roster) -> list[Problem]:
    present = roster.fields | ({"hours_watched"} if "completion" in roster.fields else set())
    missing = [name for name in ("homework_done", "hours_watched") if name not in present]
    if not missing:
        return []
    labels = "、".join(f"「{FIELD_BY_NAME[name].label}」（{aliases_text(name)}）" for name in missing)
    return [Problem(file=roster.file, sheet=roster.sheet, code="no_progress",
                    message=f"名单里没有{labels}列，classify 算不出 F；请在名单里加上这些列，或用 --progress 提供学习记录")]


def problem_list_target(path: Path) -> Path:
    """`path` if a problem list can be written there by its name; checked before any input is read."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise OutputError(f"{path}: 问题清单要写成 .xlsx 文件，请换一个以 .xlsx 结尾的文件名")
    return check_output(path, kind=PROBLEMS)


def write_problem_list(path: Path, problems: Sequence[Problem], warnings: Sequence[Problem], inputs: Sequence[Path | None] = ()) -> Path:
    """Every problem and warning as a workbook (问题, 提示: 文件, 工作表, 行, 列, 代码, 说明), for a list
    too long to read on screen. Raises OutputError when `path` is not an .xlsx file or cannot be written."""
    import pandas as pd

    from .excel import SheetSpec, write_workbook

    path = problem_list_target(path)

    def table(items: Sequence[Problem]):
        rows = [(p.file, p.sheet, p.row, p.column, p.code, p.message) for p in items]
        frame = pd.DataFrame(rows, columns=list(PROBLEM_COLUMNS))
        frame["行"] = frame["行"].astype("Int64")
        return frame

    sheets = [SheetSpec(PROBLEM_SHEET, table(problems), widths={"说明": 60.0}), SheetSpec(WARNING_SHEET, table(warnings), widths={"说明": 60.0})]
    return write_workbook(path, sheets, inputs=inputs, kind=PROBLEMS)
