"""A lost history store is said out loud, and `pfk restore` brings a backup back (issue: nothing lost)."""

from __future__ import annotations

import sqlite3

import pytest

from ..conftest import AS_OF, callsheet_ids, fill_callsheet


def calls_in(store) -> tuple[str, int]:
    with sqlite3.connect(store) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0], conn.execute("SELECT count(*) FROM callbacks").fetchone()[0]


@pytest.fixture
def workspace(invoke, classified, tmp_path):
    """A workspace with a week recorded: two calls of 张老师's, then a backup."""
    assert invoke("callsheet", "--teacher", "张老师", "--as-of", AS_OF).exit_code == 0
    sheet = tmp_path / "callsheets" / f"张老师-{AS_OF}.xlsx"
    ids = callsheet_ids(sheet)[:2]
    fill_callsheet(sheet, {sid: {"P（1-5）": 4, "K（1-5）": 3, "回访备注": "聊过了"} for sid in ids})
    assert invoke("record", sheet).exit_code == 0
    (tmp_path / "backups").mkdir()
    result = invoke("backup", "backups/week.sqlite")
    assert result.exit_code == 0, result.output
    return tmp_path


@pytest.mark.parametrize("damage", ["emptied", "deleted", "overwritten"])
def test_a_lost_store_stops_every_command_and_points_to_the_backup(invoke, workspace, damage):
    store = workspace / ".pfk" / "history.sqlite"
    (workspace / "roster.pfk.xlsx").unlink()
    for journal in store.parent.glob("history.sqlite-*"):
        journal.unlink()
    if damage == "emptied":
        store.write_bytes(b"")
    elif damage == "deleted":
        store.unlink()
    else:
        store.write_bytes(b"PK\x03\x04 a workbook saved over it")
    for command in (("classify", "roster.xlsx", "--as-of", AS_OF), ("callsheet", "--all", "--as-of", AS_OF), ("report",), ("history", "DS2026001")):
        result = invoke(*command)
        assert result.exit_code == 2, command
        line = result.stderr.strip()
        assert line.startswith("错误：.pfk/history.sqlite（工作区的回访记录和分层快照）"), line
        assert line.endswith("请用最新的备份恢复：pfk restore backups/week.sqlite")
        assert "Traceback" not in result.output
    assert not (workspace / "roster.pfk.xlsx").exists()  # stopped before any work
    assert calls_in(workspace / "backups" / "week.sqlite") == ("ok", 2)


def test_restore_checks_the_backup_and_keeps_the_damaged_store_aside(invoke, workspace):
    store = workspace / ".pfk" / "history.sqlite"
    for journal in store.parent.glob("history.sqlite-*"):
        journal.unlink()
    store.write_bytes(b"")
    result = invoke("restore", "backups/week.sqlite")
    assert result.exit_code == 0, result.output
    assert "✓ 已用 backups/week.sqlite 恢复历史库：1 次分层快照，2 条回访记录" in result.stdout
    assert calls_in(store) == ("ok", 2)
    aside = [p for p in store.parent.iterdir() if p.name.startswith("history.sqlite.before-restore-")]
    assert [p.read_bytes() for p in aside] == [b""]
    assert invoke("callsheet", "--all", "--as-of", "2026-11-24").exit_code == 0
    recorded = callsheet_ids(workspace / "callsheets" / f"张老师-{AS_OF}.xlsx")[:2]
    assert all(f"{sid} 的回访记录（1 次回访）" in invoke("history", sid).stdout for sid in recorded)


def test_restore_refuses_a_file_that_is_no_backup(invoke, workspace):
    store = workspace / ".pfk" / "history.sqlite"
    before = calls_in(store)
    (workspace / "notes.sqlite").write_bytes(b"not a database at all")
    result = invoke("restore", "notes.sqlite")
    assert result.exit_code == 2
    assert result.stderr.strip() == "错误：notes.sqlite: 不是 pfk 的历史库备份（空文件、别的文件，或没有回访和快照）"
    assert calls_in(store) == before


def test_restore_refuses_a_backup_whose_pages_are_damaged(invoke, workspace):
    import sqlite3

    broken = workspace / "backups" / "broken.sqlite"
    broken.write_bytes((workspace / "backups" / "week.sqlite").read_bytes())
    # Scribble over a table's pages, past the header and the schema page (the middle of the file may
    # be a snapshot's Parquet bytes, which SQLite holds as they are and cannot check).
    damage_table_pages(broken, ("callbacks",))
    result = invoke("restore", broken)
    assert result.exit_code == 2
    assert "备份已损坏" in result.stderr
    assert calls_in(workspace / ".pfk" / "history.sqlite") == ("ok", 2)


