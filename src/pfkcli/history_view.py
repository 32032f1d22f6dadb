"""What `pfk history` and `pfk backup` need from the workspace history, behind one error boundary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from . import history
from .errors import UsageError
from .paths import BACKUP, check_output
from .workspace import Workspace, find_workspace


@dataclass
class StudentHistory:
    callbacks: list[tuple]
    snapshots: list[tuple]
    moves: list[tuple] = field(default_factory=list)  # history.student_moves: teachers and the pool


def _store(workspace: Workspace) -> Path:
    if workspace.history_path is None:
        raise UsageError("这里不是 pfk 工作区（找不到 pfk.toml）：请先运行 pfk init")
    if not workspace.history_path.exists():
        raise UsageError("工作区还没有历史记录：先运行 pfk classify 或 pfk record")
    return workspace.history_path


def student_history(student_id: str, workspace: Workspace | None = None) -> StudentHistory:
    path = _store(workspace or find_workspace())
    with history.opened(path) as conn:
        callbacks, snapshots = history.student_history(conn, student_id)
        moves = history.student_moves(conn, student_id)
    if not callbacks and not snapshots and not moves:
        raise UsageError(f"历史里没有学号 {student_id} 的记录")
    return StudentHistory(callbacks, snapshots, moves)


def backup_history(target: Path | None, workspace: Workspace | None = None) -> Path:
    workspace = workspace or find_workspace()
    path = _store(workspace)
    if target is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        target = workspace.root / "backups" / f"history-{stamp}.sqlite"
        target.parent.mkdir(exist_ok=True)
    target = check_output(Path(target), suffix=BACKUP, inputs=[path], workspace_root=workspace.root)
    with history.opened(path) as conn:
        history.backup(conn, target)
    return target
