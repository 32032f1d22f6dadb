"""pfk check FILE... — validate exports and summarise them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import common


def check(
    files: Annotated[list[Path], typer.Argument(metavar="名单", help="要检查的名单文件（.xlsx/.xls/.ods/.csv），可多个。", show_default=False)],
    sheet: Annotated[str | None, typer.Option("--sheet", metavar="工作表", help="指定工作表（默认：第一个有表头的工作表）。")] = None,
) -> None:
    """检查名单能否读懂：列出所有问题（文件 › 工作表 › 行 › 列），并按老师、课程统计学员数。"""
    from rich.table import Table

    from ..check import check_files
    from ..workspace import find_workspace

    report = common.run(lambda: check_files(find_workspace(), files, sheet))
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
