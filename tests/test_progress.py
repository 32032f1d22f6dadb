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
    # The workbooks themselves are written on worker threads: part of the batch, not bars of their own.
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


def test_on_a_terminal_the_cli_shows_each_step(monkeypatch):
    import io

    from rich.console import Console

    from pfkcli.cli import common

    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100)
    monkeypatch.setattr(common, "console", lambda stderr=False: terminal)

    def work() -> str:
        with progress.step("写出回访表", total=2) as bar:
            bar.advance()
            bar.advance()
        return "done"

    assert common.run(work) == "done"
    assert "写出回访表" in screen.getvalue()
    assert progress._hook is None  # uninstalled afterwards
