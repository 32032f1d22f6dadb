"""Every command's outputs, through the CLI: they never land on the workspace's own files or an input
(refused before anything is read: one line, exit 2, nothing written, the history store intact), and
every workbook the bundled samples give is structurally sound."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import sqlite3
from pathlib import Path

import openpyxl
import pytest

from pfkcli.outputs import CALLSHEET_SHEET

from ..conftest import AS_OF, SAMPLES
from ..xlsx_structure import problems, written_by_pfk


def files_under(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def store_health(store: Path) -> tuple[str, int]:
    conn = sqlite3.connect(store)
    try:
        (check,) = conn.execute("PRAGMA integrity_check").fetchone()
        (callbacks,) = conn.execute("SELECT count(*) FROM callbacks").fetchone()
    finally:
        conn.close()
    return check, callbacks


@pytest.fixture(scope="module")
def school_as_built(tmp_path_factory) -> Path:
    """A workspace after one week of the loop on the bundled sample: classify, call sheets, one sheet
    filled in and recorded (so the history holds callbacks), alerts and the report. Built once."""
    from typer.testing import CliRunner

    from pfkcli.cli import app

    folder = tmp_path_factory.mktemp("school")
    runner = CliRunner()

    def run(*args: str) -> None:
        result = runner.invoke(app, [*args], catch_exceptions=False)
        assert result.exit_code == 0, result.output

    before = Path.cwd()
    os.chdir(folder)
    try:
        run("init", ".")
        shutil.copy(SAMPLES / "roster.xlsx", folder / "roster.xlsx")
        run("classify", "roster.xlsx", "--as-of", AS_OF)
        run("callsheet", "--all", "--as-of", AS_OF)
        sheet = sorted((folder / "callsheets").glob("*.xlsx"))[0]
        book = openpyxl.load_workbook(sheet)
        rows = book[CALLSHEET_SHEET]
        header = [cell.value for cell in rows[1]]
        rows.cell(2, header.index("P（1-5）") + 1).value = 4
        rows.cell(2, header.index("K（1-5）") + 1).value = 3
        rows.cell(2, header.index("回访备注") + 1).value = "=想先把作业补上"
        book.save(sheet)
        run("record", str(sheet))
        run("alerts", "roster.xlsx", "--as-of", AS_OF)
        run("report", "--as-of", AS_OF)
    finally:
        os.chdir(before)
    return folder


@pytest.fixture
def school(invoke, school_as_built, tmp_path) -> Path:
    """A fresh copy of that workspace in the test's own folder (where `invoke` runs)."""
    shutil.copytree(school_as_built, tmp_path, dirs_exist_ok=True)
    return tmp_path


def test_every_workbook_of_the_sample_loop_is_sound(school):
    written = sorted(p for p in school.rglob("*.xlsx") if written_by_pfk(p))
    names = {str(p.relative_to(school)) for p in written}
    assert {"roster.pfk.xlsx", "roster.alerts.xlsx", f"reports/report-{AS_OF}.xlsx"} <= names
    assert sum(name.startswith("callsheets/") for name in names) == 3  # four teachers; one sheet was filled in and re-saved
    for path in written:
        assert problems(path) == [], path
    # The filled-in sheet, as openpyxl saved it, and the sample roster are sound as well.
    for path in sorted(set(school.rglob("*.xlsx")) - set(written)):
        assert problems(path) == [], path


