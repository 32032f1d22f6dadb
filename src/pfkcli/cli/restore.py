"""pfk restore BACKUP | --fresh — put a backup in place of the workspace's history store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import common


def restore(
    backup: Annotated[Path | None, typer.Argument(metavar="备份文件", help="pfk backup 做的备份，如 backups/history-20261120-101500.sqlite。", show_default=False)] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="不用备份，从空的历史重新开始（原来的历史库留在旁边，不删除）。")] = False,
    adopt: Annotated[bool, typer.Option("--adopt", help="备份来自另一个工作区时，确认把它作为本工作区的历史。")] = False,
) -> None:
    """用备份恢复工作区的历史库：先检查备份是否完好，原来的历史库改名留在 .pfk/ 里，不会删除。"""
    from ..errors import UsageError
    from ..history_view import restore_history

    def action():
        if (backup is None) == (not fresh):
            raise UsageError("请指定要恢复的备份文件（pfk restore backups/…sqlite），或用 --fresh 从空的历史重新开始")
        return restore_history(backup, adopt=adopt)

    done = common.run(action, not_done="历史库没有改动")
    if done.aside is not None:
        common.out.print(f"原来的历史库留在 {done.aside}")
    if done.source is None:
        common.out.print("✓ 已建好空的历史库，从这里重新开始")
    else:
        common.out.print(f"✓ 已用 {done.source} 恢复历史库：{done.snapshots} 次分层快照，{done.calls} 条回访记录")
