"""Backups and restores of the workspace history, as the core does them."""

from __future__ import annotations

import sqlite3

import pytest

from pfkcli.errors import InputError
from pfkcli.history_view import backup_history, restore_history
from pfkcli.workspace import find_workspace, init_workspace


def calls(path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM callbacks").fetchone()[0]


@pytest.fixture
def workspace(tmp_path):
    init_workspace(tmp_path)
    workspace = find_workspace(tmp_path)
    with workspace.open_history() as conn:
        conn.execute("INSERT INTO callbacks (sheet_key, student_id, called_on, recorded_at) VALUES ('k', 'S1', '2026-11-20', 'now')")
    return workspace


def test_a_backup_restored_in_place_of_a_lost_store(workspace, tmp_path):
    (tmp_path / "backups").mkdir()
    backup = backup_history(tmp_path / "backups" / "b.sqlite", workspace)
    workspace.history_path.write_bytes(b"")
    done = restore_history(backup, workspace)
    assert (done.snapshots, done.calls, calls(workspace.history_path)) == (0, 1, 1)
    assert done.aside.read_bytes() == b""


def test_a_file_that_is_no_backup_changes_nothing(workspace, tmp_path):
    (tmp_path / "x.sqlite").write_bytes(b"hello")
    with pytest.raises(InputError, match="不是 pfk 的历史库备份"):
        restore_history(tmp_path / "x.sqlite", workspace)
    assert calls(workspace.history_path) == 1
