"""A read-only workspace (chmod -w on .pfk/, its store, or playbooks/) says so in one line; the commands
that only read still run (issue 30). Run in a subprocess: as root (a container, CI) file modes bind no
one, so there pfk runs as `nobody`, for whom the workspace is read-only as for a colleague."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import AS_OF

NOBODY = 65534


def pfk_without_write(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOME": str(folder), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PFK_DEBUG", None)
    command = [sys.executable, "-m", "pfkcli", *args]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("as root, file modes bind no one, and setpriv (util-linux) is not here to run as nobody")
        for parent in (folder, *folder.parents):  # let nobody reach the test's folder
            parent.chmod(parent.stat().st_mode | stat.S_IXOTH | stat.S_IROTH)
        command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=120)


def read_only(*paths: Path) -> None:
    for path in paths:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@pytest.fixture
def locked(classified, tmp_path):
    """The classified workspace with .pfk/ and its store made read-only; `elsewhere/` open to all."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    elsewhere.chmod(0o777)
    store = tmp_path / ".pfk" / "history.sqlite"
    read_only(store, store.parent)
    yield tmp_path
    for path in (store, store.parent):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


@pytest.mark.parametrize(
    "args",
    [
        ("history", "DS2026001"),
        ("report", "--as-of", AS_OF, "-o", "elsewhere/report.xlsx"),
        ("pool", "list", "--as-of", AS_OF),
        ("playbook", "show", "P_S-F_S-K_L"),
        ("backup", "elsewhere/copy.sqlite"),
    ],
)
def test_commands_that_only_read_run_in_a_read_only_workspace(locked, args):
    result = pfk_without_write(locked, *args)
    assert result.returncode == 0, result.stderr
    assert "是空的或已损坏" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("classify", "roster.xlsx", "--as-of", AS_OF, "-o", "elsewhere/again.xlsx"),
        ("pool", "release", "DS2026001", "--reason", "多次沟通无意向", "--as-of", AS_OF),
        ("callsheet", "--all", "--as-of", AS_OF),
    ],
)
def test_a_command_that_writes_says_the_workspace_is_read_only(locked, args):
    result = pfk_without_write(locked, *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：工作区的历史库是只读的（.pfk/"), result.stderr
    # Never taken for lost history, never advised to restore an older backup over it.
    assert "是空的或已损坏" not in lines[0] and "restore" not in lines[0]
    assert not list((locked / "elsewhere").iterdir())


def test_playbook_add_in_a_read_only_playbooks_folder_is_one_line(classified, tmp_path):
    playbooks = tmp_path / "playbooks"
    before = {p.name: p.read_bytes() for p in playbooks.iterdir()}
    read_only(playbooks, *playbooks.iterdir())
    try:
        result = pfk_without_write(
            tmp_path, "playbook", "add", "P_S-F_S-K_L", "--problem", "不接电话", "--solution", "先发微信约时间", "--author", "王老师"
        )
    finally:
        playbooks.chmod(0o755)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "没有写入权限" in lines[0] and "话术没有改动" in lines[0], result.stderr
    assert {p.name: p.read_bytes() for p in playbooks.iterdir()} == before
