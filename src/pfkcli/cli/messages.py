"""pfk messages --teacher NAME | --all — each teacher's WeChat drafts due now."""

from __future__ import annotations

from typing import Annotated

import typer

from . import common


def messages(
    teacher: Annotated[str | None, typer.Option("--teacher", metavar="老师", help="只起草这位老师的消息，如 张老师。")] = None,
    all_teachers: Annotated[bool, typer.Option("--all", help="为每位有消息要发的老师各写一份。")] = False,
    as_of: common.AsOf = None,
    scene: Annotated[
        str | None,
        typer.Option("--scene", metavar="场景", help="只起草这一个场景：首次联系、满意度低、续费3天、续费7天、续费30天、连续未学习关怀、进度督促、结课祝贺。"),
    ] = None,
) -> None:
    """起草微信消息 messages/<老师>-<日期>.xlsx：新学员首次联系、未学习关怀、进度督促、满意度低、续费提醒、结课祝贺，每条用学员自己的数据写成；发出后标「已发送」，用 pfk record 记录。"""
    from rich.table import Table
    from rich.text import Text

    from ..errors import UsageError
    from ..messages import make_messages
    from ..workspace import find_workspace
    from .callsheet import STALE_AFTER_DAYS

    def action():
        if (teacher is None) == (not all_teachers):
            raise UsageError("请用 --teacher 老师名 指定一位老师，或用 --all 为每位老师起草")
        return make_messages(find_workspace(), common.as_of_date(as_of), teacher, scene)

    result = common.run(action, not_done="未写出任何文件")
    if result.sheets:
        table = Table(title=f"微信消息草稿（{result.as_of:%Y-%m-%d}，来源：{result.snapshot_date} 的分层快照）")
        table.add_column("运营老师", no_wrap=True)
        table.add_column("消息", justify="right", no_wrap=True)
        table.add_column("场景", overflow="fold")
        table.add_column("文件", overflow="fold")
        for sheet in result.sheets:
            scenes = "、".join(f"{name} {count}" for name, count in sheet.scenes.items())
            table.add_row(sheet.teacher, str(sheet.drafts), scenes, sheet.path.name)
        common.out.print(table)
        folder = result.sheets[0].path.parent
        common.out.print(f"✓ 已写出 {len(result.sheets)} 份消息表，在 {folder}")
    if result.quiet:
        common.out.print(f"今天没有要发的消息：{'、'.join(result.quiet)}（未写出文件）")
    if result.finished:
        common.out.print(result.finished)
    if result.deferred:
        common.out.print(
            f"续费消息每位老师每天最多 {result.renewal_per_day} 条（pfk.toml [messages] renewal_per_day）：另有 {result.deferred} 条按回访计划的先后顺延到后面几天"
        )
    for name, count in result.held_back.items():
        common.out.print(f"· {count} 人的「{name}」近期已发过，这次不再起草")
    for skipped in result.skipped:
        common.err.print(Text(f"跳过 {skipped.students} 人的「{skipped.scene}」：{skipped.reason}", style="yellow"))
    late = (result.as_of - result.snapshot_date).days
    if late > STALE_AFTER_DAYS:
        common.err.print(Text(
            f"注意：用的是 {result.snapshot_date:%Y-%m-%d} 的分层快照，比 {result.as_of:%Y-%m-%d} 早 {late} 天，"
            "这期间的学习进度都没算进去。先用最新名单运行 pfk classify。",
            style="yellow",
        ))