REFUSED = [
    (("classify", "roster.xlsx", "-o", ".pfk/history.sqlite"), "工作区的 .pfk/ 文件夹"),
    (("classify", "roster.xlsx", "-o", "pfk.toml"), "配置文件 pfk.toml"),
    (("classify", "roster.xlsx", "-o", ".gitignore"), "工作区的 .gitignore"),
    (("classify", "roster.xlsx", "-o", "playbooks/P_S-F_S-K_L.yaml"), "playbooks/ 文件夹"),
    (("classify", "roster.xlsx", "-o", "playbooks/result.xlsx"), "playbooks/ 文件夹"),
    (("classify", "roster.xlsx", "-o", "roster.xlsx"), "这是输入文件"),
    (("classify", "roster.xlsx", "-o", "result.csv"), "文件名要以 .xlsx 结尾"),
    (("alerts", "roster.xlsx", "-o", ".pfk/alerts.xlsx"), "工作区的 .pfk/ 文件夹"),
    (("alerts", "roster.xlsx", "-o", "pfk.toml"), "配置文件 pfk.toml"),
    (("report", "-o", "pfk.toml"), "配置文件 pfk.toml"),
    (("report", "-o", ".pfk/history.sqlite"), "工作区的 .pfk/ 文件夹"),
    (("backup", ".pfk/history.sqlite"), "工作区的 .pfk/ 文件夹"),
    (("backup", "pfk.toml"), "配置文件 pfk.toml"),
    (("backup", "backup.xlsx"), "文件名要以 .sqlite 结尾"),
]


@pytest.mark.parametrize(("args", "reason"), REFUSED, ids=[" ".join(a) for a, _ in REFUSED])
def test_an_output_on_the_workspace_own_files_is_refused(invoke, school, args, reason):
    store = school / ".pfk" / "history.sqlite"
    health = store_health(store)
    assert health[0] == "ok" and health[1] > 0
    before = files_under(school)
    result = invoke(*args, "--as-of", AS_OF) if args[0] != "backup" else invoke(*args)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误：") and reason in lines[0], result.output
    assert files_under(school) == before
    assert store_health(store) == health


def test_the_output_is_checked_before_the_input_is_read(invoke, tmp_path):
    """A refused output is said first, even when the input would fail too: nothing is read for nothing."""
    assert invoke("init", ".").exit_code == 0
    result = invoke("classify", "missing.xlsx", "-o", "pfk.toml", "--as-of", AS_OF)
    assert result.exit_code == 2 and "配置文件 pfk.toml" in result.output and "missing.xlsx" not in result.output


def date_cells_shown_as_numbers(path: Path) -> list[str]:
    """Cells of a column whose header names a date (日期, 时间) that hold a number shown without a date
    format (Excel shows 46332), or a date without one: `file › sheet › cell (format)` each."""
    found = []
    book = openpyxl.load_workbook(path)
    for ws in book.worksheets:
        rows = ws.iter_rows()
        header = next(rows, ())
        dated = [cell.column for cell in header if isinstance(cell.value, str) and ("日期" in cell.value or "时间" in cell.value)]
        for row in rows:
            for cell in row:
                if cell.column not in dated or cell.value is None or isinstance(cell.value, str):
                    continue
                shown = cell.number_format.lower()
                if not ("y" in shown and "d" in shown):
                    found.append(f"{path.name} › {ws.title} › {cell.coordinate} ({cell.number_format}: {cell.value!r})")
    return found


