"""What `pfk history` and `pfk backup` need from the workspace history, behind one error boundary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from . import history
from .errors import ForeignHistory, OutputError, UsageError
from .paths import BACKUP, check_output, make_folder
from .workspace import Workspace, find_workspace


@dataclass
class StudentHistory:
    callbacks: list[tuple]
    snapshots: list[tuple]
    touches: list[tuple]  # messages marked sent (pfk messages): touched_on, teacher, scene, message, source_file
    moves: list[tuple] = field(default_factory=list)  # history.student_moves: teachers and the pool


def _store(workspace: Workspace) -> Path:
    return workspace.history_store(
        "这里不是 pfk 工作区（找不到 pfk.toml）：请先运行 pfk init", "工作区还没有历史记录：先运行 pfk classify 或 pfk record"
    )


def student_history(student_id: str, workspace: Workspace | None = None) -> StudentHistory:
    workspace = workspace or find_workspace()
    _store(workspace)
    with workspace.open_history(read_only=True) as conn:
        callbacks, snapshots, touches = history.student_history(conn, student_id)
        moves = history.student_moves(conn, student_id)
    if not callbacks and not snapshots and not touches and not moves:
        raise UsageError(f"历史里没有学号 {student_id} 的记录")
    return StudentHistory(callbacks, snapshots, touches, moves)


def backup_history(target: Path | None, workspace: Workspace | None = None) -> Path:
    workspace = workspace or find_workspace()
    path = _store(workspace)
    if target is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        target = workspace.root / "backups" / f"history-{stamp}.sqlite"
        number = 1
        while target.exists():  # two backups within one second: the second gets a name of its own
            number += 1
            target = target.with_name(f"history-{stamp}-{number}.sqlite")
    target = check_output(Path(target), suffix=BACKUP, inputs=[path], workspace_root=workspace.root, folder_made_later=True)
    if target.exists():
        # A backup is what a restore goes back to: one is never replaced by another, silently or not.
        raise OutputError(f"{target}: 这个文件已经存在，备份不会覆盖它；请换一个文件名（或不写文件名，用 backups/ 里按时间命名的）")
    make_folder(target.parent, "备份")
    with workspace.open_history(read_only=True) as conn:
        history.backup(conn, target)
    return target


@dataclass
class Restored:
    source: Path | None  # the backup put in place (None: a new, empty history)
    aside: Path | None  # where the store it replaced was kept
    snapshots: int
    calls: int


def restore_history(backup: Path | None, workspace: Workspace | None = None, adopt: bool = False) -> Restored:
    """Put a backup in place of the workspace's history store (checked first); `backup` None starts a
    new, empty history. The store it replaces, if any, is kept beside it, never deleted.

    A backup of another workspace (its id is not this one's) is refused unless `adopt`: then it becomes
    this workspace's history, under this workspace's id."""
    workspace = workspace or find_workspace()
    if workspace.history_path is None:
        raise UsageError("这里不是 pfk 工作区（找不到 pfk.toml）：请在工作区里运行 pfk restore")
    store = workspace.history_path
    # This workspace's id: kept beside the store, else in the store it has now.
    ours = workspace.own_id() or (history.backup_workspace_id(store) if history.holds_history(store) else None)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = store.with_name(f"{store.name}.before-restore-{stamp}")
    if backup is None:
        store.parent.mkdir(parents=True, exist_ok=True)
        history.set_aside(store, aside)
        snapshots = calls = 0
    else:
        backup = Path(backup)
        snapshots, calls = history.check_backup(backup)
        theirs = history.backup_workspace_id(backup)
        if theirs is not None and ours is not None and theirs != ours and not adopt:
            raise ForeignHistory(
                f"{backup}: 这份备份属于另一个工作区（工作区编号 {theirs}，本工作区是 {ours}），历史库没有改动；"
                f"若确定要用它作本工作区的历史，运行 pfk restore {backup} --adopt"
            )
        history.restore(backup, store, aside)
    with history.opened(store) as conn:  # a new store made, or the backup brought up to this version's schema
        if ours is not None:
            history.set_workspace_id(conn, ours, replace=True)
    return Restored(backup, aside if aside.exists() else None, snapshots, calls)
