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
    common.out.print(segment_table(result.counts(), f"分层 × 老师（{result.as_of:%Y-%m-%d}，共 {len(result.frame)} 人）"))
    common.out.print(LEGEND)
    common.print_outcome("分界线：", result.cuts, result.warnings, result.output)
    if result.snapshot_saved:
        common.out.print(f"✓ 已存入工作区历史（{result.as_of:%Y-%m-%d} 的分层快照）")


# Under the table: what the short headers stand for, in the model's own terms.
LEGEND = "列：价值=P高F高 督促=P高F低 维持=P低F高 挽留=P低F低；重要/重点=K高 一般=K低"


def segment_table(counts, title: str):
    """Teachers as rows, segments as columns under two-line headers (价值 over 重要), totals in the
    last column and the footer: a school's 40 teachers make a long table, never a wide one (it fits
    80 columns), and a name is never cut."""
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table

    from ..segments import BY_CODE

    *teachers, total = [str(teacher) for teacher in counts.columns]  # the last column is 合计
    per_teacher = counts.T
    table = Table(title=title, box=box.SIMPLE, show_edge=False, show_footer=True, pad_edge=False, collapse_padding=True)
    width = max(cell_len(name) for name in [*teachers, "运营老师"])
    table.add_column("运营老师", footer=total, no_wrap=True, min_width=width)
    for code in counts.index:
        segment = BY_CODE[code]
        header = f"{segment.group}\n{segment.name[:2]}" if segment.group != segment.code else "待\n回访"
        table.add_column(header, footer=str(int(per_teacher.loc[total, code])), justify="right", no_wrap=True)
    table.add_column(total, footer=str(int(per_teacher.loc[total].sum())), justify="right", no_wrap=True)
    for teacher in teachers:
        row = per_teacher.loc[teacher]
        table.add_row(teacher, *[str(int(n)) for n in row], str(int(row.sum())))
    return table
