"""pfk assign ROSTER — give every student without an active teacher one; write the roster to import back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import common


def assign(
    roster: Annotated[Path, typer.Argument(metavar="名单", help="学员名单（.xlsx/.xls/.ods/.csv），运营老师可以空着。", show_default=False)],
    output: Annotated[Path | None, typer.Option("-o", "--output", metavar="文件", help="结果文件（默认：名单旁边的 <名单名>.assign.xlsx）。")] = None,
    rebalance: Annotated[bool, typer.Option("--rebalance", help="同时均衡负载：超出按容量应带人数的老师，把多出的学员移给别人（移动的人尽量少）。")] = False,
    as_of: common.AsOf = None,
    sheet: Annotated[str | None, typer.Option("--sheet", metavar="工作表", help="指定工作表（默认：读所有表头相同的工作表）。")] = None,
) -> None:
    """给没有运营老师、或老师已停用的学员分配老师：按容量均衡负载、均摊各分层，已有在职老师的学员不动；写出可导回平台的学员名单。"""
    from ..assign import INACTIVE, NO_TEACHER, REBALANCE, assign_roster
    from ..workspace import find_workspace

    day = common.as_of_date(as_of)
    result = common.run(lambda: assign_roster(find_workspace(), roster, day, output, rebalance, sheet), not_done="未写出任何文件")
    moves = result.allocation.moves
    reasons = [(NO_TEACHER, "没有运营老师"), (INACTIVE, "原老师已停用"), (REBALANCE, "均衡负载")]
    counted = "，".join(f"{label} {n} 人" for code, label in reasons if (n := sum(m.reason == code for m in moves)))
    common.out.print(f"分配了 {len(moves)} 名学员（{result.as_of:%Y-%m-%d}）" + (f"：{counted}" if counted else ""))
    common.out.print(load_table(result.loads, "各老师带的学员（分配前 → 分配后）", unassigned=(result.unassigned_before, 0), pool=result.in_pool))
    print_notes(result.notes)
    common.print_warnings(result.warnings)
    common.out.print(f"✓ 已写出 {result.output}（学员名单可导回平台；分配结果列出 {len(result.changes)} 名运营老师有变化的学员）")
    if result.recorded:
        common.out.print(f"✓ 已记入工作区历史（{len(moves)} 条分配，pfk history 学号 可查）")


def print_notes(notes) -> None:
    from rich.text import Text

    for note in notes:
        common.out.print(Text(f"注意：{note}", style="yellow"))


def load_table(loads, title: str, unassigned: tuple[int, int] | None = None, pool: int | tuple[int, int] | None = None):
    """Each teacher's load against her capacity, before and after: a row per teacher (a name is never
    cut), narrow columns, so that ten teachers — or forty — fit 80 columns."""
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table

    from ..pool import POOL_NAME

    extra = []
    if unassigned is not None and (unassigned[0] or unassigned[1]):
        extra.append(("未分配", unassigned))
    if pool:
        extra.append((POOL_NAME, pool if isinstance(pool, tuple) else (pool, pool)))
    width = max(cell_len(name) for name in ["运营老师", *(load.teacher for load in loads), *(label for label, _ in extra)])
    table = Table(title=title, box=box.SIMPLE, show_edge=False, show_footer=True, pad_edge=False)
    table.add_column("运营老师", footer="合计", no_wrap=True, min_width=width)
    table.add_column("容量", footer=str(sum(load.capacity for load in loads if load.active)), justify="right", no_wrap=True)
    table.add_column("之前", footer=str(sum(load.before for load in loads) + sum(b for _, (b, _) in extra)), justify="right", no_wrap=True)
    table.add_column("之后", footer=str(sum(load.after for load in loads) + sum(a for _, (_, a) in extra)), justify="right", no_wrap=True)
    table.add_column("余量", justify="right", no_wrap=True)
    table.add_column("说明", no_wrap=True)
    for load in loads:
        state = "停用" if not load.active else ("超出容量" if load.room < 0 else ("默认容量" if not load.listed else ""))
        shown = (str(load.capacity), str(load.room)) if load.active else ("", "")
        table.add_row(load.teacher, shown[0], str(load.before), str(load.after), shown[1], state)
    for label, (before, after) in extra:
        table.add_row(label, "", str(before), str(after), "", "")
    return table
