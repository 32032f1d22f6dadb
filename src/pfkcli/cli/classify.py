"""pfk classify ROSTER — score and segment every student, write the result workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import common


def classify(
    roster: Annotated[Path, typer.Argument(metavar="名单", help="学员名单（.xlsx/.xls/.ods/.csv）。", show_default=False)],
    progress: Annotated[Path | None, typer.Option("--progress", metavar="学习记录", help="学习记录明细（每行一次看课或交作业），代替名单里的作业、课时列。")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", metavar="文件", help="结果文件（默认：名单旁边的 <名单名>.pfk.xlsx）。")] = None,
    as_of: common.AsOf = None,
    sheet: Annotated[str | None, typer.Option("--sheet", metavar="工作表", help="指定工作表（默认：第一个有表头的工作表）。")] = None,
) -> None:
    """按 PFK 模型给每位学员打分分层，写出结果表，并打印分层 × 老师的统计。"""
    from ..classify import classify as run_classify
    from ..workspace import find_workspace

    day = common.as_of_date(as_of)
    result = common.run(
        lambda: run_classify(find_workspace(), roster, day, progress, output, sheet), not_done="未写出任何文件"
    )
    render_result(result)


def render_result(result) -> None:
    from rich.table import Table

    from ..segments import BY_CODE

    counts = result.counts()
    table = Table(title=f"分层 × 老师（{result.as_of:%Y-%m-%d}，共 {len(result.frame)} 人）")
    table.add_column("分层")
    for teacher in counts.columns:
        table.add_column(str(teacher), justify="right")
    for code, row in counts.iterrows():
        table.add_row(f"{BY_CODE[code].name}  {code}", *[str(int(v)) for v in row])
    common.out.print(table)
    common.print_outcome("分界线：", result.cuts, result.warnings, result.output)
    if result.snapshot_saved:
        common.out.print(f"✓ 已存入工作区历史（{result.as_of:%Y-%m-%d} 的分层快照）")
