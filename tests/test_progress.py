"""The progress hook: the core announces its long steps; nothing shows unless someone listens."""

from __future__ import annotations

import shutil
from contextlib import contextmanager

import pytest

from pfkcli import progress
from pfkcli.callsheet import make_callsheets
from pfkcli.classify import classify
from pfkcli.workspace import Workspace

from .conftest import AS_OF, SAMPLES

DAY = __import__("datetime").date.fromisoformat(AS_OF)


@pytest.fixture
def recorded():
    """Install a hook that records (label, total, advances) for every step."""
    steps: list[list] = []

    @contextmanager
    def hook(label, total):
        entry = [label, total, 0]
        steps.append(entry)

        class Bar:
            def advance(self, n: int = 1) -> None:
                entry[2] += n

        yield Bar()

    previous = progress.install(hook)
    yield steps
    progress.install(previous)


def test_classify_announces_reading_and_writing(recorded, tmp_path):
    roster = shutil.copy(SAMPLES / "roster.xlsx", tmp_path / "roster.xlsx")
    classify(Workspace(None), roster, DAY, SAMPLES / "events.csv")
    labels = [label for label, _, _ in recorded]
    assert labels == ["读取 roster.xlsx", "读取并汇总 events.csv", "写出 roster.pfk.xlsx"]


def test_call_sheets_count_up_in_one_bar(recorded, tmp_path):
    roster = shutil.copy(SAMPLES / "roster.xlsx", tmp_path / "roster.xlsx")
    result = make_callsheets(Workspace(None), DAY, roster_path=roster, folder=tmp_path / "callsheets")
    batch = [step for step in recorded if step[0] == "写出回访表"]
    assert batch == [["写出回访表", len(result.sheets), len(result.sheets)]]
    # Each workbook's own step is part of the batch, not a bar of its own.
    assert not [step for step in recorded if step[0].startswith("写出 ")]


def test_no_hook_no_output(tmp_path, capsys):
    roster = shutil.copy(SAMPLES / "roster.xlsx", tmp_path / "roster.xlsx")
    with progress.step("读取", total=3) as bar:
        bar.advance()
    classify(Workspace(None), roster, DAY)
    assert capsys.readouterr() == ("", "")


def test_the_cli_draws_no_bars_when_stderr_is_not_a_terminal(invoke, tmp_path):
    roster = shutil.copy(SAMPLES / "roster.xlsx", tmp_path / "roster.xlsx")
    result = invoke("classify", roster, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "━" not in result.stderr and "读取" not in result.stderr


@pytest.mark.skipif(__import__("sys").platform == "win32", reason="a pseudo-terminal is POSIX's")
def test_on_a_terminal_the_cli_shows_each_step(tmp_path):
    """The installed pfk on a (pseudo-)terminal draws its steps on stderr, with the time it has taken."""
    import os
    import pty
    import subprocess
    import sys

    roster = shutil.copy(SAMPLES / "roster.xlsx", tmp_path / "roster.xlsx")
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "pfkcli", "classify", str(roster), "--as-of", AS_OF],
        cwd=tmp_path, stdin=follower, stdout=subprocess.DEVNULL, stderr=follower, env={**os.environ, "COLUMNS": "100"},
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        seen += chunk
    assert process.wait(timeout=60) == 0
    text = seen.decode("utf-8", errors="replace")
    assert "读取 roster.xlsx" in text and "写出 roster.pfk.xlsx" in text
