"""pfk callsheet --teacher NAME | --all — one call sheet per teacher."""

from __future__ import annotations

import datetime as dt
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
    limit: Annotated[int | None, typer.Option("--limit", min=1, metavar="人数", help="每份最多列多少人（默认 pfk.toml [plan] calls_per_week，40）。")] = None,
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
    if result.finished and not result.sheets:
        common.out.print(result.finished)
        print_stale_snapshot(result.snapshot_date, result.as_of)
        return
    # The folder once, under the table; each row the file's own name, so 40 teachers fit 80 columns.
    folders = {sheet.path.parent for sheet in result.sheets}
    one_folder = len(folders) == 1
    table = Table(title=f"本周回访（{result.as_of:%Y-%m-%d}，来源：{result.source}，每人每周最多 {result.capacity} 人）")
    held = sum(sheet.held_out for sheet in result.sheets)
    table.add_column("运营老师", no_wrap=True)
    for header in ("学员", "该打", "本表", "顺延", *(["留出"] if held else [])):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("文件", overflow="fold")
    for sheet in result.sheets:
        shown = sheet.path.name if one_folder else str(sheet.path)
        counts = [sheet.students, sheet.due, sheet.on_sheet, sheet.waiting, *([sheet.held_out] if held else [])]
        table.add_row(sheet.teacher, *map(str, counts), shown)
    common.out.print(table)
    if held:
        common.out.print(
            f"留出对照：{held} 人抽签留出，本轮不打（答应过的电话从不留出；pfk.toml [plan] holdout_share）；"
            "pfk report 的「留出对照」拿他们和照常回访的同分层学员比较。"
        )
    if one_folder:
        common.out.print(f"✓ 已写出 {len(result.sheets)} 份回访表，在 {folders.pop()}")
    if result.finished:
        common.out.print(result.finished)
    print_stale_snapshot(result.snapshot_date, result.as_of)
    common.print_warnings(result.warnings)


# A week: the team classifies once a week; an older snapshot misses a week's calls, study and alerts.
STALE_AFTER_DAYS = 7


def stale_snapshot_warning(snapshot: dt.date | None, as_of: dt.date) -> str | None:
    """The warning line when the snapshot used is more than a week older than the call sheets' date."""
    if snapshot is None or (as_of - snapshot).days <= STALE_AFTER_DAYS:
        return None
    return (
        f"注意：用的是 {snapshot:%Y-%m-%d} 的分层快照，比 {as_of:%Y-%m-%d} 早 {(as_of - snapshot).days} 天，"
        "这期间的学习进度和回访都没算进去。先用最新名单运行 pfk classify，或用 --roster 直接指定名单。"
    )


def print_stale_snapshot(snapshot: dt.date | None, as_of: dt.date) -> None:
    """`stale_snapshot_warning`, if any, on stderr in yellow."""
    from rich.text import Text

    line = stale_snapshot_warning(snapshot, as_of)
    if line:
        common.err.print(Text(line, style="yellow"))
