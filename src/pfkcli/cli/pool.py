"""pfk pool list|release|claim — the public pool (公海): who is there and why, putting students in,
taking them out for a teacher."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..values import missing
from . import common, usage

app = typer.Typer(help="公海：list 查看 / release 放入 / claim 认领。", no_args_is_help=True, cls=usage.Group)

# A screenful; the whole list goes to a workbook with -o.
TABLE_ROWS = 50


@app.command("list", cls=usage.Command)
def list_(
    as_of: common.AsOf = None,
    renewal: Annotated[bool, typer.Option("--renewal", help="列出续费公海：在续费阶段、本阶段还没人联系上、没有续费的学员（给销售团队）。")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", metavar="文件", help="同时把完整名单（含手机号）写成 .xlsx 文件。")] = None,
) -> None:
    """列出公海里的学员：为什么进来、哪天进来的，最早的在前。"""
    from rich.table import Table

    from ..pool import list_pool, rules_text
    from ..workspace import find_workspace
    from .callsheet import print_stale_snapshot

    def action():
        workspace = find_workspace()
        return workspace, list_pool(workspace, common.as_of_date(as_of), renewal, output)

    workspace, pool = common.run(action, not_done="未写出任何文件")
    rows = pool.rows
    name = "续费公海" if pool.renewal else "公海"
    table = Table(title=f"{name}（{pool.as_of:%Y-%m-%d}，共 {len(rows)} 人）")
    if pool.renewal:
        headers = ("结课日期", "学号", "姓名", "运营老师", "阶段", "原因")
        cells = zip(rows["course_end"], rows["student_id"], rows["name"], rows["teacher"], rows["stage"], rows["why"])
    else:
        headers = ("进入日期", "学号", "姓名", "原运营老师", "原因")
        cells = zip(rows["pool_on"], rows["student_id"], rows["name"], rows["was_held"], rows["why"])
    for header in headers:
        table.add_column(header, overflow="fold", no_wrap=header != "原因")
    for first, *rest in list(cells)[:TABLE_ROWS]:
        table.add_row("" if missing(first) else f"{first:%Y-%m-%d}", *[_text(value) for value in rest])
    common.out.print(table)
    if len(rows) > TABLE_ROWS:
        common.out.print(f"…… 以上是前 {TABLE_ROWS} 人，共 {len(rows)} 人；加 -o 文件.xlsx 写出完整名单")
    if pool.counts:
        common.out.print("，".join(f"{label} {n} 人" for label, n in pool.counts.items()))
    if not pool.renewal:
        common.out.print(f"规则：{'；'.join(rules_text(workspace.config))}")
    print_stale_snapshot(pool.snapshot_date, pool.as_of)
    if pool.output is not None:
        common.out.print(f"✓ 已写出 {pool.output}")


def _text(value) -> str:
    return "" if missing(value) else str(value)


@app.command("release", cls=usage.Command)
def release(
    ids: Annotated[list[str], typer.Argument(metavar="学号", help="要放入公海的学号，可多个。", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", metavar="原因", help="为什么放入公海，如 \"多次沟通无意向\"。", show_default=False)],
    as_of: common.AsOf = None,
) -> None:
    """把学员放入公海（记入历史）：之后不在任何老师的回访表上，其他老师可以认领。"""
    from ..pool import release_students
    from ..workspace import find_workspace

    result = common.run(lambda: release_students(find_workspace(), ids, reason, common.as_of_date(as_of)))
    if result.released:
        shown = "、".join(f"{sid}（原 {teacher}）" if teacher else sid for sid, teacher in result.released)
        common.out.print(f"✓ 已放入公海 {len(result.released)} 人（{result.as_of:%Y-%m-%d}）：{shown}")
    if result.already:
        common.out.print(f"· 已在公海，未改动：{'、'.join(result.already)}")


@app.command("claim", cls=usage.Command)
def claim(
    teacher: Annotated[str, typer.Option("--teacher", metavar="老师", help="认领的老师，如 李老师。", show_default=False)],
    count: Annotated[int, typer.Option("--count", min=1, metavar="人数", help="认领几人（默认 1），按回访计划的优先级取最该打的。")] = 1,
    as_of: common.AsOf = None,
    more: Annotated[bool, typer.Option("--more", help="同一天已经为这位老师认领过，仍要再认领。")] = False,
) -> None:
    """老师从公海认领学员：按回访计划的优先级挑最该联系的，不超过她的容量；下次回访表里就是她的学员。"""
    from rich.table import Table

    from ..pool import claim_students
    from ..segments import BY_CODE
    from ..workspace import find_workspace
    from .assign import load_table

    result = common.run(lambda: claim_students(find_workspace(), teacher, count, common.as_of_date(as_of), more))
    claimed = result.claimed
    if result.already:
        common.out.print(
            f"· {result.teacher} 在 {result.as_of:%Y-%m-%d} 已经从公海认领过这 {len(claimed)} 名学员，这次没有再认领"
            "（确实还要再认领，加 --more）"
        )
    else:
        common.out.print(f"✓ {result.teacher} 从公海认领了 {len(claimed)} 名学员（{result.as_of:%Y-%m-%d}）")
    if len(claimed) < result.asked and not result.already:
        common.out.print(f"公海里只有 {result.pool_before} 人，已全部认领")
    table = Table()
    for header in ("学号", "姓名", "分层", "原因"):
        table.add_column(header, overflow="fold", no_wrap=header != "原因")
    for sid, name, segment, why in zip(claimed["student_id"], claimed["name"], claimed["segment"], claimed["why"]):
        table.add_row(sid, _text(name), BY_CODE[segment].name if segment in BY_CODE else _text(segment), why)
    common.out.print(table)
    common.out.print(load_table(result.loads, "各老师带的学员（认领前 → 认领后）", pool=(result.pool_before, result.pool_after)))