def test_every_date_of_every_workbook_is_shown_as_a_date(three_weeks, invoke):
    """Every workbook pfk writes — classify, callsheet (上次回访日期 on coloured rows of a fixed
    height), messages, alerts, report, assign, pool list -o, check --problems — shows its dates as
    dates (the writer dropped the date format of rows with a height: 46332 instead of 2026-11-09)."""
    folder, _ = three_weeks
    commands = [
        ("classify", "week3.xlsx", "--as-of", "2026-11-23"),
        ("callsheet", "--all", "--as-of", "2026-11-30"),
        ("messages", "--all", "--as-of", "2026-11-23"),
        ("alerts", "week3.xlsx", "--as-of", "2026-11-23"),
        ("report", "--as-of", "2026-11-23"),
        ("assign", "week3.xlsx", "--as-of", "2026-11-23"),
        ("pool", "release", "Z10", "--reason", "联系不上", "--as-of", "2026-11-23"),
        ("pool", "list", "-o", "pool.xlsx"),
        ("pool", "list", "--renewal", "-o", "renewal.xlsx", "--as-of", "2026-11-23"),
        ("check", "week3.xlsx", "--problems", "problems.xlsx"),
    ]
    for command in commands:
        result = invoke(*command)
        assert result.exit_code in (0, 1), (command, result.output)
    written = sorted(p for p in folder.rglob("*.xlsx") if written_by_pfk(p))
    made = {p.name for p in written}
    for name in ("week3.pfk.xlsx", "张老师-2026-11-30.xlsx", "week3.alerts.xlsx", "report-2026-11-23.xlsx", "week3.assign.xlsx", "pool.xlsx", "renewal.xlsx", "problems.xlsx"):
        assert name in made, (name, made)
    assert any(p.parent.name == "messages" for p in written)
    sheet = openpyxl.load_workbook(folder / "callsheets" / "李老师-2026-11-30.xlsx")["回访表"]
    header = [c.value for c in sheet[1]]
    last = [row[header.index("上次回访日期")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert any(isinstance(day, dt.datetime) for day in last)
    assert [line for path in written for line in date_cells_shown_as_numbers(path)] == []
    # Nor a missing value written out as text anywhere.
    import re

    for path in written:
        for sheet in openpyxl.load_workbook(path).worksheets:
            for row in sheet.iter_rows(values_only=True):
                assert not any(isinstance(v, str) and re.search(r"\bnan\b|\bNone\b|\bNaT\b", v) for v in row), (path.name, sheet.title, row)


def _filled_sheet(school: Path) -> str:
    return str(sorted((school / "callsheets").glob("*.xlsx"))[0].relative_to(school))


FOREIGN = [
    (("classify", "roster.xlsx", "-o", "{filled}"), "不是分层结果表"),
    (("alerts", "roster.xlsx", "-o", "{filled}"), "不是预警表"),
    (("classify", "roster.xlsx", "-o", "team.xlsx"), "不是 pfk 写出的分层结果表"),
    (("assign", "roster.xlsx", "-o", "team.xlsx"), "不是 pfk 写出的分配结果表"),
    (("pool", "list", "-o", "team.xlsx"), "不是 pfk 写出的公海名单"),
    (("report", "-o", "team.xlsx"), "不是 pfk 写出的周报"),
    (("report", "-o", "roster.pfk.xlsx"), "是 pfk 写出的分层结果表，不是周报"),
    (("check", "roster.xlsx", "--problems", "team.xlsx"), "不是 pfk 写出的问题清单"),
    (("check", "broken.xlsx", "--problems", "team.xlsx"), "不是 pfk 写出的问题清单"),
]


@pytest.mark.parametrize(("args", "reason"), FOREIGN, ids=[" ".join(a) for a, _ in FOREIGN])
def test_no_output_replaces_a_workbook_pfk_did_not_write_for_it(invoke, school, args, reason):
    """A teacher's filled call sheet, the team's roster, another kind of pfk output: never replaced,
    whatever the option (issue 30). One line, exit 2, every file as it was."""
    shutil.copy(school / "roster.xlsx", school / "team.xlsx")  # the team's roster, not this run's input
    (school / "broken.xlsx").write_bytes(b"not a workbook")  # a check that fails
    before = files_under(school)
    args = [a.format(filled=_filled_sheet(school)) for a in args]
    result = invoke(*args, "--as-of", AS_OF)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[0].startswith("错误：") and reason in lines[0] and "pfk 不会覆盖它" in lines[0], result.output
    assert files_under(school) == before


def test_an_output_replaces_its_own_kind_even_after_excel_saved_it(invoke, school):
    """The mark is a document property, kept when the file is opened and saved (here by openpyxl)."""
    book = openpyxl.load_workbook(school / "roster.pfk.xlsx")
    book.save(school / "roster.pfk.xlsx")
    assert invoke("classify", "roster.xlsx", "--as-of", AS_OF).exit_code == 0
    assert invoke("report", "--as-of", AS_OF).exit_code == 0  # over its own report of the same day


def test_every_workbook_pfk_writes_carries_the_mark_of_its_kind(school):
    from pfkcli.paths import workbook_mark

    assert workbook_mark(school / "roster.pfk.xlsx") == "分层结果表"
    assert workbook_mark(school / "roster.alerts.xlsx") == "预警表"
    assert workbook_mark(school / "reports" / f"report-{AS_OF}.xlsx") == "周报"
    assert {workbook_mark(p) for p in (school / "callsheets").glob("*.xlsx")} == {"回访表"}
    assert workbook_mark(school / "roster.xlsx") is None
