"""pfk check FILE... — validate exports and summarise them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import common


def check(
    files: Annotated[list[Path], typer.Argument(metavar="名单", help="要检查的名单文件（.xlsx/.xls/.ods/.csv），可多个。", show_default=False)],
    sheet: Annotated[str | None, typer.Option("--sheet", metavar="工作表", help="只读这个工作表（默认：读所有表头相同的工作表）。")] = None,
    progress: Annotated[Path | None, typer.Option("--progress", metavar="学习记录", help="同时检查学习记录明细（classify 的 --progress 文件）。")] = None,
    as_of: common.AsOf = None,
    problems: Annotated[
        Path | None,
        typer.Option("--problems", metavar="文件", help="把全部问题和提示写成一个 .xlsx 文件（问题太多、屏幕看不完时用）。", show_default=False),
    ] = None,
) -> None:
    """检查名单能否读懂：列出所有问题（文件 › 工作表 › 行 › 列），并按老师、课程统计学员数。"""
    from rich.table import Table

    from ..check import check_files, problem_list_target, write_problem_list
    from ..errors import InvalidInput
    from ..workspace import find_workspace

    day = common.as_of_date(as_of)
    inputs = [*files, progress]
    if problems is not None:  # a wrong name is said before anything is read
        common.run(lambda: problem_list_target(problems))

    def action():
        try:
            report = check_files(find_workspace(), files, sheet, progress, day)
        except InvalidInput as exc:
            if problems is not None:
                write_problem_list(problems, exc.problems, exc.warnings, inputs)
                common.err.print(f"全部问题已写入 {str(problems)}")
            raise
        if problems is not None:
            write_problem_list(problems, [], report.warnings, inputs)
        return report

    report = common.run(action)
    for roster in report.rosters:
        where = f"{roster.file} › {roster.sheet}" if roster.sheet else roster.file
        common.out.print(f"✓ {where}：{len(roster.frame)} 名学员")
    table = report.per_teacher()
    view = Table(title="学员数（按老师 × 课程）")
    view.add_column("运营老师")
    for course in table.columns:
        view.add_column(str(course), justify="right")
    for teacher, row in table.iterrows():
        view.add_row(str(teacher), *[str(int(v)) for v in row])
    common.out.print(view)
    common.print_warnings(report.warnings)
    if problems is not None:
        common.out.print(f"✓ 已写出 {str(problems)}")
