"""Shared fixtures: real workbooks written with openpyxl, the real CLI through CliRunner."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import openpyxl
import pytest
from hypothesis import settings
from typer.testing import CliRunner

from pfkcli.cli import app

from .xlsx_structure import problems, written_by_pfk

HERE = Path(__file__).parent
SAMPLES = HERE.parent / "samples"
AS_OF = "2026-11-23"

# Property tests search afresh on a developer's machine (that is how they find bugs: a case found is
# then pinned with @example); in CI the same examples every run, so a red build is the change's doing.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def write_xlsx(path: Path, rows: list[list], sheet: str = "学员名单", extra_sheets: dict | None = None) -> Path:
    """Write `rows` (first row may be a title) to a real .xlsx with openpyxl."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    for name, extra_rows in (extra_sheets or {}).items():
        extra = wb.create_sheet(name)
        for row in extra_rows:
            extra.append(row)
    wb.save(path)
    return path


HEADER = ["学号", "姓名", "运营老师", "手机号", "作业完成次数", "观看课时", "P", "K", "备注"]


def student(sid: str, name: str, teacher: str, hw, hours, p, k, note: str = "") -> list:
    return [sid, name, teacher, 13800000000 + int("".join(c for c in sid if c.isdigit()) or 0), hw, hours, p, k, note]


@pytest.fixture(autouse=True)
def every_workbook_pfk_writes_is_sound(tmp_path):
    """After each test, every workbook pfk wrote under its tmp_path passes the structural check
    (tests/xlsx_structure.py): what Excel needs to open a file without offering to repair it."""
    yield
    for path in sorted(tmp_path.rglob("*.xlsx")):
        if path.is_file() and written_by_pfk(path):
            assert problems(path) == [], path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(monkeypatch, tmp_path):
    """Run `pfk ARGS` in tmp_path (no workspace unless the test makes one); returns the Result."""
    monkeypatch.chdir(tmp_path)
    return _cli_in(tmp_path)


@pytest.fixture
def roster(tmp_path) -> Path:
    """A small roster: two teachers, a title row above the header, one never-called student."""
    rows = [
        ["2026秋 数据运营官 学员名单"],
        HEADER,
        student("S001", "张伟", "张老师", 11, 76, 5, 5, "很积极"),
        student("S002", "王芳", "张老师", 0, 0, 1, 1),
        student("S003", "李娜", "李老师", 11, 76, 5, 1),
        student("S004", "刘洋", "李老师", 2, 10, None, None, "还没打过电话"),
    ]
    return write_xlsx(tmp_path / "roster.xlsx", rows)


def read_sheet(path: Path, sheet: str) -> list[tuple]:
    wb = openpyxl.load_workbook(path)
    return [tuple(row) for row in wb[sheet].iter_rows(values_only=True)]


def callsheet_rows(path: Path) -> tuple[list, list[dict]]:
    """A call sheet's header, and each row as {header: value}, in calling order."""
    header, *rows = read_sheet(path, "回访表")
    return list(header), [dict(zip(header, row)) for row in rows]


def callsheet_ids(path: Path) -> list[str]:
    """The 学号 of a call sheet's rows, in calling order."""
    return [row["学号"] for row in callsheet_rows(path)[1]]


def digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def today() -> dt.date:
    return dt.date.fromisoformat(AS_OF)


def fill_callsheet(path: Path, values: dict[str, dict], info: dict[str, object] | None = None) -> Path:
    """Fill a call sheet as a teacher would, with openpyxl: `values` maps 学号 → {column: value};
    `info` sets 说明 rows by their label (None blanks the cell)."""
    wb = openpyxl.load_workbook(path)
    ws = wb["回访表"]
    header = [c.value for c in ws[1]]
    found = set()
    for row in range(2, ws.max_row + 1):
        sid = ws.cell(row, header.index("学号") + 1).value
        for column, value in values.get(sid, {}).items():
            ws.cell(row, header.index(column) + 1).value = value
            found.add(sid)
    assert found == set(values), f"not on the call sheet: {set(values) - found}"
    for label, value in (info or {}).items():
        info_sheet = wb["说明"]
        row = next(r for r in range(1, info_sheet.max_row + 1) if info_sheet.cell(r, 1).value == label)
        info_sheet.cell(row, 2).value = value
    wb.save(path)
    return path


def _cli_in(folder: Path):
    """`invoke` for a session fixture: the real CLI run in `folder`."""
    runner = CliRunner()

    def _invoke(*args: str, input: str | None = None):
        return runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)

    return _invoke


def _built_once(tmp_path_factory, name: str, build):
    """A workspace of tests/weeks.py built once for the session by `build(folder, invoke)`: (folder, what it returned)."""
    folder = tmp_path_factory.mktemp(name)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        made = build(folder, _cli_in(folder))
    return folder, made


def _copied(built, tmp_path, monkeypatch):
    """A copy of a session-built workspace in tmp_path, made the current folder: (folder, what the build returned)."""
    import shutil

    source, made = built
    folder = tmp_path / "workspace"
    shutil.copytree(source, folder)
    monkeypatch.chdir(folder)
    return folder, made


@pytest.fixture(scope="session")
def _three_weeks(tmp_path_factory):
    from .weeks import playbook_weeks

    return _built_once(tmp_path_factory, "three-weeks", playbook_weeks)


@pytest.fixture
def three_weeks(_three_weeks, invoke, tmp_path, monkeypatch):
    """A copy of the three recorded weeks of the playbook workspace (tests/weeks.py): (folder, solution ids)."""
    return _copied(_three_weeks, tmp_path, monkeypatch)


@pytest.fixture(scope="session")
def _holdout_weeks(tmp_path_factory):
    from .weeks import holdout_weeks

    return _built_once(tmp_path_factory, "holdout-weeks", holdout_weeks)


@pytest.fixture
def held_out_weeks(_holdout_weeks, invoke, tmp_path, monkeypatch):
    """A copy of the holdout workspace (tests/weeks.py): (folder, what happened)."""
    return _copied(_holdout_weeks, tmp_path, monkeypatch)


@pytest.fixture
def classified(tmp_path):
    """A workspace in tmp_path with the sample roster classified on AS_OF, through the core."""
    import shutil

    from pfkcli.classify import classify
    from pfkcli.workspace import find_workspace, init_workspace

    init_workspace(tmp_path)
    workspace = find_workspace(tmp_path)
    classify(workspace, shutil.copy(SAMPLES / "roster.xlsx", tmp_path / "roster.xlsx"), dt.date.fromisoformat(AS_OF))
    return workspace