def test_fresh_starts_an_empty_history_on_purpose(invoke, workspace):
    store = workspace / ".pfk" / "history.sqlite"
    result = invoke("restore", "--fresh")
    assert result.exit_code == 0, result.output
    assert calls_in(store) == ("ok", 0)
    aside = [p for p in store.parent.iterdir() if p.name.startswith("history.sqlite.before-restore-") and not p.name.endswith(("-wal", "-shm"))]
    assert len(aside) == 1 and calls_in(aside[0]) == ("ok", 2)


def test_restore_needs_a_backup_or_fresh(invoke, workspace):
    result = invoke("restore")
    assert result.exit_code == 2
    assert "请指定要恢复的备份文件" in result.stderr


def damage_table_pages(store, tables=("callbacks", "snapshot_tables", "imports", "sheets")) -> None:
    """Overwrite the pages of some tables, leaving the file's header and its schema intact: what a
    failing disk or a half-copied file does (SQLite: "database disk image is malformed")."""
    with sqlite3.connect(store) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        roots = [conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0] for name in tables]
    conn.close()
    data = bytearray(store.read_bytes())
    for root in roots:
        at = (root - 1) * page_size
        data[at : at + page_size] = b"\x5a" * page_size
    store.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "command",
    [
        ("callsheet", "--all", "--as-of", AS_OF),
        ("record", "callsheets/张老师-2026-11-23.xlsx"),
        ("classify", "roster.xlsx", "--as-of", AS_OF, "-o", "again.xlsx"),
        ("report",),
    ],
)
def test_a_store_with_damaged_pages_is_one_line_naming_the_restore(invoke, workspace, command):
    store = workspace / ".pfk" / "history.sqlite"
    damage_table_pages(store)
    result = invoke(*command)
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in result.output and "malformed" not in result.output
    assert line.startswith("错误：.pfk/history.sqlite（工作区的回访记录和分层快照）已损坏"), line
    assert line.endswith("请用最新的备份恢复：pfk restore backups/week.sqlite")
    # The restore it names does repair it.
    assert invoke("restore", "backups/week.sqlite").exit_code == 0
    assert calls_in(store) == ("ok", 2)


@pytest.fixture
def other_team(tmp_path_factory):
    """Another team's workspace, classified on the same roster: its store and a backup of it."""
    import shutil

    from typer.testing import CliRunner

    from pfkcli.cli import app

    from ..conftest import SAMPLES

    folder = tmp_path_factory.mktemp("other-team")
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        for args in (("init", "."), ("classify", "roster.xlsx", "--as-of", AS_OF), ("backup", "theirs.sqlite")):
            if args[0] == "classify":
                shutil.copy(SAMPLES / "roster.xlsx", folder / "roster.xlsx")
            assert runner.invoke(app, list(args), catch_exceptions=False).exit_code == 0
    return folder


def test_another_workspaces_store_copied_in_is_refused_saying_what_to_do(invoke, workspace, other_team):
    store = workspace / ".pfk" / "history.sqlite"
    for journal in store.parent.glob("history.sqlite-*"):
        journal.unlink()
    store.write_bytes((other_team / ".pfk" / "history.sqlite").read_bytes())
    for command in (("callsheet", "--all", "--as-of", AS_OF), ("history", "DS2026001"), ("report",)):
        result = invoke(*command)
        assert result.exit_code == 2, command
        line = result.stderr.strip()
        assert "\n" not in line and line.startswith("错误：.pfk/history.sqlite 是另一个工作区的历史库（工作区编号 "), line
        assert "pfk restore .pfk/history.sqlite --adopt" in line and line.endswith("pfk restore backups/week.sqlite")
    # Taken on purpose, it is this workspace's from then on.
    adopted = invoke("restore", ".pfk/history.sqlite", "--adopt")
    assert adopted.exit_code == 0, adopted.output
    made = invoke("callsheet", "--all", "--as-of", "2026-11-24")
    assert made.exit_code == 0, made.output


def test_a_backup_of_another_workspace_is_restored_only_when_adopted(invoke, workspace, other_team):
    store = workspace / ".pfk" / "history.sqlite"
    before = calls_in(store)
    refused = invoke("restore", other_team / "theirs.sqlite")
    assert refused.exit_code == 2
    line = refused.stderr.strip()
    assert "这份备份属于另一个工作区" in line and line.endswith("--adopt"), line
    assert calls_in(store) == before
    adopted = invoke("restore", other_team / "theirs.sqlite", "--adopt")
    assert adopted.exit_code == 0, adopted.output
    assert calls_in(store) == ("ok", 0)
    assert invoke("history", "DS2026001").exit_code == 0  # now this workspace's history
    # Its own backups are this workspace's still.
    assert invoke("restore", "backups/week.sqlite").exit_code == 0
