"""pfk callsheet through the CLI: what it says about the snapshot it works from, and its table."""

from __future__ import annotations

import pytest

from ..conftest import AS_OF


@pytest.fixture
def workspace(invoke, roster, tmp_path):
    assert invoke("init", ".").exit_code == 0
    assert invoke("classify", roster, "--as-of", AS_OF).exit_code == 0
    return tmp_path


def test_a_snapshot_older_than_a_week_is_said_out_loud(invoke, workspace):
    result = invoke("callsheet", "--all", "--as-of", "2026-12-01")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        "注意：用的是 2026-11-23 的分层快照，比 2026-12-01 早 8 天，这期间的学习进度和回访都没算进去。"
        "先用最新名单运行 pfk classify，或用 --roster 直接指定名单。"
    )


@pytest.mark.parametrize("day", [AS_OF, "2026-11-30"])
def test_a_snapshot_of_this_week_needs_no_warning(invoke, workspace, day):
    result = invoke("callsheet", "--all", "--as-of", day)
    assert result.exit_code == 0, result.output
    assert "注意" not in result.output


def test_the_table_names_each_file_and_the_folder_once(invoke, workspace):
    result = invoke("callsheet", "--all", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert f"李老师-{AS_OF}.xlsx" in result.stdout and f"张老师-{AS_OF}.xlsx" in result.stdout
    assert result.stdout.splitlines()[-1] == f"✓ 已写出 2 份回访表，在 {workspace / 'callsheets'}"
