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
    assert result.exit_code == 2 and "这个文件已经存在，备份不会覆盖它" in result.output
    assert notes.read_text(encoding="utf-8") == "not a database"
    copy = workspace / "copy.sqlite"
    assert invoke("backup", copy).exit_code == 0
    kept = digest(copy)
    # Nor an older backup: it is what a restore goes back to (issue 30).
    again = invoke("backup", copy)
    assert again.exit_code == 2 and again.stderr.strip().startswith(f"错误：{copy}: 这个文件已经存在，备份不会覆盖它")
    assert digest(copy) == kept
    with sqlite3.connect(copy) as conn:
        (day,) = history.snapshot_dates(conn)
        assert (day.isoformat(), len(history.load_snapshot(conn, day))) == (AS_OF, 48)
    assert not list(workspace.glob(".*.part"))


def test_a_backup_into_a_folder_not_made_yet_makes_it(invoke, workspace):
    result = invoke("backup", "backups/x.sqlite")
    assert result.exit_code == 0, result.output
    assert (workspace / "backups" / "x.sqlite").is_file()


def test_two_default_backups_within_a_second_get_names_of_their_own(invoke, workspace):
    for _ in range(3):
        assert invoke("backup").exit_code == 0
    assert len(list((workspace / "backups").glob("history-*.sqlite"))) == 3
