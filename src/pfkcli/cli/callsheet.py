"""pfk callsheet --teacher NAME | --all — one call sheet per teacher."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import common


def callsheet(
    teacher: Annotated[str | None, typer.Option("--teacher", metavar="老师", help="只生成这位老师的回访表，如 张老师。")] = None,
    all_teachers: Annotated[bool, typer.Option("--all", help="为每位老师各生成一份。")] = False,
    as_of: common.AsOf = None,
    roster: Annotated[Path | None, typer.Option("--roster", metavar="名单", help="直接用这份名单现场分层（默认用工作区最新的分层快照）。")] = None,
    progress: Annotated[Path | None, typer.Option("--progress", metavar="学习记录", help="学习记录明细（与 --roster 一起用）。")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, metavar="人数", help="每份最多列多少人。")] = None,
) -> None:
    """生成回访表 callsheets/<老师>-<日期>.xlsx：该打给谁、先后顺序、为什么现在打、问什么，以及通话后要填的列。"""
    from rich.table import Table

    from ..callsheet import make_callsheets
    from ..errors import UsageError
    from ..workspace import find_workspace

    def action():
        if (teacher is None) == (not all_teachers):
            raise UsageError("请用 --teacher 老师名 指定一位老师，或用 --all 生成全部")
        return make_callsheets(find_workspace(), common.as_of_date(as_of), teacher, roster, progress, limit)

    result = common.run(action, not_done="未写出任何文件")
    table = Table(title=f"回访表（{result.as_of:%Y-%m-%d}，来源：{result.source}）")
    for header in ("运营老师", "学员", "本次要打", "文件"):
        table.add_column(header, justify="right" if header in ("学员", "本次要打") else "left")
    for sheet in result.sheets:
        table.add_row(sheet.teacher, str(sheet.students), str(sheet.due), str(sheet.path))
    common.out.print(table)
    common.print_warnings(result.warnings)
