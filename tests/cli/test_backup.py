"""pfk backup: a consistent copy of the history, never over anything that is not a backup."""

from __future__ import annotations

import sqlite3

import pytest

from pfkcli import history

from ..conftest import AS_OF, digest


@pytest.fixture
def workspace(invoke, classified, tmp_path):
    return tmp_path


def test_a_backup_by_default_lands_in_backups_and_holds_the_snapshot(invoke, workspace):
    result = invoke("backup")
    assert result.exit_code == 0, result.output
    (copy,) = (workspace / "backups").glob("history-*.sqlite")
    assert result.stdout.strip() == f"✓ 已备份到 {copy}"
    with sqlite3.connect(copy) as conn:
        (day,) = history.snapshot_dates(conn)
        assert (day.isoformat(), len(history.load_snapshot(conn, day))) == (AS_OF, 48)


def test_a_backup_is_never_written_over_another_file(invoke, workspace):
    roster = workspace / "roster.xlsx"
    before = digest(roster)
    result = invoke("backup", roster)
    assert result.exit_code == 2 and "文件名要以 .sqlite 结尾" in result.output
    assert digest(roster) == before
    # A .sqlite name that holds something else is not replaced either.
    notes = workspace / "notes.sqlite"
    notes.write_text("not a database", encoding="utf-8")
    result = invoke("backup", notes)
    assert result.exit_code == 2 and "不是 pfk 的备份，不会覆盖" in result.output
    assert notes.read_text(encoding="utf-8") == "not a database"
    copy = workspace / "copy.sqlite"
    assert invoke("backup", copy).exit_code == 0
    assert invoke("backup", copy).exit_code == 0  # a backup may replace an older backup
    with sqlite3.connect(copy) as conn:
        (day,) = history.snapshot_dates(conn)
        assert (day.isoformat(), len(history.load_snapshot(conn, day))) == (AS_OF, 48)
    assert not list(workspace.glob(".*.part"))
