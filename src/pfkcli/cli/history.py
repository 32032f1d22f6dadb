"""pfk history STUDENT_ID — one student's callbacks and segment snapshots, newest first."""

from __future__ import annotations

from typing import Annotated

import typer

from . import common


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def history(
    student_id: Annotated[str, typer.Argument(metavar="学号", help="学号。", show_default=False)],
) -> None:
    """查看一位学员的回访记录、历次分层、发过的消息和运营老师的变动，最新的在前。"""
    from rich.table import Table

    from ..calls import OUTCOMES
    from ..history import MOVE_KINDS
    from ..history_view import student_history
    from ..pool import POOL_NAME

    REACHED = {o.label for o in OUTCOMES if o.reached}

    view = common.run(lambda: student_history(student_id))
    reached = sum(1 for row in view.callbacks if row[2] in REACHED)
    title = f"{student_id} 的回访记录（{reached} 次回访"
    title += f"，{len(view.callbacks) - reached} 次没联系上）" if len(view.callbacks) > reached else "）"
    callbacks = Table(title=title)
    for header in ("回访日期", "运营老师", "结果", "P", "K", "问题", "回访备注", "下次跟进", "来源文件"):
        callbacks.add_column(header)
    for row in view.callbacks:
        callbacks.add_row(*[_text(v) for v in row])
    common.out.print(callbacks)
    snapshots = Table(title=f"{student_id} 的历次分层（{len(view.snapshots)} 次）")
    for header in ("日期", "运营老师", "P", "F", "K", "分层"):
        snapshots.add_column(header)
    for row in view.snapshots:
        snapshots.add_row(*[_text(v) for v in row])
    common.out.print(snapshots)
    touches = Table(title=f"{student_id} 发过的消息（{len(view.touches)} 条，不算回访）")
    for header in ("发送日期", "运营老师", "场景", "消息", "来源文件"):
        touches.add_column(header, overflow="fold")
    for row in view.touches:
        touches.add_row(*[_text(v) for v in row])
    common.out.print(touches)
    if view.moves:
        moves = Table(title=f"{student_id} 的运营老师变动（{len(view.moves)} 次）")
        for header in ("日期", "变动", "原运营老师", "运营老师", "原因"):
            moves.add_column(header)
        for on_day, kind, before, after, reason in view.moves:
            moves.add_row(on_day, MOVE_KINDS.get(kind, kind), before or "—", after or POOL_NAME, _text(reason))
        common.out.print(moves)
