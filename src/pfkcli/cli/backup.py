"""pfk backup [FILE] — a consistent copy of the workspace history store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import common


def backup(
    target: Annotated[Path | None, typer.Argument(metavar="备份文件", help="备份文件（默认：工作区里 backups/history-<日期时间>.sqlite）。")] = None,
) -> None:
    """备份工作区历史库（回访记录与分层快照），可在别人写入时进行。"""
    from ..history_view import backup_history

    written = common.run(lambda: backup_history(target))
    common.out.print(f"✓ 已备份到 {written}")
